package perch

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxCategoricalLength is the most characters a categorical value may have,
// the | separators of a multi-valued one included.
const MaxCategoricalLength = 1000

// parseErrorText opens every message about properties that are not a JSON
// object; it is the text AWS answers with, which clients match on.
const parseErrorText = "Error parsing properties json"

// reservedKeys may not appear in the properties of events and action
// interactions, in any case: they are members of the record itself.
var reservedKeys = []string{"userId", "sessionId", "eventType", "timestamp", "recommendationId", "impression"}

// carriedFields are, per dataset type, the fields whose values come from
// the record's own members rather than from its properties. ITEM_ID is not
// listed for Interactions: clients written against the older documentation
// send itemId (and eventValue) inside properties.
var carriedFields = map[DatasetType][]string{
	Interactions:       {"USER_ID", "TIMESTAMP", "EVENT_TYPE", "IMPRESSION", "RECOMMENDATION_ID", "EVENT_ATTRIBUTION_SOURCE"},
	Items:              {"ITEM_ID"},
	Users:              {"USER_ID"},
	Actions:            {"ACTION_ID"},
	ActionInteractions: {"USER_ID", "ACTION_ID", "EVENT_TYPE", "TIMESTAMP", "IMPRESSION", "RECOMMENDATION_ID"},
}

// CamelCase returns the properties key of a schema field: the name in
// lower case, split on "_", with the first letter of every part after the
// first in upper case (NUMBER_OF_RATINGS -> numberOfRatings, GENRES ->
// genres). Case in the field name is not kept: numberOfRatings ->
// numberofratings, Number_Of_Ratings -> numberOfRatings.
func CamelCase(field string) string {
	var b strings.Builder
	b.Grow(len(field))
	for i, part := range strings.Split(strings.ToLower(field), "_") {
		if i > 0 && part != "" {
			r, size := utf8.DecodeRuneInString(part)
			b.WriteRune(unicode.ToUpper(r))
			part = part[size:]
		}
		b.WriteString(part)
	}
	return b.String()
}

// propertyKeys are the keys that the properties of one dataset type's
// records may carry under a schema.
type propertyKeys struct {
	byKey map[string]int // key -> index of its field
	// carried are keys of fields the record carries as its own members.
	carried  map[string]*Field
	sorted   []string // the accepted keys, for messages
	reserved bool     // reservedKeys apply
	fields   []Field
}

func newPropertyKeys(fields []Field, t DatasetType) *propertyKeys {
	k := &propertyKeys{
		byKey:    make(map[string]int, len(fields)),
		carried:  make(map[string]*Field),
		reserved: t == Interactions || t == ActionInteractions,
		fields:   fields,
	}
	for i := range fields {
		f := &fields[i]
		key := CamelCase(f.Name)
		switch {
		case k.reserved && isReservedKey(key):
			// Never accepted, whichever field it names.
		case slices.Contains(carriedFields[t], f.Name):
			k.carried[key] = f
		default:
			k.byKey[key] = i
			k.sorted = append(k.sorted, key)
		}
	}
	slices.Sort(k.sorted)
	return k
}

func isReservedKey(key string) bool {
	for _, r := range reservedKeys {
		if strings.EqualFold(key, r) {
			return true
		}
	}
	return false
}

// CheckProperties checks a record's properties string against the schema
// of a dataset of type t: a JSON object without duplicate keys whose keys
// are the camelCase names of schema fields (see CamelCase) and whose values
// fit those fields' types. Numbers may also be sent as strings holding
// them, as the API documentation does.
func (s *AvroSchema) CheckProperties(properties string, t DatasetType) error {
	keys, ok := s.index().properties[t]
	if !ok {
		return Errorf(EInvalidInput, "unknown dataset type %q", t)
	}
	return keys.check(properties)
}

// PropertiesError is why CheckProperties refused a properties string, in
// parts, so that the events API can say where the record is before what is
// wrong with it.
type PropertiesError struct {
	// NotJSON says the text is not one JSON object without duplicate keys,
	// which AWS words "Error parsing properties json" and clients match on.
	NotJSON bool
	// Reason says what is wrong: the parser's complaint, or which key does
	// not fit the schema and why.
	Reason string
}

func (e *PropertiesError) Error() string {
	if e.NotJSON {
		return parseErrorText + ": " + e.Reason
	}
	return e.Reason
}

// Unwrap gives the error's AWS code, InvalidInputException, to callers
// that answer with whatever *Error an error holds.
func (e *PropertiesError) Unwrap() error { return &Error{Code: EInvalidInput, Message: e.Error()} }

func parseError(reason string) error {
	return &PropertiesError{NotJSON: true, Reason: reason}
}

// unfit reports a member that does not fit the schema.
func unfit(format string, args ...any) error {
	return &PropertiesError{Reason: fmt.Sprintf(format, args...)}
}

// check walks the object once, checking its syntax as it goes, and each
// member against the schema: this runs for every record written. Broken
// JSON is reported as such even when a member before the break is wrong
// too, so every refusal asks json.Valid first.
func (k *propertyKeys) check(properties string) error {
	r := objectReader{text: properties}
	err := k.checkMembers(&r)
	if err == nil && r.valid() {
		return nil
	}
	if !json.Valid([]byte(properties)) {
		var v any
		return parseError(json.Unmarshal([]byte(properties), &v).Error())
	}
	switch {
	case errors.Is(err, errNotAnObject):
		return parseError(notAnObject(strings.TrimSpace(properties)))
	case err == nil || errors.Is(err, errBrokenJSON):
		// The reader refused what encoding/json takes: refuse it too
		// rather than store what the reader cannot read back.
		return parseError("the object could not be read")
	}
	return err
}

var (
	errNotAnObject = errors.New("not a JSON object")
	errBrokenJSON  = errors.New("not JSON")
)

// checkMembers checks each member of the object r reads against the
// schema, stopping at the first problem, syntax included.
func (k *propertyKeys) checkMembers(r *objectReader) error {
	if !r.open() {
		return errNotAnObject
	}
	var seen []bool // by field index
	for {
		rawKey, value, ok := r.next()
		if !ok {
			if r.broken {
				return errBrokenJSON
			}
			return nil
		}
		key := unquote(rawKey)
		i, err := k.field(key)
		if err != nil {
			return err
		}
		if seen == nil {
			seen = make([]bool, len(k.fields))
		}
		if seen[i] {
			return parseError(fmt.Sprintf("duplicate key '%s'", key))
		}
		seen[i] = true
		if err := checkValue(key, &k.fields[i], value); err != nil {
			return err
		}
	}
}

// notAnObject says what a valid JSON value is instead of an object.
func notAnObject(value string) string {
	switch value[0] {
	case '"':
		if strings.HasPrefix(strings.TrimSpace(unquote(value)), "{") {
			return "the value is a JSON string, not an object (is it encoded twice?)"
		}
		return "the value is a JSON string, not an object"
	case '[':
		return "the value is a JSON array, not an object"
	case 't', 'f':
		return "the value is a JSON boolean, not an object"
	case 'n':
		return "the value is JSON null, not an object"
	}
	return "the value is a JSON number, not an object"
}

// objectReader walks the members of a JSON object in place, checking
// the syntax of its text as it goes, as encoding/json would, except
// inside a member's value that is itself an object or array: such a
// value is skipped, and valid then asks json.Valid about the whole text.
// No property value may be nested, so that costs only refusals.
type objectReader struct {
	text   string
	pos    int
	count  int  // members read
	broken bool // the text is not JSON
	nested bool // a nested value was skipped without checking its syntax
}

// valid reports, once next has returned ok false, whether the text was a
// JSON object.
func (r *objectReader) valid() bool {
	return !r.broken && (!r.nested || json.Valid([]byte(r.text)))
}

// open moves past the opening brace, reporting whether there is one.
func (r *objectReader) open() bool {
	r.skipSpace()
	if r.pos == len(r.text) || r.text[r.pos] != '{' {
		return false
	}
	r.pos++
	return true
}

// next returns the next member's key and value as raw JSON text; ok is
// false after the last one, or at the first error of syntax (broken).
func (r *objectReader) next() (key, value string, ok bool) {
	r.skipSpace()
	if r.count > 0 && r.pos < len(r.text) && r.text[r.pos] == ',' {
		r.pos++
		r.skipSpace()
	} else if r.pos < len(r.text) && r.text[r.pos] == '}' {
		r.pos++
		r.skipSpace()
		r.broken = r.pos != len(r.text)
		return "", "", false
	} else if r.count > 0 {
		r.broken = true
		return "", "", false
	}
	if r.pos == len(r.text) || r.text[r.pos] != '"' {
		r.broken = true
		return "", "", false
	}
	key = r.value()
	r.skipSpace()
	if r.broken || r.pos == len(r.text) || r.text[r.pos] != ':' {
		r.broken = true
		return "", "", false
	}
	r.pos++
	r.skipSpace()
	value = r.value()
	if r.broken {
		return "", "", false
	}
	r.count++
	return key, value, true
}

// value moves past the value at the current position and returns its
// text, or sets broken.
func (r *objectReader) value() string {
	start := r.pos
	if r.pos == len(r.text) {
		r.broken = true
		return ""
	}
	switch c := r.text[r.pos]; {
	case c == '"':
		r.skipString()
	case c == '{' || c == '[':
		r.skipNested()
	case c == '-' || '0' <= c && c <= '9':
		r.skipNumber()
	default:
		r.skipLiteral()
	}
	return r.text[start:r.pos]
}

func (r *objectReader) skipString() {
	r.pos++ // the opening quote
	for r.pos < len(r.text) {
		c := r.text[r.pos]
		switch {
		case c == '"':
			r.pos++
			return
		case c < 0x20:
			r.broken = true
			return
		case c == '\\':
			r.pos++
			if r.pos == len(r.text) {
				r.broken = true
				return
			}
			switch r.text[r.pos] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				r.pos++
			case 'u':
				r.pos++
				for range 4 {
					if r.pos == len(r.text) || !isHexDigit(r.text[r.pos]) {
						r.broken = true
						return
					}
					r.pos++
				}
			default:
				r.broken = true
				return
			}
		default:
			r.pos++
		}
	}
	r.broken = true // no closing quote
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// skipNumber moves past -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?.
func (r *objectReader) skipNumber() {
	if r.text[r.pos] == '-' {
		r.pos++
	}
	switch {
	case r.pos < len(r.text) && r.text[r.pos] == '0':
		r.pos++
	case r.skipDigits() == 0:
		r.broken = true
		return
	}
	if r.pos < len(r.text) && r.text[r.pos] == '.' {
		r.pos++
		if r.skipDigits() == 0 {
			r.broken = true
			return
		}
	}
	if r.pos < len(r.text) && (r.text[r.pos] == 'e' || r.text[r.pos] == 'E') {
		r.pos++
		if r.pos < len(r.text) && (r.text[r.pos] == '+' || r.text[r.pos] == '-') {
			r.pos++
		}
		if r.skipDigits() == 0 {
			r.broken = true
		}
	}
}

func (r *objectReader) skipDigits() int {
	start := r.pos
	for r.pos < len(r.text) && '0' <= r.text[r.pos] && r.text[r.pos] <= '9' {
		r.pos++
	}
	return r.pos - start
}

func (r *objectReader) skipLiteral() {
	for _, literal := range [...]string{"true", "false", "null"} {
		if strings.HasPrefix(r.text[r.pos:], literal) {
			r.pos += len(literal)
			return
		}
	}
	r.broken = true
}

// skipNested moves past an object or array, counting brackets without
// checking the syntax between them (valid does, if it comes to that).
func (r *objectReader) skipNested() {
	r.nested = true
	depth := 0
	for r.pos < len(r.text) {
		switch r.text[r.pos] {
		case '"':
			r.skipString()
			if r.broken {
				return
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		}
		r.pos++
		if depth == 0 {
			return
		}
	}
	r.broken = true
}

func (r *objectReader) skipSpace() {
	for r.pos < len(r.text) {
		switch r.text[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

// unquote returns the text of a valid JSON string literal, copying only
// when it has escapes.
func unquote(literal string) string {
	inner := literal[1 : len(literal)-1]
	if !strings.Contains(inner, `\`) {
		return inner
	}
	var s string
	_ = json.Unmarshal([]byte(literal), &s) // valid, so it cannot fail
	return s
}

// field returns the index of the field that key names.
func (k *propertyKeys) field(key string) (int, error) {
	if i, ok := k.byKey[key]; ok {
		return i, nil
	}
	if k.reserved && isReservedKey(key) {
		return 0, unfit("properties key '%s' is reserved: send it as the record's own member, not inside properties", key)
	}
	if f, ok := k.carried[key]; ok {
		return 0, unfit("properties key '%s' names field %s, which is sent as the record's own member, not inside properties",
			key, f.Name)
	}
	return 0, k.unknown(key)
}

// unknown reports a key that names no field, suggesting the key meant
// when it differs only by case or is the field's own name.
func (k *propertyKeys) unknown(key string) error {
	if len(k.sorted) == 0 {
		return unfit("properties key '%s' does not match any field of the dataset's schema; this dataset's schema has no fields that can be sent in properties",
			key)
	}
	hint := ""
	for _, valid := range k.sorted {
		if strings.EqualFold(key, valid) || strings.EqualFold(key, k.fields[k.byKey[valid]].Name) {
			hint = fmt.Sprintf(" (did you mean '%s'? keys are the camelCase of field names)", valid)
			break
		}
	}
	return unfit(
		"properties key '%s' does not match any field of the dataset's schema%s; valid keys are: %s",
		key, hint, strings.Join(k.sorted, ", "))
}

// checkValue checks a property's value, raw JSON text, against the type of
// the field its key names.
func checkValue(key string, f *Field, value string) error {
	if value == "null" {
		if f.Nullable {
			return nil
		}
		return unfit("properties key '%s' must be %s (field %s is not nullable), found null",
			key, typeName(f.Type), f.Name)
	}
	if ok, why := fits(f.Type, value); !ok {
		return unfit("properties key '%s' must be %s (field %s), found %s%s",
			key, typeName(f.Type), f.Name, foundValue(value), why)
	}
	if f.Categorical {
		if n := utf8.RuneCountInString(scalarText(value)); n > MaxCategoricalLength {
			return unfit("properties key '%s' (categorical field %s) is %d characters long; at most %d are allowed, | separators included",
				key, f.Name, n, MaxCategoricalLength)
		}
	}
	return nil
}

// fits reports whether a non-null value suits type t, and if not, any
// reason beyond the value itself.
func fits(t FieldType, value string) (bool, string) {
	if value[0] == '{' || value[0] == '[' {
		return false, ""
	}
	switch t {
	case TypeString:
		return true, ""
	case TypeBoolean:
		switch scalarText(value) {
		case "true", "false":
			return true, ""
		}
		return false, ""
	}
	text, ok := numberText(value)
	if !ok {
		return false, ""
	}
	switch t {
	case TypeInt:
		return fitsInteger(text, 32, t)
	case TypeLong:
		return fitsInteger(text, 64, t)
	case TypeFloat:
		return fitsFloat(text, 32, t)
	default:
		return fitsFloat(text, 64, t)
	}
}

// numberText returns the JSON number a scalar holds, directly or as a
// string.
func numberText(value string) (string, bool) {
	if value[0] == '"' {
		// Only JSON's number syntax: no spaces, signs, hex, underscores or NaN.
		value = unquote(value)
	}
	if !isNumber(value) {
		return "", false
	}
	return value, true
}

// isNumber reports whether s is one JSON number and nothing else.
func isNumber(s string) bool {
	if s == "" {
		return false
	}
	r := objectReader{text: s}
	r.skipNumber()
	return !r.broken && r.pos == len(s)
}

// fitsInteger reports whether the JSON number text is a whole number that
// fits in a signed integer of the given size (12, 12.0 and 1.2e1 all do).
func fitsInteger(text string, bits int, t FieldType) (bool, string) {
	_, err := strconv.ParseInt(text, 10, bits)
	if err == nil {
		return true, ""
	}
	if errors.Is(err, strconv.ErrRange) {
		return false, outOfRange(t)
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || f != math.Trunc(f) {
		return false, ""
	}
	if limit := math.Ldexp(1, bits-1); f < -limit || f >= limit {
		return false, outOfRange(t)
	}
	return true, ""
}

// fitsFloat reports whether the JSON number text fits a float of the
// given size; its text is a JSON number, so only its range can fail.
func fitsFloat(text string, bits int, t FieldType) (bool, string) {
	if _, err := strconv.ParseFloat(text, bits); err != nil {
		return false, outOfRange(t)
	}
	return true, ""
}

func outOfRange(t FieldType) string { return ", out of range for " + typeName(t) }

// typeName is a type with its article: "an int", "a long".
func typeName(t FieldType) string {
	if t == TypeInt {
		return "an int"
	}
	return "a " + string(t)
}

// foundValue renders a value, raw JSON text, for an error message.
func foundValue(value string) string {
	switch value[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	const most = 60
	if short := truncate(value, most); short != value {
		return short + "..."
	}
	return value
}

// scalarText is the text a scalar stands for in a string field.
func scalarText(value string) string {
	if value[0] == '"' {
		return unquote(value)
	}
	return value
}
