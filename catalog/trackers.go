package catalog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"

	"github.com/google/uuid"

	"github.com/perchdev/perch"
)

// CreateEventTracker implements perch.Catalog.
func (c *Catalog) CreateEventTracker(ctx context.Context, in perch.CreateEventTrackerInput) (*perch.EventTracker, error) {
	scope := c.scopeOf(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	g, err := c.activeGroup(scope, in.GroupARN)
	if err != nil {
		return nil, err
	}
	if existing := inScope(c.trackers, scope, trackerOf(g.ARN)); len(existing) > 0 {
		return nil, perch.Errorf(perch.EResourceAlreadyExists,
			"Dataset group %s already has an event tracker: %s", g.ARN, existing[0].ARN)
	}
	named := inScope(c.trackers, scope, func(t *perch.EventTracker) bool { return t.Name == in.Name })
	if len(named) > 0 {
		return nil, perch.Errorf(perch.EResourceAlreadyExists,
			"An event tracker named %s already exists: %s", in.Name, named[0].ARN)
	}
	arn := c.newTrackerARN(scope)
	now := perch.TimestampOf(c.now())
	t := &perch.EventTracker{
		ARN:        arn,
		Name:       in.Name,
		AccountID:  scope.Account,
		TrackingID: uuid.NewString(),
		GroupARN:   g.ARN,
		Status:     perch.StatusActive,
		Tags:       slices.Clone(in.Tags),
		Created:    now,
		Updated:    now,
	}
	if err := c.rs.PutEventTracker(ctx, t); err != nil {
		return nil, stored(err, "store event tracker", arn)
	}
	c.trackers[arn] = t
	c.tracked[t.TrackingID] = arn
	return cloneTracker(t), nil
}

// newTrackerARN returns an unused event tracker ARN with a short random
// hexadecimal id, the form real tracker ARNs have.
func (c *Catalog) newTrackerARN(scope perch.Scope) string {
	for {
		id := make([]byte, 4)
		rand.Read(id)
		arn := scope.EventTrackerARN(hex.EncodeToString(id))
		if _, taken := c.trackers[arn]; !taken {
			return arn
		}
	}
}

// DescribeEventTracker implements perch.Catalog.
func (c *Catalog) DescribeEventTracker(ctx context.Context, arn string) (*perch.EventTracker, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	t, err := lookup(c.trackers, c.scopeOf(ctx), arn)
	if err != nil {
		return nil, err
	}
	return cloneTracker(t), nil
}

// ListEventTrackers implements perch.Catalog. A group that does not exist
// has no trackers.
func (c *Catalog) ListEventTrackers(ctx context.Context, groupARN string, p perch.Page) ([]*perch.EventTracker, string, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	items := inScope(c.trackers, c.scopeOf(ctx), trackerOf(groupARN))
	return perch.Paginate(items, trackerPosition, cloneTracker, "event-trackers "+groupARN, p)
}

func trackerPosition(t *perch.EventTracker) perch.Position {
	return perch.Position{Created: t.Created, ARN: t.ARN}
}

// DeleteEventTracker implements perch.Catalog.
func (c *Catalog) DeleteEventTracker(ctx context.Context, arn string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, err := lookup(c.trackers, c.scopeOf(ctx), arn)
	if err != nil {
		return err
	}
	if err := c.rs.DeleteEventTracker(ctx, arn); err != nil {
		return stored(err, "delete event tracker", arn)
	}
	delete(c.trackers, arn)
	delete(c.tracked, t.TrackingID)
	return nil
}

// Target implements perch.Catalog. The events API models no
// ResourceNotFoundException, so an unknown trackingId is invalid input.
// The schema is shared and must not be modified.
func (c *Catalog) Target(ctx context.Context, trackingID string) (*perch.Dataset, *perch.AvroSchema, error) {
	scope := c.scopeOf(ctx)
	c.mu.RLock()
	defer c.mu.RUnlock()
	arn, ok := c.tracked[trackingID]
	if !ok || !scope.Owns(arn) {
		return nil, nil, perch.Errorf(perch.EInvalidInput,
			"The tracking ID %s does not match any event tracker or Action interactions dataset.", trackingID)
	}
	if d, ok := c.datasets[arn]; ok {
		return c.withSchema(d)
	}
	t := c.trackers[arn]
	var interactions *perch.Dataset
	if g, ok := c.groups[t.GroupARN]; ok {
		interactions = c.datasets[scope.DatasetARN(g.Name, perch.Interactions)]
	}
	if interactions == nil {
		return nil, nil, perch.Errorf(perch.EInvalidInput,
			"The dataset group %s of event tracker %s has no Interactions dataset.", t.GroupARN, t.ARN)
	}
	return c.withSchema(interactions)
}
