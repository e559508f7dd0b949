package recipe

import (
	"cmp"
	"math"
	"slices"
)

// trendFrequencies are trend_discovery_frequency's values, in milliseconds.
var trendFrequencies = map[string]int64{
	"30 minutes": 30 * 60e3,
	"1 hour":     3600e3,
	"2 hours":    2 * 3600e3,
	"3 hours":    3 * 3600e3,
	"1 day":      24 * 3600e3,
}

// Trending is aws-trending-now's model: the items whose interactions grew
// the most between the last two intervals of trend_discovery_frequency,
// then, to fill a list, the items most interacted with in the last
// interval, then the training's most popular items (by distinct users).
//
// Growth is measured in standard deviations of Poisson counts,
// (last - previous) / sqrt(last + previous + 1), so that the noise of a
// popular item's large counts and an obscure item's step from 0 to 1 do
// not pass for trends, while a jump from a few to dozens does.
//
// The trend is recomputed from new events without retraining: Refresh.
type Trending struct {
	items    []string
	index    map[string]int32
	rule     eventRule
	interval int64 // ms
	until    int64 // the newest training interaction's time
	// tailItem and tailTime are the training interactions of the last two
	// intervals before until: all that a later trend can need of them.
	tailItem []int32
	tailTime []int64
	popular  []int32
	at       int64   // the time the current trend is computed for
	trend    []int32 // the current list
}

func trainTrending(d *Data, p Params, rule eventRule) (*Trending, error) {
	h := hyper{m: p.Features}
	freq := h.choice("trend_discovery_frequency", "2 hours", "30 minutes", "1 hour", "2 hours", "3 hours", "1 day")
	if h.err != nil {
		return nil, h.err
	}
	ks := filter(d, &rule)
	if len(ks) == 0 {
		return nil, ErrNoInteractions
	}
	m := &Trending{items: d.Items, index: indexOf(d.Items), rule: rule, interval: trendFrequencies[freq], until: math.MinInt64}
	for _, k := range ks {
		m.until = max(m.until, k.time)
	}
	for _, k := range ks {
		if k.time > m.until-2*m.interval {
			m.tailItem = append(m.tailItem, k.item)
			m.tailTime = append(m.tailTime, k.time)
		}
	}
	m.popular = byCount(distinctUsers(ks, len(d.Items)), d.Items)
	m.at = m.until
	m.trend = m.compute(m.tailItem, m.tailTime, m.at)
	return m, nil
}

// compute ranks items by their trend at time at.
func (m *Trending) compute(items []int32, times []int64, at int64) []int32 {
	last := make(map[int32]int32)
	prev := make(map[int32]int32)
	for i, it := range items {
		switch t := times[i]; {
		case t > at || t <= at-2*m.interval:
		case t > at-m.interval:
			last[it]++
		default:
			prev[it]++
		}
	}
	growth := func(it int32) float64 {
		l, p := float64(last[it]), float64(prev[it])
		return (l - p) / math.Sqrt(l+p+1)
	}
	var up, recent []int32
	for it := range last {
		if growth(it) > 0 {
			up = append(up, it)
		} else {
			recent = append(recent, it)
		}
	}
	slices.SortFunc(up, func(a, b int32) int {
		if c := cmp.Compare(growth(b), growth(a)); c != 0 {
			return c
		}
		return cmp.Compare(m.items[a], m.items[b])
	})
	slices.SortFunc(recent, func(a, b int32) int {
		if c := cmp.Compare(last[b], last[a]); c != 0 {
			return c
		}
		return cmp.Compare(m.items[a], m.items[b])
	})
	return append(up, recent...)
}

// Refresh returns the model with its trend recomputed at now from the
// training's interactions and events, the interactions that arrived since
// training (any order; of any user; items unknown to the training
// included, as Trending-Now needs no retraining for new items). Events at
// or before Until are taken to be the training's own and are skipped, as
// are those after now. The model itself is left as it was, so that
// requests in flight keep a consistent list while the runtime swaps in the
// refreshed one.
func (m *Trending) Refresh(events []Event, now int64) *Trending {
	r := *m
	items := append([]int32(nil), m.tailItem...)
	times := append([]int64(nil), m.tailTime...)
	added := false
	for _, e := range events {
		if e.Time <= m.until || e.Time > now || m.rule.weight(e.EventType, e.Value) <= 0 {
			continue
		}
		it, ok := r.index[e.Item]
		if !ok {
			if !added {
				// The trained model's slice and map are shared by
				// readers; a new item gets copies.
				r.items = slices.Clip(r.items)
				r.index = make(map[string]int32, len(m.index)+1)
				for k, v := range m.index {
					r.index[k] = v
				}
				added = true
			}
			it = int32(len(r.items))
			r.items = append(r.items, e.Item)
			r.index[e.Item] = it
		}
		items = append(items, it)
		times = append(times, e.Time)
	}
	r.at = now
	r.trend = r.compute(items, times, now)
	return &r
}

// Until is the time of the newest interaction the model was trained on.
func (m *Trending) Until() int64 { return m.until }

// Interval is the trend_discovery_frequency, in milliseconds: how often
// the runtime should Refresh.
func (m *Trending) Interval() int64 { return m.interval }

// Recipe implements Model.
func (m *Trending) Recipe() string { return TrendingNow }

// Items implements Model; after Refresh it includes the new items seen.
func (m *Trending) Items() []string { return m.items }

// RecommendForUser implements ForUser: the same list for everyone, unscored.
func (m *Trending) RecommendForUser(_ []Event, n int, keep func(string) bool) []Scored {
	out := appendPicked(nil, n, m.items, m.trend, nil, keep, false)
	return appendPicked(out, n, m.items, m.popular, nil, keep, true)
}

// MarshalBinary implements Model; a refreshed model keeps its trend.
func (m *Trending) MarshalBinary() ([]byte, error) {
	e := newEncoder(TrendingNow)
	e.strs(m.items)
	m.rule.encode(e)
	e.int(m.interval)
	e.int(m.until)
	e.i32s(m.tailItem)
	e.i64s(m.tailTime)
	e.i32s(m.popular)
	e.int(m.at)
	e.i32s(m.trend)
	return e.b, nil
}

func decodeTrending(d *decoder) *Trending {
	m := &Trending{items: d.strs()}
	m.rule.decode(d)
	m.interval, m.until = d.int(), d.int()
	m.tailItem, m.tailTime = d.i32s(), d.i64s()
	m.popular = d.i32s()
	m.at = d.int()
	m.trend = d.i32s()
	m.index = indexOf(m.items)
	for _, v := range [][]int32{m.tailItem, m.popular, m.trend} {
		d.indexes(v, len(m.items))
	}
	if len(m.tailItem) != len(m.tailTime) || m.interval <= 0 {
		d.fail()
	}
	return m
}
