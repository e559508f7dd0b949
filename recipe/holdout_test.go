package recipe

import (
	"cmp"
	"maps"
	"slices"
	"testing"
)

// Scoring a model trained on Holdout's train with HoldoutLists and Score
// must give exactly Evaluate's figures: that is what lets a recommender
// outside this package be compared with perch's on the same split.
func TestHoldoutScoresAsEvaluate(t *testing.T) {
	s := planted()
	p := Params{Seed: 1}
	train, users, err := Holdout(s.Data, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{PopularityCount, UserPersonalizationV2, Sims} {
		want, err := Evaluate(r, s.Data, p)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Train(r, train, p)
		if err != nil {
			t.Fatal(err)
		}
		lists, err := HoldoutLists(m, users)
		if err != nil {
			t.Fatal(err)
		}
		if got := Score(lists, users, len(s.Items)); !maps.Equal(got, want) {
			t.Errorf("%s: Score gives %v, Evaluate %v", r, got, want)
		}
	}
}

// Each held-out user is named rightly: its input is its own oldest
// interactions and its truth items come from its own newest ones.
func TestHoldoutNamesTheUsers(t *testing.T) {
	s := planted()
	_, users, err := Holdout(s.Data, Params{Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(users) < 250 || len(users) > 310 {
		t.Errorf("%d held-out users of 3000", len(users))
	}
	index := map[string]int32{}
	for i, u := range s.Users {
		index[u] = int32(i)
	}
	seen := map[string]bool{}
	for _, h := range users {
		if seen[h.User] {
			t.Fatalf("%s held out twice", h.User)
		}
		seen[h.User] = true
		all := historyOf(s.Data, index[h.User])
		slices.SortStableFunc(all, func(a, b Event) int { return cmp.Compare(a.Time, b.Time) })
		if len(h.Input) >= len(all) {
			t.Fatalf("%s: input of %d of %d interactions", h.User, len(h.Input), len(all))
		}
		for i, e := range h.Input {
			if e.Item != all[i].Item || e.Time != all[i].Time {
				t.Fatalf("%s: input %d is %v, the user's %v", h.User, i, e, all[i])
			}
		}
		newest := map[string]bool{}
		for _, e := range all[len(h.Input):] {
			newest[e.Item] = true
		}
		for it := range h.Truth {
			if !newest[it] {
				t.Fatalf("%s: truth item %s is not among the user's newest", h.User, it)
			}
		}
	}
}
