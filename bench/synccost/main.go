//go:build linux

// Command synccost measures what one synced 4 KiB write costs on a file
// system, in the three states a write-ahead log's blocks can be in: past
// the end of a growing file ("append"), reserved with
// fallocate(FALLOC_FL_KEEP_SIZE) but unwritten, as Pebble preallocates a
// new log ("fallocate"), and written before, as in a recycled or
// zero-filled log ("written"). For each it reports the latency of
// write+fdatasync, this process's CPU per sync (getrusage) and the whole
// machine's busy time per sync (/proc/stat, which also counts the
// kernel's own threads). Modes run in turn, round after round, so that
// other load falls on all of them alike. With -interval it paces the
// syncs, to probe what a sync costs while something else loads the
// machine without adding much load of its own. With -syncers it runs
// several threads at once, each writing its own blocks of the same file
// and syncing it, to show how far the disk overlaps syncs in flight
// together: each count of syncers runs in turn within a round.
//
//	go run ./bench/synccost -dir /path/on/the/disk [-duration 4s] [-rounds 4]
//	go run ./bench/synccost -dir /path/on/the/disk -modes written -interval 2ms -duration 17s -rounds 1 -file-mb 48
//	go run ./bench/synccost -dir /path/on/the/disk -modes written -syncers 1,2,4 -duration 3s -rounds 2
package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/perchdev/perch/internal/cputime"
)

const blockSize = 4096

var (
	// fileSize is the test file's size (-file-mb); a run ends early when
	// it has written it all.
	fileSize int64
	// interval is the pause after each sync (-interval).
	interval time.Duration
)

func main() {
	dir := flag.String("dir", ".", "directory of the test file (on the file system to measure)")
	duration := flag.Duration("duration", 4*time.Second, "how long each mode runs per round")
	rounds := flag.Int("rounds", 4, "rounds of every mode")
	modeList := flag.String("modes", "append,fallocate,written", "modes to measure, in turn")
	flag.DurationVar(&interval, "interval", 0, "pause between one sync and the next write (0: none)")
	fileMB := flag.Int64("file-mb", 256, "size of the test file in MiB")
	syncerList := flag.String("syncers", "1", "threads writing and syncing the file at once; a list runs each in turn")
	flag.Parse()
	fileSize = *fileMB << 20
	modes := strings.Split(*modeList, ",")
	for _, mode := range modes {
		if !slices.Contains([]string{"append", "fallocate", "written"}, mode) {
			log.Fatalf("unknown mode %q: append, fallocate or written", mode)
		}
	}
	var syncers []int
	for _, field := range strings.Split(*syncerList, ",") {
		n, err := strconv.Atoi(field)
		if err != nil || n < 1 {
			log.Fatalf("-syncers %q: want positive counts, such as 1,2,4", *syncerList)
		}
		syncers = append(syncers, n)
	}
	path := filepath.Join(*dir, "synccost.tmp")
	defer os.Remove(path)
	fmt.Println("| round | file | syncers | syncs | syncs a second | p50 | p99 | p99.9 | process CPU per sync | machine busy per sync |")
	fmt.Println("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for round := 1; round <= *rounds; round++ {
		for _, mode := range modes {
			for _, n := range syncers {
				if err := measure(path, mode, n, *duration, round); err != nil {
					log.Fatal(err)
				}
			}
		}
	}
}

// measure prepares a file in the given mode, then has syncers threads
// write and sync one block after another from its start for d, each
// thread the next block not yet taken.
func measure(path, mode string, syncers int, d time.Duration, round int) error {
	os.Remove(path)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	switch mode {
	case "fallocate":
		const keepSize = 1 // FALLOC_FL_KEEP_SIZE
		err = syscall.Fallocate(int(f.Fd()), keepSize, 0, fileSize)
	case "written":
		chunk := make([]byte, 1<<20)
		for off := int64(0); off < fileSize && err == nil; off += int64(len(chunk)) {
			_, err = f.WriteAt(chunk, off)
		}
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		return err
	}
	// Each syncer keeps its own latencies and error, merged once all
	// are done.
	var next atomic.Int64 // the next block's offset
	own := make([][]time.Duration, syncers)
	errs := make([]error, syncers)
	var wg sync.WaitGroup
	cpu0, busy0 := cputime.Process(), machineBusy()
	start := time.Now()
	end := start.Add(d)
	for i := range syncers {
		wg.Go(func() {
			block := make([]byte, blockSize)
			for time.Now().Before(end) {
				off := next.Add(blockSize) - blockSize
				if off+blockSize > fileSize {
					return
				}
				t := time.Now()
				_, err := f.WriteAt(block, off)
				if err == nil {
					err = syscall.Fdatasync(int(f.Fd()))
				}
				if err != nil {
					errs[i] = err
					return
				}
				own[i] = append(own[i], time.Since(t))
				if interval > 0 {
					time.Sleep(interval)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	latencies := slices.Concat(own...)
	if len(latencies) == 0 {
		return fmt.Errorf("no sync in %v", d)
	}
	n := time.Duration(len(latencies))
	cpu, busy := (cputime.Process()-cpu0)/n, (machineBusy()-busy0)/n
	slices.Sort(latencies)
	at := func(q float64) time.Duration {
		return latencies[int(q*float64(len(latencies)-1))].Round(time.Microsecond)
	}
	fmt.Printf("| %d | %s | %d | %d | %.0f | %v | %v | %v | %v | %v |\n", round, mode, syncers, n,
		float64(n)/elapsed.Seconds(), at(.5), at(.99), at(.999), cpu.Round(time.Microsecond), busy.Round(time.Microsecond))
	return nil
}

// machineBusy is the time all CPUs spent neither idle nor waiting for I/O
// since boot, from the first line of /proc/stat (in USER_HZ ticks).
func machineBusy() time.Duration {
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		log.Fatal(err)
	}
	line, _, _ := strings.Cut(string(stat), "\n")
	var ticks int64
	for i, field := range strings.Fields(line)[1:] {
		v, err := strconv.ParseInt(field, 10, 64)
		if err != nil {
			log.Fatal(err)
		}
		if i != 3 && i != 4 { // idle, iowait
			ticks += v
		}
	}
	return time.Duration(ticks) * (time.Second / 100)
}
