package postgres

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/internal/groupcommit"
)

// commitRequest is a batch waiting for the writer.
type commitRequest struct {
	ctx    context.Context
	batch  *perch.Batch
	result chan error // buffered, so that the writer never waits
	queued time.Time
}

// Commit implements perch.Store. It queues b for the writer, which
// commits every batch waiting in one transaction, and returns the outcome:
//
//   - nil: every record of b is committed, with its WAL flushed;
//   - perch.ErrBusy: the queue was full; nothing was written;
//   - ctx.Err(): ctx ended before the writer took b up; nothing was written.
//     Once the writer has taken b up, Commit waits for the outcome whatever
//     ctx does, so that its answer is always the truth;
//   - a *perch.Error with code ResourceNotFoundException: the dataset was
//     deleted; nothing was written;
//   - ErrClosed: the store is closed;
//   - a *perch.Error with code ServiceUnavailable: the database is
//     unavailable; its message says whether the records may have been
//     stored (the connection broke after the group was sent) or not.
func (s *Store) Commit(ctx context.Context, b *perch.Batch) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if err := ctx.Err(); err != nil {
		return err
	}
	if b.Dataset == nil {
		return errors.New("postgres: commit of a batch without a dataset")
	}
	if b.Len() == 0 {
		return nil
	}
	if b.Len() > maxGroupRecords {
		return perch.Errorf(perch.EInvalidInput, "A batch of %d records is more than the store takes at once (%d).", b.Len(), maxGroupRecords)
	}
	if err := storable(b); err != nil {
		return err
	}
	req := &commitRequest{ctx: ctx, batch: b, result: make(chan error, 1), queued: time.Now()}
	select {
	case s.queue <- req:
	default:
		return perch.ErrBusy
	}
	return <-req.result
}

// maxGroupRecords bounds the records of one group, whose places must fit
// in the low 24 bits of their numbers.
const maxGroupRecords = 1<<24 - 1

// write is the writer goroutine: it commits groups of queued batches until
// Close closes the queue and the queue is drained.
func (s *Store) write() {
	defer close(s.done)
	var group []*commitRequest
	var next *commitRequest
	for {
		var ok bool
		group, next, ok = groupcommit.Gather(s.queue, group[:0], next, batchLen, s.opts.MaxBatchRecords)
		if !ok {
			return
		}
		s.commitGroup(group)
		clear(group)
	}
}

// commitGroup commits the batches of group whose callers still wait, in
// one transaction, and tells every caller the outcome.
func (s *Store) commitGroup(group []*commitRequest) {
	live := group[:0]
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.result <- err
			continue
		}
		if err := s.breaker.refusal(); err != nil {
			r.result <- err
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	start := time.Now()
	missing, err := s.applyGroup(live)
	end := time.Now()
	c := &s.counters
	c.groups.Add(1)
	c.groupCommit.Observe(end.Sub(start))
	for _, r := range live {
		c.queueWait.Observe(start.Sub(r.queued))
	}
	if err != nil {
		c.failedGroups.Add(1)
		s.log.Error("postgres: committing records", "batches", len(live), "err", err)
		for _, r := range live {
			r.result <- err
		}
		return
	}
	// The figures are counted before any caller is told, so that a caller
	// reading them after its commit returned finds its batch there.
	batches, records := 0, 0
	for _, r := range live {
		if !missing[r.batch.Dataset.ID] {
			batches++
			records += r.batch.Len()
		}
	}
	c.batches.Add(uint64(batches))
	c.records.Add(uint64(records))
	for _, r := range live {
		if d := r.batch.Dataset; missing[d.ID] {
			r.result <- perch.Errorf(perch.EResourceNotFound, "Could not find resource: %s", d.ARN)
			continue
		}
		r.result <- nil
	}
}

// The statements of a group. They run in one implicit transaction: the
// writer sends them together, in one round trip, and the database commits
// them at the end (synchronous_commit is on for every connection).
//
// The first locks the rows of the group's datasets (FOR KEY SHARE, which
// only a deletion of the dataset waits for) and returns the ids of those
// that exist: a dataset deleted before it has no row, and DeleteDataset
// waits for the group's commit. The inserts then keep the records of the
// existing datasets only.
//
// A record's number (seq) is its statement's number from the sequence
// commit_groups, shifted left by 24 bits, or'ed with its place in the
// statement: one call of nextval per group rather than one per record
// (5% more events a second in BenchmarkCommit, whose bound is the
// writer's database backend), and numbers that grow from one group to the
// next of a node, as commit order wants. A group holds
// fewer than 1<<24 records (maxGroupRecords).
//
// Duplicates are decided here, not by readers, since across nodes the
// order of sequence numbers is not the order of commits: the first record
// of an eventId in the group inserts it into event_ids; it is the original
// when the insert took, and a duplicate when an earlier transaction had it
// (ON CONFLICT waits for that transaction if it is still in flight: the
// one that commits first has the original). Later records of the eventId
// in the group are duplicates. Keys are inserted in a fixed order so that
// two nodes' groups never wait for each other in a cycle.
const (
	lockDatasetsSQL = `SELECT id FROM datasets WHERE id = ANY($1) ORDER BY id FOR KEY SHARE`

	insertEventsSQL = `WITH g AS MATERIALIZED (SELECT nextval('commit_groups') AS n), r AS (
	SELECT r.* FROM unnest($1::bigint[], $2::text[], $3::text[], $4::float8[], $5::text[], $6::text[], $7::text[],
		$8::bigint[], $9::text[], $10::text[], $11::text[], $12::text[], $13::bool[])
		WITH ORDINALITY AS r(dataset_id, event_id, event_type, event_value, item_id, user_id, session_id,
		sent_at, impression, recommendation_id, properties, attribution, first, ord)
	WHERE EXISTS (SELECT FROM datasets d WHERE d.id = r.dataset_id)
), seen AS (
	INSERT INTO event_ids (dataset_id, event_id)
	SELECT dataset_id, event_id FROM r WHERE first ORDER BY dataset_id, event_id
	ON CONFLICT DO NOTHING
	RETURNING dataset_id, event_id
)
INSERT INTO events (dataset_id, seq, event_id, event_type, event_value, item_id, user_id, session_id,
	sent_at, impression, recommendation_id, properties, attribution, duplicate)
SELECT r.dataset_id, (SELECT n FROM g) << 24 | r.ord, r.event_id, r.event_type, r.event_value, r.item_id, r.user_id, r.session_id,
	r.sent_at, r.impression::text[], r.recommendation_id, r.properties, r.attribution, seen.event_id IS NULL
FROM r LEFT JOIN seen ON r.first AND seen.dataset_id = r.dataset_id AND seen.event_id = r.event_id
ORDER BY r.ord`

	insertActionInteractionsSQL = `WITH g AS MATERIALIZED (SELECT nextval('commit_groups') AS n), r AS (
	SELECT r.* FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
		$7::bigint[], $8::text[], $9::text[], $10::text[], $11::bool[])
		WITH ORDINALITY AS r(dataset_id, event_id, event_type, action_id, user_id, session_id,
		ts, impression, recommendation_id, properties, first, ord)
	WHERE EXISTS (SELECT FROM datasets d WHERE d.id = r.dataset_id)
), seen AS (
	INSERT INTO event_ids (dataset_id, event_id)
	SELECT dataset_id, event_id FROM r WHERE first ORDER BY dataset_id, event_id
	ON CONFLICT DO NOTHING
	RETURNING dataset_id, event_id
)
INSERT INTO action_interactions (dataset_id, seq, event_id, event_type, action_id, user_id, session_id,
	ts, impression, recommendation_id, properties, duplicate)
SELECT r.dataset_id, (SELECT n FROM g) << 24 | r.ord, r.event_id, r.event_type, r.action_id, r.user_id, r.session_id,
	r.ts, r.impression::text[], r.recommendation_id, r.properties, seen.event_id IS NULL
FROM r LEFT JOIN seen ON r.first AND seen.dataset_id = r.dataset_id AND seen.event_id = r.event_id
ORDER BY r.ord`

	// The group's events and action interactions, by dataset, added to
	// the datasets' counts (migration 8). It runs last, after every other
	// lock the group takes, so that two nodes' groups take their locks in
	// one order.
	countRecordsSQL = `INSERT INTO record_counts (dataset_id, gen, shard, n)
SELECT r.dataset_id, 0, $3, r.n FROM unnest($1::bigint[], $2::bigint[]) AS r(dataset_id, n)
WHERE EXISTS (SELECT FROM datasets d WHERE d.id = r.dataset_id)
ORDER BY r.dataset_id
ON CONFLICT (dataset_id, gen, shard) DO UPDATE SET n = record_counts.n + excluded.n`

	// An upsert may not touch a row twice, so the writer keeps only the
	// last record of an id of the group.
	upsertEntitiesSQL = `INSERT INTO entities (dataset_id, id, properties, updated)
SELECT r.dataset_id, r.id, r.properties, r.updated
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[]) AS r(dataset_id, id, properties, updated)
WHERE EXISTS (SELECT FROM datasets d WHERE d.id = r.dataset_id)
ORDER BY r.dataset_id, r.id
ON CONFLICT (dataset_id, id) DO UPDATE SET properties = excluded.properties, updated = excluded.updated`
)

// eventColumns are a group's events as the columns insertEventsSQL takes.
type eventColumns struct {
	dataset                                                                []int64
	eventID, eventType, itemID, userID, sessionID, recommendationID, props []string
	value                                                                  []*float64
	sentAt                                                                 []int64
	impression, attribution                                                []*string
	first                                                                  []bool
}

type actionColumns struct {
	dataset                                                                  []int64
	eventID, eventType, actionID, userID, sessionID, recommendationID, props []string
	ts                                                                       []int64
	impression                                                               []*string
	first                                                                    []bool
}

type entityColumns struct {
	dataset   []int64
	id, props []string
	updated   []int64
}

// applyGroup commits the records of group in one transaction and returns
// the datasets, by id, that no longer exist.
func (s *Store) applyGroup(group []*commitRequest) (missing map[uint64]bool, err error) {
	var (
		ev       eventColumns
		ac       actionColumns
		en       entityColumns
		datasets []int64
		firsts   = map[eventKey]bool{}
		entities = map[entityKey]int{}
	)
	for _, r := range group {
		b := r.batch
		id := int64(b.Dataset.ID)
		datasets = append(datasets, id)
		for i := range b.Events {
			e := &b.Events[i]
			k := eventKey{id, e.EventID}
			first := !firsts[k]
			firsts[k] = true
			ev.dataset = append(ev.dataset, id)
			ev.eventID = append(ev.eventID, e.EventID)
			ev.eventType = append(ev.eventType, e.EventType)
			ev.value = append(ev.value, e.EventValue)
			ev.itemID = append(ev.itemID, e.ItemID)
			ev.userID = append(ev.userID, e.UserID)
			ev.sessionID = append(ev.sessionID, e.SessionID)
			ev.sentAt = append(ev.sentAt, int64(e.SentAt))
			ev.impression = append(ev.impression, arrayLiteral(e.Impression))
			ev.recommendationID = append(ev.recommendationID, e.RecommendationID)
			ev.props = append(ev.props, e.Properties)
			ev.attribution = append(ev.attribution, attribution(e.MetricAttribution))
			ev.first = append(ev.first, first)
		}
		for i := range b.ActionInteractions {
			a := &b.ActionInteractions[i]
			k := eventKey{id, a.EventID}
			first := !firsts[k]
			firsts[k] = true
			ac.dataset = append(ac.dataset, id)
			ac.eventID = append(ac.eventID, a.EventID)
			ac.eventType = append(ac.eventType, a.EventType)
			ac.actionID = append(ac.actionID, a.ActionID)
			ac.userID = append(ac.userID, a.UserID)
			ac.sessionID = append(ac.sessionID, a.SessionID)
			ac.ts = append(ac.ts, int64(a.Timestamp))
			ac.impression = append(ac.impression, arrayLiteral(a.Impression))
			ac.recommendationID = append(ac.recommendationID, a.RecommendationID)
			ac.props = append(ac.props, a.Properties)
			ac.first = append(ac.first, first)
		}
		for i := range b.Entities {
			e := &b.Entities[i]
			k := entityKey{id, e.ID}
			if at, ok := entities[k]; ok {
				en.props[at], en.updated[at] = e.Properties, int64(e.Updated)
				continue
			}
			entities[k] = len(en.id)
			en.dataset = append(en.dataset, id)
			en.id = append(en.id, e.ID)
			en.props = append(en.props, e.Properties)
			en.updated = append(en.updated, int64(e.Updated))
		}
	}

	batch := &pgx.Batch{}
	batch.Queue(lockDatasetsSQL, datasets)
	if len(ev.dataset) > 0 {
		batch.Queue(insertEventsSQL, ev.dataset, ev.eventID, ev.eventType, ev.value, ev.itemID, ev.userID, ev.sessionID,
			ev.sentAt, ev.impression, ev.recommendationID, ev.props, ev.attribution, ev.first)
	}
	if len(ac.dataset) > 0 {
		batch.Queue(insertActionInteractionsSQL, ac.dataset, ac.eventID, ac.eventType, ac.actionID, ac.userID, ac.sessionID,
			ac.ts, ac.impression, ac.recommendationID, ac.props, ac.first)
	}
	if len(en.dataset) > 0 {
		batch.Queue(upsertEntitiesSQL, en.dataset, en.id, en.props, en.updated)
	}
	if counted := countByDataset(ev.dataset, ac.dataset); len(counted[0]) > 0 {
		batch.Queue(countRecordsSQL, counted[0], counted[1], s.countShard)
	}

	ctx, cancel := s.writeContext(s.ctx)
	defer cancel()
	// Not the callers' contexts: once taken up, a group's outcome is
	// waited for whatever its callers do.
	existing := map[int64]bool{}
	err = s.writerPool.AcquireFunc(ctx, func(conn *pgxpool.Conn) error {
		br := conn.SendBatch(ctx, batch)
		rows, err := br.Query()
		if err == nil {
			var id int64
			_, err = pgx.ForEachRow(rows, []any{&id}, func() error { existing[id] = true; return nil })
		}
		for i := 1; err == nil && i < batch.Len(); i++ {
			_, err = br.Exec()
		}
		return errors.Join(err, br.Close())
	})
	if err != nil {
		return nil, s.failure(context.Background(), err, true)
	}
	missing = map[uint64]bool{}
	for _, id := range datasets {
		if !existing[id] {
			missing[uint64(id)] = true
		}
	}
	return missing, nil
}

// storable refuses a batch with a string PostgreSQL's text cannot hold
// (a NUL character, or bytes that are not UTF-8), before it is queued: in
// the group's transaction it would fail every other caller's batch too.
func storable(b *perch.Batch) error {
	bad := func(fields ...string) bool {
		for _, f := range fields {
			if strings.IndexByte(f, 0) >= 0 || !utf8.ValidString(f) {
				return true
			}
		}
		return false
	}
	refuse := func(i int) error {
		return perch.Errorf(perch.EInvalidInput, "Record %d holds a NUL character or bytes that are not UTF-8, which the store cannot keep.", i+1)
	}
	for i := range b.Events {
		e := &b.Events[i]
		if bad(e.EventID, e.EventType, e.ItemID, e.UserID, e.SessionID, e.RecommendationID, e.Properties) || bad(e.Impression...) ||
			e.MetricAttribution != nil && bad(e.MetricAttribution.EventAttributionSource) {
			return refuse(i)
		}
	}
	for i := range b.ActionInteractions {
		a := &b.ActionInteractions[i]
		if bad(a.EventID, a.EventType, a.ActionID, a.UserID, a.SessionID, a.RecommendationID, a.Properties) || bad(a.Impression...) {
			return refuse(i)
		}
	}
	for i := range b.Entities {
		if e := &b.Entities[i]; bad(e.ID, e.Properties) {
			return refuse(i)
		}
	}
	return nil
}

type eventKey struct {
	dataset int64
	eventID string
}

type entityKey struct {
	dataset int64
	id      string
}

// attribution is the stored form of a metric attribution: its source, or
// NULL for none.
func attribution(m *perch.MetricAttribution) *string {
	if m == nil {
		return nil
	}
	return &m.EventAttributionSource
}

// arrayLiteral writes list as a PostgreSQL array literal, which the
// insert casts to text[]: an array of arrays of different lengths cannot
// be one parameter. No list is NULL, so that it reads back as nil.
func arrayLiteral(list []string) *string {
	if len(list) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, v := range list {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for j := 0; j < len(v); j++ {
			if c := v[j]; c == '"' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(v[j])
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	lit := b.String()
	return &lit
}

// batchLen is a request's records, which bound a group.
func batchLen(r *commitRequest) int { return r.batch.Len() }

// countByDataset returns the datasets of the records given by their
// datasets' ids, and how many records each has, as the two columns
// countRecordsSQL takes.
func countByDataset(lists ...[]int64) [2][]int64 {
	var out [2][]int64
	at := map[int64]int{}
	for _, list := range lists {
		for _, id := range list {
			i, ok := at[id]
			if !ok {
				i = len(out[0])
				at[id] = i
				out[0] = append(out[0], id)
				out[1] = append(out[1], 0)
			}
			out[1][i]++
		}
	}
	return out
}
