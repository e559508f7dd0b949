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
		subs := h.subscribers(b.Dataset.ID)
		if len(subs) == 0 {
			continue
		}
		switch {
		case len(b.Events) > 0:
			h.publishEvents(b.Dataset, b.Events, subs)
		case len(b.ActionInteractions) > 0:
			h.publishActionInteractions(b.Dataset, b.ActionInteractions, subs)
		default:
			h.publishEntities(b.Dataset, b.Entities, subs)
		}
	}
}

// Close stops the hub's goroutine; Committed must not be called after it.
func (h *Hub) Close() {
	close(h.pending)
	<-h.done
}

// readBackTimeout bounds the read that finds which tailed records are
// duplicates.
const readBackTimeout = time.Second

func (h *Hub) publishEvents(ds *perch.Dataset, events []perch.Event, subs []*subscriber) {
	if h.store != nil {
		ctx, cancel := context.WithTimeout(context.Background(), readBackTimeout)
		defer cancel()
		user := events[0].UserID
		marks, err := readBackDuplicates(events, func(q perch.RecordQuery, fn func(id string, dup bool)) error {
			return h.store.Events(ctx, ds.ID, q, func(e *perch.Event) error {
				if e.UserID == user {
					fn(e.EventID, e.Duplicate)
				}
				return nil
			})
		}, user, events[0].SessionID, func(e *perch.Event) string { return e.EventID })
		if err == nil {
			for i := range events {
				events[i].Duplicate = marks[i]
			}
		}
	}
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

func (h *Hub) publishActionInteractions(ds *perch.Dataset, interactions []perch.ActionInteraction, subs []*subscriber) {
	if h.store != nil {
		ctx, cancel := context.WithTimeout(context.Background(), readBackTimeout)
		defer cancel()
		user := interactions[0].UserID
		marks, err := readBackDuplicates(interactions, func(q perch.RecordQuery, fn func(id string, dup bool)) error {
			return h.store.ActionInteractions(ctx, ds.ID, q, func(a *perch.ActionInteraction) error {
				if a.UserID == user {
					fn(a.EventID, a.Duplicate)
				}
				return nil
			})
		}, user, interactions[0].SessionID, func(a *perch.ActionInteraction) string { return a.EventID })
		if err == nil {
			for i := range interactions {
				interactions[i].Duplicate = marks[i]
			}
		}
	}
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
func readBackDuplicates[R any](batch []R, read func(perch.RecordQuery, func(id string, dup bool)) error,
	userID, sessionID string, idOf func(*R) string) ([]bool, error) {
	inBatch := map[string]int{}
	for i := range batch {
		inBatch[idOf(&batch[i])]++
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
	for i := range batch {
		id := idOf(&batch[i])
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
