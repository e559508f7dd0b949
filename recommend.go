package perch

import (
	"context"
	"encoding/json"
)

// The recommendation side: recipes (the algorithms), solutions (a recipe
// configured for a dataset group), solution versions (one training of a
// solution, with its model and metrics) and campaigns (a version served to
// the runtime API).

// ARN kinds and statuses of the recommendation side.
const (
	KindRecipe   = "recipe"
	KindSolution = "solution"
	KindCampaign = "campaign"
	// KindSolutionVersion names solution versions among the jobs a worker
	// claims (ClaimJob); a version's ARN is its solution's ARN and an id.
	KindSolutionVersion = "solution-version"

	StatusCreateStopping = "CREATE STOPPING"
	StatusCreateStopped  = "CREATE STOPPED"
)

// Recipe types, as ListRecipes reports them.
const (
	RecipeUserPersonalization  = "USER_PERSONALIZATION"
	RecipePersonalizedRanking  = "PERSONALIZED_RANKING"
	RecipeRelatedItems         = "RELATED_ITEMS"
	RecipePopularItems         = "POPULAR_ITEMS"
	RecipeUserSegmentation     = "USER_SEGMENTATION"
	RecipePersonalizedActions  = "PERSONALIZED_ACTIONS"
	TrainingModeFull           = "FULL"
	TrainingModeUpdate         = "UPDATE"
	TrainingTypeManual         = "MANUAL"
	TrainingTypeAutomatic      = "AUTOMATIC"
	DefaultRecommendations     = 25
	MaxRecommendations         = 500
	MaxRecommendationsMetadata = 50
)

// Recipe is one of the algorithms a solution can train with. Recipes are
// the service's own: the same for every account and region.
type Recipe struct {
	Name                     string    `json:"name"`
	ARN                      string    `json:"recipeArn"`
	AlgorithmARN             string    `json:"algorithmArn"`
	FeatureTransformationARN string    `json:"featureTransformationArn,omitempty"`
	Status                   string    `json:"status"`
	Description              string    `json:"description"`
	RecipeType               string    `json:"recipeType"`
	Domain                   string    `json:"domain,omitempty"`
	Created                  Timestamp `json:"creationDateTime"`
	Updated                  Timestamp `json:"lastUpdatedDateTime"`
}

// Algorithm is what DescribeAlgorithm tells of a recipe's algorithm: its
// default hyperparameters and the ranges a hyperparameter search draws
// from when a solution names none.
type Algorithm struct {
	Name                   string
	ARN                    string
	DefaultHyperParameters map[string]string
	DefaultRanges          []HyperParameterRange
	DefaultResourceConfig  map[string]string
	Created, Updated       Timestamp
}

// HyperParameterRange is a hyperparameter's default range: Kind is
// "integer" or "continuous" (bounded by Min and Max) or "categorical"
// (Values).
type HyperParameterRange struct {
	Name     string
	Kind     string
	Min, Max float64
	Values   []string
	Tunable  bool
}

// FeatureTransformation is what DescribeFeatureTransformation tells of a
// recipe's feature transformation.
type FeatureTransformation struct {
	Name              string
	ARN               string
	DefaultParameters map[string]string
	Status            string
	Created, Updated  Timestamp
}

// SolutionConfig is a solution's configuration as the caller gave it.
// perch trains with the members it knows (event value threshold,
// hyperparameters, feature transformation parameters, events config,
// training data config) and keeps the others as given, to describe them.
type SolutionConfig struct {
	EventValueThreshold             string                 `json:"eventValueThreshold,omitempty"`
	HPOConfig                       json.RawMessage        `json:"hpoConfig,omitempty"`
	AlgorithmHyperParameters        map[string]string      `json:"algorithmHyperParameters,omitempty"`
	FeatureTransformationParameters map[string]string      `json:"featureTransformationParameters,omitempty"`
	AutoMLConfig                    json.RawMessage        `json:"autoMLConfig,omitempty"`
	EventsConfig                    *EventsConfig          `json:"eventsConfig,omitempty"`
	OptimizationObjective           *OptimizationObjective `json:"optimizationObjective,omitempty"`
	TrainingDataConfig              *TrainingDataConfig    `json:"trainingDataConfig,omitempty"`
	AutoTrainingConfig              *AutoTrainingConfig    `json:"autoTrainingConfig,omitempty"`
}

// EventsConfig weighs event types in training (the v2 recipes).
type EventsConfig struct {
	EventParametersList []EventParameters `json:"eventParametersList,omitempty"`
}

// EventParameters is one event type's threshold and weight.
type EventParameters struct {
	EventType           string   `json:"eventType,omitempty"`
	EventValueThreshold *float64 `json:"eventValueThreshold,omitempty"`
	Weight              *float64 `json:"weight,omitempty"`
}

// OptimizationObjective is an Items column to optimise for, and how much.
type OptimizationObjective struct {
	ItemAttribute        string `json:"itemAttribute,omitempty"`
	ObjectiveSensitivity string `json:"objectiveSensitivity,omitempty"`
}

// TrainingDataConfig names, per dataset type, the columns training uses
// or leaves out.
type TrainingDataConfig struct {
	ExcludedDatasetColumns map[string][]string `json:"excludedDatasetColumns,omitempty"`
	IncludedDatasetColumns map[string][]string `json:"includedDatasetColumns,omitempty"`
}

// AutoTrainingConfig says how often a solution trains by itself.
type AutoTrainingConfig struct {
	SchedulingExpression string `json:"schedulingExpression,omitempty"`
}

// Solution is a recipe configured for a dataset group; it trains into
// versions.
type Solution struct {
	ARN                      string          `json:"solutionArn"`
	Name                     string          `json:"name"`
	GroupARN                 string          `json:"datasetGroupArn"`
	RecipeARN                string          `json:"recipeArn,omitempty"`
	EventType                string          `json:"eventType,omitempty"`
	PerformHPO               bool            `json:"performHPO"`
	PerformAutoML            bool            `json:"performAutoML"`
	PerformAutoTraining      bool            `json:"performAutoTraining"`
	PerformIncrementalUpdate bool            `json:"performIncrementalUpdate"`
	Config                   SolutionConfig  `json:"solutionConfig"`
	Status                   string          `json:"status"`
	LatestUpdate             *SolutionUpdate `json:"latestSolutionUpdate,omitempty"`
	Tags                     []Tag           `json:"tags,omitempty"`
	Created                  Timestamp       `json:"creationDateTime"`
	Updated                  Timestamp       `json:"lastUpdatedDateTime"`
	// Recommender, when set, makes the solution a domain recommender's:
	// its ARN is the recommender's, its versions are the recommender's
	// trainings, and it is no solution to the API.
	Recommender *RecommenderState `json:"perchRecommender,omitempty"`
}

// IsRecommender says whether the solution is a recommender's.
func (s *Solution) IsRecommender() bool { return s.Recommender != nil }

// RecommenderState is what a recommender has beyond the solution that
// trains it: its use case, configuration and whether it was stopped.
type RecommenderState struct {
	RecipeARN    string             `json:"recipeArn"` // the use case
	Config       RecommenderConfig  `json:"recommenderConfig"`
	Stopped      bool               `json:"stopped,omitempty"`
	LatestUpdate *RecommenderUpdate `json:"latestRecommenderUpdate,omitempty"`
}

// RecommenderConfig is a recommender's configuration as the caller gave
// it.
type RecommenderConfig struct {
	ItemExplorationConfig              map[string]string `json:"itemExplorationConfig,omitempty"`
	MinRecommendationRequestsPerSecond int               `json:"minRecommendationRequestsPerSecond,omitempty"`
	TrainingDataConfig                 json.RawMessage   `json:"trainingDataConfig,omitempty"`
	EnableMetadataWithRecommendations  bool              `json:"enableMetadataWithRecommendations"`
}

// RecommenderUpdate is the last UpdateRecommender.
type RecommenderUpdate struct {
	Config  RecommenderConfig `json:"recommenderConfig"`
	Status  string            `json:"status"`
	Created Timestamp         `json:"creationDateTime"`
	Updated Timestamp         `json:"lastUpdatedDateTime"`
}

// Recommender is a domain recommender as the API shows it: its state and
// the status and metrics of its newest training.
type Recommender struct {
	ARN           string
	Name          string
	GroupARN      string
	RecipeARN     string
	Config        RecommenderConfig
	Status        string
	FailureReason string
	ModelMetrics  map[string]float64
	LatestUpdate  *RecommenderUpdate
	Created       Timestamp
	Updated       Timestamp
}

// CreateRecommenderInput is what CreateRecommender is given.
type CreateRecommenderInput struct {
	Name      string
	GroupARN  string
	RecipeARN string
	Config    *RecommenderConfig
	Tags      []Tag
}

// Recommenders is the control plane of domain recommenders.
type Recommenders interface {
	CreateRecommender(ctx context.Context, in CreateRecommenderInput) (*Recommender, error)
	DescribeRecommender(ctx context.Context, arn string) (*Recommender, error)
	ListRecommenders(ctx context.Context, groupARN string, p Page) (list []*Recommender, next string, err error)
	UpdateRecommender(ctx context.Context, arn string, config RecommenderConfig) (*Recommender, error)
	DeleteRecommender(ctx context.Context, arn string) error
	StartRecommender(ctx context.Context, arn string) (*Recommender, error)
	StopRecommender(ctx context.Context, arn string) (*Recommender, error)
}

// KindRecommender is the resource kind of a recommender's ARN.
const KindRecommender = "recommender"

// SolutionUpdate is the last UpdateSolution and its progress.
type SolutionUpdate struct {
	AutoTrainingConfig       *AutoTrainingConfig `json:"autoTrainingConfig,omitempty"`
	EventsConfig             *EventsConfig       `json:"eventsConfig,omitempty"`
	PerformAutoTraining      bool                `json:"performAutoTraining"`
	PerformIncrementalUpdate bool                `json:"performIncrementalUpdate"`
	Status                   string              `json:"status"`
	FailureReason            string              `json:"failureReason,omitempty"`
	Created                  Timestamp           `json:"creationDateTime"`
	Updated                  Timestamp           `json:"lastUpdatedDateTime"`
}

// SolutionVersion is one training of a solution: the solution's
// configuration when it was made, its status, and once ACTIVE its
// metrics (GetSolutionMetrics). Its model is kept apart (PutModel).
type SolutionVersion struct {
	ARN                      string             `json:"solutionVersionArn"`
	Name                     string             `json:"name"`
	SolutionARN              string             `json:"solutionArn"`
	GroupARN                 string             `json:"datasetGroupArn"`
	RecipeARN                string             `json:"recipeArn,omitempty"`
	EventType                string             `json:"eventType,omitempty"`
	PerformHPO               bool               `json:"performHPO"`
	PerformAutoML            bool               `json:"performAutoML"`
	PerformIncrementalUpdate bool               `json:"performIncrementalUpdate"`
	Config                   SolutionConfig     `json:"solutionConfig"`
	TrainingMode             string             `json:"trainingMode"`
	TrainingType             string             `json:"trainingType"`
	TrainingHours            *float64           `json:"trainingHours,omitempty"`
	Status                   string             `json:"status"`
	FailureReason            string             `json:"failureReason,omitempty"`
	Metrics                  map[string]float64 `json:"metrics,omitempty"`
	// TunedHPOParams is the algorithmHyperParameters a performHPO training
	// chose.
	TunedHPOParams map[string]string `json:"tunedHPOParams,omitempty"`
	Tags           []Tag             `json:"tags,omitempty"`
	Created        Timestamp         `json:"creationDateTime"`
	Updated        Timestamp         `json:"lastUpdatedDateTime"`
}

// CampaignConfig is how a campaign serves its version.
type CampaignConfig struct {
	ItemExplorationConfig             map[string]string  `json:"itemExplorationConfig,omitempty"`
	EnableMetadataWithRecommendations bool               `json:"enableMetadataWithRecommendations"`
	SyncWithLatestSolutionVersion     bool               `json:"syncWithLatestSolutionVersion"`
	RankingInfluence                  map[string]float64 `json:"rankingInfluence,omitempty"`
}

// Campaign serves a solution version through the runtime API.
type Campaign struct {
	ARN                string          `json:"campaignArn"`
	Name               string          `json:"name"`
	SolutionVersionARN string          `json:"solutionVersionArn"`
	MinProvisionedTPS  int             `json:"minProvisionedTPS"`
	Config             CampaignConfig  `json:"campaignConfig"`
	Status             string          `json:"status"`
	FailureReason      string          `json:"failureReason,omitempty"`
	LatestUpdate       *CampaignUpdate `json:"latestCampaignUpdate,omitempty"`
	Tags               []Tag           `json:"tags,omitempty"`
	Created            Timestamp       `json:"creationDateTime"`
	Updated            Timestamp       `json:"lastUpdatedDateTime"`
	// SolutionARN and GroupARN are where the campaign's version comes
	// from, for the rules that count a group's campaigns and keep a
	// solution in use; SolutionVersionARN may be the solution's $LATEST.
	SolutionARN string `json:"perchSolutionArn"`
	GroupARN    string `json:"perchDatasetGroupArn"`
}

// CampaignUpdate is the last UpdateCampaign and its progress.
type CampaignUpdate struct {
	SolutionVersionARN string         `json:"solutionVersionArn,omitempty"`
	MinProvisionedTPS  int            `json:"minProvisionedTPS,omitempty"`
	Config             CampaignConfig `json:"campaignConfig"`
	Status             string         `json:"status"`
	FailureReason      string         `json:"failureReason,omitempty"`
	Created            Timestamp      `json:"creationDateTime"`
	Updated            Timestamp      `json:"lastUpdatedDateTime"`
}

// CreateSolutionInput is what CreateSolution is given.
type CreateSolutionInput struct {
	Name                     string
	GroupARN                 string
	RecipeARN                string
	EventType                string
	PerformHPO               bool
	PerformAutoML            bool
	PerformAutoTraining      *bool // AWS's default is true
	PerformIncrementalUpdate bool
	Config                   SolutionConfig
	Tags                     []Tag
}

// UpdateSolutionInput is what UpdateSolution is given.
type UpdateSolutionInput struct {
	SolutionARN              string
	PerformAutoTraining      *bool
	PerformIncrementalUpdate *bool
	AutoTrainingConfig       *AutoTrainingConfig
	EventsConfig             *EventsConfig
}

// CreateSolutionVersionInput is what CreateSolutionVersion is given.
type CreateSolutionVersionInput struct {
	Name         string
	SolutionARN  string
	TrainingMode string
	Tags         []Tag
}

// CreateCampaignInput is what CreateCampaign is given.
type CreateCampaignInput struct {
	Name               string
	SolutionVersionARN string
	MinProvisionedTPS  int
	Config             *CampaignConfig
	Tags               []Tag
}

// UpdateCampaignInput is what UpdateCampaign is given; nil members keep
// the campaign's.
type UpdateCampaignInput struct {
	CampaignARN        string
	SolutionVersionARN string
	MinProvisionedTPS  *int
	Config             *CampaignConfig
}

// Solutions is the recommendation side's control plane. Errors are *Error
// values with the codes Catalog uses.
type Solutions interface {
	ListRecipes(ctx context.Context, domain string, p Page) (recipes []*Recipe, next string, err error)
	DescribeRecipe(ctx context.Context, arn string) (*Recipe, error)
	DescribeAlgorithm(ctx context.Context, arn string) (*Algorithm, error)
	DescribeFeatureTransformation(ctx context.Context, arn string) (*FeatureTransformation, error)

	CreateSolution(ctx context.Context, in CreateSolutionInput) (*Solution, error)
	// DescribeSolution returns the solution with the summary of its newest
	// version, if any.
	DescribeSolution(ctx context.Context, arn string) (*Solution, *SolutionVersion, error)
	ListSolutions(ctx context.Context, groupARN string, p Page) (solutions []*Solution, next string, err error)
	UpdateSolution(ctx context.Context, in UpdateSolutionInput) (*Solution, error)
	// DeleteSolution fails with EResourceInUse while a campaign serves one
	// of its versions or one of them trains.
	DeleteSolution(ctx context.Context, arn string) error

	CreateSolutionVersion(ctx context.Context, in CreateSolutionVersionInput) (*SolutionVersion, error)
	DescribeSolutionVersion(ctx context.Context, arn string) (*SolutionVersion, error)
	ListSolutionVersions(ctx context.Context, solutionARN string, p Page) (versions []*SolutionVersion, next string, err error)
	StopSolutionVersionCreation(ctx context.Context, arn string) error
	GetSolutionMetrics(ctx context.Context, arn string) (map[string]float64, error)

	CreateCampaign(ctx context.Context, in CreateCampaignInput) (*Campaign, error)
	DescribeCampaign(ctx context.Context, arn string) (*Campaign, error)
	ListCampaigns(ctx context.Context, solutionARN string, p Page) (campaigns []*Campaign, next string, err error)
	UpdateCampaign(ctx context.Context, in UpdateCampaignInput) (*Campaign, error)
	DeleteCampaign(ctx context.Context, arn string) error
}

// RecommendationsInput is a GetRecommendations request.
type RecommendationsInput struct {
	CampaignARN     string
	RecommenderARN  string
	UserID          string
	ItemID          string
	NumResults      int // 0: DefaultRecommendations
	Context         map[string]string
	FilterARN       string
	FilterValues    map[string]string
	MetadataColumns map[string][]string
	Promotions      []Promotion
}

// Promotion promotes a share of the results that a filter selects.
type Promotion struct {
	Name                 string
	PercentPromotedItems int
	FilterARN            string
	FilterValues         map[string]string
}

// RankingInput is a GetPersonalizedRanking request.
type RankingInput struct {
	CampaignARN     string
	UserID          string
	InputList       []string
	Context         map[string]string
	FilterARN       string
	FilterValues    map[string]string
	MetadataColumns map[string][]string
}

// Recommendations is the runtime API's answer: items best first.
type Recommendations struct {
	Items            []RecommendedItem
	RecommendationID string
}

// RecommendedItem is one item of an answer. Score is nil where the
// recipe gives none.
type RecommendedItem struct {
	ItemID        string
	Score         *float64
	PromotionName string
	Metadata      map[string]string
	Reason        []string
}

// Runtime is the personalize-runtime API. Errors are *Error values:
// EInvalidInput, and EResourceNotFound for an unknown campaign or filter.
type Runtime interface {
	GetRecommendations(ctx context.Context, in RecommendationsInput) (*Recommendations, error)
	GetPersonalizedRanking(ctx context.Context, in RankingInput) (*Recommendations, error)
}
