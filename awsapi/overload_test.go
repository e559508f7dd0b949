package awsapi_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents"
	etypes "github.com/aws/aws-sdk-go-v2/service/personalizeevents/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// TestOverloadIsThrottled holds every events call the server may serve at
// once (each has sent its headers and half its body), then sends more:
// those are answered ThrottlingException at once, in AWS's envelope, and
// leave nothing behind; once the held calls finish, calls are taken
// again. The held calls are written to disk like any other.
func TestOverloadIsThrottled(t *testing.T) {
	const limit = 4
	e := newEnv(t)
	e.maxInFlight = limit
	e.restart()
	g := e.makeGroup("overload")
	ctx := context.Background()

	body := fmt.Sprintf(`{"trackingId":%q,"userId":"held","sessionId":"s","eventList":[{"eventType":"click","sentAt":1700000000}]}`, g.trackingID)
	addr := strings.TrimPrefix(e.url, "http://")
	var held []net.Conn
	for range limit {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /events HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", addr, len(body), body[:len(body)/2])
		held = append(held, c)
	}

	// The held calls take their places as their handlers start.
	tr := &http.Transport{}
	client := personalizeevents.New(personalizeevents.Options{
		Region: testRegion, BaseEndpoint: aws.String(e.url), Retryer: aws.NopRetryer{}, HTTPClient: &http.Client{Transport: tr},
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return testKey, nil }),
	})
	put := func(user string) error {
		_, err := client.PutEvents(ctx, &personalizeevents.PutEventsInput{
			TrackingId: aws.String(g.trackingID), UserId: aws.String(user), SessionId: aws.String("s"),
			EventList: []etypes.Event{{EventType: aws.String("click"), SentAt: aws.Time(time.Unix(1700000000, 0))}},
		})
		return err
	}
	// Until then probes get through: probes with an unknown tracking id,
	// which are refused after the bound is checked and store nothing.
	probe := func() error {
		_, err := client.PutEvents(ctx, &personalizeevents.PutEventsInput{
			TrackingId: aws.String("00000000-0000-0000-0000-000000000000"), SessionId: aws.String("s"),
			EventList: []etypes.Event{{EventType: aws.String("click"), SentAt: aws.Time(time.Unix(1700000000, 0))}},
		})
		return err
	}
	var last error
	eventually(t, "every place to be taken", func() bool {
		last = probe()
		var apiErr smithy.APIError
		if !errors.As(last, &apiErr) {
			t.Fatalf("a probe: %v", last)
		}
		if apiErr.ErrorCode() == "ThrottlingException" {
			return true
		}
		// A held call that ended early would free its place for good.
		for i, c := range held {
			c.SetReadDeadline(time.Now().Add(time.Millisecond))
			if n, err := c.Read(make([]byte, 1)); n > 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("held call %d was answered or closed early: %d bytes, %v", i, n, err)
			}
		}
		return false
	})
	wantAPIError(t, last, "ThrottlingException", http.StatusBadRequest, "already serving 4 events calls", "retry")
	for _, c := range held {
		c.SetReadDeadline(time.Time{})
	}

	// A burst over many connections is refused whole and promptly; it
	// leaves no goroutine behind.
	before := runtime.NumGoroutine()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- put(fmt.Sprintf("burst-%d", i))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ThrottlingException" {
			t.Fatalf("a call of the burst: %v, want ThrottlingException", err)
		}
	}
	tr.CloseIdleConnections()
	eventually(t, "the burst's goroutines to end", func() bool { return runtime.NumGoroutine() <= before+4 })

	// The held calls finish, are stored, and free their places.
	for _, c := range held {
		if _, err := io.WriteString(c, body[len(body)/2:]); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("a held call: HTTP %d", res.StatusCode)
		}
	}
	if err := put("after"); err != nil {
		t.Fatalf("a call once the held ones finished: %v", err)
	}
	if n := len(e.records(g.datasets["INTERACTIONS"], url.Values{"userId": {"held"}})); n != limit {
		t.Errorf("%d events of the held calls stored, want %d", n, limit)
	}
	if n, want := len(e.records(g.datasets["INTERACTIONS"], nil)), limit+1; n != want {
		t.Errorf("%d events stored, want %d: the held calls and the last call", n, want)
	}
}

// eventually polls cond until it holds, failing the test if it does not
// within a generous bound.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("waited 10 s for %s", what)
}

// TestOverloadIsThrottledBeforeAuthentication is the overload test with
// --auth sigv4: the calls within the bound are read, verified (a forged
// one is refused) and served; the calls past it are answered
// ThrottlingException without their body being read, so without their
// signature being checked, whether it is valid, forged or missing.
func TestOverloadIsThrottledBeforeAuthentication(t *testing.T) {
	const limit = 3
	e, _ := newSignedEnv(t)
	e.maxInFlight = limit
	bodies := &bodyWatch{read: map[string]bool{}, first: make(chan string, 16)}
	e.wrap = bodies.wrap
	e.restart()
	g := e.makeGroup("overload")
	ctx := context.Background()
	forged := aws.Credentials{AccessKeyID: testKey.AccessKeyID, SecretAccessKey: "not-the-secret"}

	// The held calls send their signed header section and half their
	// body; one of them is signed with a wrong secret.
	body := fmt.Sprintf(`{"trackingId":%q,"userId":"held","sessionId":"s","eventList":[{"eventType":"click","sentAt":1700000000}]}`, g.trackingID)
	addr := strings.TrimPrefix(e.url, "http://")
	held := map[string]net.Conn{}
	for i := range limit {
		name, creds := fmt.Sprintf("held-%d", i), testKey
		if i == 0 {
			name, creds = "held-forged", forged
		}
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := io.WriteString(c, signedHead(t, e.url+"/events", name, creds, body)+body[:len(body)/2]); err != nil {
			t.Fatal(err)
		}
		held[name] = c
	}
	// A held call has its place once the server starts reading its body.
	for range limit {
		select {
		case name := <-bodies.first:
			if held[name] == nil {
				t.Fatalf("the body of %q was read while the held calls took their places", name)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("waited 10 s for the held calls to take their places")
		}
	}

	_, events := e.clients(testKey)
	_, forgedEvents := e.clients(forged)
	put := func(client *personalizeevents.Client, name string) error {
		_, err := client.PutEvents(ctx, &personalizeevents.PutEventsInput{
			TrackingId: aws.String(g.trackingID), UserId: aws.String(name), SessionId: aws.String("s"),
			EventList: []etypes.Event{{EventType: aws.String("click"), SentAt: aws.Time(time.Unix(1700000000, 0))}},
		}, personalizeevents.WithAPIOptions(smithyhttp.AddHeaderValue(callHeader, name)))
		return err
	}
	wantAPIError(t, put(events, "over-signed"), "ThrottlingException", http.StatusBadRequest, "already serving 3 events calls")
	wantAPIError(t, put(forgedEvents, "over-forged"), "ThrottlingException", http.StatusBadRequest, "already serving 3 events calls")
	req, err := http.NewRequest(http.MethodPost, e.url+"/events", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(callHeader, "over-unsigned")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if code := resp.Header.Get("X-Amzn-ErrorType"); resp.StatusCode != http.StatusBadRequest || code != "ThrottlingException" {
		t.Errorf("an unsigned call past the bound: HTTP %d %s, want 400 ThrottlingException", resp.StatusCode, code)
	}
	for _, name := range []string{"over-signed", "over-forged", "over-unsigned"} {
		read, seen := bodies.wasRead(name)
		if !seen || read {
			t.Errorf("%s: seen by the server %v, body read %v; want seen and not read", name, seen, read)
		}
	}

	// The held calls finish: their bodies are read and their signatures
	// checked, so the forged one is refused and the others are stored.
	for name, c := range held {
		if _, err := io.WriteString(c, body[len(body)/2:]); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		status, code := res.StatusCode, res.Header.Get("X-Amzn-ErrorType")
		if name == "held-forged" {
			if status != http.StatusForbidden || code != "InvalidSignatureException" {
				t.Errorf("%s: HTTP %d %s, want 403 InvalidSignatureException", name, status, code)
			}
		} else if status != http.StatusOK {
			t.Errorf("%s: HTTP %d %s, want 200", name, status, code)
		}
		if read, _ := bodies.wasRead(name); !read {
			t.Errorf("%s: its body was not read", name)
		}
	}
	if err := put(events, "after"); err != nil {
		t.Fatalf("a call once the held ones finished: %v", err)
	}
	if n := len(e.records(g.datasets["INTERACTIONS"], url.Values{"userId": {"held"}})); n != limit-1 {
		t.Errorf("%d events of the held calls stored, want %d: all but the forged one", n, limit-1)
	}
	if n, want := len(e.records(g.datasets["INTERACTIONS"], nil)), limit; n != want {
		t.Errorf("%d events stored, want %d: the held calls but the forged one, and the last call", n, want)
	}
}

// callHeader names a test's call, for bodyWatch.
const callHeader = "X-Test-Call"

// bodyWatch wraps a handler to tell which calls (named by callHeader)
// the handler read the body of. net/http itself may discard an unread
// body after the answer; that is not the handler reading it.
type bodyWatch struct {
	mu   sync.Mutex
	read map[string]bool
	// first receives a call's name when the handler first reads its body.
	first chan string
}

func (b *bodyWatch) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if name := r.Header.Get(callHeader); name != "" {
			b.mu.Lock()
			b.read[name] = false
			b.mu.Unlock()
			r.Body = &watchedBody{ReadCloser: r.Body, watch: b, name: name}
		}
		h.ServeHTTP(w, r)
	})
}

// wasRead says whether the server saw the call name and read its body.
func (b *bodyWatch) wasRead(name string) (read, seen bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	read, seen = b.read[name]
	return read, seen
}

type watchedBody struct {
	io.ReadCloser
	watch *bodyWatch
	name  string
	once  sync.Once
}

func (wb *watchedBody) Read(p []byte) (int, error) {
	wb.once.Do(func() {
		wb.watch.mu.Lock()
		wb.watch.read[wb.name] = true
		wb.watch.mu.Unlock()
		wb.watch.first <- wb.name
	})
	return wb.ReadCloser.Read(p)
}

// signedHead is the header section of a POST of body to rawURL, signed
// with creds, for a test to send over a connection of its own.
func signedHead(t *testing.T, rawURL, name string, creds aws.Credentials, body string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(callHeader, name)
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "personalize", testRegion, time.Now()); err != nil {
		t.Fatal(err)
	}
	var head strings.Builder
	fmt.Fprintf(&head, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", req.URL.RequestURI(), req.Host, len(body))
	if err := req.Header.Write(&head); err != nil {
		t.Fatal(err)
	}
	head.WriteString("\r\n")
	return head.String()
}
