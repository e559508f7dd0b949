package loadgen

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// timelineDigits is the precision of the timeline's histograms: 1% error
// and 20 KB per interval (an hour in one-second steps: 72 MB).
const timelineDigits = 2

// minTimelineStep bounds the timeline's memory: a histogram per interval.
const minTimelineStep = 10 * time.Millisecond

// timeline holds the latencies of a run's measured calls by the interval
// in which each was scheduled, so that a report shows when the slow calls
// happened (a server's flush or compaction, a pause) and not only how many
// there were.
type timeline struct {
	step time.Duration
	from time.Time // the end of the warmup

	mu        sync.Mutex
	intervals []timelineInterval
}

type timelineInterval struct {
	requests, errors int64
	hist             *hdrhistogram.Histogram // nil until a call succeeds
}

func newTimeline(step time.Duration, from time.Time) *timeline {
	return &timeline{step: step, from: from}
}

// record counts a measured call scheduled at scheduled; d is its latency
// if it succeeded.
func (t *timeline) record(scheduled time.Time, ok bool, d time.Duration) {
	i := int(scheduled.Sub(t.from) / t.step)
	if i < 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(t.intervals) <= i {
		t.intervals = append(t.intervals, timelineInterval{})
	}
	in := &t.intervals[i]
	in.requests++
	if !ok {
		in.errors++
		return
	}
	if in.hist == nil {
		in.hist = hdrhistogram.New(histLowest, histHighest, timelineDigits)
	}
	recordLatency(in.hist, d)
}

// TimelineInterval is what the calls scheduled in one interval of a run
// met.
type TimelineInterval struct {
	// At is the interval's start, in seconds after the warmup.
	At       float64 `json:"atSeconds"`
	Requests int64   `json:"requests"`
	Errors   int64   `json:"errors"`
	// Latency of the interval's successful calls (1% precision).
	Latency Latency `json:"latencyMs"`
}

func (t *timeline) report() []TimelineInterval {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]TimelineInterval, len(t.intervals))
	for i, in := range t.intervals {
		out[i] = TimelineInterval{
			At:       (time.Duration(i) * t.step).Seconds(),
			Requests: in.requests,
			Errors:   in.errors,
		}
		if in.hist != nil {
			out[i].Latency = summarise(in.hist)
		}
	}
	return out
}
