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
	g, err := get(ctx, scope, in.GroupARN, c.rs.DatasetGroup)
	if err != nil {
		return nil, err
	}
	arn, err := c.newTrackerARN(ctx, scope)
	if err != nil {
		return nil, err
	}
	now := c.stamp()
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
	if err := c.rs.CreateEventTracker(ctx, t); err != nil {
		return nil, stored(err, "store event tracker", arn)
	}
	if err := c.publishRoutes(ctx); err != nil {
		return nil, err
	}
	return t, nil
}

// newTrackerARN returns an event tracker ARN with a short random
// hexadecimal id, the form real tracker ARNs have, that no tracker has.
func (c *Catalog) newTrackerARN(ctx context.Context, scope perch.Scope) (string, error) {
	for {
		id := make([]byte, 4)
		rand.Read(id)
		arn := scope.EventTrackerARN(hex.EncodeToString(id))
		_, err := c.rs.EventTracker(ctx, arn)
		if perch.ErrorCode(err) == perch.EResourceNotFound {
			return arn, nil
		}
		if err != nil {
			return "", err
		}
	}
}

// DescribeEventTracker implements perch.Catalog.
func (c *Catalog) DescribeEventTracker(ctx context.Context, arn string) (*perch.EventTracker, error) {
	return get(ctx, c.scopeOf(ctx), arn, c.rs.EventTracker)
}

// ListEventTrackers implements perch.Catalog. A group that does not exist
// has no trackers.
func (c *Catalog) ListEventTrackers(ctx context.Context, groupARN string, p perch.Page) ([]*perch.EventTracker, string, error) {
	list, err := c.rs.EventTrackers(ctx)
	if err != nil {
		return nil, "", err
	}
	return perch.Paginate(owned(list, trackerARN, c.scopeOf(ctx), trackerOf(groupARN)), trackerPosition, same, "event-trackers "+groupARN, p)
}

func trackerARN(t *perch.EventTracker) string { return t.ARN }

// trackerOf keeps the event trackers of the group groupARN; "" keeps all.
func trackerOf(groupARN string) func(*perch.EventTracker) bool {
	return func(t *perch.EventTracker) bool { return groupARN == "" || t.GroupARN == groupARN }
}

func trackerPosition(t *perch.EventTracker) perch.Position {
	return perch.Position{Created: t.Created, ARN: t.ARN}
}

// DeleteEventTracker implements perch.Catalog.
func (c *Catalog) DeleteEventTracker(ctx context.Context, arn string) error {
	if !c.scopeOf(ctx).Owns(arn) {
		return perch.NotFound(arn)
	}
	if err := c.rs.DeleteEventTracker(ctx, arn); err != nil {
		return stored(err, "delete event tracker", arn)
	}
	return c.publishRoutes(ctx)
}
