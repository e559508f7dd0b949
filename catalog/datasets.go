package catalog

import (
	"context"
	"slices"

	"github.com/google/uuid"

	"github.com/perchdev/perch"
)

// CreateDataset implements perch.Catalog.
func (c *Catalog) CreateDataset(ctx context.Context, in perch.CreateDatasetInput) (*perch.Dataset, error) {
	t, ok := perch.ParseDatasetType(in.Type)
	if !ok {
		return nil, perch.Errorf(perch.EInvalidInput,
			"Dataset type %s is not valid. Valid types: Interactions, Items, Users, Actions, Action_Interactions.", in.Type)
	}
	scope := c.scopeOf(ctx)
	g, err := get(ctx, scope, in.GroupARN, c.rs.DatasetGroup)
	if err != nil {
		return nil, err
	}
	s, err := get(ctx, scope, in.SchemaARN, c.rs.Schema)
	if err != nil {
		return nil, err
	}
	// The store decides whether the group can take the dataset; asking
	// first gives its answer before the schema's when both refuse.
	datasets, err := c.rs.Datasets(ctx)
	if err != nil {
		return nil, err
	}
	if err := perch.CheckNewDataset(g, t, owned(datasets, datasetARN, scope, datasetOf(g.ARN))); err != nil {
		return nil, err
	}
	if err := c.checkSchemaFits(s, t, g); err != nil {
		return nil, err
	}
	arn := scope.DatasetARN(g.Name, t)
	id, err := c.rs.NextDatasetID(ctx)
	if err != nil {
		return nil, stored(err, "allocate an id for dataset", arn)
	}
	now := c.stamp()
	d := &perch.Dataset{
		ARN:       arn,
		Name:      in.Name,
		GroupARN:  g.ARN,
		Type:      t,
		SchemaARN: s.ARN,
		Status:    perch.StatusActive,
		Tags:      slices.Clone(in.Tags),
		Created:   now,
		Updated:   now,
		ID:        id,
	}
	if t == perch.ActionInteractions {
		// AWS gives each Action interactions dataset its own tracker, named
		// only by this id; PutActionInteractions finds the dataset by it.
		d.TrackingID = uuid.NewString()
	}
	if err := c.rs.CreateDataset(ctx, d); err != nil {
		return nil, stored(err, "store dataset", arn)
	}
	if err := c.publishRoutes(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// checkSchemaFits checks that schema s can back a dataset of type t in
// group g.
func (c *Catalog) checkSchemaFits(s *perch.Schema, t perch.DatasetType, g *perch.DatasetGroup) error {
	avro, err := c.schemaOf(s)
	if err != nil {
		return err
	}
	return perch.CheckSchemaFits(s, avro, t, g)
}

// DescribeDataset implements perch.Catalog.
func (c *Catalog) DescribeDataset(ctx context.Context, arn string) (*perch.Dataset, error) {
	return get(ctx, c.scopeOf(ctx), arn, c.rs.Dataset)
}

// ListDatasets implements perch.Catalog. A group that does not exist has
// no datasets.
func (c *Catalog) ListDatasets(ctx context.Context, groupARN string, p perch.Page) ([]*perch.Dataset, string, error) {
	list, err := c.rs.Datasets(ctx)
	if err != nil {
		return nil, "", err
	}
	return perch.Paginate(owned(list, datasetARN, c.scopeOf(ctx), datasetOf(groupARN)), datasetPosition, same, "datasets "+groupARN, p)
}

func datasetARN(d *perch.Dataset) string { return d.ARN }

// datasetOf keeps the datasets of the group groupARN; "" keeps all.
func datasetOf(groupARN string) func(*perch.Dataset) bool {
	return func(d *perch.Dataset) bool { return groupARN == "" || d.GroupARN == groupARN }
}

func datasetPosition(d *perch.Dataset) perch.Position {
	return perch.Position{Created: d.Created, ARN: d.ARN}
}

// DeleteDataset implements perch.Catalog.
func (c *Catalog) DeleteDataset(ctx context.Context, arn string) error {
	if !c.scopeOf(ctx).Owns(arn) {
		return perch.NotFound(arn)
	}
	if err := c.rs.DeleteDataset(ctx, arn); err != nil {
		return stored(err, "delete dataset", arn)
	}
	return c.publishRoutes(ctx)
}

// UpdateDataset implements perch.Catalog. perch applies the update at once,
// so the latest update is ACTIVE when the call returns.
func (c *Catalog) UpdateDataset(ctx context.Context, datasetARN, schemaARN string) (*perch.Dataset, error) {
	scope := c.scopeOf(ctx)
	d, err := get(ctx, scope, datasetARN, c.rs.Dataset)
	if err != nil {
		return nil, err
	}
	s, err := get(ctx, scope, schemaARN, c.rs.Schema)
	if err != nil {
		return nil, err
	}
	g, err := get(ctx, scope, d.GroupARN, c.rs.DatasetGroup)
	if err != nil {
		return nil, err
	}
	if err := c.checkSchemaFits(s, d.Type, g); err != nil {
		return nil, err
	}
	now := c.stamp()
	d.SchemaARN = schemaARN
	d.LatestUpdate = &perch.DatasetUpdate{SchemaARN: schemaARN, Status: perch.StatusActive, Created: now, Updated: now}
	d.Updated = now
	if err := c.rs.UpdateDataset(ctx, d); err != nil {
		return nil, stored(err, "store dataset", datasetARN)
	}
	if err := c.publishRoutes(ctx); err != nil {
		return nil, err
	}
	return d, nil
}
