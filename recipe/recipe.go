// Package recipe holds the recommendation algorithms behind Amazon
// Personalize's recipes: pure functions from training data to a model, and
// from a model and a request to ranked items. It knows nothing of HTTP, of
// stores or of perch's resources; given the same data, parameters and seed
// it builds the same model, so that tests can assert what a planted
// structure must produce.
//
// Train builds a model for a recipe; Load reads one back from what its
// MarshalBinary wrote. What a model answers depends on the recipe's type:
// ForUser (user-personalization, popularity-count, trending-now), Related
// (sims, similar-items), Ranker (personalized-ranking),
// ActionRecommender (next-best-action) and Segmenter (item-affinity,
// item-attribute-affinity). Evaluate computes
// GetSolutionMetrics' figures on AWS's holdout.
package recipe

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Recipe names, as the recipes' ARNs end.
const (
	UserPersonalizationV2 = "aws-user-personalization-v2"
	UserPersonalization   = "aws-user-personalization"
	PersonalizedRankingV2 = "aws-personalized-ranking-v2"
	PersonalizedRanking   = "aws-personalized-ranking"
	PopularityCount       = "aws-popularity-count"
	TrendingNow           = "aws-trending-now"
	Sims                  = "aws-sims"
	SimilarItems          = "aws-similar-items"
	NextBestAction        = "aws-next-best-action"
	ItemAffinity          = "aws-item-affinity"
	ItemAttributeAffinity = "aws-item-attribute-affinity"
)

// Names lists the recipes this package trains, in ascending order.
func Names() []string {
	return []string{
		ItemAffinity, ItemAttributeAffinity, NextBestAction, PersonalizedRanking, PersonalizedRankingV2, PopularityCount,
		SimilarItems, Sims, TrendingNow, UserPersonalization, UserPersonalizationV2,
	}
}

// Supports tells whether Train knows the recipe.
func Supports(recipe string) bool { return slices.Contains(Names(), recipe) }

// Data is what a recipe trains on. Users and items are dense indexes into
// the id lists: Interactions refer to Users[User] and Items[Item].
type Data struct {
	Users, Items []string
	// Interactions may come in any order; recipes sort them as they need.
	Interactions []Interaction
	// ItemFeatures holds, per item index, its categorical metadata as
	// "FIELD=value" tokens (from the Items dataset). It may be nil, and an
	// item's list may be empty.
	ItemFeatures [][]string
	// ItemCreated holds, per item index, its CREATION_TIMESTAMP in
	// milliseconds, 0 when unknown. It may be nil.
	ItemCreated []int64
	// Actions lists the Actions dataset's ids, ActionValue their VALUE
	// (NaN when none; nil when no action has one), and ActionInteractions
	// the Action_Interactions dataset's events, referring to Users[User]
	// and Actions[Action]: next-best-action's data, which the item
	// recipes do not read.
	Actions            []string
	ActionValue        []float64
	ActionInteractions []ActionInteraction
}

// Interaction is one event of the Interactions dataset.
type Interaction struct {
	User, Item int32
	Time       int64 // milliseconds since the epoch
	EventType  string
	Value      float32 // EVENT_VALUE; NaN when the event has none
}

// Params is a solution's configuration, as far as training uses it.
type Params struct {
	// Hyper holds algorithmHyperParameters, Features the
	// featureTransformationParameters. Unknown names are ignored; a known
	// name with an invalid value fails Train with a *ParamError.
	Hyper    map[string]string
	Features map[string]string
	// EventType and EventValueThreshold are the solution's eventType and
	// eventValueThreshold: when set, training uses only events of that
	// type whose EVENT_VALUE is at least the threshold (an event without a
	// value does not pass a threshold). A threshold without a type applies
	// to every event.
	EventType           string
	EventValueThreshold *float64
	// EventWeights is eventsConfig: when it names any type, only the named
	// types count, each weighing its weight (0..1; only ratios matter; a
	// weight of 0 drops the type). The caller gives 1 to a type listed
	// without a weight. EventThresholds is eventsConfig's per-type
	// eventValueThreshold.
	EventWeights    map[string]float64
	EventThresholds map[string]float64
	// Seed makes training and evaluation repeatable.
	Seed uint64
}

// Event is one interaction of a user (or session) as the runtime reads it
// at request time, events that arrived after training included.
type Event struct {
	Item      string
	Time      int64 // milliseconds since the epoch
	EventType string
	Value     float32 // NaN when none
}

// Scored is one item of an answer, best first.
type Scored struct {
	Item string
	// Score is set where the recipe scores (HasScore): user-personalization
	// and personalized-ranking.
	Score    float64
	HasScore bool
	// Popular marks an item given because the model had nothing personal
	// to say (a user without usable history): the runtime's reason
	// "Popular item".
	Popular bool
}

// Model is a trained model. Models are immutable once built and safe for
// concurrent use.
type Model interface {
	// Recipe is the name of the recipe that trained the model.
	Recipe() string
	MarshalBinary() ([]byte, error)
	// Items lists the item ids the model knows.
	Items() []string
}

// ForUser is a model that recommends items to a user: user-personalization
// (v1, v2), popularity-count and trending-now.
type ForUser interface {
	Model
	// RecommendForUser gives at most n items, best first, among those keep
	// accepts (nil keeps all). history is the user's interactions, in any
	// order, including those after training; recipes that give the same
	// list to everyone ignore it.
	RecommendForUser(history []Event, n int, keep func(item string) bool) []Scored
}

// Related is a model that recommends items related to an item: sims,
// similar-items.
type Related interface {
	Model
	// RecommendRelated gives at most n items related to item, never item
	// itself, among those keep accepts (nil keeps all). An item unknown to
	// the model, or one with too few related items, gets popular items.
	RecommendRelated(item string, n int, keep func(item string) bool) []Scored
}

// Ranker is a model that orders a caller's items for a user:
// personalized-ranking (v1, v2).
type Ranker interface {
	Model
	// Rank orders items for the user whose interactions are history. Every
	// item is scored; items the model does not know go last with score 0.
	// A repeated item is ranked once, where it first appears.
	Rank(history []Event, items []string) []Scored
}

// ParamError is an invalid hyperparameter or feature transformation
// parameter.
type ParamError struct {
	Name, Value, Want string
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("invalid value %q for %s: want %s", e.Value, e.Name, e.Want)
}

// ErrNoInteractions is returned by Train when no interaction is left to
// train on once the event type, threshold and weights have been applied.
var ErrNoInteractions = errors.New("no interactions to train on after filtering by event type and value")

// Train builds a model of recipe from d with p.
func Train(recipe string, d *Data, p Params) (Model, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	rule, err := newEventRule(p)
	if err != nil {
		return nil, err
	}
	switch recipe {
	case PopularityCount:
		return trainPopularity(d, rule)
	case TrendingNow:
		return trainTrending(d, p, rule)
	case Sims:
		return trainSims(d, p, rule)
	case SimilarItems:
		return trainSimilar(d, p, rule)
	case UserPersonalizationV2, UserPersonalization, PersonalizedRankingV2, PersonalizedRanking:
		return trainALS(recipe, d, p, rule)
	case NextBestAction:
		return trainActions(d, p)
	case ItemAffinity, ItemAttributeAffinity:
		return trainSegments(recipe, d, p, rule)
	}
	return nil, fmt.Errorf("recipe %q is not supported", recipe)
}

func (d *Data) check() error {
	if d == nil {
		return errors.New("no training data")
	}
	if d.ItemFeatures != nil && len(d.ItemFeatures) != len(d.Items) {
		return fmt.Errorf("ItemFeatures has %d entries for %d items", len(d.ItemFeatures), len(d.Items))
	}
	if d.ItemCreated != nil && len(d.ItemCreated) != len(d.Items) {
		return fmt.Errorf("ItemCreated has %d entries for %d items", len(d.ItemCreated), len(d.Items))
	}
	nu, ni := int32(len(d.Users)), int32(len(d.Items))
	for i, x := range d.Interactions {
		if x.User < 0 || x.User >= nu || x.Item < 0 || x.Item >= ni {
			return fmt.Errorf("interaction %d refers to user %d and item %d of %d users and %d items", i, x.User, x.Item, nu, ni)
		}
	}
	if d.ActionValue != nil && len(d.ActionValue) != len(d.Actions) {
		return fmt.Errorf("ActionValue has %d entries for %d actions", len(d.ActionValue), len(d.Actions))
	}
	na := int32(len(d.Actions))
	for i, x := range d.ActionInteractions {
		if x.User < 0 || x.User >= nu || x.Action < 0 || x.Action >= na {
			return fmt.Errorf("action interaction %d refers to user %d and action %d of %d users and %d actions", i, x.User, x.Action, nu, na)
		}
	}
	return nil
}

// eventRule decides which events count and how much, the same way at
// training and when a model folds in a request's history.
type eventRule struct {
	eventType  string
	threshold  float64 // NaN: none
	weights    map[string]float64
	thresholds map[string]float64
}

func newEventRule(p Params) (eventRule, error) {
	r := eventRule{eventType: p.EventType, threshold: math.NaN()}
	if p.EventValueThreshold != nil {
		if math.IsNaN(*p.EventValueThreshold) {
			return r, &ParamError{Name: "eventValueThreshold", Value: "NaN", Want: "a number"}
		}
		r.threshold = *p.EventValueThreshold
	}
	max := 0.0
	for t, w := range p.EventWeights {
		if !(w >= 0 && w <= 1) {
			return r, &ParamError{Name: "eventsConfig weight of " + t, Value: fmt.Sprint(w), Want: "a number in [0, 1]"}
		}
		max = math.Max(max, w)
	}
	if len(p.EventWeights) > 0 {
		if max == 0 {
			return r, &ParamError{Name: "eventsConfig", Value: "all weights 0", Want: "at least one event type with a positive weight"}
		}
		// Only ratios matter; the strongest type weighs what an event of
		// an unweighted solution does.
		r.weights = make(map[string]float64, len(p.EventWeights))
		for t, w := range p.EventWeights {
			r.weights[t] = w / max
		}
	}
	if len(p.EventThresholds) > 0 {
		r.thresholds = make(map[string]float64, len(p.EventThresholds))
		for t, v := range p.EventThresholds {
			if math.IsNaN(v) {
				return r, &ParamError{Name: "eventsConfig eventValueThreshold of " + t, Value: "NaN", Want: "a number"}
			}
			r.thresholds[t] = v
		}
	}
	return r, nil
}

// weight is how much an event counts; 0 means not at all.
func (r *eventRule) weight(eventType string, value float32) float64 {
	if r.eventType != "" && eventType != r.eventType {
		return 0
	}
	if !math.IsNaN(r.threshold) && !(float64(value) >= r.threshold) {
		return 0
	}
	if t, ok := r.thresholds[eventType]; ok && !(float64(value) >= t) {
		return 0
	}
	if r.weights == nil {
		return 1
	}
	return r.weights[eventType]
}

func (r *eventRule) encode(e *encoder) {
	e.str(r.eventType)
	e.f64(r.threshold)
	e.strFloats(r.weights)
	e.strFloats(r.thresholds)
}

func (r *eventRule) decode(d *decoder) {
	r.eventType = d.str()
	r.threshold = d.f64()
	r.weights = d.strFloats()
	r.thresholds = d.strFloats()
}

// kept is an interaction that passed the event rule, with its weight.
type kept struct {
	user, item int32
	time       int64
	weight     float32
}

// filter applies the rule to d's interactions.
func filter(d *Data, r *eventRule) []kept {
	out := make([]kept, 0, len(d.Interactions))
	for _, x := range d.Interactions {
		if w := r.weight(x.EventType, x.Value); w > 0 {
			out = append(out, kept{x.User, x.Item, x.Time, float32(w)})
		}
	}
	return out
}

// indexOf maps ids to their index.
func indexOf(ids []string) map[string]int32 {
	m := make(map[string]int32, len(ids))
	for i, id := range ids {
		if _, dup := m[id]; !dup {
			m[id] = int32(i)
		}
	}
	return m
}
