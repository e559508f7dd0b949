package console

import (
	"fmt"
	"testing"
	"time"
)

// The space-saving counters keep the frequent values of a long skewed
// stream, with counts never under the truth, in k counters.
func TestTopKKeepsTheFrequent(t *testing.T) {
	top := newTopK(16)
	for i := range 100000 {
		switch {
		case i%4 == 0:
			top.add("hot")
		case i%10 == 1:
			top.add("warm")
		default:
			top.add(fmt.Sprint("cold-", i)) // each seen once
		}
	}
	if len(top.counts) > 16 {
		t.Fatalf("%d counters, want at most 16", len(top.counts))
	}
	got := top.top(2)
	if len(got) != 2 || got[0].value != "hot" || got[0].count < 25000 || got[1].value != "warm" || got[1].count < 10000 {
		t.Errorf("top 2 = %+v, want hot (>= 25000) then warm (>= 10000)", got)
	}
}

// Minutes older than an hour fall out of the chart, and a slot reused an
// hour later starts from zero.
func TestPerMinuteWindow(t *testing.T) {
	s := newDatasetStats()
	start := time.Unix(1700000000, 0)
	s.add(start, "click", "a")
	s.add(start, "click", "a")
	s.add(start.Add(30*time.Minute), "click", "b")
	got := s.perMinute(start.Add(30 * time.Minute))
	if got[59] != 1 || got[29] != 2 {
		t.Errorf("per minute = %v, want 2 at 29 and 1 at 59", got)
	}
	s.add(start.Add(time.Hour), "click", "c") // the first minute's slot
	got = s.perMinute(start.Add(time.Hour))
	if got[59] != 1 || got[29] != 1 || sum(got) != 2 {
		t.Errorf("per minute an hour on = %v, want 1 at 29 and 1 at 59", got)
	}
}

func sum(v []int64) (n int64) {
	for _, x := range v {
		n += x
	}
	return n
}
