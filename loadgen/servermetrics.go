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

// serverDurationMetric is the histogram of request durations perch serve
// --metrics keeps, labelled by operation.
const serverDurationMetric = "perch_request_duration_seconds"

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

// histogram is the cumulative count of calls at each bound (seconds,
// ascending, the last +Inf) of the server's duration histogram, summed
// over operations.
type histogram struct {
	bounds []float64
	counts []uint64
}

// scrapeServer reads the server's duration histogram of operations.
func scrapeServer(ctx context.Context, url string, operations []string) (*histogram, error) {
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
	family := families[serverDurationMetric]
	if family == nil || family.GetType() != dto.MetricType_HISTOGRAM {
		return nil, fmt.Errorf("%s has no histogram %s: is it perch serve --metrics?", url, serverDurationMetric)
	}
	h := &histogram{}
	for _, m := range family.GetMetric() {
		if !slices.ContainsFunc(m.GetLabel(), func(l *dto.LabelPair) bool {
			return l.GetName() == "operation" && slices.Contains(operations, l.GetValue())
		}) {
			continue
		}
		if err := h.add(m.GetHistogram()); err != nil {
			return nil, fmt.Errorf("%s: %w", url, err)
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
		return fmt.Errorf("%s has different buckets for different operations", serverDurationMetric)
	}
	for i, b := range buckets {
		h.counts[i] += b.GetCumulativeCount()
	}
	if !hasInf {
		h.counts[len(h.counts)-1] += m.GetSampleCount()
	}
	return nil
}

// since returns what the server recorded between before and h.
func (h *histogram) since(before *histogram) (*ServerLatency, error) {
	if before.bounds != nil && !slices.Equal(h.bounds, before.bounds) {
		return nil, fmt.Errorf("the server's buckets changed during the run")
	}
	counts := slices.Clone(h.counts)
	for i := range before.counts {
		if before.counts[i] > counts[i] {
			return nil, fmt.Errorf("the server's counts went down during the run: was it restarted?")
		}
		counts[i] -= before.counts[i]
	}
	l := &ServerLatency{}
	if len(counts) == 0 {
		return l, nil
	}
	n := counts[len(counts)-1]
	l.Calls = int64(n)
	if n == 0 {
		return l, nil
	}
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
	l.P50, l.P99, l.P999 = quantile(0.5), quantile(0.99), quantile(0.999)
	if i := slices.Index(h.bounds, 0.01); i >= 0 {
		within := float64(counts[i]) / float64(n) * 100
		l.Within10ms = &within
	}
	return l, nil
}
