package awsapi

import (
	"context"
	"encoding/json"

	"github.com/perchdev/perch"
)

// batchOps serves the batch inference jobs' control plane.
func (s *Server) batchOps() map[string]controlOp {
	return map[string]controlOp{
		"CreateBatchInferenceJob":   op(s.createBatchInferenceJob),
		"DescribeBatchInferenceJob": op(s.describeBatchInferenceJob),
		"ListBatchInferenceJobs":    op(s.listBatchInferenceJobs),
	}
}

type createBatchInferenceJobInput struct {
	JobName, SolutionVersionArn, FilterArn, RoleArn, BatchInferenceJobMode string
	NumResults                                                             int
	JobInput                                                               perch.BatchInput
	JobOutput                                                              perch.BatchOutput
	BatchInferenceJobConfig                                                *perch.BatchInferenceJobConfig
	ThemeGenerationConfig                                                  json.RawMessage
	Tags                                                                   []perch.Tag
}

type createBatchInferenceJobOutput struct {
	ARN string `json:"batchInferenceJobArn"`
}

func (s *Server) createBatchInferenceJob(ctx context.Context, in createBatchInferenceJobInput) (createBatchInferenceJobOutput, error) {
	j, err := s.batch.CreateBatchInferenceJob(ctx, perch.CreateBatchInferenceJobInput{
		Name: in.JobName, SolutionVersionARN: in.SolutionVersionArn, FilterARN: in.FilterArn, NumResults: in.NumResults,
		Input: in.JobInput, Output: in.JobOutput, RoleARN: in.RoleArn, Config: in.BatchInferenceJobConfig,
		Mode: in.BatchInferenceJobMode, ThemeGeneration: in.ThemeGenerationConfig != nil, Tags: in.Tags,
	})
	if err != nil {
		return createBatchInferenceJobOutput{}, err
	}
	return createBatchInferenceJobOutput{j.ARN}, nil
}

// batchInferenceJob is DescribeBatchInferenceJob's BatchInferenceJob: the
// stored job without its tags, which only ListTagsForResource shows.
type batchInferenceJob struct {
	Name               string                         `json:"jobName"`
	ARN                string                         `json:"batchInferenceJobArn"`
	FilterARN          string                         `json:"filterArn,omitempty"`
	FailureReason      string                         `json:"failureReason,omitempty"`
	SolutionVersionARN string                         `json:"solutionVersionArn"`
	NumResults         int                            `json:"numResults"`
	Input              perch.BatchInput               `json:"jobInput"`
	Output             perch.BatchOutput              `json:"jobOutput"`
	Config             *perch.BatchInferenceJobConfig `json:"batchInferenceJobConfig,omitempty"`
	RoleARN            string                         `json:"roleArn"`
	Mode               string                         `json:"batchInferenceJobMode"`
	Status             string                         `json:"status"`
	Created            perch.Timestamp                `json:"creationDateTime"`
	Updated            perch.Timestamp                `json:"lastUpdatedDateTime"`
}

type describeBatchInferenceJobOutput struct {
	Job batchInferenceJob `json:"batchInferenceJob"`
}

func (s *Server) describeBatchInferenceJob(ctx context.Context, in struct{ BatchInferenceJobArn string }) (describeBatchInferenceJobOutput, error) {
	j, err := s.batch.DescribeBatchInferenceJob(ctx, in.BatchInferenceJobArn)
	if err != nil {
		return describeBatchInferenceJobOutput{}, err
	}
	return describeBatchInferenceJobOutput{batchInferenceJob{
		Name: j.Name, ARN: j.ARN, FilterARN: j.FilterARN, FailureReason: j.FailureReason, SolutionVersionARN: j.SolutionVersionARN,
		NumResults: j.NumResults, Input: j.Input, Output: j.Output, Config: j.Config, RoleARN: j.RoleARN, Mode: j.Mode,
		Status: j.Status, Created: j.Created, Updated: j.Updated,
	}}, nil
}

// batchInferenceJobSummary is ListBatchInferenceJobs' summary of a job.
type batchInferenceJobSummary struct {
	ARN                string          `json:"batchInferenceJobArn"`
	Name               string          `json:"jobName"`
	Status             string          `json:"status"`
	Created            perch.Timestamp `json:"creationDateTime"`
	Updated            perch.Timestamp `json:"lastUpdatedDateTime"`
	FailureReason      string          `json:"failureReason,omitempty"`
	SolutionVersionARN string          `json:"solutionVersionArn"`
	Mode               string          `json:"batchInferenceJobMode"`
}

func batchInferenceJobSummaryOf(j *perch.BatchInferenceJob) batchInferenceJobSummary {
	return batchInferenceJobSummary{j.ARN, j.Name, j.Status, j.Created, j.Updated, j.FailureReason, j.SolutionVersionARN, j.Mode}
}

type listBatchInferenceJobsInput struct {
	SolutionVersionArn, NextToken string
	MaxResults                    int
}

type listBatchInferenceJobsOutput struct {
	Jobs      []batchInferenceJobSummary `json:"batchInferenceJobs"`
	NextToken string                     `json:"nextToken,omitempty"`
}

func (s *Server) listBatchInferenceJobs(ctx context.Context, in listBatchInferenceJobsInput) (listBatchInferenceJobsOutput, error) {
	list, next, err := s.batch.ListBatchInferenceJobs(ctx, in.SolutionVersionArn, perch.Page{NextToken: in.NextToken, MaxResults: in.MaxResults})
	return listBatchInferenceJobsOutput{summaries(list, batchInferenceJobSummaryOf), next}, err
}
