package solutions

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/recipe"
)

// recipeSpec is one recipe of the service's catalogue and what perch makes
// of it.
type recipeSpec struct {
	name, recipeType, description string
	domain                        string
	// algorithm names the algorithm's ARN when it is not the recipe's own
	// name; transformation the feature transformation's.
	algorithm, transformation string
	// trains says that perch trains solutions of the recipe; the others
	// are listed as AWS lists them, and refused by CreateSolution.
	trains bool
	// v2 recipes take eventsConfig; v1 ones optimizationObjective.
	v2, v1 bool
}

// catalogue is ListRecipes' content, in name order. The dates are those
// of the service's own recipes, the same for everyone.
var catalogue = []recipeSpec{
	{name: "aws-ecomm-customers-who-viewed-x-also-viewed", recipeType: perch.RecipeRelatedItems, domain: perch.DomainEcommerce,
		description: "Customers who viewed X also viewed: items viewed by the customers who viewed the given item."},
	{name: "aws-ecomm-frequently-bought-together", recipeType: perch.RecipeRelatedItems, domain: perch.DomainEcommerce,
		description: "Frequently bought together: items bought with the given item."},
	{name: "aws-ecomm-popular-items-by-purchases", recipeType: perch.RecipePopularItems, domain: perch.DomainEcommerce,
		description: "Best sellers: the items bought most."},
	{name: "aws-ecomm-popular-items-by-views", recipeType: perch.RecipePopularItems, domain: perch.DomainEcommerce,
		description: "Most viewed: the items viewed most."},
	{name: "aws-ecomm-recommended-for-you", recipeType: perch.RecipeUserPersonalization, domain: perch.DomainEcommerce,
		description: "Recommended for you: items personalized for each user."},
	{name: "aws-item-affinity", recipeType: perch.RecipeUserSegmentation, transformation: "item-affinity", trains: true,
		description: "Users most likely to interact with each item, for batch segment jobs."},
	{name: "aws-item-attribute-affinity", recipeType: perch.RecipeUserSegmentation, transformation: "item-attribute-affinity", trains: true,
		description: "Users most likely to interact with items of each attribute value, for batch segment jobs."},
	{name: "aws-next-best-action", recipeType: perch.RecipePersonalizedActions, trains: true,
		description: "The actions each user is most likely to take."},
	{name: "aws-personalized-ranking", recipeType: perch.RecipePersonalizedRanking, transformation: "JSON-percentile-filtering", trains: true, v1: true,
		description: "Ranks a list of items for a user, with the user-personalization model."},
	{name: "aws-personalized-ranking-v2", recipeType: perch.RecipePersonalizedRanking, trains: true, v2: true,
		description: "Ranks a list of items for a user, with the user-personalization-v2 model."},
	{name: "aws-popularity-count", recipeType: perch.RecipeUserPersonalization, transformation: "sims", trains: true,
		description: "The items most users interacted with, the same for every user."},
	{name: "aws-semantic-similarity", recipeType: perch.RecipeRelatedItems, transformation: "aws-semantic-similarity",
		description: "Items whose name and description mean much the same as the given item's."},
	{name: "aws-similar-items", recipeType: perch.RecipeRelatedItems, transformation: "featurize_metadata", trains: true,
		description: "Items similar to the given item, from co-occurrence in users' histories and from item metadata."},
	{name: "aws-sims", recipeType: perch.RecipeRelatedItems, transformation: "sims", trains: true,
		description: "Items that occur together with the given item in users' histories."},
	{name: "aws-trending-now", recipeType: perch.RecipePopularItems, algorithm: "aws-trending-now-custom", trains: true,
		description: "The items whose interactions grow fastest, re-evaluated every interval."},
	{name: "aws-user-personalization", recipeType: perch.RecipeUserPersonalization, transformation: "JSON-percentile-filtering", trains: true, v1: true,
		description: "Items personalized for each user, updated at once with the user's new interactions."},
	{name: "aws-user-personalization-v2", recipeType: perch.RecipeUserPersonalization, trains: true, v2: true,
		description: "Items personalized for each user, updated at once with the user's new interactions."},
	{name: "aws-vod-because-you-watched-x", recipeType: perch.RecipeRelatedItems, domain: perch.DomainVideoOnDemand,
		description: "Because you watched X: videos watched with the given video."},
	{name: "aws-vod-more-like-x", recipeType: perch.RecipeRelatedItems, domain: perch.DomainVideoOnDemand,
		description: "More like X: videos similar to the given video."},
	{name: "aws-vod-most-popular", recipeType: perch.RecipePopularItems, domain: perch.DomainVideoOnDemand,
		description: "Most popular: the videos watched by most users."},
	{name: "aws-vod-top-picks", recipeType: perch.RecipeUserPersonalization, domain: perch.DomainVideoOnDemand,
		description: "Top picks for you: videos personalized for each user."},
	{name: "aws-vod-trending-now", recipeType: perch.RecipePopularItems, domain: perch.DomainVideoOnDemand,
		description: "Trending now: the videos whose views grow fastest."},
}

// recipeEpoch is when the service's recipes were created, as they report.
const recipeEpoch perch.Timestamp = 1543536000000 // 2018-11-30

// RecipeARN is the ARN of the recipe name: recipes have no region or
// account.
func RecipeARN(name string) string { return "arn:aws:personalize:::" + perch.KindRecipe + "/" + name }

func (r *recipeSpec) recipe() *perch.Recipe {
	rec := &perch.Recipe{
		Name: r.name, ARN: RecipeARN(r.name), AlgorithmARN: algorithmPrefix + r.algorithmName(),
		Status: perch.StatusActive, Description: r.description, RecipeType: r.recipeType, Domain: r.domain,
		Created: recipeEpoch, Updated: recipeEpoch,
	}
	if r.transformation != "" {
		rec.FeatureTransformationARN = transformationPrefix + r.transformation
	}
	return rec
}

// recipeByARN finds a recipe of the catalogue.
func recipeByARN(arn string) (*recipeSpec, bool) {
	name, ok := strings.CutPrefix(arn, "arn:aws:personalize:::"+perch.KindRecipe+"/")
	if !ok {
		return nil, false
	}
	i := slices.IndexFunc(catalogue, func(r recipeSpec) bool { return r.name == name })
	if i < 0 {
		return nil, false
	}
	return &catalogue[i], true
}

// RecipeOf returns the name and type of the recipe arn, for the trainer
// and the runtime; ok is false for an ARN that is no recipe of perch's.
func RecipeOf(arn string) (name, recipeType string, ok bool) {
	r, ok := recipeByARN(arn)
	if !ok {
		return "", "", false
	}
	return r.name, r.recipeType, true
}

// ListRecipes implements perch.Solutions: the catalogue in name order,
// of one domain when domain is set.
func (s *Service) ListRecipes(ctx context.Context, domain string, p perch.Page) ([]*perch.Recipe, string, error) {
	var list []*perch.Recipe
	for i := range catalogue {
		if domain == "" || catalogue[i].domain == domain {
			list = append(list, catalogue[i].recipe())
		}
	}
	// Every recipe was created at once: the ARN orders them, by name.
	return perch.Paginate(list, func(r *perch.Recipe) perch.Position { return perch.Position{Created: r.Created, ARN: r.ARN} },
		func(r *perch.Recipe) *perch.Recipe { return r }, "recipes "+domain, p)
}

// DescribeRecipe implements perch.Solutions.
func (s *Service) DescribeRecipe(ctx context.Context, arn string) (*perch.Recipe, error) {
	r, ok := recipeByARN(arn)
	if !ok {
		return nil, perch.NotFound(arn)
	}
	return r.recipe(), nil
}

// The ARNs of algorithms and feature transformations, like recipes',
// have no region or account.
const (
	algorithmPrefix      = "arn:aws:personalize:::algorithm/"
	transformationPrefix = "arn:aws:personalize:::feature-transformation/"
)

// DescribeAlgorithm implements perch.Solutions: the algorithm of a recipe
// of the catalogue, with the defaults and ranges perch trains and tunes
// it with (none for the recipes perch does not train).
func (s *Service) DescribeAlgorithm(ctx context.Context, arn string) (*perch.Algorithm, error) {
	name, ok := strings.CutPrefix(arn, algorithmPrefix)
	i := slices.IndexFunc(catalogue, func(r recipeSpec) bool { return r.algorithmName() == name })
	if !ok || i < 0 {
		return nil, perch.NotFound(arn)
	}
	r := &catalogue[i]
	a := &perch.Algorithm{Name: name, ARN: arn, DefaultHyperParameters: map[string]string{},
		DefaultResourceConfig: map[string]string{}, Created: recipeEpoch, Updated: recipeEpoch}
	if !r.trains {
		return a, nil
	}
	a.DefaultHyperParameters = recipe.Defaults(r.name)
	for _, rg := range recipe.Ranges(r.name) {
		a.DefaultRanges = append(a.DefaultRanges, perch.HyperParameterRange{Name: rg.Name, Kind: rangeKinds[rg.Kind],
			Min: rg.Min, Max: rg.Max, Values: rg.Values, Tunable: rg.Tunable})
	}
	if len(a.DefaultRanges) > 0 {
		a.DefaultResourceConfig = map[string]string{"maxNumberOfTrainingJobs": strconv.Itoa(DefaultHPOJobs)}
	}
	return a, nil
}

var rangeKinds = map[recipe.RangeKind]string{
	recipe.IntegerRange: "integer", recipe.ContinuousRange: "continuous", recipe.CategoricalRange: "categorical",
}

func (r *recipeSpec) algorithmName() string {
	if r.algorithm != "" {
		return r.algorithm
	}
	return r.name
}

// DescribeFeatureTransformation implements perch.Solutions: the feature
// transformation of a recipe of the catalogue, with the featurization
// parameters perch reads and their defaults.
func (s *Service) DescribeFeatureTransformation(ctx context.Context, arn string) (*perch.FeatureTransformation, error) {
	name, ok := strings.CutPrefix(arn, transformationPrefix)
	if !ok || !slices.ContainsFunc(catalogue, func(r recipeSpec) bool { return r.transformation == name }) {
		return nil, perch.NotFound(arn)
	}
	f := &perch.FeatureTransformation{Name: name, ARN: arn, DefaultParameters: map[string]string{},
		Status: perch.StatusActive, Created: recipeEpoch, Updated: recipeEpoch}
	if name == "JSON-percentile-filtering" {
		f.DefaultParameters = map[string]string{
			"min_user_history_length_percentile": "0.0", "max_user_history_length_percentile": "0.99"}
	}
	return f, nil
}
