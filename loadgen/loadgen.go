// Package loadgen drives a running perch (or anything else that speaks the
// Amazon Personalize events API) with realistic traffic and reports what
// it measured: requests and records per second, latency percentiles and
// errors by type.
//
// Traffic is PutEvents calls of 1 to 10 events, optionally mixed with
// PutItems and PutUsers, for users and items chosen with a Zipf skew, with
// impressions, properties that fit the schemas Setup creates, and a share
// of repeated eventIds. Calls are signed with SigV4 as aws-sdk-go-v2 signs
// them.
//
// Two ways to load: closed loop (Rate 0), where Concurrency workers each
// send their next call as soon as the last one is answered, measures the
// most the server takes; open loop (Rate > 0) sends calls on a fixed
// schedule and measures each call's latency from the time the schedule
// meant to send it, so time spent waiting behind a slow server is counted
// rather than omitted.
package loadgen

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/perchdev/perch/internal/cputime"
)

// Config is one run.
type Config struct {
	// Endpoint is the URL of the server, e.g. http://127.0.0.1:8080, or
	// the URLs of several servers separated by commas: nodes sharing one
	// store, loaded together. Workers are dealt to them round-robin, each
	// endpoint with connections of its own.
	Endpoint string
	Workload Workload

	// Rate is the open loop's calls per second; 0 runs closed loop.
	Rate float64
	// Concurrency is the number of workers, each with its own connection:
	// in closed loop the calls in flight, in open loop the most in flight.
	Concurrency int
	// The run ends after Duration or after Requests measured calls,
	// whichever comes first; at least one must be set.
	Duration time.Duration
	Requests int64
	// Warmup runs before the measured part and is left out of the report.
	Warmup time.Duration
	// Timeout bounds each call.
	Timeout time.Duration
	// Timeline, if set, also reports the calls scheduled in each interval
	// of this length (Report.Timeline).
	Timeline time.Duration
	// ServerMetrics, if set, is the URL of the metrics of the perch server
	// under load (perch serve --metrics), whose own view of the measured
	// part the report adds (Report.Server).
	ServerMetrics string

	Client string // ClientFastHTTP (default) or ClientNetHTTP

	Sign        bool
	Credentials Credentials
	// ContentSHA256 also sends the payload hash in X-Amz-Content-Sha256
	// (signed), as S3 clients do.
	ContentSHA256 bool

	// Seed makes the generated traffic repeatable.
	Seed uint64
	// RunID starts every fresh eventId, so that runs against the same
	// store do not repeat each other's ids. Default: from the clock.
	RunID string
}

func (c *Config) check() ([]*url.URL, error) {
	endpoints, err := ParseEndpoints(c.Endpoint)
	if err != nil {
		return nil, err
	}
	switch {
	case c.Concurrency < 1:
		return nil, fmt.Errorf("concurrency must be at least 1")
	case c.Concurrency < len(endpoints):
		return nil, fmt.Errorf("%d connections cannot reach %d endpoints: give each at least one", c.Concurrency, len(endpoints))
	case c.Rate < 0:
		return nil, fmt.Errorf("rate must not be negative")
	case c.Duration <= 0 && c.Requests <= 0:
		return nil, fmt.Errorf("set a duration or a number of requests")
	case c.Timeline < 0 || (c.Timeline > 0 && c.Timeline < minTimelineStep):
		return nil, fmt.Errorf("a timeline's step must be at least %v", minTimelineStep)
	case c.Duration < 0 || c.Requests < 0 || c.Warmup < 0 || c.Timeout < 0:
		return nil, fmt.Errorf("durations and counts must not be negative")
	case c.Sign && (c.Credentials.AccessKeyID == "" || c.Credentials.SecretAccessKey == "" || c.Credentials.Region == ""):
		return nil, fmt.Errorf("signing needs an access key, a secret key and a region")
	}
	return endpoints, c.Workload.check()
}

// ParseEndpoints reads an endpoint, or several separated by commas, each
// an http(s) URL.
func ParseEndpoints(s string) ([]*url.URL, error) {
	var endpoints []*url.URL
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		u, err := url.Parse(part)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("endpoint %q is not an http(s) URL", part)
		}
		endpoints = append(endpoints, u)
	}
	return endpoints, nil
}

// endpointOf is the endpoint, by its place in the list, that worker w
// sends to: workers are dealt round-robin.
func endpointOf(w, endpoints int) int { return w % endpoints }

// connectionsTo is the number of workers, of concurrency, that send to
// endpoint i of n.
func connectionsTo(i, n, concurrency int) int {
	c := concurrency / n
	if i < concurrency%n {
		c++
	}
	return c
}

// clock is the time a run goes by; tests replace it.
type clock interface {
	Now() time.Time
	// SleepUntil returns at t, or false at once if ctx ends first.
	SleepUntil(ctx context.Context, t time.Time) bool
}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

func (wallClock) SleepUntil(ctx context.Context, t time.Time) bool {
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

// lateAfter is how far behind its scheduled time an open-loop call may be
// sent before the report counts it as late.
const lateAfter = time.Millisecond

// Run loads cfg.Endpoint as cfg says and reports what it measured. It
// returns early, reporting what it measured so far, when ctx ends.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	endpoints, err := cfg.check()
	if err != nil {
		return nil, err
	}
	if cfg.Client == "" {
		cfg.Client = ClientFastHTTP
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.RunID == "" {
		cfg.RunID = "r" + fmt.Sprint(time.Now().UnixNano()%(1<<40))
	}
	trs, err := newTransports(cfg.Client, endpoints, cfg.Concurrency, cfg.Timeout)
	if err != nil {
		return nil, err
	}
	defer closeAll(trs)
	r := newRunner(cfg, endpoints, wallClock{}, trs)
	cpu := cputime.Process()
	r.run(ctx)
	rep := r.report()
	if wall := time.Since(r.start).Seconds(); wall > 0 {
		rep.ClientCPUCores = (cputime.Process() - cpu).Seconds() / wall
	}
	return rep, nil
}

type runner struct {
	cfg   Config
	clock clock
	// endpoints and their transports, in the order Config names them.
	endpoints  []*url.URL
	transports []transport
	signer     *v4.Signer

	start       time.Time
	measureFrom time.Time
	stopAt      time.Time // zero: no time limit
	interval    float64   // open loop: nanoseconds between scheduled calls

	tickets  atomic.Int64 // open loop: calls scheduled so far
	measured atomic.Int64 // calls handed out after the warmup

	tallies  []tally
	shards   []histShard
	timeline *timeline // nil unless Config.Timeline is set

	// The server's own view of the measured part (Config.ServerMetrics),
	// or why there is none.
	server    *ServerLatency
	serverErr error
}

func newRunner(cfg Config, endpoints []*url.URL, c clock, trs []transport) *runner {
	r := &runner{cfg: cfg, endpoints: endpoints, clock: c, transports: trs}
	if cfg.Sign {
		r.signer = v4.NewSigner()
	}
	if cfg.Rate > 0 {
		r.interval = float64(time.Second) / cfg.Rate
	}
	r.tallies = make([]tally, cfg.Concurrency)
	r.shards = make([]histShard, min(cfg.Concurrency, maxShards))
	for i := range r.shards {
		r.shards[i] = newHistShard()
	}
	return r
}

func (r *runner) run(ctx context.Context) {
	var before *serverScrape
	var beforeErr error
	scraped := make(chan struct{})
	if r.cfg.ServerMetrics != "" && r.cfg.Warmup == 0 {
		// Before the first call is scheduled, so that the view holds
		// every call and none is late for it.
		before, beforeErr = scrapeServer(ctx, r.cfg.ServerMetrics, r.cfg.Workload.Mix.operations())
		close(scraped)
	}
	r.start = r.clock.Now()
	r.measureFrom = r.start.Add(r.cfg.Warmup)
	if r.cfg.Timeline > 0 {
		r.timeline = newTimeline(r.cfg.Timeline, r.measureFrom)
	}
	if r.cfg.Duration > 0 {
		r.stopAt = r.measureFrom.Add(r.cfg.Duration)
	}
	if r.cfg.ServerMetrics != "" && r.cfg.Warmup > 0 {
		go func() {
			defer close(scraped)
			if !r.clock.SleepUntil(ctx, r.measureFrom) {
				beforeErr = fmt.Errorf("the run ended during its warmup")
				return
			}
			before, beforeErr = scrapeServer(ctx, r.cfg.ServerMetrics, r.cfg.Workload.Mix.operations())
		}()
	}
	var wg sync.WaitGroup
	for w := range r.cfg.Concurrency {
		wg.Go(func() { r.work(ctx, w) })
	}
	wg.Wait()
	if r.cfg.ServerMetrics != "" {
		<-scraped
		r.server, r.serverErr = r.serverView(context.WithoutCancel(ctx), before, beforeErr)
	}
}

// serverView reads the server's metrics again at the end of the run and
// returns what it recorded since before.
func (r *runner) serverView(ctx context.Context, before *serverScrape, beforeErr error) (*ServerLatency, error) {
	if beforeErr != nil {
		return nil, beforeErr
	}
	after, err := scrapeServer(ctx, r.cfg.ServerMetrics, r.cfg.Workload.Mix.operations())
	if err != nil {
		return nil, err
	}
	return after.since(before)
}

// next hands out the next call: its scheduled time (in closed loop, now),
// or false when the run is over. It does not wait for that time.
func (r *runner) next(ctx context.Context) (scheduled time.Time, ok bool) {
	if ctx.Err() != nil {
		return time.Time{}, false
	}
	if r.interval > 0 {
		i := r.tickets.Add(1) - 1
		scheduled = r.start.Add(time.Duration(float64(i) * r.interval))
	} else {
		scheduled = r.clock.Now()
	}
	if !scheduled.Before(r.measureFrom) {
		if !r.stopAt.IsZero() && !scheduled.Before(r.stopAt) {
			return time.Time{}, false
		}
		if r.cfg.Requests > 0 && r.measured.Add(1) > r.cfg.Requests {
			return time.Time{}, false
		}
	}
	return scheduled, true
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func (r *runner) work(ctx context.Context, w int) {
	gen := newGenerator(&r.cfg.Workload, r.cfg.RunID, w, r.cfg.Seed)
	e := endpointOf(w, len(r.endpoints))
	headers := newHeaderMaker(r.signer, r.cfg.Credentials, r.cfg.ContentSHA256, r.endpoints[e])
	conn := r.transports[e].conn()
	t := &r.tallies[w]
	shard := &r.shards[w%len(r.shards)]
	for {
		scheduled, ok := r.next(ctx)
		if !ok {
			return
		}
		// A call is built and signed before its time, as a client has its
		// request ready when it sends it: the generator's own work (tens of
		// microseconds, more when it waits for a CPU) then lies outside
		// the latency, which is the server's and the network's. Its
		// timestamps and signature carry the time it is due, or now if
		// that has passed.
		stamp := later(scheduled, r.clock.Now())
		events, duplicates := gen.events, gen.duplicates
		req := gen.next(stamp)
		h, signErr := headers.headers(ctx, req, stamp)
		if r.interval > 0 && !r.clock.SleepUntil(ctx, scheduled) {
			return
		}
		sent := r.clock.Now()
		var out outcome
		if signErr != nil {
			out = outcome{errorType: "signing error", detail: signErr.Error()}
		} else {
			out = conn.do(req.kind.Path(), h, req.body)
		}
		done := r.clock.Now()
		if scheduled.Before(r.measureFrom) {
			continue
		}
		t.record(req, out, done)
		t.events += gen.events - events
		t.duplicates += gen.duplicates - duplicates
		if r.interval > 0 {
			if sent.Sub(scheduled) > lateAfter {
				t.late++
			}
			shard.recordSendDelay(sent.Sub(scheduled))
		}
		if out.errorType == "" {
			shard.record(req.kind, done.Sub(scheduled))
		}
		if r.timeline != nil {
			r.timeline.record(scheduled, out.errorType == "", done.Sub(scheduled))
		}
	}
}
