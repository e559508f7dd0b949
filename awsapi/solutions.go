package awsapi

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/perchdev/perch"
)

// solutionOps serves the recommendation side's control plane: recipes,
// solutions, solution versions and campaigns.
func (s *Server) solutionOps() map[string]controlOp {
	return map[string]controlOp{
		"ListRecipes":                   op(s.listRecipes),
		"DescribeRecipe":                op(s.describeRecipe),
		"DescribeAlgorithm":             op(s.describeAlgorithm),
		"DescribeFeatureTransformation": op(s.describeFeatureTransformation),

		"CreateSolution":   op(s.createSolution),
		"DescribeSolution": op(s.describeSolution),
		"ListSolutions":    op(s.listSolutions),
		"UpdateSolution":   op(s.updateSolution),
		"DeleteSolution":   op(s.deleteSolution),

		"CreateSolutionVersion":       op(s.createSolutionVersion),
		"DescribeSolutionVersion":     op(s.describeSolutionVersion),
		"ListSolutionVersions":        op(s.listSolutionVersions),
		"StopSolutionVersionCreation": op(s.stopSolutionVersionCreation),
		"GetSolutionMetrics":          op(s.getSolutionMetrics),

		"CreateCampaign":   op(s.createCampaign),
		"DescribeCampaign": op(s.describeCampaign),
		"ListCampaigns":    op(s.listCampaigns),
		"UpdateCampaign":   op(s.updateCampaign),
		"DeleteCampaign":   op(s.deleteCampaign),
	}
}

// listBySolutionInput is the input of the lists under a solution.
type listBySolutionInput struct {
	SolutionArn, NextToken string
	MaxResults             int
}

func (in listBySolutionInput) page() perch.Page {
	return perch.Page{NextToken: in.NextToken, MaxResults: in.MaxResults}
}

// Recipes.

// listRecipesInput has recipeProvider too, whose only value, SERVICE,
// names the recipes perch has.
type listRecipesInput struct {
	RecipeProvider, NextToken, Domain string
	MaxResults                        int
}

type listRecipesOutput struct {
	Recipes   []recipeSummary `json:"recipes"`
	NextToken string          `json:"nextToken,omitempty"`
}

func (s *Server) listRecipes(ctx context.Context, in listRecipesInput) (listRecipesOutput, error) {
	list, next, err := s.solutions.ListRecipes(ctx, in.Domain, perch.Page{NextToken: in.NextToken, MaxResults: in.MaxResults})
	return listRecipesOutput{summaries(list, recipeSummaryOf), next}, err
}

type describeRecipeOutput struct {
	Recipe recipe `json:"recipe"`
}

func (s *Server) describeRecipe(ctx context.Context, in struct{ RecipeArn string }) (describeRecipeOutput, error) {
	r, err := s.solutions.DescribeRecipe(ctx, in.RecipeArn)
	if err != nil {
		return describeRecipeOutput{}, err
	}
	return describeRecipeOutput{recipeOf(r)}, nil
}

// Solutions.

type createSolutionInput struct {
	Name, RecipeArn, DatasetGroupArn, EventType string
	PerformHPO, PerformAutoML                   bool
	// nil when absent, for the service to apply AWS's default (true).
	PerformAutoTraining      *bool
	PerformIncrementalUpdate bool
	SolutionConfig           perch.SolutionConfig
	Tags                     []perch.Tag
}

type solutionARNOutput struct {
	ARN string `json:"solutionArn"`
}

func (s *Server) createSolution(ctx context.Context, in createSolutionInput) (solutionARNOutput, error) {
	config := in.SolutionConfig
	config.HPOConfig = absentIfNull(config.HPOConfig)
	config.AutoMLConfig = absentIfNull(config.AutoMLConfig)
	sol, err := s.solutions.CreateSolution(ctx, perch.CreateSolutionInput{
		Name: in.Name, GroupARN: in.DatasetGroupArn, RecipeARN: in.RecipeArn, EventType: in.EventType,
		PerformHPO: in.PerformHPO, PerformAutoML: in.PerformAutoML, PerformAutoTraining: in.PerformAutoTraining,
		PerformIncrementalUpdate: in.PerformIncrementalUpdate, Config: config, Tags: in.Tags,
	})
	if err != nil {
		return solutionARNOutput{}, err
	}
	return solutionARNOutput{sol.ARN}, nil
}

// absentIfNull returns nil for a member sent as null, which the model
// counts as absent but encoding/json keeps in a json.RawMessage.
func absentIfNull(raw json.RawMessage) json.RawMessage {
	if bytes.Equal(raw, []byte("null")) {
		return nil
	}
	return raw
}

type describeSolutionOutput struct {
	Solution solution `json:"solution"`
}

func (s *Server) describeSolution(ctx context.Context, in struct{ SolutionArn string }) (describeSolutionOutput, error) {
	sol, latest, err := s.solutions.DescribeSolution(ctx, in.SolutionArn)
	if err != nil {
		return describeSolutionOutput{}, err
	}
	return describeSolutionOutput{solutionOf(sol, latest)}, nil
}

type listSolutionsOutput struct {
	Solutions []solutionSummary `json:"solutions"`
	NextToken string            `json:"nextToken,omitempty"`
}

func (s *Server) listSolutions(ctx context.Context, in listInput) (listSolutionsOutput, error) {
	list, next, err := s.solutions.ListSolutions(ctx, in.DatasetGroupArn, in.page())
	return listSolutionsOutput{summaries(list, solutionSummaryOf), next}, err
}

type updateSolutionInput struct {
	SolutionArn                                   string
	PerformAutoTraining, PerformIncrementalUpdate *bool
	SolutionUpdateConfig                          struct {
		AutoTrainingConfig *perch.AutoTrainingConfig
		EventsConfig       *perch.EventsConfig
	}
}

func (s *Server) updateSolution(ctx context.Context, in updateSolutionInput) (solutionARNOutput, error) {
	sol, err := s.solutions.UpdateSolution(ctx, perch.UpdateSolutionInput{
		SolutionARN: in.SolutionArn, PerformAutoTraining: in.PerformAutoTraining, PerformIncrementalUpdate: in.PerformIncrementalUpdate,
		AutoTrainingConfig: in.SolutionUpdateConfig.AutoTrainingConfig, EventsConfig: in.SolutionUpdateConfig.EventsConfig,
	})
	if err != nil {
		return solutionARNOutput{}, err
	}
	return solutionARNOutput{sol.ARN}, nil
}

func (s *Server) deleteSolution(ctx context.Context, in struct{ SolutionArn string }) (empty, error) {
	return empty{}, s.solutions.DeleteSolution(ctx, in.SolutionArn)
}

// Solution versions.

type createSolutionVersionInput struct {
	Name, SolutionArn, TrainingMode string
	Tags                            []perch.Tag
}

type createSolutionVersionOutput struct {
	ARN string `json:"solutionVersionArn"`
}

func (s *Server) createSolutionVersion(ctx context.Context, in createSolutionVersionInput) (createSolutionVersionOutput, error) {
	v, err := s.solutions.CreateSolutionVersion(ctx, perch.CreateSolutionVersionInput{
		Name: in.Name, SolutionARN: in.SolutionArn, TrainingMode: in.TrainingMode, Tags: in.Tags,
	})
	if err != nil {
		return createSolutionVersionOutput{}, err
	}
	return createSolutionVersionOutput{v.ARN}, nil
}

type describeSolutionVersionOutput struct {
	SolutionVersion solutionVersion `json:"solutionVersion"`
}

func (s *Server) describeSolutionVersion(ctx context.Context, in struct{ SolutionVersionArn string }) (describeSolutionVersionOutput, error) {
	v, err := s.solutions.DescribeSolutionVersion(ctx, in.SolutionVersionArn)
	if err != nil {
		return describeSolutionVersionOutput{}, err
	}
	return describeSolutionVersionOutput{solutionVersionOf(v)}, nil
}

type listSolutionVersionsOutput struct {
	SolutionVersions []solutionVersionSummary `json:"solutionVersions"`
	NextToken        string                   `json:"nextToken,omitempty"`
}

func (s *Server) listSolutionVersions(ctx context.Context, in listBySolutionInput) (listSolutionVersionsOutput, error) {
	list, next, err := s.solutions.ListSolutionVersions(ctx, in.SolutionArn, in.page())
	return listSolutionVersionsOutput{summaries(list, solutionVersionSummaryOf), next}, err
}

func (s *Server) stopSolutionVersionCreation(ctx context.Context, in struct{ SolutionVersionArn string }) (empty, error) {
	return empty{}, s.solutions.StopSolutionVersionCreation(ctx, in.SolutionVersionArn)
}

type getSolutionMetricsOutput struct {
	ARN     string            `json:"solutionVersionArn"`
	Metrics map[string]double `json:"metrics,omitempty"`
}

func (s *Server) getSolutionMetrics(ctx context.Context, in struct{ SolutionVersionArn string }) (getSolutionMetricsOutput, error) {
	metrics, err := s.solutions.GetSolutionMetrics(ctx, in.SolutionVersionArn)
	if err != nil {
		return getSolutionMetricsOutput{}, err
	}
	out := getSolutionMetricsOutput{ARN: in.SolutionVersionArn, Metrics: make(map[string]double, len(metrics))}
	for k, v := range metrics {
		out.Metrics[k] = double(v)
	}
	return out, nil
}

// double is a Smithy double in an answer encoded by encoding/json, which
// cannot write the values JSON has no number for.
type double float64

func (d double) MarshalJSON() ([]byte, error) { return appendDouble(nil, float64(d)), nil }

// Campaigns.

type createCampaignInput struct {
	Name, SolutionVersionArn string
	// 0 when absent: the model's minimum is 1.
	MinProvisionedTPS int
	CampaignConfig    *perch.CampaignConfig
	Tags              []perch.Tag
}

type campaignARNOutput struct {
	ARN string `json:"campaignArn"`
}

func (s *Server) createCampaign(ctx context.Context, in createCampaignInput) (campaignARNOutput, error) {
	c, err := s.solutions.CreateCampaign(ctx, perch.CreateCampaignInput{
		Name: in.Name, SolutionVersionARN: in.SolutionVersionArn, MinProvisionedTPS: in.MinProvisionedTPS,
		Config: in.CampaignConfig, Tags: in.Tags,
	})
	if err != nil {
		return campaignARNOutput{}, err
	}
	return campaignARNOutput{c.ARN}, nil
}

type describeCampaignOutput struct {
	Campaign campaign `json:"campaign"`
}

func (s *Server) describeCampaign(ctx context.Context, in struct{ CampaignArn string }) (describeCampaignOutput, error) {
	c, err := s.solutions.DescribeCampaign(ctx, in.CampaignArn)
	if err != nil {
		return describeCampaignOutput{}, err
	}
	return describeCampaignOutput{campaignOf(c)}, nil
}

type listCampaignsOutput struct {
	Campaigns []campaignSummary `json:"campaigns"`
	NextToken string            `json:"nextToken,omitempty"`
}

func (s *Server) listCampaigns(ctx context.Context, in listBySolutionInput) (listCampaignsOutput, error) {
	list, next, err := s.solutions.ListCampaigns(ctx, in.SolutionArn, in.page())
	return listCampaignsOutput{summaries(list, campaignSummaryOf), next}, err
}

type updateCampaignInput struct {
	CampaignArn, SolutionVersionArn string
	MinProvisionedTPS               *int
	CampaignConfig                  *perch.CampaignConfig
}

func (s *Server) updateCampaign(ctx context.Context, in updateCampaignInput) (campaignARNOutput, error) {
	c, err := s.solutions.UpdateCampaign(ctx, perch.UpdateCampaignInput{
		CampaignARN: in.CampaignArn, SolutionVersionARN: in.SolutionVersionArn, MinProvisionedTPS: in.MinProvisionedTPS,
		Config: in.CampaignConfig,
	})
	if err != nil {
		return campaignARNOutput{}, err
	}
	return campaignARNOutput{c.ARN}, nil
}

func (s *Server) deleteCampaign(ctx context.Context, in struct{ CampaignArn string }) (empty, error) {
	return empty{}, s.solutions.DeleteCampaign(ctx, in.CampaignArn)
}

// The recommendation side's resources in the model's shapes, members in
// model order. They leave out what perch keeps for itself (a version's
// metrics, a campaign's solution and group, tags) and what perch does not
// compute (a solution's autoMLResult, a version's tunedHPOParams).

type recipeSummary struct {
	Name    string          `json:"name"`
	ARN     string          `json:"recipeArn"`
	Status  string          `json:"status"`
	Created perch.Timestamp `json:"creationDateTime"`
	Updated perch.Timestamp `json:"lastUpdatedDateTime"`
	Domain  string          `json:"domain,omitempty"`
}

func recipeSummaryOf(r *perch.Recipe) recipeSummary {
	return recipeSummary{r.Name, r.ARN, r.Status, r.Created, r.Updated, r.Domain}
}

type recipe struct {
	Name                     string          `json:"name"`
	ARN                      string          `json:"recipeArn"`
	AlgorithmARN             string          `json:"algorithmArn,omitempty"`
	FeatureTransformationARN string          `json:"featureTransformationArn,omitempty"`
	Status                   string          `json:"status"`
	Description              string          `json:"description,omitempty"`
	Created                  perch.Timestamp `json:"creationDateTime"`
	RecipeType               string          `json:"recipeType,omitempty"`
	Updated                  perch.Timestamp `json:"lastUpdatedDateTime"`
}

func recipeOf(r *perch.Recipe) recipe {
	return recipe{r.Name, r.ARN, r.AlgorithmARN, r.FeatureTransformationARN, r.Status, r.Description, r.Created, r.RecipeType, r.Updated}
}

type solution struct {
	Name                     string                  `json:"name"`
	ARN                      string                  `json:"solutionArn"`
	PerformHPO               bool                    `json:"performHPO"`
	PerformAutoML            bool                    `json:"performAutoML"`
	PerformAutoTraining      bool                    `json:"performAutoTraining"`
	PerformIncrementalUpdate bool                    `json:"performIncrementalUpdate"`
	RecipeARN                string                  `json:"recipeArn,omitempty"`
	GroupARN                 string                  `json:"datasetGroupArn"`
	EventType                string                  `json:"eventType,omitempty"`
	Config                   perch.SolutionConfig    `json:"solutionConfig"`
	Status                   string                  `json:"status"`
	Created                  perch.Timestamp         `json:"creationDateTime"`
	Updated                  perch.Timestamp         `json:"lastUpdatedDateTime"`
	LatestVersion            *solutionVersionSummary `json:"latestSolutionVersion,omitempty"`
	LatestUpdate             *solutionUpdateSummary  `json:"latestSolutionUpdate,omitempty"`
}

func solutionOf(s *perch.Solution, latest *perch.SolutionVersion) solution {
	out := solution{
		Name: s.Name, ARN: s.ARN, PerformHPO: s.PerformHPO, PerformAutoML: s.PerformAutoML,
		PerformAutoTraining: s.PerformAutoTraining, PerformIncrementalUpdate: s.PerformIncrementalUpdate,
		RecipeARN: s.RecipeARN, GroupARN: s.GroupARN, EventType: s.EventType, Config: s.Config,
		Status: s.Status, Created: s.Created, Updated: s.Updated,
	}
	if latest != nil {
		summary := solutionVersionSummaryOf(latest)
		out.LatestVersion = &summary
	}
	if u := s.LatestUpdate; u != nil {
		out.LatestUpdate = &solutionUpdateSummary{
			Config:                   solutionUpdateConfig{u.AutoTrainingConfig, u.EventsConfig},
			Status:                   u.Status,
			PerformAutoTraining:      u.PerformAutoTraining,
			PerformIncrementalUpdate: u.PerformIncrementalUpdate,
			Created:                  u.Created,
			Updated:                  u.Updated,
			FailureReason:            u.FailureReason,
		}
	}
	return out
}

type solutionUpdateConfig struct {
	AutoTrainingConfig *perch.AutoTrainingConfig `json:"autoTrainingConfig,omitempty"`
	EventsConfig       *perch.EventsConfig       `json:"eventsConfig,omitempty"`
}

type solutionUpdateSummary struct {
	Config                   solutionUpdateConfig `json:"solutionUpdateConfig"`
	Status                   string               `json:"status"`
	PerformAutoTraining      bool                 `json:"performAutoTraining"`
	PerformIncrementalUpdate bool                 `json:"performIncrementalUpdate"`
	Created                  perch.Timestamp      `json:"creationDateTime"`
	Updated                  perch.Timestamp      `json:"lastUpdatedDateTime"`
	FailureReason            string               `json:"failureReason,omitempty"`
}

type solutionSummary struct {
	Name      string          `json:"name"`
	ARN       string          `json:"solutionArn"`
	Status    string          `json:"status"`
	Created   perch.Timestamp `json:"creationDateTime"`
	Updated   perch.Timestamp `json:"lastUpdatedDateTime"`
	RecipeARN string          `json:"recipeArn,omitempty"`
}

func solutionSummaryOf(s *perch.Solution) solutionSummary {
	return solutionSummary{s.Name, s.ARN, s.Status, s.Created, s.Updated, s.RecipeARN}
}

type solutionVersion struct {
	Name                     string               `json:"name,omitempty"`
	ARN                      string               `json:"solutionVersionArn"`
	SolutionARN              string               `json:"solutionArn"`
	PerformHPO               bool                 `json:"performHPO"`
	PerformAutoML            bool                 `json:"performAutoML"`
	PerformIncrementalUpdate bool                 `json:"performIncrementalUpdate"`
	RecipeARN                string               `json:"recipeArn,omitempty"`
	EventType                string               `json:"eventType,omitempty"`
	GroupARN                 string               `json:"datasetGroupArn"`
	Config                   perch.SolutionConfig `json:"solutionConfig"`
	TrainingHours            *double              `json:"trainingHours,omitempty"`
	TrainingMode             string               `json:"trainingMode,omitempty"`
	Status                   string               `json:"status"`
	FailureReason            string               `json:"failureReason,omitempty"`
	Created                  perch.Timestamp      `json:"creationDateTime"`
	Updated                  perch.Timestamp      `json:"lastUpdatedDateTime"`
	TrainingType             string               `json:"trainingType,omitempty"`
	TunedHPOParams           *tunedHPOParams      `json:"tunedHPOParams,omitempty"`
}

type tunedHPOParams struct {
	AlgorithmHyperParameters map[string]string `json:"algorithmHyperParameters"`
}

func solutionVersionOf(v *perch.SolutionVersion) solutionVersion {
	out := solutionVersion{
		Name: v.Name, ARN: v.ARN, SolutionARN: v.SolutionARN, PerformHPO: v.PerformHPO, PerformAutoML: v.PerformAutoML,
		PerformIncrementalUpdate: v.PerformIncrementalUpdate, RecipeARN: v.RecipeARN, EventType: v.EventType,
		GroupARN: v.GroupARN, Config: v.Config, TrainingMode: v.TrainingMode, Status: v.Status,
		FailureReason: v.FailureReason, Created: v.Created, Updated: v.Updated, TrainingType: v.TrainingType,
	}
	if v.TrainingHours != nil {
		h := double(*v.TrainingHours)
		out.TrainingHours = &h
	}
	if v.TunedHPOParams != nil {
		out.TunedHPOParams = &tunedHPOParams{v.TunedHPOParams}
	}
	return out
}

type solutionVersionSummary struct {
	ARN           string          `json:"solutionVersionArn"`
	Status        string          `json:"status"`
	TrainingMode  string          `json:"trainingMode,omitempty"`
	TrainingType  string          `json:"trainingType,omitempty"`
	Created       perch.Timestamp `json:"creationDateTime"`
	Updated       perch.Timestamp `json:"lastUpdatedDateTime"`
	FailureReason string          `json:"failureReason,omitempty"`
}

func solutionVersionSummaryOf(v *perch.SolutionVersion) solutionVersionSummary {
	return solutionVersionSummary{v.ARN, v.Status, v.TrainingMode, v.TrainingType, v.Created, v.Updated, v.FailureReason}
}

type campaign struct {
	Name               string                 `json:"name"`
	ARN                string                 `json:"campaignArn"`
	SolutionVersionARN string                 `json:"solutionVersionArn"`
	MinProvisionedTPS  int                    `json:"minProvisionedTPS"`
	Config             campaignConfig         `json:"campaignConfig"`
	Status             string                 `json:"status"`
	FailureReason      string                 `json:"failureReason,omitempty"`
	Created            perch.Timestamp        `json:"creationDateTime"`
	Updated            perch.Timestamp        `json:"lastUpdatedDateTime"`
	LatestUpdate       *campaignUpdateSummary `json:"latestCampaignUpdate,omitempty"`
}

func campaignOf(c *perch.Campaign) campaign {
	out := campaign{
		Name: c.Name, ARN: c.ARN, SolutionVersionARN: c.SolutionVersionARN, MinProvisionedTPS: c.MinProvisionedTPS,
		Config: campaignConfigOf(c.Config), Status: c.Status, FailureReason: c.FailureReason, Created: c.Created, Updated: c.Updated,
	}
	if u := c.LatestUpdate; u != nil {
		out.LatestUpdate = &campaignUpdateSummary{
			SolutionVersionARN: u.SolutionVersionARN, MinProvisionedTPS: u.MinProvisionedTPS, Config: campaignConfigOf(u.Config),
			Status: u.Status, FailureReason: u.FailureReason, Created: u.Created, Updated: u.Updated,
		}
	}
	return out
}

// campaignConfig is perch.CampaignConfig with its ranking weights written
// as Smithy doubles.
type campaignConfig struct {
	ItemExplorationConfig             map[string]string `json:"itemExplorationConfig,omitempty"`
	EnableMetadataWithRecommendations bool              `json:"enableMetadataWithRecommendations"`
	SyncWithLatestSolutionVersion     bool              `json:"syncWithLatestSolutionVersion"`
	RankingInfluence                  map[string]double `json:"rankingInfluence,omitempty"`
}

func campaignConfigOf(c perch.CampaignConfig) campaignConfig {
	out := campaignConfig{
		ItemExplorationConfig:             c.ItemExplorationConfig,
		EnableMetadataWithRecommendations: c.EnableMetadataWithRecommendations,
		SyncWithLatestSolutionVersion:     c.SyncWithLatestSolutionVersion,
	}
	if c.RankingInfluence != nil {
		out.RankingInfluence = make(map[string]double, len(c.RankingInfluence))
		for k, v := range c.RankingInfluence {
			out.RankingInfluence[k] = double(v)
		}
	}
	return out
}

type campaignUpdateSummary struct {
	SolutionVersionARN string          `json:"solutionVersionArn,omitempty"`
	MinProvisionedTPS  int             `json:"minProvisionedTPS,omitempty"`
	Config             campaignConfig  `json:"campaignConfig"`
	Status             string          `json:"status"`
	FailureReason      string          `json:"failureReason,omitempty"`
	Created            perch.Timestamp `json:"creationDateTime"`
	Updated            perch.Timestamp `json:"lastUpdatedDateTime"`
}

type campaignSummary struct {
	Name          string          `json:"name"`
	ARN           string          `json:"campaignArn"`
	Status        string          `json:"status"`
	Created       perch.Timestamp `json:"creationDateTime"`
	Updated       perch.Timestamp `json:"lastUpdatedDateTime"`
	FailureReason string          `json:"failureReason,omitempty"`
}

func campaignSummaryOf(c *perch.Campaign) campaignSummary {
	return campaignSummary{c.Name, c.ARN, c.Status, c.Created, c.Updated, c.FailureReason}
}
