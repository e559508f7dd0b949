package pebble

import (
	"context"

	"github.com/perchdev/perch"
)

// Metric attributions are resources of their group, kept like every
// other resource under r/attribution/<arn>.

func (r resources) CreateMetricAttribution(ctx context.Context, m *perch.Attribution) error {
	s := r.s
	return s.changeResources(ctx, func(w *resourceWrite) error {
		g, err := mustExist[perch.DatasetGroup](s, kindDatasetGroup, m.GroupARN)
		if err != nil {
			return err
		}
		if err := s.notTaken(kindAttribution, m.ARN); err != nil {
			return err
		}
		all, err := accountResources[perch.Attribution](ctx, s, kindAttribution, m.ARN)
		if err != nil {
			return err
		}
		if err := perch.CheckNewMetricAttribution(g, m, all); err != nil {
			return err
		}
		return w.set(kindAttribution, m.ARN, m)
	})
}

func (r resources) MetricAttribution(ctx context.Context, arn string) (*perch.Attribution, error) {
	return getResource[perch.Attribution](r.s, kindAttribution, arn)
}

func (r resources) MetricAttributions(ctx context.Context) ([]*perch.Attribution, error) {
	return listResources[perch.Attribution](ctx, r.s, kindAttribution)
}

func (r resources) UpdateMetricAttribution(ctx context.Context, m *perch.Attribution) error {
	s := r.s
	return s.changeResources(ctx, func(w *resourceWrite) error {
		old, err := mustExist[perch.Attribution](s, kindAttribution, m.ARN)
		if err != nil {
			return err
		}
		if old.GroupARN != m.GroupARN {
			return perch.Errorf(perch.EInvalidInput, "Metric attribution %s cannot move to another dataset group.", m.ARN)
		}
		return w.set(kindAttribution, m.ARN, m)
	})
}

func (r resources) DeleteMetricAttribution(ctx context.Context, arn string) error {
	s := r.s
	return s.changeResources(ctx, func(w *resourceWrite) error {
		if _, err := mustExist[perch.Attribution](s, kindAttribution, arn); err != nil {
			return err
		}
		w.delete(kindAttribution, arn)
		return nil
	})
}
