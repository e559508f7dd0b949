//go:build unix

// Package cputime reads the CPU time the process has used, for the load
// generator's report and for benchmarks that report CPU per operation: it
// counts background work (the engine's compactions, the kernel's side of
// syncs) that wall time per operation hides, and moves less with the
// machine's other load.
package cputime

import (
	"syscall"
	"time"
)

// Process is the user and system CPU time this process has used, or 0 if
// the system does not say.
func Process() time.Duration {
	var u syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &u) != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
