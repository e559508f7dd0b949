package perch

import (
	"testing"
	"time"
)

// TestLatencyCounts checks which bucket a duration lands in: a duration
// equal to a bound is counted at most that bound.
func TestLatencyCounts(t *testing.T) {
	var l LatencyCounter
	for _, d := range []time.Duration{0, 50 * time.Microsecond, 51 * time.Microsecond, 10 * time.Millisecond, time.Minute} {
		l.Observe(d)
	}
	h := l.Load()
	want := map[int]uint64{0: 2, 1: 1, 9: 1, len(LatencyBounds): 1}
	for i, n := range h.Counts {
		if n != want[i] {
			t.Errorf("bucket %d (up to %v): %d, want %d", i, LatencyBounds[min(i, len(LatencyBounds)-1)], n, want[i])
		}
	}
	if h.Count() != 5 || h.Sum != time.Minute+10*time.Millisecond+101*time.Microsecond {
		t.Errorf("%d durations adding up to %v", h.Count(), h.Sum)
	}
}
