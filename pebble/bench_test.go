package pebble

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/internal/cputime"
)

// benchEvent is an event of about 300 bytes encoded. Events n to n+9
// (n a multiple of 10) have one user and one session, as the events of a
// PutEvents call do.
func benchEvent(n uint64) perch.Event {
	value := 1.5
	return perch.Event{
		EventID:          fmt.Sprintf("event-%012d", n),
		EventType:        "click",
		EventValue:       &value,
		ItemID:           fmt.Sprintf("item-%d", n%5000),
		UserID:           fmt.Sprintf("user-%d", n/10%1000),
		SessionID:        fmt.Sprintf("session-%d", n/10%3000),
		SentAt:           perch.Timestamp(1700000000000 + n),
		RecommendationID: "RID-12345678-1234-1234-1234-123456789012",
		Impression:       []string{"item-1", "item-2", "item-3"},
		Properties:       `{"numberOfRatings": "12", "discount": "0.5", "device": "mobile"}`,
	}
}

func reportEventRate(b *testing.B, events int, elapsed time.Duration) {
	b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
}

// BenchmarkCommitEvents commits 10-event batches from many goroutines, as
// concurrent PutEvents requests do. The number of committers sets how many
// batches the writer can gather into each synced commit.
func BenchmarkCommitEvents(b *testing.B) {
	const perBatch = 10
	for _, perCPU := range []int{1, 8, 64} {
		committers := perCPU * runtime.GOMAXPROCS(0)
		b.Run(fmt.Sprintf("committers=%d", committers), func(b *testing.B) {
			s := openStore(b, b.TempDir(), Options{})
			ds := dataset(1, perch.Interactions)
			var next atomic.Uint64
			b.SetParallelism(perCPU)
			b.ReportAllocs()
			start, cpuStart := time.Now(), cputime.Process()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					events := make([]perch.Event, perBatch)
					call := next.Add(1) - 1
					for i := range events {
						events[i] = benchEvent(call*perBatch + uint64(i))
					}
					if err := s.Commit(ctx, &perch.Batch{Dataset: ds, Events: events}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportEventRate(b, b.N*perBatch, time.Since(start))
			// The process's CPU per batch counts what the time per batch
			// hides: the engine's flushes and compactions in the background,
			// and the syncs' cost in the kernel. It moves much less than the
			// time with the disk's sync latency and the machine's other load.
			b.ReportMetric(float64((cputime.Process()-cpuStart).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// BenchmarkEncodeBatch is the part of a commit its caller pays before
// queueing: encoding the records of a 10-event batch.
func BenchmarkEncodeBatch(b *testing.B) {
	events := make([]perch.Event, 10)
	for i := range events {
		events[i] = benchEvent(uint64(i))
	}
	batch := &perch.Batch{Dataset: dataset(1, perch.Interactions), Events: events}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeBatch(batch); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEventsScan reads every event of a dataset, duplicates resolved.
func BenchmarkEventsScan(b *testing.B) {
	const total, perBatch = 100_000, 2000
	s := openStore(b, b.TempDir(), Options{})
	ds := dataset(1, perch.Interactions)
	for n := uint64(0); n < total; n += perBatch {
		events := make([]perch.Event, perBatch)
		for i := range events {
			events[i] = benchEvent(n + uint64(i))
		}
		commit(b, s, &perch.Batch{Dataset: ds, Events: events})
	}
	ctx := context.Background()
	start := time.Now()
	for b.Loop() {
		n := 0
		err := s.Events(ctx, ds.ID, perch.RecordQuery{}, func(*perch.Event) error { n++; return nil })
		if err != nil || n != total {
			b.Fatalf("scanned %d events, err %v; want %d", n, err, total)
		}
	}
	reportEventRate(b, b.N*total, time.Since(start))
}
