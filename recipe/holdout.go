package recipe

import (
	"cmp"
	"fmt"
	"slices"
)

// HeldOut is a user that Evaluate's holdout scores: the user's id, the
// oldest interactions given as input (oldest first) and the newest ones'
// items the user did not already have, which a list should find.
type HeldOut struct {
	User  string
	Input []Event
	Truth map[string]bool
}

// Holdout is Evaluate's split, exported so that a model trained outside
// this package (another recommender, a benchmark's peer) is scored on the
// very same users and items: train is what a model may learn from (the
// training users' interactions and the held-out users' inputs), users
// what it is scored on, in Evaluate's order.
func Holdout(d *Data, p Params) (train *Data, users []HeldOut, err error) {
	if err := d.check(); err != nil {
		return nil, nil, err
	}
	rule, err := newEventRule(p)
	if err != nil {
		return nil, nil, err
	}
	train, held := split(d, &rule, p.Seed)
	ids, err := heldOutUsers(d, &rule, train, held)
	if err != nil {
		return nil, nil, err
	}
	users = make([]HeldOut, len(held))
	for i, h := range held {
		users[i] = HeldOut{User: ids[i], Input: h.history, Truth: h.relevant}
	}
	return train, users, nil
}

// heldOutUsers names the user of each of split's held-out users, which
// split does not record. A held-out user is one that train has fewer
// usable interactions of than d (split keeps a held-out user's newest
// tenth out); split appends such users in ascending index, and leaves out
// of held those whose newest tenth had nothing new, so each held history
// is matched to the next of those users whose input it equals.
func heldOutUsers(d *Data, rule *eventRule, train *Data, held []heldOut) ([]string, error) {
	usable := make([]int, len(d.Users))
	for _, x := range d.Interactions {
		if rule.weight(x.EventType, x.Value) > 0 {
			usable[x.User]++
		}
	}
	inputs := make([][]Interaction, len(d.Users))
	for _, x := range train.Interactions {
		inputs[x.User] = append(inputs[x.User], x)
	}
	ids := make([]string, 0, len(held))
	for u, in := range inputs {
		if len(ids) == len(held) {
			break
		}
		if len(in) < usable[u] && sameEvents(d, in, held[len(ids)].history) {
			ids = append(ids, d.Users[u])
		}
	}
	if len(ids) != len(held) {
		return nil, fmt.Errorf("recipe: named %d of %d held-out users", len(ids), len(held))
	}
	return ids, nil
}

// sameEvents tells whether the interactions in are the events h, in
// time order.
func sameEvents(d *Data, in []Interaction, h []Event) bool {
	if len(in) != len(h) {
		return false
	}
	in = slices.Clone(in)
	slices.SortStableFunc(in, func(a, b Interaction) int { return cmp.Compare(a.Time, b.Time) })
	for i, x := range in {
		if d.Items[x.Item] != h[i].Item || x.Time != h[i].Time || x.EventType != h[i].EventType {
			return false
		}
	}
	return true
}

// HoldoutLists gives each held-out user the 25 items Evaluate gives them
// from model: from their input (user-personalization, popularity-count,
// trending-now) or from their newest input item (sims, similar-items).
func HoldoutLists(model Model, users []HeldOut) ([][]string, error) {
	lists := make([][]string, len(users))
	switch m := model.(type) {
	case ForUser:
		forEachItem(len(users), func() struct{} { return struct{}{} }, func(_ struct{}, i int) {
			lists[i] = ids(m.RecommendForUser(users[i].Input, evalList, nil))
		})
	case Related:
		forEachItem(len(users), func() struct{} { return struct{}{} }, func(_ struct{}, i int) {
			last := slices.MaxFunc(users[i].Input, func(a, b Event) int { return cmp.Compare(a.Time, b.Time) })
			lists[i] = ids(m.RecommendRelated(last.Item, evalList, nil))
		})
	default:
		return nil, fmt.Errorf("recipe %q has no recommendations to evaluate", model.Recipe())
	}
	return lists, nil
}

// Score is Evaluate's metrics of lists, lists[i] being the items given
// to users[i], best first; nItems is the size of the catalogue that
// coverage is a share of.
func Score(lists [][]string, users []HeldOut, nItems int) map[string]float64 {
	held := make([]heldOut, len(users))
	for i, u := range users {
		held[i] = heldOut{history: u.Input, relevant: u.Truth}
	}
	return score(lists, held, nItems)
}
