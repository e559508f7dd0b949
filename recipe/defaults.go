package recipe

import "strconv"

// Defaults of sims' hyperparameters, AWS's.
const (
	defaultPopularityDiscount = 0.5
	defaultMinCointeraction   = 3
)

// Defaults gives the values a recipe's tunable hyperparameters take when a
// solution does not set them, as algorithmHyperParameters would spell
// them, so that a tuning can report every value it chose.
func Defaults(recipe string) map[string]string {
	switch recipe {
	case UserPersonalization, PersonalizedRanking, UserPersonalizationV2, PersonalizedRankingV2, ItemAffinity, ItemAttributeAffinity:
		d := map[string]string{
			"hidden_dimension": strconv.Itoa(defaultFactors),
			"num_iterations":   strconv.Itoa(defaultIterations),
			"regularization":   strconv.FormatFloat(defaultLambda, 'g', -1, 64),
			"confidence_alpha": strconv.FormatFloat(defaultAlpha, 'g', -1, 64),
		}
		if recipe == UserPersonalization || recipe == PersonalizedRanking {
			d["recency_mask"] = "true"
		} else {
			d["apply_recency_bias"] = "true"
		}
		return d
	case Sims:
		return map[string]string{
			"popularity_discount_factor": strconv.FormatFloat(defaultPopularityDiscount, 'g', -1, 64),
			"min_cointeraction_count":    strconv.Itoa(defaultMinCointeraction),
		}
	}
	return map[string]string{}
}

// RangeKind is the kind of a hyperparameter's range.
type RangeKind int

const (
	IntegerRange RangeKind = iota
	ContinuousRange
	CategoricalRange
)

// Range is a hyperparameter's default range: what a hyperparameter search
// draws from when a solution names no ranges of its own, as
// DescribeAlgorithm's defaultHyperParameterRanges shows it. Tunable says
// whether the search tunes it; Min and Max bound integer and continuous
// ranges, Values lists a categorical one.
type Range struct {
	Name     string
	Kind     RangeKind
	Min, Max float64
	Values   []string
	Tunable  bool
}

// Ranges gives the default ranges of a recipe's hyperparameters, in name
// order: those AWS marks tunable for the recipe, with the values perch's
// algorithms accept, and the factorisation's own regularisation.
func Ranges(recipe string) []Range {
	switch recipe {
	case UserPersonalization, PersonalizedRanking:
		return []Range{
			{Name: "bptt", Kind: IntegerRange, Min: 2, Max: 32},
			{Name: "hidden_dimension", Kind: IntegerRange, Min: 32, Max: 256, Tunable: true},
			{Name: "recency_mask", Kind: CategoricalRange, Values: []string{"true", "false"}, Tunable: true},
			{Name: "regularization", Kind: ContinuousRange, Min: 1, Max: 30, Tunable: true},
		}
	case UserPersonalizationV2, PersonalizedRankingV2, ItemAffinity, ItemAttributeAffinity:
		return []Range{
			{Name: "hidden_dimension", Kind: IntegerRange, Min: 32, Max: 256, Tunable: true},
			{Name: "regularization", Kind: ContinuousRange, Min: 1, Max: 30, Tunable: true},
		}
	case Sims:
		return []Range{
			{Name: "min_cointeraction_count", Kind: IntegerRange, Min: 0, Max: 10, Tunable: true},
			{Name: "popularity_discount_factor", Kind: ContinuousRange, Min: 0, Max: 1, Tunable: true},
		}
	}
	return nil
}
