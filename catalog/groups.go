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
	now := c.stamp()
	g := &perch.DatasetGroup{
		ARN:       c.scopeOf(ctx).DatasetGroupARN(in.Name),
		Name:      in.Name,
		Status:    perch.StatusActive,
		RoleARN:   in.RoleARN,
		KMSKeyARN: in.KMSKeyARN,
		Domain:    in.Domain,
		Tags:      slices.Clone(in.Tags),
		Created:   now,
		Updated:   now,
	}
	if err := c.rs.CreateDatasetGroup(ctx, g, c.maxDatasetGroups); err != nil {
		return nil, stored(err, "store dataset group", g.ARN)
	}
	return g, nil
}

// DescribeDatasetGroup implements perch.Catalog.
func (c *Catalog) DescribeDatasetGroup(ctx context.Context, arn string) (*perch.DatasetGroup, error) {
	return get(ctx, c.scopeOf(ctx), arn, c.rs.DatasetGroup)
}

// ListDatasetGroups implements perch.Catalog.
func (c *Catalog) ListDatasetGroups(ctx context.Context, p perch.Page) ([]*perch.DatasetGroup, string, error) {
	list, err := c.rs.DatasetGroups(ctx)
	if err != nil {
		return nil, "", err
	}
	return perch.Paginate(owned(list, groupARN, c.scopeOf(ctx), all), groupPosition, same, "dataset-groups", p)
}

func groupARN(g *perch.DatasetGroup) string { return g.ARN }

func groupPosition(g *perch.DatasetGroup) perch.Position {
	return perch.Position{Created: g.Created, ARN: g.ARN}
}

// DeleteDatasetGroup implements perch.Catalog.
func (c *Catalog) DeleteDatasetGroup(ctx context.Context, arn string) error {
	if !c.scopeOf(ctx).Owns(arn) {
		return perch.NotFound(arn)
	}
	if err := c.rs.DeleteDatasetGroup(ctx, arn); err != nil {
		return stored(err, "delete dataset group", arn)
	}
	return nil
}
