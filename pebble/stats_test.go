package pebble

import (
	"context"
	"errors"
	"testing"

	"github.com/perchdev/perch"
)

// TestStats commits two batches and checks the writer's tallies, the
// engine's figures after a flush, and that a closed store reports no
// engine but keeps its tallies.
func TestStats(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	ds := dataset(1, perch.Interactions)
	commit(t, s, &perch.Batch{Dataset: ds, Events: []perch.Event{event("1", "u", "s"), event("2", "u", "s")}})
	commit(t, s, &perch.Batch{Dataset: ds, Events: []perch.Event{event("3", "v", "s")}})
	if err := s.db.Flush(); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	if st.Groups != 2 || st.FailedGroups != 0 || st.Batches != 2 || st.Records != 3 {
		t.Errorf("groups %d (failed %d), batches %d, records %d; want 2 (0), 2, 3", st.Groups, st.FailedGroups, st.Batches, st.Records)
	}
	if st.CommitTime <= 0 || st.Queued != 0 || st.QueueDepth != 4096 {
		t.Errorf("commit time %v, queued %d of %d; want > 0, 0 of 4096", st.CommitTime, st.Queued, st.QueueDepth)
	}
	e := st.Engine
	if e == nil {
		t.Fatal("no engine figures from an open store")
	}
	if e.Flushes < 1 || e.L0Tables < 1 || e.DiskBytes == 0 || e.WALBytesWritten == 0 || e.MemTables < 1 {
		t.Errorf("engine after a flush: %+v", *e)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	closed := s.Stats()
	if closed.Engine != nil || closed.Records != 3 {
		t.Errorf("closed store: engine %v, records %d; want none, 3", closed.Engine, closed.Records)
	}
}

// TestStatsCountFailedGroups checks that a failed commit counts as a
// failed group and its records as not committed.
func TestStatsCountFailedGroups(t *testing.T) {
	fail := true
	s := openStore(t, t.TempDir(), Options{beforeApply: func() error {
		if fail {
			fail = false
			return errors.New("injected failure")
		}
		return nil
	}})
	err := s.Commit(context.Background(), &perch.Batch{Dataset: dataset(1, perch.Interactions), Events: []perch.Event{event("1", "u", "s")}})
	if err == nil {
		t.Fatal("Commit succeeded through an injected failure")
	}
	if st := s.Stats(); st.Groups != 1 || st.FailedGroups != 1 || st.Batches != 0 || st.Records != 0 {
		t.Errorf("groups %d (failed %d), batches %d, records %d; want 1 (1), 0, 0", st.Groups, st.FailedGroups, st.Batches, st.Records)
	}
}
