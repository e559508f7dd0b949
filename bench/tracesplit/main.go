// Command tracesplit reads a Go runtime trace of perch serve, taken during
// a load run, and says where each call's time in the server went: from the
// moment the request's bytes woke its connection's goroutine to the end of
// the write of its answer (or, failing that, the goroutine's next wait on
// the network). It splits that time into the wait for the store's commit, the time the
// goroutine was runnable but had no P, syscalls, other waits, and the rest
// (running), for the calls around the median and in the tail; and it gives
// the scheduling latency (runnable to running) of the request goroutines,
// the store's writer and the engine's log writer, and the log writer's
// syscalls (the log's writes and syncs).
//
//	perch serve --pprof 127.0.0.1:6060 ...     # during a perch-bench run:
//	curl -o trace.out '127.0.0.1:6060/debug/pprof/trace?seconds=15'
//	go run ./bench/tracesplit trace.out
//
// Times inside the trace are the Go runtime's view: a thread the kernel
// has taken off its CPU still counts as running, and the time between the
// kernel receiving a request and the runtime noticing it is outside.
package main

import (
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/exp/trace"
)

// role is what a goroutine does, told by its stack.
type role int

const (
	unknown   role = iota
	handler        // serves a connection: net/http.(*conn).serve
	writer         // the store's writer: pebble.(*Store).write
	logWriter      // the engine's log writer: record.(*LogWriter).flushLoop
)

var roleNames = [...]string{"other", "request goroutines", "the store's writer", "the engine's log writer"}

func roleOf(st trace.Stack) role {
	for f := range st.Frames() {
		switch {
		case f.Func == "net/http.(*conn).serve":
			return handler
		case strings.HasSuffix(f.Func, "/pebble.(*Store).write"):
			return writer
		case strings.HasSuffix(f.Func, "record.(*LogWriter).flushLoop"):
			return logWriter
		}
	}
	return unknown
}

func stackHas(st trace.Stack, suffix string) bool {
	for f := range st.Frames() {
		if strings.HasSuffix(f.Func, suffix) {
			return true
		}
	}
	return false
}

// Parts of a call's time.
const (
	commitWait = iota // blocked in Store.Commit for the writer's answer
	runnable          // ready, waiting for a P
	syscalls
	otherWaits
	numParts
)

var partNames = [numParts]string{"commit wait", "runnable", "syscalls", "other waits"}

type call struct {
	total time.Duration
	parts [numParts]time.Duration
}

// goroutine is what the reader keeps of one goroutine.
type goroutine struct {
	role role
	// since is when the goroutine entered its current state.
	since trace.Time
	// waitPart is the part a wait in progress counts towards.
	waitPart int
	// onNetwork: the goroutine waits on the network (between calls).
	onNetwork bool
	// inCall: a call is in progress; cur is its time so far.
	inCall    bool
	callStart trace.Time
	cur       call
	// syscallIsSync: the syscall in progress is the log's fdatasync.
	syscallIsSync bool
	// answering: the syscall in progress writes a call's answer.
	answering bool
}

type split struct {
	goroutines map[trace.GoID]*goroutine
	calls      []call
	schedDelay [len(roleNames)][]time.Duration
	logSyncs   []time.Duration
	logWrites  []time.Duration
}

func main() {
	log.SetFlags(0)
	if len(os.Args) != 2 {
		log.Fatal("usage: tracesplit TRACE_FILE")
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	s, err := read(f)
	if err != nil {
		log.Fatal(err)
	}
	if err := s.report(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// read splits the calls of the trace in r.
func read(r io.Reader) (*split, error) {
	tr, err := trace.NewReader(r)
	if err != nil {
		return nil, err
	}
	s := &split{goroutines: map[trace.GoID]*goroutine{}}
	for {
		ev, err := tr.ReadEvent()
		if errors.Is(err, io.EOF) {
			return s, nil
		}
		if err != nil {
			return nil, err
		}
		if ev.Kind() == trace.EventStateTransition {
			s.transition(ev)
		}
	}
}

func (s *split) transition(ev trace.Event) {
	st := ev.StateTransition()
	if st.Resource.Kind != trace.ResourceGoroutine {
		return
	}
	id := st.Resource.Goroutine()
	g := s.goroutines[id]
	if g == nil {
		g = &goroutine{since: ev.Time()}
		s.goroutines[id] = g
	}
	if g.role == unknown {
		g.role = roleOf(st.Stack)
	}
	from, to := st.Goroutine()
	now := ev.Time()
	spent := time.Duration(now - g.since)
	g.since = now

	switch from {
	case trace.GoRunnable:
		if to == trace.GoRunning && g.role != unknown {
			s.schedDelay[g.role] = append(s.schedDelay[g.role], spent)
		}
		g.add(runnable, spent)
	case trace.GoSyscall:
		g.add(syscalls, spent)
		if g.answering {
			g.endCall(s, now)
			g.answering = false
		}
		if g.role == logWriter {
			if g.syscallIsSync {
				s.logSyncs = append(s.logSyncs, spent)
			} else {
				s.logWrites = append(s.logWrites, spent)
			}
		}
	case trace.GoWaiting:
		if g.onNetwork {
			// The request's bytes are here: a call starts.
			g.onNetwork = false
			if g.role == handler {
				g.inCall, g.callStart, g.cur = true, now, call{}
			}
		} else {
			g.add(g.waitPart, spent)
		}
	}

	switch to {
	case trace.GoWaiting:
		switch {
		case st.Reason == "network":
			g.onNetwork = true
			g.endCall(s, now)
		case st.Reason == "chan receive" && stackHas(st.Stack, "/pebble.(*Store).Commit"):
			g.waitPart = commitWait
		default:
			g.waitPart = otherWaits
		}
	case trace.GoSyscall:
		g.syscallIsSync = stackHas(st.Stack, "Fdatasync")
		g.answering = g.inCall && stackHas(st.Stack, "net/http.(*response).finishRequest")
	case trace.GoNotExist:
		delete(s.goroutines, id)
	}
}

// endCall ends the call in progress, if there is one, at now.
func (g *goroutine) endCall(s *split, now trace.Time) {
	if g.inCall {
		g.cur.total = time.Duration(now - g.callStart)
		s.calls = append(s.calls, g.cur)
		g.inCall = false
	}
}

func (g *goroutine) add(part int, d time.Duration) {
	if g.inCall {
		g.cur.parts[part] += d
	}
}

func (s *split) report(w io.Writer) error {
	if len(s.calls) == 0 {
		return errors.New("no calls of an HTTP server in the trace")
	}
	slices.SortFunc(s.calls, func(a, b call) int { return int(a.total - b.total) })
	totals := make([]time.Duration, len(s.calls))
	for i, c := range s.calls {
		totals[i] = c.total
	}
	fmt.Fprintf(w, "calls: %d; time in the server: %s\n\n", len(s.calls), percentiles(totals))
	fmt.Fprintln(w, "mean ms per call, calls ranked by time in the server:")
	fmt.Fprintf(w, "| calls | n | in the server |")
	for _, name := range partNames {
		fmt.Fprintf(w, " %s |", name)
	}
	fmt.Fprintln(w, " running |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, band := range []struct {
		name     string
		from, to float64
	}{{"p45-p55", .45, .55}, {"p90-p95", .90, .95}, {"p98-p99", .98, .99}, {"p99-max", .99, 1}} {
		calls := s.calls[int(band.from*float64(len(s.calls))):int(band.to*float64(len(s.calls)))]
		if len(calls) == 0 {
			continue
		}
		var total time.Duration
		var parts [numParts]time.Duration
		for _, c := range calls {
			total += c.total
			for i, d := range c.parts {
				parts[i] += d
			}
		}
		n := time.Duration(len(calls))
		running := total
		fmt.Fprintf(w, "| %s | %d | %s |", band.name, len(calls), ms(total/n))
		for _, d := range parts {
			fmt.Fprintf(w, " %s |", ms(d/n))
			running -= d
		}
		fmt.Fprintf(w, " %s |\n", ms(running/n))
	}
	fmt.Fprintln(w, "\nscheduling latency (runnable to running):")
	for r := handler; r <= logWriter; r++ {
		if len(s.schedDelay[r]) > 0 {
			fmt.Fprintf(w, "  %-24s %d times; %s\n", roleNames[r], len(s.schedDelay[r]), percentiles(s.schedDelay[r]))
		}
	}
	fmt.Fprintln(w, "\nthe log writer's syscalls (entry to exit, as the runtime saw them):")
	for _, sc := range []struct {
		name string
		d    []time.Duration
	}{{"fdatasync", s.logSyncs}, {"other (writes)", s.logWrites}} {
		if len(sc.d) > 0 {
			fmt.Fprintf(w, "  %-24s %d; %s\n", sc.name, len(sc.d), percentiles(sc.d))
		}
	}
	return nil
}

func percentiles(d []time.Duration) string {
	d = slices.Clone(d)
	slices.Sort(d)
	at := func(q float64) string { return ms(d[int(q*float64(len(d)-1))]) }
	return fmt.Sprintf("ms p50 %s  p90 %s  p99 %s  p99.9 %s  max %s", at(.5), at(.9), at(.99), at(.999), at(1))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }
