package pebble

import (
	"context"
	"strings"
	"testing"

	"github.com/perchdev/perch"
)

// Ready follows the free space by its own looks: it fails while the disk
// is under the reserve and passes again once space is freed, with no write
// in between to find out; a closed store is not ready.
func TestReadyFollowsFreeSpace(t *testing.T) {
	const reserve = 1 << 20
	dir := t.TempDir()
	s := openStore(t, dir, Options{MinFreeBytes: reserve})
	disks := withFakeDisks(s, 1<<30, dir)
	ctx := context.Background()

	if err := s.Ready(ctx); err != nil {
		t.Fatalf("Ready with room: %v", err)
	}
	disks.set(dir, reserve-1)
	err := s.Ready(ctx)
	if perch.ErrorCode(err) != perch.EServiceUnavailable || !strings.Contains(err.Error(), "Insufficient storage: the data directory") {
		t.Fatalf("Ready under the reserve = %v, want ServiceUnavailable for space", err)
	}
	if !s.Stats().ShortOfSpace {
		t.Error("Stats: not short of space after Ready found the disk under the reserve")
	}
	disks.set(dir, 1<<30)
	if err := s.Ready(ctx); err != nil {
		t.Fatalf("Ready once space was freed: %v", err)
	}
	if s.Stats().ShortOfSpace {
		t.Error("Stats: still short of space after Ready found room")
	}
	if err := commitEvents(s, 1); err != nil {
		t.Fatalf("a write once Ready found room: %v", err)
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ready(ctx); err != ErrClosed {
		t.Fatalf("Ready of a closed store = %v, want ErrClosed", err)
	}
}
