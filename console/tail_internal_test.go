package console

import (
	"slices"
	"testing"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/ingest"
	"github.com/perchdev/perch/internal/fixture"
)

// A resend of an eventId committed before the hub reads back the first
// batch is read back with it, in order: the first batch keeps the
// original, the resend is the duplicate, whichever the store returns
// first.
func TestResendReadBackWithTheFirst(t *testing.T) {
	ctx, store, cat := fixture.Catalog(t, perch.Scope{Region: "us-east-1", Account: "111122223333"})
	schema, err := cat.CreateSchema(ctx, perch.CreateSchemaInput{Name: "s", Definition: `{"type":"record","name":"Interactions",
		"namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},
		{"name":"TIMESTAMP","type":"long"},{"name":"EVENT_TYPE","type":"string"}],"version":"1.0"}`})
	if err != nil {
		t.Fatal(err)
	}
	g, err := cat.CreateDatasetGroup(ctx, perch.CreateDatasetGroupInput{Name: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := cat.CreateDataset(ctx, perch.CreateDatasetInput{Name: "clicks", SchemaARN: schema.ARN, GroupARN: g.ARN, Type: "Interactions"})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := cat.CreateEventTracker(ctx, perch.CreateEventTrackerInput{Name: "web", GroupARN: g.ARN})
	if err != nil {
		t.Fatal(err)
	}
	// The hub is told of both batches only once both are committed, as
	// when its goroutine is behind a client that resends at once.
	var committed []*perch.Batch
	events := ingest.New(cat, store)
	events.AfterCommit(func(b *perch.Batch) {
		committed = append(committed, &perch.Batch{Dataset: b.Dataset, Events: slices.Clone(b.Events)})
	})
	put := func(ids ...string) {
		t.Helper()
		var list []perch.Event
		for _, id := range ids {
			list = append(list, perch.Event{EventID: id, EventType: "click", UserID: "u1", SessionID: "s1", ItemID: "i" + id, SentAt: 1700000000000})
		}
		if err := events.PutEvents(ctx, tr.TrackingID, list); err != nil {
			t.Fatal(err)
		}
	}
	put("1", "2")
	put("1")
	put("3", "3")

	h := NewHub(store)
	defer h.Close()
	h.subscribe(d.ID, &subscriber{records: make(chan []byte, 16)})
	h.markDuplicates(committed)
	var got []string
	for _, b := range committed {
		for _, e := range b.Events {
			mark := e.EventID
			if e.Duplicate {
				mark += "(dup)"
			}
			got = append(got, mark)
		}
	}
	if want := []string{"1", "2", "1(dup)", "3", "3(dup)"}; !slices.Equal(got, want) {
		t.Errorf("marks %v, want %v", got, want)
	}
}
