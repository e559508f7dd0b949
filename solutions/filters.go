package solutions

import (
	"context"
	"slices"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/filter"
)

// DefaultMaxFiltersPerGroup is AWS's quota of filters in a dataset group
// (RUNTIME.md 10), the default of Options.MaxFiltersPerGroup.
const DefaultMaxFiltersPerGroup = 30

var _ perch.Filters = (*Service)(nil)

// CreateFilter implements perch.Filters. The expression is parsed and
// checked against the group's schemas before anything is stored, so a
// filter is ACTIVE at once or refused with AWS's InvalidInputException.
func (s *Service) CreateFilter(ctx context.Context, in perch.CreateFilterInput) (*perch.Filter, error) {
	sc := s.scopeOf(ctx)
	g, err := get(ctx, sc, in.GroupARN, s.rs.DatasetGroup)
	if err != nil {
		return nil, err
	}
	schemas, err := GroupSchemas(ctx, s.rs, g.ARN)
	if err != nil {
		return nil, err
	}
	parsed, err := filter.Parse(in.Expression, schemas)
	if err != nil {
		return nil, err
	}
	if err := s.checkGroupFields(ctx, g.ARN, schemas, parsed); err != nil {
		return nil, err
	}
	now := s.stamp()
	f := &perch.Filter{
		ARN: arnOf(sc, perch.KindFilter, in.Name), Name: in.Name, GroupARN: g.ARN, Expression: in.Expression,
		Status: perch.StatusActive, Tags: slices.Clone(in.Tags), Created: now, Updated: now,
	}
	if err := s.rs.CreateFilter(ctx, f, s.opts.MaxFiltersPerGroup); err != nil {
		return nil, stored(err, "store filter", f.ARN)
	}
	return f, nil
}

// checkGroupFields refuses a filter that would take the group's filters
// past their quota of distinct fields.
func (s *Service) checkGroupFields(ctx context.Context, groupARN string, schemas filter.Schemas, f *filter.Filter) error {
	all, err := s.rs.Filters(ctx)
	if err != nil {
		return err
	}
	var inUse []string
	for _, other := range all {
		if other.GroupARN != groupARN {
			continue
		}
		// A filter stored under older schemas may no longer parse; its
		// fields then count for nothing.
		if p, err := filter.Parse(other.Expression, schemas); err == nil {
			inUse = append(inUse, p.Fields()...)
		}
	}
	return filter.CheckGroupFields(inUse, f)
}

// GroupSchemas returns the parsed schemas of the datasets of group
// groupARN, by dataset type: what its filters may name.
func GroupSchemas(ctx context.Context, rs perch.ResourceStore, groupARN string) (filter.Schemas, error) {
	datasets, err := rs.Datasets(ctx)
	if err != nil {
		return nil, err
	}
	out := filter.Schemas{}
	for _, d := range datasets {
		if d.GroupARN != groupARN {
			continue
		}
		schema, err := rs.Schema(ctx, d.SchemaARN)
		if err != nil {
			return nil, err
		}
		parsed, err := perch.ParseSchema(schema.Definition)
		if err != nil {
			return nil, err
		}
		out[d.Type] = parsed
	}
	return out, nil
}

// DescribeFilter implements perch.Filters.
func (s *Service) DescribeFilter(ctx context.Context, arn string) (*perch.Filter, error) {
	return get(ctx, s.scopeOf(ctx), arn, s.rs.Filter)
}

// ListFilters implements perch.Filters: the filters of one group, or of
// every group when groupARN is "".
func (s *Service) ListFilters(ctx context.Context, groupARN string, p perch.Page) ([]*perch.Filter, string, error) {
	all, err := s.rs.Filters(ctx)
	if err != nil {
		return nil, "", err
	}
	list := owned(all, func(f *perch.Filter) string { return f.ARN }, s.scopeOf(ctx),
		func(f *perch.Filter) bool { return groupARN == "" || f.GroupARN == groupARN })
	return perch.Paginate(list, func(f *perch.Filter) perch.Position { return newestFirst(f.Created, f.ARN) }, same, "filters "+groupARN, p)
}

// DeleteFilter implements perch.Filters. Requests that name a deleted
// filter are answered ResourceNotFoundException from then on.
func (s *Service) DeleteFilter(ctx context.Context, arn string) error {
	if !s.scopeOf(ctx).Owns(arn) {
		return perch.NotFound(arn)
	}
	if err := s.rs.DeleteFilter(ctx, arn); err != nil {
		return stored(err, "delete filter", arn)
	}
	return nil
}
