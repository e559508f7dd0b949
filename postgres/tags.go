package postgres

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/perchdev/perch"
)

var _ perch.TagStore = resources{}

func (r resources) ResourceTags(ctx context.Context, arn string, created perch.Timestamp) (tags []perch.Tag, ok bool, err error) {
	err = r.s.lookup(ctx, func(ctx context.Context) error {
		tags, ok, err = resourceTags(ctx, r.s.pool, arn, created, "")
		return err
	})
	return tags, ok, err
}

// resourceTags reads the tags of arn, with lock appended to the query.
func resourceTags(ctx context.Context, q querier, arn string, created perch.Timestamp, lock string) ([]perch.Tag, bool, error) {
	var js []byte
	err := q.QueryRow(ctx, "SELECT tags FROM resource_tags WHERE arn = $1 AND created = $2"+lock, arn, int64(created)).Scan(&js)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var tags []perch.Tag
	if err := json.Unmarshal(js, &tags); err != nil {
		return nil, false, err
	}
	return tags, true, nil
}

// ChangeResourceTags runs under the account's advisory lock, as every
// change of resources does, so that two changes of one resource's tags
// never interleave.
func (r resources) ChangeResourceTags(ctx context.Context, arn string, created perch.Timestamp, base []perch.Tag, change func([]perch.Tag) ([]perch.Tag, error)) error {
	return r.s.change(ctx, arn, false, func(tx pgx.Tx) error {
		current, set, err := resourceTags(ctx, tx, arn, created, " FOR UPDATE")
		if err != nil {
			return err
		}
		next, err := perch.NextTags(current, set, base, change)
		if err != nil {
			return err
		}
		if next == nil {
			next = []perch.Tag{}
		}
		js, err := jsonOf(next)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO resource_tags (arn, created, tags) VALUES ($1, $2, $3)
			ON CONFLICT (arn) DO UPDATE SET created = EXCLUDED.created, tags = EXCLUDED.tags`, arn, int64(created), js)
		return err
	})
}
