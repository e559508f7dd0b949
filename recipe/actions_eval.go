package recipe

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Next-best-action's metrics, as GetSolutionMetrics names them (AWS
// documents precision, recall, AUC and coverage for PERSONALIZED_ACTIONS
// without naming its keys; RUNTIME.md 3).
const (
	MetricActionPrecision = "precision_at_5"
	MetricActionRecall    = "recall_at_5"
	MetricActionAUC       = "area_under_the_curve"
	MetricActionCoverage  = "coverage"
)

// actionList is how many actions each held-out user is recommended when
// the metrics are computed: GetActionRecommendations' default numResults.
const actionList = 5

// evaluateActions measures next-best-action on a holdout in users and in
// time: 10% of the users with action interactions, shuffled by Seed, are
// held out; each gives its interactions before the last
// action_optimization_period (or the newest half of the data's span, when
// that is shorter) as input, and the actions it TOOK within that period
// are the truth. The model trains on the other users and the held-out
// inputs. Per action, precision is the share of the users it was
// recommended to (in their top 5) who took it, recall the share of the
// users who took it that had it in their top 5, each averaged over the
// actions recommended (precision) or taken (recall); the AUC is the
// area under the ROC curve of every held-out (user, action) pair's score
// against whether the user took it; coverage the share of actions in
// any top 5.
func evaluateActions(d *Data, p Params) (map[string]float64, error) {
	f := hyper{m: p.Features}
	days := f.integer("action_optimization_period", defaultOptimizationDays, 7, 28)
	if f.err != nil {
		return nil, f.err
	}
	period := int64(days) * 86400e3
	zero := map[string]float64{MetricActionPrecision: 0, MetricActionRecall: 0, MetricActionAUC: 0, MetricActionCoverage: 0}
	if len(d.ActionInteractions) == 0 || len(d.Actions) == 0 {
		return zero, nil
	}
	newest, oldest := int64(math.MinInt64), int64(math.MaxInt64)
	present := map[int32]bool{}
	for _, x := range d.ActionInteractions {
		newest, oldest = max(newest, x.Time), min(oldest, x.Time)
		present[x.User] = true
	}
	cut := newest - min(period, (newest-oldest)/2)
	users := make([]int32, 0, len(present))
	for u := range present {
		users = append(users, u)
	}
	slices.Sort(users)
	rng := rand.New(rand.NewPCG(p.Seed, 0x13198a2e03707344))
	rng.Shuffle(len(users), func(i, j int) { users[i], users[j] = users[j], users[i] })
	held := map[int32]bool{}
	for _, u := range users[:len(users)/10] {
		held[u] = true
	}
	train := *d
	train.ActionInteractions = nil
	inputs := map[int32][]ActionEvent{}
	took := map[int32]map[int32]bool{}
	for _, x := range d.ActionInteractions {
		switch {
		case !held[x.User]:
			train.ActionInteractions = append(train.ActionInteractions, x)
		case x.Time < cut:
			train.ActionInteractions = append(train.ActionInteractions, x)
			inputs[x.User] = append(inputs[x.User], ActionEvent{Action: d.Actions[x.Action], Time: x.Time, EventType: x.EventType})
		case actionKind(x.EventType) == ActionTaken:
			if took[x.User] == nil {
				took[x.User] = map[int32]bool{}
			}
			took[x.User][x.Action] = true
		}
	}
	model, err := trainActions(&train, p)
	if err != nil {
		return nil, err
	}
	var scored []int32
	for u := range inputs {
		scored = append(scored, u)
	}
	slices.Sort(scored)
	if len(scored) == 0 {
		return zero, nil
	}
	nActions := len(d.Actions)
	scores := make([][]float64, len(scored))
	tops := make([][]string, len(scored))
	forEachItem(len(scored), func() struct{} { return struct{}{} }, func(_ struct{}, i int) {
		in := inputs[scored[i]]
		scores[i] = model.Propensities(in)
		tops[i] = ids(model.RecommendActions(in, newest, nil, actionList, nil))
	})
	recommended, hits, takers := make([]int, nActions), make([]int, nActions), make([]int, nActions)
	shown := map[string]bool{}
	var pairs []scoredPair
	for i, u := range scored {
		for a := range int32(nActions) {
			if took[u][a] {
				takers[a]++
			}
			pairs = append(pairs, scoredPair{scores[i][a], took[u][a]})
		}
		for _, id := range tops[i] {
			shown[id] = true
			a := model.index[id]
			recommended[a]++
			if took[u][a] {
				hits[a]++
			}
		}
	}
	out := map[string]float64{
		MetricActionPrecision: meanRatio(hits, recommended),
		MetricActionRecall:    meanRatio(hits, takers),
		MetricActionAUC:       auc(pairs),
		MetricActionCoverage:  float64(len(shown)) / float64(nActions),
	}
	return out, nil
}

// meanRatio averages num[a]/den[a] over the actions whose den is positive.
func meanRatio(num, den []int) float64 {
	sum, n := 0.0, 0
	for a := range den {
		if den[a] > 0 {
			sum += float64(num[a]) / float64(den[a])
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

type scoredPair struct {
	score    float64
	positive bool
}

// auc is the area under the ROC curve: the chance that a positive pair
// scores above a negative one, ties counting half; 0 without both kinds.
func auc(pairs []scoredPair) float64 {
	slices.SortFunc(pairs, func(a, b scoredPair) int { return cmp.Compare(a.score, b.score) })
	var pos, neg, sum float64
	for i := 0; i < len(pairs); {
		j := i
		var p, n float64
		for ; j < len(pairs) && pairs[j].score == pairs[i].score; j++ {
			if pairs[j].positive {
				p++
			} else {
				n++
			}
		}
		sum += p * (neg + n/2)
		pos, neg = pos+p, neg+n
		i = j
	}
	if pos == 0 || neg == 0 {
		return 0
	}
	return sum / (pos * neg)
}

// SyntheticActionsConfig shapes SyntheticActions' data.
type SyntheticActionsConfig struct {
	Users, Actions int
	// Segments is the number of planted segments: action a is in segment
	// a % Segments, user u in segment u % Segments.
	Segments int
	// Exposures is the mean number of action interactions per user, each
	// with an action drawn uniformly; the user takes it with probability
	// TakeIn when it is of the user's segment, TakeOut otherwise, and
	// otherwise passes it over (NOT_TAKEN or VIEWED).
	Exposures       int
	TakeIn, TakeOut float64
	// Days is the time the data spans, ending at End (ms).
	Days int
	End  int64
	Seed uint64
}

// DefaultSyntheticActions is a configuration of the given size with a
// clear planted structure.
func DefaultSyntheticActions(users, actions int, seed uint64) SyntheticActionsConfig {
	return SyntheticActionsConfig{Users: users, Actions: actions, Segments: 4, Exposures: 30,
		TakeIn: 0.5, TakeOut: 0.03, Days: 56, End: 1717200000000, Seed: seed}
}

// SyntheticActionsData is generated next-best-action data and the
// segments planted in it.
type SyntheticActionsData struct {
	*Data
	UserSegment, ActionSegment []int32
}

// SyntheticActions generates action interactions whose TAKEN events
// follow the planted segments, and a VALUE for every action.
func SyntheticActions(c SyntheticActionsConfig) *SyntheticActionsData {
	rng := rand.New(rand.NewPCG(c.Seed, 0xa4093822299f31d0))
	s := &SyntheticActionsData{Data: &Data{}}
	for u := range c.Users {
		s.Users = append(s.Users, fmt.Sprintf("user-%d", u))
		s.UserSegment = append(s.UserSegment, int32(u%c.Segments))
	}
	for a := range c.Actions {
		s.Actions = append(s.Actions, fmt.Sprintf("action-%d", a))
		s.ActionSegment = append(s.ActionSegment, int32(a%c.Segments))
		s.ActionValue = append(s.ActionValue, float64(1+rng.IntN(100)))
	}
	span := int64(c.Days) * 86400e3
	for u := range c.Users {
		n := 1 + rng.IntN(2*c.Exposures)
		for range n {
			a := int32(rng.IntN(c.Actions))
			p := c.TakeOut
			if s.ActionSegment[a] == s.UserSegment[u] {
				p = c.TakeIn
			}
			eventType := ActionTaken
			switch {
			case rng.Float64() < p:
			case rng.IntN(2) == 0:
				eventType = ActionNotTaken
			default:
				eventType = ActionViewed
			}
			s.ActionInteractions = append(s.ActionInteractions, ActionInteraction{
				User: int32(u), Action: a, Time: c.End - rng.Int64N(span), EventType: eventType,
			})
		}
	}
	return s
}
