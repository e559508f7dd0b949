package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
)

const (
	// gcMaxPercent is the GOGC of a small live heap: collecting when the
	// heap has grown to five times what is live, rather than Go's twice,
	// took 5% off the server's CPU per call at full load. The live heap is
	// small, as the engine's memtables and cache are allocated outside it.
	gcMaxPercent = 400
	// gcHeadroom bounds the garbage the heap gathers between collections
	// once the live heap is large enough for gcMaxPercent to allow more:
	// 1,024 connections and the calls in flight under overload make the
	// live heap several times larger than at full load, and fivefold
	// growth of that took the server's peak RSS close to 300 MB.
	gcHeadroom = 64 << 20
	// gcMemoryLimit is a soft limit on all of the runtime's memory: the
	// last bound, for a live heap that comes near it.
	gcMemoryLimit = 512 << 20
)

// tuneGC sets the collector's pace: GOGC from gcPercent after every
// collection, under gcMemoryLimit. GOGC and GOMEMLIMIT in the environment
// take precedence, as usual.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		gcTunerOnce.Do(func() { newGCTuner(gcMaxPercent, gcHeadroom).start() })
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(gcMemoryLimit)
	}
}

// gcTunerOnce starts one tuner per process, however many servers it runs.
var gcTunerOnce sync.Once

// gcPercent is the GOGC that lets a heap of live bytes grow by at most
// headroom before the next collection, within Go's default (100) and
// maxPercent.
func gcPercent(live, headroom uint64, maxPercent int) int {
	if live == 0 {
		return maxPercent
	}
	return int(min(max(headroom*100/live, 100), uint64(maxPercent)))
}

// gcTuner sets GOGC after each collection from the live heap the
// collection found.
type gcTuner struct {
	headroom   uint64
	maxPercent int
	live       []metrics.Sample
	stopped    atomic.Bool
}

func newGCTuner(maxPercent int, headroom uint64) *gcTuner {
	return &gcTuner{
		headroom:   headroom,
		maxPercent: maxPercent,
		live:       []metrics.Sample{{Name: "/gc/heap/live:bytes"}},
	}
}

func (t *gcTuner) start() {
	debug.SetGCPercent(t.maxPercent)
	t.arm()
}

// gcSentinel is big enough not to be batched with other small objects by
// the tiny allocator, whose objects may never be cleaned up.
type gcSentinel struct{ _ [32]byte }

// arm has afterGC run once the next collection is over: a cleanup runs
// after the collection that finds its object unreachable, and nothing
// refers to the sentinel. Unlike polling, this costs nothing while the
// server is idle and follows the collector's own pace under load.
func (t *gcTuner) arm() {
	runtime.AddCleanup(new(gcSentinel), (*gcTuner).afterGC, t)
}

// stop ends the tuning after the next collection, leaving GOGC as it is.
func (t *gcTuner) stop() { t.stopped.Store(true) }

func (t *gcTuner) afterGC() {
	if t.stopped.Load() {
		return
	}
	metrics.Read(t.live)
	if t.live[0].Value.Kind() == metrics.KindUint64 {
		debug.SetGCPercent(gcPercent(t.live[0].Value.Uint64(), t.headroom, t.maxPercent))
	}
	t.arm()
}
