package loadgen

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

const (
	// serverDurationMetric is the histogram of request durations perch
	// serve --metrics keeps, labelled by operation.
	serverDurationMetric = "perch_request_duration_seconds"
	// The histograms of the store's writer: each call's wait for it, and
	// each group's synced commit.
	storeWaitMetric   = "perch_store_queue_wait_seconds"
	storeCommitMetric = "perch_store_group_commit_seconds"
)

// ServerLatency is how long the server itself took over the calls it
// finished during the measured part, read from a perch server's metrics
// (perch serve --metrics): the difference of its request-duration
// histogram between the end of the warmup and the end of the run, over
// the operations the run sends. The server's clock starts once it has
// read a call's headers and stops when its handler returns, so the
// difference from the report's latency is the generator's lateness, the
// network and the server's reading and writing outside the handler.
// Quantiles are the bounds of the histogram's bucket that holds them.
type ServerLatency struct {
	Calls int64 `json:"calls"`
	// Within10ms is the percentage of those calls that took 10 ms or less
	// (nil if the histogram has no 10 ms bound).
	Within10ms *float64 `json:"within10msPercent,omitempty"`
	P50        Bucket   `json:"p50Ms"`
	P99        Bucket   `json:"p99Ms"`
	P999       Bucket   `json:"p999Ms"`
	// Store is the store's part, when the server's metrics have it (nil
	// otherwise).
	Store *StoreLatency `json:"store,omitempty"`
}

// StoreLatency is where calls waited in the server's store over the
// measured part: each call's wait for the store's writer (for the group
// being committed, mostly) and each group's commit, to the end of its
// sync. It counts every call the store took, not only the run's.
type StoreLatency struct {
	WaitForWriter Spread `json:"waitForWriter"`
	GroupCommit   Spread `json:"groupCommit"`
}

// Spread is how many durations a histogram counted and the buckets of
// its quantiles.
type Spread struct {
	Count int64  `json:"count"`
	P50   Bucket `json:"p50Ms"`
	P99   Bucket `json:"p99Ms"`
	P999  Bucket `json:"p999Ms"`
}

func (s Spread) String() string {
	return fmt.Sprintf("p50 %s, p99 %s, p99.9 %s", s.P50, s.P99, s.P999)
}

func (l *StoreLatency) String() string {
	return fmt.Sprintf("wait for the writer %s; group commit %s (%s groups)",
		l.WaitForWriter, l.GroupCommit, count(float64(l.GroupCommit.Count)))
}

// Bucket is a histogram bucket's range in milliseconds: above Above, at
// most UpTo (nil past the last bound).
type Bucket struct {
	Above float64  `json:"above"`
	UpTo  *float64 `json:"upTo"`
}

func (b Bucket) String() string {
	if b.UpTo == nil {
		return fmt.Sprintf("over %g ms", b.Above)
	}
	return fmt.Sprintf("%g-%g ms", b.Above, *b.UpTo)
}

func (l *ServerLatency) String() string {
	s := fmt.Sprintf("p50 %s, p99 %s, p99.9 %s", l.P50, l.P99, l.P999)
	if l.Within10ms != nil {
		s += fmt.Sprintf("; %.2f%% within 10 ms", *l.Within10ms)
	}
	return s + fmt.Sprintf(" (%s calls, from its metrics)", count(float64(l.Calls)))
}

// histogram is the cumulative count of durations at each bound (seconds,
// ascending, the last +Inf) of one of the server's histograms, summed
// over the series read.
type histogram struct {
	name   string
	bounds []float64
	counts []uint64
}

// serverScrape is what one read of the server's metrics holds: its
// request durations for the run's operations, and the store's
// histograms (nil if it has none).
type serverScrape struct {
	requests               *histogram
	storeWait, storeCommit *histogram
}

// scrapeServer reads the server's histograms, its request durations over
// operations.
func scrapeServer(ctx context.Context, url string, operations []string) (*serverScrape, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %s", url, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", url, err)
	}
	if !isHistogram(families[serverDurationMetric]) {
		return nil, fmt.Errorf("%s has no histogram %s: is it perch serve --metrics?", url, serverDurationMetric)
	}
	s := &serverScrape{}
	s.requests, err = readHistogram(families[serverDurationMetric], func(m *dto.Metric) bool {
		return slices.ContainsFunc(m.GetLabel(), func(l *dto.LabelPair) bool {
			return l.GetName() == "operation" && slices.Contains(operations, l.GetValue())
		})
	})
	if err == nil && isHistogram(families[storeWaitMetric]) && isHistogram(families[storeCommitMetric]) {
		all := func(*dto.Metric) bool { return true }
		if s.storeWait, err = readHistogram(families[storeWaitMetric], all); err == nil {
			s.storeCommit, err = readHistogram(families[storeCommitMetric], all)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	return s, nil
}

func isHistogram(f *dto.MetricFamily) bool {
	return f != nil && f.GetType() == dto.MetricType_HISTOGRAM
}

// readHistogram sums the series of family that keep holds.
func readHistogram(family *dto.MetricFamily, keep func(*dto.Metric) bool) (*histogram, error) {
	h := &histogram{name: family.GetName()}
	for _, m := range family.GetMetric() {
		if !keep(m) {
			continue
		}
		if err := h.add(m.GetHistogram()); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// add adds one operation's histogram, which must have the same bounds as
// those added before. The text format lists the +Inf bucket; the sample
// count stands for it where it is left out.
func (h *histogram) add(m *dto.Histogram) error {
	buckets := m.GetBucket()
	hasInf := len(buckets) > 0 && math.IsInf(buckets[len(buckets)-1].GetUpperBound(), 1)
	bounds := make([]float64, 0, len(buckets)+1)
	for _, b := range buckets {
		bounds = append(bounds, b.GetUpperBound())
	}
	if !hasInf {
		bounds = append(bounds, math.Inf(1))
	}
	if h.bounds == nil {
		h.bounds, h.counts = bounds, make([]uint64, len(bounds))
	} else if !slices.Equal(h.bounds, bounds) {
		return fmt.Errorf("%s has different buckets in different series", h.name)
	}
	for i, b := range buckets {
		h.counts[i] += b.GetCumulativeCount()
	}
	if !hasInf {
		h.counts[len(h.counts)-1] += m.GetSampleCount()
	}
	return nil
}

// since returns what the server recorded between before and s.
func (s *serverScrape) since(before *serverScrape) (*ServerLatency, error) {
	counts, err := s.requests.minus(before.requests)
	if err != nil {
		return nil, err
	}
	calls := s.requests.spread(counts)
	l := &ServerLatency{Calls: calls.Count, P50: calls.P50, P99: calls.P99, P999: calls.P999}
	if i := slices.Index(s.requests.bounds, 0.01); i >= 0 && calls.Count > 0 {
		within := float64(counts[i]) / float64(calls.Count) * 100
		l.Within10ms = &within
	}
	if s.storeWait == nil || before.storeWait == nil {
		return l, nil
	}
	wait, err := s.storeWait.minus(before.storeWait)
	if err != nil {
		return nil, err
	}
	commit, err := s.storeCommit.minus(before.storeCommit)
	if err != nil {
		return nil, err
	}
	l.Store = &StoreLatency{WaitForWriter: s.storeWait.spread(wait), GroupCommit: s.storeCommit.spread(commit)}
	return l, nil
}

// minus returns h's cumulative counts less before's.
func (h *histogram) minus(before *histogram) ([]uint64, error) {
	if before.bounds != nil && !slices.Equal(h.bounds, before.bounds) {
		return nil, fmt.Errorf("the server's buckets of %s changed during the run", h.name)
	}
	counts := slices.Clone(h.counts)
	for i := range before.counts {
		if before.counts[i] > counts[i] {
			return nil, fmt.Errorf("the server's counts went down during the run: was it restarted?")
		}
		counts[i] -= before.counts[i]
	}
	return counts, nil
}

// spread returns how many durations counts (cumulative, at h's bounds)
// hold and the buckets of their quantiles.
func (h *histogram) spread(counts []uint64) Spread {
	var sp Spread
	if len(counts) == 0 || counts[len(counts)-1] == 0 {
		return sp
	}
	n := counts[len(counts)-1]
	sp.Count = int64(n)
	quantile := func(q float64) Bucket {
		i := slices.IndexFunc(counts, func(c uint64) bool { return float64(c) >= q*float64(n) })
		var b Bucket
		if i > 0 {
			b.Above = h.bounds[i-1] * 1000
		}
		if !math.IsInf(h.bounds[i], 1) {
			upTo := h.bounds[i] * 1000
			b.UpTo = &upTo
		}
		return b
	}
	sp.P50, sp.P99, sp.P999 = quantile(0.5), quantile(0.99), quantile(0.999)
	return sp
}
