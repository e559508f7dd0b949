package pebble

import (
	"context"
	"errors"

	pdb "github.com/cockroachdb/pebble/v2"

	"github.com/perchdev/perch"
)

// commitRequest is a batch waiting for the writer.
type commitRequest struct {
	ctx   context.Context
	batch *perch.Batch
	// values are the batch's records encoded by the committer, so that the
	// single writer only lays out keys: events, then action interactions,
	// then entities.
	values [][]byte
	// result receives the outcome; it is buffered so the writer never waits.
	result chan error
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
	values, err := encodeBatch(b)
	if err != nil {
		return nil, err
	}
	req := &commitRequest{ctx: ctx, batch: b, values: values, result: make(chan error, 1)}
	select {
	case s.queue <- req:
		return req, nil
	default:
		return nil, perch.ErrBusy
	}
}

// encodeBatch encodes the records of b into one buffer and returns each
// record's slice of it.
func encodeBatch(b *perch.Batch) ([][]byte, error) {
	values := make([][]byte, 0, b.Len())
	buf := make([]byte, 0, 512*b.Len())
	for i := range b.Events {
		start := len(buf)
		var err error
		if buf, err = appendEvent(append(buf, recordEncoding), &b.Events[i]); err != nil {
			return nil, err
		}
		values = append(values, buf[start:len(buf):len(buf)])
	}
	for i := range b.ActionInteractions {
		start := len(buf)
		buf = appendActionInteraction(append(buf, recordEncoding), &b.ActionInteractions[i])
		values = append(values, buf[start:len(buf):len(buf)])
	}
	for i := range b.Entities {
		start := len(buf)
		buf = appendEntity(append(buf, recordEncoding), &b.Entities[i])
		values = append(values, buf[start:len(buf):len(buf)])
	}
	return values, nil
}

// write is the writer goroutine: it commits groups of queued batches until
// Close closes the queue and the queue is drained.
func (s *Store) write() {
	defer close(s.done)
	var group []*commitRequest
	var next *commitRequest
	for {
		var ok bool
		group, next, ok = s.gather(group[:0], next)
		if !ok {
			return
		}
		s.commitGroup(group)
		clear(group) // let committed batches be collected
	}
}

// gather returns next (a batch held over from the previous group) or else
// the next batch to arrive, followed by every batch already waiting, as
// long as the group stays within MaxBatchRecords. The batch that would
// overflow the group is returned to start the next one. ok is false once
// the queue is closed and drained.
func (s *Store) gather(group []*commitRequest, next *commitRequest) (_ []*commitRequest, held *commitRequest, ok bool) {
	if next == nil {
		if next, ok = <-s.queue; !ok {
			return group, nil, false
		}
	}
	group = append(group, next)
	records := next.batch.Len()
	for {
		select {
		case r, open := <-s.queue:
			if !open {
				return group, nil, true
			}
			if records+r.batch.Len() > s.opts.MaxBatchRecords {
				return group, r, true
			}
			group = append(group, r)
			records += r.batch.Len()
		default:
			return group, nil, true
		}
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
	err := s.applyGroup(live)
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
	for _, r := range group {
		datasetID, values := r.batch.Dataset.ID, r.values
		for _, e := range r.batch.Events {
			seq++
			key = appendSeq(appendDatasetPrefix(key[:0], tagEvent, datasetID), seq)
			set(b, key, values[0])
			values = values[1:]
			key = setInteractionKeys(b, key, datasetID, seq, e.EventID, e.UserID, e.SessionID)
		}
		for _, a := range r.batch.ActionInteractions {
			seq++
			key = appendSeq(appendDatasetPrefix(key[:0], tagActionInteraction, datasetID), seq)
			set(b, key, values[0])
			values = values[1:]
			key = setInteractionKeys(b, key, datasetID, seq, a.EventID, a.UserID, a.SessionID)
		}
		for _, e := range r.batch.Entities {
			// Later sets of a key in one batch win, so the newest record of
			// an id is the one that stays.
			key = appendEntityKey(key[:0], datasetID, e.ID)
			set(b, key, values[0])
			values = values[1:]
		}
	}
	if seq != s.seq {
		set(b, keySeq, encodeUint64(seq))
		// Take the numbers even if the commit fails: a failed sync may
		// still leave the group on disk, and its keys must never be reused.
		s.seq = seq
	}
	return s.apply(b, true, s.opts.beforeApply)
}

// setInteractionKeys adds the index and dedup keys of an event or action
// interaction, using key as scratch space, and returns the scratch space.
func setInteractionKeys(b *pdb.Batch, key []byte, datasetID, seq uint64, eventID, userID, sessionID string) []byte {
	if userID != "" {
		key = appendSeq(appendIDPrefix(key[:0], tagUserIndex, datasetID, userID), seq)
		set(b, key, nil)
	}
	key = appendSeq(appendIDPrefix(key[:0], tagSessionIndex, datasetID, sessionID), seq)
	set(b, key, nil)
	key = appendSeq(appendIDPrefix(key[:0], tagDedup, datasetID, eventID), seq)
	set(b, key, nil)
	return key
}

// set adds key=value to b. Batch.Set can fail only for indexed batches,
// which the store never uses.
func set(b *pdb.Batch, key, value []byte) { _ = b.Set(key, value, nil) }
