//go:build linux && cgo

package main

import (
	"os"
	"strings"
	"syscall"
)

// mallocHugePagesTunable asks glibc's malloc (2.35 and later) to mark the
// memory it maps for transparent huge pages.
const mallocHugePagesTunable = "glibc.malloc.hugetlb"

// execWithMallocHugePages runs the server again, at once and in the same
// process, with mallocHugePagesTunable in GLIBC_TUNABLES, which glibc reads
// only when a program starts. It does nothing if GLIBC_TUNABLES already
// sets the tunable (so the second start goes on, and anyone can turn it
// off with glibc.malloc.hugetlb=0), or unless the kernel gives huge pages
// to the memory that asks for them ("madvise" mode; with "always" it gives
// them anyway, with "never" not at all).
//
// The engine allocates its memtables (64 MiB each) and block cache with C's
// malloc, and the memtables are where every record is copied first. Faulting
// them in 4 KiB at a time cost the server a page fault per call or so while
// a store fills its first memtables, and random inserts into the memtable's
// skiplist miss the TLB across them; on the machine of BENCHMARKS.md the
// storage path took 18% less CPU per batch with huge pages.
func execWithMallocHugePages() {
	tunables, set := os.LookupEnv("GLIBC_TUNABLES")
	if set && strings.Contains(tunables, mallocHugePagesTunable+"=") {
		return
	}
	mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || !strings.Contains(string(mode), "[madvise]") {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		return
	}
	if tunables != "" {
		tunables += ":"
	}
	tunables += mallocHugePagesTunable + "=1"
	env := []string{"GLIBC_TUNABLES=" + tunables}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GLIBC_TUNABLES=") {
			env = append(env, kv)
		}
	}
	// Exec returns only if it failed; the server then runs as it is.
	_ = syscall.Exec(exe, os.Args, env)
}
