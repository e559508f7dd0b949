package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
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
	tuner := newGCTuner(400, 16<<20)
	tuner.start()
	defer tuner.stop()
	gogc := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	current := func() int {
		metrics.Read(gogc)
		return int(gogc[0].Value.Uint64())
	}
	if got := current(); got != 400 {
		t.Fatalf("GOGC at the start: %d, want 400", got)
	}
	// waitFor collects until the runtime's GOGC is one for which ok holds;
	// the tuner sets it after a collection, in the runtime's cleanup
	// goroutine.
	waitFor := func(what string, ok func(int) bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			runtime.GC()
			time.Sleep(10 * time.Millisecond)
			if ok(current()) {
				return
			}
		}
		t.Fatalf("the tuner never set GOGC %s (it is %d)", what, current())
	}
	live := make([]byte, 64<<20)
	for i := range live {
		live[i] = 1
	}
	waitFor("to 100 with 64 MiB live and 16 MiB of headroom", func(p int) bool { return p == 100 })
	runtime.KeepAlive(live) // and garbage from here on
	waitFor("above 100 once the 64 MiB were garbage", func(p int) bool { return p > 100 })
}
