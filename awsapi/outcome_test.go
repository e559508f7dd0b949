package awsapi_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/personalize"
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents"
	etypes "github.com/aws/aws-sdk-go-v2/service/personalizeevents/types"
	"github.com/aws/smithy-go"

	"github.com/perchdev/perch/awsapi"
)

// outcomes keeps every Outcome a server observes, by request id.
type outcomes struct {
	mu   sync.Mutex
	byID map[string]awsapi.Outcome
	n    int
}

func (o *outcomes) observe(out *awsapi.Outcome) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.byID[out.RequestID] = *out
	o.n++
}

func (o *outcomes) get(t *testing.T, requestID string) awsapi.Outcome {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	out, ok := o.byID[requestID]
	if !ok {
		t.Fatalf("no outcome observed for request %q", requestID)
	}
	return out
}

// TestOutcomes holds the Outcome of each kind of answer to what the client
// got: the request id, status, error code and message it read, and what
// the server knew of the caller and the member at fault.
func TestOutcomes(t *testing.T) {
	seen := &outcomes{byID: map[string]awsapi.Outcome{}}
	e, _ := newSignedEnv(t)
	e.observe = seen.observe
	e.maxInFlight = 1
	e.restart()
	g := e.makeGroup("outcomes")
	ctx := context.Background()

	// errorOf returns the request id, code and message of a refused call.
	errorOf := func(t *testing.T, err error) (requestID, code, message string) {
		t.Helper()
		var ae smithy.APIError
		var re *awshttp.ResponseError
		if !errors.As(err, &ae) || !errors.As(err, &re) {
			t.Fatalf("got %v, want an API error", err)
		}
		return re.ServiceRequestID(), ae.ErrorCode(), ae.ErrorMessage()
	}
	event := func(eventType, properties string) *personalizeevents.PutEventsInput {
		ev := etypes.Event{EventType: aws.String(eventType), SentAt: aws.Time(time.Unix(1700000000, 0))}
		if properties != "" {
			ev.Properties = aws.String(properties)
		}
		return &personalizeevents.PutEventsInput{TrackingId: aws.String(g.trackingID), UserId: aws.String("u"), SessionId: aws.String("s"),
			EventList: []etypes.Event{{EventType: aws.String("click"), SentAt: aws.Time(time.Unix(1700000000, 0))}, ev}}
	}

	for _, c := range []struct {
		name string
		// call makes the request and returns its id and, when refused, the
		// code and message the client read.
		call func(t *testing.T) (requestID, code, message string)
		want awsapi.Outcome // its RequestID, Message and ErrorType come from call
	}{
		{"success", func(t *testing.T) (string, string, string) {
			out, err := e.cp.DescribeDatasetGroup(ctx, &personalize.DescribeDatasetGroupInput{DatasetGroupArn: aws.String(g.arn)})
			if err != nil {
				t.Fatal(err)
			}
			id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
			return id, "", ""
		}, awsapi.Outcome{API: "control", Operation: "DescribeDatasetGroup", Account: testAccount, AccessKeyID: testKey.AccessKeyID, Status: http.StatusOK}},
		{"events call stored", func(t *testing.T) (string, string, string) {
			out, err := e.events.PutEvents(ctx, event("view", ""))
			if err != nil {
				t.Fatal(err)
			}
			id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
			return id, "", ""
		}, awsapi.Outcome{API: "events", Operation: "PutEvents", Account: testAccount, AccessKeyID: testKey.AccessKeyID, Status: http.StatusOK}},
		{"validation error names its member", func(t *testing.T) (string, string, string) {
			_, err := e.events.PutEvents(ctx, event(strings.Repeat("x", 257), ""))
			return errorOf(t, err)
		}, awsapi.Outcome{API: "events", Operation: "PutEvents", Account: testAccount, AccessKeyID: testKey.AccessKeyID,
			Status: http.StatusBadRequest, Member: "eventList.2.member.eventType"}},
		{"properties that do not fit the schema", func(t *testing.T) (string, string, string) {
			_, err := e.events.PutEvents(ctx, event("view", `{"unknownField":"1"}`))
			return errorOf(t, err)
		}, awsapi.Outcome{API: "events", Operation: "PutEvents", Account: testAccount, AccessKeyID: testKey.AccessKeyID,
			Status: http.StatusBadRequest, Member: "eventList.2.member.properties"}},
		{"domain error without a member", func(t *testing.T) (string, string, string) {
			_, err := e.cp.DescribeDatasetGroup(ctx, &personalize.DescribeDatasetGroupInput{DatasetGroupArn: aws.String(g.arn + "-gone")})
			return errorOf(t, err)
		}, awsapi.Outcome{API: "control", Operation: "DescribeDatasetGroup", Account: testAccount, AccessKeyID: testKey.AccessKeyID,
			Status: http.StatusBadRequest}},
		{"unknown operation", func(t *testing.T) (string, string, string) {
			req := e.signedRequest(t, testKey, http.MethodPost, "/", `{}`, map[string]string{
				"X-Amz-Target": "AmazonPersonalize.MakeCoffee", "Content-Type": "application/x-amz-json-1.1"})
			return roundTrip(t, req)
		}, awsapi.Outcome{API: "control", Operation: "unknown", Account: testAccount, AccessKeyID: testKey.AccessKeyID,
			Status: http.StatusBadRequest}},
		{"authentication refused", func(t *testing.T) (string, string, string) {
			cp, _ := e.clients(aws.Credentials{AccessKeyID: testKey.AccessKeyID, SecretAccessKey: "wrong"})
			_, err := cp.ListDatasetGroups(ctx, &personalize.ListDatasetGroupsInput{})
			return errorOf(t, err)
		}, awsapi.Outcome{API: "control", Operation: "ListDatasetGroups", AccessKeyID: testKey.AccessKeyID, Status: http.StatusForbidden}},
		{"unsigned", func(t *testing.T) (string, string, string) {
			req, err := http.NewRequest(http.MethodGet, e.url+"/_perch/records?datasetArn=x", nil)
			if err != nil {
				t.Fatal(err)
			}
			return roundTrip(t, req)
		}, awsapi.Outcome{API: "read", Operation: "read/records", Status: http.StatusForbidden}},
		{"throttled by the in-flight bound", func(t *testing.T) (string, string, string) {
			release := e.holdEventsCall(t, g.trackingID)
			defer release()
			_, err := e.events.PutEvents(ctx, event("view", ""))
			return errorOf(t, err)
		}, awsapi.Outcome{API: "events", Operation: "PutEvents", AccessKeyID: testKey.AccessKeyID, Status: http.StatusBadRequest}},
		{"bad headers, refused before routing", func(t *testing.T) (string, string, string) {
			req := e.signedRequest(t, testKey, http.MethodPost, "/", `{}`, map[string]string{
				"X-Amz-Target": "AmazonPersonalize.ListDatasetGroups", "Content-Type": "text/html"})
			return roundTrip(t, req)
		}, awsapi.Outcome{API: "control", Operation: "ListDatasetGroups", AccessKeyID: testKey.AccessKeyID, Status: http.StatusUnsupportedMediaType}},
		{"health probe", func(t *testing.T) (string, string, string) {
			req, err := http.NewRequest(http.MethodGet, e.url+"/_perch/health", nil)
			if err != nil {
				t.Fatal(err)
			}
			return roundTrip(t, req)
		}, awsapi.Outcome{API: "read", Operation: "read/health", Account: testAccount, Status: http.StatusOK}},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := time.Now()
			id, code, message := c.call(t)
			if id == "" {
				t.Fatal("the answer carries no request id")
			}
			got := seen.get(t, id)
			want := c.want
			want.RequestID, want.ErrorType, want.Message = id, code, message
			if got.Start.Before(before.Add(-time.Second)) || got.Start.After(time.Now()) || got.Latency <= 0 {
				t.Errorf("start %v, latency %v: not within the call", got.Start, got.Latency)
			}
			got.Start, got.Latency = time.Time{}, 0
			if got != want {
				t.Errorf("outcome\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// signedRequest is a request of e's server signed with creds, with headers.
func (e *env) signedRequest(t *testing.T, creds aws.Credentials, method, path, body string, headers map[string]string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	signRequest(t, req, creds, body)
	return req
}

// signRequest signs req, whose body is body, with creds, as the SDKs do.
func signRequest(t *testing.T, req *http.Request, creds aws.Credentials, body string) {
	t.Helper()
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "personalize", testRegion, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// roundTrip sends req and returns the request id of its answer and, when
// it is an error, the code and message AWS's envelope carries.
func roundTrip(t *testing.T, req *http.Request) (requestID, code, message string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	requestID = resp.Header.Get("x-amzn-RequestId")
	if resp.StatusCode < 300 {
		return requestID, "", ""
	}
	var envelope struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(body, &envelope); err != nil {
		t.Fatalf("error answer %q: %v", body, err)
	}
	if envelope.Type != resp.Header.Get("X-Amzn-ErrorType") {
		t.Fatalf("envelope code %q, header %q", envelope.Type, resp.Header.Get("X-Amzn-ErrorType"))
	}
	return requestID, envelope.Type, envelope.Message
}

// holdEventsCall sends an events call's headers and half its body, so that
// it holds a place of the in-flight bound until release sends the rest.
func (e *env) holdEventsCall(t *testing.T, trackingID string) (release func()) {
	t.Helper()
	body := fmt.Sprintf(`{"trackingId":%q,"userId":"held","sessionId":"s","eventList":[{"eventType":"click","sentAt":1700000000}]}`, trackingID)
	req := e.signedRequest(t, testKey, http.MethodPost, "/events", body, map[string]string{"Content-Type": "application/json"})
	addr := strings.TrimPrefix(e.url, "http://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	var head strings.Builder
	fmt.Fprintf(&head, "POST /events HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", addr, len(body))
	for k, vs := range req.Header {
		for _, v := range vs {
			fmt.Fprintf(&head, "%s: %s\r\n", k, v)
		}
	}
	head.WriteString("\r\n")
	if _, err := io.WriteString(c, head.String()+body[:len(body)/2]); err != nil {
		t.Fatal(err)
	}
	// The call holds its place once its handler has started: wait until a
	// probe is refused.
	probe := e.signedRequest(t, testKey, http.MethodPost, "/events", "{}", map[string]string{"Content-Type": "application/json"})
	eventually(t, "the held call to take its place", func() bool {
		p := probe.Clone(context.Background())
		p.Body = io.NopCloser(strings.NewReader("{}"))
		_, code, _ := roundTrip(t, p)
		return code == "ThrottlingException"
	})
	return func() {
		defer c.Close()
		if _, err := io.WriteString(c, body[len(body)/2:]); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("the held call: HTTP %d", resp.StatusCode)
		}
	}
}
