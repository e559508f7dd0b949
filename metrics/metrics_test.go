package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/perchdev/perch"
)

// gather returns the registry's families by name.
func gather(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	families, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*dto.MetricFamily{}
	for _, f := range families {
		byName[f.GetName()] = f
	}
	return byName
}

// find returns the metric of family name whose labels are exactly labels.
func find(t *testing.T, families map[string]*dto.MetricFamily, name string, labels map[string]string) *dto.Metric {
	t.Helper()
	f := families[name]
	if f == nil {
		t.Fatalf("no %s", name)
	}
next:
	for _, m := range f.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		for _, l := range m.GetLabel() {
			if labels[l.GetName()] != l.GetValue() {
				continue next
			}
		}
		return m
	}
	t.Fatalf("no %s%v", name, labels)
	return nil
}

func TestInstrumentCountsOutcomes(t *testing.T) {
	m := New()
	h := m.Instrument(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/fail":
			w.Header().Set("X-Amzn-ErrorType", "InvalidInputException")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{}`))
		case "/silent": // writes nothing: net/http answers 200
		case "/stream":
			_, _ = w.Write([]byte("a\n"))
			if err := http.NewResponseController(w).Flush(); err != nil {
				t.Errorf("Flush through the instrumented writer: %v", err)
			}
			w.WriteHeader(http.StatusTeapot) // too late: the 200 went out
		}
	}), func(r *http.Request) string { return strings.TrimPrefix(r.URL.Path, "/") })
	for _, path := range []string{"/fail", "/fail", "/silent", "/stream"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, nil))
	}
	families := gather(t, m)
	for _, c := range []struct {
		op, status, errorCode string
		want                  float64
	}{
		{"fail", "400", "InvalidInputException", 2},
		{"silent", "200", "", 1},
		{"stream", "200", "", 1},
	} {
		got := find(t, families, "perch_requests_total", map[string]string{"operation": c.op, "status": c.status, "error": c.errorCode})
		if got.GetCounter().GetValue() != c.want {
			t.Errorf("%s %s %q: %v requests, want %v", c.op, c.status, c.errorCode, got.GetCounter().GetValue(), c.want)
		}
	}
	if n := find(t, families, "perch_request_duration_seconds", map[string]string{"operation": "fail"}).GetHistogram().GetSampleCount(); n != 2 {
		t.Errorf("fail: %d durations observed, want 2", n)
	}
	if families["go_goroutines"] == nil || families["process_cpu_seconds_total"] == nil {
		t.Error("no Go runtime or process metrics")
	}
}

// TestWatchStore reads a store that recovers from a failed write (its
// engine's stalls counted, no engine state), then the same store
// available, then a store without an engine of the kind metrics knows.
func TestWatchStore(t *testing.T) {
	stats := perch.StoreStats{
		Commits: 3, FailedCommits: 1, Batches: 4, Records: 40,
		Queued: 2, QueueCapacity: 4096,
		Engine: &perch.EngineStats{WriteStalls: 1, StallTime: time.Second},
	}
	// Two batches waited at most 50 µs, one at most 10 ms, one more than
	// 5 s; the three groups took at most 1 ms.
	stats.QueueWait.Counts[0] = 2
	stats.QueueWait.Counts[9] = 1
	stats.QueueWait.Counts[len(perch.LatencyBounds)] = 1
	stats.QueueWait.Sum = 6 * time.Second
	stats.CommitDuration.Counts[4] = 3
	stats.CommitDuration.Sum = 1500 * time.Microsecond
	m := New()
	m.WatchStore(func() perch.StoreStats { return stats })
	families := gather(t, m)
	for name, want := range map[string]float64{
		"perch_store_commit_groups_total":        3,
		"perch_store_commit_groups_failed_total": 1,
		"perch_store_committed_batches_total":    4,
		"perch_store_committed_records_total":    40,
		"perch_store_queued_batches":             2,
		"perch_store_queue_capacity_batches":     4096,
		"perch_store_write_stalls_total":         1,
		"perch_store_write_stall_seconds_total":  1,
		"perch_store_available":                  0,
		"perch_store_short_of_space":             0,
	} {
		m := find(t, families, name, nil)
		if got := m.GetCounter().GetValue() + m.GetGauge().GetValue(); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	for name, want := range map[string]struct {
		count   uint64
		sum     float64
		buckets map[float64]uint64 // upper bound: cumulative count
	}{
		"perch_store_queue_wait_seconds":   {4, 6, map[float64]uint64{0.00005: 2, 0.0075: 2, 0.01: 3, 5: 3}},
		"perch_store_group_commit_seconds": {3, 0.0015, map[float64]uint64{0.0005: 0, 0.001: 3, 5: 3}},
	} {
		h := find(t, families, name, nil).GetHistogram()
		if h.GetSampleCount() != want.count || h.GetSampleSum() != want.sum {
			t.Errorf("%s: %d durations adding up to %v s, want %d, %v", name, h.GetSampleCount(), h.GetSampleSum(), want.count, want.sum)
		}
		if len(h.GetBucket()) != len(perch.LatencyBounds) {
			t.Errorf("%s: %d buckets, want %d", name, len(h.GetBucket()), len(perch.LatencyBounds))
		}
		for _, b := range h.GetBucket() {
			if n, ok := want.buckets[b.GetUpperBound()]; ok && b.GetCumulativeCount() != n {
				t.Errorf("%s: %d durations up to %v s, want %d", name, b.GetCumulativeCount(), b.GetUpperBound(), n)
			}
		}
	}
	if families["perch_engine_l0_sublevels"] != nil {
		t.Error("engine metrics from a store without an engine open")
	}

	stats.Available = true
	stats.Engine = &perch.EngineStats{WriteStalls: 2, StallTime: 3 * time.Second,
		L0Sublevels: 5, CompactionDebtBytes: 1 << 20, DiskBytes: 1 << 30, WALBytesWritten: 7}
	stats.ShortOfSpace = true
	families = gather(t, m)
	for name, want := range map[string]float64{
		"perch_store_available":                 1,
		"perch_store_short_of_space":            1,
		"perch_store_write_stalls_total":        2,
		"perch_store_write_stall_seconds_total": 3,
		"perch_engine_l0_sublevels":             5,
		"perch_engine_compaction_debt_bytes":    1 << 20,
		"perch_engine_disk_bytes":               1 << 30,
		"perch_engine_wal_written_bytes_total":  7,
	} {
		m := find(t, families, name, nil)
		if got := m.GetCounter().GetValue() + m.GetGauge().GetValue(); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}

	stats.Engine = nil
	families = gather(t, m)
	if got := find(t, families, "perch_store_committed_records_total", nil).GetCounter().GetValue(); got != 40 {
		t.Errorf("a store without an engine: perch_store_committed_records_total = %v, want 40", got)
	}
	for _, name := range []string{"perch_store_write_stalls_total", "perch_engine_l0_sublevels", "perch_engine_disk_bytes"} {
		if families[name] != nil {
			t.Errorf("%s from a store without an engine", name)
		}
	}
}

// BenchmarkInstrument is what --metrics adds to every request.
func BenchmarkInstrument(b *testing.B) {
	m := New()
	h := m.Instrument(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}),
		func(*http.Request) string { return "PutEvents" })
	r := httptest.NewRequest(http.MethodPost, "/events", nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
}
