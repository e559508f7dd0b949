package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
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

// --tune auto paces the collector under a memory limit and gives the
// engine the measured thresholds; --tune off leaves Go's and Pebble's
// defaults. The runtime's settings are read from the server's metrics,
// the engine's from the OPTIONS file Pebble writes when it opens.
func TestServeTune(t *testing.T) {
	for _, tc := range []struct {
		mode           string
		memoryLimit    float64
		l0, lBaseBytes string
	}{
		{"auto", gcMemoryLimit, "8", fmt.Sprint(256 << 20)},
		{"off", math.MaxInt64, "4", fmt.Sprint(64 << 20)},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
				t.Skip("GOGC or GOMEMLIMIT in the environment wins over --tune")
			}
			addr, dataDir := freeAddr(t), t.TempDir()
			startServer(t, dataDir, "--tune", tc.mode, "--metrics", addr)
			families := scrape(t, "http://"+addr+"/metrics")
			if got, ok := value(families, "go_gc_gomemlimit_bytes", nil); !ok || got != tc.memoryLimit {
				t.Errorf("memory limit %v (found: %v), want %v", got, ok, tc.memoryLimit)
			}
			gogc, ok := value(families, "go_gc_gogc_percent", nil)
			if !ok || (tc.mode == "off" && gogc != 100) || (tc.mode == "auto" && (gogc < 100 || gogc > gcMaxPercent)) {
				t.Errorf("GOGC %v (found: %v); want 100 with --tune off, 100-%d with auto", gogc, ok, gcMaxPercent)
			}
			options := engineOptions(t, filepath.Join(dataDir, "store"))
			if got := options["l0_compaction_threshold"]; got != tc.l0 {
				t.Errorf("l0_compaction_threshold=%s, want %s", got, tc.l0)
			}
			if got := options["lbase_max_bytes"]; got != tc.lBaseBytes {
				t.Errorf("lbase_max_bytes=%s, want %s", got, tc.lBaseBytes)
			}
		})
	}
}

// engineOptions reads the key=value lines of the newest OPTIONS file
// Pebble wrote in dir.
func engineOptions(t *testing.T, dir string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "OPTIONS-*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no OPTIONS file in %s (%v)", dir, err)
	}
	data, err := os.ReadFile(files[len(files)-1])
	if err != nil {
		t.Fatal(err)
	}
	options := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			options[k] = v
		}
	}
	return options
}

func TestServeRefusesAnUnknownTune(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	cmd := exec.Command(perchBin, "serve", "--addr", "127.0.0.1:0", "--data", dataDir, "--tune", "fast")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil || !strings.Contains(stderr.String(), `--tune must be auto or off, got "fast"`) {
		t.Errorf("perch serve --tune fast: %v, %q; want a refusal", err, stderr.String())
	}
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Errorf("perch serve --tune fast created the data directory (%v)", err)
	}
}

// perch serve leaves GLIBC_TUNABLES as it was started with: huge pages for
// the engine's memory are asked for by whoever starts it, never by a
// second start of its own.
func TestServeLeavesGlibcTunablesAlone(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux's")
	}
	for _, tunables := range []string{"", "glibc.malloc.hugetlb=1"} {
		var env []string
		if tunables != "" {
			env = []string{"GLIBC_TUNABLES=" + tunables}
		}
		s := startServerWithEnv(t, t.TempDir(), env)
		if got := glibcTunablesOf(t, s.cmd.Process.Pid); got != tunables {
			t.Errorf("started with GLIBC_TUNABLES=%q, the server runs with %q", tunables, got)
		}
	}
}

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
