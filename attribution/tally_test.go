package attribution_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/attribution"
	"github.com/perchdev/perch/catalog"
	"github.com/perchdev/perch/ingest"
	"github.com/perchdev/perch/internal/fixture"
	"github.com/perchdev/perch/pebble"
)

// shop is a group with Interactions and Items datasets and a tracker.
type shop struct {
	ctx     context.Context
	store   *pebble.Store
	cat     *catalog.Catalog
	group   *perch.DatasetGroup
	items   *perch.Dataset
	tracker string
}

func newShop(t testing.TB) *shop {
	t.Helper()
	ctx, store, cat := fixture.Catalog(t, scope)
	s := &shop{ctx: ctx, store: store, cat: cat}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var err error
	s.group, err = cat.CreateDatasetGroup(ctx, perch.CreateDatasetGroupInput{Name: "shop"})
	must(err)
	is, err := cat.CreateSchema(ctx, perch.CreateSchemaInput{Name: "i", Definition: interactionsSchema})
	must(err)
	_, err = cat.CreateDataset(ctx, perch.CreateDatasetInput{Name: "i", SchemaARN: is.ARN, GroupARN: s.group.ARN, Type: "Interactions"})
	must(err)
	ts, err := cat.CreateSchema(ctx, perch.CreateSchemaInput{Name: "items", Definition: itemsSchema})
	must(err)
	s.items, err = cat.CreateDataset(ctx, perch.CreateDatasetInput{Name: "items", SchemaARN: ts.ARN, GroupARN: s.group.ARN, Type: "Items"})
	must(err)
	tracker, err := cat.CreateEventTracker(ctx, perch.CreateEventTrackerInput{Name: "web", GroupARN: s.group.ARN})
	must(err)
	s.tracker = tracker.TrackingID
	return s
}

// waitFigures waits for the tally's figures of arn to be want.
func waitFigures(t *testing.T, tally *attribution.Tally, arn string, want []perch.MetricValue) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := tally.Figures()[arn]
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("figures of %s:\n%v\nwant\n%v", arn, got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The tally keeps the figures the report computes, as events arrive,
// and follows the attribution's changes.
func TestTally(t *testing.T) {
	s := newShop(t)
	attributions := attribution.New(s.store, s.cat, scope, func() perch.Timestamp { return perch.TimestampOf(time.Now().Add(-time.Minute)) })
	tally := attribution.StartTally(attribution.TallyConfig{Attributions: attributions})
	t.Cleanup(tally.Close)
	in := ingest.New(s.cat, s.store)
	in.AfterCommit(tally.Committed)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	must(in.PutEntities(s.ctx, s.items.ARN, perch.Items, []perch.Entity{{ID: "book", Properties: `{"price": 12.5}`}, {ID: "lamp", Properties: `{"price": 40}`}}))
	now := perch.TimestampOf(time.Now())
	email := &perch.MetricAttribution{EventAttributionSource: "email"}
	// Before the attribution exists: not counted.
	must(in.PutEvents(s.ctx, s.tracker, []perch.Event{{EventType: "purchase", ItemID: "book", UserID: "u1", SessionID: "s", SentAt: now}}))
	m, err := attributions.CreateMetricAttribution(s.ctx, perch.CreateMetricAttributionInput{Name: "shop-metrics", GroupARN: s.group.ARN,
		OutputConfig: perch.MetricAttributionOutput{RoleARN: "arn:aws:iam::111122223333:role/metrics"},
		Metrics: []perch.MetricAttribute{
			{EventType: "click", MetricName: "clicks", Expression: "SAMPLECOUNT()"},
			{EventType: "purchase", MetricName: "revenue", Expression: "SUM(Items.PRICE)"},
		}})
	must(err)
	five := 5.0
	must(in.PutEvents(s.ctx, s.tracker, []perch.Event{
		{EventType: "click", ItemID: "book", UserID: "u1", SessionID: "s", SentAt: now, MetricAttribution: email},
		{EventType: "click", ItemID: "lamp", UserID: "u1", SessionID: "s", SentAt: now},
		{EventType: "purchase", ItemID: "lamp", UserID: "u1", SessionID: "s", SentAt: now, MetricAttribution: email, EventValue: &five},
		{EventType: "purchase", ItemID: "book", UserID: "u2", SessionID: "t", SentAt: now},
		// Sent before the attribution's creation: not counted, as the
		// report leaves it out.
		{EventType: "purchase", ItemID: "book", UserID: "u2", SessionID: "t", SentAt: perch.TimestampOf(time.Now().Add(-time.Hour))},
	}))
	want := []perch.MetricValue{
		{MetricName: "clicks", EventType: "click", Function: "SAMPLECOUNT", Source: perch.UndefinedSource, Value: 1},
		{MetricName: "clicks", EventType: "click", Function: "SAMPLECOUNT", Source: "email", Value: 1},
		{MetricName: "revenue", EventType: "purchase", Function: "SUM", Source: perch.UndefinedSource, Value: 12.5},
		{MetricName: "revenue", EventType: "purchase", Function: "SUM", Source: "email", Value: 40},
	}
	waitFigures(t, tally, m.ARN, want)
	// The report counts the purchase sent before the attribution existed,
	// which the tally did not see: the two agree on everything else.
	report, err := attributions.MetricAttributionReport(s.ctx, m.ARN)
	must(err)
	if len(report) != 4 || report[2].Value != 25 || !slices.Equal(slices.Delete(slices.Clone(report), 2, 3), slices.Delete(slices.Clone(want), 2, 3)) {
		t.Errorf("report:\n%v\nbeside the figures\n%v", report, want)
	}

	// A metric removed takes its figures with it; one added starts at zero.
	_, err = attributions.UpdateMetricAttribution(s.ctx, perch.UpdateMetricAttributionInput{ARN: m.ARN, RemoveMetrics: []string{"clicks"},
		AddMetrics: []perch.MetricAttribute{{EventType: "click", MetricName: "clicked-value", Expression: "SUM(Items.PRICE)"}}})
	must(err)
	must(in.PutEvents(s.ctx, s.tracker, []perch.Event{{EventType: "click", ItemID: "lamp", UserID: "u3", SessionID: "v", SentAt: now}}))
	waitFigures(t, tally, m.ARN, []perch.MetricValue{
		{MetricName: "clicked-value", EventType: "click", Function: "SUM", Source: perch.UndefinedSource, Value: 40},
		want[2], want[3],
	})

	// Deleted: no figures; made again: from zero.
	must(attributions.DeleteMetricAttribution(s.ctx, m.ARN))
	if got := tally.Figures(); len(got) != 0 {
		t.Errorf("figures of a deleted attribution: %v", got)
	}
	if err := in.PutEvents(s.ctx, s.tracker, []perch.Event{{EventType: "click", ItemID: "lamp", UserID: "u3", SessionID: "v", SentAt: now}}); err != nil {
		t.Fatal(err)
	}
	again, err := attributions.CreateMetricAttribution(s.ctx, perch.CreateMetricAttributionInput{Name: "shop-metrics", GroupARN: s.group.ARN,
		OutputConfig: perch.MetricAttributionOutput{RoleARN: "arn:aws:iam::111122223333:role/metrics"},
		Metrics:      []perch.MetricAttribute{{EventType: "click", MetricName: "clicks", Expression: "SAMPLECOUNT()"}}})
	must(err)
	must(in.PutEvents(s.ctx, s.tracker, []perch.Event{{EventType: "click", ItemID: "lamp", UserID: "u3", SessionID: "v", SentAt: now}}))
	waitFigures(t, tally, again.ARN, []perch.MetricValue{{MetricName: "clicks", EventType: "click", Function: "SAMPLECOUNT", Source: perch.UndefinedSource, Value: 1}})
}

// An attribution made on another node is read within the refresh
// interval; and when the tally falls behind, every event is either
// counted or dropped, never both nor neither.
func TestTallyOfAnotherNode(t *testing.T) {
	s := newShop(t)
	now := func() perch.Timestamp { return perch.TimestampOf(time.Now().Add(-time.Minute)) }
	here := attribution.New(s.store, s.cat, scope, now)
	tally := attribution.StartTally(attribution.TallyConfig{Attributions: here, Refresh: 20 * time.Millisecond, Queue: 1})
	t.Cleanup(tally.Close)
	in := ingest.New(s.cat, s.store)
	in.AfterCommit(tally.Committed)

	elsewhere := attribution.New(s.store, s.cat, scope, now)
	m, err := elsewhere.CreateMetricAttribution(s.ctx, perch.CreateMetricAttributionInput{Name: "shop-metrics", GroupARN: s.group.ARN,
		OutputConfig: perch.MetricAttributionOutput{RoleARN: "arn:aws:iam::111122223333:role/metrics"},
		Metrics: []perch.MetricAttribute{{EventType: "click", MetricName: "clicks", Expression: "SAMPLECOUNT()"},
			{EventType: "probe", MetricName: "probes", Expression: "SAMPLECOUNT()"}}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if err := in.PutEvents(s.ctx, s.tracker, []perch.Event{{EventType: "probe", ItemID: "probe", UserID: "u", SessionID: "s", SentAt: perch.TimestampOf(time.Now())}}); err != nil {
			t.Fatal(err)
		}
		if len(tally.Figures()[m.ARN]) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the tally never read an attribution made elsewhere")
		}
		time.Sleep(10 * time.Millisecond)
	}
	counted := func() float64 {
		for _, f := range tally.Figures()[m.ARN] {
			if f.MetricName == "clicks" {
				return f.Value
			}
		}
		return 0
	}
	before, droppedBefore := counted(), tally.Dropped()
	// A queue of one batch: many calls at once overflow it.
	const calls, size = 200, 10
	errs := make(chan error, calls)
	for c := range calls {
		go func() {
			var events []perch.Event
			for i := range size {
				events = append(events, perch.Event{EventType: "click", ItemID: fmt.Sprint("item-", i), UserID: fmt.Sprint("user-", c), SessionID: "s",
					SentAt: perch.TimestampOf(time.Now())})
			}
			errs <- in.PutEvents(s.ctx, s.tracker, events)
		}()
	}
	for range calls {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		got := counted() - before + float64(tally.Dropped()-droppedBefore)
		if got == calls*size {
			break
		}
		if got > calls*size || time.Now().After(deadline) {
			t.Fatalf("counted %v and dropped %d of %d events", counted()-before, tally.Dropped()-droppedBefore, calls*size)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("counted %v, dropped %d", counted()-before, tally.Dropped()-droppedBefore)
}

// BenchmarkTally measures how many events a second the tally's goroutine
// measures, batches of PutEvents' 10 events, for a count and a sum of an
// item column (read from the store once per item between refreshes).
func BenchmarkTally(b *testing.B) {
	for _, expression := range []string{"SAMPLECOUNT()", "SUM(Items.PRICE)"} {
		b.Run(expression, func(b *testing.B) {
			s := newShop(b)
			in := ingest.New(s.cat, s.store)
			var items []perch.Entity
			for i := range 1000 {
				items = append(items, perch.Entity{ID: fmt.Sprint("item-", i), Properties: fmt.Sprintf(`{"price": %d}`, i)})
			}
			if err := in.PutEntities(s.ctx, s.items.ARN, perch.Items, items); err != nil {
				b.Fatal(err)
			}
			attributions := attribution.New(s.store, s.cat, scope, func() perch.Timestamp { return 0 })
			tally := attribution.StartTally(attribution.TallyConfig{Attributions: attributions, Queue: 1 << 20})
			b.Cleanup(tally.Close)
			m, err := attributions.CreateMetricAttribution(s.ctx, perch.CreateMetricAttributionInput{Name: "m", GroupARN: s.group.ARN,
				OutputConfig: perch.MetricAttributionOutput{RoleARN: "arn:aws:iam::111122223333:role/metrics"},
				Metrics:      []perch.MetricAttribute{{EventType: "purchase", MetricName: "m", Expression: expression}}})
			if err != nil {
				b.Fatal(err)
			}
			sources := []*perch.MetricAttribution{nil, {EventAttributionSource: "email"}, {EventAttributionSource: "ads"}}
			batches := make([]*perch.Batch, b.N)
			want := 0.0
			for n := range batches {
				events := make([]perch.Event, 10)
				for i := range events {
					item := (n*10 + i) % 1000
					events[i] = perch.Event{EventType: "purchase", ItemID: fmt.Sprint("item-", item), UserID: "u", SentAt: 1,
						MetricAttribution: sources[(n+i)%3]}
					want += map[bool]float64{true: 1, false: float64(item)}[expression == "SAMPLECOUNT()"]
				}
				batches[n] = &perch.Batch{Dataset: &perch.Dataset{GroupARN: s.group.ARN}, Events: events}
			}
			b.ResetTimer()
			for _, batch := range batches {
				tally.Committed(batch)
			}
			for {
				total := 0.0
				for _, f := range tally.Figures()[m.ARN] {
					total += f.Value
				}
				if total == want {
					break
				}
				if tally.Dropped() > 0 {
					b.Fatalf("%d events dropped", tally.Dropped())
				}
				time.Sleep(100 * time.Microsecond)
			}
			b.StopTimer()
			b.ReportMetric(float64(10*b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
