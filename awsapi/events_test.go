package awsapi_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents"
	etypes "github.com/aws/aws-sdk-go-v2/service/personalizeevents/types"
)

// TestEventsErrors checks every way the events API refuses a request
// that passes the model's constraints, as the SDK sees it, and that a
// refused request stores nothing.
func TestEventsErrors(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	g := e.makeGroup("shop")
	s := aws.String
	at := aws.Time(time.Unix(1700000000, 0))
	putEvents := func(trackingID string, events ...etypes.Event) error {
		_, err := e.events.PutEvents(ctx, &personalizeevents.PutEventsInput{
			TrackingId: s(trackingID), UserId: s("u"), SessionId: s("s"), EventList: events,
		})
		return err
	}
	withProperties := func(p string) etypes.Event {
		return etypes.Event{EventType: s("click"), SentAt: at, Properties: s(p)}
	}
	valid := etypes.Event{EventId: s("kept-out"), EventType: s("click"), SentAt: at}

	t.Run("unknown tracking id", func(t *testing.T) {
		err := putEvents("00000000-0000-0000-0000-000000000000", valid)
		wantAPIError(t, err, "InvalidInputException", http.StatusBadRequest, "00000000-0000-0000-0000-000000000000")
		var invalid *etypes.InvalidInputException
		if !errors.As(err, &invalid) {
			t.Errorf("the SDK did not map the error to its InvalidInputException type: %T", err)
		}
	})
	t.Run("action interactions tracking id", func(t *testing.T) {
		wantAPIError(t, putEvents(g.actionTrackingID, valid), "InvalidInputException", http.StatusBadRequest, "PutActionInteractions")
	})
	t.Run("event tracker id for action interactions", func(t *testing.T) {
		_, err := e.events.PutActionInteractions(ctx, &personalizeevents.PutActionInteractionsInput{
			TrackingId: s(g.trackingID),
			ActionInteractions: []etypes.ActionInteraction{
				{ActionId: s("a"), SessionId: s("s"), EventType: s("Viewed"), Timestamp: at},
			},
		})
		wantAPIError(t, err, "InvalidInputException", http.StatusBadRequest, "trackingId of an Action interactions dataset")
	})
	t.Run("unknown dataset", func(t *testing.T) {
		gone := g.datasets["ITEMS"] + "-gone"
		_, err := e.events.PutItems(ctx, &personalizeevents.PutItemsInput{DatasetArn: s(gone), Items: []etypes.Item{{ItemId: s("i")}}})
		wantAPIError(t, err, "ResourceNotFoundException", http.StatusNotFound, gone)
		var notFound *etypes.ResourceNotFoundException
		if !errors.As(err, &notFound) {
			t.Errorf("the SDK did not map the error to its ResourceNotFoundException type: %T", err)
		}
		_, err = e.events.PutActions(ctx, &personalizeevents.PutActionsInput{
			DatasetArn: s("arn:aws:personalize:us-west-2:123456789012:dataset/nope/ACTIONS"), Actions: []etypes.Action{{ActionId: s("a")}},
		})
		wantAPIError(t, err, "ResourceNotFoundException", http.StatusNotFound)
	})
	t.Run("dataset of another type", func(t *testing.T) {
		_, err := e.events.PutUsers(ctx, &personalizeevents.PutUsersInput{DatasetArn: s(g.datasets["ITEMS"]), Users: []etypes.User{{UserId: s("u")}}})
		wantAPIError(t, err, "InvalidInputException", http.StatusBadRequest, "is an Items dataset; PutUsers needs the ARN of a Users dataset")
	})

	for name, c := range map[string]struct{ properties, message string }{
		"not JSON":       {`{"device": phone}`, "Error parsing properties json at 'eventList.2.member.properties'"},
		"double encoded": {`"{\"device\":\"phone\"}"`, "Error parsing properties json"},
		"an array":       {`["phone"]`, "Error parsing properties json"},
		"reserved key":   {`{"device":"phone","TimeStamp":1}`, "TimeStamp"},
		"unknown key": {`{"devise":"phone"}`,
			"Invalid properties at 'eventList.2.member.properties': properties key 'devise' does not match any field of the dataset's schema; valid keys are: device, eventValue, itemId, numberOfRatings"},
		"wrong type":    {`{"numberOfRatings":"many"}`, "numberOfRatings"},
		"int too large": {`{"numberOfRatings":3000000000}`, "numberOfRatings"},
	} {
		t.Run("properties "+name, func(t *testing.T) {
			err := putEvents(g.trackingID, valid, withProperties(c.properties))
			wantAPIError(t, err, "InvalidInputException", http.StatusBadRequest, c.message)
		})
	}
	t.Run("item properties", func(t *testing.T) {
		_, err := e.events.PutItems(ctx, &personalizeevents.PutItemsInput{DatasetArn: s(g.datasets["ITEMS"]), Items: []etypes.Item{
			{ItemId: s("i-1"), Properties: s(`{"genres":"Comedy"}`)},
			{ItemId: s("i-2"), Properties: s(`{"price":"cheap"}`)},
		}})
		wantAPIError(t, err, "InvalidInputException", http.StatusBadRequest, "'items.2.member.properties'", "price")
	})
	t.Run("user properties", func(t *testing.T) {
		_, err := e.events.PutUsers(ctx, &personalizeevents.PutUsersInput{DatasetArn: s(g.datasets["USERS"]), Users: []etypes.User{
			{UserId: s("u-1"), Properties: s(`{"age":34,"height":180}`)},
		}})
		wantAPIError(t, err, "InvalidInputException", http.StatusBadRequest, "'users.1.member.properties'", "height", "valid keys are: age, gender")
	})
	t.Run("action properties", func(t *testing.T) {
		_, err := e.events.PutActions(ctx, &personalizeevents.PutActionsInput{DatasetArn: s(g.datasets["ACTIONS"]), Actions: []etypes.Action{
			{ActionId: s("a-1"), Properties: s(`{"value":"ten"}`)},
		}})
		wantAPIError(t, err, "InvalidInputException", http.StatusBadRequest, "'actions.1.member.properties'", "value")
	})
	t.Run("action interaction properties", func(t *testing.T) {
		_, err := e.events.PutActionInteractions(ctx, &personalizeevents.PutActionInteractionsInput{
			TrackingId: s(g.actionTrackingID),
			ActionInteractions: []etypes.ActionInteraction{
				{ActionId: s("a"), SessionId: s("s"), EventType: s("Taken"), Timestamp: at, Properties: s(`{"impression":"a|b"}`)},
			},
		})
		wantAPIError(t, err, "InvalidInputException", http.StatusBadRequest, "'actionInteractions.1.member.properties'", "impression")
	})

	// Every request above failed as a whole: the valid records that came
	// with the invalid ones were not stored either.
	for typ, arn := range g.datasets {
		if recs := e.records(arn, nil); len(recs) != 0 {
			t.Errorf("the %s dataset holds records of refused requests: %v", typ, recs)
		}
	}
}

// TestEventValues checks how values reach storage: timestamps in whole
// and fractional seconds, float event values, and properties kept as sent.
func TestEventValues(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	g := e.makeGroup("shop")
	s := aws.String
	_, err := e.events.PutEvents(ctx, &personalizeevents.PutEventsInput{
		TrackingId: s(g.trackingID), SessionId: s("anonymous-session"),
		EventList: []etypes.Event{
			{EventType: s("click"), SentAt: aws.Time(time.Unix(1700000000, 0)), EventValue: aws.Float32(-0.25)},
			{EventType: s("click"), SentAt: aws.Time(time.UnixMilli(1700000000999))},
			{EventType: s("click"), SentAt: aws.Time(time.UnixMilli(-1500))},
			{EventType: s("click"), SentAt: aws.Time(time.Unix(1700000000, 0)), Properties: s(` { "device" : "tv", "itemId": "i-9" } `)},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	recs := e.records(g.datasets["INTERACTIONS"], nil)
	if len(recs) != 4 {
		t.Fatalf("got %d records, want 4", len(recs))
	}
	for i, want := range []float64{1700000000, 1700000000.999, -1.5, 1700000000} {
		if recs[i]["sentAt"] != want {
			t.Errorf("record %d: sentAt = %v, want %v", i, recs[i]["sentAt"], want)
		}
	}
	if recs[0]["eventValue"] != -0.25 {
		t.Errorf("eventValue = %v, want -0.25", recs[0]["eventValue"])
	}
	if _, ok := recs[0]["userId"]; ok {
		t.Errorf("an anonymous event has a userId: %v", recs[0])
	}
	if recs[3]["properties"] != ` { "device" : "tv", "itemId": "i-9" } ` {
		t.Errorf("properties = %q, want them as sent", recs[3]["properties"])
	}
	if got := e.records(g.datasets["INTERACTIONS"], map[string][]string{"sessionId": {"anonymous-session"}, "limit": {"2"}}); len(got) != 2 {
		t.Errorf("records of the session with limit 2 = %d records", len(got))
	}
}

// TestTimestampStringsAreStored sends sentAt and timestamp as the strings
// Paws sends (ISO 8601 text, with or without a zone, and Unix time in
// digits) and reads back the epoch seconds each stands for. Digits get
// the range rule of numbers, so milliseconds sent by mistake are refused;
// any other string is a SerializationException.
func TestTimestampStringsAreStored(t *testing.T) {
	e := newEnv(t)
	g := e.makeGroup("paws")
	send := func(path, body string) (int, string, string) {
		resp := wireRequest{name: path, region: "us-east-1"}.send(t, e.url+path, http.Header{"Content-Type": {"application/octet-stream"}}, []byte(body))
		msg, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), string(msg)
	}

	status, code, msg := send("/events", `{"trackingId":"`+g.trackingID+`","sessionId":"s-1","userId":"u-1","eventList":[`+
		`{"eventId":"e-1","eventType":"click","sentAt":"1970-01-01T01:00:00"},`+
		`{"eventId":"e-2","eventType":"click","sentAt":"2023-11-14T23:13:20.125+01:00"},`+
		`{"eventId":"e-3","eventType":"click","sentAt":"1700000100"},`+
		`{"eventId":"e-4","eventType":"click","sentAt":"1700000000.0005"},`+
		`{"eventId":"e-5","eventType":"click","sentAt":1700000001}]}`)
	if status != http.StatusOK {
		t.Fatalf("PutEvents with string timestamps: %d %s %s", status, code, msg)
	}
	recs := e.records(g.datasets["INTERACTIONS"], nil)
	want := []float64{3600, 1700000000.125, 1700000100, 1700000000.001, 1700000001}
	if len(recs) != len(want) {
		t.Fatalf("stored %d records, want %d: %v", len(recs), len(want), recs)
	}
	for i, w := range want {
		if recs[i]["sentAt"] != w {
			t.Errorf("event %d: sentAt = %v, want %v", i+1, recs[i]["sentAt"], w)
		}
	}

	status, code, msg = send("/action-interactions", `{"trackingId":"`+g.actionTrackingID+`","actionInteractions":[`+
		`{"actionId":"a-1","sessionId":"s-1","eventType":"Taken","timestamp":"2023-11-14T22:13:20Z"}]}`)
	if status != http.StatusOK {
		t.Fatalf("PutActionInteractions with a string timestamp: %d %s %s", status, code, msg)
	}
	if recs := e.records(g.datasets["ACTION_INTERACTIONS"], nil); len(recs) != 1 || recs[0]["timestamp"] != 1700000000.0 {
		t.Errorf("action interaction stored as %v, want timestamp 1700000000", recs)
	}

	for _, c := range []struct{ sentAt, code, message string }{
		{`"1700000000000"`, "InvalidInputException", "Invalid timestamp at 'eventList.2.member.sentAt': timestamp 1700000000000 is out of range"},
		{`"yesterday"`, "SerializationException", "Unexpected JSON string at 'eventList.2.member.sentAt', expected epoch seconds as a number, or a string"},
		{`"2023-11-14"`, "SerializationException", "ISO 8601 date-time"},
	} {
		status, code, msg := send("/events", `{"trackingId":"`+g.trackingID+`","sessionId":"s-2","eventList":[`+
			`{"eventType":"click","sentAt":"1700000000"},{"eventType":"click","sentAt":`+c.sentAt+`}]}`)
		if status != http.StatusBadRequest || code != c.code || !strings.Contains(msg, c.message) {
			t.Errorf("sentAt %s: %d %s %s; want 400 %s with %q", c.sentAt, status, code, msg, c.code, c.message)
		}
	}
	if recs := e.records(g.datasets["INTERACTIONS"], map[string][]string{"sessionId": {"s-2"}}); len(recs) != 0 {
		t.Errorf("refused requests stored %v", recs)
	}
}
