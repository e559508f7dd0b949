package model

import (
	"errors"
	"testing"
)

// TestTimestampStrings reads sentAt given as each string form Paws may
// send, and as a number, through a parsed request: the epoch seconds each
// stands for, or the SerializationException that refuses it.
func TestTimestampStrings(t *testing.T) {
	tests := []struct {
		sentAt string // as written in the body
		want   string // epoch seconds; "" when refused
	}{
		{`1700000000.125`, "1700000000.125"},
		{`"1700000100"`, "1700000100"},
		{`"1700000000.125"`, "1700000000.125"},
		{`"-12.5"`, "-12.5"},
		{`"+12"`, "+12"},
		{`"1700000000000"`, "1700000000000"}, // milliseconds: left to the range rule of numbers
		{`"1970-01-01T01:00:00"`, "3600"},    // the seed's example: no zone is UTC
		{`"1970-01-01T01:00:00.5"`, "3600.5"},
		{`"2023-11-14T22:13:20Z"`, "1700000000"},
		{`"2023-11-14t22:13:20z"`, "1700000000"},
		{`"2023-11-14 22:13:20Z"`, "1700000000"},
		{`"2023-11-14T22:13:20.125Z"`, "1700000000.125"},
		{`"2023-11-14T22:13:20,125Z"`, "1700000000.125"},
		{`"2023-11-14T22:13:20.123456789Z"`, "1700000000.123456789"},
		{`"2023-11-14T23:13:20+01:00"`, "1700000000"},
		{`"2023-11-14T23:13:20+0100"`, "1700000000"},
		{`"2023-11-14T23:13:20+01"`, "1700000000"},
		{`"1969-12-31T23:59:59.25Z"`, "-0.75"},
		{`"1969-12-31T23:59:58Z"`, "-2"},
		{`"1700000\u0031"`, "17000001"},
		{`""`, ""},
		{`"now"`, ""},
		{`"1.7e9"`, ""},
		{`"0x10"`, ""},
		{`" 1700000000"`, ""},
		{`"1700000000."`, ""},
		{`".5"`, ""},
		{`"-"`, ""},
		{`"2023-11-14"`, ""},
		{`"2023-11-14T22:13"`, ""},
		{`"2023-02-30T00:00:00Z"`, ""},
		{`"2023-11-14T24:00:00Z"`, ""},
		{`"2023-11-14T22:13:20Zjunk"`, ""},
		{`"Tue, 14 Nov 2023 22:13:20 GMT"`, ""},
	}
	op := Events.Operation("PutEvents")
	for _, tt := range tests {
		body := putEvents(`{"eventType":"x","sentAt":` + tt.sentAt + `}`)
		doc, err := op.Parse([]byte(body))
		if tt.want == "" {
			var se *SerializationError
			if !errors.As(err, &se) || se.Message != "Unexpected JSON string at 'eventList.1.member.sentAt', expected "+timestampForms {
				t.Errorf("sentAt %s: got %v, want a SerializationError naming the member and the forms", tt.sentAt, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("sentAt %s: %v", tt.sentAt, err)
			continue
		}
		var got string
		for name, v := range doc.Root().Members() {
			if string(name) == "eventList" {
				for e := range v.Elements() {
					for name, v := range e.Members() {
						if string(name) == "sentAt" {
							got = v.EpochSeconds()
						}
					}
				}
			}
		}
		doc.Close()
		if got != tt.want {
			t.Errorf("sentAt %s: epoch seconds %q, want %q", tt.sentAt, got, tt.want)
		}
	}
}
