package recipe

import (
	"math"
	"slices"
	"testing"
)

// trainPlanted trains next-best-action on SyntheticActions data without
// the users of held, and returns the model and data.
func trainPlanted(t *testing.T, held func(u int) bool) (*Actions, *SyntheticActionsData) {
	t.Helper()
	s := SyntheticActions(DefaultSyntheticActions(3000, 20, 7))
	train := *s.Data
	train.ActionInteractions = nil
	for _, x := range s.ActionInteractions {
		if !held(int(x.User)) {
			train.ActionInteractions = append(train.ActionInteractions, x)
		}
	}
	m, err := Train(NextBestAction, &train, Params{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	return m.(*Actions), s
}

// The planted segments are recovered: users unseen at training, given
// their first few interactions, are recommended the actions of their
// segment far above chance (a quarter of the actions are of it).
func TestActionsRecoverPlantedSegments(t *testing.T) {
	held := func(u int) bool { return u%10 == 0 }
	m, s := trainPlanted(t, held)
	var inSegment, shown, top, users int
	for u := range s.Users {
		if !held(u) {
			continue
		}
		var history []ActionEvent
		for _, x := range s.ActionInteractions {
			if int(x.User) == u && len(history) < 8 {
				history = append(history, ActionEvent{Action: s.Actions[x.Action], Time: x.Time, EventType: x.EventType})
			}
		}
		if !slices.ContainsFunc(history, func(e ActionEvent) bool { return e.EventType == ActionTaken }) {
			continue
		}
		got := m.RecommendActions(history, s.ActionInteractions[0].Time, nil, 5, nil)
		if len(got) != 5 {
			t.Fatalf("user %d: %d actions, want 5", u, len(got))
		}
		users++
		for i, r := range got {
			if r.Score < 0 || r.Score > 1 || !r.HasScore {
				t.Fatalf("user %d: score %v of %s is not a propensity", u, r.Score, r.Item)
			}
			if i > 0 && r.Score > got[i-1].Score {
				t.Fatalf("user %d: scores not descending: %v", u, got)
			}
			if s.ActionSegment[m.index[r.Item]] == s.UserSegment[u] {
				inSegment++
				if i == 0 {
					top++
				}
			}
			shown++
		}
	}
	share, topShare := float64(inSegment)/float64(shown), float64(top)/float64(users)
	t.Logf("%d held-out users: %.3f of the top 5 and %.3f of the firsts in the user's segment (chance 0.25)", users, share, topShare)
	if users < 200 || share < 0.6 || topShare < 0.75 {
		t.Errorf("planted segments not recovered: %.3f of the top 5, %.3f of the firsts, over %d users", share, topShare, users)
	}
}

func TestActionsEvaluate(t *testing.T) {
	s := SyntheticActions(DefaultSyntheticActions(3000, 20, 11))
	got, err := Evaluate(NextBestAction, s.Data, Params{Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("metrics: %v", got)
	// Chance: an AUC of 0.5, recall 0.25 (5 of 20 actions), precision
	// about 0.055 (a user takes about 0.19 of its segment's actions in
	// the last 14 days of 56, and 0.011 of the others'). The planted
	// structure bounds precision near 0.19.
	if got[MetricActionAUC] < 0.75 || got[MetricActionRecall] < 0.6 || got[MetricActionPrecision] < 0.12 || got[MetricActionCoverage] != 1 {
		t.Errorf("metrics far from the planted structure's: %v", got)
	}
	again, _ := Evaluate(NextBestAction, s.Data, Params{Seed: 11})
	for k, v := range got {
		if again[k] != v {
			t.Errorf("%s: %v then %v with the same seed", k, v, again[k])
		}
	}
}

// A user without action interactions gets 0.0 for every action, in
// order of VALUE; expired actions and those blocked by REPEAT_FREQUENCY
// are left out; a model reloads to the same answers.
func TestActionsColdExpiryRepeat(t *testing.T) {
	m, s := trainPlanted(t, func(int) bool { return false })
	cold := m.RecommendActions(nil, 0, nil, 100, nil)
	if len(cold) != len(s.Actions) {
		t.Fatalf("cold user: %d actions, want %d", len(cold), len(s.Actions))
	}
	for i, r := range cold {
		if r.Score != 0 || !r.HasScore {
			t.Fatalf("cold user: %s scores %v", r.Item, r.Score)
		}
		if i > 0 && s.ActionValue[m.index[r.Item]] > s.ActionValue[m.index[cold[i-1].Item]] {
			t.Fatalf("cold user: not in order of VALUE: %v", cold)
		}
	}

	const day = 86400e3
	now := int64(1717200000000)
	history := []ActionEvent{{Action: "action-0", Time: now - 2*day, EventType: "Taken"}, {Action: "action-4", Time: now - 9*day, EventType: ActionTaken}}
	state := func(id string) (ActionState, bool) {
		switch id {
		case "action-8":
			return ActionState{Value: 5, Expires: now - 1}, true
		case "action-0", "action-4":
			return ActionState{Value: 5, RepeatDays: 7}, true
		}
		return ActionState{}, false
	}
	got := ids(m.RecommendActions(history, now, state, 100, nil))
	for _, gone := range []string{"action-8", "action-0"} {
		if slices.Contains(got, gone) {
			t.Errorf("%s recommended: %v", gone, got)
		}
	}
	if !slices.Contains(got, "action-4") || len(got) != len(s.Actions)-2 {
		t.Errorf("got %v, want every action but action-0 and action-8", got)
	}
	if got[0] != "action-4" && got[0] != "action-12" && got[0] != "action-16" {
		t.Errorf("first action %s is not of the user's segment (action-0's)", got[0])
	}

	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Load(b)
	if err != nil {
		t.Fatal(err)
	}
	a, b2 := m.RecommendActions(history, now, state, 10, nil), back.(ActionRecommender).RecommendActions(history, now, state, 10, nil)
	if !slices.Equal(a, b2) {
		t.Errorf("reloaded model answers %v, not %v", b2, a)
	}
}

// AWS scores an action only after 50 TAKEN and 50 NOT_TAKEN or VIEWED
// interactions in the six weeks before the newest; no interaction at all
// still trains, and scores everything 0.
func TestActionsScoredOnlyWithEnoughInteractions(t *testing.T) {
	d := &Data{Users: []string{"u"}, Actions: []string{"a", "b"}, ActionValue: []float64{1, math.NaN()}}
	m, err := Train(NextBestAction, d, Params{})
	if err != nil {
		t.Fatal(err)
	}
	got := m.(ActionRecommender).RecommendActions([]ActionEvent{{Action: "a", EventType: ActionTaken}}, 0, nil, 5, nil)
	if len(got) != 2 || got[0].Item != "a" || got[0].Score != 0 || got[1].Score != 0 {
		t.Errorf("without interactions: %v", got)
	}

	s := SyntheticActions(DefaultSyntheticActions(300, 20, 3))
	m, err = Train(NextBestAction, s.Data, Params{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	newest := int64(0)
	for _, x := range s.ActionInteractions {
		newest = max(newest, x.Time)
	}
	some := 0
	for a, ok := range m.(*Actions).scored {
		taken, other := 0, 0
		for _, x := range s.ActionInteractions {
			switch {
			case int(x.Action) != a || x.Time < newest-scoredWindow:
			case x.EventType == ActionTaken:
				taken++
			default:
				other++
			}
		}
		if ok != (taken >= scoredMinimum && other >= scoredMinimum) {
			t.Errorf("action %d scored %v with %d TAKEN and %d others", a, ok, taken, other)
		}
		if ok {
			some++
		}
	}
	if some == 0 || some == len(s.Actions) {
		t.Errorf("%d of %d actions scored: the data should leave some of each", some, len(s.Actions))
	}
	if _, err := Train(NextBestAction, s.Data, Params{Features: map[string]string{"action_optimization_period": "30"}}); err == nil {
		t.Error("action_optimization_period 30 accepted")
	}
}
