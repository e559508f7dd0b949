package perch

import (
	"slices"
	"sync/atomic"
	"time"
)

// StoreStats is what a Store has done since it opened and its state now,
// for monitoring; a store offers it through a Stats method, which the
// metrics read at each scrape. It lives with Store so that a store fills
// it without depending on the metrics, and the metrics read any store.
//
// Counts start at zero when the store opens. A store that commits several
// batches in one commit (group commit) counts that as one commit; one that
// commits each batch alone counts each.
type StoreStats struct {
	// Commits is how many commits of record batches (Store.Commit) the
	// store made, FailedCommits how many of them failed; Batches and
	// Records count what the successful ones carried (records of every
	// kind).
	Commits, FailedCommits, Batches, Records uint64
	// QueueWait is how long each batch waited, from being handed to the
	// store to the start of the commit that carried it. CommitDuration is
	// how long each commit took, from its start to the end of its sync,
	// failed ones included. A Commit call's time in the store is its wait
	// and its commit's duration.
	QueueWait, CommitDuration Histogram
	// Queued is how many batches wait for a commit now, of QueueCapacity
	// at most; past it Commit answers ErrBusy. Both are zero for a store
	// without a queue.
	Queued, QueueCapacity int
	// Available is false while the store refuses every operation (it
	// recovers from a failed write) and once it is closed.
	Available bool
	// ShortOfSpace is whether the store refused writes, as of its last
	// look, because its disk had less free space than it keeps in reserve;
	// it holds until a look finds enough.
	ShortOfSpace bool
	// Engine is the storage engine's own figures, for a store whose engine
	// is a log-structured merge tree (the embedded store's); nil for a
	// store on another kind of engine.
	Engine *EngineStats
}

// EngineStats are the figures of a log-structured merge-tree engine. The
// write stalls count from the store's opening; the rest is the engine's
// state now, which only an Available store reports (zero otherwise).
type EngineStats struct {
	// WriteStalls counts the times the engine held every write until its
	// background work caught up; StallTime adds up the stalls that ended.
	WriteStalls uint64
	StallTime   time.Duration

	L0Sublevels           int
	L0Tables              int64
	ReadAmplification     int    // tables or sublevels a read may have to look in
	CompactionDebtBytes   uint64 // what the engine estimates it must compact to bring its levels into shape
	Compactions           int64  // completed since the engine opened
	CompactionsInProgress int64
	Flushes               int64 // memtable flushes completed since the engine opened
	MemTableBytes         uint64
	MemTables             int64
	WALBytesWritten       uint64 // to the write-ahead log since the engine opened
	DiskBytes             uint64 // everything the engine keeps on disk
}

// LatencyBounds are the upper bounds of the buckets of every store's
// latency histograms, so that a metric has the same buckets whatever the
// store: fine below a few milliseconds, where a sync of a log falls on a
// quiet disk, and coarse up to the seconds of a write stall.
var LatencyBounds = [...]time.Duration{
	50 * time.Microsecond, 100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond, 5 * time.Millisecond,
	7500 * time.Microsecond, 10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, time.Second, 5 * time.Second,
}

// Histogram counts durations in the buckets of LatencyBounds.
type Histogram struct {
	// Counts[i] is how many durations were at most LatencyBounds[i] and
	// above the bound before it; the last count is of those above every
	// bound.
	Counts [len(LatencyBounds) + 1]uint64
	// Sum adds up the durations counted.
	Sum time.Duration
}

// Count is how many durations h counted.
func (h *Histogram) Count() uint64 {
	var n uint64
	for _, c := range h.Counts {
		n += c
	}
	return n
}

// LatencyCounter is a Histogram one goroutine adds to while others read
// it: a store's writer, and Stats at each scrape.
type LatencyCounter struct {
	counts [len(LatencyBounds) + 1]atomic.Uint64
	sum    atomic.Int64
}

// Observe counts d.
func (l *LatencyCounter) Observe(d time.Duration) {
	i, _ := slices.BinarySearch(LatencyBounds[:], d)
	l.counts[i].Add(1)
	l.sum.Add(int64(d))
}

// Load copies the counts one at a time while they may be added to: the
// copy may miss a duration or two of the moment, which is as exact as
// monitoring needs.
func (l *LatencyCounter) Load() Histogram {
	var h Histogram
	for i := range l.counts {
		h.Counts[i] = l.counts[i].Load()
	}
	h.Sum = time.Duration(l.sum.Load())
	return h
}
