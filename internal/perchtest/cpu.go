package perchtest

import (
	"syscall"
	"testing"
	"time"
)

// CPUTime is the user and system CPU time the process has used, for
// benchmarks that report CPU per operation: it counts background work
// (the engine's compactions, the kernel's side of syncs) that time per
// operation hides, and moves less with the machine's other load.
func CPUTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
