package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"hash/fnv"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/perchdev/perch"
)

// Bulk data lives in generations (bulk_generations). BulkLoad registers a
// staged generation; the loader copies its rows in with COPY, each Add in
// a transaction of its own committed without waiting for its WAL flush
// (nothing depends on staged rows); Commit, in one synchronous
// transaction, marks which rows are exact duplicates, drops the live
// generations a FULL import replaces and makes its own live. Readers read
// live generations only, so an import is seen whole or not at all. The
// dropped generations' rows are deleted after the commit.

// BulkLoad implements perch.Store.
func (s *Store) BulkLoad(ctx context.Context, d *perch.Dataset) (perch.BulkLoader, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	wctx, cancel := s.writeContext(ctx)
	defer cancel()
	var gen int64
	err := s.pool.QueryRow(wctx, `INSERT INTO bulk_generations (dataset_id, gen, state) VALUES ($1, nextval('bulk_gens'), 'staged')
		RETURNING gen`, int64(d.ID)).Scan(&gen)
	if err != nil {
		return nil, s.failure(ctx, err, true)
	}
	return &loader{s: s, d: d, gen: gen}, nil
}

// loader is a perch.BulkLoader: it stages records in generation gen.
type loader struct {
	s    *Store
	d    *perch.Dataset
	gen  int64
	pos  int64 // last row number staged
	done bool
}

var bulkEventColumns = []string{"dataset_id", "gen", "pos", "event_type", "event_value", "item_id", "user_id", "sent_at",
	"impression", "recommendation_id", "properties", "attribution", "hash"}

var bulkActionColumns = []string{"dataset_id", "gen", "pos", "event_type", "action_id", "user_id", "ts",
	"impression", "recommendation_id", "properties", "hash"}

// Add implements perch.BulkLoader.
func (l *loader) Add(ctx context.Context, b *perch.Batch) error {
	if l.done {
		return errors.New("postgres: Add after Commit or Abort")
	}
	if err := storable(b); err != nil {
		return err
	}
	s := l.s
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	wctx, cancel := s.writeContext(ctx)
	defer cancel()
	id := int64(l.d.ID)
	pos := l.pos
	err := pgx.BeginFunc(wctx, s.pool, func(tx pgx.Tx) error {
		// The synchronous commit of the import's Commit flushes the WAL
		// of these rows too.
		if _, err := tx.Exec(wctx, "SET LOCAL synchronous_commit = off"); err != nil {
			return err
		}
		tag, err := tx.Exec(wctx, `UPDATE bulk_generations SET touched = now() WHERE dataset_id = $1 AND gen = $2 AND state = 'staged'`,
			id, l.gen)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return perch.Errorf(perch.EResourceNotFound, "Could not find resource: %s", l.d.ARN)
		}
		switch {
		case len(b.Events) > 0:
			rows := make([][]any, len(b.Events))
			for i := range b.Events {
				e := &b.Events[i]
				pos++
				rows[i] = []any{id, l.gen, pos, e.EventType, e.EventValue, e.ItemID, e.UserID, int64(e.SentAt),
					nilIfEmpty(e.Impression), e.RecommendationID, e.Properties, attribution(e.MetricAttribution), eventHash(e)}
			}
			_, err = tx.CopyFrom(wctx, pgx.Identifier{"bulk_events"}, bulkEventColumns, pgx.CopyFromRows(rows))
		case len(b.ActionInteractions) > 0:
			rows := make([][]any, len(b.ActionInteractions))
			for i := range b.ActionInteractions {
				a := &b.ActionInteractions[i]
				pos++
				rows[i] = []any{id, l.gen, pos, a.EventType, a.ActionID, a.UserID, int64(a.Timestamp),
					nilIfEmpty(a.Impression), a.RecommendationID, a.Properties, actionHash(a)}
			}
			_, err = tx.CopyFrom(wctx, pgx.Identifier{"bulk_action_interactions"}, bulkActionColumns, pgx.CopyFromRows(rows))
		case len(b.Entities) > 0:
			// The last row of an id in the generation wins.
			var ids, props []string
			var updated []int64
			at := map[string]int{}
			for i := range b.Entities {
				e := &b.Entities[i]
				if j, ok := at[e.ID]; ok {
					props[j], updated[j] = e.Properties, int64(e.Updated)
					continue
				}
				at[e.ID] = len(ids)
				ids, props, updated = append(ids, e.ID), append(props, e.Properties), append(updated, int64(e.Updated))
			}
			_, err = tx.Exec(wctx, `INSERT INTO bulk_entities (dataset_id, gen, id, properties, updated)
				SELECT $1, $2, r.id, r.properties, r.updated FROM unnest($3::text[], $4::text[], $5::bigint[]) AS r(id, properties, updated)
				ON CONFLICT (dataset_id, gen, id) DO UPDATE SET properties = excluded.properties, updated = excluded.updated`,
				id, l.gen, ids, props, updated)
		}
		return err
	})
	if err != nil {
		return s.failure(ctx, err, true)
	}
	l.pos = pos
	return nil
}

// The conditions under which a bulk row o is identical to a bulk row b.
const (
	sameBulkEvent = `(o.event_type, o.event_value, o.item_id, o.user_id, o.sent_at, o.impression, o.recommendation_id, o.properties, o.attribution)
		IS NOT DISTINCT FROM (b.event_type, b.event_value, b.item_id, b.user_id, b.sent_at, b.impression, b.recommendation_id, b.properties, b.attribution)`
	sameBulkAction = `(o.event_type, o.action_id, o.user_id, o.ts, o.impression, o.recommendation_id, o.properties)
		IS NOT DISTINCT FROM (b.event_type, b.action_id, b.user_id, b.ts, b.impression, b.recommendation_id, b.properties)`
)

// bulkTable is the bulk table of interactions of a dataset type and the
// condition of identical rows in it; "" for entity datasets.
func bulkTable(t perch.DatasetType) (table, same string) {
	switch t {
	case perch.Interactions:
		return "bulk_events", sameBulkEvent
	case perch.ActionInteractions:
		return "bulk_action_interactions", sameBulkAction
	}
	return "", ""
}

// Commit implements perch.BulkLoader.
func (l *loader) Commit(ctx context.Context, mode perch.ImportMode) error {
	if l.done {
		return errors.New("postgres: Commit after Commit or Abort")
	}
	s := l.s
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	id := int64(l.d.ID)
	var dropped []int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Marking the duplicates of a large import takes a while.
		if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
			return err
		}
		// Imports of a dataset commit one at a time (and DeleteUsers,
		// FOR UPDATE, waits for them), so that each sees the generations
		// before it whole; the events API's commits (FOR KEY SHARE) go on.
		rows, err := tx.Query(ctx, "SELECT FROM datasets WHERE id = $1 FOR NO KEY UPDATE", id)
		if err != nil {
			return err
		}
		n := 0
		for rows.Next() {
			n++
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if n == 0 {
			return perch.Errorf(perch.EResourceNotFound, "Could not find resource: %s", l.d.ARN)
		}
		var state string
		err = tx.QueryRow(ctx, "SELECT state FROM bulk_generations WHERE dataset_id = $1 AND gen = $2 FOR UPDATE", id, l.gen).Scan(&state)
		if errors.Is(err, pgx.ErrNoRows) || err == nil && state != "staged" {
			return perch.Errorf(perch.EResourceNotFound, "Could not find resource: %s", l.d.ARN)
		}
		if err != nil {
			return err
		}
		var earlier []int64
		if mode == perch.ImportFull {
			rows, err = tx.Query(ctx, "UPDATE bulk_generations SET state = 'dropped' WHERE dataset_id = $1 AND state = 'live' RETURNING gen", id)
			if err == nil {
				dropped, err = pgx.CollectRows(rows, pgx.RowTo[int64])
			}
		} else {
			rows, err = tx.Query(ctx, "SELECT gen FROM bulk_generations WHERE dataset_id = $1 AND state = 'live'", id)
			if err == nil {
				earlier, err = pgx.CollectRows(rows, pgx.RowTo[int64])
			}
		}
		if err != nil {
			return err
		}
		if table, same := bulkTable(l.d.Type); table != "" {
			_, err = tx.Exec(ctx, `UPDATE `+table+` b SET duplicate = true
				WHERE b.dataset_id = $1 AND b.gen = $2 AND EXISTS (
					SELECT FROM `+table+` o WHERE o.dataset_id = b.dataset_id AND o.hash = b.hash
					AND (o.gen = b.gen AND o.pos < b.pos OR o.gen = ANY($3)) AND `+same+`)`,
				id, l.gen, earlier)
			if err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, "UPDATE bulk_generations SET state = 'live' WHERE dataset_id = $1 AND gen = $2", id, l.gen)
		return err
	})
	if err != nil {
		if perch.ErrorCode(err) == perch.EResourceNotFound {
			l.done = true
			if err := s.deleteGenerations(context.WithoutCancel(ctx), id, []int64{l.gen}); err != nil {
				s.log.Warn("postgres: deleting the rows of an import of a deleted dataset", "err", err)
			}
		}
		return s.failure(ctx, err, true)
	}
	l.done = true
	if len(dropped) > 0 {
		if err := s.deleteGenerations(context.WithoutCancel(ctx), id, dropped); err != nil {
			// Invisible already; the next Open deletes them.
			s.log.Warn("postgres: deleting the rows of replaced bulk generations", "err", err)
		}
	}
	return nil
}

// Abort implements perch.BulkLoader.
func (l *loader) Abort() error {
	if l.done {
		return nil
	}
	l.done = true
	s := l.s
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	ctx, cancel := s.writeContext(context.Background())
	defer cancel()
	return s.failure(ctx, s.deleteGenerations(ctx, int64(l.d.ID), []int64{l.gen}), true)
}

// deleteGenerations deletes the generations gens of a dataset and their
// rows, which no reader reads: they are staged or dropped. Its commit is
// not waited for: a generation that comes back after a crash is still
// invisible, and the next Open deletes it if it was dropped.
func (s *Store) deleteGenerations(ctx context.Context, datasetID int64, gens []int64) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue("SET LOCAL synchronous_commit = off")
		b.Queue("SET LOCAL statement_timeout = 0")
		for _, table := range []string{"bulk_events", "bulk_action_interactions", "bulk_entities", "bulk_generations"} {
			b.Queue("DELETE FROM "+table+" WHERE dataset_id = $1 AND gen = ANY($2)", datasetID, gens)
		}
		return tx.SendBatch(ctx, b).Close()
	})
}

func nilIfEmpty(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	return list
}

// contentHash hashes the fields of a record, each with its length, so
// that identical records, and only those but for collisions, share a
// hash. The commit of an import compares the columns of rows of one
// hash, so that a collision never makes a duplicate.
type contentHash struct {
	h interface{ Write([]byte) (int, error) }
}

func (c contentHash) str(v string) {
	var n [binary.MaxVarintLen64]byte
	_, _ = c.h.Write(n[:binary.PutUvarint(n[:], uint64(len(v)))])
	_, _ = c.h.Write([]byte(v))
}

func (c contentHash) num(v uint64) {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], v)
	_, _ = c.h.Write(n[:])
}

func (c contentHash) list(vs []string) {
	c.num(uint64(len(vs)))
	for _, v := range vs {
		c.str(v)
	}
}

// everyHashCollides, set by tests, files every row under one hash, so
// that only the comparison of columns tells identical rows.
var everyHashCollides bool

func eventHash(e *perch.Event) int64 {
	if everyHashCollides {
		return 0
	}
	h := fnv.New64a()
	c := contentHash{h}
	c.str(e.EventType)
	if e.EventValue != nil {
		c.num(1)
		c.num(math.Float64bits(*e.EventValue))
	} else {
		c.num(0)
	}
	c.str(e.ItemID)
	c.str(e.UserID)
	c.num(uint64(e.SentAt))
	c.list(e.Impression)
	c.str(e.RecommendationID)
	c.str(e.Properties)
	if e.MetricAttribution != nil {
		c.num(1)
		c.str(e.MetricAttribution.EventAttributionSource)
	} else {
		c.num(0)
	}
	return int64(h.Sum64())
}

func actionHash(a *perch.ActionInteraction) int64 {
	if everyHashCollides {
		return 0
	}
	h := fnv.New64a()
	c := contentHash{h}
	c.str(a.EventType)
	c.str(a.ActionID)
	c.str(a.UserID)
	c.num(uint64(a.Timestamp))
	c.list(a.Impression)
	c.str(a.RecommendationID)
	c.str(a.Properties)
	return int64(h.Sum64())
}
