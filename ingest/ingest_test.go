package ingest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/catalog"
	"github.com/perchdev/perch/pebble"
)

const (
	interactionsSchema = `{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[
		{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"},
		{"name":"EVENT_TYPE","type":"string"},{"name":"NUMBER_OF_RATINGS","type":["null","int"]}],"version":"1.0"}`
	itemsSchema = `{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[
		{"name":"ITEM_ID","type":"string"},{"name":"GENRES","type":["null","string"],"categorical":true}],"version":"1.0"}`
	usersSchema = `{"type":"record","name":"Users","namespace":"com.amazonaws.personalize.schema","fields":[
		{"name":"USER_ID","type":"string"},{"name":"AGE","type":["null","int"]}],"version":"1.0"}`
	actionInteractionsSchema = `{"type":"record","name":"ActionInteractions","namespace":"com.amazonaws.personalize.schema","fields":[
		{"name":"USER_ID","type":"string"},{"name":"ACTION_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},
		{"name":"TIMESTAMP","type":"long"},{"name":"CHANNEL","type":["null","string"],"categorical":true}],"version":"1.0"}`
)

// fixture is a write path over a real catalog and store, with a dataset
// group holding an Interactions, Items, Users and Action interactions
// dataset and an event tracker.
type fixture struct {
	ctx      context.Context
	svc      *Service
	store    *pebble.Store
	datasets map[perch.DatasetType]*perch.Dataset
	tracking string // the event tracker's
	actionID string // the Action interactions dataset's trackingId
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	store, err := pebble.Open(t.TempDir(), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	ctx := perch.WithAccount(context.Background(), "123456789012")
	cat, err := catalog.Open(ctx, store.Resources(), perch.Scope{Region: "eu-west-1", Account: "123456789012"}, catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{ctx: ctx, svc: New(cat, store), store: store, datasets: map[perch.DatasetType]*perch.Dataset{}}
	g, err := cat.CreateDatasetGroup(ctx, perch.CreateDatasetGroupInput{Name: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	for typ, def := range map[perch.DatasetType]string{perch.Interactions: interactionsSchema, perch.Items: itemsSchema,
		perch.Users: usersSchema, perch.ActionInteractions: actionInteractionsSchema} {
		s, err := cat.CreateSchema(ctx, perch.CreateSchemaInput{Name: "s-" + string(typ), Definition: def})
		if err != nil {
			t.Fatal(err)
		}
		d, err := cat.CreateDataset(ctx, perch.CreateDatasetInput{Name: "d-" + string(typ), SchemaARN: s.ARN, GroupARN: g.ARN, Type: string(typ)})
		if err != nil {
			t.Fatal(err)
		}
		f.datasets[typ] = d
	}
	f.actionID = f.datasets[perch.ActionInteractions].TrackingID
	tr, err := cat.CreateEventTracker(ctx, perch.CreateEventTrackerInput{Name: "web", GroupARN: g.ARN})
	if err != nil {
		t.Fatal(err)
	}
	f.tracking = tr.TrackingID
	return f
}

func (f *fixture) events(t *testing.T) []perch.Event {
	t.Helper()
	var out []perch.Event
	err := f.store.Events(f.ctx, f.datasets[perch.Interactions].ID, perch.RecordQuery{}, func(e *perch.Event) error {
		out = append(out, *e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func wantError(t *testing.T, err error, code string, parts ...string) {
	t.Helper()
	var pe *perch.Error
	if !errors.As(err, &pe) || pe.Code != code {
		t.Fatalf("error %v, want %s", err, code)
	}
	for _, p := range parts {
		if !strings.Contains(pe.Message, p) {
			t.Errorf("message %q lacks %q", pe.Message, p)
		}
	}
}

func TestPutEventsGeneratesMissingEventIDs(t *testing.T) {
	f := newFixture(t)
	err := f.svc.PutEvents(f.ctx, f.tracking, []perch.Event{
		{EventType: "click", UserID: "u", SessionID: "s", SentAt: 1},
		{EventID: "mine", EventType: "click", UserID: "u", SessionID: "s", SentAt: 2, Properties: `{"numberOfRatings": 3}`},
		{EventType: "view", UserID: "u", SessionID: "s", SentAt: 3},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := f.events(t)
	if len(got) != 3 || got[1].EventID != "mine" || got[1].Properties != `{"numberOfRatings": 3}` {
		t.Fatalf("stored %+v", got)
	}
	for _, i := range []int{0, 2} {
		if _, err := uuid.Parse(got[i].EventID); err != nil {
			t.Errorf("generated eventId %q is not a UUID", got[i].EventID)
		}
	}
	if got[0].EventID == got[2].EventID {
		t.Error("two events got the same generated eventId")
	}
}

// TestBadPropertiesStoreNothing: a bad record anywhere in a request fails
// it whole, with the record's place in the message.
func TestBadPropertiesStoreNothing(t *testing.T) {
	f := newFixture(t)
	ok := perch.Event{EventType: "click", UserID: "u", SessionID: "s", SentAt: 1, Properties: `{"numberOfRatings": 1}`}
	for _, c := range []struct {
		properties string
		want       []string
	}{
		{`{"numberOfRatings": "many"}`, []string{"Invalid properties at 'eventList.2.member.properties'", "numberOfRatings"}},
		{`{"color": "red"}`, []string{"Invalid properties at 'eventList.2.member.properties'", "color", "numberOfRatings"}},
		{`{"numberOfRatings": `, []string{"Error parsing properties json at 'eventList.2.member.properties'"}},
	} {
		bad := ok
		bad.Properties = c.properties
		err := f.svc.PutEvents(f.ctx, f.tracking, []perch.Event{ok, bad})
		wantError(t, err, perch.EInvalidInput, c.want...)
	}
	if got := f.events(t); len(got) != 0 {
		t.Errorf("failed requests stored %d events", len(got))
	}
	err := f.svc.PutActionInteractions(f.ctx, f.actionID, []perch.ActionInteraction{
		{EventType: "Taken", ActionID: "a", UserID: "u", SessionID: "s", Properties: `{"channel": {"web": true}}`}})
	wantError(t, err, perch.EInvalidInput, "Invalid properties at 'actionInteractions.1.member.properties'", "channel")
	err = f.svc.PutEntities(f.ctx, f.datasets[perch.Items].ARN, perch.Items, []perch.Entity{{ID: "i", Properties: `[]`}})
	wantError(t, err, perch.EInvalidInput, "Error parsing properties json at 'items.1.member.properties'")
}

// TestTrackingIDsAreNotInterchangeable: PutEvents takes an event
// tracker's trackingId, PutActionInteractions an Action interactions
// dataset's.
func TestTrackingIDsAreNotInterchangeable(t *testing.T) {
	f := newFixture(t)
	err := f.svc.PutEvents(f.ctx, f.actionID, []perch.Event{{EventType: "click", SessionID: "s", SentAt: 1}})
	wantError(t, err, perch.EInvalidInput, "PutEvents needs an event tracker's tracking ID", "PutActionInteractions")
	err = f.svc.PutActionInteractions(f.ctx, f.tracking, []perch.ActionInteraction{{EventType: "Taken", ActionID: "a", SessionID: "s"}})
	wantError(t, err, perch.EInvalidInput, "PutActionInteractions needs the trackingId of an Action interactions dataset")
	err = f.svc.PutEvents(f.ctx, "00000000-0000-0000-0000-000000000000", []perch.Event{{EventType: "click", SessionID: "s", SentAt: 1}})
	wantError(t, err, perch.EInvalidInput, "does not match any event tracker")
	if err := f.svc.PutActionInteractions(f.ctx, f.actionID, []perch.ActionInteraction{
		{EventType: "Taken", ActionID: "a", UserID: "u", SessionID: "s", Timestamp: 5, Properties: `{"channel": "email"}`}}); err != nil {
		t.Fatal(err)
	}
}

// TestPutEntities: the dataset must be of the operation's type; records
// are stamped with the time of the call, which makes the newest win.
func TestPutEntities(t *testing.T) {
	f := newFixture(t)
	users := f.datasets[perch.Users]
	err := f.svc.PutEntities(f.ctx, users.ARN, perch.Items, []perch.Entity{{ID: "i"}})
	wantError(t, err, perch.EInvalidInput, "is a Users dataset; PutItems needs the ARN of an Items dataset")
	err = f.svc.PutEntities(f.ctx, f.datasets[perch.Items].ARN, perch.Users, []perch.Entity{{ID: "u"}})
	wantError(t, err, perch.EInvalidInput, "is an Items dataset; PutUsers needs the ARN of a Users dataset")

	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	f.svc.now = func() time.Time { return at }
	if err := f.svc.PutEntities(f.ctx, users.ARN, perch.Users, []perch.Entity{{ID: "u1", Properties: `{"age": 30}`}}); err != nil {
		t.Fatal(err)
	}
	var got []perch.Entity
	if err := f.store.Entities(f.ctx, users.ID, perch.RecordQuery{}, func(e *perch.Entity) error {
		got = append(got, *e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Updated != perch.TimestampOf(at) || got[0].Properties != `{"age": 30}` {
		t.Errorf("stored %+v", got)
	}
}

// TestAfterCommit: followers see each committed batch, with its dataset,
// once it is stored, and never a refused one.
func TestAfterCommit(t *testing.T) {
	f := newFixture(t)
	var seen []*perch.Batch
	f.svc.AfterCommit(func(b *perch.Batch) {
		if got := f.events(t); len(got) < len(b.Events) {
			t.Errorf("a follower called before the commit: %d events stored", len(got))
		}
		seen = append(seen, b)
	})
	good := perch.Event{EventType: "click", UserID: "u", SessionID: "s", SentAt: 1}
	if err := f.svc.PutEvents(f.ctx, f.tracking, []perch.Event{good, good}); err != nil {
		t.Fatal(err)
	}
	bad := good
	bad.Properties = `{"color": "red"}`
	if err := f.svc.PutEvents(f.ctx, f.tracking, []perch.Event{good, bad}); err == nil {
		t.Fatal("bad properties accepted")
	}
	if err := f.svc.PutEntities(f.ctx, f.datasets[perch.Items].ARN, perch.Items, []perch.Entity{{ID: "i"}}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || len(seen[0].Events) != 2 || seen[0].Dataset.ARN != f.datasets[perch.Interactions].ARN ||
		len(seen[1].Entities) != 1 || seen[1].Dataset.Type != perch.Items {
		t.Errorf("followers saw %+v", seen)
	}
}
