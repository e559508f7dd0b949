// Package metrics keeps perch's Prometheus metrics: what the API answered
// and how long it took, what the store committed, the storage engine's
// state, and the Go runtime's and the process's own.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/perchdev/perch"
)

// Metrics is one server's registry of metrics.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// durationBuckets, in seconds, are fine around the milliseconds a commit
// takes, so that a 10 ms target can be read off a bucket and a 10 ms p99
// told from a 20 ms one; the long ones are for exports and record reads.
var durationBuckets = []float64{
	0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075,
	0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10,
}

// New returns a registry holding the request metrics, the Go runtime's
// and the process's.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "perch_requests_total",
			Help: "API requests answered, by operation, HTTP status and AWS error code (empty on success).",
		}, []string{"operation", "status", "error"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "perch_request_duration_seconds",
			Help:    "Time from a request's headers read to its handler's return, by operation.",
			Buckets: durationBuckets,
		}, []string{"operation"}),
	}
	m.reg.MustRegister(m.requests, m.duration,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Instrument counts and times every request next answers. operation names
// a request's operation; it must return one of a bounded set of names, as
// each becomes a label value.
func (m *Metrics) Instrument(next http.Handler, operation func(*http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		op := operation(r)
		m.duration.WithLabelValues(op).Observe(time.Since(start).Seconds())
		status := sw.status
		if status == 0 {
			status = http.StatusOK // nothing written: net/http answers 200
		}
		m.requests.WithLabelValues(op, strconv.Itoa(status), w.Header().Get("X-Amzn-ErrorType")).Inc()
	})
}

// statusWriter remembers the status a handler answered with. Unwrap lets
// http.ResponseController reach the connection's writer (flushes and
// deadlines of streamed reads).
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// WatchStore adds a store's figures, read from stats at every scrape:
// its commits, queue and latencies, whether it is available and short of
// space, and, when it reports an engine, the engine's write stalls and,
// while the store is available, the engine's state.
func (m *Metrics) WatchStore(stats func() perch.StoreStats) {
	m.reg.MustRegister(storeCollector{stats})
}

// storeCollector turns perch.StoreStats into metrics when scraped.
type storeCollector struct{ stats func() perch.StoreStats }

type storeMetric struct {
	desc  *prometheus.Desc
	kind  prometheus.ValueType
	value func(*perch.StoreStats) float64
}

func storeDesc(name, help string) *prometheus.Desc { return prometheus.NewDesc(name, help, nil, nil) }

// storeMetrics are every store's; stallMetrics those of a store that
// reports an engine; engineMetrics the engine's state, which an
// unavailable store (recovering from a failed write, or closed) does not
// have.
var (
	storeMetrics = []storeMetric{
		{storeDesc("perch_store_commit_groups_total", "Synced commits of queued batches the store's writer made."),
			prometheus.CounterValue, func(s *perch.StoreStats) float64 { return float64(s.Commits) }},
		{storeDesc("perch_store_commit_groups_failed_total", "Synced commits that failed."),
			prometheus.CounterValue, func(s *perch.StoreStats) float64 { return float64(s.FailedCommits) }},
		{storeDesc("perch_store_committed_batches_total", "Events API calls whose records were committed."),
			prometheus.CounterValue, func(s *perch.StoreStats) float64 { return float64(s.Batches) }},
		{storeDesc("perch_store_committed_records_total", "Records the events API put (events, action interactions, items, users, actions) that were committed."),
			prometheus.CounterValue, func(s *perch.StoreStats) float64 { return float64(s.Records) }},
		{storeDesc("perch_store_queued_batches", "Batches waiting for the writer."),
			prometheus.GaugeValue, func(s *perch.StoreStats) float64 { return float64(s.Queued) }},
		{storeDesc("perch_store_queue_capacity_batches", "Batches that may wait before commits are refused as busy."),
			prometheus.GaugeValue, func(s *perch.StoreStats) float64 { return float64(s.QueueCapacity) }},
		{storeDesc("perch_store_available", "1 while the store's engine is open, 0 while the store recovers from a failed write (writes are refused meanwhile) or once it is closed."),
			prometheus.GaugeValue, func(s *perch.StoreStats) float64 { return boolValue(s.Available) }},
		{storeDesc("perch_store_short_of_space", "1 while writes are refused because the disk has less free space than the server keeps in reserve (--min-free-mb), as of the last write."),
			prometheus.GaugeValue, func(s *perch.StoreStats) float64 { return boolValue(s.ShortOfSpace) }},
	}
	storeHistograms = []struct {
		desc  *prometheus.Desc
		value func(*perch.StoreStats) *perch.Histogram
	}{
		{storeDesc("perch_store_queue_wait_seconds", "Time each batch waited for the writer, from being queued to the start of its group's commit."),
			func(s *perch.StoreStats) *perch.Histogram { return &s.QueueWait }},
		{storeDesc("perch_store_group_commit_seconds", "Time each group's commit took, from laying out its keys to the end of its sync."),
			func(s *perch.StoreStats) *perch.Histogram { return &s.CommitDuration }},
	}
	stallMetrics = []storeMetric{
		{storeDesc("perch_store_write_stalls_total", "Times the storage engine stalled writes until its background work caught up."),
			prometheus.CounterValue, func(s *perch.StoreStats) float64 { return float64(s.Engine.WriteStalls) }},
		{storeDesc("perch_store_write_stall_seconds_total", "Time writes stalled, over the stalls that ended."),
			prometheus.CounterValue, func(s *perch.StoreStats) float64 { return s.Engine.StallTime.Seconds() }},
	}
	engineMetrics = []storeMetric{
		{storeDesc("perch_engine_l0_sublevels", "Sublevels of the storage engine's level 0."),
			prometheus.GaugeValue, func(s *perch.StoreStats) float64 { return float64(s.Engine.L0Sublevels) }},
		{storeDesc("perch_engine_l0_tables", "Tables in level 0."),
			prometheus.GaugeValue, func(s *perch.StoreStats) float64 { return float64(s.Engine.L0Tables) }},
		{storeDesc("perch_engine_read_amplification", "Tables or sublevels a read may have to look in."),
			prometheus.GaugeValue, func(s *perch.StoreStats) float64 { return float64(s.Engine.ReadAmplification) }},
		{storeDesc("perch_engine_compaction_debt_bytes", "Bytes the engine estimates it must compact to bring its levels into shape."),
			prometheus.GaugeValue, func(s *perch.StoreStats) float64 { return float64(s.Engine.CompactionDebtBytes) }},
		{storeDesc("perch_engine_compactions_total", "Compactions completed since the store opened its engine."),
			prometheus.CounterValue, func(s *perch.StoreStats) float64 { return float64(s.Engine.Compactions) }},
		{storeDesc("perch_engine_compactions_in_progress", "Compactions running."),
			prometheus.GaugeValue, func(s *perch.StoreStats) float64 { return float64(s.Engine.CompactionsInProgress) }},
		{storeDesc("perch_engine_flushes_total", "Memtable flushes completed since the store opened its engine."),
			prometheus.CounterValue, func(s *perch.StoreStats) float64 { return float64(s.Engine.Flushes) }},
		{storeDesc("perch_engine_memtable_bytes", "Bytes held by memtables."),
			prometheus.GaugeValue, func(s *perch.StoreStats) float64 { return float64(s.Engine.MemTableBytes) }},
		{storeDesc("perch_engine_memtables", "Memtables, the one being written included."),
			prometheus.GaugeValue, func(s *perch.StoreStats) float64 { return float64(s.Engine.MemTables) }},
		{storeDesc("perch_engine_wal_written_bytes_total", "Bytes written to the write-ahead log since the store opened its engine."),
			prometheus.CounterValue, func(s *perch.StoreStats) float64 { return float64(s.Engine.WALBytesWritten) }},
		{storeDesc("perch_engine_disk_bytes", "Bytes the engine keeps on disk: tables, blob files, logs and manifests."),
			prometheus.GaugeValue, func(s *perch.StoreStats) float64 { return float64(s.Engine.DiskBytes) }},
	}
)

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (c storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range storeMetrics {
		ch <- m.desc
	}
	for _, m := range storeHistograms {
		ch <- m.desc
	}
	for _, m := range stallMetrics {
		ch <- m.desc
	}
	for _, m := range engineMetrics {
		ch <- m.desc
	}
}

func (c storeCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.stats()
	for _, m := range storeMetrics {
		ch <- prometheus.MustNewConstMetric(m.desc, m.kind, m.value(&st))
	}
	for _, m := range storeHistograms {
		h := m.value(&st)
		ch <- prometheus.MustNewConstHistogram(m.desc, h.Count(), h.Sum.Seconds(), cumulativeBuckets(h))
	}
	if st.Engine == nil {
		return
	}
	for _, m := range stallMetrics {
		ch <- prometheus.MustNewConstMetric(m.desc, m.kind, m.value(&st))
	}
	if !st.Available {
		return
	}
	for _, m := range engineMetrics {
		ch <- prometheus.MustNewConstMetric(m.desc, m.kind, m.value(&st))
	}
}

// cumulativeBuckets turns h's counts into Prometheus's buckets: for each
// upper bound in seconds, how many durations were at most that long.
func cumulativeBuckets(h *perch.Histogram) map[float64]uint64 {
	buckets := make(map[float64]uint64, len(perch.LatencyBounds))
	var n uint64
	for i, bound := range perch.LatencyBounds {
		n += h.Counts[i]
		buckets[bound.Seconds()] = n
	}
	return buckets
}
