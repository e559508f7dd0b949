package pebble

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"github.com/perchdev/perch"
)

// writeLog writes pieces of random sizes up to maxPiece to f as the
// engine writes a log, syncing now and then, closes f and returns what it
// wrote.
func writeLog(t *testing.T, f vfs.File, total, maxPiece int) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	var data []byte
	for len(data) < total {
		piece := make([]byte, 1+rng.IntN(maxPiece))
		for i := range piece {
			piece[i] = byte(1 + rng.IntN(255)) // never zero, so zeros show
		}
		if _, err := f.Write(piece); err != nil {
			t.Fatal(err)
		}
		data = append(data, piece...)
		if rng.IntN(4) == 0 {
			if err := f.SyncData(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return data
}

func TestFilledFileKeepsTheLog(t *testing.T) {
	const chunk, ahead = 4096, 16384
	for _, tc := range []struct {
		name     string
		initial  int // bytes in the file before the log, as in a recycled log
		maxPiece int
	}{
		{"new", 0, 3000},
		{"recycled shorter", 10000, 3000},
		{"recycled longer", 1 << 20, 3000},
		// A large batch reaches the log in writes longer than the filler
		// keeps ahead.
		{"writes longer than the fill ahead", 0, 5 * ahead},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "000001.log")
			if err := os.WriteFile(path, bytes.Repeat([]byte{'x'}, tc.initial), 0o644); err != nil {
				t.Fatal(err)
			}
			raw, err := vfs.Default.OpenReadWrite(path, walCategory)
			if err != nil {
				t.Fatal(err)
			}
			data := writeLog(t, newFilledFile(raw, int64(tc.initial), chunk, ahead), 300000, tc.maxPiece)

			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got[:len(data)], data) {
				t.Fatal("the file does not start with what the log wrote")
			}
			rest := got[len(data):]
			if tc.initial > len(data) {
				// The old log's bytes past the new one's end stay.
				if want := tc.initial - len(data); len(rest) != want || bytes.Count(rest, []byte{'x'}) != want {
					t.Fatalf("after the log: %d bytes, want the old log's %d", len(rest), want)
				}
				return
			}
			if n := len(bytes.TrimLeft(rest, "\x00")); n != 0 {
				t.Fatalf("after the log: %d bytes that are not zeros", n)
			}
			if len(got) < len(data) || len(got) > len(data)+ahead+chunk {
				t.Fatalf("file of %d bytes for a log of %d: the filler should stay within %d of the end",
					len(got), len(data), ahead+chunk)
			}
		})
	}
}

func TestFilledFileReportsTheFillersFailedSync(t *testing.T) {
	failure := errors.New("injected write-back error")
	path := filepath.Join(t.TempDir(), "000001.log")
	raw, err := vfs.Default.Create(path, walCategory)
	if err != nil {
		t.Fatal(err)
	}
	// The filler's sync comes first: Write waits for its first chunk.
	syncs := 0
	raw = errorfs.WrapFile(raw, errorfs.InjectorFunc(func(op errorfs.Op) error {
		if op.Kind == errorfs.OpFileSyncData {
			if syncs++; syncs == 1 {
				return failure
			}
		}
		return nil
	}))
	f := newFilledFile(raw, 0, 4096, 16384)
	if _, err := f.Write([]byte("a record")); err != nil {
		t.Fatalf("Write after the filler failed: %v", err)
	}
	// Linux reports a write-back error to one sync of the file only, and
	// the filler's sync took it: the log's own syncs must still fail.
	for range 2 {
		if err := f.SyncData(); !errors.Is(err, failure) {
			t.Fatalf("SyncData = %v, want the filler's %v", err, failure)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestStoreLogsAreFilledAhead(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	d := dataset(1, perch.Interactions)
	commit(t, s, &perch.Batch{Dataset: d, Events: []perch.Event{event("e1", "u", "s"), event("e2", "u", "s")}})
	logs, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("no log in %s (%v)", dir, err)
	}
	for _, log := range logs {
		info, err := os.Stat(log)
		if err != nil {
			t.Fatal(err)
		}
		if info.Size() < walFillChunk {
			t.Errorf("%s: %d bytes, want at least a filled chunk (%d)", log, info.Size(), walFillChunk)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// The zeros after the log's end read as its end.
	s = openStore(t, dir, Options{})
	if got := eventIDs(events(t, s, 1, perch.RecordQuery{})); !slices.Equal(got, []string{"e1", "e2"}) {
		t.Fatalf("after reopening: %v, want [e1 e2]", got)
	}
}
