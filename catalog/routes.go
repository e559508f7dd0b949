package catalog

import (
	"context"

	"github.com/perchdev/perch"
)

// routes is what the events API looks up on every call: where a
// trackingId or a dataset ARN sends records, with the schema they are
// checked against. It is built whole after each change of the catalog and
// never modified once published, so that an events call reads it without
// the catalog's lock, which a control-plane change holds across a synced
// commit.
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

// publishRoutes builds the routes from the catalog's maps and publishes
// them; the caller holds c.mu.
func (c *Catalog) publishRoutes() {
	r := &routes{
		byTrackingID: make(map[string]route, len(c.trackers)+len(c.datasets)),
		byDataset:    make(map[string]route, len(c.datasets)),
	}
	for arn, d := range c.datasets {
		to := c.routeTo(arn, d)
		r.byDataset[arn] = to
		if d.TrackingID != "" {
			r.byTrackingID[d.TrackingID] = to
		}
	}
	for arn, t := range c.trackers {
		to := route{arn: arn, err: perch.Errorf(perch.EInvalidInput,
			"The dataset group %s of event tracker %s has no Interactions dataset.", t.GroupARN, t.ARN)}
		if g, ok := c.groups[t.GroupARN]; ok {
			if d, ok := c.datasets[scopeOfARN(g.ARN).DatasetARN(g.Name, perch.Interactions)]; ok {
				to = c.routeTo(arn, d)
			}
		}
		r.byTrackingID[t.TrackingID] = to
	}
	c.routes.Store(r)
}

// routeTo is the route to dataset d for a key of the resource arn.
func (c *Catalog) routeTo(arn string, d *perch.Dataset) route {
	schema, err := c.schemaOf(d.SchemaARN)
	return route{arn: arn, dataset: cloneDataset(d), schema: schema, err: err}
}

// scopeOfARN returns the region and account of a resource's ARN.
func scopeOfARN(arn string) perch.Scope {
	a, _ := perch.ParseARN(arn)
	return perch.Scope{Region: a.Region, Account: a.Account}
}

// Target implements perch.Catalog. The events API models no
// ResourceNotFoundException, so an unknown trackingId is invalid input.
// The dataset and schema are shared and must not be modified.
func (c *Catalog) Target(ctx context.Context, trackingID string) (*perch.Dataset, *perch.AvroSchema, error) {
	to, ok := c.routes.Load().byTrackingID[trackingID]
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
	if !ok || !c.scopeOf(ctx).Owns(arn) {
		return nil, nil, notFound(arn)
	}
	if to.err != nil {
		return nil, nil, to.err
	}
	return to.dataset, to.schema, nil
}
