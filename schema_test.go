package perch

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Example schemas of the Personalize developer guide, one per dataset type.
var exampleSchemas = map[DatasetType]string{
	Interactions: `{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema",
	 "fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},
	           {"name":"EVENT_TYPE","type":"string"},{"name":"EVENT_VALUE","type":["float","null"]},
	           {"name":"DEVICE","type":["string","null"],"categorical":true},
	           {"name":"TIMESTAMP","type":"long"},{"name":"IMPRESSION","type":"string"}],
	 "version":"1.0"}`,
	Users: `{"type":"record","name":"Users","namespace":"com.amazonaws.personalize.schema",
	 "fields":[{"name":"USER_ID","type":"string"},{"name":"AGE","type":"int"},
	           {"name":"GENDER","type":"string","categorical":true}],"version":"1.0"}`,
	Items: `{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema",
	 "fields":[{"name":"ITEM_ID","type":"string"},
	           {"name":"GENRES","type":["null","string"],"categorical":true},
	           {"name":"CREATION_TIMESTAMP","type":"long"},
	           {"name":"DESCRIPTION","type":["null","string"],"textual":true}],"version":"1.0"}`,
	Actions: `{"type":"record","name":"Actions","namespace":"com.amazonaws.personalize.schema",
	 "fields":[{"name":"ACTION_ID","type":"string"},{"name":"VALUE","type":["null","long"]},
	           {"name":"MEMBERSHIP_LEVEL","type":["null","string"],"categorical":true},
	           {"name":"CREATION_TIMESTAMP","type":"long"},{"name":"REPEAT_FREQUENCY","type":"int"}],
	 "version":"1.0"}`,
	ActionInteractions: `{"type":"record","name":"ActionInteractions","namespace":"com.amazonaws.personalize.schema",
	 "fields":[{"name":"USER_ID","type":"string"},{"name":"ACTION_ID","type":"string"},
	           {"name":"EVENT_TYPE","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}`,
}

// record wraps field definitions (JSON objects, comma-separated) in a
// schema.
func record(fields string) string {
	return `{"type":"record","name":"Test","fields":[` + fields + `]}`
}

// mustParse parses a schema made of the given fields or fails the test.
func mustParse(tb testing.TB, fields string) *AvroSchema {
	tb.Helper()
	s, err := ParseSchema(record(fields))
	if err != nil {
		tb.Fatalf("ParseSchema: %v", err)
	}
	return s
}

// metadata returns n categorical string fields named prefix1..prefixN.
func metadata(prefix string, n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `,{"name":"%s%d","type":"string","categorical":true}`, prefix, i)
	}
	return b.String()
}

// wantInvalid fails the test unless err is an InvalidInputException whose
// message contains want.
func wantInvalid(t *testing.T, err error, want string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v, want an InvalidInputException containing %q", err, want)
	}
	if e.Code != EInvalidInput {
		t.Errorf("code = %s, want %s", e.Code, EInvalidInput)
	}
	if !strings.Contains(e.Message, want) {
		t.Errorf("message = %q, want it to contain %q", e.Message, want)
	}
}

func TestExampleSchemas(t *testing.T) {
	for typ, definition := range exampleSchemas {
		t.Run(string(typ), func(t *testing.T) {
			s, err := ParseSchema(definition)
			if err != nil {
				t.Fatalf("ParseSchema: %v", err)
			}
			if s.Namespace != "com.amazonaws.personalize.schema" {
				t.Errorf("namespace = %q", s.Namespace)
			}
			for _, domain := range []string{"", DomainEcommerce} {
				if err := s.CheckDatasetType(typ, domain); err != nil {
					t.Errorf("CheckDatasetType(%s, %q): %v", typ, domain, err)
				}
			}
		})
	}
}

func TestParseSchemaFields(t *testing.T) {
	s, err := ParseSchema(`{"type":"record","name":"Items",
	 "fields":[{"name":"ITEM_ID","type":"string","doc":"the id"},
	           {"name":"GENRES","type":["null","string"],"categorical":true,"default":null},
	           {"name":"PRICE","type":["double","null"]},
	           {"name":"AGE","type":"int"},
	           {"name":"CREATION_TIMESTAMP","type":"long"},
	           {"name":"SCORE","type":"float"},
	           {"name":"IN_STOCK","type":"boolean","default":true},
	           {"name":"DESCRIPTION","type":"string","textual":true,"categorical":false}]}`)
	if err != nil {
		t.Fatalf("ParseSchema: %v", err)
	}
	want := []Field{
		{Name: "ITEM_ID", Type: TypeString},
		{Name: "GENRES", Type: TypeString, Nullable: true, Categorical: true},
		{Name: "PRICE", Type: TypeDouble, Nullable: true},
		{Name: "AGE", Type: TypeInt},
		{Name: "CREATION_TIMESTAMP", Type: TypeLong},
		{Name: "SCORE", Type: TypeFloat},
		{Name: "IN_STOCK", Type: TypeBoolean},
		{Name: "DESCRIPTION", Type: TypeString, Textual: true},
	}
	if s.Name != "Items" || s.Namespace != "" {
		t.Errorf("name, namespace = %q, %q", s.Name, s.Namespace)
	}
	if len(s.Fields) != len(want) {
		t.Fatalf("got %d fields, want %d", len(s.Fields), len(want))
	}
	for i, f := range s.Fields {
		if f != want[i] {
			t.Errorf("field %d = %+v, want %+v", i, f, want[i])
		}
	}
}

func TestParseSchemaAccepts(t *testing.T) {
	tests := map[string]string{
		"dotted name":        `{"type":"record","name":"com.example.Items","fields":[{"name":"ITEM_ID","type":"string"}]}`,
		"empty namespace":    `{"type":"record","name":"Items","namespace":"","fields":[{"name":"ITEM_ID","type":"string"}]}`,
		"underscore names":   `{"type":"record","name":"_Items","fields":[{"name":"_id2","type":"string"}]}`,
		"1000 fields":        record(`{"name":"ITEM_ID","type":"string"}` + metadata("F", 999)),
		"lower-case name":    record(`{"name":"item_id","type":"string"}`),
		"null-first union":   record(`{"name":"A","type":["null","int"]}`),
		"null-last union":    record(`{"name":"A","type":["int","null"]}`),
		"categorical false":  record(`{"name":"A","type":"int","categorical":false}`),
		"unknown attributes": record(`{"name":"A","type":"int","order":"ascending","aliases":["B"]}`),
	}
	for name, definition := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseSchema(definition); err != nil {
				t.Errorf("ParseSchema: %v", err)
			}
		})
	}
}

func TestParseSchemaRejects(t *testing.T) {
	tests := []struct {
		name       string
		definition string
		want       string
	}{
		{"not JSON", `{"type":`, "schema is not valid JSON"},
		{"not an object", `["record"]`, "schema must be a JSON object"},
		{"no type", `{"name":"A","fields":[{"name":"A","type":"int"}]}`, `schema must have "type": "record", found nothing`},
		{"enum", `{"type":"enum","name":"A","symbols":["X"]}`, `schema must have "type": "record", found "enum"`},
		{"no name", `{"type":"record","fields":[{"name":"A","type":"int"}]}`, "schema name must be an Avro name"},
		{"bad name", `{"type":"record","name":"1A","fields":[{"name":"A","type":"int"}]}`, `found "1A"`},
		{"bad namespace", `{"type":"record","name":"A","namespace":"com..x","fields":[{"name":"A","type":"int"}]}`, "schema namespace must be dot-separated Avro names"},
		{"no fields", `{"type":"record","name":"A"}`, "schema fields must be a non-empty array, found nothing"},
		{"empty fields", record(``), "schema fields must be a non-empty array, found []"},
		{"fields not array", `{"type":"record","name":"A","fields":{}}`, "schema fields must be a non-empty array"},
		{"too many fields", record(`{"name":"ITEM_ID","type":"string"}` + metadata("F", 1000)), "schema has 1001 fields; at most 1000 are allowed"},
		{"field not object", record(`"A"`), `field at position 1 must be a JSON object, found "A"`},
		{"field without name", record(`{"name":"A","type":"int"},{"type":"int"}`), "field at position 2: name must be an Avro name"},
		{"field name with dash", record(`{"name":"USER-ID","type":"string"}`), `found "USER-ID"`},
		{"field name with digit first", record(`{"name":"1ST","type":"string"}`), `found "1ST"`},
		{"field without type", record(`{"name":"A"}`), "field A: type is missing"},
		{"null alone", record(`{"name":"A","type":"null"}`), `field A: type "null" alone holds no data`},
		{"bytes", record(`{"name":"A","type":"bytes"}`), `field A: type "bytes" is not supported`},
		{"named type", record(`{"name":"A","type":"com.example.Thing"}`), `type "com.example.Thing" is not supported`},
		{"numeric type", record(`{"name":"A","type":3}`), "field A: type must be a type name"},
		{"union of null only", record(`{"name":"A","type":["null"]}`), `field A: a union must pair one type with "null"`},
		{"union without null", record(`{"name":"A","type":["string","int"]}`), `found ["string","int"]`},
		{"union of nulls", record(`{"name":"A","type":["null","null"]}`), `a union must pair one type with "null"`},
		{"union of three", record(`{"name":"A","type":["null","string","int"]}`), `a union must pair one type with "null"`},
		{"union with bytes", record(`{"name":"A","type":["null","bytes"]}`), `type "bytes" is not supported`},
		{"nested record", record(`{"name":"A","type":{"type":"record","name":"B","fields":[]}}`), "field A: nested/complex types are not supported, Personalize schemas are flat"},
		{"array", record(`{"name":"A","type":{"type":"array","items":"string"}}`), "field A: nested/complex types are not supported"},
		{"map in union", record(`{"name":"A","type":["null",{"type":"map","values":"int"}]}`), "field A: nested/complex types are not supported"},
		{"array by name", record(`{"name":"A","type":"array"}`), "field A: nested/complex types are not supported"},
		{"logical type", record(`{"name":"A","type":{"type":"long","logicalType":"timestamp-millis"}}`), `field A: logical types are not supported (found logicalType "timestamp-millis")`},
		{"categorical int", record(`{"name":"A","type":"int","categorical":true}`), "field A: only string fields can be categorical, found int"},
		{"categorical nullable long", record(`{"name":"A","type":["null","long"],"categorical":true}`), `found ["null","long"]`},
		{"textual long", record(`{"name":"A","type":"long","textual":true}`), "field A: only string fields can be textual, found long"},
		{"categorical and textual", record(`{"name":"A","type":"string","categorical":true,"textual":true}`), "field A: a field cannot be both categorical and textual"},
		{"categorical not boolean", record(`{"name":"A","type":"string","categorical":"yes"}`), `field A: categorical must be true or false, found "yes"`},
		{"same name twice", record(`{"name":"A","type":"int"},{"name":"A","type":"long"}`), "field A appears more than once"},
		{"alphanumeric collision", record(`{"name":"GENRES_FIELD_1","type":"string"},{"name":"GENRESFIELD1","type":"string"}`), "fields GENRES_FIELD_1 and GENRESFIELD1 collide"},
		{"case collision", record(`{"name":"genres","type":"string"},{"name":"GENRES","type":"string"}`), "fields genres and GENRES collide"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSchema(tt.definition)
			if err == nil {
				t.Fatalf("ParseSchema accepted it: %+v", s)
			}
			wantInvalid(t, err, tt.want)
		})
	}
}

func TestField(t *testing.T) {
	s := mustParse(t, `{"name":"ITEM_ID","type":"string"},{"name":"GENRES","type":"string","categorical":true}`)
	f, ok := s.Field("GENRES")
	if !ok || f.Name != "GENRES" || !f.Categorical {
		t.Errorf("Field(GENRES) = %+v, %v", f, ok)
	}
	for _, name := range []string{"genres", "GENRE", ""} {
		if f, ok := s.Field(name); ok {
			t.Errorf("Field(%q) = %+v, want no field", name, f)
		}
	}
}

func TestCheckDatasetType(t *testing.T) {
	const (
		userID    = `{"name":"USER_ID","type":"string"}`
		itemID    = `{"name":"ITEM_ID","type":"string"}`
		actionID  = `{"name":"ACTION_ID","type":"string"}`
		timestamp = `{"name":"TIMESTAMP","type":"long"}`
		eventType = `{"name":"EVENT_TYPE","type":"string"}`
		age       = `{"name":"AGE","type":"int"}`
	)
	interactions := userID + "," + itemID + "," + timestamp
	actionInteractions := userID + "," + actionID + "," + eventType + "," + timestamp
	tests := []struct {
		name   string
		typ    DatasetType
		fields string
		want   string // "" when the schema fits
	}{
		{"interactions minimal", Interactions, interactions, ""},
		{"interactions missing USER_ID", Interactions, itemID + "," + timestamp,
			"Schema for an Interactions dataset must have a required field USER_ID of type string"},
		{"interactions missing TIMESTAMP", Interactions, userID + "," + itemID,
			"Schema for an Interactions dataset must have a required field TIMESTAMP of type long"},
		{"interactions TIMESTAMP string", Interactions, userID + "," + itemID + `,{"name":"TIMESTAMP","type":"string"}`,
			"Field TIMESTAMP of an Interactions dataset must be of type long, found string"},
		{"interactions nullable USER_ID", Interactions, `{"name":"USER_ID","type":["null","string"]},` + itemID + "," + timestamp,
			`Field USER_ID of an Interactions dataset must not be nullable, found ["null","string"]`},
		{"interactions lower-case user_id", Interactions, `{"name":"user_id","type":"string"},` + itemID + "," + timestamp,
			"must have a required field USER_ID"},
		{"EVENT_TYPE string", Interactions, interactions + "," + eventType, ""},
		{"EVENT_TYPE categorical", Interactions, interactions + `,{"name":"EVENT_TYPE","type":"string","categorical":true}`,
			"Field EVENT_TYPE of an Interactions dataset must not be categorical"},
		{"EVENT_TYPE int", Interactions, interactions + `,{"name":"EVENT_TYPE","type":"int"}`,
			"Field EVENT_TYPE of an Interactions dataset must be of type string, found int"},
		{"EVENT_VALUE nullable double", Interactions, interactions + `,{"name":"EVENT_VALUE","type":["null","double"]}`, ""},
		{"EVENT_VALUE float", Interactions, interactions + `,{"name":"EVENT_VALUE","type":"float"}`, ""},
		{"EVENT_VALUE int", Interactions, interactions + `,{"name":"EVENT_VALUE","type":"int"}`,
			"Field EVENT_VALUE of an Interactions dataset must be of type float or double, found int"},
		{"IMPRESSION nullable", Interactions, interactions + `,{"name":"IMPRESSION","type":["null","string"]}`, ""},
		{"IMPRESSION long", Interactions, interactions + `,{"name":"IMPRESSION","type":"long"}`,
			"Field IMPRESSION of an Interactions dataset must be of type string, found long"},
		{"RECOMMENDATION_ID nullable", Interactions, interactions + `,{"name":"RECOMMENDATION_ID","type":["string","null"]}`, ""},
		{"RECOMMENDATION_ID long", Interactions, interactions + `,{"name":"RECOMMENDATION_ID","type":"long"}`,
			"Field RECOMMENDATION_ID of an Interactions dataset must be of type string, found long"},
		{"EVENT_ATTRIBUTION_SOURCE nullable", Interactions, interactions + `,{"name":"EVENT_ATTRIBUTION_SOURCE","type":["null","string"]}`, ""},
		{"EVENT_ATTRIBUTION_SOURCE int", Interactions, interactions + `,{"name":"EVENT_ATTRIBUTION_SOURCE","type":"int"}`,
			"must be of type string, found int"},
		{"interactions 5 metadata and all reserved", Interactions, interactions + "," + eventType +
			`,{"name":"EVENT_VALUE","type":"float"},{"name":"IMPRESSION","type":"string"}` +
			`,{"name":"RECOMMENDATION_ID","type":"string"},{"name":"EVENT_ATTRIBUTION_SOURCE","type":"string"}` +
			metadata("M", 5), ""},
		{"interactions 6 metadata", Interactions, interactions + metadata("M", 6),
			"Schema for an Interactions dataset has 6 metadata fields besides the required and reserved ones; at most 5 are allowed"},
		{"interactions textual", Interactions, interactions + `,{"name":"NOTE","type":"string","textual":true}`,
			"Field NOTE of an Interactions dataset is textual; only an Items dataset may have a textual field"},

		{"users", Users, userID + "," + age, ""},
		{"users without metadata", Users, userID,
			"Schema for a Users dataset must have at least 1 metadata field besides USER_ID"},
		{"users missing USER_ID", Users, age,
			"Schema for a Users dataset must have a required field USER_ID of type string"},
		{"users USER_ID long", Users, `{"name":"USER_ID","type":"long"},` + age,
			"Field USER_ID of a Users dataset must be of type string, found long"},
		{"users 25 metadata", Users, userID + metadata("M", 25), ""},
		{"users 26 metadata", Users, userID + metadata("M", 26),
			"Schema for a Users dataset has 26 metadata fields besides the required and reserved ones; at most 25 are allowed"},

		{"items", Items, itemID + metadata("M", 1), ""},
		{"items with only CREATION_TIMESTAMP", Items, itemID + `,{"name":"CREATION_TIMESTAMP","type":"long"}`, ""},
		{"items without metadata", Items, itemID,
			"Schema for an Items dataset must have at least 1 metadata field besides ITEM_ID"},
		{"items missing ITEM_ID", Items, age,
			"Schema for an Items dataset must have a required field ITEM_ID of type string"},
		{"items CREATION_TIMESTAMP string", Items, itemID + `,{"name":"CREATION_TIMESTAMP","type":"string"}`,
			"Field CREATION_TIMESTAMP of an Items dataset must be of type long, found string"},
		{"items 100 metadata", Items, itemID + `,{"name":"CREATION_TIMESTAMP","type":"long"}` + metadata("M", 100), ""},
		{"items 101 metadata", Items, itemID + metadata("M", 101),
			"Schema for an Items dataset has 101 metadata fields besides the required and reserved ones; at most 100 are allowed"},
		{"items one textual", Items, itemID + `,{"name":"DESCRIPTION","type":"string","textual":true}`, ""},
		{"items two textual", Items, itemID + `,{"name":"DESCRIPTION","type":"string","textual":true},{"name":"SUMMARY","type":"string","textual":true}`,
			"Schema for an Items dataset may have at most 1 textual field, found 2 (DESCRIPTION, SUMMARY)"},

		{"actions", Actions, actionID + `,{"name":"VALUE","type":"double"},{"name":"TYPE","type":"string"}` +
			`,{"name":"EXPIRATION_TIMESTAMP","type":["null","long"]},{"name":"REPEAT_FREQUENCY","type":"long"}`, ""},
		{"actions without metadata", Actions, actionID,
			"Schema for an Actions dataset must have at least 1 metadata field besides ACTION_ID"},
		{"actions missing ACTION_ID", Actions, age,
			"Schema for an Actions dataset must have a required field ACTION_ID of type string"},
		{"actions VALUE string", Actions, actionID + `,{"name":"VALUE","type":"string"}`,
			"Field VALUE of an Actions dataset must be of type int, long, float or double, found string"},
		{"actions REPEAT_FREQUENCY double", Actions, actionID + `,{"name":"REPEAT_FREQUENCY","type":"double"}`,
			"Field REPEAT_FREQUENCY of an Actions dataset must be of type int or long, found double"},
		{"actions EXPIRATION_TIMESTAMP int", Actions, actionID + `,{"name":"EXPIRATION_TIMESTAMP","type":"int"}`,
			"Field EXPIRATION_TIMESTAMP of an Actions dataset must be of type long, found int"},
		{"actions TYPE boolean", Actions, actionID + `,{"name":"TYPE","type":"boolean"}`,
			"Field TYPE of an Actions dataset must be of type string, found boolean"},
		{"actions 10 columns", Actions, actionID + metadata("M", 9), ""},
		{"actions 11 columns", Actions, actionID + metadata("M", 10),
			"Schema for an Actions dataset has 11 fields; at most 10 are allowed"},

		{"action interactions", ActionInteractions, actionInteractions +
			`,{"name":"IMPRESSION","type":["null","string"]},{"name":"RECOMMENDATION_ID","type":"string"}`, ""},
		{"action interactions missing EVENT_TYPE", ActionInteractions, userID + "," + actionID + "," + timestamp,
			"Schema for an Action interactions dataset must have a required field EVENT_TYPE of type string"},
		{"action interactions IMPRESSION int", ActionInteractions, actionInteractions + `,{"name":"IMPRESSION","type":"int"}`,
			"Field IMPRESSION of an Action interactions dataset must be of type string, found int"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.fields)
			for _, domain := range []string{"", DomainVideoOnDemand} {
				err := s.CheckDatasetType(tt.typ, domain)
				if tt.want == "" {
					if err != nil {
						t.Errorf("CheckDatasetType(%s, %q): %v", tt.typ, domain, err)
					}
					continue
				}
				wantInvalid(t, err, tt.want)
			}
		})
	}
}

func TestCheckDatasetTypeExactMessage(t *testing.T) {
	s := mustParse(t, `{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"string"}`)
	err := s.CheckDatasetType(Interactions, "")
	const want = "Field TIMESTAMP of an Interactions dataset must be of type long, found string"
	var e *Error
	if !errors.As(err, &e) || e.Message != want {
		t.Errorf("got %v, want message %q", err, want)
	}
}

func TestCheckDatasetTypeUnknownType(t *testing.T) {
	s := mustParse(t, `{"name":"ITEM_ID","type":"string"}`)
	wantInvalid(t, s.CheckDatasetType("WIDGETS", ""), `unknown dataset type "WIDGETS"`)
}

// FuzzParseSchema checks that ParseSchema refuses with InvalidInput or
// returns a schema that every later lookup can use.
func FuzzParseSchema(f *testing.F) {
	for _, seed := range []string{
		record(itemsSchema),
		record(interactionsSchema),
		`{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"}],"version":"1.0"}`,
		`{"type":"record","name":"X","fields":[{"name":"A","type":["null","string"],"categorical":true,"textual":true}]}`,
		`{"type":"record","name":"X","fields":[{"name":"A","type":{"type":"array","items":"string"}}]}`,
		`{"type":"record","name":"X","fields":[{"name":"A","type":"long"},{"name":"a","type":"long"}]}`,
		`{"type":"record","name":"X","fields":[{"name":"A","type":["null","null"]}]}`,
		`{"type":"record","name":"X","name":"Y","fields":[{"name":"A","type":"int"}]}`,
		`{"type":"enum"}`, `[]`, `{`, `"x"`, ``,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, definition string) {
		s, err := ParseSchema(definition)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != EInvalidInput {
				t.Fatalf("refused %q with %v, not an InvalidInputException", definition, err)
			}
			return
		}
		if !json.Valid([]byte(definition)) {
			t.Fatalf("accepted invalid JSON %q", definition)
		}
		if len(s.Fields) == 0 || len(s.Fields) > MaxSchemaFields {
			t.Fatalf("accepted %d fields", len(s.Fields))
		}
		for _, typ := range DatasetTypes {
			_ = s.CheckProperties(`{}`, typ)
			_ = s.CheckProperties(`{"a":1}`, typ)
		}
		for _, fl := range s.Fields {
			if _, ok := s.Field(fl.Name); !ok {
				t.Fatalf("Field(%q) of a parsed schema is missing", fl.Name)
			}
		}
	})
}
