package perch

import (
	"reflect"
	"strings"
	"testing"
)

const columnsSchema = `{"type":"record","name":"Interactions","fields":[
	{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"},
	{"name":"EVENT_TYPE","type":"string"},{"name":"EVENT_VALUE","type":["null","float"]},
	{"name":"IMPRESSION","type":["null","string"]},{"name":"EVENT_ATTRIBUTION_SOURCE","type":["null","string"]},
	{"name":"DEVICE","type":["null","string"],"categorical":true},{"name":"NUMBER_OF_RATINGS","type":["null","int"]},
	{"name":"SCORE","type":["null","double"]},{"name":"ACTIVE","type":["null","boolean"]}]}`

func cells(texts ...string) []Cell {
	row := make([]Cell, len(texts))
	for i, t := range texts {
		if t == "<null>" {
			row[i] = Cell{Null: true}
		} else {
			row[i] = Cell{Text: t}
		}
	}
	return row
}

func TestEventRowsRoundTrip(t *testing.T) {
	s, err := ParseSchema(columnsSchema)
	if err != nil {
		t.Fatal(err)
	}
	c := s.Columns(Interactions)
	v := 4.5
	e := Event{
		EventID: "e1", SessionID: "s1", UserID: "u1", ItemID: "i1", EventType: "click", EventValue: &v,
		SentAt: 1700000000999, Impression: []string{"i1", "i2"},
		MetricAttribution: &MetricAttribution{EventAttributionSource: "email"},
		Properties:        `{"device":"phone","numberOfRatings":"12","score":1e3,"active":true}`,
	}
	row, missing := c.EventRow(&e, nil)
	if missing != "" {
		t.Fatalf("missing %s", missing)
	}
	want := cells("u1", "i1", "1700000000", "click", "4.5", "i1|i2", "email", "phone", "12", "1000", "true")
	if !reflect.DeepEqual(row, want) {
		t.Fatalf("row %v\nwant %v", row, want)
	}
	back, err := c.Event(row)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := c.EventRow(&back, nil)
	if !reflect.DeepEqual(again, row) {
		t.Errorf("round trip gave %v, want %v", again, row)
	}
	if back.Properties != `{"device":"phone","numberOfRatings":12,"score":1000,"active":true}` {
		t.Errorf("properties %s", back.Properties)
	}
	if err := s.CheckProperties(back.Properties, Interactions); err != nil {
		t.Errorf("imported properties fail the schema: %v", err)
	}

	// An item id sent in properties, as older clients do, is the column's.
	legacy := Event{UserID: "u", EventType: "x", SentAt: 0, Properties: `{"itemId":"from-props","eventValue":2}`}
	if row, missing := c.EventRow(&legacy, nil); missing != "" || row[1].Text != "from-props" || row[4].Text != "2" {
		t.Errorf("legacy row %v (missing %q)", row, missing)
	}
	anonymous := Event{SessionID: "s", ItemID: "i", EventType: "x"}
	if _, missing := c.EventRow(&anonymous, nil); missing != "USER_ID" {
		t.Errorf("anonymous event: missing %q, want USER_ID", missing)
	}
}

func TestRowErrorsNameTheColumn(t *testing.T) {
	s, err := ParseSchema(columnsSchema)
	if err != nil {
		t.Fatal(err)
	}
	c := s.Columns(Interactions)
	ok := []string{"u", "i", "1", "click", "<null>", "<null>", "<null>", "<null>", "<null>", "<null>", "<null>"}
	for _, tc := range []struct {
		col  int
		text string
		want string
	}{
		{0, "<null>", "column USER_ID: the value is empty, but USER_ID is not nullable"},
		{2, "1700000000000", "column TIMESTAMP: TIMESTAMP must be epoch seconds"},
		{2, "12.5", "column TIMESTAMP: TIMESTAMP must be a long"},
		{4, "NaN", "column EVENT_VALUE: EVENT_VALUE must be a finite float"},
		{4, "1e39", "column EVENT_VALUE: EVENT_VALUE must be a finite float"},
		{8, "3000000000", "column NUMBER_OF_RATINGS: NUMBER_OF_RATINGS must be an int"},
		{10, "TRUE", "column ACTIVE: ACTIVE must be true or false"},
		{7, strings.Repeat("x", 1001), "column DEVICE: a categorical value may have at most 1000 characters"},
		{1, strings.Repeat("x", 257), "column ITEM_ID: an id must have 1 to 256 characters"},
	} {
		row := cells(ok...)
		row[tc.col] = cells(tc.text)[0]
		_, err := c.Event(row)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("cell %q: error %v, want %q", tc.text, err, tc.want)
		}
		if _, isColumn := err.(*ColumnError); !isColumn {
			t.Errorf("cell %q: error of type %T", tc.text, err)
		}
	}
}
