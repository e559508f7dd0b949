package awsapi

import (
	"context"
	"math"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/awsapi/model"
)

// The events API's request bodies are read from the validator's document:
// the model validator has already checked every member's JSON type and
// constraint, so each is read here without checking again.

// float reads a Smithy float: a JSON number, or one of the strings "NaN",
// "Infinity" and "-Infinity" that SDKs send for values JSON cannot hold.
func float(v model.Value) *float64 {
	f := v.Float()
	return &f
}

// stringList reads a list of strings.
func stringList(v model.Value) []string {
	list := make([]string, 0, v.Len())
	for e := range v.Elements() {
		list = append(list, e.String())
	}
	return list
}

// timestampAt converts a wire timestamp, naming the member of the i-th
// (from 0) element of list on failure.
func timestampAt(n, list string, i int, member string) (perch.Timestamp, error) {
	t, err := perch.ParseTimestamp(n)
	if err != nil {
		return 0, perch.Errorf(perch.EInvalidInput,
			"Invalid timestamp at '%s.%d.member.%s': %v; send epoch seconds between -%d and %d",
			list, i+1, member, err, perch.MaxTimestampSeconds, perch.MaxTimestampSeconds)
	}
	return t, nil
}

func (s *Server) putEvents(ctx context.Context, body model.Value) error {
	trackingID, events, err := readPutEvents(body)
	if err != nil {
		return err
	}
	return s.ingest.PutEvents(ctx, trackingID, events)
}

// readPutEvents reads a PutEvents request.
func readPutEvents(body model.Value) (trackingID string, events []perch.Event, err error) {
	var userID, sessionID string
	var list model.Value
	for name, v := range body.Members() {
		switch string(name) {
		case "trackingId":
			trackingID = v.String()
		case "userId":
			userID = v.String()
		case "sessionId":
			sessionID = v.String()
		case "eventList":
			list = v
		}
	}
	events = make([]perch.Event, 0, list.Len())
	for w := range list.Elements() {
		e := perch.Event{UserID: userID, SessionID: sessionID}
		var sentAt string
		for name, v := range w.Members() {
			switch string(name) {
			case "eventId":
				e.EventID = v.String()
			case "eventType":
				e.EventType = v.String()
			case "eventValue":
				e.EventValue = float(v)
			case "itemId":
				e.ItemID = v.String()
			case "properties":
				e.Properties = v.String()
			case "sentAt":
				sentAt = v.EpochSeconds()
			case "recommendationId":
				e.RecommendationID = v.String()
			case "impression":
				e.Impression = stringList(v)
			case "metricAttribution":
				for name, v := range v.Members() {
					if string(name) == "eventAttributionSource" {
						e.MetricAttribution = &perch.MetricAttribution{EventAttributionSource: v.String()}
					}
				}
			}
		}
		i := len(events)
		if e.SentAt, err = timestampAt(sentAt, "eventList", i, "sentAt"); err != nil {
			return "", nil, err
		}
		if e.EventValue != nil {
			v := *e.EventValue
			if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > math.MaxFloat32 {
				return "", nil, perch.Errorf(perch.EInvalidInput,
					"Invalid eventValue at 'eventList.%d.member.eventValue': %v is not a finite 32-bit float", i+1, v)
			}
		}
		events = append(events, e)
	}
	return trackingID, events, nil
}

func (s *Server) putActionInteractions(ctx context.Context, body model.Value) error {
	var trackingID string
	var list model.Value
	for name, v := range body.Members() {
		switch string(name) {
		case "trackingId":
			trackingID = v.String()
		case "actionInteractions":
			list = v
		}
	}
	ais := make([]perch.ActionInteraction, 0, list.Len())
	for w := range list.Elements() {
		var a perch.ActionInteraction
		var timestamp string
		for name, v := range w.Members() {
			switch string(name) {
			case "actionId":
				a.ActionID = v.String()
			case "userId":
				a.UserID = v.String()
			case "sessionId":
				a.SessionID = v.String()
			case "timestamp":
				timestamp = v.EpochSeconds()
			case "eventType":
				a.EventType = v.String()
			case "eventId":
				a.EventID = v.String()
			case "recommendationId":
				a.RecommendationID = v.String()
			case "impression":
				a.Impression = stringList(v)
			case "properties":
				a.Properties = v.String()
			}
		}
		var err error
		if a.Timestamp, err = timestampAt(timestamp, "actionInteractions", len(ais), "timestamp"); err != nil {
			return err
		}
		ais = append(ais, a)
	}
	return s.ingest.PutActionInteractions(ctx, trackingID, ais)
}

// entityMembers name the list of each kind of entity in its request, and
// the id member of its entries.
var entityMembers = map[perch.DatasetType]struct{ list, id string }{
	perch.Items:   {"items", "itemId"},
	perch.Users:   {"users", "userId"},
	perch.Actions: {"actions", "actionId"},
}

func (s *Server) putEntities(t perch.DatasetType) func(context.Context, model.Value) error {
	names := entityMembers[t]
	return func(ctx context.Context, body model.Value) error {
		var datasetARN string
		var list model.Value
		for name, v := range body.Members() {
			switch string(name) {
			case "datasetArn":
				datasetARN = v.String()
			case names.list:
				list = v
			}
		}
		entities := make([]perch.Entity, 0, list.Len())
		for w := range list.Elements() {
			var e perch.Entity
			for name, v := range w.Members() {
				switch string(name) {
				case names.id:
					e.ID = v.String()
				case "properties":
					e.Properties = v.String()
				}
			}
			entities = append(entities, e)
		}
		return s.ingest.PutEntities(ctx, datasetARN, t, entities)
	}
}
