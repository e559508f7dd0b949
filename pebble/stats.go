package pebble

import (
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
	// CommitTime is the time the writer spent committing groups, from
	// laying out a group's keys to the end of its sync.
	CommitTime time.Duration
	// Queued is how many batches wait for the writer now, of QueueDepth
	// at most.
	Queued, QueueDepth int
	// WriteStalls counts the engine's write stalls since Open, and
	// StallTime adds up those that ended.
	WriteStalls uint64
	StallTime   time.Duration
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
	commitNanos                            atomic.Int64
	stalls                                 atomic.Uint64
	stallNanos                             atomic.Int64
	stallStart                             atomic.Int64 // unix nanos of the stall in progress, 0 if none
}

// countGroup records one group's commit.
func (c *counters) countGroup(batches []*commitRequest, took time.Duration, err error) {
	c.groups.Add(1)
	c.commitNanos.Add(int64(took))
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
		CommitTime:   time.Duration(c.commitNanos.Load()),
		Queued:       len(s.queue),
		QueueDepth:   cap(s.queue),
		WriteStalls:  c.stalls.Load(),
		StallTime:    time.Duration(c.stallNanos.Load()),
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
