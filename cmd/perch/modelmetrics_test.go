package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/personalize"
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents"
	etypes "github.com/aws/aws-sdk-go-v2/service/personalizeevents/types"
	"github.com/aws/aws-sdk-go-v2/service/personalizeruntime"
)

// servedCampaign makes, through the SDK, a dataset group with 1,100
// interactions, trains an aws-popularity-count version on them and
// serves it with a campaign; it returns the campaign's and the version's
// ARNs and the group's.
func servedCampaign(t *testing.T, endpoint string) (campaignARN, versionARN, groupARN string) {
	t.Helper()
	ctx := context.Background()
	cp := controlClient(endpoint)
	ev := clusterEvents(endpoint)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	g, err := cp.CreateDatasetGroup(ctx, &personalize.CreateDatasetGroupInput{Name: aws.String("shop")})
	must(err)
	schema, err := cp.CreateSchema(ctx, &personalize.CreateSchemaInput{Name: aws.String("shop-interactions"), Schema: aws.String(clusterSchema)})
	must(err)
	_, err = cp.CreateDataset(ctx, &personalize.CreateDatasetInput{Name: aws.String("shop-interactions"), DatasetGroupArn: g.DatasetGroupArn,
		SchemaArn: schema.SchemaArn, DatasetType: aws.String("Interactions")})
	must(err)
	tracker, err := cp.CreateEventTracker(ctx, &personalize.CreateEventTrackerInput{Name: aws.String("web"), DatasetGroupArn: g.DatasetGroupArn})
	must(err)
	// Training needs 1,000 interactions.
	for u := range 110 {
		var list []etypes.Event
		for i := range 10 {
			list = append(list, etypes.Event{EventType: aws.String("click"), ItemId: aws.String(fmt.Sprint("item-", (u+i*i)%12)),
				SentAt: aws.Time(time.Unix(1700000000+int64(u*10+i), 0))})
		}
		_, err := ev.PutEvents(ctx, &personalizeevents.PutEventsInput{TrackingId: tracker.TrackingId, UserId: aws.String(fmt.Sprint("user-", u)),
			SessionId: aws.String(fmt.Sprint("s-", u)), EventList: list})
		must(err)
	}
	sol, err := cp.CreateSolution(ctx, &personalize.CreateSolutionInput{Name: aws.String("popular"), DatasetGroupArn: g.DatasetGroupArn,
		RecipeArn: aws.String("arn:aws:personalize:::recipe/aws-popularity-count"), PerformAutoTraining: aws.Bool(false)})
	must(err)
	v, err := cp.CreateSolutionVersion(ctx, &personalize.CreateSolutionVersionInput{SolutionArn: sol.SolutionArn})
	must(err)
	waitVersionActive(t, cp, v.SolutionVersionArn, 2*time.Minute)
	c, err := cp.CreateCampaign(ctx, &personalize.CreateCampaignInput{Name: aws.String("popular"), SolutionVersionArn: v.SolutionVersionArn})
	must(err)
	return aws.ToString(c.CampaignArn), aws.ToString(v.SolutionVersionArn), aws.ToString(g.DatasetGroupArn)
}

// TestServeMetricsOfModels scrapes perch serve --metrics after a training
// and GetRecommendations calls: the trainer's figures, the runtime's
// answers by campaign, their items and filter, and the served model's
// size; and every metric docs/grafana/perch.json queries.
func TestServeMetricsOfModels(t *testing.T) {
	metricsAddr := freeAddr(t)
	s := startServer(t, t.TempDir(), "--metrics", metricsAddr)
	ctx := context.Background()
	campaign, version, group := servedCampaign(t, s.endpoint)
	filter, err := controlClient(s.endpoint).CreateFilter(ctx, &personalize.CreateFilterInput{Name: aws.String("not-viewed"),
		DatasetGroupArn: aws.String(group), FilterExpression: aws.String(`EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("view")`)})
	if err != nil {
		t.Fatal(err)
	}
	rt := runtimeClient(s.endpoint)
	for _, f := range []*string{nil, nil, filter.FilterArn} {
		recs, err := rt.GetRecommendations(ctx, &personalizeruntime.GetRecommendationsInput{CampaignArn: aws.String(campaign),
			UserId: aws.String("user-1"), NumResults: 4, FilterArn: f})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs.ItemList) != 4 {
			t.Fatalf("recommendations: %d items", len(recs.ItemList))
		}
	}

	families := scrape(t, "http://"+metricsAddr+"/metrics")
	answered := map[string]string{"operation": "GetRecommendations", "resource": campaign}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"perch_trainings_running", nil, 0},
		{"perch_trainings_waiting", nil, 0},
		{"perch_trainings_finished_total", map[string]string{"status": "ACTIVE"}, 1},
		{"perch_trainings_finished_total", map[string]string{"status": "CREATE FAILED"}, 0},
		{"perch_runtime_answers_total", answered, 3},
		{"perch_runtime_items_total", answered, 12},
		{"perch_runtime_filtered_answers_total", map[string]string{"filter": aws.ToString(filter.FilterArn)}, 1},
		{"perch_campaigns_active", nil, 1},
		{"perch_runtime_auto_updates_total", nil, 0},
	} {
		got, ok := value(families, c.name, c.labels)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (found: %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	if h := series(families, "perch_training_duration_seconds", map[string]string{"recipe": "aws-popularity-count"}); len(h) != 1 ||
		h[0].GetHistogram().GetSampleCount() != 1 {
		t.Errorf("perch_training_duration_seconds of aws-popularity-count: %v, want one training", h)
	}
	size, ok := value(families, "perch_runtime_model_bytes", map[string]string{"resource": campaign, "version": version, "recipe": "aws-popularity-count"})
	if !ok || size <= 0 {
		t.Errorf("perch_runtime_model_bytes of %s = %v (found: %v), want > 0", campaign, size, ok)
	}
	// Every metric the Grafana dashboard queries is in this scrape.
	checkDashboardMetrics(t, families)
}
