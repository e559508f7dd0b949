package postgres

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/internal/pgtest"
)

// BenchmarkCommit commits PutEvents-sized batches (10 events of one user
// and session, with impressions and properties, as loadgen sends them)
// from many goroutines at once, as a loaded server does, and reports the
// events committed per second. Every commit waits for its WAL flush.
func BenchmarkCommit(b *testing.B) {
	for _, committers := range []int{1, 16, 64, 256} {
		b.Run(fmt.Sprintf("committers=%d", committers), func(b *testing.B) {
			s, err := Open(b.Context(), pgtest.Database(b), Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			d := benchDataset(b, s)
			var next atomic.Int64
			b.SetParallelism(max(1, committers/runtime.GOMAXPROCS(0)))
			start := time.Now()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					n := next.Add(1)
					batch := &perch.Batch{Dataset: d, Events: make([]perch.Event, 10)}
					for i := range batch.Events {
						batch.Events[i] = perch.Event{
							EventID: fmt.Sprintf("e-%d-%d", n, i), EventType: "click", ItemID: fmt.Sprintf("item-%d", (n*7+int64(i))%5000),
							UserID: fmt.Sprintf("user-%d", n%1000), SessionID: fmt.Sprintf("session-%d", n%3000), SentAt: 1700000000000 + perch.Timestamp(n),
							Impression:       []string{"item-1", "item-2", "item-3", "item-4", "item-5"},
							RecommendationID: "rec-1", Properties: `{"device": "phone"}`,
						}
					}
					if err := s.Commit(b.Context(), batch); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			elapsed := time.Since(start)
			st := s.Stats()
			b.ReportMetric(float64(b.N*10)/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(st.Batches)/float64(max(1, st.Commits)), "batches/commit")
		})
	}
}

func benchDataset(b *testing.B, s *Store) *perch.Dataset {
	ctx, r := b.Context(), s.Resources()
	g := &perch.DatasetGroup{ARN: arn("dataset-group/bench"), Name: "bench", Status: perch.StatusActive}
	sc := &perch.Schema{ARN: arn("schema/bench"), Name: "bench"}
	if err := r.CreateDatasetGroup(ctx, g, 10); err != nil {
		b.Fatal(err)
	}
	if err := r.CreateSchema(ctx, sc, 10); err != nil {
		b.Fatal(err)
	}
	id, err := r.NextDatasetID(ctx)
	if err != nil {
		b.Fatal(err)
	}
	d := &perch.Dataset{ARN: arn("dataset/bench/INTERACTIONS"), Name: "bench", GroupARN: g.ARN, Type: perch.Interactions,
		SchemaARN: sc.ARN, Status: perch.StatusActive, ID: id}
	if err := r.CreateDataset(ctx, d); err != nil {
		b.Fatal(err)
	}
	return d
}
