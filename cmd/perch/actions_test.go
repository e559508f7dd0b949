package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/personalize"
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents"
	evtypes "github.com/aws/aws-sdk-go-v2/service/personalizeevents/types"
	"github.com/aws/aws-sdk-go-v2/service/personalizeruntime"

	"github.com/perchdev/perch/recipe"
)

// TestNextBestActionThroughTheSDK walks next-best-action with the Go SDK
// against perch serve: datasets and records through the events API, a
// solution of aws-next-best-action trained, its metrics, a campaign, and
// GetActionRecommendations (planted segments, filters, the wrong
// operation on each kind of campaign).
func TestNextBestActionThroughTheSDK(t *testing.T) {
	s := startServer(t, t.TempDir())
	ctx := context.Background()
	cp := controlClient(s.endpoint)
	ev := clusterEvents(s.endpoint)
	rt := runtimeClient(s.endpoint)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	group, err := cp.CreateDatasetGroup(ctx, &personalize.CreateDatasetGroupInput{Name: aws.String("bank")})
	must(err)
	dataset := func(typ, schema string) *string {
		t.Helper()
		sc, err := cp.CreateSchema(ctx, &personalize.CreateSchemaInput{Name: aws.String(typ), Schema: aws.String(schema)})
		must(err)
		d, err := cp.CreateDataset(ctx, &personalize.CreateDatasetInput{Name: aws.String(typ), DatasetGroupArn: group.DatasetGroupArn,
			DatasetType: aws.String(typ), SchemaArn: sc.SchemaArn})
		must(err)
		return d.DatasetArn
	}
	record := func(name, fields string) string {
		return `{"type":"record","name":"` + name + `","namespace":"com.amazonaws.personalize.schema","fields":[` + fields + `],"version":"1.0"}`
	}
	dataset("Interactions", record("Interactions", `{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}`))
	actionsARN := dataset("Actions", record("Actions", `{"name":"ACTION_ID","type":"string"},{"name":"VALUE","type":["null","long"]},`+
		`{"name":"LEVEL","type":["null","string"],"categorical":true}`))
	aiARN := dataset("Action_Interactions", record("ActionInteractions", `{"name":"USER_ID","type":"string"},{"name":"ACTION_ID","type":"string"},`+
		`{"name":"EVENT_TYPE","type":"string"},{"name":"TIMESTAMP","type":"long"}`))
	ai, err := cp.DescribeDataset(ctx, &personalize.DescribeDatasetInput{DatasetArn: aiARN})
	must(err)
	tracker, err := cp.CreateEventTracker(ctx, &personalize.CreateEventTrackerInput{Name: aws.String("web"), DatasetGroupArn: group.DatasetGroupArn})
	must(err)

	// AWS's minimums apply to the Interactions dataset: 1000 clicks of
	// 50 users.
	var calls []func() error
	at := time.Unix(1717000000, 0)
	for u := range 50 {
		var events []evtypes.Event
		for i := range 20 {
			events = append(events, evtypes.Event{EventType: aws.String("click"), ItemId: aws.String(fmt.Sprintf("item-%d", (u+i)%40)),
				SentAt: aws.Time(at.Add(time.Duration(i) * time.Minute))})
		}
		for len(events) > 0 {
			batch := events[:10]
			events = events[10:]
			user := fmt.Sprintf("user-%d", u)
			calls = append(calls, func() error {
				_, err := ev.PutEvents(ctx, &personalizeevents.PutEventsInput{TrackingId: tracker.TrackingId, UserId: aws.String(user),
					SessionId: aws.String("s-" + user), EventList: batch})
				return err
			})
		}
	}
	data := recipe.SyntheticActions(recipe.DefaultSyntheticActions(300, 8, 3))
	var actions []evtypes.Action
	for a, id := range data.Actions {
		level := "silver"
		if a%2 == 0 {
			level = "gold"
		}
		actions = append(actions, evtypes.Action{ActionId: aws.String(id),
			Properties: aws.String(fmt.Sprintf(`{"value":%g,"level":%q}`, data.ActionValue[a], level))})
	}
	calls = append(calls, func() error {
		_, err := ev.PutActions(ctx, &personalizeevents.PutActionsInput{DatasetArn: actionsARN, Actions: actions})
		return err
	})
	var batch []evtypes.ActionInteraction
	flush := func() {
		b := batch
		batch = nil
		calls = append(calls, func() error {
			_, err := ev.PutActionInteractions(ctx, &personalizeevents.PutActionInteractionsInput{TrackingId: ai.Dataset.TrackingId, ActionInteractions: b})
			return err
		})
	}
	for _, x := range data.ActionInteractions {
		batch = append(batch, evtypes.ActionInteraction{ActionId: aws.String(data.Actions[x.Action]), UserId: aws.String(data.Users[x.User]),
			SessionId: aws.String("s"), EventType: aws.String(x.EventType), Timestamp: aws.Time(time.UnixMilli(x.Time))})
		if len(batch) == 10 {
			flush()
		}
	}
	if len(batch) > 0 {
		flush()
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(calls))
	work := make(chan func() error)
	for range 8 {
		wg.Go(func() {
			for call := range work {
				if err := call(); err != nil {
					errs <- err
				}
			}
		})
	}
	for _, c := range calls {
		work <- c
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	train := func(name, recipeName string) *string {
		t.Helper()
		sol, err := cp.CreateSolution(ctx, &personalize.CreateSolutionInput{Name: aws.String(name), DatasetGroupArn: group.DatasetGroupArn,
			RecipeArn: aws.String("arn:aws:personalize:::recipe/" + recipeName), PerformAutoTraining: aws.Bool(false)})
		must(err)
		v, err := cp.CreateSolutionVersion(ctx, &personalize.CreateSolutionVersionInput{SolutionArn: sol.SolutionArn})
		must(err)
		waitVersionActive(t, cp, v.SolutionVersionArn, 2*time.Minute)
		c, err := cp.CreateCampaign(ctx, &personalize.CreateCampaignInput{Name: aws.String(name), SolutionVersionArn: v.SolutionVersionArn})
		must(err)
		if recipeName == recipe.NextBestAction {
			m, err := cp.GetSolutionMetrics(ctx, &personalize.GetSolutionMetricsInput{SolutionVersionArn: v.SolutionVersionArn})
			must(err)
			t.Logf("metrics %v", m.Metrics)
			// Chance is 0.5; 30 held-out users make the figure vary from one
			// version to the next (0.70 to 0.80 seen).
			if m.Metrics[recipe.MetricActionAUC] < 0.55 || len(m.Metrics) != 4 {
				t.Errorf("metrics %v", m.Metrics)
			}
		}
		return c.CampaignArn
	}
	nba := train("nba", recipe.NextBestAction)

	hits, total := 0, 0
	for u := 1; u < len(data.Users); u += 10 {
		out, err := rt.GetActionRecommendations(ctx, &personalizeruntime.GetActionRecommendationsInput{CampaignArn: nba, UserId: aws.String(data.Users[u])})
		must(err)
		if len(out.ActionList) != 5 || !strings.HasPrefix(aws.ToString(out.RecommendationId), "RID-") {
			t.Fatalf("user %d: %d actions, recommendationId %q", u, len(out.ActionList), aws.ToString(out.RecommendationId))
		}
		for _, a := range out.ActionList {
			if a.Score == nil || *a.Score < 0 || *a.Score > 1 {
				t.Fatalf("user %d: action %s scored %v", u, aws.ToString(a.ActionId), a.Score)
			}
		}
		// Two of the eight actions are of the user's segment.
		for _, a := range out.ActionList[:2] {
			total++
			var i int
			fmt.Sscanf(aws.ToString(a.ActionId), "action-%d", &i)
			if data.ActionSegment[i] == data.UserSegment[u] {
				hits++
			}
		}
	}
	t.Logf("%d of %d first-two actions of the user's segment", hits, total)
	if share := float64(hits) / float64(total); share < 0.6 {
		t.Errorf("%.2f of the first two actions are of the user's segment (chance 0.25)", share)
	}

	cold, err := rt.GetActionRecommendations(ctx, &personalizeruntime.GetActionRecommendationsInput{CampaignArn: nba, UserId: aws.String("stranger"), NumResults: 100})
	must(err)
	if len(cold.ActionList) != len(data.Actions) || *cold.ActionList[0].Score != 0 {
		t.Errorf("cold user: %d actions, first scored %v", len(cold.ActionList), cold.ActionList[0].Score)
	}

	filter, err := cp.CreateFilter(ctx, &personalize.CreateFilterInput{Name: aws.String("gold"), DatasetGroupArn: group.DatasetGroupArn,
		FilterExpression: aws.String(`INCLUDE ActionID WHERE Actions.LEVEL IN ($LEVEL)`)})
	must(err)
	gold, err := rt.GetActionRecommendations(ctx, &personalizeruntime.GetActionRecommendationsInput{CampaignArn: nba, UserId: aws.String(data.Users[1]),
		FilterArn: filter.FilterArn, FilterValues: map[string]string{"LEVEL": `"gold"`}, NumResults: 100})
	must(err)
	if len(gold.ActionList) != len(data.Actions)/2 {
		t.Errorf("gold filter: %d actions", len(gold.ActionList))
	}
	for _, a := range gold.ActionList {
		var i int
		fmt.Sscanf(aws.ToString(a.ActionId), "action-%d", &i)
		if i%2 != 0 {
			t.Errorf("gold filter kept %s", aws.ToString(a.ActionId))
		}
	}

	popular := train("popular", recipe.PopularityCount)
	_, err = rt.GetRecommendations(ctx, &personalizeruntime.GetRecommendationsInput{CampaignArn: nba, UserId: aws.String("user-1")})
	if errorCode(err) != "InvalidInputException" || !strings.Contains(err.Error(), "call GetActionRecommendations") {
		t.Errorf("GetRecommendations on an NBA campaign: %v", err)
	}
	_, err = rt.GetActionRecommendations(ctx, &personalizeruntime.GetActionRecommendationsInput{CampaignArn: popular, UserId: aws.String("user-1")})
	if errorCode(err) != "InvalidInputException" || !strings.Contains(err.Error(), "call GetRecommendations") {
		t.Errorf("GetActionRecommendations on an item campaign: %v", err)
	}
	_, err = rt.GetActionRecommendations(ctx, &personalizeruntime.GetActionRecommendationsInput{CampaignArn: nba})
	if errorCode(err) != "InvalidInputException" {
		t.Errorf("no userId: %v", err)
	}
	_, err = rt.GetActionRecommendations(ctx, &personalizeruntime.GetActionRecommendationsInput{CampaignArn: nba, UserId: aws.String("u"), NumResults: 101})
	if errorCode(err) != "InvalidInputException" {
		t.Errorf("numResults 101: %v", err)
	}
}
