package perch

import (
	"context"
	"io"
)

// KindMetricAttribution is the resource kind of a metric attribution's
// ARN.
const KindMetricAttribution = "metric-attribution"

// Attribution is a metric attribution: it reports, for a dataset group, metrics of the events
// recorded since it was created, by the source each event is attributed
// to: its metricAttribution.eventAttributionSource, else the campaign or
// recommender whose answer its recommendationId is.
type Attribution struct {
	ARN           string                  `json:"metricAttributionArn"`
	Name          string                  `json:"name"`
	GroupARN      string                  `json:"datasetGroupArn"`
	Metrics       []MetricAttribute       `json:"metrics"`
	OutputConfig  MetricAttributionOutput `json:"metricsOutputConfig"`
	Status        string                  `json:"status"`
	FailureReason string                  `json:"failureReason,omitempty"`
	Created       Timestamp               `json:"creationDateTime"`
	Updated       Timestamp               `json:"lastUpdatedDateTime"`
}

// MetricAttribute is one metric: Expression (SUM(Items.COLUMN),
// SUM(Interactions.COLUMN) or SAMPLECOUNT()) over the events of
// EventType.
type MetricAttribute struct {
	EventType  string `json:"eventType"`
	MetricName string `json:"metricName"`
	Expression string `json:"expression"`
}

// MetricAttributionOutput is where AWS would publish the reports.
type MetricAttributionOutput struct {
	S3DataDestination *S3DataConfig `json:"s3DataDestination,omitempty"`
	RoleARN           string        `json:"roleArn"`
}

// MetricValue is one figure of a metric attribution's report.
type MetricValue struct {
	MetricName string  `json:"metricName"`
	EventType  string  `json:"eventType"`
	Function   string  `json:"function"` // SUM or SAMPLECOUNT
	Source     string  `json:"eventAttributionSource"`
	Value      float64 `json:"value"`
}

// UndefinedSource is the source of events attributed to none.
const UndefinedSource = "SOURCE_NAME_UNDEFINED"

// CreateMetricAttributionInput is what CreateMetricAttribution is given.
type CreateMetricAttributionInput struct {
	Name         string
	GroupARN     string
	Metrics      []MetricAttribute
	OutputConfig MetricAttributionOutput
}

// UpdateMetricAttributionInput is what UpdateMetricAttribution is given.
type UpdateMetricAttributionInput struct {
	ARN           string
	AddMetrics    []MetricAttribute
	RemoveMetrics []string
	OutputConfig  *MetricAttributionOutput
}

// MetricAttributions is the control plane of metric attributions, and
// their reports.
type MetricAttributions interface {
	CreateMetricAttribution(ctx context.Context, in CreateMetricAttributionInput) (*Attribution, error)
	DescribeMetricAttribution(ctx context.Context, arn string) (*Attribution, error)
	// ListMetricAttributions lists those of one group, or of every group
	// when groupARN is "".
	ListMetricAttributions(ctx context.Context, groupARN string, p Page) (list []*Attribution, next string, err error)
	ListMetricAttributionMetrics(ctx context.Context, arn string, p Page) (metrics []MetricAttribute, next string, err error)
	UpdateMetricAttribution(ctx context.Context, in UpdateMetricAttributionInput) (*Attribution, error)
	DeleteMetricAttribution(ctx context.Context, arn string) error
	// MetricAttributionReport computes the attribution's metrics over the
	// events recorded since it was created, by source.
	MetricAttributionReport(ctx context.Context, arn string) ([]MetricValue, error)
}

// ImportReport is a metric attribution's report of one import of
// interactions, which AWS publishes to the attribution's
// metricsOutputConfig.s3DataDestination when the import job ends: each
// metric over the import's events, by source and 15-minute interval of
// the events' time.
type ImportReport interface {
	// Add measures events the import loads.
	Add(ctx context.Context, events []Event) error
	// Location is the s3:// object the report goes to, named as AWS names
	// it: "AggregatedAttributionMetrics - <importMode> - <time>.csv"
	// under the destination's path.
	Location() string
	// WriteCSV writes the report: a header METRIC_NAME, EVENT_TYPE,
	// VALUE, MATH_FUNCTION, EVENT_ATTRIBUTION_SOURCE, TIMESTAMP, then a
	// row per metric, source and interval (its start in epoch seconds).
	WriteCSV(w io.Writer) error
}

// ImportReporter makes the reports of imports.
type ImportReporter interface {
	// ImportReport returns the report of import job j into dataset d;
	// nil when none is due: j does not ask for one
	// (publishAttributionMetricsToS3), d holds no interactions, or d's
	// group has no metric attribution with an S3 destination.
	ImportReport(ctx context.Context, j *DatasetImportJob, d *Dataset) (ImportReport, error)
}

// MaxMetricsPerAttribution is AWS's quota of metrics in one attribution.
const MaxMetricsPerAttribution = 10

// CheckNewMetricAttribution checks that group g can take attribution m
// beside the account's: one per group.
func CheckNewMetricAttribution(g *DatasetGroup, m *Attribution, all []*Attribution) error {
	if err := CheckGroupActive(g); err != nil {
		return err
	}
	for _, other := range all {
		if other.GroupARN == g.ARN {
			return Errorf(ELimitExceeded,
				"Cannot create metric attribution %s. Dataset group %s already has metric attribution %s; a group has one at most.",
				m.Name, g.ARN, other.ARN)
		}
	}
	return nil
}
