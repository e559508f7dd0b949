package pebble

import (
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
	queueWait, groupCommit                 perch.LatencyCounter
	stalls                                 atomic.Uint64
	stallNanos                             atomic.Int64
	stallStart                             atomic.Int64 // unix nanos of the stall in progress, 0 if none
	shortOfSpace                           atomic.Bool
}

// countGroup records one group's commit, which started at start and
// ended at end.
func (c *counters) countGroup(batches []*commitRequest, start, end time.Time, err error) {
	c.groups.Add(1)
	c.groupCommit.Observe(end.Sub(start))
	for _, r := range batches {
		c.queueWait.Observe(start.Sub(r.queued))
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
		QueueWait:      c.queueWait.Load(),
		CommitDuration: c.groupCommit.Load(),
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
