package loadgen

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

var clients = []string{ClientFastHTTP, ClientNetHTTP}

// fakeClock is a clock that moves only when told to; the scheduler's
// arithmetic can then be checked exactly, whatever the machine's load.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) SleepUntil(ctx context.Context, t time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
	return ctx.Err() == nil
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func testConfig(endpoint string) Config {
	return Config{
		Endpoint:    endpoint,
		Workload:    testWorkload(),
		Concurrency: 1,
		Timeout:     10 * time.Second,
		Sign:        true,
		Credentials: Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", Region: "us-west-2"},
		Seed:        1,
		RunID:       "test",
	}
}

// runWith runs cfg on clock c with the given client.
func runWith(t *testing.T, cfg Config, c clock, client string) *Report {
	t.Helper()
	endpoints, err := cfg.check()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Client = client
	trs, err := newTransports(client, endpoints, cfg.Concurrency, cfg.Timeout)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll(trs)
	r := newRunner(cfg, endpoints, c, trs)
	r.run(context.Background())
	return r.report()
}

// TestOpenLoopCountsFromScheduledTime runs one worker at 1,000 calls/s
// against a server that takes 3 ms (of the fake clock) per call. Call i is
// scheduled at i ms but can only be sent at 3i ms, when the worker is
// free, and is answered at 3i+3 ms: its latency is 2i+3 ms, the time it
// waited to be sent included. Closed loop, every call takes 3 ms.
func TestOpenLoopCountsFromScheduledTime(t *testing.T) {
	for _, client := range clients {
		t.Run(client, func(t *testing.T) {
			clock := &fakeClock{now: time.Unix(1700000000, 0)}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				clock.advance(3 * time.Millisecond)
			}))
			defer srv.Close()

			cfg := testConfig(srv.URL)
			cfg.Rate = 1000
			cfg.Requests = 10
			rep := runWith(t, cfg, clock, client)
			// 3, 5, ..., 21 ms
			if rep.OK != 10 || rep.Latency.Count != 10 {
				t.Fatalf("%d of %d calls ok, %d latencies; errors %v", rep.OK, rep.Requests, rep.Latency.Count, rep.ErrorSamples)
			}
			if !near(rep.Latency.P50, 11) || !near(rep.Latency.Max, 21) || !near(rep.Latency.Mean, 12) {
				t.Errorf("open loop: latency %+v, want p50 11, max 21, mean 12 ms", rep.Latency)
			}
			if rep.Late != 9 {
				t.Errorf("open loop: %d calls late, want 9 (all but the first)", rep.Late)
			}
			// Call i was sent 2i ms late: 0, 2, ..., 18 ms.
			if d := rep.SendDelay; d == nil || d.Count != 10 || !near(d.P50, 8) || !near(d.Max, 18) || !near(d.Mean, 9) {
				t.Errorf("open loop: send delay %+v, want 10 calls, p50 8, max 18, mean 9 ms", d)
			}
			var text strings.Builder
			if err := rep.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text.String(), "\n  sent after ms mean 9.00  p50 8.00") {
				t.Errorf("the text report has no line for the send delay:\n%s", text.String())
			}
			if rep.Seconds != 0.030 {
				t.Errorf("open loop: measured %g s, want 0.030", rep.Seconds)
			}

			cfg.Rate = 0
			rep = runWith(t, cfg, clock, client)
			if rep.OK != 10 || !near(rep.Latency.P50, 3) || !near(rep.Latency.Max, 3) || rep.Late != 0 {
				t.Errorf("closed loop: %d ok, latency %+v, %d late; want 10 calls of 3 ms", rep.OK, rep.Latency, rep.Late)
			}
			if rep.SendDelay != nil {
				t.Errorf("closed loop: a send delay %+v", rep.SendDelay)
			}
		})
	}
}

// TestCallsCarryTheirScheduledTime runs one worker at one call a second:
// each call is built and signed while the worker waits for its time, yet
// its signature is dated when it is due, not when it was made.
func TestCallsCarryTheirScheduledTime(t *testing.T) {
	start := time.Unix(1700000000, 0)
	clock := &fakeClock{now: start}
	var mu sync.Mutex
	var dates []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		dates = append(dates, r.Header.Get("X-Amz-Date"))
		mu.Unlock()
	}))
	defer srv.Close()
	cfg := testConfig(srv.URL)
	cfg.Rate = 1
	cfg.Requests = 3
	if rep := runWith(t, cfg, clock, ClientFastHTTP); rep.OK != 3 {
		t.Fatalf("%d of %d calls ok; errors %v", rep.OK, rep.Requests, rep.ErrorSamples)
	}
	for i, got := range dates {
		if want := start.Add(time.Duration(i) * time.Second).UTC().Format("20060102T150405Z"); got != want {
			t.Errorf("call %d dated %s, want %s", i, got, want)
		}
	}
}

// near says whether a latency read off the histogram is want, within the
// histogram's precision of three significant digits.
func near(got, want float64) bool { return got >= want && got <= want*1.001 }

// TestWarmupIsLeftOut schedules 20 calls 1 ms apart and a warmup of 10 ms:
// only the last 10 are reported.
func TestWarmupIsLeftOut(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1700000000, 0)}
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		served.Add(1)
	}))
	defer srv.Close()
	cfg := testConfig(srv.URL)
	cfg.Rate = 1000
	cfg.Warmup = 10 * time.Millisecond
	cfg.Duration = 10 * time.Millisecond
	rep := runWith(t, cfg, clock, ClientFastHTTP)
	if served.Load() != 20 || rep.Requests != 10 || rep.OK != 10 {
		t.Errorf("served %d calls, reported %d (%d ok); want 20 served, 10 reported", served.Load(), rep.Requests, rep.OK)
	}
}

// TestTimeline runs 20 calls closed loop, one at a time, on the fake
// clock: the first ten take 2 ms, the last ten 5 ms, and the 15th fails.
// In 10 ms steps the timeline has five 2 ms calls in each of its first
// two intervals and two 5 ms calls in each of the next five, the failed
// one counted in the interval it was sent in, at 40 ms.
func TestTimeline(t *testing.T) {
	for _, client := range clients {
		t.Run(client, func(t *testing.T) {
			clock := &fakeClock{now: time.Unix(1700000000, 0)}
			var n atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				i := n.Add(1)
				if i <= 10 {
					clock.advance(2 * time.Millisecond)
					return
				}
				clock.advance(5 * time.Millisecond)
				if i == 15 {
					w.WriteHeader(http.StatusServiceUnavailable)
				}
			}))
			defer srv.Close()

			cfg := testConfig(srv.URL)
			cfg.Requests = 20
			cfg.Timeline = 10 * time.Millisecond
			rep := runWith(t, cfg, clock, client)
			type row struct {
				at               float64
				requests, errors int64
				ms               float64
			}
			want := []row{{0, 5, 0, 2}, {0.01, 5, 0, 2}, {0.02, 2, 0, 5}, {0.03, 2, 0, 5}, {0.04, 2, 1, 5}, {0.05, 2, 0, 5}, {0.06, 2, 0, 5}}
			var got []row
			for _, in := range rep.Timeline {
				if in.Latency.Count != in.Requests-in.Errors || !near(in.Latency.P50, in.Latency.Max) {
					t.Errorf("interval at %g s: %d latencies of %d calls, %d errors; p50 %g, max %g ms",
						in.At, in.Latency.Count, in.Requests, in.Errors, in.Latency.P50, in.Latency.Max)
				}
				got = append(got, row{math.Round(in.At*1000) / 1000, in.Requests, in.Errors, math.Round(in.Latency.Max)})
			}
			if !slices.Equal(got, want) {
				t.Errorf("timeline (at s, calls, errors, max ms)\n got  %v\n want %v", got, want)
			}
			var text strings.Builder
			if err := rep.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text.String(), "\n       0.04          2        1      5.0") {
				t.Errorf("the text report has no line for the interval at 0.04 s:\n%s", text.String())
			}
			n.Store(0)
		})
	}
}

// TestReportAddsUp drives a server that answers some calls with errors, as
// perch and AWS send them and otherwise, and checks that every call is
// counted once.
func TestReportAddsUp(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		switch i := n.Add(1); {
		case i%5 == 0:
			w.Header().Set("X-Amzn-ErrorType", "ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.availability/")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"__type":"ThrottlingException","message":"Rate exceeded"}`)
		case i%7 == 0:
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"__type":"com.amazonaws.personalize#ServiceUnavailable","message":"busy"}`)
		case i%11 == 0:
			http.Error(w, "no", http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	for _, client := range clients {
		t.Run(client, func(t *testing.T) {
			cfg := testConfig(srv.URL)
			cfg.Workload.Mix = Mix{PutEvents: 3, PutItems: 1, PutUsers: 1}
			cfg.Workload.BatchMin = 1
			cfg.Concurrency = 4
			cfg.Requests = 770
			rep := runWith(t, cfg, wallClock{}, client)
			var errors, requests, ok, records int64
			for _, c := range rep.Errors {
				errors += c
			}
			for _, k := range rep.Kinds {
				requests += k.Requests
				ok += k.OK
				records += k.Records
				if k.Latency.Count != k.OK {
					t.Errorf("%s: %d latencies of %d ok calls", k.Operation, k.Latency.Count, k.OK)
				}
			}
			if rep.Requests != 770 || requests != rep.Requests || ok != rep.OK || rep.OK+errors != rep.Requests {
				t.Errorf("requests %d (by kind %d), ok %d (by kind %d), errors %d", rep.Requests, requests, rep.OK, ok, errors)
			}
			if rep.Latency.Count != rep.OK {
				t.Errorf("%d latencies of %d ok calls", rep.Latency.Count, rep.OK)
			}
			if len(rep.Kinds) != 3 {
				t.Errorf("kinds %+v, want PutEvents, PutItems and PutUsers", rep.Kinds)
			}
			if got := rep.RecordsPerSecond * rep.Seconds; got < float64(records)-0.5 || got > float64(records)+0.5 {
				t.Errorf("records/s x seconds = %g, counted %d", got, records)
			}
			// Of the calls 1-770 the server saw: 154 multiples of 5, 88 of 7
			// but not 5, 48 of 11 but neither.
			want := map[string]int64{"ThrottlingException": 154, "ServiceUnavailable": 88, "HTTP 500": 48}
			for typ, c := range want {
				if rep.Errors[typ] != c {
					t.Errorf("errors %v, want %v", rep.Errors, want)
					break
				}
			}
			if !strings.Contains(rep.ErrorSamples["ThrottlingException"], "Rate exceeded") {
				t.Errorf("error samples %v", rep.ErrorSamples)
			}
			n.Store(0)
		})
	}
}

func TestTransportErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	for _, client := range clients {
		cfg := testConfig("http://" + addr)
		cfg.Requests = 5
		rep := runWith(t, cfg, wallClock{}, client)
		if rep.Requests != 5 || rep.Errors["connection refused"] != 5 {
			t.Errorf("%s: %d calls, errors %v; want 5 refused connections", client, rep.Requests, rep.Errors)
		}
	}
}

// TestSignature re-signs each received call the way a SigV4 verifier
// does, from what arrived on the wire, and compares signatures.
func TestSignature(t *testing.T) {
	for _, contentSHA256 := range []bool{false, true} {
		for _, client := range clients {
			var checked atomic.Int64
			var failure atomic.Value
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if msg := verifySignature(r, contentSHA256); msg != "" {
					failure.CompareAndSwap(nil, msg)
				}
				checked.Add(1)
			}))
			cfg := testConfig(srv.URL)
			cfg.ContentSHA256 = contentSHA256
			cfg.Workload.Mix = Mix{1, 1, 1}
			cfg.Requests = 30
			rep := runWith(t, cfg, wallClock{}, client)
			srv.Close()
			if msg := failure.Load(); msg != nil {
				t.Errorf("%s, X-Amz-Content-Sha256 %t: %s", client, contentSHA256, msg)
			}
			if rep.OK != 30 || checked.Load() != 30 {
				t.Errorf("%s: %d calls ok, %d checked", client, rep.OK, checked.Load())
			}
		}
	}
}

// sdkSignedHeaders are the headers aws-sdk-go-v2 signs in an events API call.
const sdkSignedHeaders = "amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-date"

func verifySignature(r *http.Request, contentSHA256 bool) string {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err.Error()
	}
	auth := r.Header.Get("Authorization")
	wantHeaders := sdkSignedHeaders
	if contentSHA256 {
		wantHeaders = strings.Replace(wantHeaders, "x-amz-date", "x-amz-content-sha256;x-amz-date", 1)
	}
	if !strings.Contains(auth, "/us-west-2/personalize/aws4_request, SignedHeaders="+wantHeaders+",") {
		return "Authorization " + auth + " does not sign " + wantHeaders + " for personalize in us-west-2"
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	if got := r.Header.Get("X-Amz-Content-Sha256"); (got != "") != contentSHA256 || (contentSHA256 && got != hash) {
		return "X-Amz-Content-Sha256 " + got + ", body hash " + hash
	}
	signedAt, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return err.Error()
	}
	again := &http.Request{Method: r.Method, URL: &url.URL{Path: r.URL.Path}, Host: r.Host, ContentLength: r.ContentLength, Header: http.Header{}}
	for _, name := range strings.Split(wantHeaders, ";") {
		if name != "host" && name != "content-length" && name != "x-amz-date" {
			again.Header.Set(name, r.Header.Get(name))
		}
	}
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"},
		again, hash, "personalize", "us-west-2", signedAt)
	if err != nil {
		return err.Error()
	}
	if again.Header.Get("Authorization") != auth {
		return "signature does not verify:\n got  " + auth + "\n want " + again.Header.Get("Authorization")
	}
	return ""
}

func TestUnsigned(t *testing.T) {
	var signed atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			signed.Add(1)
		}
	}))
	defer srv.Close()
	cfg := testConfig(srv.URL)
	cfg.Sign = false
	cfg.Requests = 5
	if rep := runWith(t, cfg, wallClock{}, ClientFastHTTP); rep.OK != 5 || signed.Load() != 0 {
		t.Errorf("%d ok, %d signed; want 5 unsigned calls", rep.OK, signed.Load())
	}
}

func TestConfigChecks(t *testing.T) {
	for _, bad := range []func(*Config){
		func(c *Config) { c.Endpoint = "127.0.0.1:8080" },
		func(c *Config) { c.Endpoint = "http://127.0.0.1:8080,127.0.0.1:8081" },
		func(c *Config) { c.Endpoint = "http://127.0.0.1:8080,http://127.0.0.1:8081" }, // 1 connection for 2
		func(c *Config) { c.Concurrency = 0 },
		func(c *Config) { c.Requests, c.Duration = 0, 0 },
		func(c *Config) { c.Rate = -1 },
		func(c *Config) { c.Timeline = time.Millisecond },
		func(c *Config) { c.Credentials.SecretAccessKey = "" },
		func(c *Config) { c.Workload.TrackingID = "" },
		func(c *Config) { c.Workload.Mix = Mix{PutItems: 1}; c.Workload.ItemsDataset = "" },
		func(c *Config) { c.Workload.Zipf = 1 },
		func(c *Config) { c.Workload.Impressions = 26 },
	} {
		cfg := testConfig("http://127.0.0.1:8080")
		cfg.Requests = 1
		bad(&cfg)
		if _, err := Run(context.Background(), cfg); err == nil {
			t.Errorf("Run accepted %+v", cfg)
		}
	}
}

// BenchmarkSign is the generator's cost of the headers of one call, signed
// as the SDK signs it.
func BenchmarkSign(b *testing.B) {
	u, _ := url.Parse("http://127.0.0.1:8080")
	m := newHeaderMaker(v4.NewSigner(), Credentials{"AKIDEXAMPLE", "secret", "us-east-1"}, false, u)
	r := request{kind: PutEvents, body: SampleBody(testWorkload(), 1)}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.headers(ctx, r, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSeveralEndpoints loads three servers at once with seven workers:
// each server must get the connections dealt to it (3, 2 and 2), every
// call a worker sends must reach its own server, signed for that server's
// host, and the report's part of each endpoint must be what that server
// saw.
func TestSeveralEndpoints(t *testing.T) {
	for _, client := range clients {
		t.Run(client, func(t *testing.T) {
			type seen struct {
				calls   atomic.Int64
				mu      sync.Mutex
				remotes map[string]bool
			}
			var failure atomic.Value
			servers := make([]*httptest.Server, 3)
			views := make([]*seen, 3)
			var urls []string
			for i := range servers {
				v := &seen{remotes: map[string]bool{}}
				views[i] = v
				servers[i] = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if msg := verifySignature(r, false); msg != "" {
						failure.CompareAndSwap(nil, msg)
					}
					v.calls.Add(1)
					v.mu.Lock()
					v.remotes[r.RemoteAddr] = true
					v.mu.Unlock()
				}))
				defer servers[i].Close()
				urls = append(urls, servers[i].URL)
			}
			cfg := testConfig(strings.Join(urls, ", "))
			cfg.Concurrency = 7
			cfg.Requests = 700
			rep := runWith(t, cfg, wallClock{}, client)
			if msg := failure.Load(); msg != nil {
				t.Error(msg)
			}
			if rep.OK != 700 {
				t.Fatalf("%d of %d calls ok; errors %v", rep.OK, rep.Requests, rep.ErrorSamples)
			}
			if rep.Endpoint != strings.Join(urls, ",") || len(rep.Endpoints) != 3 {
				t.Fatalf("the report names %q, with parts %+v; want the three servers", rep.Endpoint, rep.Endpoints)
			}
			var total int64
			for i, e := range rep.Endpoints {
				v := views[i]
				wantConns := []int{3, 2, 2}[i]
				if e.Endpoint != urls[i] || e.Connections != wantConns {
					t.Errorf("endpoint %d: %s with %d connections; want %s with %d", i, e.Endpoint, e.Connections, urls[i], wantConns)
				}
				// A worker keeps its connection: the server sees as many
				// as the workers dealt to it, or fewer if one had no turn.
				if n := len(v.remotes); n == 0 || n > wantConns {
					t.Errorf("%s: calls came over %d connections; want 1 to %d", urls[i], n, wantConns)
				}
				if e.Requests != v.calls.Load() || e.OK != e.Requests || e.Requests == 0 {
					t.Errorf("%s: served %d calls; the report says %d sent, %d ok", urls[i], v.calls.Load(), e.Requests, e.OK)
				}
				total += e.Requests
			}
			if total != rep.Requests {
				t.Errorf("the endpoints' parts add up to %d calls of %d", total, rep.Requests)
			}
			var text strings.Builder
			if err := rep.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			if want := "\n  endpoint   " + urls[2] + ": 2 connections, "; !strings.Contains(text.String(), want) {
				t.Errorf("the text report has no line %q:\n%s", want, text.String())
			}
		})
	}
}

// TestOneEndpointReport: with one endpoint the report keeps its form, the
// URL as given and no parts.
func TestOneEndpointReport(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }))
	defer srv.Close()
	cfg := testConfig(srv.URL)
	cfg.Requests = 3
	rep := runWith(t, cfg, wallClock{}, ClientFastHTTP)
	if rep.Endpoint != srv.URL || rep.Endpoints != nil {
		t.Errorf("the report names %q with parts %+v; want %q alone", rep.Endpoint, rep.Endpoints, srv.URL)
	}
	var text strings.Builder
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text.String(), "endpoint ") {
		t.Errorf("the text report of one endpoint has a line per endpoint:\n%s", text.String())
	}
}
