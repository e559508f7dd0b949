// Package attribution is metric attributions: their control plane
// (Create/Describe/List/Update/Delete, ListMetricAttributionMetrics) and
// their reports. AWS publishes the figures to CloudWatch and S3; perch
// computes them from the stored events when asked (perch's read API,
// GET /_perch/metric-attribution), by the source of each event: the
// metricAttribution.eventAttributionSource it names, or the campaign or
// recommender whose answer its recommendationId is.
package attribution

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/perchdev/perch"
)

// Service implements perch.MetricAttributions.
type Service struct {
	rs    perch.ResourceStore
	store perch.Store
	cat   perch.Catalog
	scope perch.Scope
	now   func() perch.Timestamp
	// changed, when set, is called after each change of an attribution
	// on this node: a Tally's cue to read them again.
	changed func()
}

// tell calls changed, if set.
func (s *Service) tell() {
	if s.changed != nil {
		s.changed()
	}
}

var _ perch.MetricAttributions = (*Service)(nil)

// New returns the metric attributions over store's resources, reading
// the datasets' schemas from cat. now stamps what it creates.
func New(store perch.Store, cat perch.Catalog, scope perch.Scope, now func() perch.Timestamp) *Service {
	return &Service{rs: store.Resources(), store: store, cat: cat, scope: scope, now: now}
}

func (s *Service) scopeOf(ctx context.Context) perch.Scope {
	sc := s.scope
	if a := perch.AccountFrom(ctx); a != "" {
		sc.Account = a
	}
	return sc
}

func (s *Service) get(ctx context.Context, arn string) (*perch.Attribution, error) {
	if !s.scopeOf(ctx).Owns(arn) {
		return nil, perch.NotFound(arn)
	}
	return s.rs.MetricAttribution(ctx, arn)
}

// CreateMetricAttribution implements perch.MetricAttributions. Its
// metrics are checked against the group's schemas; it is ACTIVE at once.
func (s *Service) CreateMetricAttribution(ctx context.Context, in perch.CreateMetricAttributionInput) (*perch.Attribution, error) {
	sc := s.scopeOf(ctx)
	if !sc.Owns(in.GroupARN) {
		return nil, perch.NotFound(in.GroupARN)
	}
	g, err := s.rs.DatasetGroup(ctx, in.GroupARN)
	if err != nil {
		return nil, err
	}
	if err := s.checkMetrics(ctx, g.ARN, nil, in.Metrics); err != nil {
		return nil, err
	}
	now := s.now()
	m := &perch.Attribution{
		ARN:  perch.ARN{Partition: "aws", Service: "personalize", Region: sc.Region, Account: sc.Account, Resource: perch.KindMetricAttribution + "/" + in.Name}.String(),
		Name: in.Name, GroupARN: g.ARN, Metrics: slices.Clone(in.Metrics), OutputConfig: in.OutputConfig,
		Status: perch.StatusActive, Created: now, Updated: now,
	}
	if err := s.rs.CreateMetricAttribution(ctx, m); err != nil {
		return nil, err
	}
	s.tell()
	return m, nil
}

// checkMetrics checks metrics added to those an attribution has: names
// unique, at most MaxMetricsPerAttribution in all, each expression one
// the group's schemas can compute.
func (s *Service) checkMetrics(ctx context.Context, groupARN string, have, add []perch.MetricAttribute) error {
	if n := len(have) + len(add); n > perch.MaxMetricsPerAttribution {
		return perch.Errorf(perch.ELimitExceeded, "A metric attribution has at most %d metrics; this one would have %d.", perch.MaxMetricsPerAttribution, n)
	}
	names := map[string]bool{}
	for _, m := range have {
		names[m.MetricName] = true
	}
	_, interactions, err := s.schema(ctx, groupARN, perch.Interactions)
	if err != nil {
		return err
	}
	if interactions == nil {
		return perch.Errorf(perch.EInvalidInput, "Dataset group %s has no Interactions dataset: metric attributions measure its events.", groupARN)
	}
	if _, ok := interactions.Field("EVENT_TYPE"); !ok {
		return perch.Errorf(perch.EInvalidInput, "The Interactions dataset of %s has no EVENT_TYPE column: metric attributions measure events by type.", groupARN)
	}
	for _, m := range add {
		if names[m.MetricName] {
			return perch.Errorf(perch.EInvalidInput, "Metric name %s is used twice in metric attribution metrics.", m.MetricName)
		}
		names[m.MetricName] = true
		e, err := parseExpression(m.Expression)
		if err != nil {
			return err
		}
		if e.dataset == "" {
			continue
		}
		_, schema, err := s.schema(ctx, groupARN, e.dataset)
		if err != nil {
			return err
		}
		if schema == nil {
			return perch.Errorf(perch.EInvalidInput, "Metric %s: expression %s reads the %s dataset, which dataset group %s does not have.",
				m.MetricName, m.Expression, strings.ToLower(string(e.dataset)), groupARN)
		}
		f, ok := schema.Field(e.column)
		if !ok || !numeric(f.Type) {
			return perch.Errorf(perch.EInvalidInput, "Metric %s: expression %s sums %s, which is not a numeric column of the %s dataset's schema.",
				m.MetricName, m.Expression, e.column, strings.ToLower(string(e.dataset)))
		}
	}
	return nil
}

func numeric(t perch.FieldType) bool {
	return t == perch.TypeInt || t == perch.TypeLong || t == perch.TypeFloat || t == perch.TypeDouble
}

// schema returns the group's dataset of type t and its schema; nil ones
// when the group has no such dataset.
func (s *Service) schema(ctx context.Context, groupARN string, t perch.DatasetType) (*perch.Dataset, *perch.AvroSchema, error) {
	a, _ := perch.ParseARN(groupARN)
	name := strings.TrimPrefix(a.Resource, perch.KindDatasetGroup+"/")
	d, schema, err := s.cat.DatasetSchema(ctx, perch.Scope{Region: a.Region, Account: a.Account}.DatasetARN(name, t))
	if perch.ErrorCode(err) == perch.EResourceNotFound {
		return nil, nil, nil
	}
	return d, schema, err
}

// expression is a parsed metric expression: SUM over a column of the
// events' or their items' records, or, without a dataset, SAMPLECOUNT().
type expression struct {
	dataset perch.DatasetType
	column  string
}

func (e expression) function() string {
	if e.dataset == "" {
		return "SAMPLECOUNT"
	}
	return "SUM"
}

// parseExpression reads SAMPLECOUNT(), SUM(Items.COLUMN) or
// SUM(Interactions.COLUMN), keywords and dataset names in any case.
func parseExpression(text string) (expression, error) {
	compact := strings.Join(strings.Fields(text), "")
	upper := strings.ToUpper(compact)
	if upper == "SAMPLECOUNT()" {
		return expression{}, nil
	}
	if strings.HasPrefix(upper, "SUM(") && strings.HasSuffix(upper, ")") {
		dataset, column, ok := strings.Cut(compact[4:len(compact)-1], ".")
		switch {
		case !ok || column == "":
		case strings.EqualFold(dataset, "Items"):
			return expression{perch.Items, column}, nil
		case strings.EqualFold(dataset, "Interactions"):
			return expression{perch.Interactions, column}, nil
		}
	}
	return expression{}, perch.Errorf(perch.EInvalidInput,
		"Invalid metric expression %q: expected SUM(Items.COLUMN), SUM(Interactions.COLUMN) or SAMPLECOUNT().", text)
}

// DescribeMetricAttribution implements perch.MetricAttributions.
func (s *Service) DescribeMetricAttribution(ctx context.Context, arn string) (*perch.Attribution, error) {
	return s.get(ctx, arn)
}

// ListMetricAttributions implements perch.MetricAttributions.
func (s *Service) ListMetricAttributions(ctx context.Context, groupARN string, p perch.Page) ([]*perch.Attribution, string, error) {
	all, err := s.rs.MetricAttributions(ctx)
	if err != nil {
		return nil, "", err
	}
	sc := s.scopeOf(ctx)
	all = slices.DeleteFunc(all, func(m *perch.Attribution) bool { return !sc.Owns(m.ARN) || groupARN != "" && m.GroupARN != groupARN })
	return perch.Paginate(all, func(m *perch.Attribution) perch.Position { return perch.Position{Created: -m.Created, ARN: m.ARN} },
		func(m *perch.Attribution) *perch.Attribution { return m }, "metric attributions "+groupARN, p)
}

// ListMetricAttributionMetrics implements perch.MetricAttributions: the
// metrics in the order they were added.
func (s *Service) ListMetricAttributionMetrics(ctx context.Context, arn string, p perch.Page) ([]perch.MetricAttribute, string, error) {
	m, err := s.get(ctx, arn)
	if err != nil {
		return nil, "", err
	}
	list := make([]*perch.MetricAttribute, len(m.Metrics))
	for i := range m.Metrics {
		list[i] = &m.Metrics[i]
	}
	page, next, err := perch.Paginate(list, func(x *perch.MetricAttribute) perch.Position {
		return perch.Position{Created: perch.Timestamp(slices.Index(list, x)), ARN: x.MetricName}
	}, func(x *perch.MetricAttribute) *perch.MetricAttribute { return x }, "metrics "+arn, p)
	out := make([]perch.MetricAttribute, len(page))
	for i, x := range page {
		out[i] = *x
	}
	return out, next, err
}

// UpdateMetricAttribution implements perch.MetricAttributions.
func (s *Service) UpdateMetricAttribution(ctx context.Context, in perch.UpdateMetricAttributionInput) (*perch.Attribution, error) {
	m, err := s.get(ctx, in.ARN)
	if err != nil {
		return nil, err
	}
	metrics := slices.Clone(m.Metrics)
	for _, name := range in.RemoveMetrics {
		i := slices.IndexFunc(metrics, func(x perch.MetricAttribute) bool { return x.MetricName == name })
		if i < 0 {
			return nil, perch.Errorf(perch.EInvalidInput, "Metric attribution %s has no metric %s to remove.", in.ARN, name)
		}
		metrics = slices.Delete(metrics, i, i+1)
	}
	if err := s.checkMetrics(ctx, m.GroupARN, metrics, in.AddMetrics); err != nil {
		return nil, err
	}
	next := *m
	next.Metrics = append(metrics, in.AddMetrics...)
	if in.OutputConfig != nil {
		next.OutputConfig = *in.OutputConfig
	}
	next.Updated = s.now()
	if err := s.rs.UpdateMetricAttribution(ctx, &next); err != nil {
		return nil, err
	}
	s.tell()
	return &next, nil
}

// DeleteMetricAttribution implements perch.MetricAttributions.
func (s *Service) DeleteMetricAttribution(ctx context.Context, arn string) error {
	if !s.scopeOf(ctx).Owns(arn) {
		return perch.NotFound(arn)
	}
	if err := s.rs.DeleteMetricAttribution(ctx, arn); err != nil {
		return err
	}
	s.tell()
	return nil
}

// MetricAttributionReport implements perch.MetricAttributions: each
// metric over the events of its type sent since the attribution was
// created, duplicates left out, by source (the event's
// eventAttributionSource, else the campaign or recommender its
// recommendationId came from, else UndefinedSource), sorted by metric
// then source.
func (s *Service) MetricAttributionReport(ctx context.Context, arn string) ([]perch.MetricValue, error) {
	m, err := s.get(ctx, arn)
	if err != nil {
		return nil, err
	}
	ms, err := s.measurer(ctx, m)
	if err != nil || ms == nil {
		return nil, err
	}
	src, err := sourcesOf(ctx, s.rs, m.GroupARN)
	if err != nil {
		return nil, err
	}
	sums := map[figureKey]float64{}
	q := perch.RecordQuery{Time: &perch.TimeRange{From: m.Created, To: perch.Timestamp(math.MaxInt64)}}
	err = s.store.Events(ctx, ms.interactions.ID, q, func(e *perch.Event) error {
		if e.Duplicate {
			return nil
		}
		return ms.measure(ctx, e, src.of(e), func(k figureKey, v float64) { sums[k] += v })
	})
	if err != nil {
		return nil, fmt.Errorf("reading the events of %s: %w", m.GroupARN, err)
	}
	return ms.values(sums), nil
}

// number is a JSON value as a number: numbers, and numbers written as
// strings; 0 for anything else.
func number(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case string:
		f, err := strconv.ParseFloat(x, 64)
		if err == nil {
			return f
		}
	}
	return 0
}
