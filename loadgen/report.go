package loadgen

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Latencies are recorded in microseconds from 1 µs to a minute with three
// significant digits: 0.1% error at every percentile, about 140 KB per
// histogram.
const (
	histLowest  = 1
	histHighest = int64(time.Minute / time.Microsecond)
	histDigits  = 3
	// maxShards bounds the histograms: workers share a shard's lock rather
	// than each holding its own histograms.
	maxShards = 8
)

// tally is what one worker counted; only that worker writes it.
type tally struct {
	kinds      [numKinds]kindTally
	events     int64 // events sent in measured PutEvents calls
	duplicates int64 // of which repeat an eventId
	late       int64
	errors     map[string]int64
	samples    map[string]string // one message per error type
	last       time.Time         // when the last measured call ended
}

type kindTally struct {
	requests int64
	ok       int64
	records  int64 // in calls answered 200
}

func (t *tally) record(r request, out outcome, done time.Time) {
	k := &t.kinds[r.kind]
	k.requests++
	if done.After(t.last) {
		t.last = done
	}
	if out.errorType == "" {
		k.ok++
		k.records += int64(r.records)
		return
	}
	if t.errors == nil {
		t.errors, t.samples = map[string]int64{}, map[string]string{}
	}
	t.errors[out.errorType]++
	if _, ok := t.samples[out.errorType]; !ok {
		t.samples[out.errorType] = out.detail
	}
}

// histShard holds the latencies of successful calls, by kind, for the
// workers that share it.
type histShard struct {
	mu    *sync.Mutex
	kinds [numKinds]*hdrhistogram.Histogram
	// sendDelay holds how long after its scheduled time each measured
	// open-loop call was sent, answered or not.
	sendDelay *hdrhistogram.Histogram
}

func newHistShard() histShard {
	s := histShard{mu: &sync.Mutex{}, sendDelay: hdrhistogram.New(histLowest, histHighest, histDigits)}
	for k := range s.kinds {
		s.kinds[k] = hdrhistogram.New(histLowest, histHighest, histDigits)
	}
	return s
}

func (s *histShard) record(k Kind, d time.Duration) {
	s.mu.Lock()
	recordLatency(s.kinds[k], d)
	s.mu.Unlock()
}

func (s *histShard) recordSendDelay(d time.Duration) {
	s.mu.Lock()
	recordLatency(s.sendDelay, d)
	s.mu.Unlock()
}

// recordLatency adds d to h in microseconds, within the histograms' range.
func recordLatency(h *hdrhistogram.Histogram, d time.Duration) {
	_ = h.RecordValue(min(max(d.Microseconds(), histLowest), histHighest)) // within range by construction
}

// Report is what a run measured, after its warmup.
type Report struct {
	// Endpoint is the server's URL, or the URLs of the servers loaded
	// together, separated by commas; Endpoints then has each one's part.
	Endpoint    string  `json:"endpoint"`
	Client      string  `json:"client"`
	Mode        string  `json:"mode"` // "closed-loop" or "open-loop"
	TargetRate  float64 `json:"targetRate,omitempty"`
	Concurrency int     `json:"concurrency"`
	Signed      bool    `json:"signed"`
	Mix         string  `json:"mix"`
	Warmup      float64 `json:"warmupSeconds"`
	// Seconds is the measured time: from the end of the warmup to the
	// answer of the last measured call.
	Seconds float64 `json:"seconds"`

	Requests int64            `json:"requests"`
	OK       int64            `json:"ok"`
	Errors   map[string]int64 `json:"errors"`
	// ErrorSamples holds one message for each error type.
	ErrorSamples map[string]string `json:"errorSamples,omitempty"`

	RequestsPerSecond float64 `json:"requestsPerSecond"` // answered calls, errors included
	OKPerSecond       float64 `json:"okPerSecond"`
	EventsPerSecond   float64 `json:"eventsPerSecond"`  // events of calls answered 200
	RecordsPerSecond  float64 `json:"recordsPerSecond"` // events, items and users of calls answered 200
	// Latency of the calls answered 200, from the time each was scheduled.
	Latency Latency `json:"latencyMs"`

	Kinds []KindReport `json:"kinds"`
	// Endpoints is the part of the run each endpoint took, when there are
	// several.
	Endpoints []EndpointReport `json:"endpoints,omitempty"`

	EventsSent          int64 `json:"eventsSent"`
	DuplicateEventsSent int64 `json:"duplicateEventsSent"`
	// Late counts open-loop calls sent more than a millisecond after their
	// scheduled time: the generator was short of workers or CPU. Their
	// latency still counts from the scheduled time.
	Late int64 `json:"late"`
	// SendDelay is how long after their scheduled time the measured
	// open-loop calls were sent, answered or not: the part of their
	// latency that was the generator's. Nil in closed loop.
	SendDelay *Latency `json:"sendDelayMs,omitempty"`
	// ClientCPUCores is the generator's CPU time over the run's wall time:
	// near the machine's core count, the generator is the bottleneck.
	ClientCPUCores float64 `json:"clientCpuCores"`

	// Timeline is the measured calls by the interval (Config.Timeline) in
	// which each was scheduled.
	Timeline []TimelineInterval `json:"timeline,omitempty"`

	// Server is the server's own view of the measured part
	// (Config.ServerMetrics); ServerError says why it is missing.
	Server      *ServerLatency `json:"server,omitempty"`
	ServerError string         `json:"serverError,omitempty"`
}

// KindReport is the part of a run spent on one operation.
type KindReport struct {
	Operation string  `json:"operation"`
	Requests  int64   `json:"requests"`
	OK        int64   `json:"ok"`
	Records   int64   `json:"records"`
	Latency   Latency `json:"latencyMs"`
}

// EndpointReport is the part of a run sent to one of several endpoints.
type EndpointReport struct {
	Endpoint    string  `json:"endpoint"`
	Connections int     `json:"connections"`
	Requests    int64   `json:"requests"`
	OK          int64   `json:"ok"`
	OKPerSecond float64 `json:"okPerSecond"`
}

// Latency summarises a histogram, in milliseconds.
type Latency struct {
	Count int64   `json:"count"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p999"`
	Max   float64 `json:"max"`
}

func summarise(h *hdrhistogram.Histogram) Latency {
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return Latency{
		Count: h.TotalCount(),
		Mean:  h.Mean() / 1000,
		P50:   ms(h.ValueAtPercentile(50)),
		P90:   ms(h.ValueAtPercentile(90)),
		P99:   ms(h.ValueAtPercentile(99)),
		P999:  ms(h.ValueAtPercentile(99.9)),
		Max:   ms(h.Max()),
	}
}

func (r *runner) report() *Report {
	rep := &Report{
		Endpoint:    r.cfg.Endpoint,
		Client:      r.cfg.Client,
		Mode:        "closed-loop",
		TargetRate:  r.cfg.Rate,
		Concurrency: r.cfg.Concurrency,
		Signed:      r.cfg.Sign,
		Mix:         r.cfg.Workload.Mix.String(),
		Warmup:      r.cfg.Warmup.Seconds(),
		Errors:      map[string]int64{},
	}
	if r.cfg.Rate > 0 {
		rep.Mode = "open-loop"
	}
	rep.Server = r.server
	if r.serverErr != nil {
		rep.ServerError = r.serverErr.Error()
	}
	var last time.Time
	var kinds [numKinds]kindTally
	for i := range r.tallies {
		t := &r.tallies[i]
		for k := range kinds {
			kinds[k].requests += t.kinds[k].requests
			kinds[k].ok += t.kinds[k].ok
			kinds[k].records += t.kinds[k].records
		}
		rep.EventsSent += t.events
		rep.DuplicateEventsSent += t.duplicates
		rep.Late += t.late
		for typ, n := range t.errors {
			rep.Errors[typ] += n
			if _, ok := rep.ErrorSamples[typ]; !ok {
				if rep.ErrorSamples == nil {
					rep.ErrorSamples = map[string]string{}
				}
				rep.ErrorSamples[typ] = t.samples[typ]
			}
		}
		if t.last.After(last) {
			last = t.last
		}
	}
	if last.After(r.measureFrom) {
		rep.Seconds = last.Sub(r.measureFrom).Seconds()
	}
	all := hdrhistogram.New(histLowest, histHighest, histDigits)
	var records int64
	for k := range numKinds {
		h := hdrhistogram.New(histLowest, histHighest, histDigits)
		for i := range r.shards {
			h.Merge(r.shards[i].kinds[k])
		}
		all.Merge(h)
		if kinds[k].requests == 0 {
			continue
		}
		rep.Requests += kinds[k].requests
		rep.OK += kinds[k].ok
		rep.Kinds = append(rep.Kinds, KindReport{
			Operation: k.String(),
			Requests:  kinds[k].requests,
			OK:        kinds[k].ok,
			Records:   kinds[k].records,
			Latency:   summarise(h),
		})
		records += kinds[k].records
	}
	rep.Latency = summarise(all)
	if n := len(r.endpoints); n > 1 {
		names := make([]string, n)
		rep.Endpoints = make([]EndpointReport, n)
		for i, u := range r.endpoints {
			names[i] = u.String()
			rep.Endpoints[i] = EndpointReport{Endpoint: names[i], Connections: connectionsTo(i, n, r.cfg.Concurrency)}
		}
		rep.Endpoint = strings.Join(names, ",")
		for w := range r.tallies {
			e := &rep.Endpoints[endpointOf(w, n)]
			for _, k := range r.tallies[w].kinds {
				e.Requests += k.requests
				e.OK += k.ok
			}
		}
	}
	if rep.Mode == "open-loop" {
		h := hdrhistogram.New(histLowest, histHighest, histDigits)
		for i := range r.shards {
			h.Merge(r.shards[i].sendDelay)
		}
		delay := summarise(h)
		rep.SendDelay = &delay
	}
	if r.timeline != nil {
		rep.Timeline = r.timeline.report()
	}
	if rep.Seconds > 0 {
		for i := range rep.Endpoints {
			rep.Endpoints[i].OKPerSecond = float64(rep.Endpoints[i].OK) / rep.Seconds
		}
		rep.RequestsPerSecond = float64(rep.Requests) / rep.Seconds
		rep.OKPerSecond = float64(rep.OK) / rep.Seconds
		rep.EventsPerSecond = float64(kinds[PutEvents].records) / rep.Seconds
		rep.RecordsPerSecond = float64(records) / rep.Seconds
	}
	return rep
}

// WriteText writes the report for people.
func (rep *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	mode := fmt.Sprintf("closed loop, %d connections", rep.Concurrency)
	if rep.Mode == "open-loop" {
		mode = fmt.Sprintf("open loop at %s calls/s, at most %d in flight", count(rep.TargetRate), rep.Concurrency)
	}
	signed := "unsigned"
	if rep.Signed {
		signed = "SigV4-signed"
	}
	fmt.Fprintf(&b, "%s: %s, %s, %s client, mix %s\n", rep.Endpoint, mode, signed, rep.Client, rep.Mix)
	fmt.Fprintf(&b, "  measured   %.1f s after %.1f s of warmup\n", rep.Seconds, rep.Warmup)
	fmt.Fprintf(&b, "  requests   %s (%s/s), %s ok (%s/s), %s errors\n",
		count(float64(rep.Requests)), count(rep.RequestsPerSecond), count(float64(rep.OK)), count(rep.OKPerSecond),
		count(float64(rep.Requests-rep.OK)))
	fmt.Fprintf(&b, "  records    %s/s, of which events %s/s\n", count(rep.RecordsPerSecond), count(rep.EventsPerSecond))
	fmt.Fprintf(&b, "  latency    %s\n", rep.Latency)
	for _, k := range rep.Kinds {
		fmt.Fprintf(&b, "  %-10s %s calls, %s ok, %s records; %s\n", k.Operation,
			count(float64(k.Requests)), count(float64(k.OK)), count(float64(k.Records)), k.Latency)
	}
	for _, e := range rep.Endpoints {
		fmt.Fprintf(&b, "  endpoint   %s: %d connections, %s requests, %s ok (%s/s)\n", e.Endpoint, e.Connections,
			count(float64(e.Requests)), count(float64(e.OK)), count(e.OKPerSecond))
	}
	for _, typ := range slices.Sorted(maps.Keys(rep.Errors)) {
		fmt.Fprintf(&b, "  error      %s x %s, e.g. %s\n", typ, count(float64(rep.Errors[typ])), rep.ErrorSamples[typ])
	}
	fmt.Fprintf(&b, "  generator  %.2f CPU cores; %s events sent, %s with a repeated eventId; %s calls sent late\n",
		rep.ClientCPUCores, count(float64(rep.EventsSent)), count(float64(rep.DuplicateEventsSent)), count(float64(rep.Late)))
	if rep.SendDelay != nil && rep.SendDelay.Count > 0 {
		fmt.Fprintf(&b, "  sent after %s (the generator's part of the latency)\n", rep.SendDelay.durations())
	}
	switch {
	case rep.Server != nil:
		fmt.Fprintf(&b, "  server     %s\n", rep.Server)
		if rep.Server.Store != nil {
			fmt.Fprintf(&b, "  store      %s\n", rep.Server.Store)
		}
	case rep.ServerError != "":
		fmt.Fprintf(&b, "  server     no view from its metrics: %s\n", rep.ServerError)
	}
	if len(rep.Timeline) > 0 {
		fmt.Fprintf(&b, "  timeline   by the time each call was scheduled, from the end of the warmup\n")
		fmt.Fprintf(&b, "  %9s %10s %8s %9s %9s %9s\n", "at s", "calls", "errors", "p50 ms", "p99 ms", "max ms")
		for _, in := range rep.Timeline {
			fmt.Fprintf(&b, "  %9.2f %10s %8s %9.2f %9.2f %9.2f\n", in.At, count(float64(in.Requests)), count(float64(in.Errors)),
				in.Latency.P50, in.Latency.P99, in.Latency.Max)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (l Latency) String() string {
	if l.Count == 0 {
		return "no successful calls"
	}
	return l.durations()
}

func (l Latency) durations() string {
	return fmt.Sprintf("ms mean %.2f  p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f",
		l.Mean, l.P50, l.P90, l.P99, l.P999, l.Max)
}

// count writes a number with thousands separators.
func count(f float64) string {
	s := fmt.Sprintf("%.0f", f)
	var b []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return string(b)
}
