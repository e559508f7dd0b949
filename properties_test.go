package perch

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
)

func TestCamelCase(t *testing.T) {
	tests := map[string]string{
		"NUMBER_OF_RATINGS":  "numberOfRatings",
		"CREATION_TIMESTAMP": "creationTimestamp",
		"GENRES":             "genres",
		"NUM_RATINGS":        "numRatings",
		"GENRES_FIELD_1":     "genresField1",
		"numberOfRatings":    "numberofratings",
		"Number_Of_Ratings":  "numberOfRatings",
		"price_usd":          "priceUsd",
		"A":                  "a",
		"DOUBLE__UNDERSCORE": "doubleUnderscore",
		"_LEADING":           "Leading",
		"TRAILING_":          "trailing",
		"":                   "",
	}
	for field, want := range tests {
		if got := CamelCase(field); got != want {
			t.Errorf("CamelCase(%q) = %q, want %q", field, got, want)
		}
	}
}

// itemsSchema has a field of every type, for checking values.
const itemsSchema = `{"name":"ITEM_ID","type":"string"},
	{"name":"GENRES","type":["null","string"],"categorical":true},
	{"name":"TITLE","type":"string"},
	{"name":"NUMBER_OF_RATINGS","type":"long"},
	{"name":"AGE","type":"int"},
	{"name":"PRICE","type":"double"},
	{"name":"SCORE","type":"float"},
	{"name":"IN_STOCK","type":"boolean"},
	{"name":"MAYBE_COUNT","type":["null","long"]},
	{"name":"DESCRIPTION","type":"string","textual":true}`

// interactionsSchema has every reserved field and one whose key is reserved.
const interactionsSchema = `{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},
	{"name":"TIMESTAMP","type":"long"},{"name":"EVENT_TYPE","type":"string"},
	{"name":"EVENT_VALUE","type":["null","float"]},{"name":"IMPRESSION","type":"string"},
	{"name":"RECOMMENDATION_ID","type":"string"},{"name":"EVENT_ATTRIBUTION_SOURCE","type":"string"},
	{"name":"SESSION_ID","type":"string"},
	{"name":"DEVICE","type":["string","null"],"categorical":true}`

func TestCheckProperties(t *testing.T) {
	items := mustParse(t, itemsSchema)
	interactions := mustParse(t, interactionsSchema)
	actionInteractions := mustParse(t, `{"name":"USER_ID","type":"string"},{"name":"ACTION_ID","type":"string"},
		{"name":"EVENT_TYPE","type":"string"},{"name":"TIMESTAMP","type":"long"},
		{"name":"IMPRESSION","type":"string"},{"name":"CHANNEL","type":"string","categorical":true}`)
	users := mustParse(t, `{"name":"USER_ID","type":"string"},{"name":"AGE","type":"int"}`)
	actions := mustParse(t, `{"name":"ACTION_ID","type":"string"},{"name":"VALUE","type":["null","long"]}`)
	onlyID := mustParse(t, `{"name":"ITEM_ID","type":"string"}`)

	long1000 := strings.Repeat("abcd|", 199) + "abcde" // 1000 characters
	tests := []struct {
		name       string
		schema     *AvroSchema
		typ        DatasetType
		properties string
		want       string // a part of the message; "" when accepted
	}{
		{"every type", items, Items, `{"genres":"Horror|Action","title":"Up","numberOfRatings":12,"age":30,
			"price":9.99,"score":4.5,"inStock":true,"maybeCount":null,"description":"An \"animated\" movie"}`, ""},
		{"empty object", items, Items, `{}`, ""},
		{"whitespace around", items, Items, " \n{ \"age\" : 1 }\t", ""},
		{"escaped key", items, Items, `{"ag\u0065":1}`, ""},
		{"delimiters inside strings", items, Items, `{"title":"a\"},{\"x\":1, ]","genres":"x\\"}`, ""},
		{"unicode", items, Items, `{"title":"日本語 \ud83d\ude00"}`, ""},

		// Not a JSON object.
		{"not JSON", items, Items, `{genres: "x"}`, "Error parsing properties json: invalid character 'g'"},
		{"cut off", items, Items, `{"genres": "x"`, "Error parsing properties json: unexpected end of JSON input"},
		{"trailing comma", items, Items, `{"age": 1,}`, "Error parsing properties json: invalid character '}'"},
		{"missing comma", items, Items, `{"age": 1 "title": "x"}`, "Error parsing properties json"},
		{"empty", items, Items, ``, "Error parsing properties json: unexpected end of JSON input"},
		{"double-encoded", items, Items, `"{\"genres\":\"Horror\"}"`,
			"Error parsing properties json: the value is a JSON string, not an object (is it encoded twice?)"},
		{"string", items, Items, `"Horror"`, "Error parsing properties json: the value is a JSON string, not an object"},
		{"number", items, Items, `12`, "Error parsing properties json: the value is a JSON number, not an object"},
		{"array", items, Items, `[{"age":1}]`, "Error parsing properties json: the value is a JSON array, not an object"},
		{"null", items, Items, `null`, "Error parsing properties json: the value is JSON null, not an object"},
		{"boolean", items, Items, `true`, "Error parsing properties json: the value is a JSON boolean, not an object"},
		{"string then junk", items, Items, `"x" y`, "Error parsing properties json: invalid character 'y'"},
		{"two objects", items, Items, `{"age":1} {"age":2}`, "Error parsing properties json: invalid character '{' after top-level value"},
		{"junk after object", items, Items, `{"age":1} x`, "Error parsing properties json: invalid character 'x'"},
		{"duplicate key", items, Items, `{"genres":"a","age":1,"genres":"b"}`, "Error parsing properties json: duplicate key 'genres'"},
		{"duplicate escaped key", items, Items, `{"age":1,"ag\u0065":2}`, "Error parsing properties json: duplicate key 'age'"},
		{"nested value then more", items, Items, `{"title":{"a":[1,{"b":"}"}]},"age":1}`, "found an object"},
		{"broken after unknown key", items, Items, `{"nope":1,`, "Error parsing properties json"},
		{"broken after bad value", items, Items, `{"age":"x"}}`, "Error parsing properties json"},

		// Keys.
		{"unknown key", items, Items, `{"foo":1}`,
			"properties key 'foo' does not match any field of the dataset's schema; valid keys are: age, description, genres, inStock, maybeCount, numberOfRatings, price, score, title"},
		{"key differs by case", items, Items, `{"NumberOfRatings":12}`,
			"properties key 'NumberOfRatings' does not match any field of the dataset's schema (did you mean 'numberOfRatings'?"},
		{"key is the field name", items, Items, `{"NUMBER_OF_RATINGS":12}`, "(did you mean 'numberOfRatings'?"},
		{"no keys possible", onlyID, Items, `{"genres":"x"}`,
			"properties key 'genres' does not match any field of the dataset's schema; this dataset's schema has no fields that can be sent in properties"},
		{"items itemId", items, Items, `{"itemId":"1"}`,
			"properties key 'itemId' names field ITEM_ID, which is sent as the record's own member, not inside properties"},
		{"users userId", users, Users, `{"userId":"1"}`, "properties key 'userId' names field USER_ID"},
		{"users age", users, Users, `{"age":"41"}`, ""},
		{"actions actionId", actions, Actions, `{"actionId":"1"}`, "properties key 'actionId' names field ACTION_ID"},
		{"actions value", actions, Actions, `{"value":3}`, ""},

		// Interactions.
		{"interactions metadata", interactions, Interactions, `{"device":"phone"}`, ""},
		{"old-style itemId and eventValue", interactions, Interactions, `{"itemId":"42","eventValue":1.5}`, ""},
		{"reserved timestamp", interactions, Interactions, `{"timestamp":1700000000}`,
			"properties key 'timestamp' is reserved: send it as the record's own member, not inside properties"},
		{"reserved TimeStamp", interactions, Interactions, `{"TimeStamp":1700000000}`, "properties key 'TimeStamp' is reserved"},
		{"reserved userId", interactions, Interactions, `{"userId":"u"}`, "properties key 'userId' is reserved"},
		{"reserved SESSIONID", interactions, Interactions, `{"SESSIONID":"s"}`, "properties key 'SESSIONID' is reserved"},
		{"reserved sessionId field", interactions, Interactions, `{"sessionId":"s"}`, "properties key 'sessionId' is reserved"},
		{"reserved eventType", interactions, Interactions, `{"eventType":"click"}`, "properties key 'eventType' is reserved"},
		{"reserved recommendationId", interactions, Interactions, `{"recommendationId":"r"}`, "properties key 'recommendationId' is reserved"},
		{"reserved impression", interactions, Interactions, `{"Impression":"a|b"}`, "properties key 'Impression' is reserved"},
		{"reserved without a field", users, Interactions, `{"timestamp":1}`, "properties key 'timestamp' is reserved"},
		{"eventAttributionSource", interactions, Interactions, `{"eventAttributionSource":"ads"}`,
			"properties key 'eventAttributionSource' names field EVENT_ATTRIBUTION_SOURCE"},
		{"interactions valid keys", interactions, Interactions, `{"foo":1}`, "valid keys are: device, eventValue, itemId"},
		{"action interactions metadata", actionInteractions, ActionInteractions, `{"channel":"email"}`, ""},
		{"action interactions actionId", actionInteractions, ActionInteractions, `{"actionId":"a"}`,
			"properties key 'actionId' names field ACTION_ID"},
		{"action interactions reserved", actionInteractions, ActionInteractions, `{"EventType":"Taken"}`,
			"properties key 'EventType' is reserved"},
		{"timestamp is no reserved key for users", users, Users, `{"timestamp":1}`,
			"properties key 'timestamp' does not match any field"},

		// Strings.
		{"string from number", items, Items, `{"title":12.5}`, ""},
		{"string from boolean", items, Items, `{"title":false}`, ""},
		{"string null", items, Items, `{"title":null}`, "properties key 'title' must be a string (field TITLE is not nullable), found null"},
		{"string object", items, Items, `{"title":{"en":"Up"}}`, "properties key 'title' must be a string (field TITLE), found an object"},
		{"string array", items, Items, `{"genres":["Horror","Action"]}`, "properties key 'genres' must be a string (field GENRES), found an array"},
		{"nullable string null", items, Items, `{"genres":null}`, ""},
		{"categorical at limit", items, Items, `{"genres":"` + long1000 + `"}`, ""},
		{"categorical runes at limit", items, Items, `{"genres":"` + strings.Repeat("é", 1000) + `"}`, ""},
		{"categorical too long", items, Items, `{"genres":"` + long1000 + `x"}`,
			"properties key 'genres' (categorical field GENRES) is 1001 characters long; at most 1000 are allowed, | separators included"},
		{"long text not categorical", items, Items, `{"description":"` + strings.Repeat("x", 5000) + `"}`, ""},

		// Integers.
		{"long number", items, Items, `{"numberOfRatings":12}`, ""},
		{"long string", items, Items, `{"numberOfRatings":"12"}`, ""},
		{"long negative", items, Items, `{"numberOfRatings":-12}`, ""},
		{"long whole fraction", items, Items, `{"numberOfRatings":12.0}`, ""},
		{"long exponent", items, Items, `{"numberOfRatings":1.2e1}`, ""},
		{"long max", items, Items, `{"numberOfRatings":9223372036854775807}`, ""},
		{"long over max", items, Items, `{"numberOfRatings":9223372036854775808}`,
			"properties key 'numberOfRatings' must be a long (field NUMBER_OF_RATINGS), found 9223372036854775808, out of range for a long"},
		{"long exponent over max", items, Items, `{"numberOfRatings":1e19}`, "out of range for a long"},
		{"long word", items, Items, `{"numberOfRatings":"twelve"}`,
			`properties key 'numberOfRatings' must be a long (field NUMBER_OF_RATINGS), found "twelve"`},
		{"long fraction", items, Items, `{"numberOfRatings":12.5}`, "found 12.5"},
		{"long fraction string", items, Items, `{"numberOfRatings":"12.5"}`, `found "12.5"`},
		{"long padded string", items, Items, `{"numberOfRatings":" 12"}`, `found " 12"`},
		{"long plus sign", items, Items, `{"numberOfRatings":"+12"}`, `found "+12"`},
		{"long hex string", items, Items, `{"numberOfRatings":"0x10"}`, `found "0x10"`},
		{"long empty string", items, Items, `{"numberOfRatings":""}`, `found ""`},
		{"long boolean", items, Items, `{"numberOfRatings":true}`, "found true"},
		{"long null", items, Items, `{"numberOfRatings":null}`, "field NUMBER_OF_RATINGS is not nullable"},
		{"nullable long null", items, Items, `{"maybeCount":null}`, ""},
		{"int max", items, Items, `{"age":2147483647}`, ""},
		{"int min string", items, Items, `{"age":"-2147483648"}`, ""},
		{"int over max", items, Items, `{"age":2147483648}`,
			"properties key 'age' must be an int (field AGE), found 2147483648, out of range for an int"},
		{"int array", items, Items, `{"age":[1]}`, "properties key 'age' must be an int (field AGE), found an array"},

		// Floats.
		{"double number", items, Items, `{"price":9.99}`, ""},
		{"double string", items, Items, `{"price":"9.99"}`, ""},
		{"double integer", items, Items, `{"price":10}`, ""},
		{"double large", items, Items, `{"price":1e308}`, ""},
		{"double too large", items, Items, `{"price":1e309}`,
			"properties key 'price' must be a double (field PRICE), found 1e309, out of range for a double"},
		{"double NaN", items, Items, `{"price":"NaN"}`, `found "NaN"`},
		{"double Infinity", items, Items, `{"price":"Infinity"}`, `found "Infinity"`},
		{"double word", items, Items, `{"price":"cheap"}`, `found "cheap"`},
		{"float number", items, Items, `{"score":4.5}`, ""},
		{"float too large", items, Items, `{"score":1e39}`, "out of range for a float"},
		{"float object", items, Items, `{"score":{}}`, "properties key 'score' must be a float (field SCORE), found an object"},

		// Booleans.
		{"boolean true", items, Items, `{"inStock":true}`, ""},
		{"boolean string", items, Items, `{"inStock":"false"}`, ""},
		{"boolean capitalised", items, Items, `{"inStock":"True"}`,
			`properties key 'inStock' must be a boolean (field IN_STOCK), found "True"`},
		{"boolean number", items, Items, `{"inStock":1}`, "found 1"},

		{"unknown dataset type", items, "WIDGETS", `{}`, `unknown dataset type "WIDGETS"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.schema.CheckProperties(tt.properties, tt.typ)
			if tt.want == "" {
				if err != nil {
					t.Errorf("CheckProperties(%s): %v", tt.properties, err)
				}
				return
			}
			wantInvalid(t, err, tt.want)
		})
	}
}

func TestCheckPropertiesExactMessages(t *testing.T) {
	items := mustParse(t, itemsSchema)
	interactions := mustParse(t, interactionsSchema)
	tests := []struct {
		schema     *AvroSchema
		typ        DatasetType
		properties string
		want       string
	}{
		{items, Items, `"{\"numberOfRatings\":\"12\"}"`,
			"Error parsing properties json: the value is a JSON string, not an object (is it encoded twice?)"},
		{items, Items, `{"numberOfRatings":"twelve"}`,
			`properties key 'numberOfRatings' must be a long (field NUMBER_OF_RATINGS), found "twelve"`},
		{interactions, Interactions, `{"timestamp":1}`,
			"properties key 'timestamp' is reserved: send it as the record's own member, not inside properties"},
		{interactions, Interactions, `{"TimeStamp":1}`,
			"properties key 'TimeStamp' is reserved: send it as the record's own member, not inside properties"},
		{interactions, Interactions, `{"foo":"bar"}`,
			"properties key 'foo' does not match any field of the dataset's schema; valid keys are: device, eventValue, itemId"},
		{interactions, Interactions, `{"Device":"phone"}`,
			"properties key 'Device' does not match any field of the dataset's schema (did you mean 'device'? keys are the camelCase of field names); valid keys are: device, eventValue, itemId"},
	}
	for _, tt := range tests {
		err := tt.schema.CheckProperties(tt.properties, tt.typ)
		var e *Error
		if !errors.As(err, &e) || e.Code != EInvalidInput || e.Message != tt.want {
			t.Errorf("CheckProperties(%s) = %v,\nwant InvalidInputException: %s", tt.properties, err, tt.want)
		}
	}
}

// Every properties error whose JSON is broken starts with AWS's own text,
// which clients match on.
func TestCheckPropertiesParseErrorPrefix(t *testing.T) {
	items := mustParse(t, itemsSchema)
	for _, properties := range []string{`{`, `}`, `[`, `{"age":}`, `{"age":1,"age":2}`, `"{}"`, `{"genres":"a"}]`} {
		err := items.CheckProperties(properties, Items)
		var e *Error
		if !errors.As(err, &e) || !strings.HasPrefix(e.Message, "Error parsing properties json: ") {
			t.Errorf("CheckProperties(%s) = %v, want a message starting with %q",
				properties, err, "Error parsing properties json: ")
		}
	}
}

// FuzzCheckProperties holds the in-place reader to encoding/json: it takes
// an object's text as valid exactly when json.Valid does; whatever
// CheckProperties accepts is a JSON object whose keys name fields of the
// schema, whatever it refuses is refused as invalid input, and text that
// is not JSON is refused as such.
func FuzzCheckProperties(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"age":1}`, `{"genres":"a|b","title":"x\"}"}`, `"{}"`, `{"age":[1,{"a":"]"}]}`, ` { "inStock" : "true" } `,
		`{"genres":"a|b","numberOfRatings":12,"age":"7","price":1.5e3,"score":-0.5,"inStock":true,"maybeCount":null}`,
		`{"genres":"x","genres":"y"}`, `{"gen\u0072es":"x","genres":"y"}`, `{"numberOfRatings":"12.0"}`,
		`{"numberOfRatings":9223372036854775808}`, `{"age":2147483648}`, `{"score":1e39}`, `{"price":"NaN"}`,
		`{"device":"phone"}`, `{"userId":"u"}`, `{"USERID":"u"}`, `{"itemId":"i"}`, `{"title":{"a":[1,2]}}`,
		`[]`, `null`, `{`, `{"a":1}x`, "{\"title\":\"\xff\"}", `{"age":01}`, `{"age":-}`, `{"age":1.}`,
		`{"age":1e}`, `{"title":"\u12G4"}`, `{"title":"\x"}`, "{\"title\":\"a\tb\"}", `{"age":1,}`, `{,"age":1}`,
		`{"age":1 "title":"x"}`, `{"age":tru}`, `{"age":nulll}`, `{"title":[}`, `{"title":{]}`, `{"age" 1}`, ` `,
	} {
		f.Add(uint8(0), seed)
		f.Add(uint8(1), seed)
	}
	schemas := []*AvroSchema{mustParse(f, itemsSchema), mustParse(f, interactionsSchema)}
	types := []DatasetType{Items, Interactions}
	f.Fuzz(func(t *testing.T, which uint8, properties string) {
		valid := json.Valid([]byte(properties))
		r := objectReader{text: properties}
		if r.open() {
			for {
				if _, _, ok := r.next(); !ok {
					break
				}
			}
			if r.valid() != valid {
				t.Fatalf("the object reader takes %q as valid: %t; encoding/json: %t", properties, r.valid(), valid)
			}
		}
		schema, typ := schemas[int(which)%len(schemas)], types[int(which)%len(types)]
		err := schema.CheckProperties(properties, typ)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != EInvalidInput {
				t.Fatalf("refused %q with %v, not an InvalidInputException", properties, err)
			}
			if !valid && !strings.HasPrefix(e.Message, parseErrorText+": ") {
				t.Fatalf("refused %q, which is not JSON, with %q", properties, e.Message)
			}
			return
		}
		var object map[string]any
		if jerr := json.Unmarshal([]byte(properties), &object); jerr != nil || object == nil {
			t.Fatalf("accepted %q, which is not a JSON object: %v", properties, jerr)
		}
		for key := range object {
			if _, ok := schema.index().properties[typ].byKey[key]; !ok {
				t.Fatalf("accepted %q with unknown key %q", properties, key)
			}
		}
	})
}

func TestCheckPropertiesConcurrent(t *testing.T) {
	items := mustParse(t, itemsSchema)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { errs[i] = items.CheckProperties(`{"genres":"Horror","age":3}`, Items) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func BenchmarkCheckProperties(b *testing.B) {
	s := mustParse(b, itemsSchema)
	const properties = `{"genres":"Horror|Action|Comedy","title":"Up","numberOfRatings":"12","age":30,"price":9.99,"inStock":true}`
	if err := s.CheckProperties(properties, Items); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.CheckProperties(properties, Items); err != nil {
			b.Fatal(err)
		}
	}
}
