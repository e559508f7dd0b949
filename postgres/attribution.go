package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/perchdev/perch"
)

// Metric attributions are rows of their group, at most one each, changed
// like every other resource under their account's advisory lock.

func (r resources) CreateMetricAttribution(ctx context.Context, m *perch.Attribution) error {
	return r.s.change(ctx, m.ARN, false, func(tx pgx.Tx) error {
		g, err := mustDoc[perch.DatasetGroup](ctx, tx, m.GroupARN, "SELECT doc FROM dataset_groups WHERE arn = $1", m.GroupARN)
		if err != nil {
			return err
		}
		if err := notTaken(ctx, tx, "metric_attributions", m.ARN); err != nil {
			return err
		}
		all, err := docs[perch.Attribution](ctx, tx, "SELECT doc FROM metric_attributions WHERE group_arn = $1", g.ARN)
		if err != nil {
			return err
		}
		if err := perch.CheckNewMetricAttribution(g, m, all); err != nil {
			return err
		}
		scope, err := scopeOf(m.ARN)
		if err != nil {
			return err
		}
		js, err := jsonOf(m)
		if err != nil {
			return err
		}
		return insert(ctx, tx, m.ARN, "INSERT INTO metric_attributions (arn, scope, group_arn, created, doc) VALUES ($1, $2, $3, $4, $5)",
			m.ARN, scope, m.GroupARN, int64(m.Created), js)
	})
}

func (r resources) MetricAttribution(ctx context.Context, arn string) (v *perch.Attribution, err error) {
	err = r.s.lookup(ctx, func(ctx context.Context) error {
		v, err = mustDoc[perch.Attribution](ctx, r.s.pool, arn, "SELECT doc FROM metric_attributions WHERE arn = $1", arn)
		return err
	})
	return v, err
}

func (r resources) MetricAttributions(ctx context.Context) (list []*perch.Attribution, err error) {
	err = r.s.lookup(ctx, func(ctx context.Context) error {
		list, err = docs[perch.Attribution](ctx, r.s.pool, "SELECT doc FROM metric_attributions")
		return err
	})
	return list, err
}

func (r resources) UpdateMetricAttribution(ctx context.Context, m *perch.Attribution) error {
	return r.s.change(ctx, m.ARN, false, func(tx pgx.Tx) error {
		old, err := mustDoc[perch.Attribution](ctx, tx, m.ARN, "SELECT doc FROM metric_attributions WHERE arn = $1 FOR UPDATE", m.ARN)
		if err != nil {
			return err
		}
		if old.GroupARN != m.GroupARN {
			return perch.Errorf(perch.EInvalidInput, "Metric attribution %s cannot move to another dataset group.", m.ARN)
		}
		js, err := jsonOf(m)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE metric_attributions SET doc = $2 WHERE arn = $1", m.ARN, js)
		return err
	})
}

func (r resources) DeleteMetricAttribution(ctx context.Context, arn string) error {
	return r.s.change(ctx, arn, false, func(tx pgx.Tx) error {
		if err := mustExist(ctx, tx, "metric_attributions", arn); err != nil {
			return err
		}
		return remove(ctx, tx, "metric_attributions", arn)
	})
}
