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
	g, err := lookup(c.groups, scope, in.GroupARN)
	if err != nil {
		return nil, err
	}
	if err := perch.CheckNewEventTracker(g, in.Name, inScope(c.trackers, scope, all)); err != nil {
		return nil, err
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
	c.publishRoutes()
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
	if _, err := lookup(c.trackers, c.scopeOf(ctx), arn); err != nil {
		return err
	}
	if err := c.rs.DeleteEventTracker(ctx, arn); err != nil {
		return stored(err, "delete event tracker", arn)
	}
	delete(c.trackers, arn)
	c.publishRoutes()
	return nil
}
