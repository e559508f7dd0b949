package pebble

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/perchdev/perch"
)

// TestRecordsReadBack encodes records and wants them back as they were,
// apart from what is never stored, for awkward strings, numbers,
// timestamps and empty members; and every shorter or longer value refused.
func TestRecordsReadBack(t *testing.T) {
	awkward := []string{
		"", "plain", `quote " and backslash \ and slash /`, "ctl \x00\x01\x1f\x7f \n\r\t\b\f",
		"é ü 日本 😀", "line sep \u2028 para \u2029", "<html>&amp;", "bad utf8 \xff\xfe end", "\xc3", `{"a":"1","b":[1,2]}`,
	}
	values := []float64{0, -0.5, 1e-7, 123456789.125, 3.4028234663852886e38, -1e21, 42}
	stamps := []perch.Timestamp{0, 1, -1, 1500, -1500, 1700000000123, 1700000000100, -253402300799000, 253402300799000, 1234}
	var records []any
	for i, s := range awkward {
		v := values[i%len(values)]
		ma := &perch.MetricAttribution{EventAttributionSource: s}
		if i%2 == 0 {
			ma = nil
		}
		records = append(records,
			&perch.Event{EventID: s, EventType: s, EventValue: &v, ItemID: s, UserID: s, SessionID: s,
				SentAt: stamps[i%len(stamps)], Impression: []string{s, "x", s}, RecommendationID: s,
				Properties: s, MetricAttribution: ma, Duplicate: i%3 == 0, Bulk: i%4 == 0},
			&perch.ActionInteraction{EventID: s, EventType: s, ActionID: s, UserID: s, SessionID: s,
				Timestamp: stamps[(i+3)%len(stamps)], Impression: []string{s}, RecommendationID: s, Properties: s,
				Duplicate: i%2 == 1, Bulk: i%2 == 0},
			&perch.Entity{ID: s, Properties: s, Updated: stamps[(i+5)%len(stamps)], Bulk: i%3 == 0},
		)
	}
	records = append(records, &perch.Event{}, &perch.ActionInteraction{}, &perch.Entity{},
		&perch.Event{EventType: "x", Impression: []string{}})
	for _, r := range records {
		batch := &perch.Batch{Dataset: dataset(1, perch.Interactions)}
		var want any
		switch r := r.(type) {
		case *perch.Event:
			batch.Events = []perch.Event{*r}
			w := *r
			w.Duplicate, w.Bulk = false, false
			want = &w
		case *perch.ActionInteraction:
			batch.ActionInteractions = []perch.ActionInteraction{*r}
			w := *r
			w.Duplicate, w.Bulk = false, false
			want = &w
		case *perch.Entity:
			batch.Entities = []perch.Entity{*r}
			w := *r
			w.Bulk = false
			want = &w
		}
		noEmptyLists(want)
		encoded, err := encodeBatch(batch)
		if err != nil {
			t.Fatal(err)
		}
		var enc []byte
		for _, runs := range [][]run{encoded.events, encoded.actionInteractions} {
			for _, r := range runs {
				enc = r.value
			}
		}
		for _, v := range encoded.entities {
			enc = v
		}
		if enc[0] != binaryEncoding {
			t.Fatalf("encoding byte %d", enc[0])
		}
		typ := reflect.TypeOf(r).Elem()
		got := reflect.New(typ).Interface()
		if err := decodeRecord(enc, got); err != nil {
			t.Fatalf("%q: %v", enc, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("read back\n%+v\nwant\n%+v", got, want)
		}
		for n := 1; n < len(enc); n++ {
			if err := decodeRecord(enc[:n], reflect.New(typ).Interface()); err == nil {
				t.Errorf("%q cut to %d bytes decoded", enc, n)
			}
		}
		if err := decodeRecord(append(enc, 0), reflect.New(typ).Interface()); err == nil {
			t.Errorf("%q with a trailing byte decoded", enc)
		}
	}
}

// noEmptyLists makes empty impression lists nil, as they read back.
func noEmptyLists(r any) {
	switch r := r.(type) {
	case *perch.Event:
		if len(r.Impression) == 0 {
			r.Impression = nil
		}
	case *perch.ActionInteraction:
		if len(r.Impression) == 0 {
			r.Impression = nil
		}
	}
}

// TestDecodeRecordRefusesUnknownFlags: a record written by a later build
// with a field this one does not know is refused, not misread.
func TestDecodeRecordRefusesUnknownFlags(t *testing.T) {
	enc, err := appendEvent(nil, &perch.Event{EventType: "x"})
	if err != nil {
		t.Fatal(err)
	}
	enc[1] = 0x40
	if err := decodeRecord(enc, new(perch.Event)); err == nil {
		t.Error("an event with an unknown flag decoded")
	}
	enc = appendEntity(nil, &perch.Entity{ID: "x"})
	enc[1] = 1
	if err := decodeRecord(enc, new(perch.Entity)); err == nil {
		t.Error("an entity with a flag decoded")
	}
}

// TestDecodeRecordRefusesOtherEncodings: only encoding 3 is a record; a
// JSON record of a pre-release store (encoding 1) is refused like any
// unknown encoding, not decoded.
func TestDecodeRecordRefusesOtherEncodings(t *testing.T) {
	enc := appendEntity(nil, &perch.Entity{ID: "x"})
	for _, b := range []byte{0, 1, runEncoding, 4, 0xff} {
		value := append([]byte{b}, enc[1:]...)
		if err := decodeRecord(value, new(perch.Entity)); err == nil {
			t.Errorf("a value in encoding %d decoded", b)
		}
	}
	if err := decodeRecord(append([]byte{1}, `{"id":"x"}`...), new(perch.Entity)); err == nil {
		t.Error("a JSON record decoded")
	}
	if _, err := splitRecords(append([]byte{1}, `{"id":"x"}`...), nil); err == nil {
		t.Error("a JSON record split")
	}
}

// TestEncodeBatchRefusesNonFiniteValues: JSON has no NaN or infinity.
func TestEncodeBatchRefusesNonFiniteValues(t *testing.T) {
	inf := math.Inf(1)
	batch := &perch.Batch{Dataset: dataset(1, perch.Interactions), Events: []perch.Event{{EventValue: &inf}}}
	if _, err := encodeBatch(batch); err == nil {
		t.Error("an infinite event value was encoded")
	}
}

// FuzzDecodeRecord: whatever a stored value holds, reading it is an error
// or a record, never a panic, and splitting a run likewise.
func FuzzDecodeRecord(f *testing.F) {
	v := 2.5
	e, _ := appendEvent(nil, &perch.Event{EventID: "e", EventType: "click", EventValue: &v, UserID: "u",
		Impression: []string{"a", "b"}, MetricAttribution: &perch.MetricAttribution{EventAttributionSource: "s"}})
	run, _ := appendRun(nil, []perch.Event{{EventID: "a"}, {EventID: "b"}}, appendEvent)
	for _, seed := range [][]byte{e, run,
		appendActionInteraction(nil, &perch.ActionInteraction{EventID: "a", ActionID: "x", Impression: []string{"y"}}),
		appendEntity(nil, &perch.Entity{ID: "i", Properties: `{"a":1}`, Updated: 5})} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value []byte) {
		records, err := splitRecords(value, nil)
		if err != nil {
			return
		}
		for _, r := range records {
			_ = decodeRecord(r, new(perch.Event))
			_ = decodeRecord(r, new(perch.ActionInteraction))
			_ = decodeRecord(r, new(perch.Entity))
		}
	})
}

// TestEncodeBatchSizesItsBuffer checks that the size encodeBatch
// allocates its buffer by bounds what it writes, so that the buffer never
// grows: runs of one and of many records, one- to three-byte string
// lengths, negative timestamps and every optional member.
func TestEncodeBatchSizesItsBuffer(t *testing.T) {
	value := -1.5
	long := strings.Repeat("p", 20000)
	var events []perch.Event
	for i := range 40 {
		e := perch.Event{EventID: fmt.Sprint("e", i), EventType: "click", ItemID: "i", UserID: "u", SessionID: "s", SentAt: -1 << 40}
		switch i % 4 {
		case 1:
			e.Properties, e.Impression, e.RecommendationID = strings.Repeat("x", 200), []string{"a", strings.Repeat("b", 300)}, "r"
		case 2:
			e.EventValue, e.MetricAttribution = &value, &perch.MetricAttribution{EventAttributionSource: "src"}
			e.UserID = fmt.Sprint("u", i) // a run of one
		case 3:
			e.Properties = long
		}
		events = append(events, e)
	}
	batches := []*perch.Batch{
		{Events: events},
		{Events: events[:1]},
		{ActionInteractions: []perch.ActionInteraction{
			{EventID: "a", EventType: "TAKEN", ActionID: "x", UserID: "u", SessionID: "s", Timestamp: 1 << 50, Impression: []string{"x", "y"}},
			{EventType: "VIEWED", ActionID: long, UserID: "u", SessionID: "s", Properties: long},
		}},
		{Entities: []perch.Entity{{ID: "i", Properties: long, Updated: -1}, {ID: strings.Repeat("i", 256)}}},
	}
	for _, b := range batches {
		bound := batchSize(b)
		enc, err := encodeBatch(b)
		if err != nil {
			t.Fatal(err)
		}
		written := 0 // the values lie end to end in the buffer
		for _, r := range enc.events {
			written += len(r.value)
		}
		for _, r := range enc.actionInteractions {
			written += len(r.value)
		}
		for _, v := range enc.entities {
			written += len(v)
		}
		if written > bound {
			t.Errorf("a batch of %d records: %d bytes written, more than the %d its records' sizes allow", b.Len(), written, bound)
		}
	}
}
