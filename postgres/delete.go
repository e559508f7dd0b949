package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/perchdev/perch"
)

// deleteUsersAtOnce bounds the users one deletion transaction removes the
// records of, and so how long it holds the dataset's commits back.
const deleteUsersAtOnce = 100

// DeleteUsers implements perch.Store. Each transaction locks the dataset's
// row FOR UPDATE, so that no commit of records or import of the dataset
// runs while it deletes and re-elects originals: what it finds is exactly
// what is stored, and a record committed before the call cannot be missed.
func (s *Store) DeleteUsers(ctx context.Context, d *perch.Dataset, users []string) (int, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.leave()
	var del func(tx pgx.Tx, users []string) (int, error)
	switch d.Type {
	case perch.Interactions:
		del = func(tx pgx.Tx, users []string) (int, error) {
			return deleteInteractions(ctx, tx, int64(d.ID), users, "events", "bulk_events", sameBulkEvent)
		}
	case perch.ActionInteractions:
		del = func(tx pgx.Tx, users []string) (int, error) {
			return deleteInteractions(ctx, tx, int64(d.ID), users, "action_interactions", "bulk_action_interactions", sameBulkAction)
		}
	case perch.Users:
		del = func(tx pgx.Tx, users []string) (int, error) { return deleteEntities(ctx, tx, int64(d.ID), users) }
	default:
		return 0, nil
	}
	total := 0
	for len(users) > 0 {
		chunk := users[:min(len(users), deleteUsersAtOnce)]
		users = users[len(chunk):]
		n := 0
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			// A user with many records takes a while; the deletion runs
			// as a job, under the job's context.
			if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
				return err
			}
			var id int64
			err := tx.QueryRow(ctx, "SELECT id FROM datasets WHERE id = $1 FOR UPDATE", int64(d.ID)).Scan(&id)
			if errors.Is(err, pgx.ErrNoRows) {
				return perch.Errorf(perch.EResourceNotFound, "Could not find resource: %s", d.ARN)
			}
			if err != nil {
				return err
			}
			n, err = del(tx, chunk)
			return err
		})
		if err != nil {
			return total, s.failure(ctx, err, true)
		}
		total += n
	}
	return total, nil
}

// deleteInteractions deletes the users' records put through the API and
// imported (in live generations) and re-elects originals: an eventId
// whose original went is taken by its first remaining record, or leaves
// event_ids when it has none; an imported row whose earlier identical
// rows all went is no longer a duplicate.
func deleteInteractions(ctx context.Context, tx pgx.Tx, datasetID int64, users []string, put, bulk, same string) (int, error) {
	var putN, bulkN int
	var originals []string
	var hashes []int64
	err := tx.QueryRow(ctx, `WITH gone AS (
			DELETE FROM `+put+` WHERE dataset_id = $1 AND user_id = ANY($2) AND user_id <> '' RETURNING event_id, duplicate)
		SELECT count(*), coalesce(array_agg(DISTINCT event_id) FILTER (WHERE NOT duplicate), '{}') FROM gone`,
		datasetID, users).Scan(&putN, &originals)
	if err != nil {
		return 0, err
	}
	if len(originals) > 0 {
		_, err = tx.Exec(ctx, `WITH firsts AS (
				SELECT DISTINCT ON (event_id) seq, event_id FROM `+put+`
				WHERE dataset_id = $1 AND duplicate AND event_id = ANY($2) ORDER BY event_id, seq),
			elected AS (
				UPDATE `+put+` e SET duplicate = false FROM firsts f WHERE e.dataset_id = $1 AND e.seq = f.seq RETURNING e.event_id)
			DELETE FROM event_ids WHERE dataset_id = $1 AND event_id = ANY($2) AND event_id NOT IN (SELECT event_id FROM elected)`,
			datasetID, originals)
		if err != nil {
			return 0, err
		}
	}
	err = tx.QueryRow(ctx, `WITH gone AS (
			DELETE FROM `+bulk+` WHERE dataset_id = $1 AND user_id = ANY($2) AND user_id <> ''
			AND gen IN (SELECT gen FROM bulk_generations WHERE dataset_id = $1 AND state = 'live')
			RETURNING hash, duplicate)
		SELECT count(*), coalesce(array_agg(DISTINCT hash) FILTER (WHERE NOT duplicate), '{}') FROM gone`,
		datasetID, users).Scan(&bulkN, &hashes)
	if err != nil {
		return 0, err
	}
	if len(hashes) > 0 {
		_, err = tx.Exec(ctx, `WITH live AS (SELECT gen FROM bulk_generations WHERE dataset_id = $1 AND state = 'live')
			UPDATE `+bulk+` b SET duplicate = false
			WHERE b.dataset_id = $1 AND b.hash = ANY($2) AND b.duplicate AND b.gen IN (SELECT gen FROM live)
			AND NOT EXISTS (SELECT FROM `+bulk+` o WHERE o.dataset_id = b.dataset_id AND o.hash = b.hash
				AND o.gen IN (SELECT gen FROM live) AND (o.gen, o.pos) < (b.gen, b.pos) AND `+same+`)`,
			datasetID, hashes)
		if err != nil {
			return 0, err
		}
	}
	return putN + bulkN, nil
}

// deleteEntities deletes the users' records of a Users dataset, put and
// imported.
func deleteEntities(ctx context.Context, tx pgx.Tx, datasetID int64, users []string) (int, error) {
	put, err := tx.Exec(ctx, "DELETE FROM entities WHERE dataset_id = $1 AND id = ANY($2)", datasetID, users)
	if err != nil {
		return 0, err
	}
	bulk, err := tx.Exec(ctx, `DELETE FROM bulk_entities WHERE dataset_id = $1 AND id = ANY($2)
		AND gen IN (SELECT gen FROM bulk_generations WHERE dataset_id = $1 AND state = 'live')`, datasetID, users)
	if err != nil {
		return 0, err
	}
	return int(put.RowsAffected() + bulk.RowsAffected()), nil
}
