package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

const (
	datasetArn  = "arn:aws:personalize:us-east-1:123456789012:dataset/dg/INTERACTIONS"
	groupArn    = "arn:aws:personalize:us-east-1:123456789012:dataset-group/dg"
	schemaArn   = "arn:aws:personalize:us-east-1:123456789012:schema/s"
	campaignArn = "arn:aws:personalize:us-east-1:123456789012:campaign/c"
	filterArn   = "arn:aws:personalize:us-east-1:123456789012:filter/f"
)

// contextEntries returns n distinct entries of a runtime context map.
func contextEntries(n int) string {
	entries := make([]string, n)
	for i := range entries {
		entries[i] = fmt.Sprintf(`"K%d":"v"`, i)
	}
	return strings.Join(entries, ",")
}

// putEvents builds a PutEvents body around the given eventList JSON.
func putEvents(events ...string) string {
	return `{"trackingId":"tid","sessionId":"s1","eventList":[` + strings.Join(events, ",") + `]}`
}

const event = `{"eventType":"click","sentAt":1700000000}`

// repeatJSON returns n copies of item joined by commas.
func repeatJSON(item string, n int) string {
	return strings.TrimSuffix(strings.Repeat(item+",", n), ",")
}

// violations builds the expected message from its items.
func violations(items ...string) string {
	noun := "errors"
	if len(items) == 1 {
		noun = "error"
	}
	return fmt.Sprintf("%d validation %s detected: %s", len(items), noun, strings.Join(items, "; "))
}

func TestValidate(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name string
		svc  *Service
		op   string
		body string
		// want is the exact message of a Violations error, or "" for a
		// valid body. wantSerialization is the exact message of a
		// SerializationError.
		want              string
		wantSerialization string
	}{
		// Valid bodies.
		{name: "PutEvents minimal", svc: Events, op: "PutEvents", body: putEvents(event)},
		{
			name: "PutEvents everything", svc: Events, op: "PutEvents",
			body: `{"trackingId":"tid","userId":"u1","sessionId":"s1","eventList":[{"eventId":"e1","eventType":"click",` +
				`"eventValue":4.5,"itemId":"i1","properties":"{\"numberOfRatings\":\"12\"}","sentAt":1.7e9,` +
				`"recommendationId":"r1","impression":["i1","i2"],"metricAttribution":{"eventAttributionSource":"email"}}]}`,
		},
		{name: "non-finite float as Smithy sends it", svc: Events, op: "PutEvents", body: putEvents(`{"eventType":"x","sentAt":1,"eventValue":"-Infinity"}`)},
		{name: "fractional timestamp", svc: Events, op: "PutEvents", body: putEvents(`{"eventType":"x","sentAt":1700000000.123}`)},
		{name: "unknown members are ignored", svc: Personalize, op: "ListSchemas", body: `{"maxResults":5,"bogus":{"x":[1,{"y":null}]}}`},
		{name: "null counts as absent", svc: Personalize, op: "ListSchemas", body: `{"maxResults":null,"nextToken":null}`},
		{name: "empty body", svc: Personalize, op: "ListSchemas", body: ""},
		{name: "length counts code points", svc: Events, op: "PutEvents", body: `{"trackingId":"` + strings.Repeat("é", 256) + `","sessionId":"s","eventList":[` + event + `]}`},
		{name: "escaped member name", svc: Personalize, op: "ListSchemas", body: `{"max\u0052esults":5}`},
		{name: "list without a minimum may be empty", svc: Personalize, op: "CreateSolution", body: `{"name":"s","datasetGroupArn":"` + groupArn + `","solutionConfig":{"eventsConfig":{"eventParametersList":[]}}}`},
		{name: "CreateDatasetGroup with tags", svc: Personalize, op: "CreateDatasetGroup", body: `{"name":"dg-1","domain":"ECOMMERCE","tags":[{"tagKey":"team","tagValue":""}]}`},

		// Required members.
		{
			name: "missing required member", svc: Events, op: "PutEvents",
			body: `{"sessionId":"s1","eventList":[` + event + `]}`,
			want: violations("Value null at 'trackingId' failed to satisfy constraint: Member must not be null"),
		},
		{
			name: "null required member", svc: Events, op: "PutEvents",
			body: `{"trackingId":null,"sessionId":"s1","eventList":[` + event + `]}`,
			want: violations("Value null at 'trackingId' failed to satisfy constraint: Member must not be null"),
		},
		{
			name: "every required member missing, in model order", svc: Personalize, op: "CreateDataset",
			body: `{}`,
			want: violations(
				"Value null at 'name' failed to satisfy constraint: Member must not be null",
				"Value null at 'schemaArn' failed to satisfy constraint: Member must not be null",
				"Value null at 'datasetGroupArn' failed to satisfy constraint: Member must not be null",
				"Value null at 'datasetType' failed to satisfy constraint: Member must not be null",
			),
		},
		{
			name: "required members of list elements", svc: Events, op: "PutActionInteractions",
			body: `{"trackingId":"t","actionInteractions":[{"actionId":"a1"}]}`,
			want: violations(
				"Value null at 'actionInteractions.1.member.sessionId' failed to satisfy constraint: Member must not be null",
				"Value null at 'actionInteractions.1.member.timestamp' failed to satisfy constraint: Member must not be null",
				"Value null at 'actionInteractions.1.member.eventType' failed to satisfy constraint: Member must not be null",
			),
		},
		{
			name: "null list element", svc: Events, op: "PutItems",
			body: `{"datasetArn":"` + datasetArn + `","items":[{"itemId":"i1"},null]}`,
			want: violations("Value null at 'items.2.member' failed to satisfy constraint: Member must not be null"),
		},
		{
			name: "empty body has no required members", svc: Events, op: "PutItems",
			body: "  \n",
			want: violations(
				"Value null at 'datasetArn' failed to satisfy constraint: Member must not be null",
				"Value null at 'items' failed to satisfy constraint: Member must not be null",
			),
		},

		// String length.
		{
			name: "string too short", svc: Events, op: "PutUsers",
			body: `{"datasetArn":"` + datasetArn + `","users":[{"userId":""}]}`,
			want: violations("Value '' at 'users.1.member.userId' failed to satisfy constraint: Member must have length greater than or equal to 1"),
		},
		{
			name: "string too long", svc: Events, op: "PutActions",
			body: `{"datasetArn":"` + datasetArn + `","actions":[{"actionId":"` + long(257) + `"}]}`,
			want: violations("Value '" + long(257) + "' at 'actions.1.member.actionId' failed to satisfy constraint: Member must have length less than or equal to 256"),
		},
		{
			name: "string length in code points", svc: Events, op: "PutEvents",
			body: `{"trackingId":"` + strings.Repeat("é", 257) + `","sessionId":"s","eventList":[` + event + `]}`,
			want: violations("Value '" + strings.Repeat("é", 257) + "' at 'trackingId' failed to satisfy constraint: Member must have length less than or equal to 256"),
		},
		{
			name: "several members fail, joined with semicolons", svc: Events, op: "PutEvents",
			body: `{"trackingId":"","eventList":[` + event + `]}`,
			want: violations(
				"Value '' at 'trackingId' failed to satisfy constraint: Member must have length greater than or equal to 1",
				"Value null at 'sessionId' failed to satisfy constraint: Member must not be null",
			),
		},

		// List size.
		{
			name: "list too short, sensitive elements", svc: Events, op: "PutEvents",
			body: putEvents(),
			want: violations("Value at 'eventList' failed to satisfy constraint: Member must have length greater than or equal to 1"),
		},
		{
			name: "list too long", svc: Events, op: "PutEvents",
			body: putEvents(repeatJSON(event, 11)),
			want: violations("Value at 'eventList' failed to satisfy constraint: Member must have length less than or equal to 10"),
		},
		{
			name: "list of plain values too long", svc: Personalize, op: "CreateSolution",
			body: `{"name":"s","datasetGroupArn":"` + groupArn + `","solutionConfig":{"trainingDataConfig":{"excludedDatasetColumns":{"ITEMS":[` +
				repeatJSON(`"c"`, 51) + `]}}}}`,
			want: violations("Value '{ITEMS=[" + strings.TrimSuffix(strings.Repeat("c, ", 51), ", ") + "]}' at 'solutionConfig.trainingDataConfig.excludedDatasetColumns' " +
				"failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 50]"),
		},
		{
			name: "nested list path", svc: Events, op: "PutEvents",
			body: putEvents(event, `{"eventType":"view","sentAt":1,"impression":["i1",""]}`),
			want: violations("Value at 'eventList.2.member.impression.2.member' failed to satisfy constraint: Member must have length greater than or equal to 1"),
		},
		{
			name: "too many tags", svc: Personalize, op: "CreateDatasetGroup",
			body: `{"name":"dg","tags":[` + repeatJSON(`{"tagKey":"k","tagValue":"v"}`, 201) + `]}`,
			want: violations("Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 200"),
		},

		// Integer range.
		{
			name: "integer too small", svc: Personalize, op: "ListSchemas",
			body: `{"maxResults":0}`,
			want: violations("Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"),
		},
		{
			name: "integer too large", svc: Personalize, op: "ListSchemas",
			body: `{"maxResults":101}`,
			want: violations("Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100"),
		},
		{
			name: "smallest 32-bit integer", svc: Personalize, op: "ListSchemas",
			body: `{"maxResults":-2147483648}`,
			want: violations("Value '-2147483648' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"),
		},

		// Double range, printed as Java prints doubles.
		{
			name: "double too large", svc: Personalize, op: "CreateSolution",
			body: `{"name":"s","datasetGroupArn":"` + groupArn + `","solutionConfig":{"eventsConfig":{"eventParametersList":[{"weight":2}]}}}`,
			want: violations("Value '2.0' at 'solutionConfig.eventsConfig.eventParametersList.1.member.weight' failed to satisfy constraint: Member must have value less than or equal to 1.0"),
		},
		{
			name: "double too small", svc: Personalize, op: "CreateSolution",
			body: `{"name":"s","datasetGroupArn":"` + groupArn + `","solutionConfig":{"eventsConfig":{"eventParametersList":[{"weight":-1.5e-7}]}}}`,
			want: violations("Value '-1.5E-7' at 'solutionConfig.eventsConfig.eventParametersList.1.member.weight' failed to satisfy constraint: Member must have value greater than or equal to 0.0"),
		},

		// Patterns.
		{
			name: "pattern", svc: Personalize, op: "CreateDataset",
			body: `{"name":"ds","schemaArn":"` + schemaArn + `","datasetGroupArn":"` + groupArn + `","datasetType":"Interactions-2"}`,
			want: violations(`Value 'Interactions-2' at 'datasetType' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[A-Za-z_]+$`),
		},
		{
			name: "pattern matches the whole value", svc: Events, op: "PutItems",
			body: `{"datasetArn":"x` + datasetArn + `","items":[{"itemId":"i"}]}`,
			want: violations(`Value 'x` + datasetArn + `' at 'datasetArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:([a-z\d-]+):personalize:.*:.*:.+`),
		},
		{
			name: "dot does not match a line terminator", svc: Events, op: "PutItems",
			body: `{"datasetArn":"arn:aws:personalize:a:b:c\nd","items":[{"itemId":"i"}]}`,
			want: violations("Value 'arn:aws:personalize:a:b:c\nd' at 'datasetArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:([a-z\\d-]+):personalize:.*:.*:.+"),
		},
		{
			name: "nextToken pattern", svc: Personalize, op: "ListSchemas",
			body: `{"nextToken":"tök"}`,
			want: violations(`Value 'tök' at 'nextToken' failed to satisfy constraint: Member must satisfy regular expression pattern: \p{ASCII}{0,1500}`),
		},
		{
			name: "every failed constraint of one member", svc: Personalize, op: "ListSchemas",
			body: `{"nextToken":"` + long(1501) + `"}`,
			want: violations(
				"Value '"+long(1501)+"' at 'nextToken' failed to satisfy constraint: Member must have length less than or equal to 1500",
				"Value '"+long(1501)+`' at 'nextToken' failed to satisfy constraint: Member must satisfy regular expression pattern: \p{ASCII}{0,1500}`,
			),
		},
		{
			name: "length and pattern", svc: Personalize, op: "CreateSchema",
			body: `{"name":"` + strings.Repeat("-", 64) + `","schema":"{}"}`,
			want: violations(
				"Value '"+strings.Repeat("-", 64)+"' at 'name' failed to satisfy constraint: Member must have length less than or equal to 63",
				"Value '"+strings.Repeat("-", 64)+`' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9][a-zA-Z0-9\-_]*`,
			),
		},

		// Enums.
		{
			name: "enum", svc: Personalize, op: "CreateSchema",
			body: `{"name":"s","schema":"{}","domain":"RETAIL"}`,
			want: violations("Value 'RETAIL' at 'domain' failed to satisfy constraint: Member must satisfy enum value set: [ECOMMERCE, VIDEO_ON_DEMAND]"),
		},

		// Sensitive values are left out.
		{
			name: "sensitive member", svc: Events, op: "PutEvents",
			body: `{"trackingId":"t","userId":"","sessionId":"s","eventList":[` + event + `]}`,
			want: violations("Value at 'userId' failed to satisfy constraint: Member must have length greater than or equal to 1"),
		},
		{
			name: "inside a sensitive structure", svc: Events, op: "PutEvents",
			body: putEvents(`{"eventType":"` + long(257) + `","sentAt":1,"metricAttribution":{"eventAttributionSource":" "}}`),
			want: violations(
				"Value at 'eventList.1.member.eventType' failed to satisfy constraint: Member must have length less than or equal to 256",
				`Value at 'eventList.1.member.metricAttribution.eventAttributionSource' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[\x20-\x7E]*[\x21-\x7E]+[\x20-\x7E]*$`,
			),
		},
		{
			name: "sensitive tag key", svc: Personalize, op: "CreateDatasetGroup",
			body: `{"name":"dg","tags":[{"tagKey":"a#b"}]}`,
			want: violations(
				`Value at 'tags.1.member.tagKey' failed to satisfy constraint: Member must satisfy regular expression pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`,
				"Value null at 'tags.1.member.tagValue' failed to satisfy constraint: Member must not be null",
			),
		},

		// Maps.
		{
			name: "map keys", svc: Personalize, op: "CreateSolution",
			body: `{"name":"s","datasetGroupArn":"` + groupArn + `","solutionConfig":{"trainingDataConfig":{"includedDatasetColumns":{"ITEMS":["a"],"user s":["b"]}}}}`,
			want: violations("Value '{ITEMS=[a], user s=[b]}' at 'solutionConfig.trainingDataConfig.includedDatasetColumns' failed to satisfy constraint: " +
				"Map keys must satisfy constraint: [Member must have length less than or equal to 256, Member must satisfy regular expression pattern: ^[A-Za-z_]+$]"),
		},
		{
			name: "inside map values", svc: Personalize, op: "CreateSolution",
			body: `{"name":"s","datasetGroupArn":"` + groupArn + `","solutionConfig":{"trainingDataConfig":{"includedDatasetColumns":{"ITEMS":["ok","9lives"]}}}}`,
			want: violations("Value '9lives' at 'solutionConfig.trainingDataConfig.includedDatasetColumns.ITEMS.member.2.member' failed to satisfy constraint: " +
				`Member must satisfy regular expression pattern: [A-Za-z_][A-Za-z\d_]*`),
		},
		{
			name: "map values", svc: Personalize, op: "CreateSolution",
			body: `{"name":"s","datasetGroupArn":"` + groupArn + `","solutionConfig":{"algorithmHyperParameters":{"a":"1","b":"` + long(1001) + `"}}}`,
			want: violations("Value '{a=1, b=" + long(1001) + "}' at 'solutionConfig.algorithmHyperParameters' failed to satisfy constraint: " +
				"Map value must satisfy constraint: [Member must have length less than or equal to 1000]"),
		},

		// The runtime API.
		{name: "GetRecommendations minimal", svc: Runtime, op: "GetRecommendations", body: `{"campaignArn":"` + campaignArn + `","userId":"u1"}`},
		{
			name: "GetRecommendations everything", svc: Runtime, op: "GetRecommendations",
			body: `{"campaignArn":"` + campaignArn + `","itemId":"i1","userId":"u1","numResults":0,"context":{"DEVICE":"phone"},` +
				`"filterArn":"` + filterArn + `","filterValues":{"GENRE":"\"drama\""},"recommenderArn":"` + campaignArn + `",` +
				`"promotions":[{"name":"promo-1","percentPromotedItems":100,"filterArn":"` + filterArn + `","filterValues":{"X":"1"}}],` +
				`"metadataColumns":{"ITEMS":["GENRE","PRICE"]}}`,
		},
		{name: "GetRecommendations has no required member", svc: Runtime, op: "GetRecommendations", body: `{}`},
		{
			name: "GetPersonalizedRanking required members, in model order", svc: Runtime, op: "GetPersonalizedRanking",
			body: `{"context":{"DEVICE":"phone"}}`,
			want: violations(
				"Value null at 'campaignArn' failed to satisfy constraint: Member must not be null",
				"Value null at 'inputList' failed to satisfy constraint: Member must not be null",
				"Value null at 'userId' failed to satisfy constraint: Member must not be null",
			),
		},
		{
			name: "numResults below zero", svc: Runtime, op: "GetRecommendations",
			body: `{"campaignArn":"` + campaignArn + `","userId":"u1","numResults":-1}`,
			want: violations("Value '-1' at 'numResults' failed to satisfy constraint: Member must have value greater than or equal to 0"),
		},
		{
			name: "runtime ARN pattern and length", svc: Runtime, op: "GetRecommendations",
			body: `{"campaignArn":"campaign/c","filterArn":"arn:aws:personalize:us-east-1:1:filter/` + long(256) + `"}`,
			want: violations(
				`Value 'campaign/c' at 'campaignArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:([a-z\d-]+):personalize:.*:.*:.+`,
				"Value 'arn:aws:personalize:us-east-1:1:filter/"+long(256)+"' at 'filterArn' failed to satisfy constraint: Member must have length less than or equal to 256",
			),
		},
		{
			name: "runtime ids are not sensitive", svc: Runtime, op: "GetPersonalizedRanking",
			body: `{"campaignArn":"` + campaignArn + `","userId":"` + long(257) + `","inputList":["i1","` + long(257) + `"]}`,
			want: violations(
				"Value '"+long(257)+"' at 'inputList.2.member' failed to satisfy constraint: Member must have length less than or equal to 256",
				"Value '"+long(257)+"' at 'userId' failed to satisfy constraint: Member must have length less than or equal to 256",
			),
		},
		{
			name: "too many promotions, withheld", svc: Runtime, op: "GetRecommendations",
			body: `{"campaignArn":"` + campaignArn + `","userId":"u1","promotions":[{"name":"a"},{"name":"b"}]}`,
			want: violations("Value at 'promotions' failed to satisfy constraint: Member must have length less than or equal to 1"),
		},
		{
			name: "promotion members", svc: Runtime, op: "GetRecommendations",
			body: `{"campaignArn":"` + campaignArn + `","userId":"u1","promotions":[{"name":"-promo","percentPromotedItems":0,"filterArn":"x"}]}`,
			want: violations(
				`Value '-promo' at 'promotions.1.member.name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9][a-zA-Z0-9\-_]*`,
				"Value '0' at 'promotions.1.member.percentPromotedItems' failed to satisfy constraint: Member must have value greater than or equal to 1",
				`Value 'x' at 'promotions.1.member.filterArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:([a-z\d-]+):personalize:.*:.*:.+`,
			),
		},
		{
			name: "percentPromotedItems above 100", svc: Runtime, op: "GetRecommendations",
			body: `{"campaignArn":"` + campaignArn + `","userId":"u1","promotions":[{"name":"p","percentPromotedItems":101}]}`,
			want: violations("Value '101' at 'promotions.1.member.percentPromotedItems' failed to satisfy constraint: Member must have value less than or equal to 100"),
		},
		{
			name: "context keys, values withheld", svc: Runtime, op: "GetRecommendations",
			body: `{"campaignArn":"` + campaignArn + `","userId":"u1","context":{"DEVICE":"phone","time of day":"noon"}}`,
			want: violations(`Value at 'context' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 150, Member must satisfy regular expression pattern: [A-Za-z\d_]+]`),
		},
		{
			name: "context size", svc: Runtime, op: "GetPersonalizedRanking",
			body: `{"campaignArn":"` + campaignArn + `","userId":"u1","inputList":["i1"],"context":{` + contextEntries(151) + `}}`,
			want: violations("Value at 'context' failed to satisfy constraint: Member must have length less than or equal to 150"),
		},
		{
			name: "filter values", svc: Runtime, op: "GetRecommendations",
			body: `{"campaignArn":"` + campaignArn + `","userId":"u1","filterValues":{"GENRE":"` + long(1001) + `","` + long(51) + `":"x"}}`,
			want: violations(
				"Value at 'filterValues' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 50, Member must satisfy regular expression pattern: [A-Za-z0-9_]+]",
				"Value at 'filterValues' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 1000]",
			),
		},
		{
			name: "metadataColumns size", svc: Runtime, op: "GetRecommendations",
			body: `{"campaignArn":"` + campaignArn + `","userId":"u1","metadataColumns":{"ITEMS":["a"],"USERS":["b"]}}`,
			want: violations("Value '{ITEMS=[a], USERS=[b]}' at 'metadataColumns' failed to satisfy constraint: Member must have length less than or equal to 1"),
		},
		{
			name: "metadataColumns columns", svc: Runtime, op: "GetPersonalizedRanking",
			body: `{"campaignArn":"` + campaignArn + `","userId":"u1","inputList":[],"metadataColumns":{"ITEMS":[` + repeatJSON(`"c"`, 99) + `,"` + long(151) + `"]}}`,
			want: violations(
				"Value '{ITEMS=["+strings.Repeat("c, ", 99)+long(151)+"]}' at 'metadataColumns' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 99]",
				"Value '"+long(151)+"' at 'metadataColumns.ITEMS.member.100.member' failed to satisfy constraint: Member must have length less than or equal to 150",
			),
		},
		{
			name: "numResults as a string", svc: Runtime, op: "GetRecommendations", body: `{"numResults":"25"}`,
			wantSerialization: "Unexpected JSON string at 'numResults', expected an integer",
		},
		{
			name: "inputList as a string", svc: Runtime, op: "GetPersonalizedRanking", body: `{"campaignArn":"` + campaignArn + `","userId":"u","inputList":"i1"}`,
			wantSerialization: "Unexpected JSON string at 'inputList', expected an array",
		},
		{
			name: "numResults wider than 32 bits", svc: Runtime, op: "GetRecommendations", body: `{"numResults":4294967296}`,
			wantSerialization: "Number at 'numResults' is not a 32-bit integer",
		},

		// Serialization errors.
		{
			name: "not JSON", svc: Events, op: "PutEvents", body: `{"trackingId":`,
			wantSerialization: "Malformed JSON at byte offset 14: unexpected end of input",
		},
		{
			name: "trailing garbage", svc: Events, op: "PutEvents", body: `{} x`,
			wantSerialization: "Malformed JSON at byte offset 3: unexpected data after the top-level value",
		},
		{
			name: "top level not an object", svc: Events, op: "PutEvents", body: `[1]`,
			wantSerialization: "Unexpected JSON array as the request body, expected an object",
		},
		{
			name: "duplicate key", svc: Events, op: "PutEvents", body: `{"trackingId":"a","trackingId":"b"}`,
			wantSerialization: `Duplicate key "trackingId" in a JSON object ending at byte offset 35`,
		},
		{
			name: "duplicate key spelt with an escape", svc: Personalize, op: "ListSchemas", body: `{"nextToken":"a","next\u0054oken":"b"}`,
			wantSerialization: `Duplicate key "nextToken" in a JSON object ending at byte offset 38`,
		},
		{
			name: "duplicate key in an ignored member", svc: Personalize, op: "ListSchemas", body: `{"x":{"a":1,"a":2}}`,
			wantSerialization: `Duplicate key "a" in a JSON object ending at byte offset 18`,
		},
		{
			name: "invalid UTF-8", svc: Events, op: "PutEvents", body: "{\"trackingId\":\"\xff\"}",
			wantSerialization: "Invalid UTF-8 in the request body at byte offset 15",
		},
		{
			name: "nesting too deep", svc: Personalize, op: "ListSchemas",
			body:              `{"x":` + strings.Repeat("[", 64) + strings.Repeat("]", 64) + `}`,
			wantSerialization: "Malformed JSON at byte offset 68: nesting deeper than 64 levels",
		},
		{
			name: "string for a list", svc: Events, op: "PutEvents", body: `{"trackingId":"t","sessionId":"s","eventList":"e"}`,
			wantSerialization: "Unexpected JSON string at 'eventList', expected an array",
		},
		{
			name: "string for a structure", svc: Events, op: "PutEvents", body: putEvents(`"e"`),
			wantSerialization: "Unexpected JSON string at 'eventList.1.member', expected an object",
		},
		{
			name: "timestamp string in no accepted form", svc: Events, op: "PutEvents", body: putEvents(`{"eventType":"x","sentAt":"2024-01-01"}`),
			wantSerialization: "Unexpected JSON string at 'eventList.1.member.sentAt', expected " + timestampForms,
		},
		{
			name: "timestamp string of a second event", svc: Events, op: "PutActionInteractions",
			body:              `{"trackingId":"t","actionInteractions":[{"actionId":"a","sessionId":"s","eventType":"Taken","timestamp":"1700000000"},{"actionId":"a","sessionId":"s","eventType":"Taken","timestamp":"1.7e9"}]}`,
			wantSerialization: "Unexpected JSON string at 'actionInteractions.2.member.timestamp', expected " + timestampForms,
		},
		{
			name: "string for a float", svc: Events, op: "PutEvents", body: putEvents(`{"eventType":"x","sentAt":1,"eventValue":"4.5"}`),
			wantSerialization: "Unexpected JSON string at 'eventList.1.member.eventValue', expected a number",
		},
		{
			name: "object for a jsonvalue string", svc: Events, op: "PutItems", body: `{"datasetArn":"` + datasetArn + `","items":[{"itemId":"i","properties":{"a":1}}]}`,
			wantSerialization: "Unexpected JSON object at 'items.1.member.properties', expected a string",
		},
		{
			name: "string for an integer", svc: Personalize, op: "ListSchemas", body: `{"maxResults":"10"}`,
			wantSerialization: "Unexpected JSON string at 'maxResults', expected an integer",
		},
		{
			name: "fraction for an integer", svc: Personalize, op: "ListSchemas", body: `{"maxResults":1.5}`,
			wantSerialization: "Number at 'maxResults' is not a 32-bit integer",
		},
		{
			name: "integer out of range", svc: Personalize, op: "ListSchemas", body: `{"maxResults":2147483648}`,
			wantSerialization: "Number at 'maxResults' is not a 32-bit integer",
		},
		{
			name: "number for a boolean", svc: Personalize, op: "CreateSolution", body: `{"name":"s","datasetGroupArn":"` + groupArn + `","performAutoML":1}`,
			wantSerialization: "Unexpected JSON number at 'performAutoML', expected a boolean",
		},
		{
			name: "a type error outranks violations", svc: Events, op: "PutEvents", body: `{"trackingId":"","sessionId":"s","eventList":[{"sentAt":true}]}`,
			wantSerialization: "Unexpected JSON boolean at 'eventList.1.member.sentAt', expected " + timestampForms,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := tt.svc.Operation(tt.op)
			if op == nil {
				t.Fatalf("no operation %s", tt.op)
			}
			err := op.Validate([]byte(tt.body))
			switch {
			case tt.wantSerialization != "":
				var se *SerializationError
				if !errors.As(err, &se) {
					t.Fatalf("got %T %v, want a SerializationError", err, err)
				}
				if se.Message != tt.wantSerialization {
					t.Errorf("got  %q\nwant %q", se.Message, tt.wantSerialization)
				}
			case tt.want != "":
				var vs Violations
				if !errors.As(err, &vs) {
					t.Fatalf("got %T %v, want Violations", err, err)
				}
				if got := vs.Error(); got != tt.want {
					t.Errorf("got  %q\nwant %q", got, tt.want)
				}
			case err != nil:
				t.Errorf("got %v, want nil", err)
			}
		})
	}
}

func TestViolationFields(t *testing.T) {
	body := `{"trackingId":"","userId":"","eventList":[` + event + `]}`
	err := Events.Operation("PutEvents").Validate([]byte(body))
	var vs Violations
	if !errors.As(err, &vs) {
		t.Fatalf("got %v, want Violations", err)
	}
	want := Violations{
		{Path: "trackingId", Value: "", Constraint: "Member must have length greater than or equal to 1"},
		{Path: "userId", Redacted: true, Constraint: "Member must have length greater than or equal to 1"},
		{Path: "sessionId", Null: true, Constraint: "Member must not be null"},
	}
	if fmt.Sprint(vs) != fmt.Sprint(want) {
		t.Errorf("got  %+v\nwant %+v", vs, want)
	}
}

func TestMessageNamesAtMostAHundredViolations(t *testing.T) {
	// Each tag lacks both members: 2 violations per tag, plus the list size.
	body := `{"name":"dg","tags":[` + repeatJSON(`{}`, 201) + `]}`
	err := Personalize.Operation("CreateDatasetGroup").Validate([]byte(body))
	var vs Violations
	if !errors.As(err, &vs) {
		t.Fatalf("got %v, want Violations", err)
	}
	if len(vs) != 403 {
		t.Errorf("got %d violations, want 403", len(vs))
	}
	msg := vs.Error()
	if !strings.HasPrefix(msg, "403 validation errors detected: Value at 'tags' failed") {
		t.Errorf("message starts %.80q", msg)
	}
	if items := strings.Count(msg, "failed to satisfy constraint"); items != 100 {
		t.Errorf("message names %d violations, want 100", items)
	}
	if !strings.HasSuffix(msg, "Value null at 'tags.50.member.tagKey' failed to satisfy constraint: Member must not be null") {
		t.Errorf("message ends %q", msg[len(msg)-100:])
	}
}

func TestJavaDouble(t *testing.T) {
	for _, tt := range []struct {
		f    float64
		want string
	}{
		{1, "1.0"}, {0.5, "0.5"}, {-2.25, "-2.25"}, {0, "0.0"}, {1e7, "1.0E7"}, {1.5e-4, "1.5E-4"},
		{0.001, "0.001"}, {9999999, "9999999.0"}, {123456789.5, "1.234567895E8"},
	} {
		if got := javaDouble(tt.f, 64); got != tt.want {
			t.Errorf("javaDouble(%v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}

// modelFile is what the tests read of a trimmed model.
type modelFile struct {
	Metadata struct {
		Protocol string `json:"protocol"`
	} `json:"metadata"`
	Operations map[string]struct {
		HTTP struct {
			Method     string `json:"method"`
			RequestURI string `json:"requestUri"`
		} `json:"http"`
		Input  struct{ Shape string } `json:"input"`
		Errors []struct{ Shape string }
	} `json:"operations"`
	Shapes map[string]struct {
		Exception bool `json:"exception"`
		Error     *struct {
			HTTPStatusCode int `json:"httpStatusCode"`
		} `json:"error"`
	} `json:"shapes"`
}

func TestTablesMatchModels(t *testing.T) {
	for file, svc := range map[string]*Service{"personalize.json": Personalize, "personalize-events.json": Events, "personalize-runtime.json": Runtime} {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var m modelFile
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			if len(svc.Operations()) != len(m.Operations) {
				t.Errorf("%d operations in the table, %d in the model", len(svc.Operations()), len(m.Operations))
			}
			for name, mop := range m.Operations {
				op := svc.Operation(name)
				if op == nil {
					t.Errorf("operation %s is missing", name)
					continue
				}
				if op.Name != name || op.Method != mop.HTTP.Method || op.Path != mop.HTTP.RequestURI || op.input.name != mop.Input.Shape {
					t.Errorf("operation %s: got %s %s %s input %s", name, op.Name, op.Method, op.Path, op.input.name)
				}
				var errs []string
				for _, e := range mop.Errors {
					errs = append(errs, e.Shape)
				}
				if fmt.Sprint(op.errors) != fmt.Sprint(errs) {
					t.Errorf("operation %s errors: got %v, want %v", name, op.errors, errs)
				}
				if got := svc.OperationFor(op.Method, op.Path); m.Metadata.Protocol == "rest-json" && got != op {
					t.Errorf("OperationFor(%s, %s) = %v, want %s", op.Method, op.Path, got, name)
				}
			}
			for name, s := range m.Shapes {
				if !s.Exception {
					continue
				}
				want := 400
				if s.Error != nil && s.Error.HTTPStatusCode != 0 {
					want = s.Error.HTTPStatusCode
				}
				if got := svc.ErrorStatus(name); got != want {
					t.Errorf("ErrorStatus(%s) = %d, want %d", name, got, want)
				}
			}
		})
	}
}

func TestLookups(t *testing.T) {
	for _, tt := range []struct {
		svc  *Service
		code string
		want int
	}{
		{Events, "InvalidInputException", 400},
		{Events, "ResourceNotFoundException", 404},
		{Events, "ResourceInUseException", 409},
		{Events, "LimitExceededException", 0},
		{Personalize, "ResourceNotFoundException", 400},
		{Personalize, "InvalidNextTokenException", 400},
		{Personalize, "ThrottlingException", 0},
		{Runtime, "InvalidInputException", 400},
		{Runtime, "ResourceNotFoundException", 404},
		{Runtime, "ResourceInUseException", 0},
	} {
		if got := tt.svc.ErrorStatus(tt.code); got != tt.want {
			t.Errorf("ErrorStatus(%s) = %d, want %d", tt.code, got, tt.want)
		}
	}
	for _, tt := range []struct {
		method, path, want string
	}{
		{"POST", "/events", "PutEvents"},
		{"POST", "/items", "PutItems"},
		{"POST", "/users", "PutUsers"},
		{"POST", "/actions", "PutActions"},
		{"POST", "/action-interactions", "PutActionInteractions"},
		{"GET", "/events", ""},
		{"POST", "/events/", ""},
		{"POST", "/", ""},
	} {
		got := ""
		if op := Events.OperationFor(tt.method, tt.path); op != nil {
			got = op.Name
		}
		if got != tt.want {
			t.Errorf("Events.OperationFor(%s, %s) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
	for _, tt := range []struct {
		method, path, want string
	}{
		{"POST", "/recommendations", "GetRecommendations"},
		{"POST", "/personalize-ranking", "GetPersonalizedRanking"},
		{"POST", "/action-recommendations", "GetActionRecommendations"},
		{"GET", "/recommendations", ""},
		{"POST", "/events", ""},
	} {
		got := ""
		if op := Runtime.OperationFor(tt.method, tt.path); op != nil {
			got = op.Name
		}
		if got != tt.want {
			t.Errorf("Runtime.OperationFor(%s, %s) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
	if op := Events.OperationFor("POST", "/recommendations"); op != nil {
		t.Errorf("the events API has no /recommendations, got %s", op.Name)
	}
	if op := Personalize.OperationFor("POST", "/"); op != nil {
		t.Errorf("the control plane routes by target, yet OperationFor found %s", op.Name)
	}
	if op := Personalize.Operation("CreateSchema"); op == nil || op.Name != "CreateSchema" || op.Method != "POST" || op.Path != "/" {
		t.Errorf("Operation(CreateSchema) = %+v", op)
	}
	if op := Personalize.Operation("PutEvents"); op != nil {
		t.Errorf("the control plane has no PutEvents, got %+v", op)
	}
}

// BenchmarkValidatePutEvents validates a full PutEvents batch such as an
// SDK sends.
func BenchmarkValidatePutEvents(b *testing.B) {
	events := make([]string, 10)
	for i := range events {
		events[i] = fmt.Sprintf(`{"eventId":"evt-%04d","eventType":"purchase","eventValue":%d.99,"itemId":"item-%06d",`+
			`"properties":"{\"discount\":\"yes\",\"numberOfRatings\":\"%d\"}","sentAt":1700000%03d.25,`+
			`"recommendationId":"rec-5e9f1c2a","impression":["item-000001","item-000002","item-000003","item-000004","item-000005"],`+
			`"metricAttribution":{"eventAttributionSource":"email campaign"}}`, i, i, 1000+i, 10*i, i)
	}
	body := []byte(`{"trackingId":"a9b0c1d2-e3f4-5a6b-7c8d-9e0f1a2b3c4d","userId":"user-000042","sessionId":"session-7f3e",` +
		`"eventList":[` + strings.Join(events, ",") + `]}`)
	op := Events.Operation("PutEvents")
	if err := op.Validate(body); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := op.Validate(body); err != nil {
			b.Fatal(err)
		}
	}
}

func TestIntegerWidths(t *testing.T) {
	v := &validator{}
	for _, tt := range []struct {
		kind kind
		text string
		want int64
		ok   bool
	}{
		{kindInteger, "2147483647", 2147483647, true},
		{kindInteger, "-2147483648", -2147483648, true},
		{kindInteger, "2147483648", 0, false},
		{kindInteger, "-0", 0, true},
		{kindLong, "9223372036854775807", 9223372036854775807, true},
		{kindLong, "-9223372036854775808", -9223372036854775808, true},
		{kindLong, "9223372036854775808", 0, false},
		{kindLong, "99999999999999999999", 0, false},
		{kindLong, "1e3", 0, false},
	} {
		if err := v.parse([]byte(tt.text)); err != nil {
			t.Fatal(err)
		}
		got, ok := v.integer(&shape{kind: tt.kind}, 0)
		if got != tt.want || ok != tt.ok {
			t.Errorf("integer(%s) = %d, %t; want %d, %t", tt.text, got, ok, tt.want, tt.ok)
		}
	}
}
