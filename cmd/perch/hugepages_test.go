package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
)

// glibcTunablesOf returns GLIBC_TUNABLES as process pid was started with
// it. glibc parses the variable in place, ending each tunable with a NUL
// where a colon was, so the tunables after the first read as entries of
// their own in /proc/PID/environ.
func glibcTunablesOf(t *testing.T, pid int) string {
	t.Helper()
	environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		t.Fatal(err)
	}
	entries := strings.Split(string(environ), "\x00")
	for i, kv := range entries {
		if v, ok := strings.CutPrefix(kv, "GLIBC_TUNABLES="); ok {
			tunables := []string{v}
			for _, next := range entries[i+1:] {
				if !strings.HasPrefix(next, "glibc.") {
					break
				}
				tunables = append(tunables, next)
			}
			return strings.Join(tunables, ":")
		}
	}
	return ""
}

func TestServeAsksMallocForHugePages(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("glibc's tunables and /proc are Linux's")
	}
	mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	madvise := err == nil && strings.Contains(string(mode), "[madvise]")
	for _, tc := range []struct {
		name, tunables string
		want           string // GLIBC_TUNABLES of the server when the kernel's mode is madvise
	}{
		{"unset", "", "glibc.malloc.hugetlb=1"},
		{"other tunables kept", "glibc.malloc.check=0", "glibc.malloc.check=0:glibc.malloc.hugetlb=1"},
		{"turned off by the user", "glibc.malloc.hugetlb=0", "glibc.malloc.hugetlb=0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var env []string
			if tc.tunables != "" {
				env = []string{"GLIBC_TUNABLES=" + tc.tunables}
			}
			s := startServerWithEnv(t, t.TempDir(), env)
			got := glibcTunablesOf(t, s.cmd.Process.Pid)
			want := tc.want
			if !madvise {
				want = tc.tunables // the kernel would not give the pages: no second start
			}
			if got != want {
				t.Errorf("server's GLIBC_TUNABLES = %q, want %q (transparent huge pages: %q)", got, want, strings.TrimSpace(string(mode)))
			}
		})
	}
}
