package pebble

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"

	"github.com/perchdev/perch"
)

// The first byte of every stored record value says how the rest is
// encoded, so that a later encoding can be introduced value by value.
// Byte 1 (one record as JSON) was written only by pre-release stores,
// which Open refuses; a value in it, or in any encoding not listed here,
// is an error.
const (
	// runEncoding: the records of a run (see run): their count as an
	// unsigned varint, then each record as its length (an unsigned
	// varint) and its value in encoding 3.
	runEncoding byte = 2
	// binaryEncoding: one record, binary (see appendEvent).
	binaryEncoding byte = 3
)

var errBadValue = errors.New("pebble: stored value is damaged or in an unknown encoding")

// appendRun appends the value of a run of records: the record itself for
// one, encoding 2 for more. appendRecord appends a record with its
// encoding byte.
func appendRun[T any](b []byte, records []T, appendRecord func([]byte, *T) ([]byte, error)) ([]byte, error) {
	var err error
	if len(records) == 1 {
		return appendRecord(b, &records[0])
	}
	b = binary.AppendUvarint(append(b, runEncoding), uint64(len(records)))
	for i := range records {
		// A record's length goes before it but is known only once it is
		// written: write it, then move it along to make room.
		at := len(b)
		if b, err = appendRecord(b, &records[i]); err != nil {
			return nil, err
		}
		size := len(b) - at
		var length [binary.MaxVarintLen64]byte
		k := binary.PutUvarint(length[:], uint64(size))
		b = append(b, length[:k]...)
		copy(b[at+k:], b[at:at+size])
		copy(b[at:], length[:k])
	}
	return b, nil
}

// splitRecords appends to dst each record of a stored value, as a value of
// encoding 3: the value itself, or each record of a run in order. The
// records are slices of value.
func splitRecords(value []byte, dst [][]byte) ([][]byte, error) {
	if len(value) == 0 {
		return dst, errBadValue
	}
	switch value[0] {
	case binaryEncoding:
		return append(dst, value), nil
	case runEncoding:
		n, k := binary.Uvarint(value[1:])
		rest := value[1+max(k, 0):]
		if k <= 0 || n > uint64(len(rest)) {
			return dst, errBadValue
		}
		for range n {
			size, k := binary.Uvarint(rest)
			if k <= 0 || size == 0 || size > uint64(len(rest)-k) {
				return dst, errBadValue
			}
			dst = append(dst, rest[k:k+int(size)])
			rest = rest[k+int(size):]
		}
		if len(rest) != 0 {
			return dst, errBadValue
		}
		return dst, nil
	}
	return dst, errBadValue
}

// Records are stored in encoding 3: binary, each field in a fixed order,
// strings and lists prefixed with their length as unsigned varints,
// timestamps as signed varints of milliseconds. Against JSON this leaves
// out the member names and quoting, about half of a typical event, which
// the engine would otherwise copy into its memtable, log, flushes and
// every compaction.
//
// Duplicate and Bulk are never stored: readers work them out.

// Bits of an event's flags.
const (
	hasEventValue = 1 << iota
	hasMetricAttribution
)

// appendEvent, appendActionInteraction and appendEntity append a record
// in encoding 3, its encoding byte first.
func appendEvent(b []byte, e *perch.Event) ([]byte, error) {
	var flags uint64
	if e.EventValue != nil {
		if f := *e.EventValue; math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("pebble: event value %v is not a number", f)
		}
		flags |= hasEventValue
	}
	if e.MetricAttribution != nil {
		flags |= hasMetricAttribution
	}
	b = binary.AppendUvarint(append(b, binaryEncoding), flags)
	b = appendStrings(b, e.EventID, e.EventType, e.ItemID, e.UserID, e.SessionID, e.RecommendationID, e.Properties)
	b = binary.AppendVarint(b, int64(e.SentAt))
	b = appendList(b, e.Impression)
	if e.EventValue != nil {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(*e.EventValue))
	}
	if e.MetricAttribution != nil {
		b = appendStrings(b, e.MetricAttribution.EventAttributionSource)
	}
	return b, nil
}

func appendActionInteraction(b []byte, a *perch.ActionInteraction) []byte {
	b = binary.AppendUvarint(append(b, binaryEncoding), 0) // no flags yet
	b = appendStrings(b, a.EventID, a.EventType, a.ActionID, a.UserID, a.SessionID, a.RecommendationID, a.Properties)
	b = binary.AppendVarint(b, int64(a.Timestamp))
	return appendList(b, a.Impression)
}

func appendEntity(b []byte, e *perch.Entity) []byte {
	b = binary.AppendUvarint(append(b, binaryEncoding), 0)
	b = appendStrings(b, e.ID, e.Properties)
	return binary.AppendVarint(b, int64(e.Updated))
}

// batchSize bounds the size of the encoding of b's records, so that the
// buffer they are encoded into is allocated once, about as large as it
// needs to be.
func batchSize(b *perch.Batch) int {
	n := 0
	for i := range b.Events {
		n += eventSize(&b.Events[i])
	}
	for i := range b.ActionInteractions {
		n += actionInteractionSize(&b.ActionInteractions[i])
	}
	for i := range b.Entities {
		n += entitySize(&b.Entities[i])
	}
	return n
}

// eventSize, actionInteractionSize and entitySize bound the size of a
// record's encoding, its length within a run included.
func eventSize(e *perch.Event) int {
	n := recordFraming + stringsSize(e.EventID, e.EventType, e.ItemID, e.UserID, e.SessionID, e.RecommendationID, e.Properties) +
		listSize(e.Impression)
	if e.EventValue != nil {
		n += 8
	}
	if e.MetricAttribution != nil {
		n += stringsSize(e.MetricAttribution.EventAttributionSource)
	}
	return n
}

func actionInteractionSize(a *perch.ActionInteraction) int {
	return recordFraming + stringsSize(a.EventID, a.EventType, a.ActionID, a.UserID, a.SessionID, a.RecommendationID, a.Properties) +
		listSize(a.Impression)
}

func entitySize(e *perch.Entity) int { return recordFraming + stringsSize(e.ID, e.Properties) }

// recordFraming bounds what a record's encoding adds besides its strings:
// the encoding byte, the flags (one byte while there are at most seven),
// the timestamp, a run's header (a run has at most 16 records) and the
// record's length within the run.
const recordFraming = 1 + 1 + binary.MaxVarintLen64 + 2 + binary.MaxVarintLen32

func listSize(list []string) int { return uvarintSize(len(list)) + stringsSize(list...) }

func stringsSize(fields ...string) int {
	n := 0
	for _, s := range fields {
		n += uvarintSize(len(s)) + len(s)
	}
	return n
}

// uvarintSize is the length of n as an unsigned varint.
func uvarintSize(n int) int { return (bits.Len64(uint64(n)|1) + 6) / 7 }

func appendStrings(b []byte, fields ...string) []byte {
	for _, s := range fields {
		b = append(binary.AppendUvarint(b, uint64(len(s))), s...)
	}
	return b
}

func appendList(b []byte, list []string) []byte {
	return appendStrings(binary.AppendUvarint(b, uint64(len(list))), list...)
}

var errTruncated = errors.New("pebble: stored record is cut short")

// fields reads a record of encoding 3 field by field. The first error
// sticks: every later read returns a zero value.
type fields struct {
	b   []byte
	err error
}

// readVarint reads a varint with read (binary.Uvarint or binary.Varint).
func readVarint[T uint64 | int64](f *fields, read func([]byte) (T, int)) T {
	if f.err != nil {
		return 0
	}
	v, n := read(f.b)
	if n <= 0 {
		f.err = errTruncated
		return 0
	}
	f.b = f.b[n:]
	return v
}

func (f *fields) uvarint() uint64 { return readVarint(f, binary.Uvarint) }

func (f *fields) timestamp() perch.Timestamp { return perch.Timestamp(readVarint(f, binary.Varint)) }

func (f *fields) string() string {
	n := f.uvarint()
	if f.err != nil {
		return ""
	}
	if n > uint64(len(f.b)) {
		f.err = errTruncated
		return ""
	}
	s := string(f.b[:n])
	f.b = f.b[n:]
	return s
}

func (f *fields) strings(dst ...*string) {
	for _, p := range dst {
		*p = f.string()
	}
}

func (f *fields) list() []string {
	n := f.uvarint()
	if f.err != nil || n == 0 {
		return nil
	}
	if n > uint64(len(f.b)) { // each string takes at least its length byte
		f.err = errTruncated
		return nil
	}
	list := make([]string, n)
	for i := range list {
		list[i] = f.string()
	}
	return list
}

func (f *fields) float64() float64 {
	if f.err != nil {
		return 0
	}
	if len(f.b) < 8 {
		f.err = errTruncated
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(f.b))
	f.b = f.b[8:]
	return v
}

// end reports the first error, or trailing bytes.
func (f *fields) end() error {
	if f.err == nil && len(f.b) != 0 {
		f.err = errors.New("pebble: stored record has trailing bytes")
	}
	return f.err
}

// decodeRecord reads one record (encoding 3) into v, a *perch.Event,
// *perch.ActionInteraction or *perch.Entity.
func decodeRecord(b []byte, v any) error {
	if len(b) == 0 || b[0] != binaryEncoding {
		return errBadValue
	}
	f := &fields{b: b[1:]}
	flags := f.uvarint()
	known := uint64(0)
	if _, ok := v.(*perch.Event); ok {
		known = hasEventValue | hasMetricAttribution
	}
	if flags&^known != 0 {
		return fmt.Errorf("pebble: stored record has flags %#x this build does not know", flags)
	}
	switch r := v.(type) {
	case *perch.Event:
		f.strings(&r.EventID, &r.EventType, &r.ItemID, &r.UserID, &r.SessionID, &r.RecommendationID, &r.Properties)
		r.SentAt = f.timestamp()
		r.Impression = f.list()
		if flags&hasEventValue != 0 {
			value := f.float64()
			r.EventValue = &value
		}
		if flags&hasMetricAttribution != 0 {
			r.MetricAttribution = &perch.MetricAttribution{EventAttributionSource: f.string()}
		}
	case *perch.ActionInteraction:
		f.strings(&r.EventID, &r.EventType, &r.ActionID, &r.UserID, &r.SessionID, &r.RecommendationID, &r.Properties)
		r.Timestamp = f.timestamp()
		r.Impression = f.list()
	case *perch.Entity:
		f.strings(&r.ID, &r.Properties)
		r.Updated = f.timestamp()
	default:
		return fmt.Errorf("pebble: cannot decode a record into %T", v)
	}
	return f.end()
}
