package pebble

import (
	"context"

	"github.com/perchdev/perch"
)

// Filters are resources of their group, kept like every other resource
// under r/filter/<arn>.

func (r resources) CreateFilter(ctx context.Context, f *perch.Filter, quota int) error {
	s := r.s
	return s.changeResources(ctx, func(w *resourceWrite) error {
		g, err := mustExist[perch.DatasetGroup](s, kindDatasetGroup, f.GroupARN)
		if err != nil {
			return err
		}
		if err := s.notTaken(kindFilter, f.ARN); err != nil {
			return err
		}
		filters, err := accountResources[perch.Filter](ctx, s, kindFilter, f.ARN)
		if err != nil {
			return err
		}
		if err := perch.CheckNewFilter(g, f, filters, quota); err != nil {
			return err
		}
		return w.set(kindFilter, f.ARN, f)
	})
}

func (r resources) Filter(ctx context.Context, arn string) (*perch.Filter, error) {
	return getResource[perch.Filter](r.s, kindFilter, arn)
}

func (r resources) Filters(ctx context.Context) ([]*perch.Filter, error) {
	return listResources[perch.Filter](ctx, r.s, kindFilter)
}

func (r resources) DeleteFilter(ctx context.Context, arn string) error {
	s := r.s
	return s.changeResources(ctx, func(w *resourceWrite) error {
		if _, err := mustExist[perch.Filter](s, kindFilter, arn); err != nil {
			return err
		}
		w.delete(kindFilter, arn)
		return nil
	})
}
