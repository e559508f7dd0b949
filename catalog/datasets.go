package catalog

import (
	"context"
	"maps"
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

	c.mu.Lock()
	defer c.mu.Unlock()
	g, err := lookup(c.groups, scope, in.GroupARN)
	if err != nil {
		return nil, err
	}
	s, err := lookup(c.schemas, scope, in.SchemaARN)
	if err != nil {
		return nil, err
	}
	if err := perch.CheckNewDataset(g, t, inScope(c.datasets, scope, datasetOf(g.ARN))); err != nil {
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
	now := perch.TimestampOf(c.now())
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
	if err := c.rs.PutDataset(ctx, d); err != nil {
		return nil, stored(err, "store dataset", arn)
	}
	c.datasets[arn] = d
	c.publishRoutes()
	return cloneDataset(d), nil
}

// checkSchemaFits checks that schema s can back a dataset of type t in
// group g.
func (c *Catalog) checkSchemaFits(s *perch.Schema, t perch.DatasetType, g *perch.DatasetGroup) error {
	avro, err := c.schemaOf(s.ARN)
	if err != nil {
		return err
	}
	return perch.CheckSchemaFits(s, avro, t, g)
}

// DescribeDataset implements perch.Catalog.
func (c *Catalog) DescribeDataset(ctx context.Context, arn string) (*perch.Dataset, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	d, err := lookup(c.datasets, c.scopeOf(ctx), arn)
	if err != nil {
		return nil, err
	}
	return cloneDataset(d), nil
}

// ListDatasets implements perch.Catalog. A group that does not exist has
// no datasets.
func (c *Catalog) ListDatasets(ctx context.Context, groupARN string, p perch.Page) ([]*perch.Dataset, string, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	items := inScope(c.datasets, c.scopeOf(ctx), datasetOf(groupARN))
	return perch.Paginate(items, datasetPosition, cloneDataset, "datasets "+groupARN, p)
}

func datasetPosition(d *perch.Dataset) perch.Position {
	return perch.Position{Created: d.Created, ARN: d.ARN}
}

// DeleteDataset implements perch.Catalog.
func (c *Catalog) DeleteDataset(ctx context.Context, arn string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := lookup(c.datasets, c.scopeOf(ctx), arn)
	if err != nil {
		return err
	}
	if err := perch.CheckDatasetUnheld(arn, slices.Collect(maps.Keys(c.holds[arn]))); err != nil {
		return err
	}
	if err := c.rs.DeleteDataset(ctx, d); err != nil {
		return stored(err, "delete dataset", arn)
	}
	delete(c.datasets, arn)
	c.publishRoutes()
	return nil
}

// UpdateDataset implements perch.Catalog. perch applies the update at once,
// so the latest update is ACTIVE when the call returns.
func (c *Catalog) UpdateDataset(ctx context.Context, datasetARN, schemaARN string) (*perch.Dataset, error) {
	scope := c.scopeOf(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := lookup(c.datasets, scope, datasetARN)
	if err != nil {
		return nil, err
	}
	s, err := lookup(c.schemas, scope, schemaARN)
	if err != nil {
		return nil, err
	}
	g, err := lookup(c.groups, scope, d.GroupARN)
	if err != nil {
		return nil, err
	}
	if err := c.checkSchemaFits(s, d.Type, g); err != nil {
		return nil, err
	}
	now := perch.TimestampOf(c.now())
	next := cloneDataset(d)
	next.SchemaARN = schemaARN
	next.LatestUpdate = &perch.DatasetUpdate{SchemaARN: schemaARN, Status: perch.StatusActive, Created: now, Updated: now}
	next.Updated = now
	if err := c.rs.PutDataset(ctx, next); err != nil {
		return nil, stored(err, "store dataset", datasetARN)
	}
	c.datasets[datasetARN] = next
	c.publishRoutes()
	return cloneDataset(next), nil
}

// HoldDataset implements perch.Catalog.
func (c *Catalog) HoldDataset(ctx context.Context, arn, holder string) (func(), error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := lookup(c.datasets, c.scopeOf(ctx), arn); err != nil {
		return nil, err
	}
	if c.holds[arn] == nil {
		c.holds[arn] = map[string]bool{}
	}
	c.holds[arn][holder] = true
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.holds[arn], holder)
		if len(c.holds[arn]) == 0 {
			delete(c.holds, arn)
		}
	}, nil
}
