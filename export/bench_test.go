package export_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/export"
	"github.com/perchdev/perch/pebble"
)

const schema = `{"type":"record","name":"Interactions","fields":[
	{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"},
	{"name":"EVENT_TYPE","type":"string"},{"name":"EVENT_VALUE","type":["null","float"]},
	{"name":"IMPRESSION","type":["null","string"]},{"name":"DEVICE","type":["null","string"],"categorical":true},
	{"name":"NUMBER_OF_RATINGS","type":["null","int"]}]}`

// BenchmarkExport exports datasets of growing size in every format and
// reports the peak Go heap and the peak resident set of the export alone:
// with a streaming export both stay flat as the dataset grows.
//
//	go test ./export -run XXX -bench Export -benchtime 1x -timeout 30m
func BenchmarkExport(b *testing.B) {
	avro, err := perch.ParseSchema(schema)
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{100_000, 1_000_000} {
		store, err := pebble.Open(b.TempDir(), pebble.Options{})
		if err != nil {
			b.Fatal(err)
		}
		d := &perch.Dataset{ARN: "arn:aws:personalize:us-east-1:123456789012:dataset/g/INTERACTIONS", Type: perch.Interactions, ID: 1}
		load(b, store, d, n)
		for _, f := range []export.Format{export.CSV, export.JSONL, export.Parquet} {
			b.Run(fmt.Sprintf("interactions=%d/format=%s", n, f), func(b *testing.B) {
				for range b.N {
					runtime.GC()
					resetPeakRSS()
					stop := samplePeakHeap()
					w := &countingWriter{}
					start := time.Now()
					st, err := export.Dataset(context.Background(), store, d, avro, export.Options{Format: f}, w)
					elapsed := time.Since(start)
					peakHeap := stop()
					if err != nil {
						b.Fatal(err)
					}
					if st.Rows != n {
						b.Fatalf("%d rows, want %d", st.Rows, n)
					}
					b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MiB")
					b.ReportMetric(float64(peakRSS())/(1<<10), "peak-RSS-MiB")
					b.ReportMetric(float64(w.n)/(1<<20), "output-MiB")
					b.ReportMetric(float64(n)/elapsed.Seconds(), "rows/s")
				}
			})
		}
		store.Close()
	}
}

// load commits n events through the store's write path, as PutEvents does.
func load(b *testing.B, s *pebble.Store, d *perch.Dataset, n int) {
	const batch = 2000
	for i := 0; i < n; i += batch {
		events := make([]perch.Event, 0, batch)
		for j := i; j < min(n, i+batch); j++ {
			v := float64(j % 5)
			events = append(events, perch.Event{
				EventID: strconv.Itoa(j), EventType: "click", EventValue: &v, ItemID: "item-" + strconv.Itoa(j%10000),
				UserID: "user-" + strconv.Itoa(j%50000), SessionID: "session-" + strconv.Itoa(j%100000),
				SentAt: perch.Timestamp(1700000000000 + int64(j)*1000), Impression: []string{"item-1", "item-2", "item-3"},
				Properties: `{"device":"phone","numberOfRatings":` + strconv.Itoa(j%100) + `}`,
			})
		}
		if err := s.Commit(context.Background(), &perch.Batch{Dataset: d, Events: events}); err != nil {
			b.Fatal(err)
		}
	}
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*countingWriter)(nil)

// samplePeakHeap samples the live heap every 5 ms until the returned stop
// is called, which returns the largest sample.
func samplePeakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		return peak.Load()
	}
}

// resetPeakRSS resets the kernel's record of the process's peak resident
// set (Linux), so that peakRSS reports the export's alone.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS returns VmHWM, the peak resident set in KiB, from /proc.
func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
