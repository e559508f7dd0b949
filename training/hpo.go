package training

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/recipe"
	"github.com/perchdev/perch/solutions"
)

// HPO's bounds and objective. AWS documents no objective for its recipes'
// tuning (hpoObjective is not supported); perch maximises NDCG@10 on the
// holdout GetSolutionMetrics reports (recall_at_1_percent for the user
// segmentation recipes: objectiveOf).
const (
	DefaultHPOJobs = solutions.DefaultHPOJobs
	MaxHPOJobs     = 40
	HPOObjective   = "normalized_discounted_cumulative_gain_at_10"
)

// hpoConfig is solutionConfig.hpoConfig as far as perch reads it.
type hpoConfig struct {
	ResourceConfig *struct {
		MaxNumberOfTrainingJobs string `json:"maxNumberOfTrainingJobs"`
	} `json:"hpoResourceConfig"`
	Ranges *struct {
		Integer []struct {
			Name     string `json:"name"`
			MinValue int    `json:"minValue"`
			MaxValue int    `json:"maxValue"`
		} `json:"integerHyperParameterRanges"`
		Continuous []struct {
			Name     string  `json:"name"`
			MinValue float64 `json:"minValue"`
			MaxValue float64 `json:"maxValue"`
		} `json:"continuousHyperParameterRanges"`
		Categorical []struct {
			Name   string   `json:"name"`
			Values []string `json:"values"`
		} `json:"categoricalHyperParameterRanges"`
	} `json:"algorithmHyperParameterRanges"`
}

// space is the hyperparameters tuned and how to draw a value of each.
type space map[string]func(*rand.Rand) string

func intRange(lo, hi int) func(*rand.Rand) string {
	return func(r *rand.Rand) string { return strconv.Itoa(lo + r.IntN(hi-lo+1)) }
}

// floatRange draws on a log scale when the range spans orders of
// magnitude, as regularisation strengths do.
func floatRange(lo, hi float64) func(*rand.Rand) string {
	return func(r *rand.Rand) string {
		v := lo + r.Float64()*(hi-lo)
		if lo > 0 && hi/lo >= 100 {
			v = math.Exp(math.Log(lo) + r.Float64()*(math.Log(hi)-math.Log(lo)))
		}
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
}

func choice(values ...string) func(*rand.Rand) string {
	return func(r *rand.Rand) string { return values[r.IntN(len(values))] }
}

// defaultSpace is what HPO tunes when the solution names no ranges: the
// recipe's tunable default ranges.
func defaultSpace(name string) space {
	var s space
	for _, r := range recipe.Ranges(name) {
		if !r.Tunable {
			continue
		}
		if s == nil {
			s = space{}
		}
		switch r.Kind {
		case recipe.IntegerRange:
			s[r.Name] = intRange(int(r.Min), int(r.Max))
		case recipe.ContinuousRange:
			s[r.Name] = floatRange(r.Min, r.Max)
		case recipe.CategoricalRange:
			s[r.Name] = choice(r.Values...)
		}
	}
	return s
}

// hpoPlan reads a solution's hpoConfig: the space to search and the
// number of candidates to evaluate.
func hpoPlan(name string, raw json.RawMessage) (space, int, error) {
	var c hpoConfig
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, 0, perch.Errorf(perch.EInvalidInput, "solutionConfig.hpoConfig: %v", err)
		}
	}
	jobs := DefaultHPOJobs
	if rc := c.ResourceConfig; rc != nil && rc.MaxNumberOfTrainingJobs != "" {
		n, err := strconv.Atoi(rc.MaxNumberOfTrainingJobs)
		if err != nil || n < 1 || n > MaxHPOJobs {
			return nil, 0, perch.Errorf(perch.EInvalidInput,
				"hpoResourceConfig.maxNumberOfTrainingJobs %q is not a number from 1 to %d.", rc.MaxNumberOfTrainingJobs, MaxHPOJobs)
		}
		jobs = n
	}
	if c.Ranges == nil {
		return defaultSpace(name), jobs, nil
	}
	s := space{}
	for _, r := range c.Ranges.Integer {
		if r.MinValue > r.MaxValue {
			return nil, 0, perch.Errorf(perch.EInvalidInput, "integerHyperParameterRanges %s: minValue %d is more than maxValue %d.", r.Name, r.MinValue, r.MaxValue)
		}
		s[r.Name] = intRange(r.MinValue, r.MaxValue)
	}
	for _, r := range c.Ranges.Continuous {
		if r.MinValue > r.MaxValue {
			return nil, 0, perch.Errorf(perch.EInvalidInput, "continuousHyperParameterRanges %s: minValue %g is more than maxValue %g.", r.Name, r.MinValue, r.MaxValue)
		}
		s[r.Name] = floatRange(r.MinValue, r.MaxValue)
	}
	for _, r := range c.Ranges.Categorical {
		if len(r.Values) == 0 {
			return nil, 0, perch.Errorf(perch.EInvalidInput, "categoricalHyperParameterRanges %s has no values.", r.Name)
		}
		s[r.Name] = choice(r.Values...)
	}
	return s, jobs, nil
}

// candidate is one setting HPO evaluated.
type candidate struct {
	hyper   map[string]string
	metrics map[string]float64
}

// tune searches the hyperparameters of a solution with performHPO: the
// solution's own values first, then random draws from the space, each
// evaluated on the holdout; the best by HPOObjective wins. stopped is
// asked between candidates, so that a stop does not wait for the search.
// It returns the parameters to train with, their metrics and the values
// chosen (tunedHPOParams: every hyperparameter of the recipe, tuned or
// not), nil when the recipe has nothing to tune.
func tune(name string, d *recipe.Data, p recipe.Params, raw json.RawMessage, stopped func() error) (recipe.Params, map[string]float64, map[string]string, error) {
	s, jobs, err := hpoPlan(name, raw)
	if err != nil {
		return p, nil, nil, err
	}
	evaluate := func(hyper map[string]string) (candidate, error) {
		q := p
		q.Hyper = hyper
		m, err := recipe.Evaluate(name, d, q)
		return candidate{hyper, m}, err
	}
	// The first candidate is what training without HPO would use: the
	// recipe's defaults under the solution's own values.
	start := recipe.Defaults(name)
	maps.Copy(start, p.Hyper)
	best, err := evaluate(start)
	if err != nil || len(s) == 0 {
		return p, best.metrics, nil, err
	}
	names := slices.Sorted(maps.Keys(s))
	rng := rand.New(rand.NewPCG(p.Seed, 0x9e3779b97f4a7c15))
	for range jobs - 1 {
		if err := stopped(); err != nil {
			return p, nil, nil, err
		}
		hyper := maps.Clone(start)
		for _, n := range names {
			hyper[n] = s[n](rng)
		}
		c, err := evaluate(hyper)
		if err != nil {
			return p, nil, nil, fmt.Errorf("hyperparameters %v: %w", hyper, err)
		}
		if objective := objectiveOf(name); c.metrics[objective] > best.metrics[objective] {
			best = c
		}
	}
	p.Hyper = best.hyper
	return p, best.metrics, best.hyper, nil
}

// objectiveOf is the metric a search of recipe name maximises:
// HPOObjective, or for the user segmentation recipes, which have no NDCG,
// their recall of the top 1% of users.
func objectiveOf(name string) string {
	if name == recipe.ItemAffinity || name == recipe.ItemAttributeAffinity {
		return recipe.MetricRecall1Percent
	}
	return HPOObjective
}
