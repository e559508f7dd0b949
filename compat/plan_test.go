package compat_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// A plan is what one client is asked to do: a list of steps, each an API
// call with its input in the API's own member names. Each client's driver
// turns a step into that client's idiom (flags for the CLI, keyword
// arguments for boto3, Date objects for JavaScript, ...), runs it, and
// reports one result per step.
type plan struct {
	Endpoint string            `json:"endpoint"`
	Region   string            `json:"region"`
	Vars     map[string]string `json:"vars"`
	Steps    []*step           `json:"steps"`
}

// A step is one call. Inputs may hold "${name}" strings, replaced by the
// driver with a value saved from an earlier step's output.
type step struct {
	ID   string `json:"id"`
	API  string `json:"api"` // personalize or personalize-events
	Op   string `json:"op"`
	Case string `json:"case"` // happy or error
	// Variant names an input syntax a client offers several of (the CLI's
	// JSON, shorthand and skeleton forms; the JavaScript v2 seed examples
	// with callbacks or promises). Drivers without variants ignore it.
	Variant string            `json:"variant,omitempty"`
	Input   map[string]any    `json:"input"`
	Save    map[string]string `json:"save,omitempty"` // variable -> output path
	// Poll, when set, makes the driver repeat the call until the output
	// says the resource is done, as a caller polls Describe calls.
	Poll *poll `json:"poll,omitempty"`

	// marker is a JSON string value found in this step's request body and
	// in no other request of the same operation, so the proxy can count
	// the attempts. A marker ending in "/" matches the strings it begins,
	// for ARNs perch makes up (a solution version's is its solution's and
	// an id).
	marker string
	// only, when set, lists the clients that run this step.
	only []string
	// except lists clients that do not run this step, and why.
	except map[string]string
	want   *wantError
	// checkOutput checks a happy step's output (keys matched without case).
	checkOutput func(out map[string]any) error
	// report, when set, is the table row of the step instead of its Op.
	report string
}

// row is the table row a step's outcome goes to.
func (s *step) row() string {
	if s.report != "" {
		return s.report
	}
	return s.Op
}

// A poll repeats a step's call every Interval seconds until the output
// member at Path (dotted, API member names) holds one of Until, for at
// most Timeout seconds; the step's output is the last call's.
type poll struct {
	Path     string   `json:"path"`
	Until    []string `json:"until"`
	Interval float64  `json:"interval"`
	Timeout  float64  `json:"timeout"`
}

type wantError struct {
	code    string
	status  int
	message []string // substrings the message must contain
}

const (
	apiControl = "personalize"
	apiEvents  = "personalize-events"
	apiRuntime = "personalize-runtime"

	// perch's region and account in the suite; clients sign for others.
	perchRegion  = "eu-west-1"
	perchAccount = "123456789012"
)

func arn(resource string) string {
	return "arn:aws:personalize:" + perchRegion + ":" + perchAccount + ":" + resource
}

// Dataset schemas in the form AWS's documentation shows.
var schemas = []struct{ suffix, datasetType, avro string }{
	{"interactions", "Interactions", `{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[` +
		`{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"},` +
		`{"name":"EVENT_TYPE","type":"string"},{"name":"EVENT_VALUE","type":["null","float"]},` +
		`{"name":"IMPRESSION","type":["null","string"]},{"name":"RECOMMENDATION_ID","type":["null","string"]},` +
		`{"name":"EVENT_ATTRIBUTION_SOURCE","type":["null","string"]},` +
		`{"name":"DEVICE","type":["null","string"],"categorical":true},{"name":"NUMBER_OF_RATINGS","type":["null","int"]}],"version":"1.0"}`},
	{"items", "Items", `{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[` +
		`{"name":"ITEM_ID","type":"string"},{"name":"GENRES","type":["null","string"],"categorical":true},` +
		`{"name":"PRICE","type":["null","float"]},{"name":"CREATION_TIMESTAMP","type":["null","long"]}],"version":"1.0"}`},
	{"users", "Users", `{"type":"record","name":"Users","namespace":"com.amazonaws.personalize.schema","fields":[` +
		`{"name":"USER_ID","type":"string"},{"name":"AGE","type":["null","int"]},` +
		`{"name":"GENDER","type":["null","string"],"categorical":true}],"version":"1.0"}`},
	{"actions", "Actions", `{"type":"record","name":"Actions","namespace":"com.amazonaws.personalize.schema","fields":[` +
		`{"name":"ACTION_ID","type":"string"},{"name":"VALUE","type":["null","long"]},` +
		`{"name":"MEMBERSHIP_LEVEL","type":["null","string"],"categorical":true}],"version":"1.0"}`},
	{"action-interactions", "Action_Interactions", `{"type":"record","name":"ActionInteractions","namespace":"com.amazonaws.personalize.schema","fields":[` +
		`{"name":"USER_ID","type":"string"},{"name":"ACTION_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},` +
		`{"name":"TIMESTAMP","type":"long"},{"name":"CHANNEL","type":["null","string"],"categorical":true}],"version":"1.0"}`},
}

// names are the resources of one client's flow.
type names struct{ p string }

func (n names) group() string                  { return n.p + "-group" }
func (n names) groupARN() string               { return arn("dataset-group/" + n.group()) }
func (n names) schemaARN(suffix string) string { return arn("schema/" + n.p + "-" + suffix) }
func (n names) datasetARN(datasetType string) string {
	return arn("dataset/" + n.group() + "/" + strings.ToUpper(datasetType))
}
func (n names) id(s string) string { return n.p + "-" + s }

// controlSteps are the control-plane half of the flow: schemas, a dataset
// group, one dataset of each type and an event tracker, each with an
// error case.
func controlSteps(n names) []*step {
	var steps []*step
	add := func(s *step) { s.API = apiControl; steps = append(steps, s) }
	for _, s := range schemas {
		name := n.p + "-" + s.suffix
		add(&step{ID: "create-schema-" + s.suffix, Op: "CreateSchema", Case: "happy", marker: name,
			Input:       map[string]any{"name": name, "schema": s.avro},
			checkOutput: wantOutput("schemaArn", n.schemaARN(s.suffix))})
	}
	add(&step{ID: "create-schema-not-json", Op: "CreateSchema", Case: "error", marker: n.id("broken"),
		Input: map[string]any{"name": n.id("broken"), "schema": `{"type": "record", "fields": [`},
		want:  &wantError{code: "InvalidInputException", status: 400, message: []string{"schema is not valid JSON"}}})

	add(&step{ID: "create-dataset-group", Op: "CreateDatasetGroup", Case: "happy", marker: n.group(),
		Input:       map[string]any{"name": n.group()},
		checkOutput: wantOutput("datasetGroupArn", n.groupARN())})
	add(&step{ID: "create-dataset-group-again", Op: "CreateDatasetGroup", Case: "error", marker: n.group(),
		Input: map[string]any{"name": n.group()},
		want:  &wantError{code: "ResourceAlreadyExistsException", status: 400, message: []string{n.groupARN() + " already exists"}}})
	add(&step{ID: "describe-dataset-group", Op: "DescribeDatasetGroup", Case: "happy", marker: n.groupARN(),
		Input: map[string]any{"datasetGroupArn": n.groupARN()},
		checkOutput: func(out map[string]any) error {
			if err := wantOutput("datasetGroup.name", n.group())(out); err != nil {
				return err
			}
			return wantOutput("datasetGroup.status", "ACTIVE")(out)
		}})
	missingGroup := arn("dataset-group/" + n.id("missing"))
	add(&step{ID: "describe-dataset-group-missing", Op: "DescribeDatasetGroup", Case: "error", marker: missingGroup,
		Input: map[string]any{"datasetGroupArn": missingGroup},
		want:  &wantError{code: "ResourceNotFoundException", status: 400, message: []string{missingGroup + " does not exist"}}})

	for _, s := range schemas {
		add(&step{ID: "create-dataset-" + s.suffix, Op: "CreateDataset", Case: "happy", marker: n.schemaARN(s.suffix),
			Input: map[string]any{"name": n.p + "-" + s.suffix, "datasetGroupArn": n.groupARN(),
				"schemaArn": n.schemaARN(s.suffix), "datasetType": s.datasetType},
			checkOutput: wantOutput("datasetArn", n.datasetARN(s.datasetType))})
	}
	missingSchema := n.schemaARN("missing")
	add(&step{ID: "create-dataset-unknown-schema", Op: "CreateDataset", Case: "error", marker: missingSchema,
		Input: map[string]any{"name": n.id("orphan"), "datasetGroupArn": n.groupARN(), "schemaArn": missingSchema, "datasetType": "Interactions"},
		want:  &wantError{code: "ResourceNotFoundException", status: 400, message: []string{missingSchema + " does not exist"}}})
	ai := n.datasetARN("Action_Interactions")
	add(&step{ID: "describe-dataset", Op: "DescribeDataset", Case: "happy", marker: ai,
		Input: map[string]any{"datasetArn": ai}, Save: map[string]string{"actionTrackingId": "dataset.trackingId"},
		checkOutput: wantOutput("dataset.datasetArn", ai)})
	missingDataset := arn("dataset/" + n.group() + "/NOTHING")
	add(&step{ID: "describe-dataset-missing", Op: "DescribeDataset", Case: "error", marker: missingDataset,
		Input: map[string]any{"datasetArn": missingDataset},
		want:  &wantError{code: "ResourceNotFoundException", status: 400, message: []string{missingDataset + " does not exist"}}})
	add(&step{ID: "list-datasets", Op: "ListDatasets", Case: "happy", marker: n.groupARN(),
		Input: map[string]any{"datasetGroupArn": n.groupARN()},
		checkOutput: func(out map[string]any) error {
			list, _ := lookup(out, "datasets").([]any)
			if len(list) != len(schemas) {
				return fmt.Errorf("listed %d datasets, want %d", len(list), len(schemas))
			}
			return nil
		}})
	add(&step{ID: "list-datasets-bad-token", Op: "ListDatasets", Case: "error", marker: n.id("token"),
		Input: map[string]any{"nextToken": n.id("token")},
		want:  &wantError{code: "InvalidNextTokenException", status: 400, message: []string{"Invalid next token"}}})

	add(&step{ID: "create-event-tracker", Op: "CreateEventTracker", Case: "happy", marker: n.id("tracker"),
		Input: map[string]any{"name": n.id("tracker"), "datasetGroupArn": n.groupARN()},
		Save:  map[string]string{"trackingId": "trackingId"},
		checkOutput: func(out map[string]any) error {
			if s, _ := lookup(out, "eventTrackerArn").(string); !strings.HasPrefix(s, arn("event-tracker/")) {
				return fmt.Errorf("eventTrackerArn = %q", s)
			}
			return nil
		}})
	add(&step{ID: "create-event-tracker-second", Op: "CreateEventTracker", Case: "error", marker: n.id("tracker-2"),
		Input: map[string]any{"name": n.id("tracker-2"), "datasetGroupArn": n.groupARN()},
		want:  &wantError{code: "ResourceAlreadyExistsException", status: 400, message: []string{n.groupARN() + " already has an event tracker"}}})
	return steps
}

// eventSteps are the events half: every Put operation, its happy path
// with every member the API has, and its error paths.
func eventSteps(n names) []*step {
	var steps []*step
	add := func(s *step) { s.API = apiEvents; steps = append(steps, s) }
	event := func(eventID string) map[string]any {
		return map[string]any{
			"eventId": n.id(eventID), "eventType": "click", "eventValue": 4.5, "itemId": n.id("item-1"),
			"sentAt": 1700000000.125, "properties": `{"device": "phone", "numberOfRatings": 12}`,
			"recommendationId": n.id("rec-1"), "impression": []any{n.id("item-1"), n.id("item-2"), n.id("item-3")},
			"metricAttribution": map[string]any{"eventAttributionSource": "campaign-a"},
		}
	}
	putEvents := func(session string, events ...map[string]any) map[string]any {
		list := make([]any, len(events))
		for i, e := range events {
			list[i] = e
		}
		return map[string]any{"trackingId": "${trackingId}", "userId": n.id("user-1"), "sessionId": n.id(session), "eventList": list}
	}

	add(&step{ID: "put-events", Op: "PutEvents", Case: "happy", Variant: "json", marker: n.id("session-1"),
		Input: putEvents("session-1", event("event-1"),
			map[string]any{"eventId": n.id("event-2"), "eventType": "view", "itemId": n.id("item-2"), "sentAt": 1700000001.0})})
	shorthand := event("event-3")
	shorthand["sentAt"] = 1700000002.5
	shorthand["properties"] = `{"device": "tablet"}`
	add(&step{ID: "put-events-shorthand", Op: "PutEvents", Case: "happy", Variant: "shorthand", marker: n.id("session-2"),
		Input: putEvents("session-2", shorthand)})
	add(&step{ID: "put-events-skeleton", Op: "PutEvents", Case: "happy", Variant: "skeleton", marker: n.id("session-3"),
		Input: putEvents("session-3", event("event-4"))})

	long := event("too-long")
	long["eventType"] = strings.Repeat("x", 300)
	add(&step{ID: "put-events-event-type-too-long", Op: "PutEvents", Case: "error", marker: n.id("session-too-long"),
		Input: putEvents("session-too-long", long),
		except: map[string]string{"datafire": "DataFire's own JSON schema rejects an eventType over 256 characters before sending; " +
			"its constraint-violation path is the eventAttributionSource pattern"},
		want: &wantError{code: "InvalidInputException", status: 400, message: []string{
			"1 validation error detected: Value at 'eventList.1.member.eventType' failed to satisfy constraint: Member must have length less than or equal to 256"}}})
	blank := event("blank-source")
	blank["metricAttribution"] = map[string]any{"eventAttributionSource": "   "}
	add(&step{ID: "put-events-blank-attribution-source", Op: "PutEvents", Case: "error", marker: n.id("session-blank-source"),
		Input: putEvents("session-blank-source", blank),
		except: map[string]string{
			"paws":      "Paws 0.46's Event has no metricAttribution member, so this constraint cannot be sent from Paws",
			"paws-wire": "Paws 0.46's Event has no metricAttribution member, so this constraint cannot be sent from Paws"},
		want: &wantError{code: "InvalidInputException", status: 400, message: []string{
			"Value at 'eventList.1.member.metricAttribution.eventAttributionSource' failed to satisfy constraint: Member must satisfy regular expression pattern"}}})
	bad := event("bad-properties")
	bad["properties"] = `{"device": "phone",`
	add(&step{ID: "put-events-bad-properties", Op: "PutEvents", Case: "error", marker: n.id("session-bad-properties"),
		Input: putEvents("session-bad-properties", bad),
		want:  &wantError{code: "InvalidInputException", status: 400, message: []string{"Error parsing properties json at 'eventList.1.member.properties'"}}})
	unknownKey := event("unknown-properties-key")
	unknownKey["properties"] = `{"colour": "red"}`
	add(&step{ID: "put-events-unknown-properties-key", Op: "PutEvents", Case: "error", marker: n.id("session-unknown-key"),
		Input: putEvents("session-unknown-key", unknownKey),
		except: map[string]string{"datafire": "DataFire cannot send properties (its schema types them as a string, which aws-sdk v2 encodes again); " +
			"its properties error path is the one AWS gives that: Error parsing properties json"},
		want: &wantError{code: "InvalidInputException", status: 400, message: []string{
			"Invalid properties at 'eventList.1.member.properties': properties key 'colour' does not match any field of the dataset's schema"}}})
	unknown := putEvents("session-unknown-tracker", event("unknown-tracker"))
	unknown["trackingId"] = "00000000-0000-4000-8000-000000000000"
	add(&step{ID: "put-events-unknown-tracker", Op: "PutEvents", Case: "error", marker: n.id("session-unknown-tracker"),
		Input: unknown,
		want: &wantError{code: "InvalidInputException", status: 400, message: []string{
			"The tracking ID 00000000-0000-4000-8000-000000000000 does not match any event tracker"}}})

	itemsARN := n.datasetARN("Items")
	add(&step{ID: "put-items", Op: "PutItems", Case: "happy", marker: n.id("item-1"),
		Input: map[string]any{"datasetArn": itemsARN, "items": []any{
			map[string]any{"itemId": n.id("item-1"), "properties": `{"genres": "Comedy|Drama", "price": 9.5, "creationTimestamp": 1700000000}`},
			map[string]any{"itemId": n.id("item-2")},
		}}})
	add(&step{ID: "put-items-bad-properties", Op: "PutItems", Case: "error", marker: n.id("item-bad"),
		Input: map[string]any{"datasetArn": itemsARN, "items": []any{map[string]any{"itemId": n.id("item-bad"), "properties": `{"genres": `}}},
		want:  &wantError{code: "InvalidInputException", status: 400, message: []string{"Error parsing properties json at 'items.1.member.properties'"}}})
	missingItems := arn("dataset/" + n.id("nowhere") + "/ITEMS")
	add(&step{ID: "put-items-unknown-dataset", Op: "PutItems", Case: "error", marker: missingItems,
		Input: map[string]any{"datasetArn": missingItems, "items": []any{map[string]any{"itemId": n.id("item-lost")}}},
		want:  &wantError{code: "ResourceNotFoundException", status: 404, message: []string{missingItems + " does not exist"}}})

	usersARN := n.datasetARN("Users")
	add(&step{ID: "put-users", Op: "PutUsers", Case: "happy", marker: n.id("user-1"),
		Input: map[string]any{"datasetArn": usersARN, "users": []any{
			map[string]any{"userId": n.id("user-1"), "properties": `{"age": 42, "gender": "F"}`},
		}}})
	add(&step{ID: "put-users-wrong-dataset", Op: "PutUsers", Case: "error", marker: n.id("user-misfiled"),
		Input: map[string]any{"datasetArn": itemsARN, "users": []any{map[string]any{"userId": n.id("user-misfiled")}}},
		want:  &wantError{code: "InvalidInputException", status: 400, message: []string{"is an Items dataset; PutUsers needs the ARN of a Users dataset"}}})
	add(&step{ID: "put-users-bad-properties", Op: "PutUsers", Case: "error", marker: n.id("user-bad"),
		Input: map[string]any{"datasetArn": usersARN, "users": []any{map[string]any{"userId": n.id("user-bad"), "properties": `not json`}}},
		want:  &wantError{code: "InvalidInputException", status: 400, message: []string{"Error parsing properties json at 'users.1.member.properties'"}}})

	actionsARN := n.datasetARN("Actions")
	add(&step{ID: "put-actions", Op: "PutActions", Case: "happy", marker: n.id("action-1"),
		Input: map[string]any{"datasetArn": actionsARN, "actions": []any{
			map[string]any{"actionId": n.id("action-1"), "properties": `{"value": 100, "membershipLevel": "Gold"}`},
			map[string]any{"actionId": n.id("action-2")},
		}}})
	missingActions := arn("dataset/" + n.id("nowhere") + "/ACTIONS")
	add(&step{ID: "put-actions-unknown-dataset", Op: "PutActions", Case: "error", marker: missingActions,
		Input: map[string]any{"datasetArn": missingActions, "actions": []any{map[string]any{"actionId": n.id("action-lost")}}},
		want:  &wantError{code: "ResourceNotFoundException", status: 404, message: []string{missingActions + " does not exist"}}})

	interaction := func(session string) map[string]any {
		return map[string]any{
			"actionId": n.id("action-1"), "userId": n.id("user-1"), "sessionId": n.id(session), "timestamp": 1700000003.25,
			"eventType": "Taken", "eventId": n.id("ai-" + session), "recommendationId": n.id("rec-2"),
			"impression": []any{n.id("action-1"), n.id("action-2")}, "properties": `{"channel": "email"}`,
		}
	}
	add(&step{ID: "put-action-interactions", Op: "PutActionInteractions", Case: "happy", marker: n.id("ai-session-4"),
		Input: map[string]any{"trackingId": "${actionTrackingId}", "actionInteractions": []any{interaction("session-4")}}})
	add(&step{ID: "put-action-interactions-unknown-tracker", Op: "PutActionInteractions", Case: "error", marker: n.id("ai-session-lost"),
		Input: map[string]any{"trackingId": "00000000-0000-4000-8000-000000000001", "actionInteractions": []any{interaction("session-lost")}},
		want: &wantError{code: "InvalidInputException", status: 400, message: []string{
			"The tracking ID 00000000-0000-4000-8000-000000000001 does not match any event tracker"}}})
	return steps
}

// seedSteps are the AWS SDK for JavaScript v2 examples of the seed
// document, once with a callback and once with .promise().
func seedSteps(n names) []*step {
	var steps []*step
	for _, style := range []string{"callback", "promise"} {
		add := func(s *step) {
			s.API, s.Case, s.Variant, s.only = apiEvents, "happy", "seed-"+style, []string{"jsv2"}
			s.ID += "-seed-" + style
			steps = append(steps, s)
		}
		add(&step{ID: "put-events", Op: "PutEvents", marker: n.id("seed-session-" + style),
			Input: map[string]any{"trackingId": "${trackingId}", "userId": n.id("seed-user"), "sessionId": n.id("seed-session-" + style),
				"eventList": []any{map[string]any{
					"eventType": "watch", "sentAt": 1700000010.375, "eventId": n.id("seed-event-" + style), "eventValue": 3.25,
					"impression": []any{n.id("seed-item-1"), n.id("seed-item-2")}, "itemId": n.id("seed-item-1"),
					"metricAttribution": map[string]any{"eventAttributionSource": "seed-" + style},
					"properties":        `{"device": "tv"}`, "recommendationId": n.id("seed-rec"),
				}}}})
		add(&step{ID: "put-items", Op: "PutItems", marker: n.id("seed-item-" + style),
			Input: map[string]any{"datasetArn": n.datasetARN("Items"), "items": []any{
				map[string]any{"itemId": n.id("seed-item-" + style), "properties": `{"genres": "Horror|Action"}`}}}})
		add(&step{ID: "put-users", Op: "PutUsers", marker: n.id("seed-user-" + style),
			Input: map[string]any{"datasetArn": n.datasetARN("Users"), "users": []any{
				map[string]any{"userId": n.id("seed-user-" + style), "properties": `{"gender": "Member|Frequent shopper"}`}}}})
		add(&step{ID: "put-actions", Op: "PutActions", marker: n.id("seed-action-" + style),
			Input: map[string]any{"datasetArn": n.datasetARN("Actions"), "actions": []any{
				map[string]any{"actionId": n.id("seed-action-" + style), "properties": `{"membershipLevel": "Silver"}`}}}})
		add(&step{ID: "put-action-interactions", Op: "PutActionInteractions", marker: n.id("seed-ai-" + style),
			Input: map[string]any{"trackingId": "${actionTrackingId}", "actionInteractions": []any{map[string]any{
				"actionId": n.id("seed-action-" + style), "eventType": "Viewed", "sessionId": n.id("seed-ai-" + style),
				"timestamp": 1700000011.5, "eventId": n.id("seed-ai-event-" + style), "impression": []any{n.id("seed-action-" + style)},
				"properties": `{"channel": "web"}`, "recommendationId": n.id("seed-rec"), "userId": n.id("seed-user"),
			}}}})
	}
	return steps
}

// wantOutput checks one output member.
func wantOutput(path, want string) func(map[string]any) error {
	return func(out map[string]any) error {
		if got := lookup(out, path); got != want {
			return fmt.Errorf("output %s = %v, want %s", path, got, want)
		}
		return nil
	}
}

// lookup finds a dotted path in decoded JSON, matching keys without case
// (the Go SDK's outputs marshal with Go field names).
func lookup(v any, path string) any {
	for _, key := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = nil
		for k, val := range m {
			if strings.EqualFold(k, key) {
				v = val
				break
			}
		}
	}
	return v
}

// forClient returns the steps client id runs, in order.
func forClient(id string, steps []*step) []*step {
	var out []*step
	for _, s := range steps {
		if len(s.only) > 0 && !slices.Contains(s.only, id) {
			continue
		}
		if _, skip := s.except[id]; skip {
			continue
		}
		out = append(out, s)
	}
	return out
}

// clone deep-copies decoded JSON so a driver may not change the plan.
func clone(v map[string]any) map[string]any {
	b, _ := json.Marshal(v)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}
