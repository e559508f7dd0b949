package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"

	"github.com/perchdev/perch/pebble"
)

// perch serve --tune auto (the default) runs with the settings below, each
// measured against Go's and Pebble's defaults on the 2-core machine with
// one virtual disk that BENCHMARKS.md describes (the runs behind the
// figures quoted here are in docs/bench/history.md). Another machine, with
// more cores or a faster disk, may want other values: --tune off leaves
// every default alone, so that they can be measured from there
// (bench/compare.sh runs two settings side by side). Environment variables
// Go reads (GOGC, GOMEMLIMIT, GOMAXPROCS) win over auto, as they do over
// Go's own defaults.
//
// What auto does not do is ask for huge pages. The engine allocates its
// memtables (64 MiB each, where every record is copied first) and its block
// cache with C's malloc, which glibc 2.35 and later maps with transparent
// huge pages when GLIBC_TUNABLES holds glibc.malloc.hugetlb=1 and the
// kernel's mode (/sys/kernel/mm/transparent_hugepage/enabled) is madvise or
// always. Fewer page faults while memtables fill, and fewer TLB misses in
// their skiplists: on the machine of BENCHMARKS.md this took the page
// faults of an 18-second run at 3,500 calls/s from 59,159 to 17,911, and
// the CPU the store spends per committed batch down by 18%. glibc reads the
// variable only when a process starts, so the server cannot set it for
// itself without starting itself again; whoever starts it can:
//
//	GLIBC_TUNABLES=glibc.malloc.hugetlb=1 perch serve ...
const (
	tuneAuto = "auto"
	tuneOff  = "off"
)

// checkTune refuses a --tune perch does not know.
func checkTune(mode string) error {
	if mode != tuneAuto && mode != tuneOff {
		return fmt.Errorf("--tune must be auto or off, got %q", mode)
	}
	return nil
}

// tuneProcess applies mode's settings of the Go runtime: the collector's
// pace and the scheduler's Ps.
func tuneProcess(mode string) {
	if mode == tuneAuto {
		tuneGC()
		tuneScheduler()
	}
}

// engineTuning is mode's tuning of the storage engine. Under auto it is
// pebble.MeasuredTuning, which documents each value: level 0 compacted at
// 8 sublevels into a 256 MiB base level, writes stalled at 48 sublevels,
// values of 128 bytes or more kept out of compactions. At full load the
// first and the last each took about a tenth of the server's CPU per call
// off. The zero Tuning is Pebble's defaults.
func engineTuning(mode string) pebble.Tuning {
	if mode == tuneAuto {
		return pebble.MeasuredTuning()
	}
	return pebble.Tuning{}
}

const (
	// gcMaxPercent is the GOGC of a small live heap: collecting when the
	// heap has grown to five times what is live, rather than Go's twice,
	// took the server's CPU per call at full load from 207 to 196 µs. The
	// live heap is small (about 5 MB at full load), as the engine's
	// memtables and cache are allocated outside it.
	gcMaxPercent = 400
	// gcHeadroom bounds the garbage the heap gathers between collections
	// once the live heap is large enough for gcMaxPercent to allow more:
	// 1,024 connections and the calls in flight under overload make the
	// live heap 20-40 MB, and fivefold growth of that took the server's
	// peak RSS to 283-292 MB; with the bound it was 266 MB.
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

// tuneScheduler gives Go's scheduler one more P than it takes by default
// (one per CPU, or per CPU of the container's quota). The storage engine's
// flushes and compactions run for hundreds of milliseconds at a time, and
// the scheduler makes a running goroutine give up its P only after 10 ms;
// with a P per CPU, the requests and commits woken by the network or a
// sync of the log wait behind that work whenever it holds every P. With
// one more P than CPUs, the kernel shares the CPUs among the threads
// instead, at a much finer grain. At 4,000 calls/s this took the median
// p99 of seven runs from 13.4 to 12.1 ms and their p99.9 from 16-239 ms to
// 14-37 ms; at full load the server took 53% of the no-op server's rate
// rather than 47%, with 131 µs of CPU per call rather than 139. Setting
// GOMAXPROCS stops the runtime from following a container's CPU quota if
// the quota changes while the server runs; the next start takes the new
// quota.
func tuneScheduler() {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 1)
	}
}
