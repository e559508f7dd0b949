package awsapi_test

import (
	"bufio"
	"context"
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
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents"
	etypes "github.com/aws/aws-sdk-go-v2/service/personalizeevents/types"
	"github.com/aws/smithy-go"
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
