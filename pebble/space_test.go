package pebble

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/perchdev/perch"
)

// fakeDisks stands for the file systems' free space and counts the looks
// at each directory.
type fakeDisks struct {
	mu    sync.Mutex
	free  map[string]uint64
	looks map[string]int
}

func (d *fakeDisks) usage(dir string) (vfs.DiskUsage, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.looks[dir]++
	return vfs.DiskUsage{AvailBytes: d.free[dir]}, nil
}

func (d *fakeDisks) set(dir string, free uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.free[dir] = free
}

func (d *fakeDisks) looked(dir string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.looks[dir]
}

// withFakeDisks gives s fake file systems, every directory with free
// bytes, whose looks stand for an hour unless the writes since need
// another.
func withFakeDisks(s *Store, free uint64, dirs ...string) *fakeDisks {
	d := &fakeDisks{free: map[string]uint64{}, looks: map[string]int{}}
	for _, dir := range dirs {
		d.free[dir] = free
	}
	s.writeMu.Lock()
	s.diskUsage, s.spaceLookFor = d.usage, time.Hour
	s.writeMu.Unlock()
	return d
}

// expireLooks makes s's looks at free space too old to stand, as time
// would.
func expireLooks(s *Store) {
	s.writeMu.Lock()
	s.dataSpace.at, s.walSpace.at = time.Time{}, time.Time{}
	s.writeMu.Unlock()
}

func commitEvents(s *Store, n int) error {
	for i := range n {
		b := &perch.Batch{Dataset: dataset(1, perch.Interactions),
			Events: []perch.Event{event(fmt.Sprintf("e%d", i), "u", "s")}}
		if err := s.Commit(context.Background(), b); err != nil {
			return err
		}
	}
	return nil
}

// Far above the reserve one look serves many writes until it is too old;
// closer to it the writes since a look send for another sooner, and very
// close every write looks again; under it writes are refused, and once
// space is freed the next write looks again and goes through.
func TestSpaceLooksBeforeWrites(t *testing.T) {
	const reserve = 1 << 20
	dir := t.TempDir()
	s := openStore(t, dir, Options{MinFreeBytes: reserve})
	disks := withFakeDisks(s, 1<<30, dir)

	if err := commitEvents(s, 20); err != nil {
		t.Fatal(err)
	}
	if n := disks.looked(dir); n != 1 {
		t.Errorf("20 writes far above the reserve looked %d times, want 1", n)
	}

	expireLooks(s)
	disks.set(dir, reserve+40<<10) // a quarter of what is above it: 10 KiB, dozens of small writes
	if err := commitEvents(s, 200); err != nil {
		t.Fatal(err)
	}
	if n := disks.looked(dir) - 1; n < 2 || n > 100 {
		t.Errorf("200 writes 40 KiB above the reserve looked %d times, want some but not one per write", n)
	}

	expireLooks(s)
	disks.set(dir, reserve+100) // not room for even one write's share
	before := disks.looked(dir)
	if err := commitEvents(s, 5); err != nil {
		t.Fatal(err)
	}
	if n := disks.looked(dir) - before; n != 5 {
		t.Errorf("5 writes 100 bytes above the reserve looked %d times, want 5", n)
	}

	disks.set(dir, reserve-1)
	err := commitEvents(s, 1)
	if perch.ErrorCode(err) != perch.EServiceUnavailable || !strings.Contains(err.Error(), "the data directory has 1048575 bytes free") {
		t.Fatalf("a write under the reserve = %v, want ServiceUnavailable saying what is free", err)
	}
	if !s.Stats().ShortOfSpace {
		t.Error("Stats: not short of space after a write was refused for it")
	}
	before = disks.looked(dir)
	disks.set(dir, 1<<30)
	if err := commitEvents(s, 1); err != nil {
		t.Fatalf("a write after space was freed = %v", err)
	}
	if s.Stats().ShortOfSpace {
		t.Error("Stats: short of space after a write found enough")
	}
	if n := disks.looked(dir) - before; n != 1 {
		t.Errorf("the write after a refusal looked %d times, want 1", n)
	}

	// A look stands only so long: space taken by others is seen then.
	s.writeMu.Lock()
	s.spaceLookFor = 10 * time.Millisecond
	s.writeMu.Unlock()
	disks.set(dir, reserve-1)
	time.Sleep(20 * time.Millisecond)
	if err := commitEvents(s, 1); perch.ErrorCode(err) != perch.EServiceUnavailable {
		t.Fatalf("a write under the reserve after the last look expired = %v, want ServiceUnavailable", err)
	}
}

// With the log in a directory of its own, both file systems are looked at,
// and the log's being full refuses writes too.
func TestSpaceLooksAtTheLogDirectory(t *testing.T) {
	const reserve = 1 << 20
	dir, walDir := t.TempDir(), filepath.Join(t.TempDir(), "wal")
	s := openStore(t, dir, Options{MinFreeBytes: reserve, WALDir: walDir})
	disks := withFakeDisks(s, 1<<30, dir, s.walDir)

	if err := commitEvents(s, 3); err != nil {
		t.Fatal(err)
	}
	if d, w := disks.looked(dir), disks.looked(s.walDir); d != 1 || w != 1 {
		t.Errorf("looks at the data and log directories: %d and %d, want 1 and 1", d, w)
	}
	expireLooks(s)
	disks.set(s.walDir, reserve-1)
	err := commitEvents(s, 1)
	if perch.ErrorCode(err) != perch.EServiceUnavailable || !strings.Contains(err.Error(), "write-ahead log directory") {
		t.Fatalf("a write with the log's file system under the reserve = %v, want ServiceUnavailable naming it", err)
	}
}
