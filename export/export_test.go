package export_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/export"
	"github.com/perchdev/perch/pebble"
)

// interactionsStore holds an interactions dataset of three events: two
// distinct ones and a repeat of the first one's eventId.
func interactionsStore(t *testing.T) (*pebble.Store, *perch.Dataset) {
	t.Helper()
	store, err := pebble.Open(t.TempDir(), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	d := &perch.Dataset{ARN: "arn:aws:personalize:us-east-1:123456789012:dataset/g/INTERACTIONS", Type: perch.Interactions, ID: 1}
	value := 1.5
	events := []perch.Event{
		{EventID: "e1", UserID: "u1", SessionID: "s1", ItemID: "i1", EventType: "click", EventValue: &value,
			SentAt: 1700000000000, Impression: []string{"i1", "i2"},
			Properties: `{"device": "phone, \"new\"", "numberOfRatings": 3, "notInTheSchema": "x"}`},
		{EventID: "e2", UserID: "u2", SessionID: "s2", ItemID: "i2", EventType: "view", SentAt: 1700000060000},
		{EventID: "e1", UserID: "u1", SessionID: "s1", ItemID: "i3", EventType: "click", SentAt: 1700000120000},
	}
	if err := store.Commit(context.Background(), &perch.Batch{Dataset: d, Events: events}); err != nil {
		t.Fatal(err)
	}
	return store, d
}

func exportString(t *testing.T, store perch.Store, d *perch.Dataset, schemaJSON string, opts export.Options) (string, export.Stats) {
	t.Helper()
	avro, err := perch.ParseSchema(schemaJSON)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	st, err := export.Dataset(context.Background(), store, d, avro, opts, &out)
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), st
}

func TestInteractionsCSV(t *testing.T) {
	store, d := interactionsStore(t)
	got, st := exportString(t, store, d, schema, export.Options{Format: export.CSV})
	// A value is quoted only when it needs to be, with backslash escapes
	// as Personalize's bulk CSV has them; the timestamp is in seconds;
	// impressions are joined with '|'; properties fill the columns their
	// camelCase keys name, and keys the schema lacks are dropped; an empty
	// cell is null; the repeated eventId is left out.
	want := "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE,IMPRESSION,DEVICE,NUMBER_OF_RATINGS\n" +
		`u1,i1,1700000000,click,1.5,i1|i2,"phone, \"new\"",3` + "\n" +
		`u2,i2,1700000060,view,,,,` + "\n"
	if got != want {
		t.Errorf("export:\n%s\nwant:\n%s", got, want)
	}
	if want := (export.Stats{Rows: 2, Duplicates: 1}); st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
}

func TestInteractionsJSONLines(t *testing.T) {
	store, d := interactionsStore(t)
	got, st := exportString(t, store, d, schema, export.Options{Format: export.JSONL})
	// Numbers are JSON numbers, strings JSON strings, nulls left out.
	want := `{"USER_ID":"u1","ITEM_ID":"i1","TIMESTAMP":1700000000,"EVENT_TYPE":"click","EVENT_VALUE":1.5,"IMPRESSION":"i1|i2","DEVICE":"phone, \"new\"","NUMBER_OF_RATINGS":3}` + "\n" +
		`{"USER_ID":"u2","ITEM_ID":"i2","TIMESTAMP":1700000060,"EVENT_TYPE":"view"}` + "\n"
	if got != want {
		t.Errorf("export:\n%s\nwant:\n%s", got, want)
	}
	if st.Rows != 2 || st.Duplicates != 1 {
		t.Errorf("stats %+v, want 2 rows and 1 duplicate", st)
	}
}

func TestInteractionsTimeRange(t *testing.T) {
	store, d := interactionsStore(t)
	// From is inclusive, To exclusive: only the second event's minute.
	opts := export.Options{Format: export.CSV, Time: &perch.TimeRange{From: 1700000060000, To: 1700000120000}}
	got, st := exportString(t, store, d, schema, opts)
	want := "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE,IMPRESSION,DEVICE,NUMBER_OF_RATINGS\n" +
		`u2,i2,1700000060,view,,,,` + "\n"
	if got != want {
		t.Errorf("export:\n%s\nwant:\n%s", got, want)
	}
	if st.Rows != 1 {
		t.Errorf("stats %+v, want 1 row", st)
	}
}

// A record without a value for a column the schema does not let be null
// is left out and counted, with the first such column named.
func TestIncompleteRecordsAreCounted(t *testing.T) {
	store, d := interactionsStore(t)
	required := `{"type":"record","name":"Interactions","fields":[
		{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"},
		{"name":"EVENT_VALUE","type":"float"}]}`
	got, st := exportString(t, store, d, required, export.Options{Format: export.CSV})
	want := "USER_ID,ITEM_ID,TIMESTAMP,EVENT_VALUE\n" + `u1,i1,1700000000,1.5` + "\n"
	if got != want {
		t.Errorf("export:\n%s\nwant:\n%s", got, want)
	}
	if want := (export.Stats{Rows: 1, Duplicates: 1, Incomplete: 1, MissingColumn: "EVENT_VALUE"}); st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
}

func TestItemsCSV(t *testing.T) {
	store, err := pebble.Open(t.TempDir(), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	d := &perch.Dataset{ARN: "arn:aws:personalize:us-east-1:123456789012:dataset/g/ITEMS", Type: perch.Items, ID: 2}
	ctx := context.Background()
	// The second write of item-1 replaces the first.
	for _, items := range [][]perch.Entity{
		{{ID: "item-1", Properties: `{"genres": "old"}`, Updated: 1}, {ID: "item-2", Properties: `{"price": 9.5, "description": "plain"}`, Updated: 1}},
		{{ID: "item-1", Properties: `{"genres": "comedy|drama", "price": 12}`, Updated: 2}},
	} {
		if err := store.Commit(ctx, &perch.Batch{Dataset: d, Entities: items}); err != nil {
			t.Fatal(err)
		}
	}
	items := `{"type":"record","name":"Items","fields":[
		{"name":"ITEM_ID","type":"string"},{"name":"GENRES","type":["null","string"],"categorical":true},
		{"name":"PRICE","type":["null","float"]},{"name":"DESCRIPTION","type":["null","string"],"textual":true}]}`
	got, st := exportString(t, store, d, items, export.Options{Format: export.CSV})
	// A textual field is always quoted.
	want := "ITEM_ID,GENRES,PRICE,DESCRIPTION\n" + `item-1,comedy|drama,12,` + "\n" + `item-2,,9.5,"plain"` + "\n"
	if got != want {
		t.Errorf("export:\n%s\nwant:\n%s", got, want)
	}
	if st.Rows != 2 {
		t.Errorf("stats %+v, want 2 rows", st)
	}
}

func TestFormats(t *testing.T) {
	for _, name := range []string{"csv", "jsonl", "parquet"} {
		f, err := export.ParseFormat(name)
		if err != nil || string(f) != name {
			t.Errorf("ParseFormat(%q) = %q, %v", name, f, err)
		}
	}
	if f, err := export.ParseFormat("xml"); err == nil {
		t.Errorf("ParseFormat(xml) = %q, want an error", f)
	}
	if got := export.FileName(perch.ActionInteractions, export.Parquet); got != "action_interactions.parquet" {
		t.Errorf("FileName = %q", got)
	}
}
