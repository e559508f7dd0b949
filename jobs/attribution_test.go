package jobs_test

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/attribution"
	"github.com/perchdev/perch/ingest"
	"github.com/perchdev/perch/internal/fixture"
	"github.com/perchdev/perch/jobs"
	"github.com/perchdev/perch/s3loc"
)

const (
	attributedInteractions = `{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[` +
		`{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},` +
		`{"name":"EVENT_VALUE","type":["null","float"]},{"name":"TIMESTAMP","type":"long"},` +
		`{"name":"RECOMMENDATION_ID","type":["null","string"]},{"name":"EVENT_ATTRIBUTION_SOURCE","type":["null","string"]}],"version":"1.0"}`
	pricedItems = `{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[` +
		`{"name":"ITEM_ID","type":"string"},{"name":"PRICE","type":["null","double"]}],"version":"1.0"}`
)

// An import of interactions that asks for it (publishAttributionMetricsToS3)
// writes the group's metric attribution report of its events to the
// attribution's S3 destination, in AWS's file name and columns, by
// 15-minute interval; an import that does not ask writes none.
func TestImportPublishesAttributionReport(t *testing.T) {
	ctx, store, cat := fixture.Catalog(t, scope)
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	g, err := cat.CreateDatasetGroup(ctx, perch.CreateDatasetGroupInput{Name: "shop"})
	must(err)
	is, err := cat.CreateSchema(ctx, perch.CreateSchemaInput{Name: "i", Definition: attributedInteractions})
	must(err)
	interactions, err := cat.CreateDataset(ctx, perch.CreateDatasetInput{Name: "i", SchemaARN: is.ARN, GroupARN: g.ARN, Type: "Interactions"})
	must(err)
	ps, err := cat.CreateSchema(ctx, perch.CreateSchemaInput{Name: "items", Definition: pricedItems})
	must(err)
	items, err := cat.CreateDataset(ctx, perch.CreateDatasetInput{Name: "items", SchemaARN: ps.ARN, GroupARN: g.ARN, Type: "Items"})
	must(err)
	must(ingest.New(cat, store).PutEntities(ctx, items.ARN, perch.Items, []perch.Entity{
		{ID: "book", Properties: `{"price": 12.5}`}, {ID: "lamp", Properties: `{"price": 40}`}}))

	attributions := attribution.New(store, cat, scope, func() perch.Timestamp { return perch.TimestampOf(time.Now()) })
	_, err = attributions.CreateMetricAttribution(ctx, perch.CreateMetricAttributionInput{Name: "shop-metrics", GroupARN: g.ARN,
		OutputConfig: perch.MetricAttributionOutput{RoleARN: "arn:aws:iam::123456789012:role/metrics",
			S3DataDestination: &perch.S3DataConfig{Path: "s3://reports/metrics"}},
		Metrics: []perch.MetricAttribute{
			{EventType: "click", MetricName: "clicks", Expression: "SAMPLECOUNT()"},
			{EventType: "purchase", MetricName: "revenue", Expression: "SUM(Items.PRICE)"},
		}})
	must(err)
	js, err := jobs.Open(ctx, jobs.Config{Catalog: cat, Store: store, Objects: s3loc.NewDir(root), Scope: scope, Attributions: attributions})
	must(err)
	t.Cleanup(js.Close)

	// 1700000000 is 800 s into a 15-minute interval.
	must(os.MkdirAll(filepath.Join(root, "data"), 0o750))
	must(os.MkdirAll(filepath.Join(root, "reports"), 0o750)) // the buckets
	must(os.WriteFile(filepath.Join(root, "data", "interactions.csv"), []byte(
		"USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP,RECOMMENDATION_ID,EVENT_ATTRIBUTION_SOURCE\n"+
			"u1,book,purchase,,1700000000,,email\n"+
			"u2,lamp,purchase,3,1700000010,RID-279bc670-9f3a-4633-b670-1183fd50c323,\n"+
			"u1,lamp,purchase,,1700000200,,email\n"+
			"u3,book,click,,1700000300,,\n"+
			"u3,book,view,,1700000300,,\n"), 0o640))
	run := func(name string, mode perch.ImportMode, publish bool) {
		t.Helper()
		j, err := js.CreateDatasetImportJob(ctx, perch.CreateDatasetImportJobInput{Name: name, DatasetARN: interactions.ARN,
			DataLocation: "s3://data/interactions.csv", ImportMode: mode, PublishToS3: publish})
		must(err)
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			j, err = js.DescribeDatasetImportJob(ctx, j.ARN)
			must(err)
			if j.Status == perch.StatusActive {
				return
			}
			if j.Status == perch.StatusCreateFailed || time.Now().After(deadline) {
				t.Fatalf("import %s: %s %s", name, j.Status, j.FailureReason)
			}
		}
	}
	reports := func() []string {
		t.Helper()
		list, err := s3loc.NewDir(root).List(ctx, "s3://reports/metrics/", false)
		must(err)
		return list
	}

	run("quiet", perch.ImportFull, false)
	if got := reports(); len(got) != 0 {
		t.Fatalf("an import that did not ask for a report wrote %v", got)
	}
	run("published", perch.ImportFull, true)
	got := reports()
	if len(got) != 1 || !strings.HasPrefix(got[0], "s3://reports/metrics/AggregatedAttributionMetrics - FULL - ") || !strings.HasSuffix(got[0], ".csv") {
		t.Fatalf("reports: %v", got)
	}
	r, err := s3loc.NewDir(root).Open(ctx, got[0])
	must(err)
	body, err := io.ReadAll(r)
	r.Close()
	must(err)
	want := "METRIC_NAME,EVENT_TYPE,VALUE,MATH_FUNCTION,EVENT_ATTRIBUTION_SOURCE,TIMESTAMP\n" +
		"revenue,purchase,40.0,sum,SOURCE_NAME_UNDEFINED,1699999200\n" +
		"revenue,purchase,12.5,sum,email,1699999200\n" +
		"clicks,click,1.0,samplecount,SOURCE_NAME_UNDEFINED,1700000100\n" +
		"revenue,purchase,40.0,sum,email,1700000100\n"
	if string(body) != want {
		t.Errorf("report:\n%s\nwant\n%s", body, want)
	}

	time.Sleep(2 * time.Millisecond) // a later name
	run("again", perch.ImportIncremental, true)
	if got := reports(); len(got) != 2 || !strings.Contains(got[1], " - INCREMENTAL - ") && !strings.Contains(got[0], " - INCREMENTAL - ") {
		t.Errorf("reports after an incremental import: %v", got)
	}
}
