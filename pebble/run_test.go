package pebble

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/perchdev/perch"
)

// readCase is a query and the events it should read, as eventsOf prints
// them.
type readCase struct {
	q    perch.RecordQuery
	want string
}

func wantReads(t *testing.T, s *Store, d *perch.Dataset, cases []readCase) {
	t.Helper()
	for _, c := range cases {
		if got := eventsOf(t, s, d, c.q); got != c.want {
			t.Errorf("%+v: read %q, want %q", c.q, got, c.want)
		}
	}
}

func eventsOf(t *testing.T, s *Store, d *perch.Dataset, q perch.RecordQuery) string {
	t.Helper()
	var out []string
	for _, e := range events(t, s, d.ID, q) {
		id := e.EventID
		if e.Duplicate {
			id += "(dup)"
		}
		out = append(out, id)
	}
	return strings.Join(out, " ")
}

// TestRuns: consecutive records of a batch with the same user and session
// share one record key and one key in each index, and read back exactly as
// records stored one by one would.
func TestRuns(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	d := dataset(1, perch.Interactions)
	commit(t, s, &perch.Batch{Dataset: d, Events: []perch.Event{
		event("e1", "u1", "s1"), event("e2", "u1", "s1"), // run 1
		event("e3", "u2", "s1"),                          // run 2
		event("e4", "u1", "s2"), event("e1", "u1", "s2"), // run 3, its second record a duplicate
		event("e5", "", "s2"), // run 4, anonymous
	}})
	for _, c := range []struct {
		prefix []byte
		want   int
	}{
		{appendDatasetPrefix(nil, tagEvent, d.ID), 4},
		{appendIDPrefix(nil, tagUserIndex, d.ID, "u1"), 2},
		{appendIDPrefix(nil, tagUserIndex, d.ID, "u2"), 1},
		{appendIDPrefix(nil, tagSessionIndex, d.ID, "s1"), 2},
		{appendIDPrefix(nil, tagSessionIndex, d.ID, "s2"), 2},
		{appendDatasetPrefix(nil, tagDedup, d.ID), 6},
	} {
		if n := countKeys(t, s, c.prefix); n != c.want {
			t.Errorf("%d keys under %q, want %d", n, c.prefix, c.want)
		}
	}
	wantReads(t, s, d, []readCase{
		{perch.RecordQuery{}, "e1 e2 e3 e4 e1(dup) e5"},
		{perch.RecordQuery{UserID: "u1"}, "e1 e2 e4 e1(dup)"},
		{perch.RecordQuery{SessionID: "s2"}, "e4 e1(dup) e5"},
		{perch.RecordQuery{UserID: "u1", SessionID: "s2"}, "e4 e1(dup)"},
		{perch.RecordQuery{Limit: 3}, "e1 e2 e3"},
		{perch.RecordQuery{Limit: 1}, "e1"},
		{perch.RecordQuery{UserID: "u1", Limit: 3}, "e1 e2 e4"},
	})

	n, err := s.DeleteUsers(context.Background(), d, []string{"u1"})
	if err != nil || n != 4 {
		t.Fatalf("DeleteUsers = %d, %v; want 4", n, err)
	}
	commit(t, s, &perch.Batch{Dataset: d, Events: []perch.Event{event("e1", "u3", "s3"), event("e3", "u3", "s3")}})
	if got, want := eventsOf(t, s, d, perch.RecordQuery{}), "e3 e5 e1 e3(dup)"; got != want {
		t.Errorf("after deleting u1: %q, want %q", got, want)
	}
	for _, c := range []struct {
		prefix []byte
		want   int
	}{
		{appendIDPrefix(nil, tagUserIndex, d.ID, "u1"), 0},
		{appendIDPrefix(nil, tagSessionIndex, d.ID, "s1"), 1},
		{appendIDPrefix(nil, tagSessionIndex, d.ID, "s2"), 1},
		{appendIDPrefix(nil, tagDedup, d.ID, "e1"), 1},
		{appendIDPrefix(nil, tagDedup, d.ID, "e2"), 0},
	} {
		if n := countKeys(t, s, c.prefix); n != c.want {
			t.Errorf("after deleting u1: %d keys under %q, want %d", n, c.prefix, c.want)
		}
	}
}

// TestRunsAreBounded: a long run of one user is cut every maxRunRecords
// records.
func TestRunsAreBounded(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	d := dataset(1, perch.ActionInteractions)
	const n = 2*maxRunRecords + 3
	b := &perch.Batch{Dataset: d}
	var want []string
	for i := range n {
		id := fmt.Sprint(i)
		b.ActionInteractions = append(b.ActionInteractions, perch.ActionInteraction{
			EventID: id, ActionID: "a", UserID: "u", SessionID: "s", EventType: "Taken", Timestamp: perch.Timestamp(i),
		})
		want = append(want, id)
	}
	commit(t, s, b)
	if got := countKeys(t, s, appendDatasetPrefix(nil, tagActionInteraction, d.ID)); got != 3 {
		t.Errorf("%d record keys, want 3", got)
	}
	for _, q := range []perch.RecordQuery{{}, {UserID: "u"}, {SessionID: "s"}} {
		var got []string
		for _, a := range actionInteractions(t, s, d.ID, q) {
			got = append(got, a.EventID)
			if a.Duplicate {
				t.Errorf("%+v: %s read as a duplicate", q, a.EventID)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%+v: read %v", q, got)
		}
	}
}

// TestSplitRecords: a run's value splits into its records, and a damaged
// value is an error, never a panic or a wrong record.
func TestSplitRecords(t *testing.T) {
	events := []perch.Event{event("a", "u", "s"), event("bb", "u", "s"), event("ccc", "u", "s")}
	value, err := appendRun(nil, events, appendEvent)
	if err != nil {
		t.Fatal(err)
	}
	records, err := splitRecords(value, nil)
	if err != nil || len(records) != len(events) {
		t.Fatalf("splitRecords = %d records, %v", len(records), err)
	}
	for i, r := range records {
		var got perch.Event
		if err := decodeRecord(r, &got); err != nil || !reflect.DeepEqual(got, events[i]) {
			t.Errorf("record %d = %+v, %v", i, got, err)
		}
	}
	single, _ := appendRun(nil, events[:1], appendEvent)
	if single[0] != binaryEncoding {
		t.Errorf("a run of one is stored in encoding %d", single[0])
	}
	if records, err := splitRecords(single, nil); err != nil || len(records) != 1 || !bytes.Equal(records[0], single) {
		t.Errorf("splitRecords of one record = %q, %v", records, err)
	}
	for i := range value {
		if _, err := splitRecords(value[:i], nil); err == nil {
			t.Errorf("a run cut to %d bytes split", i)
		}
	}
	for _, bad := range [][]byte{{}, {0}, {4}, {runEncoding}, {runEncoding, 0xff}, {runEncoding, 1, 0}, {runEncoding, 2, 1, binaryEncoding}} {
		if _, err := splitRecords(bad, nil); err == nil {
			t.Errorf("%q split", bad)
		}
	}
}
