package model

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Validate checks a request body against the operation's input shape. It
// returns nil, a *SerializationError when the body is not JSON the
// operation can read, or Violations listing the failed constraints. An
// empty body counts as {}, an input with no members.
func (op *Operation) Validate(body []byte) error {
	v, err := op.validate(body)
	if err != nil {
		return err
	}
	v.release()
	return nil
}

// validate checks body and returns the validator holding its tape, which
// the caller must release, when it is valid.
func (op *Operation) validate(body []byte) (*validator, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		body = emptyObject
	}
	v := validators.Get().(*validator)
	if err := v.check(op, body); err != nil {
		v.release()
		return nil, err
	}
	return v, nil
}

func (v *validator) check(op *Operation, body []byte) error {
	if err := v.parse(body); err != nil {
		return err
	}
	if tok := v.nodes[0].tok; tok != tokObject {
		return &SerializationError{Message: fmt.Sprintf("Unexpected JSON %s as the request body, expected an object", tokenName(tok))}
	}
	if err := v.contents(op.input, 0, false); err != nil {
		return err
	}
	if len(v.violations) > 0 {
		return v.violations
	}
	return nil
}

var emptyObject = []byte("{}")

// validator walks a parsed body along a shape. It is pooled: its buffers
// are what make a valid body cost no allocation.
type validator struct {
	parser
	path       []byte // of the value being checked, e.g. eventList.1.member
	scratch    []byte // decoded text of an escaped string
	keyScratch []byte // decoded text of an escaped key, matched to a member
	// members holds, for each structure being checked, the value node of
	// each of its members (see structureMembers), the innermost last.
	members    []int32
	violations Violations
	// probing makes fail only record that a constraint failed; map
	// entries are reported per map, not per entry.
	probing, probeFailed bool
}

var validators = sync.Pool{New: func() any { return new(validator) }}

// Buffers grown by an unusually large body are left to the collector
// rather than kept in the pool.
const (
	maxPooledNodes = 1 << 16
	maxPooledBytes = 1 << 16
)

func (v *validator) release() {
	if cap(v.nodes) > maxPooledNodes || cap(v.scratch) > maxPooledBytes || cap(v.keyScratch) > maxPooledBytes || cap(v.path) > maxPooledBytes {
		return
	}
	v.body, v.path, v.members, v.violations = nil, v.path[:0], v.members[:0], nil
	validators.Put(v)
}

// value checks node n against shape s: its JSON type, s's own constraints,
// then what it contains. hidden says an enclosing value is sensitive.
func (v *validator) value(s *shape, n int32, hidden bool) error {
	if err := v.checkType(s, n); err != nil {
		return err
	}
	v.checkOwn(s, n, hidden)
	return v.contents(s, n, hidden)
}

// checkType fails unless node n holds the JSON type shape s is sent as.
func (v *validator) checkType(s *shape, n int32) error {
	tok := v.nodes[n].tok
	var want string
	switch s.kind {
	case kindStructure, kindMap:
		if tok == tokObject {
			return nil
		}
		want = "an object"
	case kindList:
		if tok == tokArray {
			return nil
		}
		want = "an array"
	case kindString:
		if tok == tokString {
			return nil
		}
		want = "a string"
	case kindBoolean:
		if tok == tokTrue || tok == tokFalse {
			return nil
		}
		want = "a boolean"
	case kindInteger, kindLong:
		if tok == tokNumber {
			if _, ok := v.integer(s, n); !ok {
				return &SerializationError{Message: fmt.Sprintf("Number at '%s' is not a %d-bit integer", v.path, s.bits())}
			}
			return nil
		}
		want = "an integer"
	case kindFloat, kindDouble:
		// Smithy sends the non-finite values as these strings.
		if tok == tokNumber || tok == tokString && isNonFinite(v.text(&v.scratch, n)) {
			return nil
		}
		want = "a number"
	case kindTimestamp:
		if tok == tokNumber {
			return nil
		}
		if tok == tokString {
			if _, ok := epochSecondsText(v.text(&v.scratch, n)); ok {
				return nil
			}
		}
		want = timestampForms
	}
	return &SerializationError{Message: fmt.Sprintf("Unexpected JSON %s at '%s', expected %s", tokenName(tok), v.path, want)}
}

func isNonFinite(s []byte) bool {
	switch string(s) {
	case "NaN", "Infinity", "-Infinity":
		return true
	}
	return false
}

func tokenName(tok byte) string {
	switch tok {
	case tokObject:
		return "object"
	case tokArray:
		return "array"
	case tokString:
		return "string"
	case tokNumber:
		return "number"
	case tokNull:
		return "null"
	}
	return "boolean"
}

// checkOwn checks the constraints shape s itself carries, on node n of the
// right JSON type. Per value AWS reports every constraint it fails, longest
// length first, then pattern, then enum.
func (v *validator) checkOwn(s *shape, n int32, hidden bool) {
	switch s.kind {
	case kindString:
		if !s.hasMin && !s.hasMax && s.pattern == nil && s.enum == nil {
			return
		}
		text := v.text(&v.scratch, n)
		if s.hasMin || s.hasMax {
			v.checkLength(s, n, utf8.RuneCount(text), hidden)
		}
		if s.pattern != nil && !s.pattern.match(text) {
			v.fail(n, s, hidden, "Member must satisfy regular expression pattern: "+s.pattern.text)
		}
		if s.enum != nil && !inEnum(s.enum, text) {
			v.fail(n, s, hidden, "Member must satisfy enum value set: ["+strings.Join(s.enum, ", ")+"]")
		}
	case kindList, kindMap:
		if s.hasMin || s.hasMax {
			v.checkLength(s, n, v.count(n), hidden)
		}
	case kindInteger, kindLong:
		if s.hasMin || s.hasMax {
			i, _ := v.integer(s, n)
			v.checkRange(s, n, float64(i), hidden)
		}
	case kindFloat, kindDouble:
		if s.hasMin || s.hasMax {
			v.checkRange(s, n, v.float(n), hidden)
		}
	}
}

func inEnum(enum []string, text []byte) bool {
	for _, e := range enum {
		if e == string(text) {
			return true
		}
	}
	return false
}

func (v *validator) checkLength(s *shape, n int32, length int, hidden bool) {
	if s.hasMax && float64(length) > s.max {
		v.fail(n, s, hidden, maxLengthConstraint(s))
	}
	if s.hasMin && float64(length) < s.min {
		v.fail(n, s, hidden, minLengthConstraint(s))
	}
}

// checkRange compares as Java does, so NaN passes both bounds.
func (v *validator) checkRange(s *shape, n int32, f float64, hidden bool) {
	if s.hasMax && f > s.max {
		v.fail(n, s, hidden, maxValueConstraint(s))
	}
	if s.hasMin && f < s.min {
		v.fail(n, s, hidden, minValueConstraint(s))
	}
}

func maxLengthConstraint(s *shape) string {
	return "Member must have length less than or equal to " + formatBound(s, s.max)
}

func minLengthConstraint(s *shape) string {
	return "Member must have length greater than or equal to " + formatBound(s, s.min)
}

func maxValueConstraint(s *shape) string {
	return "Member must have value less than or equal to " + formatBound(s, s.max)
}

func minValueConstraint(s *shape) string {
	return "Member must have value greater than or equal to " + formatBound(s, s.min)
}

// declaredConstraints lists every constraint s carries, in the order
// checkOwn checks them; AWS lists them all when a map key or value fails.
func declaredConstraints(s *shape) []string {
	var out []string
	switch s.kind {
	case kindString, kindList, kindMap:
		if s.hasMax {
			out = append(out, maxLengthConstraint(s))
		}
		if s.hasMin {
			out = append(out, minLengthConstraint(s))
		}
	case kindInteger, kindLong, kindFloat, kindDouble:
		if s.hasMax {
			out = append(out, maxValueConstraint(s))
		}
		if s.hasMin {
			out = append(out, minValueConstraint(s))
		}
	}
	if s.pattern != nil {
		out = append(out, "Member must satisfy regular expression pattern: "+s.pattern.text)
	}
	if s.enum != nil {
		out = append(out, "Member must satisfy enum value set: ["+strings.Join(s.enum, ", ")+"]")
	}
	return out
}

func formatBound(s *shape, b float64) string {
	if s.kind == kindFloat || s.kind == kindDouble {
		return javaDouble(b, 64)
	}
	return strconv.FormatFloat(b, 'f', -1, 64)
}

// contents checks what a structure, list or map holds.
func (v *validator) contents(s *shape, n int32, hidden bool) error {
	hidden = hidden || s.sensitive
	switch s.kind {
	case kindStructure:
		values := len(v.members)
		if err := v.structureMembers(s, n); err != nil {
			return err
		}
		defer func() { v.members = v.members[:values] }()
		for i := range s.members {
			m := &s.members[i]
			mark := v.enterMember(m.name)
			var err error
			// v.members may grow, and move, while members are checked.
			if val := v.members[values+i]; val >= 0 {
				err = v.value(m.shape, val, hidden || m.sensitive)
			} else if m.required {
				v.fail(-1, m.shape, hidden, "Member must not be null")
			}
			v.path = v.path[:mark]
			if err != nil {
				return err
			}
		}
	case kindList:
		i := 1
		for e := n + 1; e < v.nodes[n].next; e = v.nodes[e].next {
			mark := v.enterElement(i)
			var err error
			if v.nodes[e].tok == tokNull {
				v.fail(-1, s.elem, hidden, "Member must not be null")
			} else {
				err = v.value(s.elem, e, hidden)
			}
			v.path = v.path[:mark]
			if err != nil {
				return err
			}
			i++
		}
	case kindMap:
		return v.mapEntries(s, n, hidden)
	}
	return nil
}

// mapEntries checks a map's keys and values. AWS reports failing keys
// once for the whole map, listing every constraint of the key shape, and
// values likewise; what a value contains is checked under
// <map>.<key>.member. A null value counts as no entry.
func (v *validator) mapEntries(s *shape, n int32, hidden bool) error {
	badKey, badValue := false, false
	for k := n + 1; k < v.nodes[n].next; k = v.nodes[k+1].next {
		badKey = badKey || v.fails(s.key, k)
		if val := k + 1; v.nodes[val].tok != tokNull {
			if err := v.checkType(s.elem, val); err != nil {
				return err
			}
			badValue = badValue || v.fails(s.elem, val)
		}
	}
	if badKey {
		v.fail(n, s, hidden, "Map keys must satisfy constraint: ["+strings.Join(declaredConstraints(s.key), ", ")+"]")
	}
	if badValue {
		v.fail(n, s, hidden, "Map value must satisfy constraint: ["+strings.Join(declaredConstraints(s.elem), ", ")+"]")
	}
	for k := n + 1; k < v.nodes[n].next; k = v.nodes[k+1].next {
		if val := k + 1; v.nodes[val].tok != tokNull {
			mark := v.enterKey(v.text(&v.scratch, k))
			err := v.contents(s.elem, val, hidden)
			v.path = v.path[:mark]
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// fails reports whether node n, of the right JSON type, fails a constraint
// of s itself, recording nothing.
func (v *validator) fails(s *shape, n int32) bool {
	v.probing, v.probeFailed = true, false
	v.checkOwn(s, n, false)
	v.probing = false
	return v.probeFailed
}

// fail records a violation at the current path. n is the failing value's
// node, or -1 for a missing one.
func (v *validator) fail(n int32, s *shape, hidden bool, constraint string) {
	if v.probing {
		v.probeFailed = true
		return
	}
	vi := Violation{Path: string(v.path), Constraint: constraint}
	switch {
	case n < 0:
		vi.Null = true
	case hidden || s.sensitive || s.holdsSensitive:
		vi.Redacted = true
	default:
		vi.Value = string(v.render(nil, s, n))
	}
	v.violations = append(v.violations, vi)
}

// structureMembers appends to v.members the value node of each member of
// structure s in object obj, in model order, or -1 when the member is
// absent or null: one pass over the object's keys, however many members
// the model has. It rejects a key that names a member in another case.
// Members are case-sensitive, as AWS reads them, and such a key is not
// validated; but encoding/json, which decodes the body after validation,
// matches keys case-insensitively and would take its value, unchecked.
func (v *validator) structureMembers(s *shape, obj int32) error {
	first := len(v.members)
	for range s.members {
		v.members = append(v.members, -1)
	}
	for k := obj + 1; k < v.nodes[obj].next; k = v.nodes[k+1].next {
		key := v.text(&v.keyScratch, k)
		i := s.member(key)
		if i < 0 {
			if folded := s.memberFolded(key); folded != "" {
				v.members = v.members[:first]
				return &SerializationError{Message: fmt.Sprintf(
					"Unknown member %q at '%s': member names are case-sensitive; did you mean %q?", key, v.path, folded)}
			}
			continue
		}
		if v.nodes[k+1].tok != tokNull {
			v.members[first+i] = k + 1
		}
	}
	return nil
}

// member returns the index of the member of structure s named key, or -1.
func (s *shape) member(key []byte) int {
	for i := range s.members {
		if s.members[i].name == string(key) {
			return i
		}
	}
	return -1
}

// memberFolded returns the name of a member of s that equals key under
// case folding, or "".
func (s *shape) memberFolded(key []byte) string {
	for i := range s.members {
		if bytes.EqualFold(key, []byte(s.members[i].name)) {
			return s.members[i].name
		}
	}
	return ""
}

// lookup returns the node of the value of the object's member name, or -1
// when it is absent or null.
func (v *validator) lookup(obj int32, name string) int32 {
	for k := obj + 1; k < v.nodes[obj].next; k = v.nodes[k+1].next {
		if string(v.text(&v.keyScratch, k)) == name {
			if v.nodes[k+1].tok == tokNull {
				return -1
			}
			return k + 1
		}
	}
	return -1
}

// count returns the number of elements of an array or entries of an
// object.
func (v *validator) count(n int32) int {
	step := int32(0) // an object's contents alternate key and value
	if v.nodes[n].tok == tokObject {
		step = 1
	}
	c := 0
	for e := n + 1; e < v.nodes[n].next; e = v.nodes[e+step].next {
		c++
	}
	return c
}

func (v *validator) enterMember(name string) int {
	mark := len(v.path)
	if mark > 0 {
		v.path = append(v.path, '.')
	}
	v.path = append(v.path, name...)
	return mark
}

func (v *validator) enterElement(i int) int {
	mark := len(v.path)
	v.path = append(v.path, '.')
	v.path = strconv.AppendInt(v.path, int64(i), 10)
	v.path = append(v.path, ".member"...)
	return mark
}

func (v *validator) enterKey(key []byte) int {
	mark := len(v.path)
	v.path = append(v.path, '.')
	v.path = append(v.path, key...)
	v.path = append(v.path, ".member"...)
	return mark
}

func (s *shape) bits() int {
	if s.kind == kindInteger || s.kind == kindFloat {
		return 32
	}
	return 64
}

// integer reads a number node as an integer of s's width; ok is false for
// a fraction, an exponent or a value out of range.
func (v *validator) integer(s *shape, n int32) (i int64, ok bool) {
	digits := v.body[v.nodes[n].start:v.nodes[n].end]
	neg := digits[0] == '-'
	if neg {
		digits = digits[1:]
	}
	limit := uint64(1) << (s.bits() - 1) // magnitude of the most negative value
	if !neg {
		limit--
	}
	var u uint64
	for _, c := range digits {
		if !isDigit(c) {
			return 0, false
		}
		d := uint64(c - '0')
		if u > (limit-d)/10 {
			return 0, false
		}
		u = u*10 + d
	}
	if neg {
		return -int64(u), true // for u = 2^63 both conversions wrap to the minimum, as they should
	}
	return int64(u), true
}

// float reads a number node, or one of the non-finite strings, as a
// float64. Out-of-range numbers round to ±Inf, as Java parses them.
func (v *validator) float(n int32) float64 {
	text := v.body[v.nodes[n].start:v.nodes[n].end]
	if v.nodes[n].tok == tokString {
		text = v.text(&v.scratch, n)
	}
	switch string(text) {
	case "NaN":
		return math.NaN()
	case "Infinity":
		return math.Inf(1)
	case "-Infinity":
		return math.Inf(-1)
	}
	f, _ := strconv.ParseFloat(string(text), 64)
	return f
}

// render appends node n as AWS prints a value in a message: Java's
// toString of the deserialised value. s may be nil, or not match the JSON,
// for values the model does not describe.
func (v *validator) render(buf []byte, s *shape, n int32) []byte {
	nd := v.nodes[n]
	switch nd.tok {
	case tokString:
		if s != nil && (s.kind == kindFloat || s.kind == kindDouble) {
			return append(buf, javaDouble(v.float(n), s.bits())...)
		}
		return unescape(buf, v.raw(n))
	case tokNumber:
		if s != nil {
			switch s.kind {
			case kindInteger, kindLong:
				if i, ok := v.integer(s, n); ok {
					return strconv.AppendInt(buf, i, 10)
				}
			case kindFloat, kindDouble:
				return append(buf, javaDouble(v.float(n), s.bits())...)
			}
		}
	case tokArray:
		var elem *shape
		if s != nil && s.kind == kindList {
			elem = s.elem
		}
		buf = append(buf, '[')
		for e := n + 1; e < nd.next; e = v.nodes[e].next {
			if e > n+1 {
				buf = append(buf, ", "...)
			}
			buf = v.render(buf, elem, e)
		}
		return append(buf, ']')
	case tokObject:
		return v.renderObject(buf, s, n)
	}
	return append(buf, v.body[nd.start:nd.end]...)
}

// renderObject prints a structure's present members in model order, and
// any other object's entries in body order, as {name=value, ...}.
func (v *validator) renderObject(buf []byte, s *shape, n int32) []byte {
	buf = append(buf, '{')
	sep := ""
	entry := func(name []byte, es *shape, val int32) {
		buf = append(buf, sep...)
		buf = append(buf, name...)
		buf = append(buf, '=')
		buf = v.render(buf, es, val)
		sep = ", "
	}
	if s != nil && s.kind == kindStructure {
		for i := range s.members {
			if val := v.lookup(n, s.members[i].name); val >= 0 {
				entry([]byte(s.members[i].name), s.members[i].shape, val)
			}
		}
		return append(buf, '}')
	}
	var key []byte
	var elem *shape
	if s != nil && s.kind == kindMap {
		elem = s.elem
	}
	for k := n + 1; k < v.nodes[n].next; k = v.nodes[k+1].next {
		key = unescape(key[:0], v.raw(k))
		entry(key, elem, k+1)
	}
	return append(buf, '}')
}

// javaDouble formats f as Java's Double.toString (Float.toString for
// bits 32) does: decimal notation with at least one fraction digit between
// 10^-3 and 10^7, computerised scientific notation outside.
func javaDouble(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0 && math.Signbit(f):
		return "-0.0"
	case f == 0:
		return "0.0"
	}
	if abs := math.Abs(f); abs >= 1e-3 && abs < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, bits)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	mantissa, exp, _ := strings.Cut(strconv.FormatFloat(f, 'E', -1, bits), "E")
	if !strings.Contains(mantissa, ".") {
		mantissa += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mantissa + "E" + strconv.Itoa(e)
}
