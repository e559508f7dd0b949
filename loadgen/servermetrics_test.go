package loadgen

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// metricsText is a perch server's duration histogram in the text format,
// with cumulative counts at 1 ms, 10 ms, 100 ms and +Inf per operation.
func metricsText(ops map[string][4]int) string {
	var b strings.Builder
	b.WriteString("# HELP perch_request_duration_seconds x\n# TYPE perch_request_duration_seconds histogram\n")
	for op, c := range ops {
		for i, le := range []string{"0.001", "0.01", "0.1", "+Inf"} {
			fmt.Fprintf(&b, "perch_request_duration_seconds_bucket{operation=%q,le=%q} %d\n", op, le, c[i])
		}
		fmt.Fprintf(&b, "perch_request_duration_seconds_sum{operation=%q} 1\n", op)
		fmt.Fprintf(&b, "perch_request_duration_seconds_count{operation=%q} %d\n", op, c[3])
	}
	return b.String()
}

// storeText is the store's two histograms in the text format, with
// cumulative counts at 1 ms, 10 ms and +Inf.
func storeText(wait, commit [3]int) string {
	var b strings.Builder
	for name, c := range map[string][3]int{"perch_store_queue_wait_seconds": wait, "perch_store_group_commit_seconds": commit} {
		fmt.Fprintf(&b, "# HELP %s x\n# TYPE %s histogram\n", name, name)
		for i, le := range []string{"0.001", "0.01", "+Inf"} {
			fmt.Fprintf(&b, "%s_bucket{le=%q} %d\n", name, le, c[i])
		}
		fmt.Fprintf(&b, "%s_sum 1\n%s_count %d\n", name, name, c[2])
	}
	return b.String()
}

// sequence serves its texts one per request, the last one again after.
func sequence(t *testing.T, texts ...string) string {
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		text := texts[0]
		if len(texts) > 1 {
			texts = texts[1:]
		}
		mu.Unlock()
		_, _ = w.Write([]byte(text))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/metrics"
}

// scrapeTwice reads url's histogram of ops twice and returns the
// difference, as a run does after its warmup and at its end.
func scrapeTwice(t *testing.T, url string, ops ...string) (*ServerLatency, error) {
	t.Helper()
	before, err := scrapeServer(context.Background(), url, ops)
	if err != nil {
		t.Fatal(err)
	}
	after, err := scrapeServer(context.Background(), url, ops)
	if err != nil {
		t.Fatal(err)
	}
	return after.since(before)
}

func TestServerLatency(t *testing.T) {
	url := sequence(t,
		metricsText(map[string][4]int{"PutEvents": {10, 50, 60, 60}, "PutItems": {1, 2, 2, 2}, "ListDatasets": {0, 0, 0, 9}}),
		metricsText(map[string][4]int{"PutEvents": {10, 130, 148, 150}, "PutItems": {1, 12, 12, 12}, "ListDatasets": {0, 0, 0, 900}}))
	l, err := scrapeTwice(t, url, "PutEvents", "PutItems")
	if err != nil {
		t.Fatal(err)
	}
	// 100 calls between: none within 1 ms, 90 within 10 ms, 98 within
	// 100 ms, 2 over; ListDatasets is not the run's.
	if l.Calls != 100 || l.Within10ms == nil || *l.Within10ms != 90 {
		t.Fatalf("server view %+v; want 100 calls, 90%% within 10 ms", l)
	}
	for name, c := range map[string]struct {
		got  Bucket
		want string
	}{"p50": {l.P50, "1-10 ms"}, "p99": {l.P99, "over 100 ms"}, "p99.9": {l.P999, "over 100 ms"}} {
		if c.got.String() != c.want {
			t.Errorf("%s = %s, want %s", name, c.got, c.want)
		}
	}
	if l.P99.UpTo != nil || l.P99.Above != 100 {
		t.Errorf("p99 past the last bound = %+v, want above 100 with no bound", l.P99)
	}
	want := "p50 1-10 ms, p99 over 100 ms, p99.9 over 100 ms; 90.00% within 10 ms (100 calls, from its metrics)"
	if got := l.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if l.Store != nil {
		t.Errorf("a store's view %+v from metrics without the store's histograms", l.Store)
	}
}

// TestStoreLatency reads the store's histograms beside the requests': 100
// waits for the writer, 90 within 1 ms and 10 over 10 ms; 30 group
// commits, 18 within 1 ms and the rest within 10 ms.
func TestStoreLatency(t *testing.T) {
	requests := metricsText(map[string][4]int{"PutEvents": {0, 0, 0, 0}})
	url := sequence(t, requests+storeText([3]int{5, 8, 10}, [3]int{2, 3, 3}),
		requests+storeText([3]int{95, 98, 110}, [3]int{20, 33, 33}))
	l, err := scrapeTwice(t, url, "PutEvents")
	if err != nil {
		t.Fatal(err)
	}
	st := l.Store
	if st == nil || st.WaitForWriter.Count != 100 || st.GroupCommit.Count != 30 {
		t.Fatalf("store's view %+v; want 100 waits, 30 commits", st)
	}
	want := "wait for the writer p50 0-1 ms, p99 over 10 ms, p99.9 over 10 ms; group commit p50 0-1 ms, p99 1-10 ms, p99.9 1-10 ms (30 groups)"
	if got := st.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestServerLatencyRefusesWhatItCannotRead(t *testing.T) {
	ops := []string{"PutEvents"}
	if _, err := scrapeServer(context.Background(), sequence(t, "# nothing here\n"), ops); err == nil ||
		!strings.Contains(err.Error(), "perch serve --metrics") {
		t.Errorf("metrics without the histogram: %v", err)
	}
	restarted := sequence(t,
		metricsText(map[string][4]int{"PutEvents": {10, 50, 60, 60}}),
		metricsText(map[string][4]int{"PutEvents": {1, 2, 3, 3}}))
	if _, err := scrapeTwice(t, restarted, ops...); err == nil || !strings.Contains(err.Error(), "restarted") {
		t.Errorf("counts that went down: %v", err)
	}
}
