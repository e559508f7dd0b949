package recipe

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/mat"
)

// ActionInteraction is one event of the Action_Interactions dataset.
type ActionInteraction struct {
	User, Action int32
	Time         int64 // milliseconds since the epoch
	EventType    string
}

// ActionEvent is one action interaction of a user as the runtime reads it
// at request time, those after training included.
type ActionEvent struct {
	Action    string
	Time      int64 // milliseconds since the epoch
	EventType string
}

// ActionState is what the Actions dataset says of an action when a
// request is answered.
type ActionState struct {
	Value      float64 // VALUE; NaN when none
	Expires    int64   // EXPIRATION_TIMESTAMP in milliseconds; 0 when none
	RepeatDays int64   // REPEAT_FREQUENCY in days; 0 when none
}

// ActionRecommender is a model that recommends actions to a user:
// next-best-action.
type ActionRecommender interface {
	Model
	// RecommendActions gives at most n actions, best first, among those
	// that keep accepts (nil keeps all), for the user whose action
	// interactions are history, at time now (ms). state, when not nil,
	// gives each action's current record: an action expired at now, or
	// one the user took less than its REPEAT_FREQUENCY days before now,
	// is left out, and its VALUE breaks ties. Scores are propensities in
	// [0, 1], one per action, not a distribution.
	RecommendActions(history []ActionEvent, now int64, state func(action string) (ActionState, bool), n int, keep func(action string) bool) []Scored
}

// Action event types, as Action_Interactions records them; the model
// reads them regardless of case, spaces or underscores.
const (
	ActionTaken    = "TAKEN"
	ActionNotTaken = "NOT_TAKEN"
	ActionViewed   = "VIEWED"
)

// actionKind normalises an action interaction's event type: "Not taken",
// "not_taken" and "NOT_TAKEN" are one.
func actionKind(eventType string) string {
	return strings.ReplaceAll(strings.ToUpper(strings.TrimSpace(eventType)), " ", "_")
}

// AWS's rules for next-best-action (RUNTIME.md 1.2, 1.3).
const (
	defaultOptimizationDays = 14
	// An action is scored once the training saw scoredMinimum TAKEN and
	// scoredMinimum NOT_TAKEN or VIEWED interactions of it within
	// scoredWindow of the newest action interaction; before that, AWS
	// gives it 0.0.
	scoredMinimum = 50
	scoredWindow  = 42 * 86400e3 // six weeks, ms
	// actionFactors is the factorisation's size: actions are few (AWS
	// allows 1000), and the smallest size user-personalization accepts
	// is plenty for them.
	actionFactors = 32
	// calibrationPairs bounds the (user, action) pairs the propensity
	// link is fitted on.
	calibrationPairs = 400_000
)

// Actions is the model of aws-next-best-action: each user's propensity to
// take each action within action_optimization_period days.
//
// A user's affinity to an action is the factorisation of
// user-personalization (implicit-feedback ALS) over users x actions,
// TAKEN interactions being the positives, folded in from the user's
// action interactions at request time. A logistic link turns it into a
// propensity: its inputs are the affinity, the action's share of users
// who took it, its conversion rate (TAKEN against NOT_TAKEN and VIEWED
// exposures), and how often the user took and passed over the action. The
// link is fitted on a split in time: the factorisation trained on what
// happened before the last period, the labels whether each user took
// each action within it.
type Actions struct {
	actions []string
	index   map[string]int32
	value   []float64 // VALUE at training; NaN when none
	scored  []bool    // AWS's 50/50 rule met
	popular []float64 // logit of the share of users who took the action
	convert []float64 // logit of TAKEN / (TAKEN + exposures)
	link    []float64 // the logistic link's weights, linkFeatures long
	period  int64     // action_optimization_period, ms
	als     *Personalized
}

// linkFeatures is the length of a link's input: 1, affinity, popularity,
// conversion, log(1+times taken), log(1+times passed over).
const linkFeatures = 6

func trainActions(d *Data, p Params) (*Actions, error) {
	f := hyper{m: p.Features}
	days := f.integer("action_optimization_period", defaultOptimizationDays, 7, 28)
	if f.err != nil {
		return nil, f.err
	}
	m := &Actions{actions: d.Actions, index: indexOf(d.Actions), period: int64(days) * 86400e3}
	m.value = make([]float64, len(d.Actions))
	for i := range m.value {
		m.value[i] = math.NaN()
		if d.ActionValue != nil {
			m.value[i] = d.ActionValue[i]
		}
	}
	all := d.ActionInteractions
	newest, oldest := int64(math.MinInt64), int64(math.MaxInt64)
	for _, x := range all {
		newest, oldest = max(newest, x.Time), min(oldest, x.Time)
	}
	m.scored = scoredActions(all, len(d.Actions), newest)

	// The link, fitted on the split in time: before the cut, what the
	// model knows; after it, who took what.
	cut := newest - min(m.period, (newest-oldest)/2)
	var before []ActionInteraction
	for _, x := range all {
		if x.Time < cut {
			before = append(before, x)
		}
	}
	m.link = []float64{-4, 6, 0, 0, 0, 0} // a fixed link when no split is possible
	if len(before) > 0 {
		early, err := m.factorise(d, before, p.Seed)
		if err != nil {
			return nil, err
		}
		m.popular, m.convert = actionRates(before, len(d.Users), len(d.Actions))
		if w, ok := m.fitLink(early, d, all, cut, p.Seed); ok {
			m.link = w
		}
	}
	// The model: everything.
	als, err := m.factorise(d, all, p.Seed)
	if err != nil {
		return nil, err
	}
	m.als = als
	m.popular, m.convert = actionRates(all, len(d.Users), len(d.Actions))
	return m, nil
}

// factorise trains user-personalization's factorisation over users x
// actions on the TAKEN interactions of xs; nil when there are none.
func (m *Actions) factorise(d *Data, xs []ActionInteraction, seed uint64) (*Personalized, error) {
	taken := &Data{Users: d.Users, Items: d.Actions}
	for _, x := range xs {
		if actionKind(x.EventType) == ActionTaken {
			taken.Interactions = append(taken.Interactions, Interaction{User: x.User, Item: x.Action, Time: x.Time, EventType: ActionTaken, Value: float32(math.NaN())})
		}
	}
	if len(taken.Interactions) == 0 {
		return nil, nil
	}
	p := Params{Hyper: map[string]string{
		"hidden_dimension": strconv.Itoa(actionFactors), "exclude_interacted_items": "false",
	}, Seed: seed}
	rule, _ := newEventRule(Params{})
	return trainALS(UserPersonalizationV2, taken, p, rule)
}

// scoredActions applies AWS's rule: an action is scored once it has 50
// TAKEN and 50 NOT_TAKEN or VIEWED interactions within six weeks of the
// newest action interaction.
func scoredActions(xs []ActionInteraction, nActions int, newest int64) []bool {
	taken, other := make([]int, nActions), make([]int, nActions)
	for _, x := range xs {
		if x.Time < newest-scoredWindow {
			continue
		}
		switch actionKind(x.EventType) {
		case ActionTaken:
			taken[x.Action]++
		case ActionNotTaken, ActionViewed:
			other[x.Action]++
		}
	}
	out := make([]bool, nActions)
	for a := range out {
		out[a] = taken[a] >= scoredMinimum && other[a] >= scoredMinimum
	}
	return out
}

// actionRates are, per action, the logits of the share of users who took
// it and of its conversion rate, both smoothed.
func actionRates(xs []ActionInteraction, nUsers, nActions int) (popular, convert []float64) {
	takers := make([]map[int32]bool, nActions)
	taken, exposed := make([]float64, nActions), make([]float64, nActions)
	for _, x := range xs {
		switch actionKind(x.EventType) {
		case ActionTaken:
			taken[x.Action]++
			if takers[x.Action] == nil {
				takers[x.Action] = map[int32]bool{}
			}
			takers[x.Action][x.User] = true
		case ActionNotTaken, ActionViewed:
			exposed[x.Action]++
		}
	}
	popular, convert = make([]float64, nActions), make([]float64, nActions)
	for a := range nActions {
		popular[a] = logit((float64(len(takers[a])) + 1) / (float64(nUsers) + 2))
		convert[a] = logit((taken[a] + 1) / (taken[a] + exposed[a] + 2))
	}
	return popular, convert
}

func logit(p float64) float64 { return math.Log(p / (1 - p)) }

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// userActions is what the link reads of one user's history: the factors
// folded in from the TAKEN interactions, and per action the times taken
// and passed over.
type userActions struct {
	factors []float32 // nil: no TAKEN interaction the model knows
	taken   map[int32]float64
	passed  map[int32]float64
}

func (m *Actions) user(als *Personalized, events []ActionEvent) userActions {
	u := userActions{taken: map[int32]float64{}, passed: map[int32]float64{}}
	var took []Event
	for _, e := range events {
		a, ok := m.index[e.Action]
		if !ok {
			continue
		}
		switch actionKind(e.EventType) {
		case ActionTaken:
			u.taken[a]++
			took = append(took, Event{Item: e.Action, Time: e.Time, EventType: ActionTaken, Value: float32(math.NaN())})
		case ActionNotTaken, ActionViewed:
			u.passed[a]++
		}
	}
	if als != nil && len(took) > 0 {
		if x, ok := als.foldIn(als.history(took)); ok {
			u.factors = x
		}
	}
	return u
}

// features fills x with the link's input for action a.
func (m *Actions) features(als *Personalized, u *userActions, a int32, x []float64) {
	affinity := 0.0
	if u.factors != nil {
		k := als.k
		affinity = float64(blas32.Dot(blas32.Vector{N: k, Inc: 1, Data: u.factors}, blas32.Vector{N: k, Inc: 1, Data: als.y[int(a)*k : int(a+1)*k]}))
	}
	x[0], x[1], x[2], x[3] = 1, affinity, m.popular[a], m.convert[a]
	x[4], x[5] = math.Log1p(u.taken[a]), math.Log1p(u.passed[a])
}

// fitLink fits the logistic link by Newton's method (ridge-regularised)
// on the users who had action interactions before cut: their histories
// before it folded into early's factors, and, for each action, whether
// they took it in [cut, cut+period).
func (m *Actions) fitLink(early *Personalized, d *Data, all []ActionInteraction, cut int64, seed uint64) ([]float64, bool) {
	histories := map[int32][]ActionEvent{}
	took := map[[2]int32]bool{}
	for _, x := range all {
		switch {
		case x.Time < cut:
			histories[x.User] = append(histories[x.User], ActionEvent{Action: d.Actions[x.Action], Time: x.Time, EventType: x.EventType})
		case x.Time < cut+m.period && actionKind(x.EventType) == ActionTaken:
			took[[2]int32{x.User, x.Action}] = true
		}
	}
	users := make([]int32, 0, len(histories))
	for u := range histories {
		users = append(users, u)
	}
	slices.Sort(users)
	rng := rand.New(rand.NewPCG(seed, 0x243f6a8885a308d3))
	rng.Shuffle(len(users), func(i, j int) { users[i], users[j] = users[j], users[i] })
	nActions := len(d.Actions)
	if limit := max(1, calibrationPairs/max(nActions, 1)); len(users) > limit {
		users = users[:limit]
	}
	rows := len(users) * nActions
	xs := make([]float64, rows*linkFeatures)
	ys := make([]float64, rows)
	forEachItem(len(users), func() struct{} { return struct{}{} }, func(_ struct{}, i int) {
		u := m.user(early, histories[users[i]])
		for a := range int32(nActions) {
			r := i*nActions + int(a)
			m.features(early, &u, a, xs[r*linkFeatures:(r+1)*linkFeatures])
			if took[[2]int32{users[i], a}] {
				ys[r] = 1
			}
		}
	})
	return logistic(xs, ys, linkFeatures)
}

// logistic fits weights w of P(y=1|x) = sigmoid(w·x) by Newton's method
// with a small ridge, which keeps w finite when one class is missing.
func logistic(xs, ys []float64, k int) ([]float64, bool) {
	n := len(ys)
	if n == 0 {
		return nil, false
	}
	const ridge = 1e-3
	w := make([]float64, k)
	for range 25 {
		h := mat.NewSymDense(k, nil)
		g := make([]float64, k)
		for i := range n {
			x := xs[i*k : (i+1)*k]
			z := 0.0
			for j := range k {
				z += w[j] * x[j]
			}
			p := sigmoid(z)
			c := max(p*(1-p), 1e-9)
			for j := range k {
				g[j] += (ys[i] - p) * x[j]
				for l := j; l < k; l++ {
					h.SetSym(j, l, h.At(j, l)+c*x[j]*x[l])
				}
			}
		}
		for j := range k {
			g[j] -= ridge * float64(n) * w[j]
			h.SetSym(j, j, h.At(j, j)+ridge*float64(n))
		}
		var ch mat.Cholesky
		if !ch.Factorize(h) {
			return nil, false
		}
		var step mat.VecDense
		if err := ch.SolveVecTo(&step, mat.NewVecDense(k, g)); err != nil {
			return nil, false
		}
		change := 0.0
		for j := range k {
			w[j] += step.AtVec(j)
			change = math.Max(change, math.Abs(step.AtVec(j)))
		}
		if change < 1e-6 {
			break
		}
	}
	for _, v := range w {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, false
		}
	}
	return w, true
}

// Propensities gives every action's score for the user whose action
// interactions are history, in the model's order of actions (Items): 0
// for every action when the history holds none the model knows, and for
// the actions AWS does not score yet.
func (m *Actions) Propensities(history []ActionEvent) []float64 {
	out := make([]float64, len(m.actions))
	u := m.user(m.als, history)
	if len(u.taken) == 0 && len(u.passed) == 0 {
		return out
	}
	x := make([]float64, linkFeatures)
	for a := range int32(len(m.actions)) {
		if !m.scored[a] {
			continue
		}
		m.features(m.als, &u, a, x)
		z := 0.0
		for j, v := range x {
			z += m.link[j] * v
		}
		out[a] = sigmoid(z)
	}
	return out
}

// RecommendActions implements ActionRecommender. Ties, and a user
// without action interactions (every score 0), are ordered by VALUE,
// highest first (none counts lowest), then by id.
func (m *Actions) RecommendActions(history []ActionEvent, now int64, state func(string) (ActionState, bool), n int, keep func(string) bool) []Scored {
	if n <= 0 {
		return nil
	}
	scores := m.Propensities(history)
	lastTaken := map[string]int64{}
	for _, e := range history {
		if actionKind(e.EventType) == ActionTaken {
			lastTaken[e.Action] = max(lastTaken[e.Action], e.Time)
		}
	}
	type candidate struct {
		a     int32
		value float64
	}
	cands := make([]candidate, 0, len(m.actions))
	for a, id := range m.actions {
		value := m.value[a]
		if state != nil {
			if s, ok := state(id); ok {
				value = s.Value
				if s.Expires > 0 && s.Expires <= now {
					continue
				}
				if last, took := lastTaken[id]; took && s.RepeatDays > 0 && now-last < s.RepeatDays*86400e3 {
					continue
				}
			}
		}
		if keep != nil && !keep(id) {
			continue
		}
		if math.IsNaN(value) {
			value = math.Inf(-1)
		}
		cands = append(cands, candidate{int32(a), value})
	}
	slices.SortFunc(cands, func(x, y candidate) int {
		return cmp.Or(cmp.Compare(scores[y.a], scores[x.a]), cmp.Compare(y.value, x.value), cmp.Compare(m.actions[x.a], m.actions[y.a]))
	})
	out := make([]Scored, 0, min(n, len(cands)))
	for _, c := range cands[:min(n, len(cands))] {
		out = append(out, Scored{Item: m.actions[c.a], Score: scores[c.a], HasScore: true})
	}
	return out
}

// Recipe implements Model.
func (m *Actions) Recipe() string { return NextBestAction }

// Items implements Model: the actions the model knows.
func (m *Actions) Items() []string { return m.actions }

// OptimizationDays is action_optimization_period.
func (m *Actions) OptimizationDays() int { return int(m.period / 86400e3) }

// MarshalBinary implements Model.
func (m *Actions) MarshalBinary() ([]byte, error) {
	e := newEncoder(NextBestAction)
	e.strs(m.actions)
	e.f64s(m.value)
	scored := make([]int32, 0)
	for a, ok := range m.scored {
		if ok {
			scored = append(scored, int32(a))
		}
	}
	e.i32s(scored)
	e.f64s(m.popular)
	e.f64s(m.convert)
	e.f64s(m.link)
	e.int(m.period)
	var als []byte
	if m.als != nil {
		var err error
		if als, err = m.als.MarshalBinary(); err != nil {
			return nil, err
		}
	}
	e.str(string(als))
	return e.b, nil
}

func decodeActions(d *decoder) *Actions {
	m := &Actions{actions: d.strs()}
	m.value = d.f64s()
	scored := d.i32s()
	m.popular, m.convert, m.link = d.f64s(), d.f64s(), d.f64s()
	m.period = d.int()
	als := d.str()
	if d.err != nil {
		return m
	}
	n := len(m.actions)
	d.indexes(scored, n)
	if len(m.value) != n || len(m.popular) != n || len(m.convert) != n || len(m.link) != linkFeatures || m.period <= 0 {
		d.fail()
		return m
	}
	m.scored = make([]bool, n)
	for _, a := range scored {
		m.scored[a] = true
	}
	if als != "" {
		inner, err := Load([]byte(als))
		p, ok := inner.(*Personalized)
		if err != nil || !ok || len(p.items) != n {
			d.fail()
			return m
		}
		m.als = p
	}
	m.index = indexOf(m.actions)
	return m
}
