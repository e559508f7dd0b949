package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/perchdev/perch"
)

// Filters are rows of their group, changed like every other resource
// under their account's advisory lock.

func (r resources) CreateFilter(ctx context.Context, f *perch.Filter, quota int) error {
	return r.s.change(ctx, f.ARN, false, func(tx pgx.Tx) error {
		g, err := mustDoc[perch.DatasetGroup](ctx, tx, f.GroupARN, "SELECT doc FROM dataset_groups WHERE arn = $1", f.GroupARN)
		if err != nil {
			return err
		}
		if err := notTaken(ctx, tx, "filters", f.ARN); err != nil {
			return err
		}
		filters, err := docs[perch.Filter](ctx, tx, "SELECT doc FROM filters WHERE group_arn = $1", g.ARN)
		if err != nil {
			return err
		}
		if err := perch.CheckNewFilter(g, f, filters, quota); err != nil {
			return err
		}
		scope, err := scopeOf(f.ARN)
		if err != nil {
			return err
		}
		js, err := jsonOf(f)
		if err != nil {
			return err
		}
		return insert(ctx, tx, f.ARN, "INSERT INTO filters (arn, scope, group_arn, created, doc) VALUES ($1, $2, $3, $4, $5)",
			f.ARN, scope, f.GroupARN, int64(f.Created), js)
	})
}

func (r resources) Filter(ctx context.Context, arn string) (v *perch.Filter, err error) {
	err = r.s.lookup(ctx, func(ctx context.Context) error {
		v, err = mustDoc[perch.Filter](ctx, r.s.pool, arn, "SELECT doc FROM filters WHERE arn = $1", arn)
		return err
	})
	return v, err
}

func (r resources) Filters(ctx context.Context) (list []*perch.Filter, err error) {
	err = r.s.lookup(ctx, func(ctx context.Context) error {
		list, err = docs[perch.Filter](ctx, r.s.pool, "SELECT doc FROM filters")
		return err
	})
	return list, err
}

func (r resources) DeleteFilter(ctx context.Context, arn string) error {
	return r.s.change(ctx, arn, false, func(tx pgx.Tx) error {
		if err := mustExist(ctx, tx, "filters", arn); err != nil {
			return err
		}
		return remove(ctx, tx, "filters", arn)
	})
}
