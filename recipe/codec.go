package recipe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// A model's bytes: the magic, the format version, the recipe's name, then
// the recipe's own fields, little-endian, lengths as uvarints. The format
// is perch's own; a version bump is a model that needs retraining.
const (
	magic         = "perch-recipe\x00"
	formatVersion = 1
)

type encoder struct{ b []byte }

func newEncoder(recipe string) *encoder {
	e := &encoder{b: append([]byte(nil), magic...)}
	e.uint(formatVersion)
	e.str(recipe)
	return e
}

func (e *encoder) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) int(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) f64(v float64) { e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v)) }
func (e *encoder) bool(v bool) {
	if v {
		e.uint(1)
	} else {
		e.uint(0)
	}
}
func (e *encoder) str(s string) { e.uint(uint64(len(s))); e.b = append(e.b, s...) }

func (e *encoder) strs(ss []string) {
	e.uint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}

func (e *encoder) f32s(v []float32) {
	e.uint(uint64(len(v)))
	for _, x := range v {
		e.b = binary.LittleEndian.AppendUint32(e.b, math.Float32bits(x))
	}
}

func (e *encoder) f64s(v []float64) {
	e.uint(uint64(len(v)))
	for _, x := range v {
		e.f64(x)
	}
}

func (e *encoder) i32s(v []int32) {
	e.uint(uint64(len(v)))
	for _, x := range v {
		e.int(int64(x))
	}
}

func (e *encoder) i64s(v []int64) {
	e.uint(uint64(len(v)))
	for _, x := range v {
		e.int(x)
	}
}

// strFloats writes a map in key order, so that equal models are equal bytes.
func (e *encoder) strFloats(m map[string]float64) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	e.uint(uint64(len(keys)))
	for _, k := range keys {
		e.str(k)
		e.f64(m[k])
	}
}

// decoder reads what encoder wrote; the first error sticks and every read
// after it returns zero values, so a decode function checks err once.
type decoder struct {
	b   []byte
	err error
}

var errTruncated = errors.New("model bytes are truncated or corrupt")

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errTruncated
	}
	d.b = nil
}

func (d *decoder) uint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) int() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) f64() float64 {
	if len(d.b) < 8 {
		d.fail()
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	return v
}

func (d *decoder) bool() bool { return d.uint() != 0 }

// count reads a length and checks that at least min bytes per element
// remain, so that corrupt lengths cannot make huge allocations.
func (d *decoder) count(min int) int {
	n := d.uint()
	if d.err != nil || n > uint64(len(d.b)/max(min, 1)) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *decoder) str() string {
	n := d.count(1)
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) strs() []string {
	n := d.count(1)
	out := make([]string, n)
	for i := range out {
		out[i] = d.str()
	}
	return out
}

func (d *decoder) f32s() []float32 {
	n := d.count(4)
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(d.b[4*i:]))
	}
	d.b = d.b[4*n:]
	return out
}

func (d *decoder) f64s() []float64 {
	n := d.count(8)
	out := make([]float64, n)
	for i := range out {
		out[i] = d.f64()
	}
	return out
}

func (d *decoder) i32s() []int32 {
	n := d.count(1)
	out := make([]int32, n)
	for i := range out {
		v := d.int()
		if v < math.MinInt32 || v > math.MaxInt32 {
			d.fail()
			return nil
		}
		out[i] = int32(v)
	}
	return out
}

func (d *decoder) i64s() []int64 {
	n := d.count(1)
	out := make([]int64, n)
	for i := range out {
		out[i] = d.int()
	}
	return out
}

func (d *decoder) strFloats() map[string]float64 {
	n := d.count(9)
	if n == 0 {
		return nil
	}
	m := make(map[string]float64, n)
	for range n {
		k := d.str()
		m[k] = d.f64()
	}
	return m
}

// indexes checks that every index read is below n: a model must not
// panic on bytes that decoded but do not fit together.
func (d *decoder) indexes(v []int32, n int) {
	for _, x := range v {
		if x < 0 || int(x) >= n {
			d.fail()
			return
		}
	}
}

// Load reads a model that MarshalBinary wrote; the recipe's name inside
// says which model it is.
func Load(b []byte) (Model, error) {
	if len(b) < len(magic) || string(b[:len(magic)]) != magic {
		return nil, errors.New("not a perch recipe model")
	}
	d := &decoder{b: b[len(magic):]}
	if v := d.uint(); d.err == nil && v != formatVersion {
		return nil, fmt.Errorf("model format version %d is not %d: train the solution again", v, formatVersion)
	}
	recipe := d.str()
	if d.err != nil {
		return nil, d.err
	}
	var m Model
	switch recipe {
	case PopularityCount:
		m = decodePopularity(d)
	case TrendingNow:
		m = decodeTrending(d)
	case Sims, SimilarItems:
		m = decodeNeighbours(recipe, d)
	case UserPersonalizationV2, UserPersonalization, PersonalizedRankingV2, PersonalizedRanking:
		m = decodeALS(recipe, d)
	case NextBestAction:
		m = decodeActions(d)
	case ItemAffinity, ItemAttributeAffinity:
		m = decodeSegments(recipe, d)
	default:
		return nil, fmt.Errorf("model of unknown recipe %q", recipe)
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	if d.err != nil {
		return nil, d.err
	}
	return m, nil
}
