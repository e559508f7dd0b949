package console

import (
	"cmp"
	"slices"
	"sync"
	"time"
)

// datasetStats are the figures the console shows of a dataset beside its
// stored count: events a minute over the last hour, and the most frequent
// event types and items. They count what this process accepted since it
// started, in bounded memory, so a page never scans the store for them.
type datasetStats struct {
	mu         sync.Mutex
	minutes    [60]int64 // records accepted in a minute, by minute % 60
	minuteOf   [60]int64 // which minute (since the epoch) each slot counts
	eventTypes *topK
	items      *topK
}

// Capacities of the space-saving counters: more counters than the lists
// show keep the top of them exact unless the stream is nearly uniform.
const (
	eventTypeCounters = 64
	itemCounters      = 256
	topShown          = 10
)

func newDatasetStats() *datasetStats {
	return &datasetStats{eventTypes: newTopK(eventTypeCounters), items: newTopK(itemCounters)}
}

// add counts a record accepted at now, of the given event type and item
// ("" when the record has none). Callers hold s.mu.
func (s *datasetStats) add(now time.Time, eventType, itemID string) {
	minute := now.Unix() / 60
	slot := minute % 60
	if s.minuteOf[slot] != minute {
		s.minuteOf[slot], s.minutes[slot] = minute, 0
	}
	s.minutes[slot]++
	if eventType != "" {
		s.eventTypes.add(eventType)
	}
	if itemID != "" {
		s.items.add(itemID)
	}
}

// perMinute returns the counts of the 60 minutes up to now, oldest first.
func (s *datasetStats) perMinute(now time.Time) []int64 {
	out := make([]int64, 60)
	minute := now.Unix() / 60
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range out {
		m := minute - 59 + int64(i)
		if slot := m % 60; s.minuteOf[slot] == m {
			out[i] = s.minutes[slot]
		}
	}
	return out
}

// top returns the most frequent event types and items, most first.
func (s *datasetStats) top() (eventTypes, items []counted) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.eventTypes.top(topShown), s.items.top(topShown)
}

// counted is one value of a top list and its count.
type counted struct {
	value string
	count int64
}

// topK is the space-saving algorithm (Metwally, Agrawal, El Abbadi 2005):
// k counters; a value without one takes the smallest counter over and
// adds one to its count, so a count is never under the value's true
// count and over it by at most the count taken over. Any value more
// frequent than 1/k of the stream is kept. The counters are a min-heap by
// count, so that each record costs O(log k) on the ingest path, however
// many distinct values stream past.
type topK struct {
	k     int
	heap  []counted      // min-heap by count
	index map[string]int // value -> its place in heap
}

func newTopK(k int) *topK { return &topK{k: k, index: make(map[string]int, k)} }

func (t *topK) add(v string) {
	if i, ok := t.index[v]; ok {
		t.heap[i].count++
		t.down(i)
		return
	}
	if len(t.heap) < t.k {
		t.heap = append(t.heap, counted{v, 1})
		t.index[v] = len(t.heap) - 1
		t.up(len(t.heap) - 1)
		return
	}
	delete(t.index, t.heap[0].value)
	t.heap[0] = counted{v, t.heap[0].count + 1}
	t.index[v] = 0
	t.down(0)
}

func (t *topK) swap(i, j int) {
	t.heap[i], t.heap[j] = t.heap[j], t.heap[i]
	t.index[t.heap[i].value], t.index[t.heap[j].value] = i, j
}

func (t *topK) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if t.heap[parent].count <= t.heap[i].count {
			return
		}
		t.swap(i, parent)
		i = parent
	}
}

func (t *topK) down(i int) {
	for {
		least := i
		for _, child := range []int{2*i + 1, 2*i + 2} {
			if child < len(t.heap) && t.heap[child].count < t.heap[least].count {
				least = child
			}
		}
		if least == i {
			return
		}
		t.swap(i, least)
		i = least
	}
}

func (t *topK) top(n int) []counted {
	out := slices.Clone(t.heap)
	slices.SortFunc(out, func(a, b counted) int { return cmp.Or(cmp.Compare(b.count, a.count), cmp.Compare(a.value, b.value)) })
	if len(out) > n {
		out = out[:n]
	}
	return out
}
