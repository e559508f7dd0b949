package pebble

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/perchdev/perch"
)

// logFiles returns the names of the write-ahead logs in dir that hold
// something.
func logFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var logs []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".log") {
			continue
		}
		if info, err := e.Info(); err == nil && info.Size() > 0 {
			logs = append(logs, e.Name())
		}
	}
	return logs
}

func closeStore(t *testing.T, s *Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestWALDirHoldsTheLog(t *testing.T) {
	dir, walDir := t.TempDir(), filepath.Join(t.TempDir(), "wal")
	ds := dataset(1, perch.Interactions)
	s, err := Open(dir, Options{WALDir: walDir})
	if err != nil {
		t.Fatal(err)
	}
	commit(t, s, &perch.Batch{Dataset: ds, Events: []perch.Event{event("e1", "u", "s")}})
	if logs := logFiles(t, walDir); len(logs) == 0 {
		t.Error("no write-ahead log in the log directory")
	}
	if logs := logFiles(t, dir); len(logs) != 0 {
		t.Errorf("write-ahead logs in the store's directory: %v", logs)
	}
	closeStore(t, s)

	s = openStore(t, dir, Options{WALDir: walDir})
	if ids := eventIDs(events(t, s, ds.ID, perch.RecordQuery{})); !slices.Equal(ids, []string{"e1"}) {
		t.Errorf("events after reopen = %v", ids)
	}
}

// A store reopened with another log directory replays what the old one
// holds (records that are in no table yet: the engine does not flush its
// memtables when it closes), after which the old directory is not needed.
func TestWALDirMoves(t *testing.T) {
	dir, base := t.TempDir(), t.TempDir()
	first, second := filepath.Join(base, "first"), filepath.Join(base, "second")
	ds := dataset(1, perch.Interactions)
	var want []string
	// step opens the store with walDir, checks every record so far, removes
	// the directory the log moved from (if not the store's), commits one
	// more record and checks that it is in a log in logsIn.
	step := func(walDir, movedFrom, logsIn string) {
		t.Helper()
		s, err := Open(dir, Options{WALDir: walDir})
		if err != nil {
			t.Fatalf("Open with log directory %q: %v", walDir, err)
		}
		if ids := eventIDs(events(t, s, ds.ID, perch.RecordQuery{})); !slices.Equal(ids, want) {
			t.Errorf("log directory %q: events = %v, want %v", walDir, ids, want)
		}
		if movedFrom != "" {
			if err := os.RemoveAll(movedFrom); err != nil {
				t.Fatal(err)
			}
		}
		id := fmt.Sprintf("e%d", len(want)+1)
		commit(t, s, &perch.Batch{Dataset: ds, Events: []perch.Event{event(id, "u", "s")}})
		want = append(want, id)
		closeStore(t, s)
		if len(logFiles(t, logsIn)) == 0 {
			t.Fatalf("log directory %q: the last record is not in a log in %s", walDir, logsIn)
		}
	}
	step("", "", dir)           // the store's own directory
	step(first, "", first)      // from the store's directory to another
	step(second, first, second) // from one to another
	step(dir, second, dir)      // back, named explicitly
	step(second, "", second)    // away again
	step("", second, dir)       // back by default
	step("", "", dir)           // and reopened as it is
}

func TestWALDirGoneIsAnError(t *testing.T) {
	dir := t.TempDir()
	base, err := filepath.EvalSymlinks(t.TempDir()) // the name the error gives
	if err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(base, "old")
	s, err := Open(dir, Options{WALDir: old})
	if err != nil {
		t.Fatal(err)
	}
	commit(t, s, &perch.Batch{Dataset: dataset(1, perch.Interactions), Events: []perch.Event{event("e1", "u", "s")}})
	closeStore(t, s)
	if err := os.RemoveAll(old); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir, Options{WALDir: filepath.Join(base, "new")})
	if err == nil || !strings.Contains(err.Error(), old) {
		t.Fatalf("Open after the log directory was removed: %v; want an error naming %s", err, old)
	}
}

// A log directory belongs to one store: while it is open, the store's lock
// keeps others out; once it is closed, its logs do (the engine refuses to
// create a store beside another's logs).
func TestWALDirIsOneStores(t *testing.T) {
	dir, walDir := t.TempDir(), t.TempDir()
	s, err := Open(dir, Options{WALDir: walDir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(t.TempDir(), Options{WALDir: walDir}); err == nil || !strings.Contains(err.Error(), "another store") {
		t.Fatalf("second store on an open store's log directory: %v; want a lock error", err)
	}
	closeStore(t, s)
	if _, err := Open(t.TempDir(), Options{WALDir: walDir}); err == nil {
		t.Fatal("a new store opened on another store's log directory")
	}
	s, err = Open(dir, Options{WALDir: walDir})
	if err != nil {
		t.Fatalf("reopening the store on its log directory: %v", err)
	}
	closeStore(t, s)
}

// The log directory named another way (through a symbolic link) is the
// same directory: the store opens as before, its log in place.
func TestWALDirByAnotherName(t *testing.T) {
	dir, base := t.TempDir(), t.TempDir()
	walDir, link := filepath.Join(base, "wal"), filepath.Join(base, "link")
	ds := dataset(1, perch.Interactions)
	s, err := Open(dir, Options{WALDir: walDir})
	if err != nil {
		t.Fatal(err)
	}
	commit(t, s, &perch.Batch{Dataset: ds, Events: []perch.Event{event("e1", "u", "s")}})
	closeStore(t, s)
	if err := os.Symlink(walDir, link); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir, Options{WALDir: link})
	if ids := eventIDs(events(t, s, ds.ID, perch.RecordQuery{})); !slices.Equal(ids, []string{"e1"}) {
		t.Errorf("events = %v, want [e1]", ids)
	}
}
