package pebble

import (
	"context"
	"errors"
	"time"

	pdb "github.com/cockroachdb/pebble/v2"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/internal/groupcommit"
)

// commitRequest is a batch waiting for the writer.
type commitRequest struct {
	ctx   context.Context
	batch *perch.Batch
	// enc is the batch encoded by the committer, so that the single writer
	// only lays out keys.
	enc *encodedBatch
	// result receives the outcome; it is buffered so the writer never waits.
	result chan error
	// queued is when the batch was queued.
	queued time.Time
}

// maxRunRecords bounds the records of one run, so that one record key
// never holds more than a PutEvents call (10 events) and a little.
const maxRunRecords = 16

// A run is consecutive interaction records of one batch with the same user
// and session. The writer stores a run under one record key, numbered with
// the sequence number of its first record, and gives it one user and one
// session index key; its records take consecutive sequence numbers and each
// keeps its own dedup key. A PutEvents call has one user and one session,
// so its 10 events take 13 keys rather than 40: per key, the engine's
// memtable inserts, flushes and compactions were half of the server's CPU.
type run struct {
	first, n int    // the run's records in the batch's Events or ActionInteractions
	value    []byte // the run as stored (see appendRun)
}

// encodedBatch is a batch's records as the store keeps them.
type encodedBatch struct {
	events, actionInteractions []run
	entities                   [][]byte
}

// Commit implements perch.Store. It queues b for the writer, which commits
// every batch waiting in one synced Pebble batch, and returns the outcome:
//
//   - nil: every record of b is durable;
//   - perch.ErrBusy: the queue was full; nothing was written;
//   - ctx.Err(): ctx ended before the writer took b up; nothing was written.
//     Once the writer has taken b up, Commit waits for the sync whatever
//     ctx does, so that its answer is always the truth;
//   - a *perch.Error with code ResourceNotFoundException: the dataset was
//     deleted; nothing was written;
//   - ErrClosed: the store is closed;
//   - a *perch.Error with code ServiceUnavailable: the disk is short of
//     space (see Options.MinFreeBytes), or the store is recovering from a
//     failed write; nothing was written;
//   - any other error: the commit of b's group failed. Every batch of the
//     group gets the error. Nothing of the group was written unless the
//     failure was a failed sync after Pebble applied the group; as the
//     outcome on disk is then unknown, the store refuses everything while
//     it reopens the database, which settles it (see recovery.go).
func (s *Store) Commit(ctx context.Context, b *perch.Batch) error {
	if err := s.gate.enter(); err != nil {
		return err
	}
	defer s.gate.leave()
	req, err := s.enqueue(ctx, b)
	if err != nil || req == nil {
		return err
	}
	return <-req.result
}

// enqueue encodes b and queues it for the writer without waiting for it to
// be committed. It returns a nil request for an empty batch.
func (s *Store) enqueue(ctx context.Context, b *perch.Batch) (*commitRequest, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if b.Dataset == nil {
		return nil, errors.New("pebble: commit of a batch without a dataset")
	}
	if b.Len() == 0 {
		return nil, nil
	}
	enc, err := encodeBatch(b)
	if err != nil {
		return nil, err
	}
	req := &commitRequest{ctx: ctx, batch: b, enc: enc, result: make(chan error, 1), queued: time.Now()}
	select {
	case s.queue <- req:
		return req, nil
	default:
		return nil, perch.ErrBusy
	}
}

// encodeBatch encodes the records of b into one buffer, interactions in
// runs.
func encodeBatch(b *perch.Batch) (*encodedBatch, error) {
	enc := &encodedBatch{}
	buf := make([]byte, 0, batchSize(b))
	var err error
	buf, enc.events, err = appendRuns(buf, b.Events, eventRecordIDs, appendEvent)
	if err != nil {
		return nil, err
	}
	buf, enc.actionInteractions, err = appendRuns(buf, b.ActionInteractions, actionInteractionRecordIDs,
		func(b []byte, a *perch.ActionInteraction) ([]byte, error) { return appendActionInteraction(b, a), nil })
	if err != nil {
		return nil, err
	}
	enc.entities = make([][]byte, 0, len(b.Entities))
	for i := range b.Entities {
		start := len(buf)
		buf = appendEntity(buf, &b.Entities[i])
		enc.entities = append(enc.entities, buf[start:len(buf):len(buf)])
	}
	return enc, nil
}

// recordIDs returns the ids of an interaction record that runs and
// keys are made of.
type recordIDs[T any] func(*T) (eventID, userID, sessionID string)

func eventRecordIDs(e *perch.Event) (string, string, string) { return e.EventID, e.UserID, e.SessionID }

func actionInteractionRecordIDs(a *perch.ActionInteraction) (string, string, string) {
	return a.EventID, a.UserID, a.SessionID
}

// appendRuns splits records into runs (consecutive records with the same
// user and session, at most maxRunRecords) and appends each run's value to
// buf.
func appendRuns[T any](buf []byte, records []T, ids recordIDs[T],
	appendRecord func([]byte, *T) ([]byte, error)) ([]byte, []run, error) {
	var runs []run
	for first := 0; first < len(records); {
		_, user, session := ids(&records[first])
		n := 1
		for first+n < len(records) && n < maxRunRecords {
			if _, u, s := ids(&records[first+n]); u != user || s != session {
				break
			}
			n++
		}
		start := len(buf)
		var err error
		if buf, err = appendRun(buf, records[first:first+n], appendRecord); err != nil {
			return nil, nil, err
		}
		runs = append(runs, run{first: first, n: n, value: buf[start:len(buf):len(buf)]})
		first += n
	}
	return buf, runs, nil
}

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
		clear(group) // let committed batches be collected
	}
}

// commitGroup writes the batches of group that may still be written in one
// synced commit and tells every committer the outcome.
func (s *Store) commitGroup(group []*commitRequest) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	live := group[:0]
	for _, r := range group {
		if err := s.refusal(r); err != nil {
			r.result <- err
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	start := time.Now()
	err := s.applyGroup(live)
	s.counters.countGroup(live, start, time.Now(), err)
	if err != nil {
		s.log.Error("committing records", "batches", len(live), "err", err)
	}
	for _, r := range live {
		r.result <- err
	}
}

// refusal returns why r must not be written any more, if it must not.
func (s *Store) refusal(r *commitRequest) error {
	if s.failed != nil {
		return s.failed
	}
	if err := r.ctx.Err(); err != nil {
		return err
	}
	if d := r.batch.Dataset; s.deleted[d.ID] {
		return perch.Errorf(perch.EResourceNotFound, "Could not find resource: %s", d.ARN)
	}
	return nil
}

// applyGroup lays out the keys of every record of group, with fresh
// sequence numbers, in one Pebble batch and commits it with a sync.
func (s *Store) applyGroup(group []*commitRequest) error {
	b := s.db.NewBatch()
	defer b.Close()
	seq := s.seq
	var key []byte
	counted := newCounts(s.db)
	var seen map[string]bool // entity keys of the group
	for _, r := range group {
		datasetID := r.batch.Dataset.ID
		key, seq = setRuns(b, key, tagEvent, datasetID, seq, r.enc.events, r.batch.Events, eventRecordIDs)
		key, seq = setRuns(b, key, tagActionInteraction, datasetID, seq, r.enc.actionInteractions, r.batch.ActionInteractions,
			actionInteractionRecordIDs)
		counted.add(datasetID, 0, int64(len(r.batch.Events)+len(r.batch.ActionInteractions)))
		for i, e := range r.batch.Entities {
			// Later sets of a key in one batch win, so the newest record of
			// an id is the one that stays.
			key = appendEntityKey(key[:0], datasetID, e.ID)
			if seen == nil {
				seen = map[string]bool{}
			}
			isNew, err := counted.putEntityIsNew(key, seen)
			if err != nil {
				return err
			}
			if isNew {
				counted.add(datasetID, 0, 1)
			}
			set(b, key, r.enc.entities[i])
		}
	}
	if err := counted.set(b); err != nil {
		return err
	}
	if seq != s.seq {
		set(b, keySeq, encodeUint64(seq))
		// Take the numbers even if the commit fails: a failed sync may
		// still leave the group on disk, and its keys must never be reused.
		s.seq = seq
	}
	return s.apply(b, true, s.opts.beforeApply)
}

// setRuns adds the keys of runs of records, numbering them from seq+1, and
// returns the scratch space and the last number taken.
func setRuns[T any](b *pdb.Batch, key []byte, tag byte, datasetID, seq uint64, runs []run, records []T,
	ids recordIDs[T]) ([]byte, uint64) {
	for _, r := range runs {
		first := seq + 1
		seq += uint64(r.n)
		_, userID, sessionID := ids(&records[r.first])
		key = setRunKeys(b, key, tag, datasetID, first, r.value, userID, sessionID)
		for i := range r.n {
			eventID, _, _ := ids(&records[r.first+i])
			key = setDedupKey(b, key, datasetID, first+uint64(i), eventID)
		}
	}
	return key, seq
}

// setRunKeys adds a run's record key (tag) and its user and session index
// keys, using key as scratch space, and returns the scratch space.
func setRunKeys(b *pdb.Batch, key []byte, tag byte, datasetID, first uint64, value []byte, userID, sessionID string) []byte {
	key = appendSeq(appendDatasetPrefix(key[:0], tag, datasetID), first)
	set(b, key, value)
	if userID != "" {
		key = appendSeq(appendIDPrefix(key[:0], tagUserIndex, datasetID, userID), first)
		set(b, key, nil)
	}
	key = appendSeq(appendIDPrefix(key[:0], tagSessionIndex, datasetID, sessionID), first)
	set(b, key, nil)
	return key
}

// setDedupKey adds the dedup key of the record numbered seq.
func setDedupKey(b *pdb.Batch, key []byte, datasetID, seq uint64, eventID string) []byte {
	key = appendSeq(appendIDPrefix(key[:0], tagDedup, datasetID, eventID), seq)
	set(b, key, nil)
	return key
}

// set adds key=value to b. Batch.Set can fail only for indexed batches,
// which the store never uses.
func set(b *pdb.Batch, key, value []byte) { _ = b.Set(key, value, nil) }

// batchLen is a request's records, which bound a group.
func batchLen(r *commitRequest) int { return r.batch.Len() }
