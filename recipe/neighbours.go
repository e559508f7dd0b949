package recipe

import (
	"cmp"
	"container/heap"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// neighbourLimit is how many related items a model keeps per item: enough
// for numResults' default of 25 after heavy filtering; past it, and for
// numResults up to 500, answers are back-filled with popular items.
const neighbourLimit = 200

// userHistoryCap bounds the distinct items of one user that co-occurrence
// counts (the most recent ones): the cost of a user is the square of it.
const userHistoryCap = 500

// Neighbours is the model of aws-sims and aws-similar-items: for each item,
// its related items best first, and the popular items that stand in for
// them for an unknown item or one with too few.
type Neighbours struct {
	recipe  string
	items   []string
	index   map[string]int32
	start   []int32 // item i's neighbours are nbr[start[i]:start[i+1]]
	nbr     []int32
	popular []int32
}

// Recipe implements Model.
func (m *Neighbours) Recipe() string { return m.recipe }

// Items implements Model.
func (m *Neighbours) Items() []string { return m.items }

// RecommendRelated implements Related. Neither recipe scores.
func (m *Neighbours) RecommendRelated(item string, n int, keep func(string) bool) []Scored {
	i, ok := m.index[item]
	skip := func(c int32) bool { return m.items[c] == item }
	var out []Scored
	if ok {
		out = appendPicked(out, n, m.items, m.nbr[m.start[i]:m.start[i+1]], skip, keep, false)
	}
	return appendPicked(out, n, m.items, m.popular, skip, keep, true)
}

// MarshalBinary implements Model.
func (m *Neighbours) MarshalBinary() ([]byte, error) {
	e := newEncoder(m.recipe)
	e.strs(m.items)
	e.i32s(m.start)
	e.i32s(m.nbr)
	e.i32s(m.popular)
	return e.b, nil
}

func decodeNeighbours(recipe string, d *decoder) *Neighbours {
	m := &Neighbours{recipe: recipe, items: d.strs(), start: d.i32s(), nbr: d.i32s(), popular: d.i32s()}
	d.indexes(m.nbr, len(m.items))
	d.indexes(m.popular, len(m.items))
	if d.err == nil {
		if len(m.start) != len(m.items)+1 || m.start[0] != 0 || int(m.start[len(m.items)]) != len(m.nbr) {
			d.fail()
		}
		for i := 1; i < len(m.start) && d.err == nil; i++ {
			if m.start[i] < m.start[i-1] {
				d.fail()
			}
		}
	}
	m.index = indexOf(m.items)
	return m
}

// cooc is the interaction structure co-occurrence needs: each user's
// distinct items (the most recent userHistoryCap of them) and each item's
// users.
type cooc struct {
	userStart, userItems []int32
	itemStart, itemUsers []int32
	users                []int32 // distinct users per item
	interactions         []int32 // interactions per item
}

func newCooc(ks []kept, nUsers, nItems int) *cooc {
	c := &cooc{users: make([]int32, nItems), interactions: make([]int32, nItems)}
	for _, k := range ks {
		c.interactions[k.item]++
	}
	s := slices.Clone(ks)
	slices.SortFunc(s, func(a, b kept) int {
		if c := cmp.Compare(a.user, b.user); c != 0 {
			return c
		}
		if c := cmp.Compare(b.time, a.time); c != 0 {
			return c
		}
		return cmp.Compare(a.item, b.item)
	})
	c.userStart = make([]int32, nUsers+1)
	seen := make([]int32, nItems) // the user+1 that last had the item
	for i := 0; i < len(s); {
		u := s[i].user
		n := 0
		for ; i < len(s) && s[i].user == u; i++ {
			it := s[i].item
			if seen[it] == u+1 || n >= userHistoryCap {
				continue
			}
			seen[it] = u + 1
			c.userItems = append(c.userItems, it)
			c.users[it]++
			n++
		}
		c.userStart[u+1] = int32(len(c.userItems))
	}
	for u := 1; u <= nUsers; u++ {
		c.userStart[u] = max(c.userStart[u], c.userStart[u-1])
	}
	c.itemStart = make([]int32, nItems+1)
	for i, n := range c.users {
		c.itemStart[i+1] = c.itemStart[i] + n
	}
	c.itemUsers = make([]int32, len(c.userItems))
	fill := slices.Clone(c.itemStart[:nItems])
	for u := range nUsers {
		for _, it := range c.userItems[c.userStart[u]:c.userStart[u+1]] {
			c.itemUsers[fill[it]] = int32(u)
			fill[it]++
		}
	}
	return c
}

// forEachItem calls f for every item from as many goroutines as there are
// processors, each with its own scratch; f's result for an item must not
// depend on which goroutine runs it, which keeps training deterministic.
func forEachItem[S any](n int, scratch func() S, f func(s S, i int)) {
	workers := min(runtime.GOMAXPROCS(0), max(n, 1))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			s := scratch()
			for {
				lo := int(next.Add(64)) - 64
				if lo >= n {
					return
				}
				for i := lo; i < min(lo+64, n); i++ {
					f(s, i)
				}
			}
		})
	}
	wg.Wait()
}

// cand is a candidate neighbour.
type cand struct {
	item  int32
	score float64
	pop   int32
}

// better orders candidates: higher score, then more popular, then lower
// index.
func better(a, b cand) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	if a.pop != b.pop {
		return a.pop > b.pop
	}
	return a.item < b.item
}

// worst is a heap whose top is the worst candidate kept.
type worst []cand

func (h worst) Len() int           { return len(h) }
func (h worst) Less(i, j int) bool { return better(h[j], h[i]) }
func (h worst) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *worst) Push(x any)        { *h = append(*h, x.(cand)) }
func (h *worst) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// bestOf keeps the k best candidates offered, then gives them best first.
type bestOf struct {
	k int
	h worst
}

func (b *bestOf) offer(c cand) {
	if len(b.h) < b.k {
		heap.Push(&b.h, c)
	} else if better(c, b.h[0]) {
		b.h[0] = c
		heap.Fix(&b.h, 0)
	}
}

func (b *bestOf) take() []int32 {
	slices.SortFunc(b.h, func(x, y cand) int {
		if better(x, y) {
			return -1
		}
		return 1
	})
	out := make([]int32, len(b.h))
	for i, c := range b.h {
		out[i] = c.item
	}
	b.h = b.h[:0]
	return out
}

// counter counts co-occurrences of one item with the others.
type counter struct {
	count   []int32
	meta    []float32
	touched []int32
	best    bestOf
}

func newCounter(nItems int) *counter {
	return &counter{count: make([]int32, nItems), meta: make([]float32, nItems), best: bestOf{k: neighbourLimit}}
}

// coCount fills count for the items that share a user with item i.
func (c *counter) coCount(g *cooc, i int) {
	for _, u := range g.itemUsers[g.itemStart[i]:g.itemStart[i+1]] {
		for _, j := range g.userItems[g.userStart[u]:g.userStart[u+1]] {
			if int(j) == i {
				continue
			}
			if c.count[j] == 0 && c.meta[j] == 0 {
				c.touched = append(c.touched, j)
			}
			c.count[j]++
		}
	}
}

func (c *counter) reset() {
	for _, j := range c.touched {
		c.count[j], c.meta[j] = 0, 0
	}
	c.touched = c.touched[:0]
}

// collect turns per-item lists into the model's flat form.
func collect(lists [][]int32) (start, nbr []int32) {
	start = make([]int32, len(lists)+1)
	for i, l := range lists {
		start[i+1] = start[i] + int32(len(l))
	}
	nbr = make([]int32, 0, start[len(lists)])
	for _, l := range lists {
		nbr = append(nbr, l...)
	}
	return start, nbr
}

// trainSims builds aws-sims: items ranked by how many users had both,
// divided by the popularity of both to the power popularity_discount_factor
// (0 ranks by raw co-occurrence, favouring what everyone has; 0.5 is the
// cosine of the items' user sets; 1 favours rare companions), among pairs
// with at least min_cointeraction_count users.
func trainSims(d *Data, p Params, rule eventRule) (*Neighbours, error) {
	h := hyper{m: p.Hyper}
	discount := h.float("popularity_discount_factor", defaultPopularityDiscount, 0, 1)
	minCo := h.integer("min_cointeraction_count", defaultMinCointeraction, 0, 10)
	f := hyper{m: p.Features}
	minHist := f.float("min_user_history_length_percentile", 0.005, 0, 1)
	maxHist := f.float("max_user_history_length_percentile", 0.995, 0, 1)
	// Validated as AWS does; item count percentiles are not applied.
	f.float("min_item_interaction_count_percentile", 0.01, 0, 1)
	f.float("max_item_interaction_count_percentile", 0.9, 0, 1)
	if h.err != nil {
		return nil, h.err
	}
	if f.err != nil {
		return nil, f.err
	}
	if minHist > maxHist {
		return nil, &ParamError{Name: "min_user_history_length_percentile", Value: p.Features["min_user_history_length_percentile"], Want: "at most max_user_history_length_percentile"}
	}
	all := filter(d, &rule)
	if len(all) == 0 {
		return nil, ErrNoInteractions
	}
	ks := historyPercentiles(all, len(d.Users), minHist, maxHist)
	g := newCooc(ks, len(d.Users), len(d.Items))
	lists := make([][]int32, len(d.Items))
	minCo = max(minCo, 1)
	forEachItem(len(d.Items), func() *counter { return newCounter(len(d.Items)) }, func(c *counter, i int) {
		c.coCount(g, i)
		for _, j := range c.touched {
			n := c.count[j]
			if n < int32(minCo) {
				continue
			}
			s := float64(n) / math.Pow(float64(g.users[i])*float64(g.users[j]), discount)
			c.best.offer(cand{item: j, score: s, pop: g.users[j]})
		}
		lists[i] = c.best.take()
		c.reset()
	})
	m := &Neighbours{recipe: Sims, items: d.Items, index: indexOf(d.Items)}
	m.start, m.nbr = collect(lists)
	m.popular = byCount(distinctUsers(all, len(d.Items)), d.Items)
	return m, nil
}

// coldInteractions is where an item stops being cold for similar-items:
// an item with this many interactions is judged by co-occurrence as much
// as by its metadata; the fewer it has, the more metadata decides.
const coldInteractions = 5

// cooccurrenceShrinkage shrinks similar-items' co-occurrence cosine by
// n/(n+cooccurrenceShrinkage) for n users in common; measured on Synthetic
// data, 10 gave a better NDCG than 2 or 5, or than a hard minimum count.
const cooccurrenceShrinkage = 10

// trainSimilar builds aws-similar-items: co-occurrence (the cosine of the
// items' user sets, shrunk for few users in common, relative to the
// item's best) blended with the cosine
// of the items' metadata tokens weighted by rarity (IDF), with weight
// n/(n+5) on co-occurrence for an item of n interactions. An item with no
// interactions is judged by metadata alone; among items with equal
// metadata the more popular go first.
func trainSimilar(d *Data, p Params, rule eventRule) (*Neighbours, error) {
	h := hyper{m: p.Hyper}
	// Validated as AWS does; the similarities here have no embeddings.
	h.integer("item_id_hidden_dim", 100, 30, 200)
	h.integer("item_metadata_hidden_dim", 100, 30, 200)
	if h.err != nil {
		return nil, h.err
	}
	ks := filter(d, &rule)
	if len(ks) == 0 {
		return nil, ErrNoInteractions
	}
	nItems := len(d.Items)
	g := newCooc(ks, len(d.Users), nItems)
	meta := newMetadata(d.ItemFeatures, nItems)
	lists := make([][]int32, nItems)
	forEachItem(nItems, func() *counter { return newCounter(nItems) }, func(c *counter, i int) {
		c.coCount(g, i)
		meta.accumulate(c, i)
		// The cosine, shrunk towards 0 when few users had both items: an
		// item two rare items share once says little.
		cf := func(n, j int32) float64 {
			return float64(n) / math.Sqrt(float64(g.users[i])*float64(g.users[j])) * float64(n) / (float64(n) + cooccurrenceShrinkage)
		}
		best := 0.0
		for _, j := range c.touched {
			if n := c.count[j]; n > 0 {
				best = math.Max(best, cf(n, j))
			}
		}
		n := float64(g.interactions[i])
		w := n / (n + coldInteractions)
		for _, j := range c.touched {
			s := 0.0
			if n := c.count[j]; n > 0 {
				s = w * cf(n, j) / best
			}
			// Rounded, so that items of the same metadata tie whatever the
			// order of their tokens, and popularity decides.
			s += (1 - w) * math.Round(float64(c.meta[j])*1e6) / 1e6
			if s > 0 {
				c.best.offer(cand{item: j, score: s, pop: g.users[j]})
			}
		}
		lists[i] = c.best.take()
		c.reset()
	})
	m := &Neighbours{recipe: SimilarItems, items: d.Items, index: indexOf(d.Items)}
	m.start, m.nbr = collect(lists)
	m.popular = byCount(distinctUsers(ks, nItems), d.Items)
	return m, nil
}

// metadata is the items' tokens as unit vectors with IDF weights.
type metadata struct {
	itemStart, itemTokens []int32
	itemWeight            []float32 // weight of itemTokens[k] divided by its item's norm
	tokStart, tokItems    []int32
	tokWeight             []float32 // weight of the item's token, divided by the item's norm
}

func newMetadata(features [][]string, nItems int) *metadata {
	m := &metadata{itemStart: make([]int32, nItems+1)}
	if features == nil {
		m.tokStart = []int32{0}
		return m
	}
	ids := make(map[string]int32)
	var df []int32
	for i := range nItems {
		start := len(m.itemTokens)
		for _, t := range features[i] {
			id, ok := ids[t]
			if !ok {
				id = int32(len(df))
				ids[t] = id
				df = append(df, 0)
			}
			if !slices.Contains(m.itemTokens[start:], id) {
				m.itemTokens = append(m.itemTokens, id)
				df[id]++
			}
		}
		m.itemStart[i+1] = int32(len(m.itemTokens))
	}
	idf := make([]float64, len(df))
	for t, n := range df {
		idf[t] = math.Log(1 + float64(nItems)/float64(n))
	}
	m.itemWeight = make([]float32, len(m.itemTokens))
	for i := range nItems {
		toks := m.itemTokens[m.itemStart[i]:m.itemStart[i+1]]
		norm := 0.0
		for _, t := range toks {
			norm += idf[t] * idf[t]
		}
		norm = math.Sqrt(norm)
		for k, t := range toks {
			m.itemWeight[int(m.itemStart[i])+k] = float32(idf[t] / norm)
		}
	}
	m.tokStart = make([]int32, len(df)+1)
	for t, n := range df {
		m.tokStart[t+1] = m.tokStart[t] + n
	}
	m.tokItems = make([]int32, len(m.itemTokens))
	m.tokWeight = make([]float32, len(m.itemTokens))
	fill := slices.Clone(m.tokStart[:len(df)])
	for i := range nItems {
		for k := m.itemStart[i]; k < m.itemStart[i+1]; k++ {
			t := m.itemTokens[k]
			m.tokItems[fill[t]] = int32(i)
			m.tokWeight[fill[t]] = m.itemWeight[k]
			fill[t]++
		}
	}
	return m
}

// accumulate adds to c.meta the metadata cosine of item i with every item
// sharing a token with it.
func (m *metadata) accumulate(c *counter, i int) {
	for k := m.itemStart[i]; k < m.itemStart[i+1]; k++ {
		t, w := m.itemTokens[k], m.itemWeight[k]
		for p := m.tokStart[t]; p < m.tokStart[t+1]; p++ {
			j := m.tokItems[p]
			if int(j) == i {
				continue
			}
			if c.count[j] == 0 && c.meta[j] == 0 {
				c.touched = append(c.touched, j)
			}
			c.meta[j] += w * m.tokWeight[p]
		}
	}
}
