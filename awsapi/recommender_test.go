package awsapi_test

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/perchdev/perch"
)

// recommender stands in for the recommendation side's service behind
// perch.Solutions and perch.Runtime: it records what each call was given
// and answers with fixed resources, so that the tests check what the wire
// decodes and encodes, not what the service does.
type recommender struct {
	mu    sync.Mutex
	calls map[string]call // the last call of each method
	// fail, when it names a method, is the error that method returns.
	fail map[string]error

	recipe            perch.Recipe
	algorithm         perch.Algorithm
	transformation    perch.FeatureTransformation
	solution          perch.Solution
	latest            *perch.SolutionVersion // DescribeSolution's newest version
	version           perch.SolutionVersion
	campaign          perch.Campaign
	metrics           map[string]float64
	recommendations   perch.Recommendations
	next              string // the nextToken of every list
	recipes, versions int    // how many of each a list returns
}

// call is what one call was given: the account of its context and its
// arguments after the context.
type call struct {
	account string
	args    []any
}

// Fixed resources, with every member the wire writes set, so that each
// reaches the client or is seen to be left out.
var (
	created = perch.Timestamp(1700000000123)
	updated = perch.Timestamp(1700003600500)

	recipeARN   = "arn:aws:personalize:::recipe/aws-user-personalization-v2"
	groupARN    = "arn:aws:personalize:us-west-2:123456789012:dataset-group/shop"
	solutionARN = "arn:aws:personalize:us-west-2:123456789012:solution/shop-recs"
	versionARN  = solutionARN + "/c1a33236"
	campaignARN = "arn:aws:personalize:us-west-2:123456789012:campaign/shop-live"
	filterARN   = "arn:aws:personalize:us-west-2:123456789012:filter/in-stock"

	algorithmARN      = "arn:aws:personalize:::algorithm/aws-user-personalization"
	transformationARN = "arn:aws:personalize:::feature-transformation/JSON-percentile-filtering"
)

func newRecommender() *recommender {
	threshold, weight, hours := 1.5, 0.3, 1.073
	config := perch.SolutionConfig{
		EventValueThreshold:             "0.5",
		HPOConfig:                       json.RawMessage(`{"hpoResourceConfig":{"maxNumberOfTrainingJobs":"4","maxParallelTrainingJobs":"2"}}`),
		AlgorithmHyperParameters:        map[string]string{"hidden_dimension": "149"},
		FeatureTransformationParameters: map[string]string{"max_user_history_length_percentile": "0.99"},
		AutoMLConfig:                    json.RawMessage(`{"metricName":"precision_at_25","recipeList":["` + recipeARN + `"]}`),
		EventsConfig:                    &perch.EventsConfig{EventParametersList: []perch.EventParameters{{EventType: "click", EventValueThreshold: &threshold, Weight: &weight}}},
		OptimizationObjective:           &perch.OptimizationObjective{ItemAttribute: "PRICE", ObjectiveSensitivity: "HIGH"},
		TrainingDataConfig:              &perch.TrainingDataConfig{ExcludedDatasetColumns: map[string][]string{"ITEMS": {"GENRE"}}},
		AutoTrainingConfig:              &perch.AutoTrainingConfig{SchedulingExpression: "rate(7 days)"},
	}
	tags := []perch.Tag{{Key: "team", Value: "recs"}}
	version := perch.SolutionVersion{
		ARN: versionARN, Name: "shop-recs-v1", SolutionARN: solutionARN, GroupARN: groupARN, RecipeARN: recipeARN,
		EventType: "click", PerformHPO: true, PerformAutoML: false, PerformIncrementalUpdate: true, Config: config,
		TrainingMode: perch.TrainingModeFull, TrainingType: perch.TrainingTypeManual, TrainingHours: &hours,
		Status: perch.StatusActive, FailureReason: "none really", Metrics: map[string]float64{"coverage": 0.5}, Tags: tags,
		Created: created, Updated: updated,
	}
	latest := version
	latest.ARN, latest.Status, latest.FailureReason = solutionARN+"/0badf00d", perch.StatusCreateFailed, "Dataset has fewer than 1000 interactions"
	score1, score2 := 0.1730128, 0.0152238
	return &recommender{
		calls: map[string]call{},
		fail:  map[string]error{},
		recipe: perch.Recipe{
			Name: "aws-user-personalization-v2", ARN: recipeARN, AlgorithmARN: "arn:aws:personalize:::algorithm/aws-user-personalization-v2",
			FeatureTransformationARN: "arn:aws:personalize:::feature-transformation/featurize_metadata",
			Status:                   perch.StatusActive, Description: "Predicts the items a user will interact with.",
			RecipeType: perch.RecipeUserPersonalization, Domain: "ECOMMERCE", Created: created, Updated: updated,
		},
		algorithm: perch.Algorithm{
			Name: "aws-user-personalization", ARN: algorithmARN,
			DefaultHyperParameters: map[string]string{"hidden_dimension": "64"},
			DefaultRanges: []perch.HyperParameterRange{
				{Name: "hidden_dimension", Kind: "integer", Min: 32, Max: 256, Tunable: true},
				{Name: "regularization", Kind: "continuous", Min: 1, Max: 30, Tunable: true},
				{Name: "recency_mask", Kind: "categorical", Values: []string{"true", "false"}},
			},
			DefaultResourceConfig: map[string]string{"maxNumberOfTrainingJobs": "8"}, Created: created, Updated: updated,
		},
		transformation: perch.FeatureTransformation{
			Name: "JSON-percentile-filtering", ARN: transformationARN, Status: perch.StatusActive,
			DefaultParameters: map[string]string{"max_user_history_length_percentile": "0.99"}, Created: created, Updated: updated,
		},
		solution: perch.Solution{
			ARN: solutionARN, Name: "shop-recs", GroupARN: groupARN, RecipeARN: recipeARN, EventType: "click",
			PerformHPO: true, PerformAutoML: false, PerformAutoTraining: true, PerformIncrementalUpdate: false, Config: config,
			Status: perch.StatusActive,
			LatestUpdate: &perch.SolutionUpdate{
				AutoTrainingConfig: &perch.AutoTrainingConfig{SchedulingExpression: "rate(3 days)"},
				EventsConfig:       config.EventsConfig, PerformAutoTraining: true, PerformIncrementalUpdate: true,
				Status: perch.StatusCreateFailed, FailureReason: "update failed", Created: created, Updated: updated,
			},
			Tags: tags, Created: created, Updated: updated,
		},
		latest:  &latest,
		version: version,
		campaign: perch.Campaign{
			ARN: campaignARN, Name: "shop-live", SolutionVersionARN: versionARN, MinProvisionedTPS: 3,
			Config: perch.CampaignConfig{
				ItemExplorationConfig:             map[string]string{"explorationWeight": "0.3", "explorationItemAgeCutOff": "30"},
				EnableMetadataWithRecommendations: true, SyncWithLatestSolutionVersion: false,
				RankingInfluence: map[string]float64{"POPULARITY": 0.25},
			},
			Status: perch.StatusActive, FailureReason: "earlier failure",
			LatestUpdate: &perch.CampaignUpdate{
				SolutionVersionARN: solutionARN + "/$LATEST", MinProvisionedTPS: 5,
				Config: perch.CampaignConfig{SyncWithLatestSolutionVersion: true}, Status: perch.StatusCreateInProgress,
				Created: created, Updated: updated,
			},
			Tags: tags, Created: created, Updated: updated, SolutionARN: solutionARN, GroupARN: groupARN,
		},
		metrics: map[string]float64{"coverage": 0.2731, "precision_at_25": 0.0412, "normalized_discounted_cumulative_gain_at_10": 0.1},
		recommendations: perch.Recommendations{
			Items: []perch.RecommendedItem{
				{ItemID: "i1", Score: &score1, PromotionName: "promo", Metadata: map[string]string{"GENRE": "drama", "PRICE": "9.5"}, Reason: []string{"Promoted item"}},
				{ItemID: "i2", Score: &score2},
				{ItemID: "i3"},
			},
			RecommendationID: "RID-279bc670-9f3a-4633-b670-1183fd50c323",
		},
		next:     "next-page",
		recipes:  2,
		versions: 2,
	}
}

// record notes a call and returns the error set for its method.
func (r *recommender) record(ctx context.Context, method string, args ...any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls[method] = call{perch.AccountFrom(ctx), args}
	return r.fail[method]
}

// last returns the last call of method, and whether there was one.
func (r *recommender) last(method string) (call, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.calls[method]
	return c, ok
}

// failWith makes method fail with err.
func (r *recommender) failWith(method string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail[method] = err
}

func repeat[T any](v *T, n int) []*T {
	list := make([]*T, n)
	for i := range list {
		list[i] = v
	}
	return list
}

func (r *recommender) ListRecipes(ctx context.Context, domain string, p perch.Page) ([]*perch.Recipe, string, error) {
	if err := r.record(ctx, "ListRecipes", domain, p); err != nil {
		return nil, "", err
	}
	return repeat(&r.recipe, r.recipes), r.next, nil
}

func (r *recommender) DescribeRecipe(ctx context.Context, arn string) (*perch.Recipe, error) {
	if err := r.record(ctx, "DescribeRecipe", arn); err != nil {
		return nil, err
	}
	return &r.recipe, nil
}

func (r *recommender) DescribeAlgorithm(ctx context.Context, arn string) (*perch.Algorithm, error) {
	if err := r.record(ctx, "DescribeAlgorithm", arn); err != nil {
		return nil, err
	}
	return &r.algorithm, nil
}

func (r *recommender) DescribeFeatureTransformation(ctx context.Context, arn string) (*perch.FeatureTransformation, error) {
	if err := r.record(ctx, "DescribeFeatureTransformation", arn); err != nil {
		return nil, err
	}
	return &r.transformation, nil
}

func (r *recommender) CreateSolution(ctx context.Context, in perch.CreateSolutionInput) (*perch.Solution, error) {
	if err := r.record(ctx, "CreateSolution", in); err != nil {
		return nil, err
	}
	return &r.solution, nil
}

func (r *recommender) DescribeSolution(ctx context.Context, arn string) (*perch.Solution, *perch.SolutionVersion, error) {
	if err := r.record(ctx, "DescribeSolution", arn); err != nil {
		return nil, nil, err
	}
	return &r.solution, r.latest, nil
}

func (r *recommender) ListSolutions(ctx context.Context, groupARN string, p perch.Page) ([]*perch.Solution, string, error) {
	if err := r.record(ctx, "ListSolutions", groupARN, p); err != nil {
		return nil, "", err
	}
	return []*perch.Solution{&r.solution}, r.next, nil
}

func (r *recommender) UpdateSolution(ctx context.Context, in perch.UpdateSolutionInput) (*perch.Solution, error) {
	if err := r.record(ctx, "UpdateSolution", in); err != nil {
		return nil, err
	}
	return &r.solution, nil
}

func (r *recommender) DeleteSolution(ctx context.Context, arn string) error {
	return r.record(ctx, "DeleteSolution", arn)
}

func (r *recommender) CreateSolutionVersion(ctx context.Context, in perch.CreateSolutionVersionInput) (*perch.SolutionVersion, error) {
	if err := r.record(ctx, "CreateSolutionVersion", in); err != nil {
		return nil, err
	}
	return &r.version, nil
}

func (r *recommender) DescribeSolutionVersion(ctx context.Context, arn string) (*perch.SolutionVersion, error) {
	if err := r.record(ctx, "DescribeSolutionVersion", arn); err != nil {
		return nil, err
	}
	return &r.version, nil
}

func (r *recommender) ListSolutionVersions(ctx context.Context, solutionARN string, p perch.Page) ([]*perch.SolutionVersion, string, error) {
	if err := r.record(ctx, "ListSolutionVersions", solutionARN, p); err != nil {
		return nil, "", err
	}
	return repeat(&r.version, r.versions), r.next, nil
}

func (r *recommender) StopSolutionVersionCreation(ctx context.Context, arn string) error {
	return r.record(ctx, "StopSolutionVersionCreation", arn)
}

func (r *recommender) GetSolutionMetrics(ctx context.Context, arn string) (map[string]float64, error) {
	if err := r.record(ctx, "GetSolutionMetrics", arn); err != nil {
		return nil, err
	}
	return r.metrics, nil
}

func (r *recommender) CreateCampaign(ctx context.Context, in perch.CreateCampaignInput) (*perch.Campaign, error) {
	if err := r.record(ctx, "CreateCampaign", in); err != nil {
		return nil, err
	}
	return &r.campaign, nil
}

func (r *recommender) DescribeCampaign(ctx context.Context, arn string) (*perch.Campaign, error) {
	if err := r.record(ctx, "DescribeCampaign", arn); err != nil {
		return nil, err
	}
	return &r.campaign, nil
}

func (r *recommender) ListCampaigns(ctx context.Context, solutionARN string, p perch.Page) ([]*perch.Campaign, string, error) {
	if err := r.record(ctx, "ListCampaigns", solutionARN, p); err != nil {
		return nil, "", err
	}
	return []*perch.Campaign{&r.campaign}, r.next, nil
}

func (r *recommender) UpdateCampaign(ctx context.Context, in perch.UpdateCampaignInput) (*perch.Campaign, error) {
	if err := r.record(ctx, "UpdateCampaign", in); err != nil {
		return nil, err
	}
	return &r.campaign, nil
}

func (r *recommender) DeleteCampaign(ctx context.Context, arn string) error {
	return r.record(ctx, "DeleteCampaign", arn)
}

func (r *recommender) GetRecommendations(ctx context.Context, in perch.RecommendationsInput) (*perch.Recommendations, error) {
	if err := r.record(ctx, "GetRecommendations", in); err != nil {
		return nil, err
	}
	return &r.recommendations, nil
}

func (r *recommender) GetPersonalizedRanking(ctx context.Context, in perch.RankingInput) (*perch.Recommendations, error) {
	if err := r.record(ctx, "GetPersonalizedRanking", in); err != nil {
		return nil, err
	}
	return &r.recommendations, nil
}

var (
	_ perch.Solutions = (*recommender)(nil)
	_ perch.Runtime   = (*recommender)(nil)
)
