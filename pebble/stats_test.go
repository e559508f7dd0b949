package pebble

import (
	"context"
	"errors"
	"testing"

	"github.com/perchdev/perch"
)

// TestStats commits two batches and checks the writer's tallies, the
// engine's figures after a flush, and that a closed store is unavailable,
// reports no engine state but keeps its tallies.
func TestStats(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	ds := dataset(1, perch.Interactions)
	commit(t, s, &perch.Batch{Dataset: ds, Events: []perch.Event{event("1", "u", "s"), event("2", "u", "s")}})
	commit(t, s, &perch.Batch{Dataset: ds, Events: []perch.Event{event("3", "v", "s")}})
	if err := s.db.Flush(); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	if st.Commits != 2 || st.FailedCommits != 0 || st.Batches != 2 || st.Records != 3 {
		t.Errorf("groups %d (failed %d), batches %d, records %d; want 2 (0), 2, 3", st.Commits, st.FailedCommits, st.Batches, st.Records)
	}
	if st.Queued != 0 || st.QueueCapacity != 4096 {
		t.Errorf("queued %d of %d; want 0 of 4096", st.Queued, st.QueueCapacity)
	}
	if n := st.CommitDuration.Count(); n != 2 || st.CommitDuration.Sum <= 0 {
		t.Errorf("%d group commits taking %v; want 2 taking some time", n, st.CommitDuration.Sum)
	}
	if n := st.QueueWait.Count(); n != 2 {
		t.Errorf("%d batches' waits counted, want 2", n)
	}
	e := st.Engine
	if !st.Available || e == nil {
		t.Fatalf("an open store: available %v, engine figures %v", st.Available, e)
	}
	if e.Flushes < 1 || e.L0Tables < 1 || e.DiskBytes == 0 || e.WALBytesWritten == 0 || e.MemTables < 1 {
		t.Errorf("engine after a flush: %+v", *e)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	closed := s.Stats()
	if closed.Available || closed.Records != 3 {
		t.Errorf("closed store: available %v, records %d; want false, 3", closed.Available, closed.Records)
	}
	if e := closed.Engine; e == nil || e.DiskBytes != 0 || e.Flushes != 0 {
		t.Errorf("closed store: engine %+v; want its stall counts and no state", e)
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
	if st := s.Stats(); st.Commits != 1 || st.FailedCommits != 1 || st.Batches != 0 || st.Records != 0 {
		t.Errorf("groups %d (failed %d), batches %d, records %d; want 1 (1), 0, 0", st.Commits, st.FailedCommits, st.Batches, st.Records)
	}
}
