package awsapi_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/personalize"
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents"
	etypes "github.com/aws/aws-sdk-go-v2/service/personalizeevents/types"
)

// Schemas for each dataset type, as a user following AWS's docs would write.
const (
	interactionsSchema = `{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[
		{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"},
		{"name":"EVENT_TYPE","type":"string"},{"name":"EVENT_VALUE","type":["null","float"]},
		{"name":"IMPRESSION","type":["null","string"]},{"name":"RECOMMENDATION_ID","type":["null","string"]},
		{"name":"EVENT_ATTRIBUTION_SOURCE","type":["null","string"]},
		{"name":"DEVICE","type":["null","string"],"categorical":true},{"name":"NUMBER_OF_RATINGS","type":["null","int"]}],"version":"1.0"}`
	itemsSchema = `{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[
		{"name":"ITEM_ID","type":"string"},{"name":"GENRES","type":["null","string"],"categorical":true},
		{"name":"PRICE","type":["null","float"]},{"name":"CREATION_TIMESTAMP","type":["null","long"]}],"version":"1.0"}`
	usersSchema = `{"type":"record","name":"Users","namespace":"com.amazonaws.personalize.schema","fields":[
		{"name":"USER_ID","type":"string"},{"name":"AGE","type":["null","int"]},
		{"name":"GENDER","type":["null","string"],"categorical":true}],"version":"1.0"}`
	actionsSchema = `{"type":"record","name":"Actions","namespace":"com.amazonaws.personalize.schema","fields":[
		{"name":"ACTION_ID","type":"string"},{"name":"VALUE","type":["null","long"]},
		{"name":"MEMBERSHIP_LEVEL","type":["null","string"],"categorical":true}],"version":"1.0"}`
	actionInteractionsSchema = `{"type":"record","name":"ActionInteractions","namespace":"com.amazonaws.personalize.schema","fields":[
		{"name":"USER_ID","type":"string"},{"name":"ACTION_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},
		{"name":"TIMESTAMP","type":"long"},{"name":"CHANNEL","type":["null","string"],"categorical":true}],"version":"1.0"}`
)

// group is a dataset group with one dataset of every type and a tracker.
type group struct {
	arn                   string
	datasets              map[string]string // by type: INTERACTIONS, ITEMS, ...
	trackerARN            string
	trackingID            string
	actionTrackingID      string
	interactionsSchemaARN string
}

// makeGroup creates a dataset group named name with every dataset type and
// an event tracker, through the SDK.
func (e *env) makeGroup(name string) *group {
	e.t.Helper()
	ctx := context.Background()
	g := &group{datasets: map[string]string{}}
	out, err := e.cp.CreateDatasetGroup(ctx, &personalize.CreateDatasetGroupInput{Name: aws.String(name)})
	if err != nil {
		e.t.Fatalf("CreateDatasetGroup: %v", err)
	}
	g.arn = *out.DatasetGroupArn
	for _, d := range []struct{ typ, schema string }{
		{"Interactions", interactionsSchema}, {"Items", itemsSchema}, {"Users", usersSchema},
		{"Actions", actionsSchema}, {"Action_Interactions", actionInteractionsSchema},
	} {
		s, err := e.cp.CreateSchema(ctx, &personalize.CreateSchemaInput{Name: aws.String(name + "-" + d.typ), Schema: aws.String(d.schema)})
		if err != nil {
			e.t.Fatalf("CreateSchema %s: %v", d.typ, err)
		}
		ds, err := e.cp.CreateDataset(ctx, &personalize.CreateDatasetInput{
			Name: aws.String(name + "-" + d.typ), DatasetGroupArn: out.DatasetGroupArn, SchemaArn: s.SchemaArn, DatasetType: aws.String(d.typ),
		})
		if err != nil {
			e.t.Fatalf("CreateDataset %s: %v", d.typ, err)
		}
		desc, err := e.cp.DescribeDataset(ctx, &personalize.DescribeDatasetInput{DatasetArn: ds.DatasetArn})
		if err != nil {
			e.t.Fatalf("DescribeDataset: %v", err)
		}
		g.datasets[upper(d.typ)] = *ds.DatasetArn
		if upper(d.typ) == "ACTION_INTERACTIONS" {
			g.actionTrackingID = aws.ToString(desc.Dataset.TrackingId)
		}
		if upper(d.typ) == "INTERACTIONS" {
			g.interactionsSchemaARN = *s.SchemaArn
		}
	}
	tr, err := e.cp.CreateEventTracker(ctx, &personalize.CreateEventTrackerInput{Name: aws.String(name + "-tracker"), DatasetGroupArn: out.DatasetGroupArn})
	if err != nil {
		e.t.Fatalf("CreateEventTracker: %v", err)
	}
	g.trackerARN, g.trackingID = *tr.EventTrackerArn, *tr.TrackingId
	return g
}

func upper(s string) string { return strings.ToUpper(s) }

func TestFlowEveryPutOperation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	g := e.makeGroup("flow")

	if want := "arn:aws:personalize:us-west-2:123456789012:dataset/flow/INTERACTIONS"; g.datasets["INTERACTIONS"] != want {
		t.Errorf("interactions dataset ARN = %s, want %s", g.datasets["INTERACTIONS"], want)
	}
	if g.actionTrackingID == "" {
		t.Error("the ACTION_INTERACTIONS dataset has no trackingId")
	}

	sentAt := time.UnixMilli(1700000000123)
	_, err := e.events.PutEvents(ctx, &personalizeevents.PutEventsInput{
		TrackingId: aws.String(g.trackingID), UserId: aws.String("user-1"), SessionId: aws.String("session-1"),
		EventList: []etypes.Event{
			{
				EventId: aws.String("ev-1"), EventType: aws.String("click"), EventValue: aws.Float32(4.5),
				ItemId: aws.String("item-1"), SentAt: aws.Time(sentAt),
				Properties:        aws.String(`{"device":"phone","numberOfRatings":"12"}`),
				RecommendationId:  aws.String("rec-1"),
				Impression:        []string{"item-1", "item-2", "item-3"},
				MetricAttribution: &etypes.MetricAttribution{EventAttributionSource: aws.String("campaign-a")},
			},
			{EventType: aws.String("view"), ItemId: aws.String("item-2"), SentAt: aws.Time(time.Unix(1700000001, 0))},
		},
	})
	if err != nil {
		t.Fatalf("PutEvents: %v", err)
	}
	// The same eventId again is stored, marked as a duplicate.
	_, err = e.events.PutEvents(ctx, &personalizeevents.PutEventsInput{
		TrackingId: aws.String(g.trackingID), UserId: aws.String("user-2"), SessionId: aws.String("session-2"),
		EventList: []etypes.Event{{EventId: aws.String("ev-1"), EventType: aws.String("click"), SentAt: aws.Time(sentAt)}},
	})
	if err != nil {
		t.Fatalf("PutEvents duplicate: %v", err)
	}

	recs := e.records(g.datasets["INTERACTIONS"], nil)
	if len(recs) != 3 {
		t.Fatalf("got %d interaction records, want 3: %v", len(recs), recs)
	}
	first := recs[0]
	for k, want := range map[string]any{
		"eventId": "ev-1", "eventType": "click", "eventValue": 4.5, "itemId": "item-1", "userId": "user-1",
		"sessionId": "session-1", "sentAt": 1700000000.123, "recommendationId": "rec-1",
		"properties": `{"device":"phone","numberOfRatings":"12"}`,
	} {
		if first[k] != want {
			t.Errorf("record field %s = %#v, want %#v", k, first[k], want)
		}
	}
	if imp, _ := first["impression"].([]any); len(imp) != 3 || imp[2] != "item-3" {
		t.Errorf("impression = %v", first["impression"])
	}
	if ma, _ := first["metricAttribution"].(map[string]any); ma["eventAttributionSource"] != "campaign-a" {
		t.Errorf("metricAttribution = %v", first["metricAttribution"])
	}
	if _, dup := first["duplicate"]; dup {
		t.Error("the first event with eventId ev-1 is marked duplicate")
	}
	if id, _ := recs[1]["eventId"].(string); len(id) != 36 {
		t.Errorf("generated eventId = %q, want a UUID", id)
	}
	if recs[2]["duplicate"] != true || recs[2]["eventId"] != "ev-1" {
		t.Errorf("the repeated eventId is not marked duplicate: %v", recs[2])
	}
	if got := e.records(g.datasets["INTERACTIONS"], url.Values{"userId": {"user-2"}}); len(got) != 1 || got[0]["sessionId"] != "session-2" {
		t.Errorf("records of user-2 = %v", got)
	}

	_, err = e.events.PutItems(ctx, &personalizeevents.PutItemsInput{DatasetArn: aws.String(g.datasets["ITEMS"]), Items: []etypes.Item{
		{ItemId: aws.String("item-1"), Properties: aws.String(`{"genres":"Comedy|Drama","price":9.99}`)},
		{ItemId: aws.String("item-2")},
	}})
	if err != nil {
		t.Fatalf("PutItems: %v", err)
	}
	_, err = e.events.PutItems(ctx, &personalizeevents.PutItemsInput{DatasetArn: aws.String(g.datasets["ITEMS"]), Items: []etypes.Item{
		{ItemId: aws.String("item-1"), Properties: aws.String(`{"genres":"Horror"}`)},
	}})
	if err != nil {
		t.Fatalf("PutItems upsert: %v", err)
	}
	items := e.records(g.datasets["ITEMS"], nil)
	if len(items) != 2 || items[0]["itemId"] != "item-1" || items[0]["properties"] != `{"genres":"Horror"}` {
		t.Errorf("items after upsert = %v", items)
	}

	_, err = e.events.PutUsers(ctx, &personalizeevents.PutUsersInput{DatasetArn: aws.String(g.datasets["USERS"]), Users: []etypes.User{
		{UserId: aws.String("user-1"), Properties: aws.String(`{"age":"34","gender":"F"}`)},
	}})
	if err != nil {
		t.Fatalf("PutUsers: %v", err)
	}
	if users := e.records(g.datasets["USERS"], nil); len(users) != 1 || users[0]["userId"] != "user-1" {
		t.Errorf("users = %v", users)
	}

	_, err = e.events.PutActions(ctx, &personalizeevents.PutActionsInput{DatasetArn: aws.String(g.datasets["ACTIONS"]), Actions: []etypes.Action{
		{ActionId: aws.String("action-1"), Properties: aws.String(`{"value":100,"membershipLevel":"gold"}`)},
	}})
	if err != nil {
		t.Fatalf("PutActions: %v", err)
	}
	if actions := e.records(g.datasets["ACTIONS"], nil); len(actions) != 1 || actions[0]["actionId"] != "action-1" {
		t.Errorf("actions = %v", actions)
	}

	_, err = e.events.PutActionInteractions(ctx, &personalizeevents.PutActionInteractionsInput{
		TrackingId: aws.String(g.actionTrackingID),
		ActionInteractions: []etypes.ActionInteraction{{
			ActionId: aws.String("action-1"), UserId: aws.String("user-1"), SessionId: aws.String("session-1"),
			EventType: aws.String("Taken"), Timestamp: aws.Time(time.UnixMilli(1700000002500)), EventId: aws.String("ai-1"),
			RecommendationId: aws.String("rec-2"), Impression: []string{"action-1", "action-2"},
			Properties: aws.String(`{"channel":"email"}`),
		}},
	})
	if err != nil {
		t.Fatalf("PutActionInteractions: %v", err)
	}
	ais := e.records(g.datasets["ACTION_INTERACTIONS"], nil)
	if len(ais) != 1 || ais[0]["actionId"] != "action-1" || ais[0]["timestamp"] != 1700000002.5 || ais[0]["eventType"] != "Taken" {
		t.Errorf("action interactions = %v", ais)
	}

	// Everything survives a restart on the same data directory.
	e.restart()
	if got := e.records(g.datasets["INTERACTIONS"], nil); len(got) != 3 || got[2]["duplicate"] != true {
		t.Errorf("after restart: interactions = %v", got)
	}
	if got := e.records(g.datasets["ITEMS"], nil); len(got) != 2 {
		t.Errorf("after restart: items = %v", got)
	}
	tr, err := e.cp.DescribeEventTracker(ctx, &personalize.DescribeEventTrackerInput{EventTrackerArn: aws.String(g.trackerARN)})
	if err != nil || aws.ToString(tr.EventTracker.TrackingId) != g.trackingID || tr.EventTracker.Status == nil || *tr.EventTracker.Status != "ACTIVE" {
		t.Fatalf("after restart: DescribeEventTracker = %+v, %v", tr, err)
	}
	_, err = e.events.PutEvents(ctx, &personalizeevents.PutEventsInput{
		TrackingId: aws.String(g.trackingID), SessionId: aws.String("session-3"),
		EventList: []etypes.Event{{EventId: aws.String("ev-1"), EventType: aws.String("click"), SentAt: aws.Time(sentAt)}},
	})
	if err != nil {
		t.Fatalf("PutEvents after restart: %v", err)
	}
	if got := e.records(g.datasets["INTERACTIONS"], url.Values{"sessionId": {"session-3"}}); len(got) != 1 || got[0]["duplicate"] != true {
		t.Errorf("after restart: the eventId seen before the restart is not a duplicate: %v", got)
	}
}
