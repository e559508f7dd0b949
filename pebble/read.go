package pebble

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	pdb "github.com/cockroachdb/pebble/v2"

	"github.com/perchdev/perch"
)

// Events implements perch.Store.
func (s *Store) Events(ctx context.Context, datasetID uint64, q perch.RecordQuery, fn func(*perch.Event) error) error {
	return s.scanInteractions(ctx, tagEvent, datasetID, q, func(r *snapshotReader, seq uint64, value []byte) (bool, error) {
		var e perch.Event
		if err := decodeRecord(value, &e); err != nil {
			return false, err
		}
		if q.SessionID != "" && e.SessionID != q.SessionID {
			return false, nil
		}
		dup, err := r.duplicate(datasetID, e.EventID, seq)
		if err != nil {
			return false, err
		}
		e.Duplicate = dup
		return true, fn(&e)
	})
}

// ActionInteractions implements perch.Store.
func (s *Store) ActionInteractions(ctx context.Context, datasetID uint64, q perch.RecordQuery, fn func(*perch.ActionInteraction) error) error {
	return s.scanInteractions(ctx, tagActionInteraction, datasetID, q, func(r *snapshotReader, seq uint64, value []byte) (bool, error) {
		var a perch.ActionInteraction
		if err := decodeRecord(value, &a); err != nil {
			return false, err
		}
		if q.SessionID != "" && a.SessionID != q.SessionID {
			return false, nil
		}
		dup, err := r.duplicate(datasetID, a.EventID, seq)
		if err != nil {
			return false, err
		}
		a.Duplicate = dup
		return true, fn(&a)
	})
}

// Entities implements perch.Store.
func (s *Store) Entities(ctx context.Context, datasetID uint64, q perch.RecordQuery, fn func(*perch.Entity) error) (err error) {
	if err := s.gate.enter(); err != nil {
		return err
	}
	defer s.gate.leave()
	if q.ID != "" {
		return s.entity(datasetID, q.ID, fn)
	}
	prefix := appendDatasetPrefix(nil, tagEntity, datasetID)
	it, err := s.db.NewIterWithContext(ctx, &pdb.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return err
	}
	defer closeKeepingError(it, &err)
	n := 0
	for it.First(); it.Valid() && (q.Limit <= 0 || n < q.Limit); it.Next() {
		if err := s.stillWanted(ctx); err != nil {
			return err
		}
		value, err := it.ValueAndErr()
		if err != nil {
			return err
		}
		var e perch.Entity
		if err := decodeRecord(value, &e); err != nil {
			return fmt.Errorf("pebble: decoding %q: %w", it.Key(), err)
		}
		n++
		if err := fn(&e); err != nil {
			return err
		}
	}
	return it.Error()
}

func (s *Store) entity(datasetID uint64, id string, fn func(*perch.Entity) error) error {
	value, closer, err := s.db.Get(appendEntityKey(nil, datasetID, id))
	if errors.Is(err, pdb.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var e perch.Entity
	err = decodeRecord(value, &e)
	closer.Close()
	if err != nil {
		return fmt.Errorf("pebble: decoding entity %q: %w", id, err)
	}
	return fn(&e)
}

// snapshotReader reads interaction records from one consistent snapshot.
type snapshotReader struct {
	snap  *pdb.Snapshot
	dedup *pdb.Iterator // over the dataset's dedup keys, made on first use
	seek  []byte        // scratch space for dedup keys
}

// duplicate reports whether an earlier record of the dataset has eventID:
// the first dedup key of the id is then not the record's own.
func (r *snapshotReader) duplicate(datasetID uint64, eventID string, seq uint64) (bool, error) {
	if r.dedup == nil {
		prefix := appendDatasetPrefix(nil, tagDedup, datasetID)
		it, err := r.snap.NewIter(&pdb.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
		if err != nil {
			return false, err
		}
		r.dedup = it
	}
	r.seek = appendIDPrefix(r.seek[:0], tagDedup, datasetID, eventID)
	if !r.dedup.SeekGE(r.seek) {
		return false, r.dedup.Error()
	}
	key := r.dedup.Key()
	return bytes.HasPrefix(key, r.seek) && seqOf(key) < seq, nil
}

func (r *snapshotReader) Close() error {
	var err error
	if r.dedup != nil {
		err = r.dedup.Close()
	}
	return errors.Join(err, r.snap.Close())
}

// scanInteractions walks the events or action interactions (tag) of a
// dataset in sequence order, through the user or session index when q
// names one, and calls visit with each record's value until q.Limit visits
// have reported a match. visit filters and decodes; the index walked
// guarantees the user (or the session, when no user is given).
func (s *Store) scanInteractions(ctx context.Context, tag byte, datasetID uint64, q perch.RecordQuery,
	visit func(r *snapshotReader, seq uint64, value []byte) (matched bool, err error)) (err error) {
	if err := s.gate.enter(); err != nil {
		return err
	}
	defer s.gate.leave()
	r := &snapshotReader{snap: s.db.NewSnapshot()}
	defer closeKeepingError(r, &err)

	recordPrefix := appendDatasetPrefix(nil, tag, datasetID)
	walkPrefix := recordPrefix
	switch {
	case q.UserID != "":
		walkPrefix = appendIDPrefix(nil, tagUserIndex, datasetID, q.UserID)
	case q.SessionID != "":
		walkPrefix = appendIDPrefix(nil, tagSessionIndex, datasetID, q.SessionID)
	}
	walk, err := r.snap.NewIterWithContext(ctx, &pdb.IterOptions{LowerBound: walkPrefix, UpperBound: prefixEnd(walkPrefix)})
	if err != nil {
		return err
	}
	defer closeKeepingError(walk, &err)
	records := walk
	byIndex := walkPrefix[0] != tag
	if byIndex {
		if records, err = r.snap.NewIterWithContext(ctx, &pdb.IterOptions{LowerBound: recordPrefix, UpperBound: prefixEnd(recordPrefix)}); err != nil {
			return err
		}
		defer closeKeepingError(records, &err)
	}

	var recordKey []byte
	matched := 0
	for walk.First(); walk.Valid() && (q.Limit <= 0 || matched < q.Limit); walk.Next() {
		if err := s.stillWanted(ctx); err != nil {
			return err
		}
		seq := seqOf(walk.Key())
		if byIndex {
			recordKey = appendSeq(append(recordKey[:0], recordPrefix...), seq)
			if !records.SeekGE(recordKey) || !bytes.Equal(records.Key(), recordKey) {
				if err := records.Error(); err != nil {
					return err
				}
				continue // the index key of a record of the other kind
			}
		}
		value, err := records.ValueAndErr()
		if err != nil {
			return err
		}
		ok, err := visit(r, seq, value)
		if err != nil {
			return err
		}
		if ok {
			matched++
		}
	}
	return walk.Error()
}

// stillWanted returns why a long read must stop: its context ended, or the
// store needs it gone to recover from a failed write.
func (s *Store) stillWanted(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.gate.interrupted() {
		return errRecovering
	}
	return nil
}
