package awsapi

import (
	"context"

	"github.com/perchdev/perch"
)

// recommenderOps serves the domain recommenders' control plane.
func (s *Server) recommenderOps() map[string]controlOp {
	return map[string]controlOp{
		"CreateRecommender":   op(s.createRecommender),
		"DescribeRecommender": op(s.describeRecommender),
		"ListRecommenders":    op(s.listRecommenders),
		"UpdateRecommender":   op(s.updateRecommender),
		"DeleteRecommender":   op(s.deleteRecommender),
		"StartRecommender":    op(s.startRecommender),
		"StopRecommender":     op(s.stopRecommender),
	}
}

type createRecommenderInput struct {
	Name, DatasetGroupArn, RecipeArn string
	RecommenderConfig                *perch.RecommenderConfig
	Tags                             []perch.Tag
}

type recommenderARNOutput struct {
	ARN string `json:"recommenderArn"`
}

func arnOutput(r *perch.Recommender, err error) (recommenderARNOutput, error) {
	if err != nil {
		return recommenderARNOutput{}, err
	}
	return recommenderARNOutput{r.ARN}, nil
}

func (s *Server) createRecommender(ctx context.Context, in createRecommenderInput) (recommenderARNOutput, error) {
	return arnOutput(s.recommenders.CreateRecommender(ctx, perch.CreateRecommenderInput{
		Name: in.Name, GroupARN: in.DatasetGroupArn, RecipeARN: in.RecipeArn, Config: in.RecommenderConfig, Tags: in.Tags}))
}

type recommender struct {
	ARN           string                   `json:"recommenderArn"`
	GroupARN      string                   `json:"datasetGroupArn"`
	Name          string                   `json:"name"`
	RecipeARN     string                   `json:"recipeArn"`
	Config        perch.RecommenderConfig  `json:"recommenderConfig"`
	Created       perch.Timestamp          `json:"creationDateTime"`
	Updated       perch.Timestamp          `json:"lastUpdatedDateTime"`
	Status        string                   `json:"status"`
	FailureReason string                   `json:"failureReason,omitempty"`
	LatestUpdate  *perch.RecommenderUpdate `json:"latestRecommenderUpdate,omitempty"`
	ModelMetrics  map[string]float64       `json:"modelMetrics,omitempty"`
}

type describeRecommenderOutput struct {
	Recommender recommender `json:"recommender"`
}

func (s *Server) describeRecommender(ctx context.Context, in struct{ RecommenderArn string }) (describeRecommenderOutput, error) {
	r, err := s.recommenders.DescribeRecommender(ctx, in.RecommenderArn)
	if err != nil {
		return describeRecommenderOutput{}, err
	}
	return describeRecommenderOutput{recommender{r.ARN, r.GroupARN, r.Name, r.RecipeARN, r.Config, r.Created, r.Updated,
		r.Status, r.FailureReason, r.LatestUpdate, r.ModelMetrics}}, nil
}

type recommenderSummary struct {
	Name      string                  `json:"name"`
	ARN       string                  `json:"recommenderArn"`
	GroupARN  string                  `json:"datasetGroupArn"`
	RecipeARN string                  `json:"recipeArn"`
	Config    perch.RecommenderConfig `json:"recommenderConfig"`
	Status    string                  `json:"status"`
	Created   perch.Timestamp         `json:"creationDateTime"`
	Updated   perch.Timestamp         `json:"lastUpdatedDateTime"`
}

type listRecommendersInput struct {
	DatasetGroupArn, NextToken string
	MaxResults                 int
}

type listRecommendersOutput struct {
	Recommenders []recommenderSummary `json:"recommenders"`
	NextToken    string               `json:"nextToken,omitempty"`
}

func (s *Server) listRecommenders(ctx context.Context, in listRecommendersInput) (listRecommendersOutput, error) {
	list, next, err := s.recommenders.ListRecommenders(ctx, in.DatasetGroupArn, perch.Page{NextToken: in.NextToken, MaxResults: in.MaxResults})
	return listRecommendersOutput{summaries(list, func(r *perch.Recommender) recommenderSummary {
		return recommenderSummary{r.Name, r.ARN, r.GroupARN, r.RecipeARN, r.Config, r.Status, r.Created, r.Updated}
	}), next}, err
}

type updateRecommenderInput struct {
	RecommenderArn    string
	RecommenderConfig perch.RecommenderConfig
}

func (s *Server) updateRecommender(ctx context.Context, in updateRecommenderInput) (recommenderARNOutput, error) {
	return arnOutput(s.recommenders.UpdateRecommender(ctx, in.RecommenderArn, in.RecommenderConfig))
}

func (s *Server) deleteRecommender(ctx context.Context, in struct{ RecommenderArn string }) (empty, error) {
	return empty{}, s.recommenders.DeleteRecommender(ctx, in.RecommenderArn)
}

func (s *Server) startRecommender(ctx context.Context, in struct{ RecommenderArn string }) (recommenderARNOutput, error) {
	return arnOutput(s.recommenders.StartRecommender(ctx, in.RecommenderArn))
}

func (s *Server) stopRecommender(ctx context.Context, in struct{ RecommenderArn string }) (recommenderARNOutput, error) {
	return arnOutput(s.recommenders.StopRecommender(ctx, in.RecommenderArn))
}
