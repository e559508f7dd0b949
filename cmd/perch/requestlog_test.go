package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/personalize"
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents"
	etypes "github.com/aws/aws-sdk-go-v2/service/personalizeevents/types"
)

// requestLogClients are SDK clients of s that sign with any key.
func requestLogClients(s *server) (*personalize.Client, *personalizeevents.Client) {
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIDLOGS", SecretAccessKey: "secret"}, nil
	})
	return personalize.New(personalize.Options{Region: "eu-west-1", BaseEndpoint: aws.String(s.endpoint), Retryer: aws.NopRetryer{}, Credentials: creds}),
		personalizeevents.New(personalizeevents.Options{Region: "eu-west-1", BaseEndpoint: aws.String(s.endpoint), Retryer: aws.NopRetryer{}, Credentials: creds})
}

// putOne sends one event to trackingID and returns the request id answered.
func putOne(t *testing.T, events *personalizeevents.Client, trackingID string, properties *string) (requestID string, err error) {
	t.Helper()
	out, err := events.PutEvents(context.Background(), &personalizeevents.PutEventsInput{
		TrackingId: aws.String(trackingID), UserId: aws.String("u"), SessionId: aws.String("s"),
		EventList: []etypes.Event{{EventType: aws.String("click"), ItemId: aws.String("i1"), SentAt: aws.Time(time.Unix(1700000000, 0)), Properties: properties}},
	})
	if err != nil {
		var re *awshttp.ResponseError
		if !errors.As(err, &re) {
			t.Fatalf("PutEvents: %v", err)
		}
		return re.ServiceRequestID(), err
	}
	requestID, _ = awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	return requestID, nil
}

// TestServeLogsRequestsAsJSON serves with --log-format json: every line
// the server writes is a JSON object, and each request's line carries what
// the client got; successful events calls are left to debug.
func TestServeLogsRequestsAsJSON(t *testing.T) {
	s := startServer(t, t.TempDir(), "--quickstart", "--log-format", "json")
	m := trackingIDLine.FindStringSubmatch(s.stdout.String())
	if m == nil {
		t.Fatalf("quickstart output lacks the trackingId:\n%s", s.stdout.String())
	}
	control, events := requestLogClients(s)
	out, err := control.ListDatasetGroups(context.Background(), &personalize.ListDatasetGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	listID, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	storedID, err := putOne(t, events, m[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	refusedID, err := putOne(t, events, m[1], aws.String(`{"numberOfRatings": `))
	if err == nil {
		t.Fatal("PutEvents with broken properties was stored")
	}

	line := func(requestID string) map[string]any {
		t.Helper()
		var got map[string]any
		if err := json.Unmarshal([]byte(s.waitLog(t, `"requestId":"`+requestID+`"`)), &got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := line(listID)
	for k, want := range map[string]any{
		"level": "INFO", "msg": "request", "api": "control", "operation": "ListDatasetGroups", "status": 200.0,
		"account": "111122223333", "accessKeyId": "AKIDLOGS",
	} {
		if got[k] != want {
			t.Errorf("ListDatasetGroups's line: %s = %v, want %v (%v)", k, got[k], want, got)
		}
	}
	if ms, ok := got["latencyMs"].(float64); !ok || ms < 0 {
		t.Errorf("ListDatasetGroups's line: latencyMs = %v", got["latencyMs"])
	}
	if _, ok := got["error"]; ok {
		t.Errorf("a success logged with an error: %v", got)
	}
	got = line(refusedID)
	for k, want := range map[string]any{
		"level": "INFO", "api": "events", "operation": "PutEvents", "status": 400.0,
		"error": "InvalidInputException", "member": "eventList.1.member.properties",
	} {
		if got[k] != want {
			t.Errorf("refused PutEvents's line: %s = %v, want %v (%v)", k, got[k], want, got)
		}
	}
	if msg, _ := got["message"].(string); !strings.HasPrefix(msg, "Error parsing properties json at 'eventList.1.member.properties'") {
		t.Errorf("refused PutEvents's message: %q", msg)
	}

	s.logMu.Lock()
	defer s.logMu.Unlock()
	for _, l := range s.log {
		if !json.Valid([]byte(l)) {
			t.Errorf("a line that is not JSON: %s", l)
		}
		if strings.Contains(l, storedID) {
			t.Errorf("a successful events call logged at info: %s", l)
		}
	}
}

// TestServeLogsEventsCallsAtDebug: with --log-level debug, successful
// events calls are logged too, as text by default.
func TestServeLogsEventsCallsAtDebug(t *testing.T) {
	s := startServer(t, t.TempDir(), "--quickstart", "--log-level", "debug")
	m := trackingIDLine.FindStringSubmatch(s.stdout.String())
	if m == nil {
		t.Fatalf("quickstart output lacks the trackingId:\n%s", s.stdout.String())
	}
	_, events := requestLogClients(s)
	id, err := putOne(t, events, m[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	got := s.waitLog(t, "requestId="+id)
	for _, want := range []string{"level=DEBUG", "msg=request", "api=events", "operation=PutEvents", "status=200", "account=111122223333", "accessKeyId=AKIDLOGS", "latencyMs="} {
		if !strings.Contains(got, want) {
			t.Errorf("line %q lacks %q", got, want)
		}
	}
}

func TestServeRefusesAnUnknownLogFormat(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	cmd := exec.Command(perchBin, "serve", "--addr", "127.0.0.1:0", "--data", dataDir, "--log-format", "xml")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil || !strings.Contains(stderr.String(), `--log-format must be text or json, got "xml"`) {
		t.Errorf("perch serve --log-format xml: %v, %q; want a refusal", err, stderr.String())
	}
}
