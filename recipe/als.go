package recipe

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// Defaults of the factorisation, chosen by measurement on Synthetic data
// (README.md, BenchmarkFactorisation): quality is flat from 32 factors and
// 5 iterations there; 64 and 10 leave room for richer real data and still
// train 1M interactions in about 5 s on 2 cores.
const (
	defaultFactors    = 64
	defaultIterations = 10
	defaultLambda     = 6.0
	defaultAlpha      = 40.0
	// cgSteps is how far conjugate gradient goes per row and iteration,
	// starting from the row's previous solution: the solution moves little
	// between iterations, so a few steps track it (Takács, Pilászy and
	// Tikk, 2011).
	cgSteps = 3
	// regularizationPrior is added to a row's count of interactions in
	// its regularisation, regularization*(n+regularizationPrior): scaling
	// with n keeps the best regularization, and the point past which
	// every factor is shrunk to nothing, about the same whatever the
	// data's density (measured from 2.5 to 20 interactions per user),
	// where a fixed one moves; the prior keeps rows of one or two
	// interactions from fitting them exactly.
	regularizationPrior = 5
	// recencyFloor is the least an old interaction weighs, relative to
	// the user's newest: tastes drift, but an old interaction still says
	// something.
	recencyFloor = 0.1
)

// Personalized is the model of aws-user-personalization(-v2) and
// aws-personalized-ranking(-v2): implicit-feedback matrix factorisation
// (Hu, Koren and Volinsky, 2008) trained by alternating least squares.
//
// Each user-item pair weighs r, the sum over its interactions of the event
// type's weight times a recency weight; the pair's confidence is
// 1 + alpha*r and its preference 1, every other pair's confidence 1 and
// preference 0. Item factors are all the model keeps: at request time the
// user's history (training's and anything since, alike) is folded in, the
// user's factors being the exact least-squares solution against the item
// factors with the same weights, so a user's next event changes the next
// answer and a user unseen at training is served like any other.
//
// Scores are a softmax over all items of beta times the dot products of
// the user's and items' factors; beta is fitted at training so that the
// scores are the likeliest probabilities of users' next items.
type Personalized struct {
	recipe   string
	items    []string
	index    map[string]int32
	k        int
	y        []float32 // item factors, row-major, len(items)*k
	gram     []float64 // Yᵀ Y, k*k
	lambda   float64
	alpha    float64
	beta     float64
	halfLife float64 // ms; 0: no recency weighting
	exclude  bool
	rule     eventRule
	users    []int32 // distinct users per item
	popular  []int32
}

type alsConfig struct {
	k, iterations int
	lambda, alpha float64
	recency       bool
	halfLifeDays  float64 // 0: from the data
	exclude       bool
	minHist       float64
	maxHist       float64
}

func alsParams(recipe string, p Params) (alsConfig, error) {
	h := hyper{m: p.Hyper}
	c := alsConfig{
		k:          h.integer("hidden_dimension", defaultFactors, 32, 256),
		iterations: h.integer("num_iterations", defaultIterations, 1, 100),
		lambda:     h.float("regularization", defaultLambda, 0, 1e4),
		alpha:      h.float("confidence_alpha", defaultAlpha, 0, 1e4),
		exclude:    h.boolean("exclude_interacted_items", true),
	}
	c.halfLifeDays = h.float("recency_half_life_days", 0, 0, 36500)
	f := hyper{m: p.Features}
	c.maxHist = 1
	if recipe == UserPersonalization || recipe == PersonalizedRanking {
		c.recency = h.boolean("recency_mask", true)
		h.integer("bptt", 32, 2, 32) // validated as AWS does; no recurrence here
		c.minHist = f.float("min_user_history_length_percentile", 0, 0, 1)
		c.maxHist = f.float("max_user_history_length_percentile", 0.99, 0, 1)
	} else {
		c.recency = h.boolean("apply_recency_bias", true)
	}
	if h.err != nil {
		return c, h.err
	}
	if f.err != nil {
		return c, f.err
	}
	if c.minHist > c.maxHist {
		return c, &ParamError{Name: "min_user_history_length_percentile", Value: p.Features["min_user_history_length_percentile"], Want: "at most max_user_history_length_percentile"}
	}
	return c, nil
}

// sparse is one side of the interaction matrix: row r's columns are
// col[start[r]:start[r+1]], each with its alpha*r weight.
type sparse struct {
	start []int32
	col   []int32
	w     []float32
}

func trainALS(recipe string, d *Data, p Params, rule eventRule) (*Personalized, error) {
	c, err := alsParams(recipe, p)
	if err != nil {
		return nil, err
	}
	all := filter(d, &rule)
	ks := historyPercentiles(all, len(d.Users), c.minHist, c.maxHist)
	if len(ks) == 0 {
		return nil, ErrNoInteractions
	}
	nUsers, nItems := len(d.Users), len(d.Items)
	m := &Personalized{
		recipe: recipe, items: d.Items, index: indexOf(d.Items), k: c.k,
		lambda: c.lambda, alpha: c.alpha, beta: 1, exclude: c.exclude, rule: rule,
	}
	m.users = distinctUsers(all, nItems)
	m.popular = byCount(m.users, d.Items)
	if c.recency {
		m.halfLife = c.halfLifeDays * 86400e3
		if m.halfLife == 0 {
			m.halfLife = autoHalfLife(ks, nUsers)
		}
	}
	users, items := matrices(applyRecency(ks, nUsers, m.halfLife), nUsers, nItems, c.alpha)

	rng := rand.New(rand.NewPCG(p.Seed, 0x9e3779b97f4a7c15))
	k := c.k
	x := make([]float32, nUsers*k)
	m.y = make([]float32, nItems*k)
	scale := 1 / math.Sqrt(float64(k))
	for i := range m.y {
		m.y[i] = float32(rng.NormFloat64() * 0.1 * scale)
	}
	for range c.iterations {
		solveSide(x, m.y, users, k, c.lambda)
		solveSide(m.y, x, items, k, c.lambda)
	}
	m.gram = gram64(m.y, k)
	m.fitBeta(ks, rng)
	return m, nil
}

// autoHalfLife is the recency half-life when none is given: half the
// median time between a user's first and last interaction, so that, for a
// typical user, the newest half of their history counts about twice as
// much as the oldest.
func autoHalfLife(ks []kept, nUsers int) float64 {
	first := make([]int64, nUsers)
	last := make([]int64, nUsers)
	for i := range first {
		first[i], last[i] = math.MaxInt64, math.MinInt64
	}
	for _, k := range ks {
		first[k.user] = min(first[k.user], k.time)
		last[k.user] = max(last[k.user], k.time)
	}
	var spans []int64
	for u := range first {
		if last[u] > first[u] {
			spans = append(spans, last[u]-first[u])
		}
	}
	if len(spans) == 0 {
		return 86400e3
	}
	slices.Sort(spans)
	return max(float64(spans[len(spans)/2])/4, 3600e3)
}

// recency is how much an interaction age ms older than the user's newest
// weighs.
func recency(age, halfLife float64) float64 {
	if halfLife <= 0 || age <= 0 {
		return 1
	}
	return recencyFloor + (1-recencyFloor)*math.Exp2(-age/halfLife)
}

// applyRecency weighs each interaction by its age relative to its user's
// newest, as serving does with a request's history: time as the user
// lived it, not the training's clock.
func applyRecency(ks []kept, nUsers int, halfLife float64) []kept {
	if halfLife <= 0 {
		return ks
	}
	ks = slices.Clone(ks)
	newest := make([]int64, nUsers)
	for i := range newest {
		newest[i] = math.MinInt64
	}
	for _, k := range ks {
		newest[k.user] = max(newest[k.user], k.time)
	}
	for i := range ks {
		ks[i].weight *= float32(recency(float64(newest[ks[i].user]-ks[i].time), halfLife))
	}
	return ks
}

// matrices sums the weights of each user-item pair and lays them out by
// user and by item, weights multiplied by alpha (confidence minus one).
func matrices(ks []kept, nUsers, nItems int, alpha float64) (byUser, byItem sparse) {
	s := slices.Clone(ks)
	slices.SortFunc(s, func(a, b kept) int {
		if c := cmp.Compare(a.user, b.user); c != 0 {
			return c
		}
		return cmp.Compare(a.item, b.item)
	})
	byUser.start = make([]int32, nUsers+1)
	itemCount := make([]int32, nItems+1)
	for i := 0; i < len(s); {
		u, it := s[i].user, s[i].item
		w := 0.0
		for ; i < len(s) && s[i].user == u && s[i].item == it; i++ {
			w += float64(s[i].weight)
		}
		byUser.col = append(byUser.col, it)
		byUser.w = append(byUser.w, float32(alpha*w))
		byUser.start[u+1] = int32(len(byUser.col))
		itemCount[it+1]++
	}
	for u := 1; u <= nUsers; u++ {
		byUser.start[u] = max(byUser.start[u], byUser.start[u-1])
	}
	byItem.start = make([]int32, nItems+1)
	for i := range nItems {
		byItem.start[i+1] = byItem.start[i] + itemCount[i+1]
	}
	byItem.col = make([]int32, len(byUser.col))
	byItem.w = make([]float32, len(byUser.col))
	fill := slices.Clone(byItem.start[:nItems])
	for u := range nUsers {
		for p := byUser.start[u]; p < byUser.start[u+1]; p++ {
			it := byUser.col[p]
			byItem.col[fill[it]] = int32(u)
			byItem.w[fill[it]] = byUser.w[p]
			fill[it]++
		}
	}
	return byUser, byItem
}

// gram32 is Fᵀ F of a factor matrix, both triangles filled.
func gram32(f []float32, k int) []float32 {
	g := make([]float32, k*k)
	n := len(f) / k
	blas32.Syrk(blas.Trans, 1, blas32.General{Rows: n, Cols: k, Stride: k, Data: f}, 0,
		blas32.Symmetric{Uplo: blas.Upper, N: k, Stride: k, Data: g})
	for i := range k {
		for j := range i {
			g[i*k+j] = g[j*k+i]
		}
	}
	return g
}

// gram64 is Fᵀ F in float64, for the fold-in's exact solve.
func gram64(f []float32, k int) []float64 {
	n := len(f) / k
	f64 := make([]float64, len(f))
	for i, v := range f {
		f64[i] = float64(v)
	}
	out := make([]float64, k*k)
	blas64.Syrk(blas.Trans, 1, blas64.General{Rows: n, Cols: k, Stride: k, Data: f64}, 0,
		blas64.Symmetric{Uplo: blas.Upper, N: k, Stride: k, Data: out})
	for i := range k {
		for j := range i {
			out[i*k+j] = out[j*k+i]
		}
	}
	return out
}

// cgScratch is one goroutine's vectors for solveSide.
type cgScratch struct{ r, p, ap []float32 }

// solveSide updates every row of x, given the other side's factors f, to
// (approximately) minimise its weighted least-squares loss:
// (FᵀF + λI + Σ w f fᵀ) x = Σ (1+w) f, by cgSteps of conjugate gradient
// from the row's current value.
func solveSide(x, f []float32, m sparse, k int, lambda float64) {
	g := blas32.General{Rows: k, Cols: k, Stride: k, Data: gram32(f, k)}
	lam := float32(lambda)
	rows := len(m.start) - 1
	forEachItem(rows, func() *cgScratch {
		return &cgScratch{make([]float32, k), make([]float32, k), make([]float32, k)}
	}, func(s *cgScratch, u int) {
		lo, hi := m.start[u], m.start[u+1]
		if lo == hi {
			// No interactions: the system's solution is zero. Left at
			// its random start, the row would score an item no one used,
			// or weigh a user with no history in the other side's Gram.
			clear(x[u*k : (u+1)*k])
			return
		}
		lam := lam * (float32(hi-lo) + regularizationPrior)
		xu := blas32.Vector{N: k, Inc: 1, Data: x[u*k : (u+1)*k]}
		r := blas32.Vector{N: k, Inc: 1, Data: s.r}
		p := blas32.Vector{N: k, Inc: 1, Data: s.p}
		ap := blas32.Vector{N: k, Inc: 1, Data: s.ap}
		vec := func(i int32) blas32.Vector { return blas32.Vector{N: k, Inc: 1, Data: f[int(i)*k : int(i+1)*k]} }

		// r = b - A x
		blas32.Gemv(blas.NoTrans, -1, g, xu, 0, r)
		blas32.Axpy(-lam, xu, r)
		for q := lo; q < hi; q++ {
			fi, w := vec(m.col[q]), m.w[q]
			blas32.Axpy(1+w-w*blas32.Dot(fi, xu), fi, r)
		}
		copy(s.p, s.r)
		rs := blas32.Dot(r, r)
		for range cgSteps {
			if rs < 1e-12 {
				break
			}
			// ap = A p
			blas32.Gemv(blas.NoTrans, 1, g, p, 0, ap)
			blas32.Axpy(lam, p, ap)
			for q := lo; q < hi; q++ {
				fi := vec(m.col[q])
				blas32.Axpy(m.w[q]*blas32.Dot(fi, p), fi, ap)
			}
			a := rs / blas32.Dot(p, ap)
			blas32.Axpy(a, p, xu)
			blas32.Axpy(-a, ap, r)
			next := blas32.Dot(r, r)
			blas32.Scal(next/rs, p)
			blas32.Axpy(1, r, p)
			rs = next
		}
	})
}

// weighted is one history item and its summed weight.
type weighted struct {
	item int32
	w    float64
}

// history turns a request's events into the model's items and weights:
// the training's event rule and recency, relative to the newest event
// that counts. Events of items the model does not know are dropped.
func (m *Personalized) history(events []Event) []weighted {
	ks := make([]kept, 0, len(events))
	for _, e := range events {
		it, ok := m.index[e.Item]
		if !ok {
			continue
		}
		if w := m.rule.weight(e.EventType, e.Value); w > 0 {
			ks = append(ks, kept{item: it, time: e.Time, weight: float32(w)})
		}
	}
	return m.weigh(ks)
}

// weigh applies recency to one user's interactions, relative to the
// newest of them, and sums the weights per item, in order of first
// appearance.
func (m *Personalized) weigh(ks []kept) []weighted {
	newest := int64(math.MinInt64)
	for _, k := range ks {
		newest = max(newest, k.time)
	}
	var out []weighted
	at := make(map[int32]int, len(ks))
	for _, k := range ks {
		w := float64(k.weight) * recency(float64(newest-k.time), m.halfLife)
		if i, ok := at[k.item]; ok {
			out[i].w += w
		} else {
			at[k.item] = len(out)
			out = append(out, weighted{k.item, w})
		}
	}
	return out
}

// foldIn solves for the user's factors given their history: the same
// least-squares problem training solves for its users, exactly. It fails
// only for a system that is not positive definite, which takes a
// regularization of 0 and fewer items than factors.
func (m *Personalized) foldIn(h []weighted) ([]float32, bool) {
	k := m.k
	a := mat.NewSymDense(k, slices.Clone(m.gram))
	raw := a.RawSymmetric()
	lam := m.lambda * (float64(len(h)) + regularizationPrior)
	for i := range k {
		raw.Data[i*k+i] += lam
	}
	b := make([]float64, k)
	yi := make([]float64, k)
	for _, x := range h {
		for j, v := range m.y[int(x.item)*k : int(x.item+1)*k] {
			yi[j] = float64(v)
		}
		c := m.alpha * x.w
		blas64.Syr(c, blas64.Vector{N: k, Inc: 1, Data: yi}, raw)
		blas64.Axpy(1+c, blas64.Vector{N: k, Inc: 1, Data: yi}, blas64.Vector{N: k, Inc: 1, Data: b})
	}
	var ch mat.Cholesky
	if !ch.Factorize(a) {
		return nil, false
	}
	var sol mat.VecDense
	if err := ch.SolveVecTo(&sol, mat.NewVecDense(k, b)); err != nil {
		return nil, false
	}
	out := make([]float32, k)
	for j := range k {
		out[j] = float32(sol.AtVec(j))
	}
	return out, true
}

// logits are the dot products of u with every item's factors.
func (m *Personalized) logits(u []float32, out []float32) {
	n := len(m.items)
	blas32.Gemv(blas.NoTrans, 1, blas32.General{Rows: n, Cols: m.k, Stride: m.k, Data: m.y},
		blas32.Vector{N: m.k, Inc: 1, Data: u}, 0, blas32.Vector{N: n, Inc: 1, Data: out})
}

// RecommendForUser implements ForUser. The items of the history's events
// that count (those the training's event type and value rules let
// through) are left out unless exclude_interacted_items is false: AWS
// leaves that to filters, but a factorisation ranks what the user already
// has first, which no one wants recommended again. A user with no usable
// history gets the most popular items, unscored and marked Popular.
func (m *Personalized) RecommendForUser(history []Event, n int, keep func(string) bool) []Scored {
	h := m.history(history)
	u, ok := m.foldIn(h)
	if len(h) == 0 || !ok || n <= 0 {
		return appendPicked(nil, n, m.items, m.popular, nil, keep, true)
	}
	s := make([]float32, len(m.items))
	m.logits(u, s)
	lse := m.logSumExp(s)
	had := make(map[int32]bool, len(h))
	if m.exclude {
		for _, x := range h {
			had[x.item] = true
		}
	}
	out := make([]Scored, 0, n)
	// Take the best few; only when keep or skip reject many, look further.
	for want := n + len(h) + 8; ; want *= 4 {
		out = out[:0]
		top := topIndices(s, want)
		for _, it := range top {
			if len(out) == n {
				break
			}
			if had[it] || (keep != nil && !keep(m.items[it])) {
				continue
			}
			out = append(out, Scored{Item: m.items[it], Score: math.Exp(m.beta*float64(s[it]) - lse), HasScore: true})
		}
		if len(out) == n || len(top) == len(s) {
			return out
		}
	}
}

func (m *Personalized) logSumExp(s []float32) float64 {
	hi := math.Inf(-1)
	for _, v := range s {
		hi = math.Max(hi, m.beta*float64(v))
	}
	sum := 0.0
	for _, v := range s {
		sum += math.Exp(m.beta*float64(v) - hi)
	}
	return hi + math.Log(sum)
}

// topIndices gives the indexes of the n highest values, highest first;
// ties go to the lower index.
func topIndices(s []float32, n int) []int32 {
	if n >= len(s) {
		out := make([]int32, len(s))
		for i := range out {
			out[i] = int32(i)
		}
		sortByScore(out, s)
		return out
	}
	// A min-heap of the best n so far, its worst at the root.
	h := make([]int32, 0, n)
	worse := func(a, b int32) bool { return s[a] < s[b] || (s[a] == s[b] && a > b) }
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= len(h) {
				return
			}
			c := l
			if r := l + 1; r < len(h) && worse(h[r], h[l]) {
				c = r
			}
			if !worse(h[c], h[i]) {
				return
			}
			h[i], h[c] = h[c], h[i]
			i = c
		}
	}
	for i := range s {
		it := int32(i)
		if len(h) < n {
			h = append(h, it)
			for j := len(h) - 1; j > 0; {
				p := (j - 1) / 2
				if !worse(h[j], h[p]) {
					break
				}
				h[j], h[p] = h[p], h[j]
				j = p
			}
			continue
		}
		if worse(h[0], it) {
			h[0] = it
			down(0)
		}
	}
	sortByScore(h, s)
	return h
}

func sortByScore(v []int32, s []float32) {
	slices.SortFunc(v, func(a, b int32) int {
		if c := cmp.Compare(s[b], s[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
}

// Rank implements Ranker: a softmax over the known items of the list.
// A user with no usable history gets the items by popularity, each scored
// its share of the list's distinct users (each count plus one, so that an
// item no one used still scores), marked Popular.
func (m *Personalized) Rank(history []Event, items []string) []Scored {
	var known []int32
	var unknown []string
	seen := make(map[string]bool, len(items))
	for _, id := range items {
		if seen[id] {
			continue
		}
		seen[id] = true
		if it, ok := m.index[id]; ok {
			known = append(known, it)
		} else {
			unknown = append(unknown, id)
		}
	}
	out := make([]Scored, 0, len(known)+len(unknown))
	h := m.history(history)
	u, ok := m.foldIn(h)
	if len(h) == 0 || !ok {
		total := 0.0
		for _, it := range known {
			total += float64(m.users[it] + 1)
		}
		slices.SortStableFunc(known, func(a, b int32) int { return cmp.Compare(m.users[b], m.users[a]) })
		for _, it := range known {
			out = append(out, Scored{Item: m.items[it], Score: float64(m.users[it]+1) / total, HasScore: true, Popular: true})
		}
	} else {
		s := make([]float32, len(known))
		for i, it := range known {
			s[i] = blas32.Dot(blas32.Vector{N: m.k, Inc: 1, Data: u}, blas32.Vector{N: m.k, Inc: 1, Data: m.y[int(it)*m.k : int(it+1)*m.k]})
		}
		lse := m.logSumExp(s)
		order := make([]int32, len(known))
		for i := range order {
			order[i] = int32(i)
		}
		sortByScore(order, s)
		for _, i := range order {
			out = append(out, Scored{Item: m.items[known[i]], Score: math.Exp(m.beta*float64(s[i]) - lse), HasScore: true})
		}
	}
	for _, id := range unknown {
		out = append(out, Scored{Item: id, HasScore: true})
	}
	return out
}

// fitBeta chooses the scores' inverse temperature: the value that makes
// the softmax most likely to give a user's later items from their earlier
// ones, on a sample of training users (80% of each history folded in,
// the distinct new items of the rest to predict). The log-likelihood is
// concave in beta, so Newton's method finds it in a few steps.
func (m *Personalized) fitBeta(ks []kept, rng *rand.Rand) {
	byUser := make(map[int32][]kept)
	var order []int32
	for _, k := range ks {
		if _, ok := byUser[k.user]; !ok {
			order = append(order, k.user)
		}
		byUser[k.user] = append(byUser[k.user], k)
	}
	slices.Sort(order)
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	type sample struct {
		logits  []float32
		targets []int32
	}
	var samples []sample
	for _, u := range order {
		if len(samples) == 200 {
			break
		}
		evs := byUser[u]
		if len(evs) < 5 {
			continue
		}
		slices.SortFunc(evs, func(a, b kept) int { return cmp.Compare(a.time, b.time) })
		cut := len(evs) * 8 / 10
		h := m.weigh(evs[:cut])
		var targets []int32
		for _, e := range evs[cut:] {
			if !slices.ContainsFunc(h, func(x weighted) bool { return x.item == e.item }) && !slices.Contains(targets, e.item) {
				targets = append(targets, e.item)
			}
		}
		if len(h) == 0 || len(targets) == 0 {
			continue
		}
		u, ok := m.foldIn(h)
		if !ok {
			continue
		}
		s := make([]float32, len(m.items))
		m.logits(u, s)
		samples = append(samples, sample{s, targets})
	}
	if len(samples) == 0 {
		return
	}
	// L(b) = Σ Σ_t b s_t - lse(b s); L' = Σ Σ_t s_t - E_b[s]; L'' = -Σ n_t Var_b[s].
	eval := func(b float64) (l, d1, d2 float64) {
		for _, smp := range samples {
			hi := math.Inf(-1)
			for _, v := range smp.logits {
				hi = math.Max(hi, b*float64(v))
			}
			var z, mean, sq float64
			for _, v := range smp.logits {
				e := math.Exp(b*float64(v) - hi)
				z += e
				mean += e * float64(v)
				sq += e * float64(v) * float64(v)
			}
			mean /= z
			variance := sq/z - mean*mean
			lse := hi + math.Log(z)
			nt := float64(len(smp.targets))
			for _, t := range smp.targets {
				l += b*float64(smp.logits[t]) - lse
				d1 += float64(smp.logits[t])
			}
			d1 -= nt * mean
			d2 -= nt * variance
		}
		return l, d1, d2
	}
	b := 1.0
	l, d1, d2 := eval(b)
	for range 30 {
		if d2 >= 0 || math.Abs(d1) < 1e-6*math.Abs(l) {
			break
		}
		step := -d1 / d2
		next := math.Min(math.Max(b+step, b/4), b*4)
		nl, nd1, nd2 := eval(next)
		for nl < l && math.Abs(next-b) > 1e-9 {
			next = (next + b) / 2
			nl, nd1, nd2 = eval(next)
		}
		if nl < l {
			break
		}
		b, l, d1, d2 = next, nl, nd1, nd2
	}
	m.beta = b
}

// Recipe implements Model.
func (m *Personalized) Recipe() string { return m.recipe }

// Items implements Model.
func (m *Personalized) Items() []string { return m.items }

// Factors is the number of latent factors (hidden_dimension).
func (m *Personalized) Factors() int { return m.k }

// MarshalBinary implements Model.
func (m *Personalized) MarshalBinary() ([]byte, error) {
	e := newEncoder(m.recipe)
	e.strs(m.items)
	e.uint(uint64(m.k))
	e.f32s(m.y)
	e.f64s(m.gram)
	e.f64(m.lambda)
	e.f64(m.alpha)
	e.f64(m.beta)
	e.f64(m.halfLife)
	e.bool(m.exclude)
	m.rule.encode(e)
	e.i32s(m.users)
	e.i32s(m.popular)
	return e.b, nil
}

func decodeALS(recipe string, d *decoder) *Personalized {
	m := &Personalized{recipe: recipe, items: d.strs()}
	m.k = int(d.uint())
	m.y, m.gram = d.f32s(), d.f64s()
	m.lambda, m.alpha, m.beta, m.halfLife = d.f64(), d.f64(), d.f64(), d.f64()
	m.exclude = d.bool()
	m.rule.decode(d)
	m.users, m.popular = d.i32s(), d.i32s()
	d.indexes(m.popular, len(m.items))
	if m.k <= 0 || m.k > 4096 || len(m.y) != len(m.items)*m.k || len(m.gram) != m.k*m.k || len(m.users) != len(m.items) {
		d.fail()
	}
	m.index = indexOf(m.items)
	return m
}
