package catalog

import (
	"context"
	"slices"

	"github.com/perchdev/perch"
)

// CreateDatasetGroup implements perch.Catalog.
func (c *Catalog) CreateDatasetGroup(ctx context.Context, in perch.CreateDatasetGroupInput) (*perch.DatasetGroup, error) {
	if err := checkDomain(in.Domain); err != nil {
		return nil, err
	}
	scope := c.scopeOf(ctx)
	arn := scope.DatasetGroupARN(in.Name)

	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.groups[arn]; ok {
		return nil, alreadyExists(arn)
	}
	if err := perch.CheckQuota("dataset group", in.Name, len(inScope(c.groups, scope, all)), c.maxDatasetGroups); err != nil {
		return nil, err
	}
	now := perch.TimestampOf(c.now())
	g := &perch.DatasetGroup{
		ARN:       arn,
		Name:      in.Name,
		Status:    perch.StatusActive,
		RoleARN:   in.RoleARN,
		KMSKeyARN: in.KMSKeyARN,
		Domain:    in.Domain,
		Tags:      slices.Clone(in.Tags),
		Created:   now,
		Updated:   now,
	}
	if err := c.rs.PutDatasetGroup(ctx, g); err != nil {
		return nil, stored(err, "store dataset group", arn)
	}
	c.groups[arn] = g
	return cloneGroup(g), nil
}

// DescribeDatasetGroup implements perch.Catalog.
func (c *Catalog) DescribeDatasetGroup(ctx context.Context, arn string) (*perch.DatasetGroup, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	g, err := lookup(c.groups, c.scopeOf(ctx), arn)
	if err != nil {
		return nil, err
	}
	return cloneGroup(g), nil
}

// ListDatasetGroups implements perch.Catalog.
func (c *Catalog) ListDatasetGroups(ctx context.Context, p perch.Page) ([]*perch.DatasetGroup, string, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return perch.Paginate(inScope(c.groups, c.scopeOf(ctx), all), groupPosition, cloneGroup, "dataset-groups", p)
}

func groupPosition(g *perch.DatasetGroup) perch.Position {
	return perch.Position{Created: g.Created, ARN: g.ARN}
}

// DeleteDatasetGroup implements perch.Catalog.
func (c *Catalog) DeleteDatasetGroup(ctx context.Context, arn string) error {
	scope := c.scopeOf(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := lookup(c.groups, scope, arn); err != nil {
		return err
	}
	if err := perch.CheckGroupEmpty(arn, inScope(c.datasets, scope, datasetOf(arn)), inScope(c.trackers, scope, trackerOf(arn))); err != nil {
		return err
	}
	if err := c.rs.DeleteDatasetGroup(ctx, arn); err != nil {
		return stored(err, "delete dataset group", arn)
	}
	delete(c.groups, arn)
	return nil
}

// datasetOf keeps the datasets of the group groupARN; "" keeps all.
func datasetOf(groupARN string) func(*perch.Dataset) bool {
	return func(d *perch.Dataset) bool { return groupARN == "" || d.GroupARN == groupARN }
}

// trackerOf keeps the event trackers of the group groupARN; "" keeps all.
func trackerOf(groupARN string) func(*perch.EventTracker) bool {
	return func(t *perch.EventTracker) bool { return groupARN == "" || t.GroupARN == groupARN }
}
