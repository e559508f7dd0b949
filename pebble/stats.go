package pebble

import (
	"slices"
	"sync/atomic"
	"time"
)

// Stats is what the store's writer has done since Open and the engine's
// state now, for monitoring.
type Stats struct {
	// Groups is how many synced commits of queued batches the writer made,
	// FailedGroups how many of them failed; Batches and Records count what
	// the successful ones carried (records of every kind).
	Groups, FailedGroups, Batches, Records uint64
	// QueueWait is how long each batch waited, from being queued to the
	// start of its group's commit: for the writer to finish the group in
	// flight, mostly. GroupCommit is how long each group's commit took,
	// from laying out its keys to the end of its sync, failed ones
	// included. A call's time in the store is its wait and its group's
	// commit.
	QueueWait, GroupCommit Histogram
	// Queued is how many batches wait for the writer now, of QueueDepth
	// at most.
	Queued, QueueDepth int
	// WriteStalls counts the engine's write stalls since Open, and
	// StallTime adds up those that ended.
	WriteStalls uint64
	StallTime   time.Duration
	// ShortOfSpace is whether the last look at the free space before a
	// write (or while recovering) found less than Options.MinFreeBytes,
	// so that writes were refused; it holds until a look finds enough.
	ShortOfSpace bool
	// Engine is nil while the store refuses writes to recover from a failed
	// one, or once it is closed.
	Engine *EngineStats
}

// EngineStats is the Pebble database's state.
type EngineStats struct {
	L0Sublevels           int
	L0Tables              int64
	ReadAmplification     int
	CompactionDebtBytes   uint64
	Compactions           int64 // completed since Open
	CompactionsInProgress int64
	Flushes               int64 // completed since Open
	MemTableBytes         uint64
	MemTables             int64
	WALBytesWritten       uint64
	DiskBytes             uint64 // everything the engine keeps on disk
}

// counters are the writer's and the engine's tallies behind Stats; they
// are atomic so that Stats reads them while the writer runs.
type counters struct {
	groups, failedGroups, batches, records atomic.Uint64
	queueWait, groupCommit                 latencyCounts
	stalls                                 atomic.Uint64
	stallNanos                             atomic.Int64
	stallStart                             atomic.Int64 // unix nanos of the stall in progress, 0 if none
	shortOfSpace                           atomic.Bool
}

// countGroup records one group's commit, which started at start and
// ended at end.
func (c *counters) countGroup(batches []*commitRequest, start, end time.Time, err error) {
	c.groups.Add(1)
	c.groupCommit.observe(end.Sub(start))
	for _, r := range batches {
		c.queueWait.observe(start.Sub(r.queued))
	}
	if err != nil {
		c.failedGroups.Add(1)
		return
	}
	records := 0
	for _, r := range batches {
		records += r.batch.Len()
	}
	c.batches.Add(uint64(len(batches)))
	c.records.Add(uint64(records))
}

func (c *counters) stallBegan() {
	c.stalls.Add(1)
	c.stallStart.Store(time.Now().UnixNano())
}

func (c *counters) stallEnded() {
	if start := c.stallStart.Swap(0); start != 0 {
		c.stallNanos.Add(time.Now().UnixNano() - start)
	}
}

// Stats returns the store's figures. It does not wait for the writer.
func (s *Store) Stats() Stats {
	c := &s.counters
	st := Stats{
		Groups:       c.groups.Load(),
		FailedGroups: c.failedGroups.Load(),
		Batches:      c.batches.Load(),
		Records:      c.records.Load(),
		QueueWait:    c.queueWait.load(),
		GroupCommit:  c.groupCommit.load(),
		Queued:       len(s.queue),
		QueueDepth:   cap(s.queue),
		WriteStalls:  c.stalls.Load(),
		StallTime:    time.Duration(c.stallNanos.Load()),
		ShortOfSpace: c.shortOfSpace.Load(),
	}
	if s.gate.enter() != nil {
		return st
	}
	defer s.gate.leave()
	m := s.db.Metrics()
	st.Engine = &EngineStats{
		L0Sublevels:           int(m.Levels[0].Sublevels),
		L0Tables:              m.Levels[0].TablesCount,
		ReadAmplification:     m.ReadAmp(),
		CompactionDebtBytes:   m.Compact.EstimatedDebt,
		Compactions:           m.Compact.Count,
		CompactionsInProgress: m.Compact.NumInProgress,
		Flushes:               m.Flush.Count,
		MemTableBytes:         m.MemTable.Size,
		MemTables:             m.MemTable.Count,
		WALBytesWritten:       m.WAL.BytesWritten,
		DiskBytes:             m.DiskSpaceUsage(),
	}
	return st
}

// LatencyBounds are the upper bounds of the buckets of the store's latency
// histograms: fine below a few milliseconds, where a sync of the log
// falls on a quiet disk, and coarse up to the seconds of a write stall.
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

// latencyCounts is a Histogram that the writer adds to while Stats reads it.
type latencyCounts struct {
	counts [len(LatencyBounds) + 1]atomic.Uint64
	sum    atomic.Int64
}

func (l *latencyCounts) observe(d time.Duration) {
	i, _ := slices.BinarySearch(LatencyBounds[:], d)
	l.counts[i].Add(1)
	l.sum.Add(int64(d))
}

// load copies the counts one at a time while the writer may be adding to
// them: the copy may miss a duration or two of the moment, which is as
// exact as monitoring needs.
func (l *latencyCounts) load() Histogram {
	var h Histogram
	for i := range l.counts {
		h.Counts[i] = l.counts[i].Load()
	}
	h.Sum = time.Duration(l.sum.Load())
	return h
}
