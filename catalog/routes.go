package catalog

import (
	"context"
	"fmt"

	"github.com/perchdev/perch"
)

// routes is what the events API looks up on every call: where a
// trackingId or a dataset ARN sends records, with the schema they are
// checked against. It is built whole from the store after each change the
// catalog makes and never modified once published, so that an events
// call reads it without waiting for the store or for a change in
// progress.
type routes struct {
	byTrackingID map[string]route
	byDataset    map[string]route
}

// route is one destination. arn names the resource the key belongs to
// (the event tracker, or the dataset itself), which decides the account
// it is visible to; err says why records cannot go there.
type route struct {
	arn     string
	dataset *perch.Dataset
	schema  *perch.AvroSchema
	err     error
}

// publishRoutes builds the routes from what the store holds and publishes
// them. One publication at a time, each reading the store after the
// change it follows, so that the last one published saw every change
// made before it began.
func (c *Catalog) publishRoutes(ctx context.Context) error {
	c.publishMu.Lock()
	defer c.publishMu.Unlock()
	schemas, err := c.rs.Schemas(ctx)
	if err != nil {
		return fmt.Errorf("catalog: reading schemas: %w", err)
	}
	datasets, err := c.rs.Datasets(ctx)
	if err != nil {
		return fmt.Errorf("catalog: reading datasets: %w", err)
	}
	trackers, err := c.rs.EventTrackers(ctx)
	if err != nil {
		return fmt.Errorf("catalog: reading event trackers: %w", err)
	}
	bySchema := make(map[string]*perch.Schema, len(schemas))
	for _, s := range schemas {
		bySchema[s.ARN] = s
	}
	r := &routes{
		byTrackingID: make(map[string]route, len(trackers)+len(datasets)),
		byDataset:    make(map[string]route, len(datasets)),
	}
	for _, d := range datasets {
		to := route{arn: d.ARN, dataset: d}
		if s, ok := bySchema[d.SchemaARN]; ok {
			to.schema, to.err = c.schemaOf(s)
		} else {
			to.err = fmt.Errorf("catalog: the schema %s of dataset %s is missing", d.SchemaARN, d.ARN)
		}
		r.byDataset[d.ARN] = to
		if d.TrackingID != "" {
			r.byTrackingID[d.TrackingID] = to
		}
	}
	for _, t := range trackers {
		to, ok := r.byDataset[interactionsOf(t.GroupARN)]
		if !ok {
			to = route{err: perch.Errorf(perch.EInvalidInput,
				"The dataset group %s of event tracker %s has no Interactions dataset.", t.GroupARN, t.ARN)}
		}
		to.arn = t.ARN
		r.byTrackingID[t.TrackingID] = to
	}
	c.routes.Store(r)
	return nil
}

// interactionsOf returns the ARN of the Interactions dataset of the group
// groupARN, which its name and type make.
func interactionsOf(groupARN string) string {
	a, _ := perch.ParseARN(groupARN)
	name := a.Resource[len(perch.KindDatasetGroup)+1:]
	return perch.Scope{Region: a.Region, Account: a.Account}.DatasetARN(name, perch.Interactions)
}

// Target implements perch.Catalog. The events API models no
// ResourceNotFoundException, so an unknown trackingId is invalid input.
// The dataset and schema are shared and must not be modified.
func (c *Catalog) Target(ctx context.Context, trackingID string) (*perch.Dataset, *perch.AvroSchema, error) {
	to, ok := c.routes.Load().byTrackingID[trackingID]
	if !ok && c.shared != nil {
		// Another process may have created it a moment ago.
		if _, err := c.shared.TrackedBy(ctx, trackingID); err == nil {
			if err := c.publishRoutes(ctx); err != nil {
				return nil, nil, err
			}
			to, ok = c.routes.Load().byTrackingID[trackingID]
		} else if perch.ErrorCode(err) != perch.EResourceNotFound {
			return nil, nil, err
		}
	}
	if !ok || !c.scopeOf(ctx).Owns(to.arn) {
		return nil, nil, perch.Errorf(perch.EInvalidInput,
			"The tracking ID %s does not match any event tracker or Action interactions dataset.", trackingID)
	}
	if to.err != nil {
		return nil, nil, to.err
	}
	return to.dataset, to.schema, nil
}

// DatasetSchema implements perch.Catalog. The dataset and schema are
// shared and must not be modified.
func (c *Catalog) DatasetSchema(ctx context.Context, arn string) (*perch.Dataset, *perch.AvroSchema, error) {
	to, ok := c.routes.Load().byDataset[arn]
	if !ok && c.shared != nil && c.scopeOf(ctx).Owns(arn) {
		// Another process may have created it a moment ago.
		if _, err := c.shared.Dataset(ctx, arn); err == nil {
			if err := c.publishRoutes(ctx); err != nil {
				return nil, nil, err
			}
			to, ok = c.routes.Load().byDataset[arn]
		} else if perch.ErrorCode(err) != perch.EResourceNotFound {
			return nil, nil, err
		}
	}
	if !ok || !c.scopeOf(ctx).Owns(arn) {
		return nil, nil, perch.NotFound(arn)
	}
	if to.err != nil {
		return nil, nil, to.err
	}
	return to.dataset, to.schema, nil
}
