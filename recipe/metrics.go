package recipe

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Metric names, as GetSolutionMetrics reports them.
const (
	MetricCoverage = "coverage"
	MetricMRR25    = "mean_reciprocal_rank_at_25"
	MetricNDCG5    = "normalized_discounted_cumulative_gain_at_5"
	MetricNDCG10   = "normalized_discounted_cumulative_gain_at_10"
	MetricNDCG25   = "normalized_discounted_cumulative_gain_at_25"
	MetricPrec5    = "precision_at_5"
	MetricPrec10   = "precision_at_10"
	MetricPrec25   = "precision_at_25"
)

// evalList is how many items each held-out user is given.
const evalList = 25

// ReciprocalRank is 1/rank of the first relevant item among the first k
// recommended (rank 1 is the first), 0 when there is none.
func ReciprocalRank(recommended []string, relevant map[string]bool, k int) float64 {
	for i, it := range recommended[:min(k, len(recommended))] {
		if relevant[it] {
			return 1 / float64(i+1)
		}
	}
	return 0
}

// NDCG is the discounted cumulative gain of the first k recommended, a
// relevant item at position p gaining 1/log(1+p), divided by the gain of
// the best possible list: min(k, len(relevant)) relevant items first.
func NDCG(recommended []string, relevant map[string]bool, k int) float64 {
	dcg, ideal := 0.0, 0.0
	for i, it := range recommended[:min(k, len(recommended))] {
		if relevant[it] {
			dcg += 1 / math.Log(float64(i+2))
		}
	}
	for i := range min(k, len(relevant)) {
		ideal += 1 / math.Log(float64(i+2))
	}
	if ideal == 0 {
		return 0
	}
	return dcg / ideal
}

// Precision is the share of relevant items among the first k positions:
// hits divided by k, however long the list.
func Precision(recommended []string, relevant map[string]bool, k int) float64 {
	hits := 0
	for _, it := range recommended[:min(k, len(recommended))] {
		if relevant[it] {
			hits++
		}
	}
	return float64(hits) / float64(k)
}

// heldOut is a held-out user: the history to recommend from, the items to
// find.
type heldOut struct {
	history  []Event
	relevant map[string]bool
}

// split divides d as AWS's metrics do: 90% of the users (those with a
// usable interaction, in an order drawn from seed) train; each of the
// other 10% gives its oldest interactions as input and its newest tenth
// (at least one) as ground truth. A held-out user with fewer than 2
// interactions has nothing to split: its interaction goes to training and
// it is not scored. train holds the training users' interactions and the
// held-out users' inputs.
func split(d *Data, rule *eventRule, seed uint64) (train *Data, users []heldOut) {
	byUser := make([][]Interaction, len(d.Users))
	for _, x := range d.Interactions {
		if rule.weight(x.EventType, x.Value) > 0 {
			byUser[x.User] = append(byUser[x.User], x)
		}
	}
	var active []int32
	for u, xs := range byUser {
		if len(xs) > 0 {
			active = append(active, int32(u))
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0x5851f42d4c957f2d))
	rng.Shuffle(len(active), func(i, j int) { active[i], active[j] = active[j], active[i] })
	nHeld := int(math.Round(float64(len(active)) / 10))
	if nHeld == 0 && len(active) > 1 {
		nHeld = 1
	}
	held := make(map[int32]bool, nHeld)
	for _, u := range active[:nHeld] {
		held[u] = true
	}
	train = &Data{Users: d.Users, Items: d.Items, ItemFeatures: d.ItemFeatures, ItemCreated: d.ItemCreated}
	for u, xs := range byUser {
		if !held[int32(u)] || len(xs) < 2 {
			train.Interactions = append(train.Interactions, xs...)
			continue
		}
		slices.SortStableFunc(xs, func(a, b Interaction) int { return cmp.Compare(a.Time, b.Time) })
		nRel := max(1, int(math.Round(float64(len(xs))/10)))
		input := xs[:len(xs)-nRel]
		train.Interactions = append(train.Interactions, input...)
		h := heldOut{relevant: make(map[string]bool)}
		had := make(map[int32]bool, len(input))
		for _, x := range input {
			had[x.Item] = true
			h.history = append(h.history, Event{Item: d.Items[x.Item], Time: x.Time, EventType: x.EventType, Value: x.Value})
		}
		// An item the user already had is no discovery: recommendations
		// leave such items out, so they are not asked for either.
		for _, x := range xs[len(xs)-nRel:] {
			if !had[x.Item] {
				h.relevant[d.Items[x.Item]] = true
			}
		}
		if len(h.relevant) > 0 {
			users = append(users, h)
		}
	}
	return train, users
}

// Evaluate computes the metrics of GetSolutionMetrics for recipe on d with
// p, on AWS's holdout (see split): trained on the training users and the
// held-out users' inputs, each held-out user is given 25 items, from their
// input history (user-personalization, personalized-ranking), from their
// last input item (sims, similar-items), or the recipe's one list for
// everyone (popularity-count, trending-now). Relevant items are those of
// the newest tenth that the user did not already have. coverage is the
// share of d's items that appear in any list.
func Evaluate(recipe string, d *Data, p Params) (map[string]float64, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	if recipe == NextBestAction {
		return evaluateActions(d, p)
	}
	if recipe == ItemAffinity || recipe == ItemAttributeAffinity {
		return evaluateSegments(recipe, d, p)
	}
	rule, err := newEventRule(p)
	if err != nil {
		return nil, err
	}
	train, users := split(d, &rule, p.Seed)
	model, err := Train(recipe, train, p)
	if err != nil {
		return nil, err
	}
	lists := make([][]string, len(users))
	switch m := model.(type) {
	case ForUser:
		forEachItem(len(users), func() struct{} { return struct{}{} }, func(_ struct{}, i int) {
			lists[i] = ids(m.RecommendForUser(users[i].history, evalList, nil))
		})
	case Related:
		forEachItem(len(users), func() struct{} { return struct{}{} }, func(_ struct{}, i int) {
			h := users[i].history
			last := slices.MaxFunc(h, func(a, b Event) int { return cmp.Compare(a.Time, b.Time) })
			lists[i] = ids(m.RecommendRelated(last.Item, evalList, nil))
		})
	default:
		return nil, fmt.Errorf("recipe %q has no recommendations to evaluate", recipe)
	}
	return score(lists, users, len(d.Items)), nil
}

func ids(s []Scored) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = x.Item
	}
	return out
}

// score averages the metrics over the held-out users.
func score(lists [][]string, users []heldOut, nItems int) map[string]float64 {
	out := map[string]float64{
		MetricCoverage: 0, MetricMRR25: 0,
		MetricNDCG5: 0, MetricNDCG10: 0, MetricNDCG25: 0,
		MetricPrec5: 0, MetricPrec10: 0, MetricPrec25: 0,
	}
	if len(users) == 0 {
		return out
	}
	seen := make(map[string]bool)
	for i, l := range lists {
		rel := users[i].relevant
		out[MetricMRR25] += ReciprocalRank(l, rel, 25)
		out[MetricNDCG5] += NDCG(l, rel, 5)
		out[MetricNDCG10] += NDCG(l, rel, 10)
		out[MetricNDCG25] += NDCG(l, rel, 25)
		out[MetricPrec5] += Precision(l, rel, 5)
		out[MetricPrec10] += Precision(l, rel, 10)
		out[MetricPrec25] += Precision(l, rel, 25)
		for _, it := range l {
			seen[it] = true
		}
	}
	for k := range out {
		out[k] /= float64(len(users))
	}
	if nItems > 0 {
		out[MetricCoverage] = float64(len(seen)) / float64(nItems)
	}
	return out
}
