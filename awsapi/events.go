package awsapi

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/perchdev/perch"
)

// The events API's request bodies. Field names are the model's; the model
// validator has already checked every constraint when these are decoded.

type putEventsRequest struct {
	TrackingID string      `json:"trackingId"`
	UserID     string      `json:"userId"`
	SessionID  string      `json:"sessionId"`
	EventList  []wireEvent `json:"eventList"`
}

type wireEvent struct {
	EventID           string                   `json:"eventId"`
	EventType         string                   `json:"eventType"`
	EventValue        *wireFloat               `json:"eventValue"`
	ItemID            string                   `json:"itemId"`
	Properties        string                   `json:"properties"`
	SentAt            json.Number              `json:"sentAt"`
	RecommendationID  string                   `json:"recommendationId"`
	Impression        []string                 `json:"impression"`
	MetricAttribution *perch.MetricAttribution `json:"metricAttribution"`
}

type putActionInteractionsRequest struct {
	TrackingID         string                  `json:"trackingId"`
	ActionInteractions []wireActionInteraction `json:"actionInteractions"`
}

type wireActionInteraction struct {
	ActionID         string      `json:"actionId"`
	UserID           string      `json:"userId"`
	SessionID        string      `json:"sessionId"`
	Timestamp        json.Number `json:"timestamp"`
	EventType        string      `json:"eventType"`
	EventID          string      `json:"eventId"`
	RecommendationID string      `json:"recommendationId"`
	Impression       []string    `json:"impression"`
	Properties       string      `json:"properties"`
}

type putEntitiesRequest struct {
	DatasetARN string       `json:"datasetArn"`
	Items      []wireEntity `json:"items"`
	Users      []wireEntity `json:"users"`
	Actions    []wireEntity `json:"actions"`
}

type wireEntity struct {
	ItemID     string `json:"itemId"`
	UserID     string `json:"userId"`
	ActionID   string `json:"actionId"`
	Properties string `json:"properties"`
}

// wireFloat is a Smithy float: a JSON number, or one of the strings "NaN",
// "Infinity" and "-Infinity" that SDKs send for values JSON cannot hold.
type wireFloat float64

func (f *wireFloat) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		switch s {
		case "NaN":
			*f = wireFloat(math.NaN())
		case "Infinity":
			*f = wireFloat(math.Inf(1))
		case "-Infinity":
			*f = wireFloat(math.Inf(-1))
		default:
			return fmt.Errorf("%q is not a number", s)
		}
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = wireFloat(v)
	return nil
}

// timestampAt converts a wire timestamp, naming the member on failure.
func timestampAt(n json.Number, where string) (perch.Timestamp, error) {
	t, err := perch.ParseTimestamp(string(n))
	if err != nil {
		return 0, perch.Errorf(perch.EInvalidInput,
			"Invalid timestamp at '%s': %v; send epoch seconds between -%d and %d",
			where, err, perch.MaxTimestampSeconds, perch.MaxTimestampSeconds)
	}
	return t, nil
}

func (s *Server) putEvents(ctx context.Context, body []byte) error {
	var req putEventsRequest
	if err := decode(body, &req); err != nil {
		return err
	}
	events := make([]perch.Event, len(req.EventList))
	for i, w := range req.EventList {
		sentAt, err := timestampAt(w.SentAt, fmt.Sprintf("eventList.%d.member.sentAt", i+1))
		if err != nil {
			return err
		}
		e := perch.Event{
			EventID:           w.EventID,
			EventType:         w.EventType,
			ItemID:            w.ItemID,
			UserID:            req.UserID,
			SessionID:         req.SessionID,
			SentAt:            sentAt,
			Impression:        w.Impression,
			RecommendationID:  w.RecommendationID,
			Properties:        w.Properties,
			MetricAttribution: w.MetricAttribution,
		}
		if w.EventValue != nil {
			v := float64(*w.EventValue)
			if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > math.MaxFloat32 {
				return perch.Errorf(perch.EInvalidInput,
					"Invalid eventValue at 'eventList.%d.member.eventValue': %v is not a finite 32-bit float", i+1, v)
			}
			e.EventValue = &v
		}
		events[i] = e
	}
	return s.ingest.PutEvents(ctx, req.TrackingID, events)
}

func (s *Server) putActionInteractions(ctx context.Context, body []byte) error {
	var req putActionInteractionsRequest
	if err := decode(body, &req); err != nil {
		return err
	}
	ais := make([]perch.ActionInteraction, len(req.ActionInteractions))
	for i, w := range req.ActionInteractions {
		ts, err := timestampAt(w.Timestamp, fmt.Sprintf("actionInteractions.%d.member.timestamp", i+1))
		if err != nil {
			return err
		}
		ais[i] = perch.ActionInteraction{
			EventID:          w.EventID,
			EventType:        w.EventType,
			ActionID:         w.ActionID,
			UserID:           w.UserID,
			SessionID:        w.SessionID,
			Timestamp:        ts,
			Impression:       w.Impression,
			RecommendationID: w.RecommendationID,
			Properties:       w.Properties,
		}
	}
	return s.ingest.PutActionInteractions(ctx, req.TrackingID, ais)
}

func (s *Server) putEntities(t perch.DatasetType) func(context.Context, []byte) error {
	return func(ctx context.Context, body []byte) error {
		var req putEntitiesRequest
		if err := decode(body, &req); err != nil {
			return err
		}
		var list []wireEntity
		switch t {
		case perch.Items:
			list = req.Items
		case perch.Users:
			list = req.Users
		case perch.Actions:
			list = req.Actions
		}
		entities := make([]perch.Entity, len(list))
		for i, w := range list {
			id := w.ItemID
			switch t {
			case perch.Users:
				id = w.UserID
			case perch.Actions:
				id = w.ActionID
			}
			entities[i] = perch.Entity{ID: id, Properties: w.Properties}
		}
		return s.ingest.PutEntities(ctx, req.DatasetARN, t, entities)
	}
}
