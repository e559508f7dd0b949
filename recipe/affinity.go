package recipe

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Metric names of USER_SEGMENTATION versions, as GetSolutionMetrics
// reports AWS's (coverage is MetricCoverage).
const (
	MetricHits1Percent   = "hits_at_1_percent"
	MetricRecall1Percent = "recall_at_1_percent"
)

// MaxAttributeTerms bounds the terms of an attribute query, so that a
// line's work stays bounded.
const MaxAttributeTerms = 20

// Segments is the model of aws-item-affinity and
// aws-item-attribute-affinity: the factorisation of user-personalization
// (Personalized), trained the same way on the interactions, with every
// user of the training data folded in from their history, as serving
// folds a request's history in. A user's affinity for an item is the dot
// product of their factors with the item's; a segment is the n users of
// highest affinity.
//
// For an item (item-affinity), the users who already interacted with it
// in the training data are left out: a segment is for reaching users who
// have not engaged yet, and a factorisation ranks the item's own users
// first. For an attribute query (item-attribute-affinity), the items
// matching every term stand for it by the mean of their factors, and
// every user is kept: the users who already like such items are the
// segment. Users without a usable history have no factors and are never
// in a segment.
type Segments struct {
	f     *Personalized
	users []string
	x     []float32 // users' factors, row-major, len(users)*k
	has   []bool    // whether the user has factors
	// start and byItem list each item's users in the training data:
	// byItem[start[i]:start[i+1]], ascending.
	start, byItem []int32
	// features holds, for item-attribute-affinity, each item's
	// "FIELD=value" tokens.
	features [][]string
}

// ScoredUser is one user of a segment, most likely first.
type ScoredUser struct {
	User  string
	Score float64
}

// Segmenter is a model that gives the users most likely to interact with
// an item or with items of attributes: item-affinity and
// item-attribute-affinity.
type Segmenter interface {
	Model
	// UsersForItem gives at most n users for item, among those keep
	// accepts (nil keeps all). An item the model does not know is an
	// error.
	UsersForItem(item string, n int, keep func(user string) bool) ([]ScoredUser, error)
	// UsersForAttributes gives at most n users for the items that match
	// query, an AND of terms ITEMS.FIELD = "value", among those keep
	// accepts. A query that does not parse, or that no item matches, is
	// an error.
	UsersForAttributes(query string, n int, keep func(user string) bool) ([]ScoredUser, error)
}

var _ Segmenter = (*Segments)(nil)

func trainSegments(recipe string, d *Data, p Params, rule eventRule) (*Segments, error) {
	if recipe == ItemAttributeAffinity && !slices.ContainsFunc(d.ItemFeatures, func(f []string) bool { return len(f) > 0 }) {
		return nil, errors.New(recipe + " needs an Items dataset with at least one categorical column, which no item has a value of")
	}
	f, err := trainALS(recipe, d, p, rule)
	if err != nil {
		return nil, err
	}
	all := filter(d, &rule)
	s := &Segments{f: f, users: d.Users}
	s.x = f.foldInUsers(all, len(d.Users))
	s.has = make([]bool, len(d.Users))
	for _, e := range all {
		s.has[e.user] = true
	}
	s.start, s.byItem = usersByItem(all, len(d.Items))
	if recipe == ItemAttributeAffinity {
		s.features = make([][]string, len(d.Items))
		if d.ItemFeatures != nil {
			for i, toks := range d.ItemFeatures {
				s.features[i] = slices.Clone(toks)
			}
		}
	}
	return s, nil
}

// usersByItem lists each item's distinct users, ascending.
func usersByItem(ks []kept, nItems int) (start, byItem []int32) {
	pairs := make([][2]int32, 0, len(ks))
	for _, k := range ks {
		pairs = append(pairs, [2]int32{k.item, k.user})
	}
	slices.SortFunc(pairs, func(a, b [2]int32) int {
		if c := cmp.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return cmp.Compare(a[1], b[1])
	})
	pairs = slices.Compact(pairs)
	start = make([]int32, nItems+1)
	byItem = make([]int32, len(pairs))
	for i, p := range pairs {
		start[p[0]+1]++
		byItem[i] = p[1]
	}
	for i := range nItems {
		start[i+1] += start[i]
	}
	return start, byItem
}

// Recipe implements Model.
func (s *Segments) Recipe() string { return s.f.recipe }

// Items implements Model.
func (s *Segments) Items() []string { return s.f.items }

// Users lists the users the model knows.
func (s *Segments) Users() []string { return s.users }

// UsersForItem implements Segmenter.
func (s *Segments) UsersForItem(item string, n int, keep func(string) bool) ([]ScoredUser, error) {
	i, ok := s.f.index[item]
	if !ok {
		return nil, fmt.Errorf("item %s is not in the solution version's training data", item)
	}
	k := s.f.k
	return s.top(s.f.y[int(i)*k:int(i+1)*k], s.byItem[s.start[i]:s.start[i+1]], n, keep), nil
}

// UsersForAttributes implements Segmenter.
func (s *Segments) UsersForAttributes(query string, n int, keep func(string) bool) ([]ScoredUser, error) {
	terms, err := ParseAttributes(query)
	if err != nil {
		return nil, err
	}
	items := s.matching(terms)
	if len(items) == 0 {
		return nil, fmt.Errorf("no item of the solution version's training data has %s", query)
	}
	return s.top(s.mean(items), nil, n, keep), nil
}

// matching lists the items whose tokens hold every term.
func (s *Segments) matching(terms []string) []int32 {
	var items []int32
	for i, toks := range s.features {
		all := true
		for _, t := range terms {
			if !slices.ContainsFunc(toks, func(tok string) bool {
				return strings.EqualFold(fieldOf(tok), fieldOf(t)) && valueOf(tok) == valueOf(t)
			}) {
				all = false
				break
			}
		}
		if all {
			items = append(items, int32(i))
		}
	}
	return items
}

func fieldOf(tok string) string { f, _, _ := strings.Cut(tok, "="); return f }
func valueOf(tok string) string { _, v, _ := strings.Cut(tok, "="); return v }

// mean is the mean of the items' factors, those with interactions only
// when any has: an item without has factors the regularisation shrank to
// nothing, which would only dilute the others.
func (s *Segments) mean(items []int32) []float32 {
	k := s.f.k
	warm := slices.DeleteFunc(slices.Clone(items), func(i int32) bool { return s.start[i] == s.start[i+1] })
	if len(warm) > 0 {
		items = warm
	}
	q := make([]float32, k)
	for _, i := range items {
		for j, v := range s.f.y[int(i)*k : int(i+1)*k] {
			q[j] += v
		}
	}
	for j := range q {
		q[j] /= float32(len(items))
	}
	return q
}

// top gives the n users of highest affinity with factors q, leaving out
// the users in skip (ascending) and those keep refuses.
func (s *Segments) top(q []float32, skip []int32, n int, keep func(string) bool) []ScoredUser {
	if n <= 0 {
		return nil
	}
	k := s.f.k
	scores := make([]float32, len(s.users))
	for u := range s.users {
		if !s.has[u] {
			scores[u] = float32(math.Inf(-1))
			continue
		}
		var dot float32
		for j, v := range s.x[u*k : (u+1)*k] {
			dot += v * q[j]
		}
		scores[u] = dot
	}
	for _, u := range skip {
		scores[u] = float32(math.Inf(-1))
	}
	var out []ScoredUser
	want := n
	for {
		idx := topIndices(scores, min(want, len(scores)))
		out = out[:0]
		for _, u := range idx {
			if math.IsInf(float64(scores[u]), -1) {
				break
			}
			if keep != nil && !keep(s.users[u]) {
				continue
			}
			out = append(out, ScoredUser{User: s.users[u], Score: float64(scores[u])})
			if len(out) == n {
				return out
			}
		}
		if len(idx) < want || want >= len(scores) {
			return out
		}
		want *= 4
	}
}

// ParseAttributes reads an item-attribute-affinity query, terms
// ITEMS.FIELD = "value" joined by AND (the only operators AWS's jobs
// take), into "FIELD=value" tokens as Data.ItemFeatures holds them.
func ParseAttributes(query string) ([]string, error) {
	bad := func(why string) error {
		return fmt.Errorf(`itemAttributes %q: %s; want terms ITEMS.FIELD = "value" joined by AND`, query, why)
	}
	rest := strings.TrimSpace(query)
	if rest == "" {
		return nil, bad("empty")
	}
	var terms []string
	for {
		dot := strings.IndexByte(rest, '.')
		if dot < 0 || !strings.EqualFold(strings.TrimSpace(rest[:dot]), "ITEMS") {
			return nil, bad("a term does not start with ITEMS.")
		}
		rest = rest[dot+1:]
		eq := strings.IndexByte(rest, '=')
		if eq < 0 {
			return nil, bad("a term has no =")
		}
		field := strings.TrimSpace(rest[:eq])
		if field == "" || strings.ContainsAny(field, " \t\"<>!") {
			return nil, bad("a term's field is not a column name, or its operator is not =")
		}
		rest = strings.TrimSpace(rest[eq+1:])
		if !strings.HasPrefix(rest, `"`) {
			return nil, bad("a term's value is not a quoted string")
		}
		end := 1
		for end < len(rest) && rest[end] != '"' {
			if rest[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(rest) {
			return nil, bad("a value's quote is not closed")
		}
		value, err := strconv.Unquote(rest[:end+1])
		if err != nil {
			return nil, bad("a value is not a valid string")
		}
		terms = append(terms, field+"="+value)
		if len(terms) > MaxAttributeTerms {
			return nil, bad(fmt.Sprintf("more than %d terms", MaxAttributeTerms))
		}
		rest = strings.TrimSpace(rest[end+1:])
		if rest == "" {
			return terms, nil
		}
		if len(rest) < 4 || !strings.EqualFold(rest[:3], "AND") || (rest[3] != ' ' && rest[3] != '\t') {
			return nil, bad("terms must be joined by AND")
		}
		rest = strings.TrimSpace(rest[3:])
	}
}

// MarshalBinary implements Model.
func (s *Segments) MarshalBinary() ([]byte, error) {
	b, err := s.f.MarshalBinary()
	if err != nil {
		return nil, err
	}
	e := &encoder{b: b}
	e.strs(s.users)
	e.f32s(s.x)
	has := make([]int32, 0)
	for u, ok := range s.has {
		if ok {
			has = append(has, int32(u))
		}
	}
	e.i32s(has)
	e.i32s(s.start)
	e.i32s(s.byItem)
	e.bool(s.features != nil)
	for _, toks := range s.features {
		e.strs(toks)
	}
	return e.b, nil
}

func decodeSegments(recipe string, d *decoder) *Segments {
	s := &Segments{f: decodeALS(recipe, d)}
	s.users = d.strs()
	s.x = d.f32s()
	has := d.i32s()
	s.start, s.byItem = d.i32s(), d.i32s()
	if d.bool() {
		s.features = make([][]string, len(s.f.items))
		for i := range s.features {
			s.features[i] = d.strs()
		}
	}
	if d.err != nil {
		return s
	}
	nu, ni := len(s.users), len(s.f.items)
	if len(s.x) != nu*s.f.k || len(s.start) != ni+1 || s.start[0] != 0 || int(s.start[ni]) != len(s.byItem) {
		d.fail()
		return s
	}
	for i := range ni {
		if s.start[i] > s.start[i+1] {
			d.fail()
			return s
		}
	}
	d.indexes(has, nu)
	d.indexes(s.byItem, nu)
	s.has = make([]bool, nu)
	for _, u := range has {
		if u >= 0 && int(u) < nu {
			s.has[u] = true
		}
	}
	return s
}

// segmentEval bounds the items or attribute values a segmentation's
// metrics are measured on.
const segmentEval = 300

// evaluateSegments measures a segmentation recipe as AWS's
// GetSolutionMetrics reports it: each user's interactions that count are
// split 80/20, the newest fifth held out; the model trains on the rest.
// For each of at most segmentEval items (item-affinity) or attribute
// values (item-attribute-affinity) that some user holds out, the model
// gives the top 1% of the users (at least one), and the relevant users are
// those who hold out an interaction with the item, or with an item of
// the value. hits_at_1_percent is the mean count of relevant users among
// those given, recall_at_1_percent the mean share of the relevant users
// given; coverage is the share of the users with interactions who are in
// any segment. An item-affinity segment leaves out the item's users in
// training, as the model always does, so they are not relevant either.
func evaluateSegments(recipe string, d *Data, p Params) (map[string]float64, error) {
	rule, err := newEventRule(p)
	if err != nil {
		return nil, err
	}
	all := filter(d, &rule)
	byUser := make([][]kept, len(d.Users))
	for _, k := range all {
		byUser[k.user] = append(byUser[k.user], k)
	}
	train := &Data{Users: d.Users, Items: d.Items, ItemFeatures: d.ItemFeatures, ItemCreated: d.ItemCreated}
	var held []kept
	active := 0
	for _, ks := range byUser {
		if len(ks) == 0 {
			continue
		}
		active++
		slices.SortStableFunc(ks, func(a, b kept) int { return cmp.Compare(a.time, b.time) })
		cut := len(ks) - len(ks)/5
		held = append(held, ks[cut:]...)
	}
	// The interactions kept for training, as the data gave them.
	heldSet := make(map[[2]int64]int, len(held))
	for _, h := range held {
		heldSet[[2]int64{int64(h.user)<<32 | int64(h.item), h.time}]++
	}
	for _, x := range d.Interactions {
		key := [2]int64{int64(x.User)<<32 | int64(x.Item), x.Time}
		if rule.weight(x.EventType, x.Value) > 0 && heldSet[key] > 0 {
			heldSet[key]--
			continue
		}
		train.Interactions = append(train.Interactions, x)
	}
	model, err := Train(recipe, train, p)
	if err != nil {
		return nil, err
	}
	s := model.(*Segments)
	k := max(1, len(d.Users)/100)

	// The queries and their relevant users.
	type query struct {
		item  int32  // item-affinity
		terms string // item-attribute-affinity
		users map[int32]bool
	}
	var queries []query
	if recipe == ItemAffinity {
		at := map[int32]int{}
		for _, h := range held {
			if slices.Contains(s.byItem[s.start[h.item]:s.start[h.item+1]], h.user) {
				continue
			}
			i, ok := at[h.item]
			if !ok {
				i = len(queries)
				at[h.item] = i
				queries = append(queries, query{item: h.item, users: map[int32]bool{}})
			}
			queries[i].users[h.user] = true
		}
	} else {
		at := map[string]int{}
		for _, h := range held {
			if d.ItemFeatures == nil {
				break
			}
			for _, tok := range d.ItemFeatures[h.item] {
				i, ok := at[tok]
				if !ok {
					i = len(queries)
					at[tok] = i
					queries = append(queries, query{terms: tok, users: map[int32]bool{}})
				}
				queries[i].users[h.user] = true
			}
		}
	}
	if len(queries) > segmentEval {
		rng := rand.New(rand.NewPCG(p.Seed, 0x5e6d))
		rng.Shuffle(len(queries), func(i, j int) { queries[i], queries[j] = queries[j], queries[i] })
		queries = queries[:segmentEval]
	}
	out := map[string]float64{MetricCoverage: 0, MetricHits1Percent: 0, MetricRecall1Percent: 0}
	if len(queries) == 0 {
		return out, nil
	}
	index := indexOf(d.Users)
	seen := map[string]bool{}
	hits, recall := make([]float64, len(queries)), make([]float64, len(queries))
	lists := make([][]ScoredUser, len(queries))
	errs := make([]error, len(queries))
	forEachItem(len(queries), func() struct{} { return struct{}{} }, func(_ struct{}, i int) {
		q := queries[i]
		if q.terms == "" {
			lists[i], errs[i] = s.UsersForItem(d.Items[q.item], k, nil)
			return
		}
		field, value, _ := strings.Cut(q.terms, "=")
		lists[i], errs[i] = s.UsersForAttributes("ITEMS."+field+" = "+strconv.Quote(value), k, nil)
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for i, q := range queries {
		n := 0
		for _, u := range lists[i] {
			seen[u.User] = true
			if q.users[index[u.User]] {
				n++
			}
		}
		hits[i] = float64(n)
		recall[i] = float64(n) / float64(len(q.users))
	}
	for i := range queries {
		out[MetricHits1Percent] += hits[i] / float64(len(queries))
		out[MetricRecall1Percent] += recall[i] / float64(len(queries))
	}
	if active > 0 {
		out[MetricCoverage] = float64(len(seen)) / float64(active)
	}
	return out, nil
}

// errNotSegmenter says a model gives no segments.
var errNotSegmenter = errors.New("not a user segmentation model")

// AsSegmenter returns m as a Segmenter.
func AsSegmenter(m Model) (Segmenter, error) {
	s, ok := m.(Segmenter)
	if !ok {
		return nil, fmt.Errorf("recipe %s: %w", m.Recipe(), errNotSegmenter)
	}
	return s, nil
}
