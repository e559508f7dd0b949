package main

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestGCPercent(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, 400},         // nothing measured yet
		{4 * mib, 400},   // 64 MiB of headroom would be 1600%
		{16 * mib, 400},  // exactly fivefold
		{32 * mib, 200},  // the headroom bounds the growth
		{48 * mib, 133},  //
		{64 * mib, 100},  // Go's default
		{640 * mib, 100}, // never below it
	} {
		if got := gcPercent(c.live, 64*mib, 400); got != c.want {
			t.Errorf("gcPercent(%d MiB live) = %d, want %d", c.live/mib, got, c.want)
		}
	}
}

// The tuner lowers GOGC when the live heap grows and raises it again when
// the heap shrinks, after the collections that find so.
func TestGCTunerFollowsTheLiveHeap(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	changed := make(chan int, 64)
	tuner := newGCTuner(400, 16<<20)
	tuner.changed = changed
	tuner.start()
	defer tuner.stop()
	if got := <-changed; got != 400 {
		t.Fatalf("GOGC at the start: %d, want 400", got)
	}
	// waitFor collects until the tuner sets a GOGC for which ok holds.
	waitFor := func(what string, ok func(int) bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			runtime.GC()
			select {
			case p := <-changed:
				if ok(p) {
					return
				}
			case <-time.After(50 * time.Millisecond):
			}
		}
		t.Fatalf("the tuner never set GOGC %s", what)
	}
	live := make([]byte, 64<<20)
	for i := range live {
		live[i] = 1
	}
	waitFor("to 100 with 64 MiB live and 16 MiB of headroom", func(p int) bool { return p == 100 })
	runtime.KeepAlive(live) // and garbage from here on
	waitFor("above 100 once the 64 MiB were garbage", func(p int) bool { return p > 100 })
}
