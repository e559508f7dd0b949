package model

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

// TestParseReadsWhatEncodingJSONReads reads bodies through a Document and
// through encoding/json, and wants the same values: strings with and
// without escapes, numbers as written, non-finite floats, null and
// unknown members.
func TestParseReadsWhatEncodingJSONReads(t *testing.T) {
	bodies := []string{
		putEvents(event),
		`{"trackingId":"t\u00e9\"\\\/","sessionId":"s\ud83d\ude00","userId":null,"eventList":[` +
			`{"eventType":"click","sentAt":1.7e9,"eventValue":-4.5e-3,"impression":["a","b\n"],"properties":"{\"a\":\"1\"}",` +
			`"metricAttribution":{"eventAttributionSource":"email"},"unknown":{"x":[1,2]}},` +
			`{"eventType":"view","sentAt":1700000000.123,"impression":null,"itemId":null}]}`,
		`  {"trackingId":"t","sessionId":"s","eventList":[{"eventType":"x","sentAt":-1,"eventValue":"NaN"}]} `,
	}
	type event struct {
		EventType         string            `json:"eventType"`
		SentAt            json.Number       `json:"sentAt"`
		EventValue        any               `json:"eventValue"`
		ItemID            string            `json:"itemId"`
		Impression        []string          `json:"impression"`
		Properties        string            `json:"properties"`
		MetricAttribution map[string]string `json:"metricAttribution"`
	}
	type request struct {
		TrackingID string  `json:"trackingId"`
		UserID     string  `json:"userId"`
		SessionID  string  `json:"sessionId"`
		EventList  []event `json:"eventList"`
	}
	op := Events.Operation("PutEvents")
	for _, body := range bodies {
		var want request
		if err := json.Unmarshal([]byte(body), &want); err != nil {
			t.Fatal(err)
		}
		doc, err := op.Parse([]byte(body))
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		var got request
		for name, v := range doc.Root().Members() {
			switch string(name) {
			case "trackingId":
				got.TrackingID = v.String()
			case "userId":
				got.UserID = v.String()
			case "sessionId":
				got.SessionID = v.String()
			case "eventList":
				if v.Len() != len(want.EventList) {
					t.Errorf("eventList: Len %d, want %d", v.Len(), len(want.EventList))
				}
				for w := range v.Elements() {
					var e event
					for name, v := range w.Members() {
						switch string(name) {
						case "eventType":
							e.EventType = v.String()
						case "sentAt":
							e.SentAt = json.Number(v.Number())
						case "eventValue":
							if f := v.Float(); math.IsNaN(f) {
								e.EventValue = "NaN"
							} else {
								e.EventValue = f
							}
						case "itemId":
							e.ItemID = v.String()
						case "properties":
							e.Properties = v.String()
						case "impression":
							e.Impression = []string{}
							for s := range v.Elements() {
								e.Impression = append(e.Impression, s.String())
							}
						case "metricAttribution":
							e.MetricAttribution = map[string]string{}
							for k, s := range v.Members() {
								e.MetricAttribution[string(k)] = s.String()
							}
						}
					}
					got.EventList = append(got.EventList, e)
				}
			}
		}
		doc.Close()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\nread     %+v\nexpected %+v", body, got, want)
		}
	}
}

// TestParseRefusesWhatValidateRefuses: Parse answers exactly what Validate
// does for an invalid body.
func TestParseRefusesWhatValidateRefuses(t *testing.T) {
	op := Events.Operation("PutEvents")
	for _, body := range []string{`{`, `[]`, `{"trackingId":"t"}`, putEvents(`{"eventType":"","sentAt":1}`)} {
		doc, err := op.Parse([]byte(body))
		if doc != nil || err == nil || err.Error() != op.Validate([]byte(body)).Error() {
			t.Errorf("%s: Parse gave %v, %v; Validate %v", body, doc, err, op.Validate([]byte(body)))
		}
	}
}

// TestZeroValueIsNull: an absent member reads as null.
func TestZeroValueIsNull(t *testing.T) {
	var v Value
	if v.Len() != 0 || v.String() != "" || v.Number() != "" || !math.IsNaN(v.Float()) {
		t.Errorf("zero Value: Len %d, String %q, Number %q, Float %v", v.Len(), v.String(), v.Number(), v.Float())
	}
	for range v.Elements() {
		t.Error("zero Value has elements")
	}
	for range v.Members() {
		t.Error("zero Value has members")
	}
}
