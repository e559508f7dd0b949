package training

import (
	"slices"
	"testing"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/ingest"
	"github.com/perchdev/perch/internal/fixture"
)

// Anonymous events train as the user an event with both ids links their
// session to, wherever that event comes; an unlinked session trains as a
// user of its own, named by its sessionId.
func TestReadDataLinksSessions(t *testing.T) {
	ctx, store, cat := fixture.Catalog(t, perch.Scope{Region: "us-east-1", Account: "111122223333"})
	group, err := cat.CreateDatasetGroup(ctx, perch.CreateDatasetGroupInput{Name: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	schema, err := cat.CreateSchema(ctx, perch.CreateSchemaInput{Name: "interactions", Definition: `{"type":"record","name":"Interactions",` +
		`"namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},` +
		`{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}`})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cat.CreateDataset(ctx, perch.CreateDatasetInput{Name: "i", SchemaARN: schema.ARN, GroupARN: group.ARN, Type: "Interactions"}); err != nil {
		t.Fatal(err)
	}
	tracker, err := cat.CreateEventTracker(ctx, perch.CreateEventTrackerInput{Name: "web", GroupARN: group.ARN})
	if err != nil {
		t.Fatal(err)
	}
	in := ingest.New(cat, store)
	at := perch.TimestampOf(time.Unix(1700000000, 0))
	put := func(user, session string, items ...string) {
		t.Helper()
		var events []perch.Event
		for _, it := range items {
			events = append(events, perch.Event{EventType: "click", ItemID: it, UserID: user, SessionID: session, SentAt: at})
		}
		if err := in.PutEvents(ctx, tracker.TrackingID, events); err != nil {
			t.Fatal(err)
		}
	}
	put("", "visit-1", "a", "b") // browsing before signing in
	put("", "visit-2", "c")      // never signs in
	put("member-1", "visit-1", "d")
	put("member-2", "visit-3", "e")
	put("", "visit-3", "f") // after the link

	d, err := ReadData(ctx, store, cat, group.ARN)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, x := range d.Interactions {
		got[d.Users[x.User]] = append(got[d.Users[x.User]], d.Items[x.Item])
	}
	want := map[string][]string{"member-1": {"a", "b", "d"}, "visit-2": {"c"}, "member-2": {"e", "f"}}
	for user, items := range want {
		slices.Sort(got[user])
		if !slices.Equal(got[user], items) {
			t.Errorf("%s trains on %v, want %v", user, got[user], items)
		}
	}
	if len(got) != len(want) {
		t.Errorf("users trained: %v, want those of %v", got, want)
	}
}
