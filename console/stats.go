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

// add counts n records accepted at now, of the given event type and item
// ("" when the record has none).
func (s *datasetStats) add(now time.Time, eventType, itemID string) {
	minute := now.Unix() / 60
	slot := minute % 60
	s.mu.Lock()
	defer s.mu.Unlock()
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
// frequent than 1/k of the stream is kept.
type topK struct {
	k      int
	counts map[string]int64
}

func newTopK(k int) *topK { return &topK{k: k, counts: make(map[string]int64, k)} }

func (t *topK) add(v string) {
	if _, ok := t.counts[v]; ok || len(t.counts) < t.k {
		t.counts[v]++
		return
	}
	// Evicting the smallest by a walk of k counters keeps this simple; k
	// is small and most values of a skewed stream already have a counter.
	var minValue string
	minCount := int64(-1)
	for value, c := range t.counts {
		if minCount < 0 || c < minCount {
			minValue, minCount = value, c
		}
	}
	delete(t.counts, minValue)
	t.counts[v] = minCount + 1
}

func (t *topK) top(n int) []counted {
	out := make([]counted, 0, len(t.counts))
	for v, c := range t.counts {
		out = append(out, counted{v, c})
	}
	slices.SortFunc(out, func(a, b counted) int { return cmp.Or(cmp.Compare(b.count, a.count), cmp.Compare(a.value, b.value)) })
	if len(out) > n {
		out = out[:n]
	}
	return out
}
