package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/personalize"
	ptypes "github.com/aws/aws-sdk-go-v2/service/personalize/types"
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents"
	etypes "github.com/aws/aws-sdk-go-v2/service/personalizeevents/types"
	"github.com/aws/aws-sdk-go-v2/service/personalizeruntime"

	"github.com/perchdev/perch/internal/pgtest"
	"github.com/perchdev/perch/internal/testenv"
)

// attributionReport reads a metric attribution's report from the read
// API: value by metric and source.
func attributionReport(t *testing.T, endpoint, arn string) map[[2]string]float64 {
	t.Helper()
	resp, err := http.Get(endpoint + "/_perch/metric-attribution?metricAttributionArn=" + url.QueryEscape(arn))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var report struct {
		Metrics []struct {
			MetricName string  `json:"metricName"`
			Source     string  `json:"eventAttributionSource"`
			Value      float64 `json:"value"`
		} `json:"metrics"`
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /_perch/metric-attribution: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&report); err != nil {
		t.Fatal(err)
	}
	out := map[[2]string]float64{}
	for _, m := range report.Metrics {
		out[[2]string{m.MetricName, m.Source}] = m.Value
	}
	return out
}

// TestMetricAttributionThroughTheSDK: a campaign's recommendations, got
// through the Go SDK, and events that carry their recommendationId are
// credited to the campaign in the metric attribution's report and in its
// Prometheus figures; an explicit eventAttributionSource wins, and events
// with neither are undefined. An import that asks for it writes its
// report to the attribution's S3 destination.
func TestMetricAttributionThroughTheSDK(t *testing.T) {
	metricsAddr, s3 := freeAddr(t), attributionBuckets(t)
	s := startServer(t, t.TempDir(), "--metrics", metricsAddr, "--s3-root", s3)
	attributionLoop(t, s, s, metricsAddr, s3)
}

// TestMetricAttributionAcrossNodes: a recommendationId one node handed
// out is credited to its campaign by another node of the cluster, which
// never saw the answer, in its report and in its Prometheus figures.
func TestMetricAttributionAcrossNodes(t *testing.T) {
	if why := pgtest.Missing(); why != "" {
		testenv.Missing(t, why)
	}
	url := pgtest.Database(t)
	metricsAddr, s3 := freeAddr(t), attributionBuckets(t)
	answering := startServer(t, t.TempDir(), "--store", url, "--s3-root", s3)
	credited := startServer(t, t.TempDir(), "--store", url, "--s3-root", s3, "--metrics", metricsAddr)
	attributionLoop(t, answering, credited, metricsAddr, s3)
}

// attributionBuckets is an --s3-root with the buckets attributionLoop
// uses.
func attributionBuckets(t *testing.T) string {
	t.Helper()
	s3 := t.TempDir()
	for _, bucket := range []string{"history", "reports"} {
		if err := os.Mkdir(filepath.Join(s3, bucket), 0o750); err != nil {
			t.Fatal(err)
		}
	}
	return s3
}

// attributionLoop makes a group, a metric attribution and a campaign on
// node answering, and gets the campaign's recommendations from it; sends
// purchases that carry their recommendationId to node credited, and reads
// the figures from credited's read API and --metrics (at metricsAddr);
// then imports purchases through credited and reads the import's report
// from the --s3-root s3.
func attributionLoop(t *testing.T, answering, credited *server, metricsAddr, s3 string) {
	ctx := context.Background()
	cp := controlClient(answering.endpoint)
	ev := clusterEvents(credited.endpoint)
	rt := runtimeClient(answering.endpoint)
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
	put := func(user string, events ...etypes.Event) {
		t.Helper()
		_, err := ev.PutEvents(ctx, &personalizeevents.PutEventsInput{TrackingId: tracker.TrackingId, UserId: aws.String(user),
			SessionId: aws.String("s-" + user), EventList: events})
		must(err)
	}
	// Training needs 1,000 interactions.
	for u := range 110 {
		var list []etypes.Event
		for i := range 10 {
			list = append(list, etypes.Event{EventType: aws.String("click"), ItemId: aws.String(fmt.Sprint("item-", (u+i*i)%12)),
				SentAt: aws.Time(time.Unix(1700000000+int64(u*10+i), 0))})
		}
		put(fmt.Sprint("user-", u), list...)
	}

	// The attribution is older than the campaign: its figures learn of
	// the campaign from the first recommendationId that names it.
	attribution, err := cp.CreateMetricAttribution(ctx, &personalize.CreateMetricAttributionInput{Name: aws.String("impact"),
		DatasetGroupArn: g.DatasetGroupArn,
		Metrics:         []ptypes.MetricAttribute{{EventType: aws.String("purchase"), MetricName: aws.String("purchases"), Expression: aws.String("SAMPLECOUNT()")}},
		MetricsOutputConfig: &ptypes.MetricAttributionOutput{RoleArn: aws.String("arn:aws:iam::111122223333:role/metrics"),
			S3DataDestination: &ptypes.S3DataConfig{Path: aws.String("s3://reports/impact/")}}})
	must(err)

	sol, err := cp.CreateSolution(ctx, &personalize.CreateSolutionInput{Name: aws.String("popular"), DatasetGroupArn: g.DatasetGroupArn,
		RecipeArn: aws.String("arn:aws:personalize:::recipe/aws-popularity-count"), PerformAutoTraining: aws.Bool(false)})
	must(err)
	v, err := cp.CreateSolutionVersion(ctx, &personalize.CreateSolutionVersionInput{SolutionArn: sol.SolutionArn})
	must(err)
	waitVersionActive(t, cp, v.SolutionVersionArn, 2*time.Minute)
	campaign, err := cp.CreateCampaign(ctx, &personalize.CreateCampaignInput{Name: aws.String("popular"), SolutionVersionArn: v.SolutionVersionArn})
	must(err)

	recs, err := rt.GetRecommendations(ctx, &personalizeruntime.GetRecommendationsInput{CampaignArn: campaign.CampaignArn, UserId: aws.String("user-1"), NumResults: 3})
	must(err)
	if len(recs.ItemList) != 3 {
		t.Fatalf("recommendations: %d items", len(recs.ItemList))
	}
	rid := recs.RecommendationId
	now := time.Now()
	purchase := func(item string) etypes.Event {
		return etypes.Event{EventType: aws.String("purchase"), ItemId: aws.String(item), SentAt: aws.Time(now), RecommendationId: rid}
	}
	put("user-1", purchase(aws.ToString(recs.ItemList[0].ItemId)), purchase(aws.ToString(recs.ItemList[1].ItemId)))
	explicit := purchase(aws.ToString(recs.ItemList[2].ItemId))
	explicit.MetricAttribution = &etypes.MetricAttribution{EventAttributionSource: aws.String("newsletter")}
	put("user-1", explicit, etypes.Event{EventType: aws.String("purchase"), ItemId: aws.String("item-3"), SentAt: aws.Time(now)})

	got := attributionReport(t, credited.endpoint, aws.ToString(attribution.MetricAttributionArn))
	want := map[[2]string]float64{
		{"purchases", aws.ToString(campaign.CampaignArn)}: 2,
		{"purchases", "newsletter"}:                       1,
		{"purchases", "SOURCE_NAME_UNDEFINED"}:            1,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("report:\n%v\nwant\n%v", got, want)
	}

	// The same figures in Prometheus's, kept as the events arrived.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		families := scrape(t, "http://"+metricsAddr+"/metrics")
		scraped := map[[2]string]float64{}
		for _, m := range families["perch_metric_attribution_value_total"].GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["metric_attribution"] != aws.ToString(attribution.MetricAttributionArn) || labels["event_type"] != "purchase" ||
				labels["function"] != "SAMPLECOUNT" {
				t.Fatalf("a series of labels %v", labels)
			}
			scraped[[2]string{labels["metric"], labels["source"]}] = m.GetCounter().GetValue()
		}
		if fmt.Sprint(scraped) == fmt.Sprint(want) {
			if dropped, ok := value(families, "perch_metric_attribution_dropped_events_total", nil); !ok || dropped != 0 {
				t.Errorf("dropped events: %v (found: %v)", dropped, ok)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("perch_metric_attribution_value_total:\n%v\nwant\n%v", scraped, want)
		}
	}

	// A bulk import of two purchases, both in the 15 minutes from
	// 1699999200.
	if err := os.WriteFile(filepath.Join(s3, "history", "purchases.csv"), []byte("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n"+
		"old-1,item-1,purchase,1699999300\nold-2,item-2,purchase,1700000000\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	interactions := strings.Replace(aws.ToString(g.DatasetGroupArn), ":dataset-group/", ":dataset/", 1) + "/INTERACTIONS"
	job, err := controlClient(credited.endpoint).CreateDatasetImportJob(ctx, &personalize.CreateDatasetImportJobInput{JobName: aws.String("history"), DatasetArn: aws.String(interactions),
		DataSource: &ptypes.DataSource{DataLocation: aws.String("s3://history/purchases.csv")}, ImportMode: ptypes.ImportModeFull,
		PublishAttributionMetricsToS3: aws.Bool(true)})
	must(err)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		d, err := cp.DescribeDatasetImportJob(ctx, &personalize.DescribeDatasetImportJobInput{DatasetImportJobArn: job.DatasetImportJobArn})
		must(err)
		if status := aws.ToString(d.DatasetImportJob.Status); status == "ACTIVE" {
			break
		} else if status == "CREATE FAILED" || time.Now().After(deadline) {
			t.Fatalf("import %s %s", status, aws.ToString(d.DatasetImportJob.FailureReason))
		}
	}
	reports, err := filepath.Glob(filepath.Join(s3, "reports", "impact", "AggregatedAttributionMetrics - FULL - *.csv"))
	must(err)
	if len(reports) != 1 {
		t.Fatalf("reports: %v", reports)
	}
	body, err := os.ReadFile(reports[0])
	must(err)
	if want := "METRIC_NAME,EVENT_TYPE,VALUE,MATH_FUNCTION,EVENT_ATTRIBUTION_SOURCE,TIMESTAMP\n" +
		"purchases,purchase,2.0,samplecount,SOURCE_NAME_UNDEFINED,1699999200\n"; string(body) != want {
		t.Errorf("the import's report:\n%s\nwant\n%s", body, want)
	}
}
