// Command pgceiling measures the ceiling of perch on PostgreSQL: how many
// PutEvents calls a second the database itself takes when nothing else
// is in the way. It drives the postgres package's own Store.Commit, from
// one process, with many committers at once, each committing the events
// of one call (10 by default) at a time, closed loop: the rows perch
// writes, into perch's tables, through its group commit and batched
// insert, with its indexes, duplicate detection and synchronous commit,
// and none of HTTP, signing, parsing or validation. The calls are
// perch-bench's (package loadgen), made and decoded before the run.
//
// A store commits through one writer, one transaction at a time on one
// connection, as one perch node does. With --stores N the committers are
// dealt round-robin to N stores on the database, as perch-bench deals its
// connections to N nodes: the ceiling of N nodes.
//
//	go run ./bench/pgceiling --store postgres://USER@HOST:PORT/DB?sslmode=disable [--committers 64] [--stores 1] [--json]
//
// The database should be empty, or at least not loaded by anything else:
// the tool creates a dataset group of its own in it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/internal/cputime"
	"github.com/perchdev/perch/loadgen"
	"github.com/perchdev/perch/postgres"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "pgceiling:", err)
		os.Exit(1)
	}
}

// errUsage means the flag package has said what was wrong already.
var errUsage = errors.New("usage")

type config struct {
	store      string
	committers int
	stores     int
	warmup     time.Duration
	duration   time.Duration
	calls      int
	seed       uint64
	log        io.Writer // where progress is said
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := config{log: stderr}
	fs := flag.NewFlagSet("pgceiling", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.store, "store", os.Getenv("PERCH_STORE"), "`URL` of the PostgreSQL database (postgres://...), as perch serve --store takes it")
	fs.IntVar(&cfg.committers, "committers", 64, "calls committed at once, as by perch-bench's connections")
	fs.IntVar(&cfg.stores, "stores", 1, "stores opened on the database, each with its writer, as by this many perch nodes")
	fs.DurationVar(&cfg.warmup, "warmup", 3*time.Second, "commit for this long before measuring")
	fs.DurationVar(&cfg.duration, "duration", 15*time.Second, "measure for this long")
	fs.IntVar(&cfg.calls, "calls", 16384, "distinct calls made before the run and committed in turn, each time with fresh eventIds")
	fs.Uint64Var(&cfg.seed, "seed", 1, "seed of the generated calls")
	asJSON := fs.Bool("json", false, "write the report as JSON")
	hold := fs.Bool("hold", false, "after the report, keep the stores' connections open until SIGINT or SIGTERM, so that a script can read\nthe database's processes before they end (it logs \"pgceiling: measured\" once the report is written)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case cfg.store == "":
		return errors.New("--store postgres://... is required")
	case cfg.committers < 1 || cfg.calls < 1 || cfg.duration <= 0 || cfg.warmup < 0:
		return errors.New("committers, calls and duration must be positive")
	case cfg.stores < 1 || cfg.stores > cfg.committers:
		return errors.New("stores must be at least 1 and at most the committers")
	}
	rep, closeStores, err := measure(ctx, cfg)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = rep.writeText(stdout)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, "pgceiling: measured")
	if *hold {
		<-ctx.Done()
	}
	return closeStores()
}

// report is what a run measured after its warmup. Its names are those of
// perch-bench's report where they mean the same, so that the scripts read
// both alike; a request is one call's batch committed.
type report struct {
	Store      string  `json:"store"`
	Stores     int     `json:"stores"`
	Committers int     `json:"concurrency"`
	Warmup     float64 `json:"warmupSeconds"`
	Seconds    float64 `json:"seconds"`

	Requests          int64             `json:"requests"`
	OK                int64             `json:"ok"`
	Errors            map[string]int64  `json:"errors"`
	ErrorSamples      map[string]string `json:"errorSamples,omitempty"`
	RequestsPerSecond float64           `json:"requestsPerSecond"`
	OKPerSecond       float64           `json:"okPerSecond"`
	EventsPerSecond   float64           `json:"eventsPerSecond"`
	// Latency is each successful Commit's, from the call to its return.
	Latency latency `json:"latencyMs"`

	// Groups is how many transactions the stores' writers committed over
	// the measured part, and BatchesPerGroup how many calls each carried.
	Groups          uint64  `json:"groups"`
	BatchesPerGroup float64 `json:"batchesPerGroup"`

	EventsSent          int64 `json:"eventsSent"`
	DuplicateEventsSent int64 `json:"duplicateEventsSent"`
	// ClientCPUCores is this process's CPU time over the measured part's
	// wall time: the store's writer and the committers.
	ClientCPUCores float64 `json:"clientCpuCores"`
}

type latency struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

// call is one generated PutEvents call, decoded as perch decodes it.
type call struct {
	events     []perch.Event
	duplicates int64 // events that repeat an earlier eventId of the worker
}

// committer is what one committer counted; only it writes it.
type committer struct {
	requests, ok, events, duplicates int64
	okEvents                         int64 // events of the calls committed
	errors                           map[string]int64
	samples                          map[string]string
	latencies                        []time.Duration
	last                             time.Time // the end of its last measured call
}

// measure runs cfg and returns its report, and a function that closes the
// stores it opened, which the caller calls once it is done with the
// database's connections.
func measure(ctx context.Context, cfg config) (_ *report, closeStores func() error, err error) {
	runID := "c" + strconv.FormatInt(time.Now().UnixNano()%(1<<40), 36)
	calls, err := makeCalls(cfg, runID)
	if err != nil {
		return nil, nil, err
	}
	var stores []*postgres.Store
	closeStores = func() error {
		var errs []error
		for _, s := range stores {
			errs = append(errs, s.Close())
		}
		return errors.Join(errs...)
	}
	defer func() {
		if err != nil {
			_ = closeStores()
		}
	}()
	for range cfg.stores {
		s, err := postgres.Open(ctx, cfg.store, postgres.Options{})
		if err != nil {
			return nil, nil, err
		}
		stores = append(stores, s)
	}
	// The stores share the database: what one creates, every one writes to.
	ds, err := createDataset(ctx, stores[0], runID)
	if err != nil {
		return nil, nil, err
	}
	stats := func() (st perch.StoreStats) {
		for _, s := range stores {
			one := s.Stats()
			st.Commits += one.Commits
			st.Batches += one.Batches
		}
		return st
	}

	// The scripts start their own clocks at this line, as at perch-bench's
	// after its setup.
	fmt.Fprintf(cfg.log, "pgceiling: dataset %s, %d committers, %d stores: committing\n", ds.ARN, cfg.committers, cfg.stores)
	start := time.Now()
	measureFrom := start.Add(cfg.warmup)
	stopAt := measureFrom.Add(cfg.duration)
	// The store's and the process's counters at the end of the warmup.
	var before perch.StoreStats
	var cpuBefore time.Duration
	warmedUp := make(chan struct{})
	go func() {
		defer close(warmedUp)
		time.Sleep(time.Until(measureFrom))
		before, cpuBefore = stats(), cputime.Process()
	}()

	committers := make([]committer, cfg.committers)
	var wg sync.WaitGroup
	for i := range committers {
		wg.Go(func() { commit(ctx, stores[i%len(stores)], ds, calls[i], &committers[i], measureFrom, stopAt) })
	}
	wg.Wait()
	<-warmedUp
	after, cpuAfter := stats(), cputime.Process()

	rep := &report{Store: redact(cfg.store), Stores: cfg.stores, Committers: cfg.committers, Warmup: cfg.warmup.Seconds(), Errors: map[string]int64{}}
	var last time.Time
	var all []time.Duration
	for i := range committers {
		c := &committers[i]
		rep.Requests += c.requests
		rep.OK += c.ok
		rep.EventsSent += c.events
		rep.DuplicateEventsSent += c.duplicates
		for typ, n := range c.errors {
			rep.Errors[typ] += n
			if rep.ErrorSamples == nil {
				rep.ErrorSamples = map[string]string{}
			}
			rep.ErrorSamples[typ] = c.samples[typ]
		}
		all = append(all, c.latencies...)
		if c.last.After(last) {
			last = c.last
		}
	}
	if !last.After(measureFrom) {
		return nil, nil, errors.New("no call was measured")
	}
	rep.Seconds = last.Sub(measureFrom).Seconds()
	rep.RequestsPerSecond = float64(rep.Requests) / rep.Seconds
	rep.OKPerSecond = float64(rep.OK) / rep.Seconds
	var okEvents int64
	for i := range committers {
		okEvents += committers[i].okEvents
	}
	rep.EventsPerSecond = float64(okEvents) / rep.Seconds
	rep.Latency = summarise(all)
	rep.Groups = after.Commits - before.Commits
	if rep.Groups > 0 {
		rep.BatchesPerGroup = float64(after.Batches-before.Batches) / float64(rep.Groups)
	}
	rep.ClientCPUCores = (cpuAfter - cpuBefore).Seconds() / time.Since(measureFrom).Seconds()
	return rep, closeStores, nil
}

// makeCalls makes cfg.calls calls with loadgen's workload, dealt to the
// committers as perch-bench deals calls to its workers: committer i
// commits worker i's calls.
func makeCalls(cfg config, runID string) ([][]call, error) {
	w := loadgen.DefaultWorkload()
	w.TrackingID = "pgceiling" // the body's; the store is given the dataset
	per := (cfg.calls + cfg.committers - 1) / cfg.committers
	out := make([][]call, cfg.committers)
	now := time.Now()
	for i := range out {
		bodies := loadgen.NewBodies(w, runID, i, cfg.seed)
		seen := map[string]bool{}
		for range per {
			_, body, _ := bodies.Next(now)
			c, err := decode(body, seen)
			if err != nil {
				return nil, err
			}
			out[i] = append(out[i], c)
		}
	}
	return out, nil
}

// putEvents is a PutEvents body as loadgen writes it.
type putEvents struct {
	UserID    string `json:"userId"`
	SessionID string `json:"sessionId"`
	EventList []struct {
		EventID          string   `json:"eventId"`
		EventType        string   `json:"eventType"`
		EventValue       *float64 `json:"eventValue"`
		ItemID           string   `json:"itemId"`
		Impression       []string `json:"impression"`
		Properties       string   `json:"properties"`
		RecommendationID string   `json:"recommendationId"`
		SentAt           float64  `json:"sentAt"` // epoch seconds
	} `json:"eventList"`
}

// decode reads a body into the events perch would commit for it; seen
// holds the eventIds of the worker's earlier calls, to count duplicates.
func decode(body []byte, seen map[string]bool) (call, error) {
	var p putEvents
	if err := json.Unmarshal(body, &p); err != nil {
		return call{}, fmt.Errorf("a generated body: %v", err)
	}
	var c call
	for _, e := range p.EventList {
		if seen[e.EventID] {
			c.duplicates++
		}
		seen[e.EventID] = true
		c.events = append(c.events, perch.Event{
			EventID: e.EventID, EventType: e.EventType, EventValue: e.EventValue, ItemID: e.ItemID,
			UserID: p.UserID, SessionID: p.SessionID, SentAt: perch.Timestamp(math.Round(e.SentAt * 1000)),
			Impression: e.Impression, RecommendationID: e.RecommendationID, Properties: e.Properties,
		})
	}
	return c, nil
}

// commit commits calls in turn, closed loop, until stopAt, and counts the
// calls that start after measureFrom. Each pass over calls after the
// first gives their events fresh eventIds (a suffix of the pass), so that
// every pass stores originals and duplicates as the first did.
func commit(ctx context.Context, store *postgres.Store, ds *perch.Dataset, calls []call, c *committer, measureFrom, stopAt time.Time) {
	for pass := 0; ; pass++ {
		suffix := "." + strconv.Itoa(pass)
		for _, cl := range calls {
			events := cl.events
			if pass > 0 {
				events = slices.Clone(cl.events)
				for i := range events {
					events[i].EventID += suffix
				}
			}
			begin := time.Now()
			if !begin.Before(stopAt) || ctx.Err() != nil {
				return
			}
			err := store.Commit(ctx, &perch.Batch{Dataset: ds, Events: events})
			end := time.Now()
			if begin.Before(measureFrom) {
				continue
			}
			c.requests++
			c.events += int64(len(events))
			c.duplicates += cl.duplicates
			c.last = end
			if err != nil {
				typ := errorType(err)
				if c.errors == nil {
					c.errors, c.samples = map[string]int64{}, map[string]string{}
				}
				c.errors[typ]++
				c.samples[typ] = err.Error()
				continue
			}
			c.ok++
			c.okEvents += int64(len(events))
			c.latencies = append(c.latencies, end.Sub(begin))
		}
	}
}

func errorType(err error) string {
	var pe *perch.Error
	switch {
	case errors.As(err, &pe):
		return pe.Code
	case errors.Is(err, perch.ErrBusy):
		return "busy"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "error"
}

// createDataset creates a dataset group, a schema and an Interactions
// dataset of the run's own in store, as perch-bench --setup does through
// the control plane.
func createDataset(ctx context.Context, store *postgres.Store, runID string) (*perch.Dataset, error) {
	r := store.Resources()
	arn := func(resource string) string { return "arn:aws:personalize:us-east-1:000000000000:" + resource }
	name := "pgceiling-" + runID
	now := perch.Timestamp(time.Now().UnixMilli())
	g := &perch.DatasetGroup{ARN: arn("dataset-group/" + name), Name: name, Status: perch.StatusActive, Created: now, Updated: now}
	if err := r.CreateDatasetGroup(ctx, g, math.MaxInt32); err != nil {
		return nil, err
	}
	s := &perch.Schema{ARN: arn("schema/" + name), Name: name}
	if err := r.CreateSchema(ctx, s, math.MaxInt32); err != nil {
		return nil, err
	}
	id, err := r.NextDatasetID(ctx)
	if err != nil {
		return nil, err
	}
	d := &perch.Dataset{ARN: arn("dataset/" + name + "/INTERACTIONS"), Name: name, GroupARN: g.ARN, Type: perch.Interactions,
		SchemaARN: s.ARN, Status: perch.StatusActive, ID: id, Created: now, Updated: now}
	if err := r.CreateDataset(ctx, d); err != nil {
		return nil, err
	}
	return d, nil
}

func summarise(d []time.Duration) latency {
	if len(d) == 0 {
		return latency{}
	}
	slices.Sort(d)
	ms := func(x time.Duration) float64 { return float64(x) / float64(time.Millisecond) }
	at := func(p float64) float64 { return ms(d[min(len(d)-1, int(math.Ceil(p/100*float64(len(d))))-1)]) }
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	return latency{Mean: ms(sum) / float64(len(d)), P50: at(50), P90: at(90), P99: at(99), P999: at(99.9), Max: ms(d[len(d)-1])}
}

func (rep *report) writeText(w io.Writer) error {
	_, err := fmt.Fprintf(w, `%s: %d stores, %d committers of one call's events each, closed loop, no HTTP
  measured   %.1f s after %.1f s of warmup
  calls      %d (%.0f/s), %d ok (%.0f/s), events %.0f/s, errors %v
  latency    ms mean %.2f  p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f
  writers    %d transactions, %.1f calls each
  process    %.2f CPU cores; %d events sent, %d with a repeated eventId
`, rep.Store, rep.Stores, rep.Committers, rep.Seconds, rep.Warmup, rep.Requests, rep.RequestsPerSecond, rep.OK, rep.OKPerSecond,
		rep.EventsPerSecond, rep.Errors, rep.Latency.Mean, rep.Latency.P50, rep.Latency.P90, rep.Latency.P99, rep.Latency.P999,
		rep.Latency.Max, rep.Groups, rep.BatchesPerGroup, rep.ClientCPUCores, rep.EventsSent, rep.DuplicateEventsSent)
	return err
}

// redact leaves the password out of a URL.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(a URL that does not parse)"
	}
	return u.Redacted()
}
