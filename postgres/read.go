package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/perchdev/perch"
)

// reader runs the statements of one read in one read-only REPEATABLE
// READ transaction, so that the read sees one snapshot however many
// statements it takes (the live generations, then each source). Rows
// stream from the database as the callback takes them.
type reader struct {
	ctx    context.Context
	cancel context.CancelFunc
	tx     pgx.Tx
	// stop is the callback's error that ended the read.
	stop error
}

// read runs fn in a reader's transaction and returns the callback's error
// if it stopped the read, else the read's own.
func (s *Store) read(ctx context.Context, fn func(r *reader) error) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tx, err := s.pool.BeginTx(qctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return s.failure(ctx, err, false)
	}
	r := &reader{ctx: qctx, cancel: cancel, tx: tx}
	// A read streams for as long as its caller takes the records; the
	// statement timeout is for writes.
	_, err = tx.Exec(qctx, "SET LOCAL statement_timeout = 0")
	if err == nil {
		err = fn(r)
	}
	if r.stop != nil {
		// The connection was given up to stop the query mid-stream.
		_ = tx.Rollback(context.Background())
		return r.stop
	}
	if err == nil {
		err = tx.Commit(qctx)
	} else {
		_ = tx.Rollback(context.Background())
	}
	return s.failure(ctx, err, false)
}

// each runs a query and calls visit after scanning each row into dest,
// until visit returns an error, which ends the read: the query is then
// cancelled rather than read to its end.
func (r *reader) each(sql string, args []any, dest []any, visit func() error) error {
	rows, err := r.tx.Query(r.ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if err := visit(); err != nil {
			r.stop = err
			r.cancel()
			return err
		}
	}
	return rows.Err()
}

// liveGenerations returns the dataset's live bulk generations, oldest
// first.
func (r *reader) liveGenerations(datasetID uint64) ([]int64, error) {
	rows, err := r.tx.Query(r.ctx, `SELECT gen FROM bulk_generations WHERE dataset_id = $1 AND state = 'live' ORDER BY gen`,
		int64(datasetID))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// interactionTable describes the tables of one kind of interaction for
// the queries of a read.
type interactionTable struct {
	put, bulk string // table names
	// putColumns and bulkColumns are selected, in the order the scan
	// wants them; timeColumn is the record's time.
	putColumns, bulkColumns, timeColumn string
}

var (
	eventTables = interactionTable{
		put: "events", bulk: "bulk_events", timeColumn: "sent_at",
		putColumns:  "event_id, event_type, event_value, item_id, user_id, session_id, sent_at, impression, recommendation_id, properties, attribution, duplicate",
		bulkColumns: "'', event_type, event_value, item_id, user_id, '', sent_at, impression, recommendation_id, properties, attribution, duplicate",
	}
	actionTables = interactionTable{
		put: "action_interactions", bulk: "bulk_action_interactions", timeColumn: "ts",
		putColumns:  "event_id, event_type, action_id, user_id, session_id, ts, impression, recommendation_id, properties, duplicate",
		bulkColumns: "'', event_type, action_id, user_id, '', ts, impression, recommendation_id, properties, duplicate",
	}
)

// query builds the select of one source of q's records: the records put
// through the API (gen < 0) or one bulk generation, at most limit (none
// when limit <= 0).
func (t interactionTable) query(datasetID uint64, gen int64, q perch.RecordQuery, limit int) (string, []any) {
	var b strings.Builder
	args := []any{int64(datasetID)}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	order := "seq"
	if gen < 0 {
		fmt.Fprintf(&b, "SELECT %s FROM %s WHERE dataset_id = $1", t.putColumns, t.put)
	} else {
		fmt.Fprintf(&b, "SELECT %s FROM %s WHERE dataset_id = $1 AND gen = %s", t.bulkColumns, t.bulk, arg(gen))
		order = "pos"
	}
	if q.UserID != "" {
		// The user index leaves anonymous records out.
		fmt.Fprintf(&b, " AND user_id = %s AND user_id <> ''", arg(q.UserID))
	}
	if q.SessionID != "" && gen < 0 {
		fmt.Fprintf(&b, " AND session_id = %s", arg(q.SessionID))
	}
	if q.Time != nil {
		fmt.Fprintf(&b, " AND %s >= %s AND %s < %s", t.timeColumn, arg(int64(q.Time.From)), t.timeColumn, arg(int64(q.Time.To)))
	}
	if q.Newest {
		order += " DESC"
	}
	fmt.Fprintf(&b, " ORDER BY %s", order)
	if limit > 0 {
		fmt.Fprintf(&b, " LIMIT %s", arg(limit))
	}
	return b.String(), args
}

// scanInteractions reads the records of q from each source in turn: the
// live bulk generations, oldest first, in import order, then the records
// put through the API in the store's order; scanning each row into dest
// and calling visit. With q.Newest the order is the reverse, each query
// reading its index backwards.
func (s *Store) scanInteractions(ctx context.Context, t interactionTable, datasetID uint64, q perch.RecordQuery,
	dest []any, visit func(bulk bool) error) error {
	return s.read(ctx, func(r *reader) error {
		matched := 0
		left := func() int {
			if q.Limit <= 0 {
				return 0
			}
			return q.Limit - matched
		}
		var sources []int64 // bulk generations, and -1 for the records put
		// Bulk records have no session.
		if q.Wants(perch.IngestBulk) && q.SessionID == "" {
			gens, err := r.liveGenerations(datasetID)
			if err != nil {
				return err
			}
			sources = gens
		}
		if q.Wants(perch.IngestPut) {
			sources = append(sources, -1)
		}
		if q.Newest {
			slices.Reverse(sources)
		}
		for _, g := range sources {
			if q.Limit > 0 && matched >= q.Limit {
				return nil
			}
			sql, args := t.query(datasetID, g, q, left())
			if err := r.each(sql, args, dest, func() error { matched++; return visit(g >= 0) }); err != nil {
				return err
			}
		}
		return nil
	})
}

// RecordCount implements perch.Store: the counts the triggers of
// record_counts keep, of the records put and of the live generations.
func (s *Store) RecordCount(ctx context.Context, datasetID uint64) (int64, error) {
	var n int64
	err := s.read(ctx, func(r *reader) error {
		return r.tx.QueryRow(r.ctx, `SELECT coalesce(sum(c.n), 0)::bigint FROM record_counts c
WHERE c.dataset_id = $1 AND (c.gen = 0 OR EXISTS (
	SELECT FROM bulk_generations g WHERE g.dataset_id = c.dataset_id AND g.gen = c.gen AND g.state = 'live'))`,
			int64(datasetID)).Scan(&n)
	})
	return n, err
}

// Events implements perch.Store.
func (s *Store) Events(ctx context.Context, datasetID uint64, q perch.RecordQuery, fn func(*perch.Event) error) error {
	var (
		e           perch.Event
		sentAt      int64
		attribution *string
	)
	dest := []any{&e.EventID, &e.EventType, &e.EventValue, &e.ItemID, &e.UserID, &e.SessionID, &sentAt,
		&e.Impression, &e.RecommendationID, &e.Properties, &attribution, &e.Duplicate}
	return s.scanInteractions(ctx, eventTables, datasetID, q, dest, func(bulk bool) error {
		out := e
		out.SentAt, out.Bulk = perch.Timestamp(sentAt), bulk
		if attribution != nil {
			out.MetricAttribution = &perch.MetricAttribution{EventAttributionSource: *attribution}
		}
		if out.EventValue != nil {
			v := *out.EventValue
			out.EventValue = &v
		}
		if out.Impression != nil {
			out.Impression = append([]string(nil), out.Impression...)
		}
		return fn(&out)
	})
}

// ActionInteractions implements perch.Store.
func (s *Store) ActionInteractions(ctx context.Context, datasetID uint64, q perch.RecordQuery, fn func(*perch.ActionInteraction) error) error {
	var (
		a  perch.ActionInteraction
		ts int64
	)
	dest := []any{&a.EventID, &a.EventType, &a.ActionID, &a.UserID, &a.SessionID, &ts,
		&a.Impression, &a.RecommendationID, &a.Properties, &a.Duplicate}
	return s.scanInteractions(ctx, actionTables, datasetID, q, dest, func(bulk bool) error {
		out := a
		out.Timestamp, out.Bulk = perch.Timestamp(ts), bulk
		if out.Impression != nil {
			out.Impression = append([]string(nil), out.Impression...)
		}
		return fn(&out)
	})
}

// Entities implements perch.Store. Without live bulk data (the usual
// case) it reads the entities table in the order of its primary key;
// with it, the newest record of each id among the sources wins (by its
// time, and on a tie the later source: bulk over put, a later generation
// over an earlier one), which takes a sort.
func (s *Store) Entities(ctx context.Context, datasetID uint64, q perch.RecordQuery, fn func(*perch.Entity) error) error {
	return s.read(ctx, func(r *reader) error {
		var gens []int64
		if q.Wants(perch.IngestBulk) {
			var err error
			if gens, err = r.liveGenerations(datasetID); err != nil {
				return err
			}
		}
		args := []any{int64(datasetID)}
		arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
		idFilter := ""
		if q.ID != "" {
			idFilter = " AND id = " + arg(q.ID)
		}
		var sources []string
		if q.Wants(perch.IngestPut) {
			sources = append(sources, "SELECT id, properties, updated, false AS bulk, 0::bigint AS rank FROM entities WHERE dataset_id = $1"+idFilter)
		}
		if len(gens) > 0 {
			sources = append(sources, "SELECT id, properties, updated, true AS bulk, gen AS rank FROM bulk_entities WHERE dataset_id = $1 AND gen = ANY("+
				arg(gens)+")"+idFilter)
		}
		if len(sources) == 0 {
			return nil
		}
		var sql string
		if len(gens) == 0 {
			sql = sources[0] + " ORDER BY id"
		} else {
			sql = "SELECT DISTINCT ON (id) id, properties, updated, bulk, rank FROM (" + strings.Join(sources, " UNION ALL ") +
				") AS u ORDER BY id, updated DESC, rank DESC"
		}
		if q.Limit > 0 {
			sql += " LIMIT " + arg(q.Limit)
		}
		var (
			e       perch.Entity
			updated int64
			rank    int64
		)
		return r.each(sql, args, []any{&e.ID, &e.Properties, &updated, &e.Bulk, &rank}, func() error {
			out := e
			out.Updated = perch.Timestamp(updated)
			return fn(&out)
		})
	})
}
