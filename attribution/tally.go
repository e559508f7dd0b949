package attribution

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/perchdev/perch"
)

// Defaults of TallyConfig.
const (
	// DefaultTallyRefresh is how often a Tally reads the attributions,
	// campaigns and recommenders again, for changes made on other nodes.
	DefaultTallyRefresh = 5 * time.Second
	// DefaultTallyQueue is how many committed batches may wait for the
	// tally: up to 40,960 events at PutEvents' 10 a call, room for the
	// tally's goroutine to be kept off the CPU for a while, as it
	// measures millions of events a second when it runs
	// (BenchmarkTally).
	DefaultTallyQueue = 4096
)

// tallyItemCache bounds the items whose properties a tally keeps between
// two refreshes.
const tallyItemCache = 10000

// TallyConfig is what a Tally needs.
type TallyConfig struct {
	// Attributions is the control plane the tally reads attributions
	// through; it tells the tally of its own changes at once.
	Attributions *Service
	Logger       *slog.Logger
	// Refresh and Queue default to DefaultTallyRefresh and
	// DefaultTallyQueue.
	Refresh time.Duration
	Queue   int
}

// Tally keeps the figures of every metric attribution over the events
// this node accepts through PutEvents, as they arrive, so that reading
// them (a Prometheus scrape) costs no read of the store. The request
// only queues its committed batch; a goroutine of the tally measures it.
//
// What the figures cover: events this node accepted since it started,
// whose sentAt is not before the attribution's creation, counted from
// when the node knows of the attribution (at once for one made on this
// node; for one made on another, once the store tells of the change,
// or, for a store that does not, within Refresh). Each node counts what
// it accepted: the cluster's figure is the sum over nodes. Events that
// repeat an earlier eventId are counted, as whether an event is a
// duplicate is settled when the store is read, not at commit; bulk
// imports are not. The report (Service.MetricAttributionReport) is the
// exact figure over every stored event.
type Tally struct {
	svc     *Service
	log     *slog.Logger
	refresh time.Duration
	queue   chan committed
	// groups holds the groups that have an attribution: the request's
	// only check before it queues a batch.
	groups  atomic.Pointer[map[string]bool]
	dropped atomic.Uint64
	// cue asks the tally's goroutine to read again: the store says
	// resources changed, on this node or another.
	cue    chan struct{}
	stop   chan struct{}
	done   chan struct{}
	cancel context.CancelFunc // ends the watch of the resources

	// reading makes reads one at a time, so that an older list of the
	// attributions never replaces a newer one.
	reading sync.Mutex

	mu    sync.Mutex
	views map[string]*tallied              // by group ARN
	sums  map[string]map[figureKey]float64 // by attribution ARN
}

// committed is a batch the events API committed, and when.
type committed struct {
	batch *perch.Batch
	at    time.Time
}

// tallied is an attribution as the tally measures it.
type tallied struct {
	ms  *measurer
	src *sources
	// srcRead is when the last read of src began: it saw every campaign
	// made before then.
	srcRead time.Time
}

// StartTally starts a tally of the attributions of cfg.Attributions,
// reading them once before it returns.
func StartTally(cfg TallyConfig) *Tally {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = DefaultTallyRefresh
	}
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultTallyQueue
	}
	t := &Tally{svc: cfg.Attributions, log: cfg.Logger, refresh: cfg.Refresh, queue: make(chan committed, cfg.Queue),
		cue: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		views: map[string]*tallied{}, sums: map[string]map[figureKey]float64{}}
	t.groups.Store(&map[string]bool{})
	var ctx context.Context
	ctx, t.cancel = context.WithCancel(context.Background())
	if shared, ok := t.svc.rs.(perch.SharedResources); ok {
		// An attribution made on another node counts this node's events
		// from the moment the store tells of it, not the next refresh.
		err := shared.WatchResources(ctx, func() {
			select {
			case t.cue <- struct{}{}:
			default:
			}
		})
		if err != nil {
			t.log.Warn("watching resources for metric attributions made elsewhere", "err", fmt.Sprint(err))
		}
	}
	t.read()
	cfg.Attributions.changed = t.read
	go t.run()
	return t
}

// Close stops the tally; batches still queued are left uncounted.
func (t *Tally) Close() {
	t.cancel()
	close(t.stop)
	<-t.done
}

// Committed takes a batch the events API committed (ingest's
// AfterCommit). It never waits: when the tally is that far behind, the
// batch's events are counted as dropped instead.
func (t *Tally) Committed(b *perch.Batch) {
	if len(b.Events) == 0 || !(*t.groups.Load())[b.Dataset.GroupARN] {
		return
	}
	select {
	case t.queue <- committed{b, time.Now()}:
	default:
		t.dropped.Add(uint64(len(b.Events)))
	}
}

// Dropped is how many events were left uncounted because the tally's
// queue was full.
func (t *Tally) Dropped() uint64 { return t.dropped.Load() }

// Figures returns the figures of each attribution, by its ARN, sorted as
// the report sorts them.
func (t *Tally) Figures() map[string][]perch.MetricValue {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[string][]perch.MetricValue{}
	for _, v := range t.views {
		arn := v.ms.attribution.ARN
		if sums := t.sums[arn]; len(sums) > 0 {
			out[arn] = v.ms.values(sums)
		}
	}
	return out
}

func (t *Tally) run() {
	defer close(t.done)
	tick := time.NewTicker(t.refresh)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case c := <-t.queue:
			t.count(c)
		case <-tick.C:
			t.read()
		case <-t.cue:
			t.read()
		}
	}
}

// read reads the attributions, their groups' datasets and the sources
// their events may name again. The figures of an attribution deleted,
// or of a metric removed, go; those of an attribution deleted and made
// again under its name start again.
func (t *Tally) read() {
	t.reading.Lock()
	defer t.reading.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	all, err := t.svc.rs.MetricAttributions(ctx)
	if err != nil {
		t.log.Warn("reading metric attributions for their figures", "err", fmt.Sprint(err))
		return
	}
	tags, err := readSourceTags(ctx, t.svc.rs)
	if err != nil {
		t.log.Warn("reading the campaigns and recommenders that metric attributions name", "err", fmt.Sprint(err))
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	views := map[string]*tallied{}
	groups := map[string]bool{}
	for _, m := range all {
		ms, err := t.svc.measurer(ctx, m)
		if err != nil || ms == nil {
			if err != nil {
				t.log.Warn("reading a metric attribution's datasets", "metricAttributionArn", m.ARN, "err", fmt.Sprint(err))
			}
			continue
		}
		v := &tallied{ms: ms, src: &sources{named: map[string]bool{}}}
		if old := t.views[m.GroupARN]; old != nil && old.ms.attribution.ARN == m.ARN && old.ms.attribution.Created == m.Created {
			v.src = old.src // the sources named so far stay named
		} else {
			delete(t.sums, m.ARN)
		}
		v.src.set(tags[m.GroupARN])
		v.srcRead = start
		views[m.GroupARN] = v
		groups[m.GroupARN] = true
		for k := range t.sums[m.ARN] {
			if !ms.hasMetric(k.metric) {
				delete(t.sums[m.ARN], k)
			}
		}
	}
	for arn := range t.sums {
		if !hasAttribution(views, arn) {
			delete(t.sums, arn)
		}
	}
	t.views = views
	t.groups.Store(&groups)
}

func hasAttribution(views map[string]*tallied, arn string) bool {
	for _, v := range views {
		if v.ms.attribution.ARN == arn {
			return true
		}
	}
	return false
}

// count measures the events of a committed batch.
func (t *Tally) count(c committed) {
	b := c.batch
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	t.mu.Lock()
	defer t.mu.Unlock()
	v := t.views[b.Dataset.GroupARN]
	if v == nil {
		return
	}
	m := v.ms.attribution
	sums := t.sums[m.ARN]
	if sums == nil {
		sums = map[figureKey]float64{}
		t.sums[m.ARN] = sums
	}
	if len(v.ms.itemValues) > tallyItemCache {
		clear(v.ms.itemValues)
	}
	for i := range b.Events {
		e := &b.Events[i]
		if e.SentAt < m.Created {
			continue
		}
		// A campaign made since the last read may have made this
		// recommendationId: it was made before the event arrived, so a
		// read begun after that finds it, or finds it deleted.
		if tag, unknown := v.src.unknown(e); unknown && !v.src.gone[tag] {
			if v.srcRead.Before(c.at) {
				start := time.Now()
				if err := v.src.read(ctx, t.svc.rs, m.GroupARN); err != nil {
					t.log.Warn("reading the campaigns and recommenders of a metric attribution", "metricAttributionArn", m.ARN, "err", fmt.Sprint(err))
				} else {
					v.srcRead = start
				}
			}
			if v.src.byTag[tag] == "" && !v.srcRead.Before(c.at) {
				v.src.gone[tag] = true
			}
		}
		err := v.ms.measure(ctx, e, v.src.of(e), func(k figureKey, value float64) { sums[k] += value })
		if err != nil {
			t.log.Warn("measuring an event for a metric attribution", "metricAttributionArn", m.ARN, "err", fmt.Sprint(err))
		}
	}
}
