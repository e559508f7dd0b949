package perch

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// AvroSchema is a parsed dataset schema: a flat Avro record. Once in use
// (Field, CheckProperties) it must not be modified: lookups are indexed
// on first use.
type AvroSchema struct {
	Name      string
	Namespace string
	Fields    []Field

	indexOnce sync.Once
	idx       *schemaIndex
}

// FieldType is the non-null Avro type of a field.
type FieldType string

const (
	TypeString  FieldType = "string"
	TypeInt     FieldType = "int"
	TypeLong    FieldType = "long"
	TypeFloat   FieldType = "float"
	TypeDouble  FieldType = "double"
	TypeBoolean FieldType = "boolean"
)

// Field is one column of a dataset.
type Field struct {
	Name        string    // as in the schema, e.g. NUMBER_OF_RATINGS
	Type        FieldType // the non-null type
	Nullable    bool      // a union with "null"
	Categorical bool
	Textual     bool
}

// avroType writes the field's type as the schema spells it.
func (f *Field) avroType() string {
	if f.Nullable {
		return `["null","` + string(f.Type) + `"]`
	}
	return string(f.Type)
}

// MaxSchemaFields is the most fields a schema may have.
const MaxSchemaFields = 1000

// ParseSchema parses and checks an Avro schema as CreateSchema does.
// Personalize schemas are flat records of primitive, optionally nullable,
// fields.
func ParseSchema(definition string) (*AvroSchema, error) {
	var record map[string]json.RawMessage
	if err := json.Unmarshal([]byte(definition), &record); err != nil {
		if !json.Valid([]byte(definition)) {
			return nil, Errorf(EInvalidInput, "schema is not valid JSON: %v", err)
		}
		return nil, Errorf(EInvalidInput, "schema must be a JSON object (an Avro record)")
	}

	typ, ok := jsonString(record["type"])
	if !ok || typ != "record" {
		return nil, Errorf(EInvalidInput, `schema must have "type": "record", found %s`, found(record["type"]))
	}
	s := &AvroSchema{}
	if s.Name, ok = jsonString(record["name"]); !ok || !validFullName(s.Name) {
		return nil, Errorf(EInvalidInput,
			"schema name must be an Avro name (letters, digits and _, not starting with a digit), found %s", found(record["name"]))
	}
	if raw, present := record["namespace"]; present {
		if s.Namespace, ok = jsonString(raw); !ok || (s.Namespace != "" && !validFullName(s.Namespace)) {
			return nil, Errorf(EInvalidInput,
				"schema namespace must be dot-separated Avro names, found %s", found(raw))
		}
	}

	var fields []json.RawMessage
	if err := json.Unmarshal(record["fields"], &fields); err != nil || len(fields) == 0 {
		return nil, Errorf(EInvalidInput, "schema fields must be a non-empty array, found %s", found(record["fields"]))
	}
	if len(fields) > MaxSchemaFields {
		return nil, Errorf(EInvalidInput, "schema has %d fields; at most %d are allowed", len(fields), MaxSchemaFields)
	}

	s.Fields = make([]Field, 0, len(fields))
	byNormal := make(map[string]string, len(fields)) // normalised name -> first field with it
	for i, raw := range fields {
		f, err := parseField(i, raw)
		if err != nil {
			return nil, err
		}
		normal := normalName(f.Name)
		if other, dup := byNormal[normal]; dup {
			if other == f.Name {
				return nil, Errorf(EInvalidInput, "field %s appears more than once", f.Name)
			}
			return nil, Errorf(EInvalidInput,
				"fields %s and %s collide: field names must be unique ignoring case and non-alphanumeric characters",
				other, f.Name)
		}
		byNormal[normal] = f.Name
		s.Fields = append(s.Fields, f)
	}
	return s, nil
}

// parseField parses the field at index i of the schema's fields.
func parseField(i int, raw json.RawMessage) (Field, error) {
	var attrs map[string]json.RawMessage
	if err := json.Unmarshal(raw, &attrs); err != nil {
		return Field{}, Errorf(EInvalidInput, "field at position %d must be a JSON object, found %s", i+1, found(raw))
	}
	name, ok := jsonString(attrs["name"])
	if !ok || !validName(name) {
		return Field{}, Errorf(EInvalidInput,
			"field at position %d: name must be an Avro name (letters, digits and _, not starting with a digit), found %s",
			i+1, found(attrs["name"]))
	}
	f := Field{Name: name}
	if _, present := attrs["type"]; !present {
		return Field{}, Errorf(EInvalidInput, "field %s: type is missing", name)
	}
	var err error
	if f.Type, f.Nullable, err = parseFieldType(name, attrs["type"]); err != nil {
		return Field{}, err
	}
	if f.Categorical, err = flag(name, "categorical", attrs); err != nil {
		return Field{}, err
	}
	if f.Textual, err = flag(name, "textual", attrs); err != nil {
		return Field{}, err
	}
	switch {
	case f.Categorical && f.Textual:
		return Field{}, Errorf(EInvalidInput, "field %s: a field cannot be both categorical and textual", name)
	case f.Categorical && f.Type != TypeString:
		return Field{}, Errorf(EInvalidInput, "field %s: only string fields can be categorical, found %s", name, f.avroType())
	case f.Textual && f.Type != TypeString:
		return Field{}, Errorf(EInvalidInput, "field %s: only string fields can be textual, found %s", name, f.avroType())
	}
	return f, nil
}

// flag reads an optional boolean attribute of a field.
func flag(field, attr string, attrs map[string]json.RawMessage) (bool, error) {
	raw, present := attrs[attr]
	if !present {
		return false, nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		return false, Errorf(EInvalidInput, "field %s: %s must be true or false, found %s", field, attr, found(raw))
	}
	return b, nil
}

// parseFieldType reads a field's type: a primitive name, or a union of one
// primitive with "null".
func parseFieldType(field string, raw json.RawMessage) (FieldType, bool, error) {
	if name, ok := jsonString(raw); ok {
		t, err := primitive(field, name)
		return t, false, err
	}
	var union []json.RawMessage
	if json.Unmarshal(raw, &union) == nil {
		t, err := parseUnion(field, union, raw)
		return t, true, err
	}
	var complexType map[string]json.RawMessage
	if json.Unmarshal(raw, &complexType) == nil {
		if logical, ok := complexType["logicalType"]; ok {
			return "", false, Errorf(EInvalidInput,
				"field %s: logical types are not supported (found logicalType %s); use a plain type such as \"long\"",
				field, found(logical))
		}
		return "", false, nestedType(field)
	}
	return "", false, Errorf(EInvalidInput,
		`field %s: type must be a type name such as "string" or a union such as ["null","string"], found %s`,
		field, found(raw))
}

// parseUnion reads a union, which must pair one primitive type with "null".
func parseUnion(field string, members []json.RawMessage, raw json.RawMessage) (FieldType, error) {
	var names []string
	for _, m := range members {
		name, ok := jsonString(m)
		if !ok {
			return "", nestedType(field)
		}
		names = append(names, name)
	}
	if len(names) != 2 || (names[0] == "null") == (names[1] == "null") {
		return "", Errorf(EInvalidInput,
			`field %s: a union must pair one type with "null", such as ["null","string"], found %s`, field, found(raw))
	}
	other := names[0]
	if other == "null" {
		other = names[1]
	}
	return primitive(field, other)
}

// primitive checks a type name used by a field.
func primitive(field, name string) (FieldType, error) {
	switch t := FieldType(name); t {
	case TypeString, TypeInt, TypeLong, TypeFloat, TypeDouble, TypeBoolean:
		return t, nil
	}
	switch name {
	case "null":
		return "", Errorf(EInvalidInput,
			`field %s: type "null" alone holds no data; make a field nullable with a union such as ["null","string"]`, field)
	case "record", "array", "map", "enum", "fixed":
		return "", nestedType(field)
	}
	return "", Errorf(EInvalidInput,
		"field %s: type %q is not supported; use string, int, long, float, double or boolean", field, name)
}

func nestedType(field string) error {
	return Errorf(EInvalidInput, "field %s: nested/complex types are not supported, Personalize schemas are flat", field)
}

// jsonString decodes raw as a JSON string.
func jsonString(raw json.RawMessage) (string, bool) {
	var s string
	if raw == nil || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// found renders a JSON value for an error message, "nothing" when absent.
func found(raw json.RawMessage) string {
	if raw == nil {
		return "nothing"
	}
	const most = 80
	s := strings.TrimSpace(string(raw))
	if short := truncate(s, most); short != s {
		return short + "..."
	}
	return s
}

// truncate cuts s to at most n bytes, at a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// validName reports whether s is an Avro name: [A-Za-z_][A-Za-z0-9_]*.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		letter := c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// validFullName reports whether s is one or more Avro names joined by dots.
func validFullName(s string) bool {
	for part := range strings.SplitSeq(s, ".") {
		if !validName(part) {
			return false
		}
	}
	return true
}

// normalName is the form in which field names must differ: Personalize
// treats GENRES_FIELD_1 and GenresField1 as the same column.
func normalName(name string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToUpper(r)
		}
		return -1
	}, name)
}

// Field returns the field with exactly the given name.
func (s *AvroSchema) Field(name string) (*Field, bool) {
	f, ok := s.index().byName[name]
	return f, ok
}

// schemaIndex holds the lookups derived from a schema's fields.
type schemaIndex struct {
	byName map[string]*Field
	// properties holds the keys a record's properties may carry, per
	// dataset type.
	properties map[DatasetType]*propertyKeys
}

func (s *AvroSchema) index() *schemaIndex {
	s.indexOnce.Do(func() {
		idx := &schemaIndex{
			byName:     make(map[string]*Field, len(s.Fields)),
			properties: make(map[DatasetType]*propertyKeys, len(DatasetTypes)),
		}
		for i := range s.Fields {
			idx.byName[s.Fields[i].Name] = &s.Fields[i]
		}
		for _, t := range DatasetTypes {
			idx.properties[t] = newPropertyKeys(s.Fields, t)
		}
		s.idx = idx
	})
	return s.idx
}

// columnRule is a required or reserved field of a dataset type.
type columnRule struct {
	name  string
	types []FieldType
	// nullable allows a union with "null"; required fields never allow it.
	nullable bool
	// notCategorical forbids the categorical flag.
	notCategorical bool
}

// datasetRules are what CreateDataset checks of a schema for one type.
type datasetRules struct {
	required []columnRule
	reserved []columnRule
	// minMetadata counts every field beyond the required ones: reserved
	// fields are metadata too.
	minMetadata int
	// maxMetadata counts fields neither required nor reserved; 0 for no limit.
	maxMetadata int
	// maxFields counts every field; 0 for no limit.
	maxFields int
	// maxTextual is the most textual fields; only Items have any.
	maxTextual int
}

var (
	stringType  = []FieldType{TypeString}
	longType    = []FieldType{TypeLong}
	integerType = []FieldType{TypeInt, TypeLong}
	realType    = []FieldType{TypeFloat, TypeDouble}
	numberType  = []FieldType{TypeInt, TypeLong, TypeFloat, TypeDouble}
)

// rulesByType follows the required and reserved fields of custom dataset
// groups and the metadata quotas of the Personalize developer guide.
var rulesByType = map[DatasetType]datasetRules{
	Interactions: {
		required: []columnRule{
			{name: "USER_ID", types: stringType},
			{name: "ITEM_ID", types: stringType},
			{name: "TIMESTAMP", types: longType},
		},
		reserved: []columnRule{
			{name: "EVENT_TYPE", types: stringType, notCategorical: true},
			{name: "EVENT_VALUE", types: realType, nullable: true},
			{name: "IMPRESSION", types: stringType, nullable: true},
			{name: "RECOMMENDATION_ID", types: stringType, nullable: true},
			{name: "EVENT_ATTRIBUTION_SOURCE", types: stringType, nullable: true},
		},
		maxMetadata: 5,
	},
	Users: {
		required:    []columnRule{{name: "USER_ID", types: stringType}},
		minMetadata: 1,
		maxMetadata: 25,
	},
	Items: {
		required:    []columnRule{{name: "ITEM_ID", types: stringType}},
		reserved:    []columnRule{{name: "CREATION_TIMESTAMP", types: longType, nullable: true}},
		minMetadata: 1,
		maxMetadata: 100,
		maxTextual:  1,
	},
	Actions: {
		required: []columnRule{{name: "ACTION_ID", types: stringType}},
		reserved: []columnRule{
			{name: "CREATION_TIMESTAMP", types: longType, nullable: true},
			{name: "VALUE", types: numberType, nullable: true},
			{name: "TYPE", types: stringType, nullable: true},
			{name: "EXPIRATION_TIMESTAMP", types: longType, nullable: true},
			{name: "REPEAT_FREQUENCY", types: integerType, nullable: true},
		},
		minMetadata: 1,
		maxFields:   10,
	},
	ActionInteractions: {
		required: []columnRule{
			{name: "USER_ID", types: stringType},
			{name: "ACTION_ID", types: stringType},
			{name: "EVENT_TYPE", types: stringType},
			{name: "TIMESTAMP", types: longType},
		},
		reserved: []columnRule{
			{name: "IMPRESSION", types: stringType, nullable: true},
			{name: "RECOMMENDATION_ID", types: stringType, nullable: true},
		},
	},
}

// CheckDatasetType checks the schema's required and reserved fields for a
// dataset of type t (in a group of the given domain, "" for custom).
// Domain groups are held to the rules of custom groups.
func (s *AvroSchema) CheckDatasetType(t DatasetType, domain string) error {
	rules, ok := rulesByType[t]
	if !ok {
		return Errorf(EInvalidInput, "unknown dataset type %q", t)
	}
	kind := datasetKind(t)
	for _, r := range rules.required {
		f, ok := s.Field(r.name)
		if !ok {
			return Errorf(EInvalidInput, "Schema for %s must have a required field %s of type %s",
				kind, r.name, typeList(r.types))
		}
		if err := r.check(f, kind); err != nil {
			return err
		}
	}
	for _, r := range rules.reserved {
		if f, ok := s.Field(r.name); ok {
			if err := r.check(f, kind); err != nil {
				return err
			}
		}
	}

	metadata := len(s.Fields) - len(rules.required)
	if metadata < rules.minMetadata {
		return Errorf(EInvalidInput, "Schema for %s must have at least %d metadata field besides %s",
			kind, rules.minMetadata, ruleNames(rules.required))
	}
	custom := metadata
	for _, r := range rules.reserved {
		if _, ok := s.Field(r.name); ok {
			custom--
		}
	}
	if rules.maxMetadata > 0 && custom > rules.maxMetadata {
		return Errorf(EInvalidInput,
			"Schema for %s has %d metadata fields besides the required and reserved ones; at most %d are allowed",
			kind, custom, rules.maxMetadata)
	}
	if rules.maxFields > 0 && len(s.Fields) > rules.maxFields {
		return Errorf(EInvalidInput, "Schema for %s has %d fields; at most %d are allowed",
			kind, len(s.Fields), rules.maxFields)
	}

	var textual []string
	for _, f := range s.Fields {
		if f.Textual {
			textual = append(textual, f.Name)
		}
	}
	switch {
	case len(textual) > 0 && rules.maxTextual == 0:
		return Errorf(EInvalidInput, "Field %s of %s is textual; only an Items dataset may have a textual field",
			textual[0], kind)
	case len(textual) > rules.maxTextual:
		return Errorf(EInvalidInput, "Schema for %s may have at most %d textual field, found %d (%s)",
			kind, rules.maxTextual, len(textual), strings.Join(textual, ", "))
	}
	return nil
}

// check checks field f against the rule, for a dataset described by kind.
func (r *columnRule) check(f *Field, kind string) error {
	if !slices.Contains(r.types, f.Type) {
		return Errorf(EInvalidInput, "Field %s of %s must be of type %s, found %s",
			f.Name, kind, typeList(r.types), f.avroType())
	}
	if f.Nullable && !r.nullable {
		return Errorf(EInvalidInput, "Field %s of %s must not be nullable, found %s",
			f.Name, kind, f.avroType())
	}
	if r.notCategorical && f.Categorical {
		return Errorf(EInvalidInput, "Field %s of %s must not be categorical", f.Name, kind)
	}
	return nil
}

func typeList(types []FieldType) string {
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = string(t)
	}
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

func ruleNames(rules []columnRule) string {
	names := make([]string, len(rules))
	for i, r := range rules {
		names[i] = r.name
	}
	return strings.Join(names, ", ")
}

// datasetKind names a dataset of type t as the documentation does, with
// its article: "an Interactions dataset".
func datasetKind(t DatasetType) string {
	switch t {
	case Interactions:
		return "an Interactions dataset"
	case Items:
		return "an Items dataset"
	case Users:
		return "a Users dataset"
	case Actions:
		return "an Actions dataset"
	case ActionInteractions:
		return "an Action interactions dataset"
	}
	return "a " + string(t) + " dataset"
}
