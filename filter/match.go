package filter

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/perchdev/perch"
)

// How many of a user's newest interactions per event type filters see
// ([DG] limits; the first is adjustable at AWS).
const (
	InteractionsPerEventType       = 100
	ActionInteractionsPerEventType = 300
)

// Facts is what a request's filtering may read; the caller supplies
// lookups.
type Facts struct {
	// Record returns the record of id in the dataset of type t, keyed by
	// the schema's field names ("GENRE" -> "comedy|drama", "PRICE" -> 12.5):
	// values as encoding/json decodes them (string, float64, bool).
	Record func(t perch.DatasetType, id string) (map[string]any, bool)
	// Interactions returns user's interactions (with items, or with actions
	// for ActionID filters) with their event types, newest first.
	Interactions func(user string) []Interaction
	CurrentUser  string // the request's userId ("" when none)
	CurrentItem  string // the request's itemId ("" when none)
}

// Interaction is one event of a user with an item or an action.
type Interaction struct {
	ID        string
	EventType string
	Time      int64
}

// ownDatasets are the datasets whose records describe each target's
// candidates.
var ownDatasets = map[string]perch.DatasetType{
	TargetItem:   perch.Items,
	TargetAction: perch.Actions,
	TargetUser:   perch.Users,
}

// Matcher answers, for one request, whether a candidate id is kept.
type Matcher struct {
	target  string
	dataset perch.DatasetType // of the candidates' records
	facts   Facts
	include []*preparedExpression
	exclude []*preparedExpression
}

type preparedExpression struct {
	where [][]*preparedCondition
}

// preparedCondition is a bound condition with the request's facts read:
// the current item's value and the requesting user's interaction sets.
type preparedCondition struct {
	*boundCondition
	strings map[string]bool // the values IN/NOT IN match against
	number  float64         // the value comparisons compare against
	never   bool            // CurrentItem or its field is missing
	ids     map[string]bool // interaction conditions of item and action filters: the ids they hold for
}

// Prepare does the request's work once: it decides the IF conditions on
// the current user, reads the current item's record and collects the
// user's interaction sets. Expressions whose IF does not hold (no user, no
// Users record, or a failing condition) are left out of the request.
func (b *Bound) Prepare(f Facts) *Matcher {
	target := b.filter.target
	m := &Matcher{target: target, dataset: ownDatasets[target], facts: f}
	var (
		user, item       map[string]any
		userOK, itemOK   bool
		userRead, itemRd bool
		window           []Interaction
		windowRead       bool
	)
	for _, be := range b.expressions {
		if len(be.when) > 0 {
			if !userRead {
				userRead = true
				if f.CurrentUser != "" {
					user, userOK = f.record(perch.Users, f.CurrentUser)
				}
			}
			if !userOK || !holdAll(be.when, f.CurrentUser, user) {
				continue
			}
		}
		pe := &preparedExpression{}
		for _, group := range be.where {
			var prepared []*preparedCondition
			for _, bc := range group {
				pc := &preparedCondition{boundCondition: bc, strings: bc.strings, number: bc.number}
				switch {
				case bc.rhs.kind == valueCurrentItem:
					if !itemRd {
						itemRd = true
						if f.CurrentItem != "" {
							item, itemOK = f.record(perch.Items, f.CurrentItem)
						}
					}
					pc.resolveCurrentItem(f.CurrentItem, item, itemOK)
				case bc.lhs.interactions() && target != TargetUser:
					if !windowRead {
						windowRead = true
						window = f.window(f.CurrentUser, bc.lhs.dataset)
					}
					pc.ids = map[string]bool{}
					for _, in := range window {
						if bc.eventTypeHolds(in.EventType) {
							pc.ids[in.ID] = true
						}
					}
				}
				prepared = append(prepared, pc)
			}
			pe.where = append(pe.where, prepared)
		}
		if be.include {
			m.include = append(m.include, pe)
		} else {
			m.exclude = append(m.exclude, pe)
		}
	}
	return m
}

func (f Facts) record(t perch.DatasetType, id string) (map[string]any, bool) {
	if f.Record == nil {
		return nil, false
	}
	return f.Record(t, id)
}

// window returns the interactions of user that filters see: the newest
// per event type (case-insensitive), newest first.
func (f Facts) window(user string, dataset perch.DatasetType) []Interaction {
	if f.Interactions == nil || user == "" {
		return nil
	}
	limit := InteractionsPerEventType
	if dataset == perch.ActionInteractions {
		limit = ActionInteractionsPerEventType
	}
	all := f.Interactions(user)
	seen := map[string]int{}
	kept := make([]Interaction, 0, len(all))
	for _, in := range all {
		eventType := strings.ToLower(in.EventType)
		if seen[eventType] < limit {
			seen[eventType]++
			kept = append(kept, in)
		}
	}
	return kept
}

func (bc *boundCondition) eventTypeHolds(eventType string) bool {
	in := bc.anyEvent || bc.strings[strings.ToLower(eventType)]
	return in == (bc.op == opIn)
}

// resolveCurrentItem reads the compared field of the request's item.
func (pc *preparedCondition) resolveCurrentItem(id string, record map[string]any, ok bool) {
	if !ok {
		pc.never = true
		return
	}
	v, present := fieldValue(pc.rhs.item, id, record)
	if !present {
		pc.never = true
		return
	}
	if pc.op.matchesStrings() {
		s, ok := stringOf(v)
		if !ok {
			pc.never = true
			return
		}
		pc.strings = map[string]bool{}
		if !pc.rhs.item.def.Categorical {
			pc.strings[s] = true
			return
		}
		for value := range strings.SplitSeq(s, "|") {
			pc.strings[value] = true
		}
		return
	}
	pc.number, ok = numberValue(v)
	pc.never = !ok
}

// Active reports whether the matcher can drop anything; callers may skip
// Keep when it cannot.
func (m *Matcher) Active() bool { return len(m.include)+len(m.exclude) > 0 }

// Keep reports whether the candidate id survives the filter: with any
// INCLUDE expression in force it must match one of them, and it must
// match no EXCLUDE expression.
func (m *Matcher) Keep(id string) bool {
	c := candidate{m: m, id: id}
	if len(m.include) > 0 && !c.matchesAny(m.include) {
		return false
	}
	return !c.matchesAny(m.exclude)
}

// candidate reads one candidate's facts at most once, and only when a
// condition needs them.
type candidate struct {
	m          *Matcher
	id         string
	record     map[string]any
	recordOK   bool
	recordRead bool
	window     []Interaction
	windowRead bool
}

func (c *candidate) matchesAny(expressions []*preparedExpression) bool {
	for _, e := range expressions {
		for _, group := range e.where {
			if c.holdsAll(group) {
				return true
			}
		}
	}
	return false
}

func (c *candidate) holdsAll(group []*preparedCondition) bool {
	for _, pc := range group {
		if !c.holds(pc) {
			return false
		}
	}
	return true
}

func (c *candidate) holds(pc *preparedCondition) bool {
	switch {
	case pc.never:
		return false
	case pc.ids != nil:
		return pc.ids[c.id]
	case pc.lhs.interactions(): // a user segment: the candidate's own interactions
		if !c.windowRead {
			c.windowRead = true
			c.window = c.m.facts.window(c.id, pc.lhs.dataset)
		}
		for _, in := range c.window {
			if pc.eventTypeHolds(in.EventType) {
				return true
			}
		}
		return false
	}
	if !c.recordRead && idFields[pc.lhs.dataset] != pc.lhs.def.Name {
		c.recordRead = true
		c.record, c.recordOK = c.m.facts.record(c.m.dataset, c.id)
	}
	return valueHolds(pc.lhs, pc.op, pc.strings, pc.number, c.id, c.record)
}

// holdAll decides IF conditions against the current user's record.
func holdAll(conditions []*boundCondition, id string, record map[string]any) bool {
	for _, bc := range conditions {
		if !valueHolds(bc.lhs, bc.op, bc.strings, bc.number, id, record) {
			return false
		}
	}
	return true
}

// valueHolds compares field f of the record of id with the condition's
// values. A missing record or field satisfies no condition, whatever the
// operator (as NULL in SQL): it is neither kept by INCLUDE nor dropped by
// EXCLUDE.
func valueHolds(f field, op operator, set map[string]bool, number float64, id string, record map[string]any) bool {
	v, present := fieldValue(f, id, record)
	if !present {
		return false
	}
	if op.matchesStrings() {
		s, ok := stringOf(v)
		if !ok {
			return false
		}
		return anyIn(s, f.def.Categorical, set) == (op == opIn)
	}
	n, ok := numberValue(v)
	if !ok {
		return false
	}
	switch op {
	case opEq:
		return n == number
	case opNe:
		return n != number
	case opLt:
		return n < number
	case opLe:
		return n <= number
	case opGt:
		return n > number
	case opGe:
		return n >= number
	}
	return false
}

// fieldValue is the value of f for the record of id; the dataset's id
// field is the id itself, whether or not the record repeats it.
func fieldValue(f field, id string, record map[string]any) (any, bool) {
	if idFields[f.dataset] == f.def.Name {
		return id, true
	}
	v, ok := record[f.def.Name]
	return v, ok && v != nil
}

// stringOf is a string field's value as a string.
func stringOf(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case float64:
		return formatNumber(v), true
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}

// anyIn reports whether one of the values s holds is in set: a categorical
// field holds each of its "|"-separated values. It does not allocate, as
// Keep runs it for every candidate.
func anyIn(s string, categorical bool, set map[string]bool) bool {
	if !categorical {
		return set[s]
	}
	for value := range strings.SplitSeq(s, "|") {
		if set[value] {
			return true
		}
	}
	return false
}

func numberValue(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case float32:
		return float64(v), true
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case int32:
		return float64(v), true
	case json.Number:
		n, err := v.Float64()
		return n, err == nil
	case string:
		n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return n, err == nil
	}
	return 0, false
}
