package awsapi

import (
	"context"

	"github.com/perchdev/perch"
)

// filterOps serves the filters' control plane.
func (s *Server) filterOps() map[string]controlOp {
	return map[string]controlOp{
		"CreateFilter":   op(s.createFilter),
		"DescribeFilter": op(s.describeFilter),
		"ListFilters":    op(s.listFilters),
		"DeleteFilter":   op(s.deleteFilter),
	}
}

type createFilterInput struct {
	Name, DatasetGroupArn, FilterExpression string
	Tags                                    []perch.Tag
}

type filterARNOutput struct {
	ARN string `json:"filterArn"`
}

func (s *Server) createFilter(ctx context.Context, in createFilterInput) (filterARNOutput, error) {
	f, err := s.filters.CreateFilter(ctx, perch.CreateFilterInput{
		Name: in.Name, GroupARN: in.DatasetGroupArn, Expression: in.FilterExpression, Tags: in.Tags,
	})
	if err != nil {
		return filterARNOutput{}, err
	}
	return filterARNOutput{f.ARN}, nil
}

// filter is DescribeFilter's Filter: the stored filter without its tags,
// which only ListTagsForResource shows.
type filter struct {
	Name          string          `json:"name"`
	ARN           string          `json:"filterArn"`
	Created       perch.Timestamp `json:"creationDateTime"`
	Updated       perch.Timestamp `json:"lastUpdatedDateTime"`
	GroupARN      string          `json:"datasetGroupArn"`
	FailureReason string          `json:"failureReason,omitempty"`
	Expression    string          `json:"filterExpression"`
	Status        string          `json:"status"`
}

type describeFilterOutput struct {
	Filter filter `json:"filter"`
}

func (s *Server) describeFilter(ctx context.Context, in struct{ FilterArn string }) (describeFilterOutput, error) {
	f, err := s.filters.DescribeFilter(ctx, in.FilterArn)
	if err != nil {
		return describeFilterOutput{}, err
	}
	return describeFilterOutput{filter{f.Name, f.ARN, f.Created, f.Updated, f.GroupARN, f.FailureReason, f.Expression, f.Status}}, nil
}

// filterSummary is ListFilters' FilterSummary: no expression.
type filterSummary struct {
	Name          string          `json:"name"`
	ARN           string          `json:"filterArn"`
	Created       perch.Timestamp `json:"creationDateTime"`
	Updated       perch.Timestamp `json:"lastUpdatedDateTime"`
	GroupARN      string          `json:"datasetGroupArn"`
	FailureReason string          `json:"failureReason,omitempty"`
	Status        string          `json:"status"`
}

func filterSummaryOf(f *perch.Filter) filterSummary {
	return filterSummary{f.Name, f.ARN, f.Created, f.Updated, f.GroupARN, f.FailureReason, f.Status}
}

// listFiltersOutput's list is "Filters", capitalised, as the model names
// it: unlike every other list of the API.
type listFiltersOutput struct {
	Filters   []filterSummary `json:"Filters"`
	NextToken string          `json:"nextToken,omitempty"`
}

type listFiltersInput struct {
	DatasetGroupArn, NextToken string
	MaxResults                 int
}

func (s *Server) listFilters(ctx context.Context, in listFiltersInput) (listFiltersOutput, error) {
	list, next, err := s.filters.ListFilters(ctx, in.DatasetGroupArn, perch.Page{NextToken: in.NextToken, MaxResults: in.MaxResults})
	return listFiltersOutput{summaries(list, filterSummaryOf), next}, err
}

func (s *Server) deleteFilter(ctx context.Context, in struct{ FilterArn string }) (empty, error) {
	return empty{}, s.filters.DeleteFilter(ctx, in.FilterArn)
}
