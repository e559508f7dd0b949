package console

import (
	"fmt"
	"testing"
	"time"

	"github.com/perchdev/perch"
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
	if len(top.heap) > 16 || len(top.index) != len(top.heap) {
		t.Fatalf("%d counters, %d indexed, want at most 16", len(top.heap), len(top.index))
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
	s.mu.Lock()
	s.add(start, "click", "a")
	s.add(start, "click", "a")
	s.add(start.Add(30*time.Minute), "click", "b")
	s.mu.Unlock()
	got := s.perMinute(start.Add(30 * time.Minute))
	if got[59] != 1 || got[29] != 2 {
		t.Errorf("per minute = %v, want 2 at 29 and 1 at 59", got)
	}
	s.mu.Lock()
	s.add(start.Add(time.Hour), "click", "c") // the first minute's slot
	s.mu.Unlock()
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

// The space-saving invariants hold however values arrive: every count is
// at least its value's true count, and the counts sum to the stream's
// length.
func TestTopKInvariants(t *testing.T) {
	top := newTopK(8)
	truth := map[string]int64{}
	for i := range 5000 {
		v := fmt.Sprint((i * 7919) % 37 % (1 + i%13))
		top.add(v)
		truth[v]++
	}
	var total int64
	for i, c := range top.heap {
		total += c.count
		if c.count < truth[c.value] {
			t.Errorf("%s counted %d, seen %d", c.value, c.count, truth[c.value])
		}
		if top.index[c.value] != i {
			t.Errorf("%s indexed at %d, is at %d", c.value, top.index[c.value], i)
		}
		if i > 0 && top.heap[(i-1)/2].count > c.count {
			t.Errorf("heap order broken at %d", i)
		}
	}
	if total != 5000 {
		t.Errorf("counts sum to %d, want 5000", total)
	}
}

// BenchmarkCommitted is the console's cost on the events API's path: a
// 10-event batch counted, with no tail watching, over a catalogue of
// 100,000 items.
func BenchmarkCommitted(b *testing.B) {
	h := NewHub(nil)
	defer h.Close()
	batch := &perch.Batch{Dataset: &perch.Dataset{ID: 1}, Events: make([]perch.Event, 10)}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		for j := range batch.Events {
			batch.Events[j] = perch.Event{EventType: "click", ItemID: fmt.Sprint("item-", (i*10+j)*7919%100000)}
		}
		h.Committed(batch)
	}
}

// A tail's buffer is bounded: records past it are dropped and counted
// for the tail to report, and the batch's committer is never held.
func TestTailBufferDrops(t *testing.T) {
	h := NewHub(nil)
	defer h.Close()
	slow := &subscriber{records: make(chan []byte, 2)}
	h.subscribe(1, slow)
	events := make([]perch.Event, 5)
	for i := range events {
		events[i] = perch.Event{EventID: fmt.Sprint(i), EventType: "click", UserID: "u", SessionID: "s"}
	}
	h.Committed(&perch.Batch{Dataset: &perch.Dataset{ID: 1, Type: perch.Interactions}, Events: events})
	deadline := time.Now().Add(time.Second)
	for slow.dropped.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := slow.dropped.Load(); n != 3 || len(slow.records) != 2 {
		t.Errorf("%d dropped, %d kept; want 3 and 2", n, len(slow.records))
	}
}
