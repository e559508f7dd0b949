package attribution_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/attribution"
	"github.com/perchdev/perch/ingest"
	"github.com/perchdev/perch/internal/fixture"
)

var scope = perch.Scope{Region: "us-east-1", Account: "111122223333"}

const (
	interactionsSchema = `{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[` +
		`{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},` +
		`{"name":"EVENT_VALUE","type":["null","float"]},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}`
	itemsSchema = `{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[` +
		`{"name":"ITEM_ID","type":"string"},{"name":"PRICE","type":["null","double"]},` +
		`{"name":"GENRE","type":["null","string"],"categorical":true}],"version":"1.0"}`
)

func TestMetricAttribution(t *testing.T) {
	ctx, store, cat := fixture.Catalog(t, scope)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	g, err := cat.CreateDatasetGroup(ctx, perch.CreateDatasetGroupInput{Name: "shop"})
	must(err)
	is, err := cat.CreateSchema(ctx, perch.CreateSchemaInput{Name: "i", Definition: interactionsSchema})
	must(err)
	_, err = cat.CreateDataset(ctx, perch.CreateDatasetInput{Name: "i", SchemaARN: is.ARN, GroupARN: g.ARN, Type: "Interactions"})
	must(err)
	ts, err := cat.CreateSchema(ctx, perch.CreateSchemaInput{Name: "items", Definition: itemsSchema})
	must(err)
	items, err := cat.CreateDataset(ctx, perch.CreateDatasetInput{Name: "items", SchemaARN: ts.ARN, GroupARN: g.ARN, Type: "Items"})
	must(err)
	tracker, err := cat.CreateEventTracker(ctx, perch.CreateEventTrackerInput{Name: "web", GroupARN: g.ARN})
	must(err)

	created := time.Unix(1700000000, 0)
	s := attribution.New(store, cat, scope, func() perch.Timestamp { return perch.TimestampOf(created) })
	role := perch.MetricAttributionOutput{RoleARN: "arn:aws:iam::111122223333:role/metrics"}
	metrics := []perch.MetricAttribute{
		{EventType: "click", MetricName: "clicks", Expression: "SAMPLECOUNT()"},
		{EventType: "purchase", MetricName: "revenue", Expression: "SUM(Items.PRICE)"},
		{EventType: "purchase", MetricName: "paid", Expression: "sum( interactions.EVENT_VALUE )"},
	}
	for expression, part := range map[string]string{
		"SUM(Items.GENRE)":   "GENRE",
		"SUM(Users.AGE)":     "Invalid metric expression",
		"COUNT()":            "Invalid metric expression",
		"SUM(Items.MISSING)": "MISSING",
		"SUM(Interactions.)": "Invalid metric expression",
	} {
		_, err := s.CreateMetricAttribution(ctx, perch.CreateMetricAttributionInput{Name: "bad", GroupARN: g.ARN, OutputConfig: role,
			Metrics: []perch.MetricAttribute{{EventType: "click", MetricName: "m", Expression: expression}}})
		if perch.ErrorCode(err) != perch.EInvalidInput || !strings.Contains(err.Error(), part) {
			t.Errorf("expression %s: %v, want InvalidInputException naming %s", expression, err, part)
		}
	}
	m, err := s.CreateMetricAttribution(ctx, perch.CreateMetricAttributionInput{Name: "shop-metrics", GroupARN: g.ARN, Metrics: metrics, OutputConfig: role})
	must(err)
	if m.Status != perch.StatusActive || m.ARN != "arn:aws:personalize:us-east-1:111122223333:metric-attribution/shop-metrics" {
		t.Errorf("created %+v", m)
	}
	_, err = s.CreateMetricAttribution(ctx, perch.CreateMetricAttributionInput{Name: "second", GroupARN: g.ARN, Metrics: metrics, OutputConfig: role})
	if perch.ErrorCode(err) != perch.ELimitExceeded {
		t.Errorf("a second attribution of the group: %v, want LimitExceededException", err)
	}

	in := ingest.New(cat, store)
	must(in.PutEntities(ctx, items.ARN, perch.Items, []perch.Entity{
		{ID: "book", Properties: `{"price": 12.5}`}, {ID: "lamp", Properties: `{"price": 40}`}}))
	at := func(d time.Duration) perch.Timestamp { return perch.TimestampOf(created.Add(d)) }
	five, nine := 5.0, 9.0
	email := &perch.MetricAttribution{EventAttributionSource: "email"}
	must(in.PutEvents(ctx, tracker.TrackingID, []perch.Event{
		{EventType: "click", ItemID: "book", UserID: "u1", SessionID: "s", SentAt: at(-time.Hour)}, // before the attribution
		{EventType: "click", ItemID: "book", UserID: "u1", SessionID: "s", SentAt: at(time.Minute), MetricAttribution: email},
		{EventType: "click", ItemID: "lamp", UserID: "u1", SessionID: "s", SentAt: at(2 * time.Minute), MetricAttribution: email},
		{EventType: "click", ItemID: "lamp", UserID: "u2", SessionID: "t", SentAt: at(3 * time.Minute)},
		{EventType: "purchase", ItemID: "lamp", UserID: "u1", SessionID: "s", SentAt: at(4 * time.Minute), MetricAttribution: email, EventValue: &five},
		{EventType: "purchase", ItemID: "book", UserID: "u2", SessionID: "t", SentAt: at(5 * time.Minute), EventValue: &nine},
		{EventType: "purchase", ItemID: "book", UserID: "u2", SessionID: "t", SentAt: at(6 * time.Minute), EventID: "dup"},
		{EventType: "purchase", ItemID: "book", UserID: "u2", SessionID: "t", SentAt: at(7 * time.Minute), EventID: "dup"},
	}))
	report, err := s.MetricAttributionReport(ctx, m.ARN)
	must(err)
	want := []perch.MetricValue{
		{MetricName: "clicks", EventType: "click", Function: "SAMPLECOUNT", Source: perch.UndefinedSource, Value: 1},
		{MetricName: "clicks", EventType: "click", Function: "SAMPLECOUNT", Source: "email", Value: 2},
		{MetricName: "paid", EventType: "purchase", Function: "SUM", Source: perch.UndefinedSource, Value: 9},
		{MetricName: "paid", EventType: "purchase", Function: "SUM", Source: "email", Value: 5},
		{MetricName: "revenue", EventType: "purchase", Function: "SUM", Source: perch.UndefinedSource, Value: 25},
		{MetricName: "revenue", EventType: "purchase", Function: "SUM", Source: "email", Value: 40},
	}
	if !slices.Equal(report, want) {
		t.Errorf("report:\n%v\nwant\n%v", report, want)
	}

	// Past AWS's quota of sources, further ones count as undefined: with
	// "email", the first 99 partners are named.
	var many []perch.Event
	for i := range perch.MaxAttributionSources + 5 {
		many = append(many, perch.Event{EventType: "click", ItemID: "book", UserID: "u3", SessionID: "m", SentAt: at(time.Hour + time.Duration(i)*time.Second),
			MetricAttribution: &perch.MetricAttribution{EventAttributionSource: fmt.Sprintf("partner-%03d", i)}})
	}
	for len(many) > 0 {
		n := min(len(many), 10)
		must(in.PutEvents(ctx, tracker.TrackingID, many[:n]))
		many = many[n:]
	}
	report, err = s.MetricAttributionReport(ctx, m.ARN)
	must(err)
	clicks := map[string]float64{}
	for _, v := range report {
		if v.MetricName == "clicks" {
			clicks[v.Source] = v.Value
		}
	}
	if len(clicks) != perch.MaxAttributionSources+1 || clicks[perch.UndefinedSource] != 1+6 || clicks["partner-098"] != 1 || clicks["partner-099"] != 0 {
		t.Errorf("clicks of %d sources: %d named, %v undefined", perch.MaxAttributionSources+6, len(clicks)-1, clicks[perch.UndefinedSource])
	}

	// Update: a metric removed, one added; the metrics list in pages.
	updated, err := s.UpdateMetricAttribution(ctx, perch.UpdateMetricAttributionInput{ARN: m.ARN, RemoveMetrics: []string{"paid"},
		AddMetrics: []perch.MetricAttribute{{EventType: "click", MetricName: "clicked-value", Expression: "SUM(Items.PRICE)"}}})
	must(err)
	if len(updated.Metrics) != 3 {
		t.Errorf("after the update: %v", updated.Metrics)
	}
	_, err = s.UpdateMetricAttribution(ctx, perch.UpdateMetricAttributionInput{ARN: m.ARN, RemoveMetrics: []string{"absent"}})
	if perch.ErrorCode(err) != perch.EInvalidInput {
		t.Errorf("removing an absent metric: %v", err)
	}
	first, next, err := s.ListMetricAttributionMetrics(ctx, m.ARN, perch.Page{MaxResults: 2})
	must(err)
	rest, last, err := s.ListMetricAttributionMetrics(ctx, m.ARN, perch.Page{MaxResults: 2, NextToken: next})
	must(err)
	if len(first) != 2 || next == "" || len(rest) != 1 || last != "" || rest[0].MetricName != "clicked-value" {
		t.Errorf("metrics in pages: %v %q, %v %q", first, next, rest, last)
	}
	list, _, err := s.ListMetricAttributions(ctx, g.ARN, perch.Page{})
	must(err)
	if len(list) != 1 || list[0].ARN != m.ARN {
		t.Errorf("ListMetricAttributions = %v", list)
	}
	must(s.DeleteMetricAttribution(ctx, m.ARN))
	if _, err := s.DescribeMetricAttribution(ctx, m.ARN); perch.ErrorCode(err) != perch.EResourceNotFound {
		t.Errorf("a deleted attribution: %v", err)
	}
}
