package serving_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/recipe"
	"github.com/perchdev/perch/solutions"
	"github.com/perchdev/perch/training"
)

const (
	actionsSchema = `{"type":"record","name":"Actions","namespace":"com.amazonaws.personalize.schema","fields":[` +
		`{"name":"ACTION_ID","type":"string"},{"name":"VALUE","type":["null","long"]},` +
		`{"name":"EXPIRATION_TIMESTAMP","type":["null","long"]},{"name":"REPEAT_FREQUENCY","type":["null","int"]},` +
		`{"name":"LEVEL","type":["null","string"],"categorical":true}],"version":"1.0"}`
	actionInteractionsSchema = `{"type":"record","name":"ActionInteractions","namespace":"com.amazonaws.personalize.schema","fields":[` +
		`{"name":"USER_ID","type":"string"},{"name":"ACTION_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},` +
		`{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}`
)

// actionWorld adds Actions and Action_Interactions datasets to a world
// and loads planted next-best-action data into them: action a has LEVEL
// "gold" when a % 3 == 0, else "silver".
type actionWorld struct {
	*world
	actions  *perch.Dataset
	tracking string
	data     *recipe.SyntheticActionsData
}

func newActionWorld(t *testing.T) *actionWorld {
	w := &actionWorld{world: newWorld(t, config())}
	as := must(w.cat.CreateSchema(w.ctx, perch.CreateSchemaInput{Name: "actions", Definition: actionsSchema}))(t)
	w.actions = must(w.cat.CreateDataset(w.ctx, perch.CreateDatasetInput{Name: "actions", SchemaARN: as.ARN, GroupARN: w.group.ARN, Type: "Actions"}))(t)
	ais := must(w.cat.CreateSchema(w.ctx, perch.CreateSchemaInput{Name: "action-interactions", Definition: actionInteractionsSchema}))(t)
	w.tracking = must(w.cat.CreateDataset(w.ctx, perch.CreateDatasetInput{Name: "ai", SchemaARN: ais.ARN, GroupARN: w.group.ARN, Type: "Action_Interactions"}))(t).TrackingID

	w.data = recipe.SyntheticActions(recipe.DefaultSyntheticActions(800, 12, 5))
	for a, id := range w.data.Actions {
		level := "silver"
		if a%3 == 0 {
			level = "gold"
		}
		w.putAction(id, fmt.Sprintf(`{"value":%g,"level":%q}`, w.data.ActionValue[a], level))
	}
	var batch []perch.ActionInteraction
	for _, x := range w.data.ActionInteractions {
		batch = append(batch, perch.ActionInteraction{EventType: x.EventType, ActionID: w.data.Actions[x.Action],
			UserID: w.data.Users[x.User], Timestamp: perch.Timestamp(x.Time)})
	}
	for len(batch) > 0 {
		n := min(len(batch), 500)
		if err := w.ingest.PutActionInteractions(w.ctx, w.tracking, batch[:n]); err != nil {
			t.Fatal(err)
		}
		batch = batch[n:]
	}
	return w
}

func (w *actionWorld) putAction(id, properties string) {
	w.t.Helper()
	if err := w.ingest.PutEntities(w.ctx, w.actions.ARN, perch.Actions, []perch.Entity{{ID: id, Properties: properties}}); err != nil {
		w.t.Fatal(err)
	}
}

func (w *actionWorld) actionsFor(in perch.ActionRecommendationsInput) *perch.Recommendations {
	w.t.Helper()
	return must(w.rt.GetActionRecommendations(w.ctx, in))(w.t)
}

func TestNextBestAction(t *testing.T) {
	t.Parallel()
	w := newActionWorld(t)
	c := w.serve("nba", recipe.NextBestAction, perch.CreateSolutionInput{}, nil)
	v := must(w.sols.DescribeSolutionVersion(w.ctx, c.SolutionVersionARN))(t)
	for _, key := range []string{recipe.MetricActionPrecision, recipe.MetricActionRecall, recipe.MetricActionAUC, recipe.MetricActionCoverage} {
		if _, ok := v.Metrics[key]; !ok {
			t.Errorf("metrics %v lack %s", v.Metrics, key)
		}
	}
	if v.Metrics[recipe.MetricActionAUC] < 0.65 {
		t.Errorf("AUC %v on planted data", v.Metrics[recipe.MetricActionAUC])
	}

	// Users get the actions of their planted segment, scored 0..1, best
	// first; five by default.
	hits, total := 0, 0
	for u := 0; u < len(w.data.Users); u += 8 {
		got := w.actionsFor(perch.ActionRecommendationsInput{CampaignARN: c.ARN, UserID: w.data.Users[u]})
		if len(got.Items) != 5 || sourceOf(t, got.RecommendationID, c.ARN) != c.ARN {
			t.Fatalf("user %d: %+v", u, got)
		}
		for i, it := range got.Items {
			if it.Score == nil || *it.Score < 0 || *it.Score > 1 || i > 0 && *it.Score > *got.Items[i-1].Score {
				t.Fatalf("user %d: scores %+v", u, got.Items)
			}
			total++
			if w.data.ActionSegment[slices.Index(w.data.Actions, it.ItemID)] == w.data.UserSegment[u] {
				hits++
			}
		}
	}
	// Three of the twelve actions are of each segment: at most 3 of 5
	// can be, and chance is a quarter.
	if share := float64(hits) / float64(total); share < 0.45 {
		t.Errorf("%.2f of the actions recommended are of the user's segment (chance 0.25, at most 0.6)", share)
	}

	// A user without action interactions: 0.0 for all, by VALUE.
	cold := w.actionsFor(perch.ActionRecommendationsInput{CampaignARN: c.ARN, UserID: "nobody", NumResults: 100})
	if len(cold.Items) != len(w.data.Actions) {
		t.Fatalf("cold user: %d actions", len(cold.Items))
	}
	for i, it := range cold.Items {
		value := w.data.ActionValue[slices.Index(w.data.Actions, it.ItemID)]
		if *it.Score != 0 || i > 0 && value > w.data.ActionValue[slices.Index(w.data.Actions, cold.Items[i-1].ItemID)] {
			t.Fatalf("cold user: %+v", cold.Items)
		}
	}

	// An expired action is dropped at once; so is one the user took
	// within its REPEAT_FREQUENCY.
	user := w.data.Users[1]
	first := w.actionsFor(perch.ActionRecommendationsInput{CampaignARN: c.ARN, UserID: user}).Items[0].ItemID
	w.putAction(first, `{"value":1,"expirationTimestamp":1000}`)
	if got := ids(w.actionsFor(perch.ActionRecommendationsInput{CampaignARN: c.ARN, UserID: user, NumResults: 100})); slices.Contains(got, first) || len(got) != len(w.data.Actions)-1 {
		t.Errorf("expired %s still recommended: %v", first, got)
	}
	second := w.actionsFor(perch.ActionRecommendationsInput{CampaignARN: c.ARN, UserID: user}).Items[0].ItemID
	w.putAction(second, `{"value":1,"repeatFrequency":30}`)
	if err := w.ingest.PutActionInteractions(w.ctx, w.tracking, []perch.ActionInteraction{
		{EventType: "TAKEN", ActionID: second, UserID: user, Timestamp: perch.TimestampOf(time.Now().Add(-24 * time.Hour))}}); err != nil {
		t.Fatal(err)
	}
	if got := ids(w.actionsFor(perch.ActionRecommendationsInput{CampaignARN: c.ARN, UserID: user, NumResults: 100})); slices.Contains(got, second) {
		t.Errorf("%s taken a day ago, repeat frequency 30 days, still recommended: %v", second, got)
	}
	if got := ids(w.actionsFor(perch.ActionRecommendationsInput{CampaignARN: c.ARN, UserID: w.data.Users[2], NumResults: 100})); !slices.Contains(got, second) {
		t.Errorf("%s blocked for a user who did not take it: %v", second, got)
	}

	// ActionID filters, on the Actions dataset and on the user's action
	// interactions.
	gold := w.createFilter("gold", `INCLUDE ActionID WHERE Actions.LEVEL IN ($LEVEL)`)
	got := w.actionsFor(perch.ActionRecommendationsInput{CampaignARN: c.ARN, UserID: user, NumResults: 100,
		FilterARN: gold.ARN, FilterValues: map[string]string{"LEVEL": `"gold"`}})
	for _, id := range ids(got) {
		if a := slices.Index(w.data.Actions, id); a%3 != 0 {
			t.Errorf("gold filter kept %s", id)
		}
	}
	// action-0, 3, 6 and 9, less those expired or blocked above.
	if n := len(got.Items); n < 2 || n > 4 {
		t.Errorf("gold filter kept %d actions: %v", n, ids(got))
	}
	untaken := w.createFilter("untaken", `EXCLUDE ActionID WHERE Action_Interactions.EVENT_TYPE IN ("TAKEN")`)
	taken := map[string]bool{second: true}
	for _, x := range w.data.ActionInteractions {
		if w.data.Users[x.User] == user && x.EventType == recipe.ActionTaken {
			taken[w.data.Actions[x.Action]] = true
		}
	}
	got = w.actionsFor(perch.ActionRecommendationsInput{CampaignARN: c.ARN, UserID: user, NumResults: 100, FilterARN: untaken.ARN})
	for _, id := range ids(got) {
		if taken[id] {
			t.Errorf("the user took %s, which the filter excludes", id)
		}
	}
	if len(got.Items) == 0 || len(got.Items)+len(taken) < len(w.data.Actions)-1 {
		t.Errorf("untaken filter kept %v of %d actions, the user took %v", ids(got), len(w.data.Actions), taken)
	}

	// The wrong operation, or the wrong filter, says which to call.
	items := w.serve("popular", recipe.PopularityCount, perch.CreateSolutionInput{}, nil)
	itemFilter := w.createFilter("items", `EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")`)
	for name, call := range map[string]func() error{
		"GetRecommendations on an NBA campaign":     rec(w.world, perch.RecommendationsInput{CampaignARN: c.ARN, UserID: user}),
		"GetPersonalizedRanking on an NBA campaign": rank(w.world, perch.RankingInput{CampaignARN: c.ARN, UserID: user, InputList: []string{"x"}}),
		"GetActionRecommendations on an item campaign": func() error {
			_, err := w.rt.GetActionRecommendations(w.ctx, perch.ActionRecommendationsInput{CampaignARN: items.ARN, UserID: user})
			return err
		},
		"no userId": func() error {
			_, err := w.rt.GetActionRecommendations(w.ctx, perch.ActionRecommendationsInput{CampaignARN: c.ARN})
			return err
		},
		"numResults 101": func() error {
			_, err := w.rt.GetActionRecommendations(w.ctx, perch.ActionRecommendationsInput{CampaignARN: c.ARN, UserID: user, NumResults: 101})
			return err
		},
		"an ItemID filter": func() error {
			_, err := w.rt.GetActionRecommendations(w.ctx, perch.ActionRecommendationsInput{CampaignARN: c.ARN, UserID: user, FilterARN: itemFilter.ARN})
			return err
		},
		"an ActionID filter on items": rec(w.world, perch.RecommendationsInput{CampaignARN: items.ARN, UserID: user, FilterARN: untaken.ARN}),
	} {
		err := call()
		if perch.ErrorCode(err) != perch.EInvalidInput {
			t.Errorf("%s: %v, want InvalidInputException", name, err)
			continue
		}
		msg := err.Error()
		switch {
		case strings.Contains(name, "NBA campaign") && !strings.Contains(msg, "GetActionRecommendations"),
			strings.Contains(name, "item campaign") && !strings.Contains(msg, "GetRecommendations"):
			t.Errorf("%s: %q does not say which operation to call", name, msg)
		}
		t.Logf("%s: %s", name, msg)
	}
	if _, err := w.rt.GetActionRecommendations(w.ctx, perch.ActionRecommendationsInput{CampaignARN: c.ARN + "x", UserID: user}); perch.ErrorCode(err) != perch.EResourceNotFound {
		t.Errorf("unknown campaign: %v", err)
	}
	raw, _ := json.Marshal(v.Metrics)
	t.Logf("metrics %s", raw)
}

// Without an Actions dataset, next-best-action fails its training with
// a reason that says so.
func TestNextBestActionNeedsActions(t *testing.T) {
	t.Parallel()
	w := newWorld(t, config())
	v := w.train("nba", recipe.NextBestAction, perch.CreateSolutionInput{})
	if v.Status != perch.StatusCreateFailed || !strings.Contains(v.FailureReason, "no Actions dataset") {
		t.Errorf("version %s: %s", v.Status, v.FailureReason)
	}
}

// Automatic training of next-best-action follows the action
// interactions: new item interactions make no version, new action
// interactions do.
func TestNextBestActionAutoTraining(t *testing.T) {
	t.Parallel()
	w := newActionWorld(t)
	w.trainer.Close()
	yes := true
	sol := must(w.sols.CreateSolution(w.ctx, perch.CreateSolutionInput{Name: "auto-nba", GroupARN: w.group.ARN,
		RecipeARN: solutions.RecipeARN(recipe.NextBestAction), PerformAutoTraining: &yes}))(t)
	start := time.Now()
	var ahead atomic.Int64
	now := func() time.Time { return start.Add(time.Duration(ahead.Load())) }
	auto := training.Start(training.Config{Store: w.store, Catalog: w.cat, Poll: 50 * time.Millisecond, Schedule: 20 * time.Millisecond, Now: now})
	defer auto.Close()
	versions := func(want int, within time.Duration) []*perch.SolutionVersion {
		t.Helper()
		for deadline := time.Now().Add(within); ; time.Sleep(20 * time.Millisecond) {
			list, _, err := w.sols.ListSolutionVersions(w.ctx, sol.ARN, perch.Page{})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) >= want || time.Now().After(deadline) {
				return list
			}
		}
	}
	ahead.Store(int64(61 * time.Minute))
	list := versions(1, time.Minute)
	if len(list) != 1 {
		t.Fatalf("%d versions after an hour, want 1", len(list))
	}
	if v := w.wait(list[0].ARN); v.Status != perch.StatusActive {
		t.Fatalf("automatic version: %s %q", v.Status, v.FailureReason)
	}
	ahead.Store(int64(61*time.Minute + 8*24*time.Hour))
	if err := w.ingest.PutEvents(w.ctx, w.tracker, []perch.Event{{EventType: "click", UserID: "u00001", ItemID: "i00001",
		SentAt: perch.TimestampOf(now())}}); err != nil {
		t.Fatal(err)
	}
	if list := versions(2, 300*time.Millisecond); len(list) != 1 {
		t.Fatalf("%d versions after new item interactions only, want 1", len(list))
	}
	if err := w.ingest.PutActionInteractions(w.ctx, w.tracking, []perch.ActionInteraction{
		{EventType: "TAKEN", ActionID: w.data.Actions[0], UserID: w.data.Users[0], Timestamp: perch.TimestampOf(now())}}); err != nil {
		t.Fatal(err)
	}
	if list := versions(2, time.Minute); len(list) != 2 {
		t.Fatalf("%d versions after new action interactions, want 2", len(list))
	}
}
