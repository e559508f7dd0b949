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
	case UserPersonalization, PersonalizedRanking, UserPersonalizationV2, PersonalizedRankingV2:
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
