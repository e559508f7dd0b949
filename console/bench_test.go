package console_test

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"testing"

	"github.com/perchdev/perch"
)

// BenchmarkPagesOfALargeDataset times what the dataset page asks
// (api/group, api/dataset, the newest 50 records, the newest 50 of one
// user) over a dataset of PERCH_BENCH_RECORDS imported records (default
// 1,000,000) and 10,000 put through the API: none of them may cost the
// dataset's size.
func BenchmarkPagesOfALargeDataset(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("PERCH_BENCH_RECORDS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	s := newServer(b, false)
	d, err := s.cat.DescribeDataset(s.ctx, s.datasetARN)
	if err != nil {
		b.Fatal(err)
	}
	loader, err := s.store.BulkLoad(s.ctx, d)
	if err != nil {
		b.Fatal(err)
	}
	batch := make([]perch.Event, 0, 10000)
	for i := range n {
		batch = append(batch, perch.Event{EventType: "click", UserID: fmt.Sprint("user-", i%100000), ItemID: fmt.Sprint("item-", i%50000),
			SentAt: perch.Timestamp(1600000000000 + int64(i))})
		if len(batch) == cap(batch) || i == n-1 {
			if err := loader.Add(s.ctx, &perch.Batch{Dataset: d, Events: batch}); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := loader.Commit(s.ctx, perch.ImportFull); err != nil {
		b.Fatal(err)
	}
	for i := range 1000 {
		events := make([]perch.Event, 10)
		for j := range events {
			events[j] = perch.Event{EventID: fmt.Sprint(i, "-", j), EventType: "click", UserID: fmt.Sprint("user-", i%100), SessionID: fmt.Sprint("s-", i),
				ItemID: fmt.Sprint("item-", j), SentAt: perch.Timestamp(1700000000000 + int64(i))}
		}
		if err := s.ingest.PutEvents(s.ctx, s.trackingID, events); err != nil {
			b.Fatal(err)
		}
	}
	c := &client{t: b, base: s.console.URL}
	pages := []string{
		"api/group?arn=" + s.groupARN,
		"api/dataset?arn=" + s.datasetARN,
		"api/records?limit=50&datasetArn=" + s.datasetARN,
		"api/records?limit=50&userId=user-7&datasetArn=" + s.datasetARN,
	}
	b.ResetTimer()
	for b.Loop() {
		for _, p := range pages {
			if status, body := c.get(p); status != http.StatusOK {
				b.Fatalf("%s = %d %v", p, status, body)
			}
		}
	}
	b.ReportMetric(float64(n+10000), "records")
}
