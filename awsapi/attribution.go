package awsapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/awsapi/model"
)

// attributionOps serves the metric attributions' control plane.
func (s *Server) attributionOps() map[string]controlOp {
	return map[string]controlOp{
		"CreateMetricAttribution":      op(s.createMetricAttribution),
		"DescribeMetricAttribution":    op(s.describeMetricAttribution),
		"ListMetricAttributions":       op(s.listMetricAttributions),
		"ListMetricAttributionMetrics": op(s.listMetricAttributionMetrics),
		"UpdateMetricAttribution":      op(s.updateMetricAttribution),
		"DeleteMetricAttribution":      op(s.deleteMetricAttribution),
	}
}

type createMetricAttributionInput struct {
	Name, DatasetGroupArn string
	Metrics               []perch.MetricAttribute
	MetricsOutputConfig   perch.MetricAttributionOutput
}

type attributionARNOutput struct {
	ARN string `json:"metricAttributionArn"`
}

func (s *Server) createMetricAttribution(ctx context.Context, in createMetricAttributionInput) (attributionARNOutput, error) {
	m, err := s.attributions.CreateMetricAttribution(ctx, perch.CreateMetricAttributionInput{
		Name: in.Name, GroupARN: in.DatasetGroupArn, Metrics: in.Metrics, OutputConfig: in.MetricsOutputConfig})
	if err != nil {
		return attributionARNOutput{}, err
	}
	return attributionARNOutput{m.ARN}, nil
}

// metricAttribution is the model's MetricAttribution: without its
// metrics, which ListMetricAttributionMetrics gives.
type metricAttribution struct {
	Name          string                        `json:"name"`
	ARN           string                        `json:"metricAttributionArn"`
	GroupARN      string                        `json:"datasetGroupArn"`
	OutputConfig  perch.MetricAttributionOutput `json:"metricsOutputConfig"`
	Status        string                        `json:"status"`
	Created       perch.Timestamp               `json:"creationDateTime"`
	Updated       perch.Timestamp               `json:"lastUpdatedDateTime"`
	FailureReason string                        `json:"failureReason,omitempty"`
}

type describeMetricAttributionOutput struct {
	MetricAttribution metricAttribution `json:"metricAttribution"`
}

func (s *Server) describeMetricAttribution(ctx context.Context, in struct{ MetricAttributionArn string }) (describeMetricAttributionOutput, error) {
	m, err := s.attributions.DescribeMetricAttribution(ctx, in.MetricAttributionArn)
	if err != nil {
		return describeMetricAttributionOutput{}, err
	}
	return describeMetricAttributionOutput{metricAttribution{m.Name, m.ARN, m.GroupARN, m.OutputConfig, m.Status, m.Created, m.Updated, m.FailureReason}}, nil
}

type metricAttributionSummary struct {
	Name          string          `json:"name"`
	ARN           string          `json:"metricAttributionArn"`
	Status        string          `json:"status"`
	Created       perch.Timestamp `json:"creationDateTime"`
	Updated       perch.Timestamp `json:"lastUpdatedDateTime"`
	FailureReason string          `json:"failureReason,omitempty"`
}

type listMetricAttributionsOutput struct {
	MetricAttributions []metricAttributionSummary `json:"metricAttributions"`
	NextToken          string                     `json:"nextToken,omitempty"`
}

type listMetricAttributionsInput struct {
	DatasetGroupArn, NextToken string
	MaxResults                 int
}

func (s *Server) listMetricAttributions(ctx context.Context, in listMetricAttributionsInput) (listMetricAttributionsOutput, error) {
	list, next, err := s.attributions.ListMetricAttributions(ctx, in.DatasetGroupArn, perch.Page{NextToken: in.NextToken, MaxResults: in.MaxResults})
	return listMetricAttributionsOutput{summaries(list, func(m *perch.Attribution) metricAttributionSummary {
		return metricAttributionSummary{m.Name, m.ARN, m.Status, m.Created, m.Updated, m.FailureReason}
	}), next}, err
}

type listMetricAttributionMetricsInput struct {
	MetricAttributionArn, NextToken string
	MaxResults                      int
}

type listMetricAttributionMetricsOutput struct {
	Metrics   []perch.MetricAttribute `json:"metrics"`
	NextToken string                  `json:"nextToken,omitempty"`
}

func (s *Server) listMetricAttributionMetrics(ctx context.Context, in listMetricAttributionMetricsInput) (listMetricAttributionMetricsOutput, error) {
	list, next, err := s.attributions.ListMetricAttributionMetrics(ctx, in.MetricAttributionArn, perch.Page{NextToken: in.NextToken, MaxResults: in.MaxResults})
	if list == nil {
		list = []perch.MetricAttribute{}
	}
	return listMetricAttributionMetricsOutput{list, next}, err
}

type updateMetricAttributionInput struct {
	MetricAttributionArn string
	AddMetrics           []perch.MetricAttribute
	RemoveMetrics        []string
	MetricsOutputConfig  *perch.MetricAttributionOutput
}

func (s *Server) updateMetricAttribution(ctx context.Context, in updateMetricAttributionInput) (attributionARNOutput, error) {
	m, err := s.attributions.UpdateMetricAttribution(ctx, perch.UpdateMetricAttributionInput{ARN: in.MetricAttributionArn,
		AddMetrics: in.AddMetrics, RemoveMetrics: in.RemoveMetrics, OutputConfig: in.MetricsOutputConfig})
	if err != nil {
		return attributionARNOutput{}, err
	}
	return attributionARNOutput{m.ARN}, nil
}

func (s *Server) deleteMetricAttribution(ctx context.Context, in struct{ MetricAttributionArn string }) (empty, error) {
	return empty{}, s.attributions.DeleteMetricAttribution(ctx, in.MetricAttributionArn)
}

// serveMetricAttribution is the read API's report of a metric
// attribution: GET /_perch/metric-attribution?metricAttributionArn=ARN
// answers {"metrics": [{metricName, eventType, function,
// eventAttributionSource, value}, ...]}, what AWS would publish to
// CloudWatch and S3, computed from the stored events.
func (s *Server) serveMetricAttribution(w http.ResponseWriter, r *http.Request) {
	fail := func(e apiError) { writeError(w, contentTypeJSON, e) }
	if s.attributions == nil {
		fail(apiError{status: http.StatusBadRequest, code: perch.EInvalidInput, message: "This server has no metric attributions"})
		return
	}
	arn := r.URL.Query().Get("metricAttributionArn")
	if arn == "" {
		fail(apiError{status: http.StatusBadRequest, code: perch.EInvalidInput, message: "The metricAttributionArn query parameter is required"})
		return
	}
	values, err := s.attributions.MetricAttributionReport(r.Context(), arn)
	if err != nil {
		fail(toAPIError(model.Personalize, err, s.log))
		return
	}
	if values == nil {
		values = []perch.MetricValue{}
	}
	w.Header().Set("Content-Type", contentTypeJSON)
	_ = json.NewEncoder(w).Encode(map[string]any{"metrics": values})
}
