package pebble

import (
	"slices"
	"sync/atomic"
	"time"

	"github.com/perchdev/perch"
)

// The store reports perch.StoreStats: a commit there is one group commit
// of the writer, the queue is the writer's, and the engine's figures are
// Pebble's.

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

// Stats returns what the writer has done since Open and the engine's
// state now. QueueWait runs from Commit's queueing of a batch to the
// start of its group's commit (mostly the wait for the group in flight);
// CommitDuration from laying out a group's keys to the end of its sync.
// It does not wait for the writer.
func (s *Store) Stats() perch.StoreStats {
	c := &s.counters
	st := perch.StoreStats{
		Commits:        c.groups.Load(),
		FailedCommits:  c.failedGroups.Load(),
		Batches:        c.batches.Load(),
		Records:        c.records.Load(),
		QueueWait:      c.queueWait.load(),
		CommitDuration: c.groupCommit.load(),
		Queued:         len(s.queue),
		QueueCapacity:  cap(s.queue),
		ShortOfSpace:   c.shortOfSpace.Load(),
		Engine: &perch.EngineStats{
			WriteStalls: c.stalls.Load(),
			StallTime:   time.Duration(c.stallNanos.Load()),
		},
	}
	if s.gate.enter() != nil {
		return st
	}
	defer s.gate.leave()
	st.Available = true
	m := s.db.Metrics()
	e := st.Engine
	e.L0Sublevels = int(m.Levels[0].Sublevels)
	e.L0Tables = m.Levels[0].TablesCount
	e.ReadAmplification = m.ReadAmp()
	e.CompactionDebtBytes = m.Compact.EstimatedDebt
	e.Compactions = m.Compact.Count
	e.CompactionsInProgress = m.Compact.NumInProgress
	e.Flushes = m.Flush.Count
	e.MemTableBytes = m.MemTable.Size
	e.MemTables = m.MemTable.Count
	e.WALBytesWritten = m.WAL.BytesWritten
	e.DiskBytes = m.DiskSpaceUsage()
	return st
}

// latencyCounts is a perch.Histogram that the writer adds to while Stats
// reads it.
type latencyCounts struct {
	counts [len(perch.LatencyBounds) + 1]atomic.Uint64
	sum    atomic.Int64
}

func (l *latencyCounts) observe(d time.Duration) {
	i, _ := slices.BinarySearch(perch.LatencyBounds[:], d)
	l.counts[i].Add(1)
	l.sum.Add(int64(d))
}

// load copies the counts one at a time while the writer may be adding to
// them: the copy may miss a duration or two of the moment, which is as
// exact as monitoring needs.
func (l *latencyCounts) load() perch.Histogram {
	var h perch.Histogram
	for i := range l.counts {
		h.Counts[i] = l.counts[i].Load()
	}
	h.Sum = time.Duration(l.sum.Load())
	return h
}
