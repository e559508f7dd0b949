package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// readRecords reads the records at the start of a log that has not gone
// round, up to the first zero length.
func readRecords(t *testing.T, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var records [][]byte
	for len(data) >= 8 {
		n := binary.LittleEndian.Uint32(data)
		if n == 0 {
			break
		}
		sum := binary.LittleEndian.Uint32(data[4:])
		body := data[8 : 8+n]
		if crc32.Checksum(body, castagnoli) != sum {
			t.Fatalf("record %d: checksum mismatch", len(records))
		}
		records = append(records, body)
		data = data[8+n:]
	}
	return records
}

func TestRingLogKeepsEveryBody(t *testing.T) {
	dir := t.TempDir()
	l, err := openRingLog(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var syncs atomic.Int64
	l.datasync = func(f *os.File) error { syncs.Add(1); return datasync(f) }
	const callers, each = 16, 20
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for i := range each {
				if err := l.Append(fmt.Appendf(nil, "body %d.%d", c, i)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "noop.log")); err != nil || fi.Size() != 1<<20 {
		t.Fatalf("log file %v, %v; want 1 MiB written in full at open", fi, err)
	}
	records := readRecords(t, filepath.Join(dir, "noop.log"))
	seen := map[string]int{}
	for _, r := range records {
		seen[string(r)]++
	}
	for c := range callers {
		for i := range each {
			if n := seen[fmt.Sprintf("body %d.%d", c, i)]; n != 1 {
				t.Errorf("body %d.%d is in the log %d times", c, i, n)
			}
		}
	}
	if len(records) != callers*each {
		t.Errorf("%d records, want %d", len(records), callers*each)
	}
	if n := syncs.Load(); n < 1 || n > callers*each {
		t.Errorf("%d syncs for %d appends", n, callers*each)
	}
	if err := l.Append([]byte("late")); !errors.Is(err, errLogClosed) {
		t.Errorf("append after Close: %v, want the log closed", err)
	}
}

// TestRingLogGroupsWhatArrivesDuringASync holds the first sync until more
// appends are queued; they must all go in the one next sync.
func TestRingLogGroupsWhatArrivesDuringASync(t *testing.T) {
	l, err := openRingLog(t.TempDir(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	inSync, release := make(chan struct{}), make(chan struct{})
	var syncs atomic.Int64
	l.datasync = func(f *os.File) error {
		if syncs.Add(1) == 1 {
			close(inSync)
			<-release
		}
		return nil
	}
	first := make(chan error)
	go func() { first <- l.Append([]byte("first")) }()
	<-inSync
	const waiting = 8
	var wg sync.WaitGroup
	for range waiting {
		wg.Go(func() {
			if err := l.Append([]byte("later")); err != nil {
				t.Error(err)
			}
		})
	}
	for queued := 0; queued < waiting; {
		l.mu.Lock()
		queued = bytes.Count(l.pending, []byte("later"))
		l.mu.Unlock()
		runtime.Gosched()
	}
	select {
	case err := <-first:
		t.Fatalf("the first append returned (%v) before its sync ended", err)
	default:
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if n := syncs.Load(); n != 2 {
		t.Errorf("%d syncs, want 2: the first, then one for the %d appends queued during it", n, waiting)
	}
}

func TestRingLogGoesRound(t *testing.T) {
	dir := t.TempDir()
	l, err := openRingLog(dir, 4096)
	if err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("x"), 1000)
	for range 20 { // about five times round
		if err := l.Append(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "noop.log")); err != nil || fi.Size() != 4096 {
		t.Errorf("log file %v, %v; want it to stay 4096 bytes", fi, err)
	}
}

func TestRingLogFailsAfterAFailedSync(t *testing.T) {
	l, err := openRingLog(t.TempDir(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	broken := errors.New("EIO")
	l.datasync = func(*os.File) error { return broken }
	if err := l.Append([]byte("a")); !errors.Is(err, broken) {
		t.Errorf("append with a failed sync: %v, want %v", err, broken)
	}
	l.datasync = func(*os.File) error { return nil }
	if err := l.Append([]byte("b")); !errors.Is(err, broken) {
		t.Errorf("append after a failed sync: %v, want %v still", err, broken)
	}
}
