package recipe

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// Update is trainingMode UPDATE: base, a model trained in full, made to
// know the items of d it did not learn (new ones, and ones it knew only
// by name, with no interactions to train on), without training it again.
//
// Only the factorisation (*Personalized) updates. Every item base learnt
// keeps its factors, bit for bit, so the model's view of those items, and
// the metrics measured of it, stay the full training's; items of base
// that d no longer holds stay too. Each user of d is folded into a vector
// against base's item factors, as serving folds a request's history in,
// and each such item's factors are then solved exactly against those
// vectors: one half-step of alternating least squares, with the
// confidence and regularisation training uses. A user whose only
// interactions are with such items has no vector to give and says nothing
// about them. What depends on counts (popularity, for users without a
// usable history) is counted again from d.
//
// The model's hyperparameters, event rule and recency are base's, since
// its factors were trained under them and serving must weigh events as
// training did: a changed configuration takes a full training. Of p, only
// the featurization's history-length percentiles apply (which users of d
// count), and p must be valid for the recipe.
func Update(base Model, d *Data, p Params) (Model, error) {
	if base == nil {
		return nil, errors.New("no model to update")
	}
	m, ok := base.(*Personalized)
	if !ok {
		return nil, fmt.Errorf("recipe %s has no update training: only %s, %s, %s and %s models can learn new items without a full training",
			base.Recipe(), UserPersonalization, UserPersonalizationV2, PersonalizedRanking, PersonalizedRankingV2)
	}
	if err := d.check(); err != nil {
		return nil, err
	}
	return m.update(d, p)
}

func (m *Personalized) update(d *Data, p Params) (*Personalized, error) {
	c, err := alsParams(m.recipe, p)
	if err != nil {
		return nil, err
	}
	rule := m.rule
	ks := historyPercentiles(filter(d, &rule), len(d.Users), c.minHist, c.maxHist)
	if len(ks) == 0 {
		return nil, ErrNoInteractions
	}

	// The base's items keep their places, so that their factors are a
	// prefix of the new model's; d's new items follow in d's order.
	old := len(m.items)
	items := slices.Clip(slices.Clone(m.items))
	index := indexOf(items)
	at := make([]int32, len(d.Items))
	for i, id := range d.Items {
		j, ok := index[id]
		if !ok {
			j = int32(len(items))
			index[id] = j
			items = append(items, id)
		}
		at[i] = j
	}
	for i := range ks {
		ks[i].item = at[ks[i].item]
	}
	nUsers, k := len(d.Users), m.k

	// The items to learn are the new ones and those the base knew by name
	// only (an item imported before any interaction with it): their
	// factors are zero, since no one's use of them was trained.
	var learn []int32
	for i := range old {
		if !slices.ContainsFunc(m.y[i*k:(i+1)*k], func(v float32) bool { return v != 0 }) {
			learn = append(learn, int32(i))
		}
	}
	for i := old; i < len(items); i++ {
		learn = append(learn, int32(i))
	}
	x := m.foldInUsers(ks, nUsers)
	y := make([]float32, len(items)*k)
	copy(y, m.y)
	m.solveItems(y, x, ks, nUsers, learn)

	u := &Personalized{
		recipe: m.recipe, items: items, index: index, k: k, y: y, gram: gram64(y, k),
		lambda: m.lambda, alpha: m.alpha, beta: m.beta, halfLife: m.halfLife,
		exclude: m.exclude, rule: m.rule,
	}
	u.users = distinctUsers(ks, len(items))
	u.popular = byCount(u.users, items)
	return u, nil
}

// foldInUsers gives every user's factors against the model's items, the
// way serving folds in a history: the user's interactions with items the
// model knows, weighed by recency from the newest of them. A user with
// none, or whose system cannot be solved, keeps zeros, which add nothing
// to the new items' systems.
func (m *Personalized) foldInUsers(ks []kept, nUsers int) []float32 {
	byUser := slices.Clone(ks)
	// Stable, so that each user's events, and the sums over them, come in
	// the data's order and the update is repeatable to the bit.
	slices.SortStableFunc(byUser, func(a, b kept) int { return cmp.Compare(a.user, b.user) })
	start := make([]int32, nUsers+1)
	for _, e := range byUser {
		start[e.user+1]++
	}
	for u := range nUsers {
		start[u+1] += start[u]
	}
	known := int32(len(m.items))
	x := make([]float32, nUsers*m.k)
	type scratch struct {
		solver
		h []kept
	}
	forEachItem(nUsers, func() *scratch { return &scratch{solver: newSolver(m.k)} }, func(s *scratch, u int) {
		s.h = s.h[:0]
		for _, e := range byUser[start[u]:start[u+1]] {
			if e.item < known {
				s.h = append(s.h, e)
			}
		}
		if len(s.h) > 0 {
			s.solve(x[u*m.k:(u+1)*m.k], m.y, m.gram, m.weigh(s.h), m.lambda, m.alpha)
		}
	})
	return x
}

// solveItems writes into y the factors of the items learn names: for
// each, the exact least-squares solution against the users' factors x,
// with each of its users' confidence as training gives it (recency
// counted from the user's newest interaction with any item) and the
// training's regularisation.
func (m *Personalized) solveItems(y, x []float32, ks []kept, nUsers int, learn []int32) {
	n := len(learn)
	if n == 0 {
		return
	}
	at := make(map[int32]int32, n)
	for i, it := range learn {
		at[it] = int32(i)
	}
	var fresh []kept
	for _, e := range applyRecency(ks, nUsers, m.halfLife) {
		if i, ok := at[e.item]; ok {
			e.item = i
			fresh = append(fresh, e)
		}
	}
	_, byItem := matrices(fresh, nUsers, n, 1)
	// An item's half-step is a user's fold-in with the roles swapped: the
	// same system over the users' factors instead of the items'.
	gram := gram64(x, m.k)
	type scratch struct {
		solver
		h []weighted
	}
	forEachItem(n, func() *scratch { return &scratch{solver: newSolver(m.k)} }, func(s *scratch, i int) {
		lo, hi := byItem.start[i], byItem.start[i+1]
		if lo == hi {
			// No one used it: the system's solution is zero.
			return
		}
		s.h = s.h[:0]
		for q := lo; q < hi; q++ {
			s.h = append(s.h, weighted{byItem.col[q], float64(byItem.w[q])})
		}
		it := int(learn[i])
		s.solve(y[it*m.k:(it+1)*m.k], x, gram, s.h, m.lambda, m.alpha)
	})
}

// solver solves the weighted least-squares system of one row, with its
// own scratch so that an update's many rows allocate nothing.
type solver struct {
	a, b, f []float64
}

func newSolver(k int) solver {
	return solver{a: make([]float64, k*k), b: make([]float64, k), f: make([]float64, k)}
}

// solve writes into out the row's factors given the other side's factors
// f and their Gram matrix: the system foldIn solves,
// (FᵀF + λ(n+prior)I + Σ αw f fᵀ) x = Σ (1+αw) f, to the same bits where
// foldIn solves it. It
// factorises by LAPACK's Cholesky directly rather than through
// mat.Cholesky, which also estimates the condition number and so doubles
// the cost of a row: at one row per user, that was most of an update's
// time. An unsolvable system leaves out as it was.
func (s *solver) solve(out, f []float32, gram []float64, h []weighted, lambda, alpha float64) {
	k := len(out)
	copy(s.a, gram)
	lam := lambda * (float64(len(h)) + regularizationPrior)
	for i := range k {
		s.a[i*k+i] += lam
	}
	clear(s.b)
	a := blas64.Symmetric{Uplo: blas.Upper, N: k, Stride: k, Data: s.a}
	fi := blas64.Vector{N: k, Inc: 1, Data: s.f}
	for _, x := range h {
		for j, v := range f[int(x.item)*k : int(x.item+1)*k] {
			s.f[j] = float64(v)
		}
		c := alpha * x.w
		blas64.Syr(c, fi, a)
		blas64.Axpy(1+c, fi, blas64.Vector{N: k, Inc: 1, Data: s.b})
	}
	t, ok := lapack64.Potrf(a)
	if !ok {
		return
	}
	lapack64.Potrs(t, blas64.General{Rows: k, Cols: 1, Stride: 1, Data: s.b})
	for j, v := range s.b {
		out[j] = float32(v)
	}
}
