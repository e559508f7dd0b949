package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/google/uuid"
	"github.com/valyala/fasthttp"

	"github.com/perchdev/perch/loadgen"
)

// The runtime calls --recommend-call makes.
const (
	callRecommendations = "GetRecommendations"
	// callDescribeCampaign is a control-plane read of one record: the
	// baseline of what the machine allows a call at the same rate.
	callDescribeCampaign = "DescribeCampaign"
)

// runtimeConfig is an open-loop load of runtime calls beside the events
// load, or a closed loop.
type runtimeConfig struct {
	endpoint *url.URL
	call     string
	campaign string
	rate     float64
	// closed sends each connection's next call as soon as its last is
	// answered, rate ignored: the most calls a second the server answers
	// on that many connections.
	closed      bool
	concurrency int
	warmup      time.Duration
	duration    time.Duration
	timeout     time.Duration
	sign        bool
	creds       loadgen.Credentials
	seed        uint64

	numResults int
	// known are the users of the model's data; unknownShare of the calls
	// ask for one of unknownUsers other users instead, named as the
	// events load names its users (user-N), so that those the events load
	// sends events for are served from those events alone.
	known        []string
	unknownShare float64
	unknownUsers int
}

func (c *runtimeConfig) check() error {
	switch {
	case c.call != callRecommendations && c.call != callDescribeCampaign:
		return fmt.Errorf("--recommend-call %q: use %s or %s", c.call, callRecommendations, callDescribeCampaign)
	case c.campaign == "":
		return fmt.Errorf("runtime calls need a campaign: --campaign ARN, or --prepare")
	case (c.rate <= 0 && !c.closed) || c.concurrency < 1 || c.duration <= 0:
		return fmt.Errorf("runtime calls need a positive --recommend-rate (or --recommend-closed), --recommend-concurrency and --duration")
	case c.call == callRecommendations && (c.numResults < 1 || c.numResults > 500):
		return fmt.Errorf("--num-results must be within 1-500")
	case c.unknownShare < 0 || c.unknownShare > 1:
		return fmt.Errorf("--unknown-users must be within 0-1")
	case c.call == callRecommendations && c.unknownShare < 1 && len(c.known) == 0:
		return fmt.Errorf("no known users to ask for")
	case c.sign && (c.creds.AccessKeyID == "" || c.creds.SecretAccessKey == "" || c.creds.Region == ""):
		return fmt.Errorf("signing needs an access key, a secret key and a region")
	}
	return nil
}

// RuntimeReport is what the runtime calls measured, after the warmup.
type RuntimeReport struct {
	Operation   string  `json:"operation"`
	Endpoint    string  `json:"endpoint"`
	TargetRate  float64 `json:"targetRate"`
	Closed      bool    `json:"closed,omitempty"`
	Concurrency int     `json:"concurrency"`
	Signed      bool    `json:"signed"`
	NumResults  int     `json:"numResults,omitempty"`
	// UnknownShare is the share of GetRecommendations calls for users
	// the model was not trained on.
	UnknownShare float64 `json:"unknownShare"`
	Warmup       float64 `json:"warmupSeconds"`
	Seconds      float64 `json:"seconds"`

	Requests          int64             `json:"requests"`
	OK                int64             `json:"ok"`
	Errors            map[string]int64  `json:"errors"`
	ErrorSamples      map[string]string `json:"errorSamples,omitempty"`
	RequestsPerSecond float64           `json:"requestsPerSecond"`
	// Latency of the calls answered 200, from the time each was
	// scheduled; Known and Unknown split GetRecommendations' by user.
	Latency loadgen.Latency  `json:"latencyMs"`
	Known   *loadgen.Latency `json:"knownUsersMs,omitempty"`
	Unknown *loadgen.Latency `json:"unknownUsersMs,omitempty"`
	// ShortAnswers counts GetRecommendations answers with fewer items
	// than asked for.
	ShortAnswers int64 `json:"shortAnswers"`
	// Late counts calls sent more than a millisecond after their time;
	// SendDelay is how long after it they were sent: the generator's part
	// of the latency.
	Late      int64           `json:"late"`
	SendDelay loadgen.Latency `json:"sendDelayMs"`
}

// The histograms' range and precision: microseconds from 1 µs to a
// minute, three significant digits.
const (
	histLowest  = 1
	histHighest = int64(time.Minute / time.Microsecond)
	histDigits  = 3
)

// lateAfter is how far behind its time a call may be sent before it
// counts as late.
const lateAfter = time.Millisecond

// runtimeLoad is one run of runtime calls; its workers share it.
type runtimeLoad struct {
	cfg      runtimeConfig
	client   *fasthttp.HostClient
	base     string
	start    time.Time
	measure  time.Time // end of the warmup
	stop     time.Time
	interval float64 // nanoseconds between calls
	tickets  atomic.Int64

	mu                    sync.Mutex
	known, unknown, delay *hdrhistogram.Histogram
	requests, ok, late    int64
	short                 int64
	errors                map[string]int64
	samples               map[string]string
	last                  time.Time
}

// runRuntime sends cfg's calls on their schedule until the run ends, or
// ctx does, and reports them.
func runRuntime(ctx context.Context, cfg runtimeConfig) (*RuntimeReport, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	r := &runtimeLoad{
		cfg:  cfg,
		base: strings.TrimRight(cfg.endpoint.String(), "/"),
		client: &fasthttp.HostClient{
			Addr:                     hostPort(cfg.endpoint),
			MaxConns:                 cfg.concurrency,
			ReadTimeout:              cfg.timeout,
			WriteTimeout:             cfg.timeout,
			MaxIdleConnDuration:      time.Minute,
			NoDefaultUserAgentHeader: true,
		},
		interval: float64(time.Second) / max(cfg.rate, 1),
		known:    hdrhistogram.New(histLowest, histHighest, histDigits),
		unknown:  hdrhistogram.New(histLowest, histHighest, histDigits),
		delay:    hdrhistogram.New(histLowest, histHighest, histDigits),
		errors:   map[string]int64{},
		samples:  map[string]string{},
	}
	if cfg.endpoint.Scheme != "http" {
		return nil, fmt.Errorf("runtime calls are sent over plain http; %s is not", cfg.endpoint)
	}
	defer r.client.CloseIdleConnections()
	r.start = time.Now()
	r.measure = r.start.Add(cfg.warmup)
	r.stop = r.measure.Add(cfg.duration)
	var wg sync.WaitGroup
	for w := range cfg.concurrency {
		wg.Go(func() { r.work(ctx, w) })
	}
	wg.Wait()
	return r.report(), nil
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// call is one runtime call, built before its time.
type call struct {
	path    string
	target  string // X-Amz-Target of a control-plane call
	header  http.Header
	body    []byte
	unknown bool // for a user the model was not trained on
}

// work sends calls, one at a time, each at its scheduled time.
func (r *runtimeLoad) work(ctx context.Context, w int) {
	rng := rand.New(rand.NewPCG(r.cfg.seed, uint64(w)))
	signer := signerFor(r.cfg)
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	var body []byte
	for ctx.Err() == nil {
		var scheduled time.Time
		if !r.cfg.closed {
			i := r.tickets.Add(1) - 1
			scheduled = r.start.Add(time.Duration(float64(i) * r.interval))
			if !scheduled.Before(r.stop) {
				return
			}
		}
		// Built and signed before its time, as a client has its request
		// ready when it sends it, so that the generator's work stays out
		// of the latency.
		var c call
		body, c = r.build(body[:0], rng)
		c.header, c.body = signer.headers(ctx, c, later(scheduled, time.Now()))
		if r.cfg.closed {
			// A closed loop's call is due when it is ready.
			if scheduled = time.Now(); !scheduled.Before(r.stop) {
				return
			}
		} else if !sleepUntil(ctx, scheduled) {
			return
		}
		sent := time.Now()
		errorType, detail := r.send(req, resp, c)
		done := time.Now()
		if scheduled.Before(r.measure) {
			continue
		}
		items := -1
		if errorType == "" && r.cfg.call == callRecommendations {
			items = bytes.Count(resp.Body(), []byte(`"itemId"`))
		}
		r.record(c.unknown, scheduled, sent, done, errorType, detail, items)
	}
}

// build writes the next call's body, as aws-sdk-go-v2 writes it (members
// in the model's order), into body.
func (r *runtimeLoad) build(body []byte, rng *rand.Rand) ([]byte, call) {
	if r.cfg.call == callDescribeCampaign {
		body = append(body, `{"campaignArn":`...)
		body = strconv.AppendQuote(body, r.cfg.campaign)
		body = append(body, '}')
		return body, call{path: "/", target: "AmazonPersonalize." + callDescribeCampaign, body: body}
	}
	c := call{path: "/recommendations"}
	body = append(body, `{"campaignArn":`...)
	body = strconv.AppendQuote(body, r.cfg.campaign)
	body = append(body, `,"numResults":`...)
	body = strconv.AppendInt(body, int64(r.cfg.numResults), 10)
	body = append(body, `,"userId":"`...)
	if len(r.cfg.known) == 0 || rng.Float64() < r.cfg.unknownShare {
		c.unknown = true
		body = append(body, "user-"...)
		body = strconv.AppendInt(body, int64(rng.IntN(max(r.cfg.unknownUsers, 1))), 10)
	} else {
		body = append(body, r.cfg.known[rng.IntN(len(r.cfg.known))]...)
	}
	body = append(body, `"}`...)
	c.body = body
	return body, c
}

// send makes one call and returns its error type ("" for a 200) and,
// for an error, what it said.
func (r *runtimeLoad) send(req *fasthttp.Request, resp *fasthttp.Response, c call) (string, string) {
	req.Reset()
	req.Header.SetMethod(http.MethodPost)
	req.SetRequestURI(r.base + c.path)
	for k, v := range c.header {
		req.Header.Set(k, v[0])
	}
	req.SetBodyRaw(c.body)
	if err := r.client.Do(req, resp); err != nil {
		switch {
		case errors.Is(err, fasthttp.ErrTimeout):
			return "timeout", err.Error()
		case errors.Is(err, io.EOF), errors.Is(err, fasthttp.ErrConnectionClosed):
			return "connection closed", err.Error()
		}
		return "transport error", err.Error()
	}
	status := resp.StatusCode()
	if status == http.StatusOK {
		return "", ""
	}
	code, _, _ := strings.Cut(string(resp.Header.Peek("X-Amzn-ErrorType")), ":")
	if code == "" {
		code = "HTTP " + strconv.Itoa(status)
	}
	b := resp.Body()
	return code, fmt.Sprintf("HTTP %d: %s", status, b[:min(len(b), 200)])
}

func (r *runtimeLoad) record(unknown bool, scheduled, sent, done time.Time, errorType, detail string, items int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	if done.After(r.last) {
		r.last = done
	}
	if sent.Sub(scheduled) > lateAfter {
		r.late++
	}
	recordLatency(r.delay, sent.Sub(scheduled))
	if errorType != "" {
		r.errors[errorType]++
		if _, ok := r.samples[errorType]; !ok {
			r.samples[errorType] = detail
		}
		return
	}
	r.ok++
	if items >= 0 && items < r.cfg.numResults {
		r.short++
	}
	h := r.known
	if unknown {
		h = r.unknown
	}
	recordLatency(h, done.Sub(scheduled))
}

func recordLatency(h *hdrhistogram.Histogram, d time.Duration) {
	_ = h.RecordValue(min(max(d.Microseconds(), histLowest), histHighest)) // within range by construction
}

func (r *runtimeLoad) report() *RuntimeReport {
	rep := &RuntimeReport{
		Operation: r.cfg.call, Endpoint: r.cfg.endpoint.String(), TargetRate: r.cfg.rate, Closed: r.cfg.closed, Concurrency: r.cfg.concurrency,
		Signed: r.cfg.sign, Warmup: r.cfg.warmup.Seconds(),
		Requests: r.requests, OK: r.ok, Errors: r.errors, Late: r.late, ShortAnswers: r.short,
		SendDelay: summarise(r.delay),
	}
	if len(r.samples) > 0 {
		rep.ErrorSamples = r.samples
	}
	all := hdrhistogram.New(histLowest, histHighest, histDigits)
	all.Merge(r.known)
	all.Merge(r.unknown)
	rep.Latency = summarise(all)
	if r.cfg.call == callRecommendations {
		rep.NumResults, rep.UnknownShare = r.cfg.numResults, r.cfg.unknownShare
		known, unknown := summarise(r.known), summarise(r.unknown)
		rep.Known, rep.Unknown = &known, &unknown
	}
	if r.last.After(r.measure) {
		rep.Seconds = r.last.Sub(r.measure).Seconds()
		rep.RequestsPerSecond = float64(rep.Requests) / rep.Seconds
	}
	return rep
}

func summarise(h *hdrhistogram.Histogram) loadgen.Latency {
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return loadgen.Latency{
		Count: h.TotalCount(), Mean: h.Mean() / 1000,
		P50: ms(h.ValueAtPercentile(50)), P90: ms(h.ValueAtPercentile(90)), P99: ms(h.ValueAtPercentile(99)),
		P999: ms(h.ValueAtPercentile(99.9)), Max: ms(h.Max()),
	}
}

// WriteText writes the report for people.
func (rep *RuntimeReport) WriteText(w io.Writer) error {
	var b strings.Builder
	signed := "unsigned"
	if rep.Signed {
		signed = "SigV4-signed"
	}
	if rep.Closed {
		fmt.Fprintf(&b, "%s %s: closed loop on %d connections, %s", rep.Endpoint, rep.Operation, rep.Concurrency, signed)
	} else {
		fmt.Fprintf(&b, "%s %s: open loop at %g calls/s, at most %d in flight, %s", rep.Endpoint, rep.Operation, rep.TargetRate, rep.Concurrency, signed)
	}
	if rep.Operation == callRecommendations {
		fmt.Fprintf(&b, ", %d results, %.0f%% for users the model did not see", rep.NumResults, rep.UnknownShare*100)
	}
	fmt.Fprintf(&b, "\n  measured   %.1f s after %.1f s of warmup\n", rep.Seconds, rep.Warmup)
	fmt.Fprintf(&b, "  requests   %d (%.0f/s), %d ok, %d errors\n", rep.Requests, rep.RequestsPerSecond, rep.OK, rep.Requests-rep.OK)
	fmt.Fprintf(&b, "  latency    %s\n", rep.Latency)
	if rep.Known != nil {
		fmt.Fprintf(&b, "  known      %s\n", rep.Known)
		fmt.Fprintf(&b, "  unknown    %s\n", rep.Unknown)
		fmt.Fprintf(&b, "  answers    %d with fewer than %d items\n", rep.ShortAnswers, rep.NumResults)
	}
	for _, typ := range slices.Sorted(maps.Keys(rep.Errors)) {
		fmt.Fprintf(&b, "  error      %s x %d, e.g. %s\n", typ, rep.Errors[typ], rep.ErrorSamples[typ])
	}
	fmt.Fprintf(&b, "  sent late  %d calls; sent after %s\n", rep.Late, rep.SendDelay)
	_, err := io.WriteString(w, b.String())
	return err
}

// runtimeSigner writes the headers of one worker's calls, signed as
// aws-sdk-go-v2 signs them when cfg.sign.
type runtimeSigner struct {
	cfg    runtimeConfig
	signer *v4.Signer
	creds  aws.Credentials
	req    *http.Request // scratch space of the signer
}

func signerFor(cfg runtimeConfig) *runtimeSigner {
	s := &runtimeSigner{cfg: cfg}
	u := *cfg.endpoint
	s.req = &http.Request{Method: http.MethodPost, URL: &u, Host: cfg.endpoint.Host}
	if cfg.sign {
		s.signer = v4.NewSigner()
		s.creds = aws.Credentials{AccessKeyID: cfg.creds.AccessKeyID, SecretAccessKey: cfg.creds.SecretAccessKey}
	}
	return s
}

// headers returns c's headers, signed at now, and its body. Signing with
// static credentials does not fail; were it to, the call would go
// unsigned, and the server's refusal would count among the errors.
func (s *runtimeSigner) headers(ctx context.Context, c call, now time.Time) (http.Header, []byte) {
	h := http.Header{}
	if c.target != "" {
		h.Set("Content-Type", "application/x-amz-json-1.1")
		h.Set("X-Amz-Target", c.target)
	} else {
		h.Set("Content-Type", "application/json")
	}
	h.Set("User-Agent", "perch-bench")
	h.Set("Amz-Sdk-Invocation-Id", uuid.NewString())
	h.Set("Amz-Sdk-Request", "attempt=1; max=1")
	if s.signer == nil {
		return h, c.body
	}
	s.req.Header = h
	s.req.URL.Path = s.cfg.endpoint.Path + c.path
	s.req.ContentLength = int64(len(c.body))
	sum := sha256.Sum256(c.body)
	_ = s.signer.SignHTTP(ctx, s.creds, s.req, hex.EncodeToString(sum[:]), "personalize", s.cfg.creds.Region, now)
	return h, c.body
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// sleepUntil returns at t, or false at once if ctx ends first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
