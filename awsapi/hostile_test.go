package awsapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents"
	etypes "github.com/aws/aws-sdk-go-v2/service/personalizeevents/types"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/awsapi"
	"github.com/perchdev/perch/catalog"
	"github.com/perchdev/perch/ingest"
	"github.com/perchdev/perch/pebble"
)

// rawCase is one hand-made HTTP request and the AWS error it must get.
type rawCase struct {
	name    string
	method  string // default POST
	path    string // default /events
	header  map[string]string
	body    string
	chunked bool // send the body without a Content-Length

	status  int
	code    string
	message string // a part of the message
}

// wantRawError sends c and checks the whole envelope: status, the
// X-Amzn-ErrorType header, the body's __type and message, and a request id.
func wantRawError(t *testing.T, url string, c rawCase) {
	t.Helper()
	method, path := c.method, c.path
	if method == "" {
		method = http.MethodPost
	}
	if path == "" {
		path = "/events"
	}
	var body io.Reader = strings.NewReader(c.body)
	if c.chunked {
		body = io.MultiReader(body) // hides the length
	}
	req, err := http.NewRequest(method, url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range c.header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: reading the answer: %v", c.name, err)
	}
	var env struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("%s: the answer %s %q is not AWS's JSON envelope: %v", c.name, resp.Status, raw, err)
	}
	if resp.StatusCode != c.status || resp.Header.Get("X-Amzn-ErrorType") != c.code || env.Type != c.code {
		t.Errorf("%s: got %d, X-Amzn-ErrorType %q, __type %q (%s); want %d %s",
			c.name, resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), env.Type, env.Message, c.status, c.code)
	}
	if !strings.Contains(env.Message, c.message) {
		t.Errorf("%s: message %q does not contain %q", c.name, env.Message, c.message)
	}
	if resp.Header.Get("x-amzn-RequestId") == "" {
		t.Errorf("%s: no x-amzn-RequestId", c.name)
	}
}

func TestHostileRequests(t *testing.T) {
	e := newEnv(t)
	g := e.makeGroup("hostile")
	// putEvents returns a PutEvents body for the group with one event whose
	// members are the given JSON text.
	putEvents := func(event string) string {
		return fmt.Sprintf(`{"trackingId":%q,"sessionId":"s","eventList":[{%s}]}`, g.trackingID, event)
	}
	valid := `"eventType":"click","sentAt":1700000000`
	long := strings.Repeat("x", 300)

	cases := []rawCase{
		{name: "body over 4 MiB", body: `{"x":"` + strings.Repeat("a", 5<<20) + `"}`,
			status: 413, code: "RequestEntityTooLargeException", message: "larger than the limit of 4194304 bytes"},
		{name: "chunked body over 4 MiB", chunked: true, body: `{"x":"` + strings.Repeat("a", 5<<20) + `"}`,
			status: 413, code: "RequestEntityTooLargeException", message: "larger than the limit of 4194304 bytes"},
		{name: "header section over 64 KiB", header: map[string]string{"X-Pad": strings.Repeat("p", 100<<10)}, body: putEvents(valid),
			status: 431, code: "RequestHeaderSectionTooLarge", message: "more than the limit of 65536"},
		{name: "deep nesting", body: `{"trackingId":"t","x":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`,
			status: 400, code: "SerializationException", message: "nesting deeper than 64 levels"},
		{name: "too many values", body: `{"x":[` + strings.Repeat("0,", 200000) + `0]}`,
			status: 400, code: "SerializationException", message: "more than 100000 JSON values"},
		{name: "invalid UTF-8", body: putEvents(`"eventType":"cl` + "\xff\xfe" + `ick","sentAt":1700000000`),
			status: 400, code: "SerializationException", message: "Invalid UTF-8 in the request body at byte offset"},
		{name: "malformed JSON", body: `{"trackingId":`,
			status: 400, code: "SerializationException", message: "unexpected end of input"},
		{name: "body not an object", body: `[1,2]`,
			status: 400, code: "SerializationException", message: "expected an object"},
		{name: "duplicate key", body: fmt.Sprintf(`{"trackingId":%q,"trackingId":"other","sessionId":"s","eventList":[{%s}]}`, g.trackingID, valid),
			status: 400, code: "SerializationException", message: `Duplicate key "trackingId"`},
		{name: "duplicate key spelled with an escape", body: fmt.Sprintf(`{"trackingId":%q,"sessionId":"s","eventList":[{%s}],"event\u004cist":[{"eventType":%q,"sentAt":1}]}`, g.trackingID, valid, long),
			status: 400, code: "SerializationException", message: `Duplicate key "eventList"`},
		{name: "member in another case", body: fmt.Sprintf(`{"trackingId":%q,"sessionId":"s","eventList":[{%s}],"EventList":[{"eventType":%q,"sentAt":1}]}`, g.trackingID, valid, long),
			status: 400, code: "SerializationException", message: `Unknown member "EventList" at '': member names are case-sensitive; did you mean "eventList"?`},
		{name: "nested member in another case", body: putEvents(valid + `,"EVENTTYPE":"` + long + `"`),
			status: 400, code: "SerializationException", message: `Unknown member "EVENTTYPE" at 'eventList.1.member'`},
		{name: "member in another case by Unicode folding", body: putEvents(valid + `,"eventTypeſ":"x","ſentAt":"x"`),
			status: 400, code: "SerializationException", message: `Unknown member "ſentAt"`},
		{name: "eventValue NaN", body: putEvents(valid + `,"eventValue":"NaN"`),
			status: 400, code: "InvalidInputException", message: "eventList.1.member.eventValue': NaN is not a finite 32-bit float"},
		{name: "eventValue Infinity", body: putEvents(valid + `,"eventValue":"-Infinity"`),
			status: 400, code: "InvalidInputException", message: "-Inf is not a finite 32-bit float"},
		{name: "eventValue beyond float32", body: putEvents(valid + `,"eventValue":1e39`),
			status: 400, code: "InvalidInputException", message: "is not a finite 32-bit float"},
		{name: "eventValue a word", body: putEvents(valid + `,"eventValue":"lots"`),
			status: 400, code: "SerializationException", message: "Unexpected JSON string at 'eventList.1.member.eventValue', expected a number"},
		{name: "sentAt far in the future", body: putEvents(`"eventType":"click","sentAt":253402300800`),
			status: 400, code: "InvalidInputException", message: "Invalid timestamp at 'eventList.1.member.sentAt'"},
		{name: "sentAt beyond float64", body: putEvents(`"eventType":"click","sentAt":1e400`),
			status: 400, code: "InvalidInputException", message: "Invalid timestamp at 'eventList.1.member.sentAt'"},
		{name: "sentAt a string in no accepted form", body: putEvents(`"eventType":"click","sentAt":"NaN"`),
			status: 400, code: "SerializationException", message: "expected epoch seconds as a number, or a string of epoch seconds"},
		{name: "integer out of range", path: "/", header: map[string]string{"X-Amz-Target": "AmazonPersonalize.ListSchemas", "Content-Type": "application/x-amz-json-1.1"},
			body:   `{"maxResults":99999999999}`,
			status: 400, code: "SerializationException", message: "Number at 'maxResults' is not a 32-bit integer"},
		{name: "negative maxResults", path: "/", header: map[string]string{"X-Amz-Target": "AmazonPersonalize.ListSchemas", "Content-Type": "application/x-amz-json-1.1"},
			body:   `{"maxResults":-1}`,
			status: 400, code: "InvalidInputException", message: "Member must have value greater than or equal to 1"},
		{name: "form Content-Type", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, body: putEvents(valid),
			status: 415, code: "UnsupportedMediaTypeException", message: `Content-Type "application/x-www-form-urlencoded" is not supported`},
		{name: "text Content-Type", header: map[string]string{"Content-Type": "text/plain; charset=utf-8"}, body: putEvents(valid),
			status: 415, code: "UnsupportedMediaTypeException", message: "is not supported"},
		{name: "garbled Content-Type", header: map[string]string{"Content-Type": ";;;"}, body: putEvents(valid),
			status: 415, code: "UnsupportedMediaTypeException", message: "is not supported"},
		{name: "unknown X-Amz-Target", path: "/", header: map[string]string{"X-Amz-Target": "AmazonPersonalize.DropEverything"}, body: `{}`,
			status: 400, code: "UnknownOperationException", message: "Operation AmazonPersonalize.DropEverything is not supported"},
		{name: "X-Amz-Target of another service", path: "/", header: map[string]string{"X-Amz-Target": "DynamoDB_20120810.ListTables"}, body: `{}`,
			status: 400, code: "UnknownOperationException", message: "is not supported by this endpoint"},
		{name: "unknown path", path: "/admin", body: `{}`,
			status: 404, code: "UnknownOperationException", message: "POST /admin is not an operation of this endpoint"},
		{name: "wrong method", method: http.MethodGet, path: "/events",
			status: 405, code: "UnknownOperationException", message: "GET /events is not an operation"},
		{name: "wrong method on the read API", method: http.MethodDelete, path: "/_perch/records",
			status: 405, code: "UnknownOperationException", message: "only answers GET"},
	}
	for _, c := range cases {
		wantRawError(t, e.url, c)
	}
	// The Go SDK sends a NaN eventValue as the string "NaN", as Smithy
	// encodes non-finite floats.
	_, err := e.events.PutEvents(context.Background(), &personalizeevents.PutEventsInput{
		TrackingId: aws.String(g.trackingID), SessionId: aws.String("s"),
		EventList: []etypes.Event{{EventType: aws.String("click"), SentAt: aws.Time(time.Unix(1700000000, 0)), EventValue: aws.Float32(float32(math.NaN()))}},
	})
	wantAPIError(t, err, "InvalidInputException", http.StatusBadRequest, "NaN is not a finite 32-bit float")
	if recs := e.records(g.datasets["INTERACTIONS"], nil); len(recs) != 0 {
		t.Errorf("refused requests stored %d records: %v", len(recs), recs)
	}
}

// TestSlowBody checks that a client that stops sending its body is cut
// off by the read timeout with AWS's envelope.
func TestSlowBody(t *testing.T) {
	store, err := pebble.Open(t.TempDir(), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	cat, err := catalog.Open(context.Background(), store.Resources(), perch.Scope{Region: testRegion, Account: testAccount}, catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(awsapi.New(awsapi.Config{Catalog: cat, Ingest: ingest.New(cat, store), Store: store, Account: testAccount}))
	srv.Config.ReadTimeout = 300 * time.Millisecond
	srv.Start()
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Headers promise 100 bytes; only 10 come.
	fmt.Fprintf(conn, "POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"trackin")
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestTimeout || resp.Header.Get("X-Amzn-ErrorType") != "RequestTimeoutException" ||
		!bytes.Contains(raw, []byte(`"__type":"RequestTimeoutException"`)) {
		t.Errorf("stalled body: %s %s %s", resp.Status, resp.Header.Get("X-Amzn-ErrorType"), raw)
	}
}
