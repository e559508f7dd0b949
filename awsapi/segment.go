package awsapi

import (
	"context"

	"github.com/perchdev/perch"
)

// segmentOps serves the batch segment jobs' control plane.
func (s *Server) segmentOps() map[string]controlOp {
	return map[string]controlOp{
		"CreateBatchSegmentJob":   op(s.createBatchSegmentJob),
		"DescribeBatchSegmentJob": op(s.describeBatchSegmentJob),
		"ListBatchSegmentJobs":    op(s.listBatchSegmentJobs),
	}
}

type createBatchSegmentJobInput struct {
	JobName, SolutionVersionArn, FilterArn, RoleArn string
	NumResults                                      int
	JobInput                                        perch.BatchInput
	JobOutput                                       perch.BatchOutput
	Tags                                            []perch.Tag
}

type createBatchSegmentJobOutput struct {
	ARN string `json:"batchSegmentJobArn"`
}

func (s *Server) createBatchSegmentJob(ctx context.Context, in createBatchSegmentJobInput) (createBatchSegmentJobOutput, error) {
	j, err := s.segments.CreateBatchSegmentJob(ctx, perch.CreateBatchSegmentJobInput{
		Name: in.JobName, SolutionVersionARN: in.SolutionVersionArn, FilterARN: in.FilterArn, NumResults: in.NumResults,
		Input: in.JobInput, Output: in.JobOutput, RoleARN: in.RoleArn, Tags: in.Tags,
	})
	if err != nil {
		return createBatchSegmentJobOutput{}, err
	}
	return createBatchSegmentJobOutput{j.ARN}, nil
}

// batchSegmentJob is DescribeBatchSegmentJob's BatchSegmentJob: the
// stored job without its tags.
type batchSegmentJob struct {
	Name               string            `json:"jobName"`
	ARN                string            `json:"batchSegmentJobArn"`
	FilterARN          string            `json:"filterArn,omitempty"`
	FailureReason      string            `json:"failureReason,omitempty"`
	SolutionVersionARN string            `json:"solutionVersionArn"`
	NumResults         int               `json:"numResults"`
	Input              perch.BatchInput  `json:"jobInput"`
	Output             perch.BatchOutput `json:"jobOutput"`
	RoleARN            string            `json:"roleArn"`
	Status             string            `json:"status"`
	Created            perch.Timestamp   `json:"creationDateTime"`
	Updated            perch.Timestamp   `json:"lastUpdatedDateTime"`
}

type describeBatchSegmentJobOutput struct {
	Job batchSegmentJob `json:"batchSegmentJob"`
}

func (s *Server) describeBatchSegmentJob(ctx context.Context, in struct{ BatchSegmentJobArn string }) (describeBatchSegmentJobOutput, error) {
	j, err := s.segments.DescribeBatchSegmentJob(ctx, in.BatchSegmentJobArn)
	if err != nil {
		return describeBatchSegmentJobOutput{}, err
	}
	return describeBatchSegmentJobOutput{batchSegmentJob{
		Name: j.Name, ARN: j.ARN, FilterARN: j.FilterARN, FailureReason: j.FailureReason, SolutionVersionARN: j.SolutionVersionARN,
		NumResults: j.NumResults, Input: j.Input, Output: j.Output, RoleARN: j.RoleARN, Status: j.Status,
		Created: j.Created, Updated: j.Updated,
	}}, nil
}

// batchSegmentJobSummary is ListBatchSegmentJobs' summary of a job.
type batchSegmentJobSummary struct {
	ARN                string          `json:"batchSegmentJobArn"`
	Name               string          `json:"jobName"`
	Status             string          `json:"status"`
	Created            perch.Timestamp `json:"creationDateTime"`
	Updated            perch.Timestamp `json:"lastUpdatedDateTime"`
	FailureReason      string          `json:"failureReason,omitempty"`
	SolutionVersionARN string          `json:"solutionVersionArn"`
}

func batchSegmentJobSummaryOf(j *perch.BatchSegmentJob) batchSegmentJobSummary {
	return batchSegmentJobSummary{j.ARN, j.Name, j.Status, j.Created, j.Updated, j.FailureReason, j.SolutionVersionARN}
}

type listBatchSegmentJobsInput struct {
	SolutionVersionArn, NextToken string
	MaxResults                    int
}

type listBatchSegmentJobsOutput struct {
	Jobs      []batchSegmentJobSummary `json:"batchSegmentJobs"`
	NextToken string                   `json:"nextToken,omitempty"`
}

func (s *Server) listBatchSegmentJobs(ctx context.Context, in listBatchSegmentJobsInput) (listBatchSegmentJobsOutput, error) {
	list, next, err := s.segments.ListBatchSegmentJobs(ctx, in.SolutionVersionArn, perch.Page{NextToken: in.NextToken, MaxResults: in.MaxResults})
	return listBatchSegmentJobsOutput{summaries(list, batchSegmentJobSummaryOf), next}, err
}
