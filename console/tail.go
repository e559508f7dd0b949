package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/perchdev/perch"
)

// Hub sees every record this process's ingest path commits (Committed
// follows it): it counts them for the dataset pages and hands them to the
// live tails watching their dataset. With several nodes on one database,
// each node's hub sees what that node received.
type Hub struct {
	store perch.Store
	now   func() time.Time

	mu    sync.Mutex
	subs  map[uint64]map[*subscriber]struct{} // by dataset id
	stats map[uint64]*datasetStats            // by dataset id

	pending chan *perch.Batch // copies of batches to tail
	done    chan struct{}
}

// NewHub starts a hub that reads back from store whether the records it
// tails are duplicates; with a nil store none are marked. Close stops it.
func NewHub(store perch.Store) *Hub {
	h := &Hub{store: store, now: time.Now, subs: map[uint64]map[*subscriber]struct{}{}, stats: map[uint64]*datasetStats{},
		pending: make(chan *perch.Batch, pendingBatches), done: make(chan struct{})}
	go h.publish()
	return h
}

// tailBuffer bounds the records waiting for one browser; past it records
// are dropped for that browser, and it is told how many, rather than
// making the ingest path wait for it.
const tailBuffer = 256

// subscriber is one live tail: the records of its dataset that match its
// filters, waiting to be sent.
type subscriber struct {
	userID, sessionID, eventType string
	records                      chan []byte
	dropped                      atomic.Int64
}

func (s *subscriber) wants(userID, sessionID, eventType string) bool {
	return (s.userID == "" || s.userID == userID) && (s.sessionID == "" || s.sessionID == sessionID) &&
		(s.eventType == "" || s.eventType == eventType)
}

// send queues a record without ever waiting.
func (s *subscriber) send(record []byte) {
	select {
	case s.records <- record:
	default:
		s.dropped.Add(1)
	}
}

func (h *Hub) subscribe(datasetID uint64, s *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[datasetID] == nil {
		h.subs[datasetID] = map[*subscriber]struct{}{}
	}
	h.subs[datasetID][s] = struct{}{}
}

func (h *Hub) unsubscribe(datasetID uint64, s *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs[datasetID], s)
	if len(h.subs[datasetID]) == 0 {
		delete(h.subs, datasetID)
	}
}

// subscribers returns the tails of a dataset, nil when none watches it.
func (h *Hub) subscribers(datasetID uint64) []*subscriber {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs[datasetID]) == 0 {
		return nil
	}
	out := make([]*subscriber, 0, len(h.subs[datasetID]))
	for s := range h.subs[datasetID] {
		out = append(out, s)
	}
	return out
}

// statsOf returns the figures of a dataset, made on first use. Dataset ids
// are never reused, so a dataset made again under the same ARN starts at
// zero.
func (h *Hub) statsOf(datasetID uint64) *datasetStats {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.stats[datasetID]
	if s == nil {
		s = newDatasetStats()
		h.stats[datasetID] = s
	}
	return s
}

// Committed counts and tails a batch the ingest path committed; it is
// ingest.Service.AfterCommit's follower. It returns at once and leaves the
// batch as it is: when a tail watches the dataset it queues a copy for
// the hub's goroutine, or, with the queue full, tells the tails records
// were dropped.
func (h *Hub) Committed(b *perch.Batch) {
	stats, now := h.statsOf(b.Dataset.ID), h.now()
	stats.mu.Lock()
	for i := range b.Events {
		stats.add(now, b.Events[i].EventType, b.Events[i].ItemID)
	}
	for i := range b.ActionInteractions {
		stats.add(now, b.ActionInteractions[i].EventType, b.ActionInteractions[i].ActionID)
	}
	for range b.Entities {
		stats.add(now, "", "")
	}
	stats.mu.Unlock()
	subs := h.subscribers(b.Dataset.ID)
	if len(subs) == 0 {
		return
	}
	cp := &perch.Batch{Dataset: b.Dataset, Events: slices.Clone(b.Events), ActionInteractions: slices.Clone(b.ActionInteractions),
		Entities: slices.Clone(b.Entities)}
	select {
	case h.pending <- cp:
	default:
		for _, s := range subs {
			s.dropped.Add(int64(b.Len()))
		}
	}
}

// pendingBatches bounds the batches waiting for the hub's goroutine.
const pendingBatches = 1024

// publish hands the records of each pending batch to the tails of its
// dataset, until Close.
func (h *Hub) publish() {
	defer close(h.done)
	for b := range h.pending {
		// Batches that came while the group was read back are read back
		// with it again: one may be a resend of the group's eventIds,
		// committed before the read.
		group := h.waitingWith([]*perch.Batch{b})
		for {
			h.markDuplicates(group)
			n := len(group)
			if group = h.waitingWith(group); len(group) == n {
				break
			}
		}
		for _, b := range group {
			subs := h.subscribers(b.Dataset.ID)
			if len(subs) == 0 {
				continue
			}
			switch {
			case len(b.Events) > 0:
				h.publishEvents(b.Events, subs)
			case len(b.ActionInteractions) > 0:
				h.publishActionInteractions(b.ActionInteractions, subs)
			default:
				h.publishEntities(b.Dataset, b.Entities, subs)
			}
		}
	}
}

// waitingWith returns group and the batches queued behind it, in their
// order, up to pendingBatches in all.
func (h *Hub) waitingWith(group []*perch.Batch) []*perch.Batch {
	for len(group) < pendingBatches {
		select {
		case next, ok := <-h.pending:
			if !ok {
				return group
			}
			group = append(group, next)
		default:
			return group
		}
	}
	return group
}

// sessionKey names the records one read back covers: a session's (or,
// without one, a user's) events or action interactions in a dataset.
type sessionKey struct {
	dataset       uint64
	actions       bool
	user, session string
}

// markDuplicates sets the store's duplicate mark on the events and action
// interactions of batches, which the hub's queue holds in commit order.
// The batches of one session are read back together, so that a quick
// resend of an eventId, committed before the first batch is read back,
// takes its own place in the read instead of the first's; only a resend
// committed but not yet queued here (or one of another node) can still
// swap the marks of the two.
func (h *Hub) markDuplicates(batches []*perch.Batch) {
	if h.store == nil {
		return
	}
	var order []sessionKey
	events := map[sessionKey][]*perch.Batch{}
	for _, b := range batches {
		var k sessionKey
		switch {
		case len(b.Events) > 0:
			k = sessionKey{dataset: b.Dataset.ID, user: b.Events[0].UserID, session: b.Events[0].SessionID}
		case len(b.ActionInteractions) > 0:
			k = sessionKey{dataset: b.Dataset.ID, actions: true, user: b.ActionInteractions[0].UserID, session: b.ActionInteractions[0].SessionID}
		default:
			continue
		}
		if len(h.subscribers(b.Dataset.ID)) == 0 {
			continue
		}
		if events[k] == nil {
			order = append(order, k)
		}
		events[k] = append(events[k], b)
	}
	for _, k := range order {
		ctx, cancel := context.WithTimeout(context.Background(), readBackTimeout)
		if k.actions {
			markSession(events[k], func(b *perch.Batch) []perch.ActionInteraction { return b.ActionInteractions },
				func(a *perch.ActionInteraction) string { return a.EventID }, func(a *perch.ActionInteraction, dup bool) { a.Duplicate = dup },
				func(q perch.RecordQuery, fn func(id string, dup bool)) error {
					return h.store.ActionInteractions(ctx, k.dataset, q, func(a *perch.ActionInteraction) error {
						if a.UserID == k.user {
							fn(a.EventID, a.Duplicate)
						}
						return nil
					})
				}, k)
			cancel()
			continue
		}
		markSession(events[k], func(b *perch.Batch) []perch.Event { return b.Events },
			func(e *perch.Event) string { return e.EventID }, func(e *perch.Event, dup bool) { e.Duplicate = dup },
			func(q perch.RecordQuery, fn func(id string, dup bool)) error {
				return h.store.Events(ctx, k.dataset, q, func(e *perch.Event) error {
					if e.UserID == k.user {
						fn(e.EventID, e.Duplicate)
					}
					return nil
				})
			}, k)
		cancel()
	}
}

// markSession reads back the records of one session's batches, in
// order, and marks each; a failed read leaves them unmarked.
func markSession[R any](batches []*perch.Batch, recordsOf func(*perch.Batch) []R, idOf func(*R) string, mark func(*R, bool),
	read func(perch.RecordQuery, func(id string, dup bool)) error, k sessionKey) {
	var all []*R
	var ids []string
	for _, b := range batches {
		rs := recordsOf(b)
		for i := range rs {
			all = append(all, &rs[i])
			ids = append(ids, idOf(&rs[i]))
		}
	}
	marks, err := readBackDuplicates(ids, read, k.user, k.session)
	if err != nil {
		return
	}
	for i, r := range all {
		mark(r, marks[i])
	}
}

// Close stops the hub's goroutine; Committed must not be called after it.
func (h *Hub) Close() {
	close(h.pending)
	<-h.done
}

// readBackTimeout bounds each read that finds which tailed records are
// duplicates.
const readBackTimeout = time.Second

func (h *Hub) publishEvents(events []perch.Event, subs []*subscriber) {
	for i := range events {
		e := &events[i]
		record, err := json.Marshal(e)
		if err != nil {
			continue
		}
		for _, s := range subs {
			if s.wants(e.UserID, e.SessionID, e.EventType) {
				s.send(record)
			}
		}
	}
}

func (h *Hub) publishActionInteractions(interactions []perch.ActionInteraction, subs []*subscriber) {
	for i := range interactions {
		a := &interactions[i]
		record, err := json.Marshal(a)
		if err != nil {
			continue
		}
		for _, s := range subs {
			if s.wants(a.UserID, a.SessionID, a.EventType) {
				s.send(record)
			}
		}
	}
}

func (h *Hub) publishEntities(ds *perch.Dataset, entities []perch.Entity, subs []*subscriber) {
	for i := range entities {
		record, err := json.Marshal(entityRecord(ds.Type, &entities[i]))
		if err != nil {
			continue
		}
		// An entity has no session nor event type; a user's record is the
		// one user filters name.
		userID := ""
		if ds.Type == perch.Users {
			userID = entities[i].ID
		}
		for _, s := range subs {
			if s.sessionID == "" && s.eventType == "" && (s.userID == "" || s.userID == userID) {
				s.send(record)
			}
		}
	}
}

// readBackDuplicates finds, for records just committed, whether the store
// keeps each as a duplicate, as its readers would say: the store settles
// that when it reads (Pebble) or when it writes (PostgreSQL), never on the
// batch itself. An events call has one user and one session, so the read
// walks that session's records only (by the store's session index; by the
// user's without a session), newest first, a few more records than the
// batch, and only while someone tails the dataset. Of the records of the
// user with one of the batch's eventIds, the first ones read, newest
// first, are the batch's own.
func readBackDuplicates(batch []string, read func(perch.RecordQuery, func(id string, dup bool)) error,
	userID, sessionID string) ([]bool, error) {
	inBatch := map[string]int{}
	for _, id := range batch {
		inBatch[id]++
	}
	// The batch's records are the newest of its session but for commits
	// since, and those of other users in the session: a few more than
	// the batch are read, to the limit (a stopped PostgreSQL read gives up
	// its connection).
	q := perch.RecordQuery{SessionID: sessionID, Source: perch.IngestPut, Newest: true, Limit: 2*len(batch) + 16}
	if sessionID == "" {
		q.UserID = userID
	}
	// stored holds, newest first, the duplicate marks of the newest
	// inBatch[id] records of each id: the batch's own, unless a later
	// commit of the same id came between, which a tail may show
	// either way.
	stored, wanted := map[string][]bool{}, len(batch)
	err := read(q, func(id string, dup bool) {
		if wanted > 0 && len(stored[id]) < inBatch[id] {
			stored[id] = append(stored[id], dup)
			wanted--
		}
	})
	if err != nil {
		return nil, err
	}
	marks := make([]bool, len(batch))
	seen := map[string]int{}
	for i, id := range batch {
		flags := stored[id]
		if len(flags) != inBatch[id] {
			return nil, fmt.Errorf("console: %d records of eventId %q read back, %d committed", len(flags), id, inBatch[id])
		}
		// The batch's k-th record of id is the k-th oldest of the
		// newest inBatch[id] read.
		seen[id]++
		marks[i] = flags[inBatch[id]-seen[id]]
	}
	return marks, nil
}

// entityRecord is an item, user or action as the records API gives it.
func entityRecord(t perch.DatasetType, e *perch.Entity) map[string]any {
	idKey := map[perch.DatasetType]string{perch.Items: "itemId", perch.Users: "userId", perch.Actions: "actionId"}[t]
	rec := map[string]any{idKey: e.ID, "updatedAt": e.Updated}
	if e.Properties != "" {
		rec["properties"] = e.Properties
	}
	if e.Bulk {
		rec["bulk"] = true
	}
	return rec
}

// pingInterval is how often a quiet tail sends a comment, so that proxies
// and the browser keep the stream open.
const pingInterval = 15 * time.Second

// serveTail streams, as server-sent events, the records of a dataset
// accepted from now on that match the filters.
func (c *Console) serveTail(ctx context.Context, w http.ResponseWriter, r *http.Request, _ *session) error {
	q := r.URL.Query()
	ds, err := c.dataset(ctx, q.Get("datasetArn"))
	if err != nil {
		return err
	}
	rc := http.NewResponseController(w)
	// A tail lasts as long as the browser keeps it; the server's write
	// timeout is for answers, not streams.
	_ = rc.SetWriteDeadline(time.Time{})
	sub := &subscriber{userID: q.Get("userId"), sessionID: q.Get("sessionId"), eventType: q.Get("eventType"), records: make(chan []byte, tailBuffer)}
	c.cfg.Hub.subscribe(ds.ID, sub)
	defer c.cfg.Hub.unsubscribe(ds.ID, sub)

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, ": tailing "+ds.ARN+"\n\n"); err != nil {
		return nil
	}
	if err := rc.Flush(); err != nil {
		return nil
	}
	ping := time.NewTicker(pingInterval)
	defer ping.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			return nil
		case <-ping.C:
			if n := sub.dropped.Swap(0); n > 0 {
				_, _ = fmt.Fprintf(w, ": dropped %d\n\n", n)
			}
			_, err = fmt.Fprint(w, ": ping\n\n")
		case record := <-sub.records:
			if n := sub.dropped.Swap(0); n > 0 {
				_, _ = fmt.Fprintf(w, ": dropped %d\n\n", n)
			}
			_, err = fmt.Fprintf(w, "event: record\ndata: %s\n\n", record)
			// Send what else is waiting in the same flush.
			for more := true; more && err == nil; {
				select {
				case record := <-sub.records:
					_, err = fmt.Fprintf(w, "event: record\ndata: %s\n\n", record)
				default:
					more = false
				}
			}
		}
		if err == nil {
			err = rc.Flush()
		}
		if err != nil {
			return nil // the browser went away
		}
	}
}
