package awsapi_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents"
	etypes "github.com/aws/aws-sdk-go-v2/service/personalizeevents/types"
)

// wireRequest is one raw HTTP request as some client sends it.
type wireRequest struct {
	name          string
	region        string // SigV4 credential scope region
	contentSHA256 bool   // send (and sign) X-Amz-Content-Sha256
	chunked       bool   // Transfer-Encoding: chunked instead of Content-Length
	gzip          bool   // Content-Encoding: gzip
	expect100     bool   // Expect: 100-continue
}

// send posts body to url with the given headers the way w describes,
// signed with SigV4 for personalize.
func (w wireRequest) send(t *testing.T, url string, header http.Header, body []byte) *http.Response {
	t.Helper()
	payload := body
	if w.gzip {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write(body); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		payload = buf.Bytes()
	}
	var reader io.Reader = bytes.NewReader(payload)
	if w.chunked {
		// Hiding the length makes net/http send the body chunked.
		reader = io.MultiReader(reader)
	}
	req, err := http.NewRequest(http.MethodPost, url, reader)
	if err != nil {
		t.Fatal(err)
	}
	if w.chunked {
		req.ContentLength = -1
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if w.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if w.expect100 {
		req.Header.Set("Expect", "100-continue")
	}
	sum := sha256.Sum256(payload)
	hash := hex.EncodeToString(sum[:])
	if w.contentSHA256 {
		req.Header.Set("X-Amz-Content-Sha256", hash)
	}
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, "personalize", w.region, time.Now()); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: 5 * time.Second}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", w.name, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// wireVariants are the forms of a request that clients send.
var wireVariants = []wireRequest{
	{name: "plain", region: "us-east-1"},
	{name: "other region", region: "ap-southeast-2"},
	{name: "region of another partition", region: "cn-north-1"},
	{name: "x-amz-content-sha256", region: "eu-west-1", contentSHA256: true},
	{name: "chunked", region: "us-west-2", chunked: true},
	{name: "chunked and sha256", region: "us-west-2", chunked: true, contentSHA256: true},
	{name: "gzip", region: "eu-central-1", gzip: true},
	{name: "gzip chunked", region: "eu-central-1", gzip: true, chunked: true},
	{name: "expect 100-continue", region: "sa-east-1", expect100: true},
	{name: "everything", region: "me-south-1", contentSHA256: true, chunked: true, gzip: true, expect100: true},
}

func TestWireVariantsAreAccepted(t *testing.T) {
	e := newEnv(t)
	g := e.makeGroup("wire")
	variants := wireVariants
	for i, v := range variants {
		session := fmt.Sprintf("wire-session-%d", i)
		body := fmt.Sprintf(`{"trackingId":%q,"userId":"u-%d","sessionId":%q,"eventList":[{"eventId":"wire-%d","eventType":"click","itemId":"item-1","sentAt":1700000000.5,"properties":"{\"device\":\"phone\"}"}]}`,
			g.trackingID, i, session, i)
		resp := v.send(t, e.url+"/events", http.Header{"Content-Type": {"application/json"}}, []byte(body))
		if resp.StatusCode != http.StatusOK {
			msg, _ := io.ReadAll(resp.Body)
			t.Errorf("%s: %s %s", v.name, resp.Status, msg)
			continue
		}
		if resp.Header.Get("x-amzn-RequestId") == "" {
			t.Errorf("%s: no x-amzn-RequestId", v.name)
		}
		recs := e.records(g.datasets["INTERACTIONS"], map[string][]string{"sessionId": {session}})
		if len(recs) != 1 || recs[0]["eventId"] != fmt.Sprintf("wire-%d", i) || recs[0]["sentAt"] != 1700000000.5 {
			t.Errorf("%s: stored %v", v.name, recs)
		}
	}

	// The control plane takes the same variants.
	for _, v := range variants {
		body := []byte(fmt.Sprintf(`{"datasetGroupArn":%q}`, g.arn))
		resp := v.send(t, e.url+"/", http.Header{
			"Content-Type": {"application/x-amz-json-1.1"},
			"X-Amz-Target": {"AmazonPersonalize.DescribeDatasetGroup"},
		}, body)
		if resp.StatusCode != http.StatusOK {
			msg, _ := io.ReadAll(resp.Body)
			t.Errorf("control plane, %s: %s %s", v.name, resp.Status, msg)
		}
	}
}

func TestWireBadEncodings(t *testing.T) {
	e := newEnv(t)
	g := e.makeGroup("encodings")
	event := func(session string) []byte {
		return []byte(fmt.Sprintf(`{"trackingId":%q,"sessionId":%q,"eventList":[{"eventType":"click","sentAt":1700000000}]}`, g.trackingID, session))
	}

	// A gzip bomb: 64 MB of spaces after a valid request compress to about
	// 64 KB, under the wire limit; decompressed they are far over it.
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	_, _ = zw.Write(event("bomb")[:len(event("bomb"))-1])
	chunk := bytes.Repeat([]byte(" "), 1<<20)
	for range 64 {
		_, _ = zw.Write(chunk)
	}
	_, _ = zw.Write([]byte("}"))
	_ = zw.Close()

	cases := []struct {
		name     string
		encoding string
		body     []byte
		status   int
		code     string
		message  string
	}{
		{"gzip bomb", "gzip", bomb.Bytes(), http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException", "larger than the limit"},
		{"not gzip", "gzip", event("not-gzip"), http.StatusBadRequest, "SerializationException", "not gzip data"},
		{"truncated gzip", "gzip", bomb.Bytes()[:1000], http.StatusBadRequest, "SerializationException", "The body is not valid gzip data"},
		{"unknown encoding", "br", event("br"), http.StatusUnsupportedMediaType, "SerializationException", "Content-Encoding br is not supported"},
	}
	for _, c := range cases {
		req, err := http.NewRequest(http.MethodPost, e.url+"/events", bytes.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Content-Encoding", c.encoding)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var body struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("%s: error body: %v", c.name, err)
		}
		if resp.StatusCode != c.status || body.Type != c.code || resp.Header.Get("X-Amzn-ErrorType") != c.code ||
			!strings.Contains(body.Message, c.message) {
			t.Errorf("%s: got %d %s %q, want %d %s containing %q", c.name, resp.StatusCode, body.Type, body.Message, c.status, c.code, c.message)
		}
	}
	if recs := e.records(g.datasets["INTERACTIONS"], nil); len(recs) != 0 {
		t.Errorf("rejected requests stored records: %v", recs)
	}
}

// TestSDKSignedForOtherRegions uses the Go SDK configured for regions other
// than perch's, including another partition's: calls succeed and errors
// keep their modeled type.
func TestSDKSignedForOtherRegions(t *testing.T) {
	e := newEnv(t)
	g := e.makeGroup("regions")
	for _, region := range []string{"ap-northeast-3", "cn-northwest-1", "us-gov-west-1"} {
		client := personalizeevents.New(personalizeevents.Options{
			Region: region, BaseEndpoint: aws.String(e.url), Retryer: aws.NopRetryer{},
			Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
				return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}, nil
			}),
		})
		in := &personalizeevents.PutEventsInput{
			TrackingId: aws.String(g.trackingID), SessionId: aws.String(region),
			EventList: []etypes.Event{{EventType: aws.String("click"), SentAt: aws.Time(time.Unix(1700000000, 0))}},
		}
		if _, err := client.PutEvents(context.Background(), in); err != nil {
			t.Errorf("%s: %v", region, err)
		}
		in.TrackingId = aws.String("00000000-0000-4000-8000-000000000000")
		_, err := client.PutEvents(context.Background(), in)
		wantAPIError(t, err, "InvalidInputException", http.StatusBadRequest, "does not match any event tracker")
	}
}
