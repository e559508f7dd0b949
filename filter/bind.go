package filter

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/perchdev/perch"
)

// Limits of a request's filterValues (the personalize-runtime model).
const (
	MaxFilterValues      = 25   // keys
	MaxFilterValueLength = 1000 // characters of one value
)

// Bound is a filter with its placeholders filled from one request's
// filterValues: what Prepare needs besides the request's user and item.
type Bound struct {
	filter      *Filter
	expressions []*boundExpression // the enabled ones
}

type boundExpression struct {
	*expression
	where [][]*boundCondition
	when  []*boundCondition
}

// boundCondition is a condition with its literal or placeholder values
// resolved; CurrentItem values wait for Prepare.
type boundCondition struct {
	*condition
	strings  map[string]bool // IN/NOT IN values; event types in lower case
	anyEvent bool            // "*" among the event types
	number   float64         // comparisons
}

// Bind fills the placeholders from a request's filterValues: keys are
// placeholder names without "$" ([A-Za-z0-9_], at most 50 characters, at
// most 25 keys); each value is a comma-separated list of double-quoted
// literals of at most 1000 characters, in which numbers may also come
// unquoted. An INCLUDE expression missing a value is an EInvalidInput
// error naming the placeholder; an EXCLUDE expression missing one is left
// out of the request. A key present with an empty value counts as
// missing. Keys the filter has no placeholder for are ignored, as AWS is
// reported to do (UNVERIFIED), so that one set of values can serve
// several filters.
func (f *Filter) Bind(values map[string]string) (*Bound, error) {
	if len(values) > MaxFilterValues {
		return nil, perch.Errorf(perch.EInvalidInput,
			"filterValues has %d entries; at most %d are allowed.", len(values), MaxFilterValues)
	}
	for _, key := range slices.Sorted(maps.Keys(values)) {
		if !validPlaceholderName(key) {
			return nil, perch.Errorf(perch.EInvalidInput,
				"filterValues key %q must be 1 to %d letters, digits or underscores.", key, MaxPlaceholderName)
		}
		if n := utf8.RuneCountInString(values[key]); n > MaxFilterValueLength {
			return nil, perch.Errorf(perch.EInvalidInput,
				"filterValues value for %s has %d characters; at most %d are allowed.", key, n, MaxFilterValueLength)
		}
	}

	parsed := map[string][]literal{}
	for name, raw := range values {
		if strings.TrimSpace(raw) == "" {
			continue
		}
		list, err := parseFilterValue(name, raw)
		if err != nil {
			return nil, err
		}
		parsed[name] = list
	}

	b := &Bound{filter: f}
	for _, e := range f.expressions {
		missing := missingPlaceholder(e, parsed)
		if missing != "" && e.include {
			return nil, perch.Errorf(perch.EInvalidInput,
				"The filter's expression %q has the placeholder $%s, but filterValues has no value for %s.",
				expressionText(f, e), missing, missing)
		}
		if missing != "" {
			continue
		}
		be := &boundExpression{expression: e}
		for _, group := range e.where {
			var bound []*boundCondition
			for _, c := range group {
				bc, err := bindCondition(c, parsed)
				if err != nil {
					return nil, err
				}
				bound = append(bound, bc)
			}
			be.where = append(be.where, bound)
		}
		for _, c := range e.when {
			bc, err := bindCondition(c, parsed)
			if err != nil {
				return nil, err
			}
			be.when = append(be.when, bc)
		}
		b.expressions = append(b.expressions, be)
	}
	return b, nil
}

func validPlaceholderName(s string) bool {
	if s == "" || len(s) > MaxPlaceholderName {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isWordByte(s[i]) {
			return false
		}
	}
	return true
}

// missingPlaceholder returns the first placeholder of e without a value.
func missingPlaceholder(e *expression, values map[string][]literal) string {
	for _, group := range append(slices.Clone(e.where), e.when) {
		for _, c := range group {
			if c.rhs.kind == valuePlaceholder && values[c.rhs.placeholder] == nil {
				return c.rhs.placeholder
			}
		}
	}
	return ""
}

// expressionText is e in canonical form, for error messages.
func expressionText(f *Filter, e *expression) string {
	return (&Filter{target: f.target, expressions: []*expression{e}}).String()
}

// literal is one value of a filterValues entry.
type literal struct {
	text   string
	quoted bool
}

// parseFilterValue reads `"a", "b", 3`: double-quoted literals, or bare
// numbers, separated by commas. It reuses the expression lexer so that
// quoting and escapes read the same in both places.
func parseFilterValue(name, raw string) ([]literal, error) {
	bad := func(reason string) error {
		return perch.Errorf(perch.EInvalidInput,
			`filterValues value for %s must be a comma-separated list of double-quoted values, such as "\"comedy\",\"drama\"": %s`,
			name, reason)
	}
	unreadable := func(t token) string {
		return fmt.Sprintf("invalid symbol %s at position %d. %s", symbolText(t.err.symbol), position(raw, t.pos), t.err.reason)
	}
	tokens := lex(raw)
	var list []literal
	for i := 0; ; i++ {
		t := tokens[i]
		switch t.kind {
		case tokString:
			list = append(list, literal{text: t.text, quoted: true})
		case tokNumber:
			list = append(list, literal{text: t.raw})
		case tokError:
			return nil, bad(unreadable(t))
		default:
			return nil, bad(fmt.Sprintf("expected a value at position %d.", position(raw, t.pos)))
		}
		i++
		switch t := tokens[i]; t.kind {
		case tokEOF:
			return list, nil
		case tokComma:
		case tokError:
			return nil, bad(unreadable(t))
		default:
			return nil, bad(fmt.Sprintf(`expected "," at position %d.`, position(raw, tokens[i].pos)))
		}
	}
}

// bindCondition resolves c's values: its literals, or its placeholder's
// filterValues entry.
func bindCondition(c *condition, values map[string][]literal) (*boundCondition, error) {
	bc := &boundCondition{condition: c}
	switch c.rhs.kind {
	case valueNumber:
		bc.number = c.rhs.number
	case valueStrings:
		bc.setStrings(c.rhs.strings)
	case valuePlaceholder:
		list := values[c.rhs.placeholder]
		if c.op.matchesStrings() {
			texts := make([]string, len(list))
			for i, l := range list {
				texts[i] = l.text
			}
			bc.setStrings(texts)
			break
		}
		n, err := strconv.ParseFloat(strings.TrimSpace(list[0].text), 64)
		if len(list) != 1 || err != nil {
			return nil, perch.Errorf(perch.EInvalidInput,
				"filterValues value for %s must be one number, such as \"20\", for the condition %s %s $%s.",
				c.rhs.placeholder, c.lhsText(), c.op, c.rhs.placeholder)
		}
		bc.number = n
	}
	return bc, nil
}

func (bc *boundCondition) setStrings(list []string) {
	bc.strings = make(map[string]bool, len(list))
	for _, s := range list {
		if bc.lhs.interactions() {
			if s == "*" {
				bc.anyEvent = true
			}
			s = strings.ToLower(s)
		}
		bc.strings[s] = true
	}
}

func (c *condition) lhsText() string {
	if c.currentUser {
		return "CurrentUser." + c.lhs.def.Name
	}
	return c.lhs.String()
}
