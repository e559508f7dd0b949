package pebble

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	pdb "github.com/cockroachdb/pebble/v2"

	"github.com/perchdev/perch"
)

// maxDeleteBatch bounds the records one atomic deletion removes. Runs are
// deleted whole, so a deletion stops short of the bound when the next run
// might not fit. The record writer waits while a deletion is built and
// synced, so this bounds that wait too.
const maxDeleteBatch = 10000

// DeleteUsers implements perch.Store. Each deletion is built and applied
// while holding writeMu, like a commit of the writer: the keys it finds are
// exactly those on disk, so a record and its index and dedup keys go
// together, and a record committed before the call cannot be missed.
func (s *Store) DeleteUsers(ctx context.Context, d *perch.Dataset, users []string) (int, error) {
	if err := s.gate.enter(); err != nil {
		return 0, err
	}
	defer s.gate.leave()
	total := 0
	switch d.Type {
	case perch.Interactions, perch.ActionInteractions:
		tag := byte(tagEvent)
		if d.Type == perch.ActionInteractions {
			tag = tagActionInteraction
		}
		for _, u := range users {
			for more := true; more; {
				var n int
				var err error
				if n, more, err = s.deleteInteractions(ctx, d, tag, u); err != nil {
					return total, err
				}
				total += n
			}
		}
	case perch.Users:
		for len(users) > 0 {
			chunk := users[:min(len(users), maxDeleteBatch)]
			users = users[len(chunk):]
			n, err := s.deleteEntities(ctx, d, chunk)
			if err != nil {
				return total, err
			}
			total += n
		}
	}
	return total, nil
}

// deletion is one atomic deletion being built.
type deletion struct {
	b     *pdb.Batch
	count int
	// counts are the dataset's record counts less what is deleted.
	counts *counts
}

// removed notes n records of the dataset's generation gen (0: put through
// the API) deleted.
func (del *deletion) removed(datasetID, gen uint64, n int) {
	del.count += n
	del.counts.add(datasetID, gen, -int64(n))
}

func (s *Store) applyDeletion(ctx context.Context, d *perch.Dataset, build func(*deletion) error) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.failed != nil {
		return 0, s.failed
	}
	if s.deleted[d.ID] {
		return 0, perch.Errorf(perch.EResourceNotFound, "Could not find resource: %s", d.ARN)
	}
	del := &deletion{b: new(pdb.Batch), counts: newCounts(s.db)}
	if err := build(del); err != nil {
		return 0, err
	}
	if del.b.Empty() {
		return 0, nil
	}
	if err := del.counts.set(del.b); err != nil {
		return 0, err
	}
	if err := s.apply(del.b, false, nil); err != nil {
		return 0, err
	}
	return del.count, nil
}

// deleteInteractions deletes up to maxDeleteBatch records of one user,
// reporting whether any may remain.
func (s *Store) deleteInteractions(ctx context.Context, d *perch.Dataset, tag byte, userID string) (n int, more bool, err error) {
	n, err = s.applyDeletion(ctx, d, func(del *deletion) error {
		full, err := s.deletePut(del, d.ID, tag, userID)
		if err != nil || full {
			more = full
			return err
		}
		gens, err := liveGens(s.db, d.ID)
		if err != nil {
			return err
		}
		for _, g := range gens {
			if full, err = s.deleteBulk(del, d.ID, g, userID); err != nil || full {
				more = full
				return err
			}
		}
		return nil
	})
	return n, more, err
}

// deletePut adds the deletion of the user's records put through the API,
// with their index and dedup keys, reporting whether the batch is full. A
// run goes whole: all its records have the user.
func (s *Store) deletePut(del *deletion, datasetID uint64, tag byte, userID string) (full bool, err error) {
	prefix := appendIDPrefix(nil, tagUserIndex, datasetID, userID)
	it, err := s.db.NewIter(&pdb.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return false, err
	}
	defer closeKeepingError(it, &err)
	var key []byte
	var records [][]byte
	for it.First(); it.Valid(); it.Next() {
		if del.count+maxRunRecords > maxDeleteBatch {
			return true, nil
		}
		first := seqOf(it.Key())
		_ = del.b.Delete(bytes.Clone(it.Key()), nil)
		key = appendSeq(appendDatasetPrefix(key[:0], tag, datasetID), first)
		value, closer, err := s.db.Get(key)
		if errors.Is(err, pdb.ErrNotFound) {
			continue // the index key of a record of the other kind
		}
		if err != nil {
			return false, err
		}
		records, err = splitRecords(value, records[:0])
		for i := 0; err == nil && i < len(records); i++ {
			var eventID, sessionID string
			if eventID, sessionID, err = interactionIDs(tag, records[i]); err != nil {
				break
			}
			if i == 0 {
				_ = del.b.Delete(appendSeq(appendIDPrefix(nil, tagSessionIndex, datasetID, sessionID), first), nil)
			}
			_ = del.b.Delete(appendSeq(appendIDPrefix(nil, tagDedup, datasetID, eventID), first+uint64(i)), nil)
		}
		closer.Close()
		if err != nil {
			return false, fmt.Errorf("pebble: decoding %q: %w", key, err)
		}
		_ = del.b.Delete(key, nil)
		del.removed(datasetID, 0, len(records))
	}
	return false, it.Error()
}

// interactionIDs decodes the eventId and sessionId of an event (tag
// tagEvent) or action interaction.
func interactionIDs(tag byte, record []byte) (eventID, sessionID string, err error) {
	if tag == tagEvent {
		var e perch.Event
		err = decodeRecord(record, &e)
		return e.EventID, e.SessionID, err
	}
	var a perch.ActionInteraction
	err = decodeRecord(record, &a)
	return a.EventID, a.SessionID, err
}

// deleteBulk adds the deletion of the user's records in generation gen.
func (s *Store) deleteBulk(del *deletion, datasetID, gen uint64, userID string) (full bool, err error) {
	prefix := appendGenUserPrefix(nil, datasetID, gen, userID)
	it, err := s.db.NewIter(&pdb.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return false, err
	}
	defer closeKeepingError(it, &err)
	var records [][]byte
	for it.First(); it.Valid(); it.Next() {
		if del.count+maxRunRecords > maxDeleteBatch {
			return true, nil
		}
		_ = del.b.Delete(bytes.Clone(it.Key()), nil)
		key := appendSeq(appendGenPrefix(nil, tagBulkRecord, datasetID, gen), seqOf(it.Key()))
		value, closer, err := s.db.Get(key)
		if errors.Is(err, pdb.ErrNotFound) {
			continue
		}
		if err != nil {
			return false, err
		}
		records, err = splitRecords(value, records[:0])
		if err == nil {
			first := seqOf(key)
			for i, record := range records {
				_ = del.b.Delete(appendSeq(appendBulkDedupPrefix(nil, datasetID, gen, contentHash(record)), first+uint64(i)), nil)
			}
		}
		closer.Close()
		if err != nil {
			return false, fmt.Errorf("%w: key %q", err, key)
		}
		_ = del.b.Delete(key, nil)
		del.removed(datasetID, gen, len(records))
	}
	return false, it.Error()
}

// deleteEntities deletes the records of the given users from a Users
// dataset, in both sources.
func (s *Store) deleteEntities(ctx context.Context, d *perch.Dataset, users []string) (int, error) {
	return s.applyDeletion(ctx, d, func(del *deletion) error {
		gens, err := liveGens(s.db, d.ID)
		if err != nil {
			return err
		}
		prefixes := [][]byte{appendDatasetPrefix(nil, tagEntity, d.ID)}
		for _, g := range gens {
			prefixes = append(prefixes, appendGenPrefix(nil, tagBulkEntity, d.ID, g))
		}
		for _, u := range users {
			for i, p := range prefixes {
				key := append(bytes.Clone(p), u...)
				_, closer, err := s.db.Get(key)
				if errors.Is(err, pdb.ErrNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				closer.Close()
				_ = del.b.Delete(key, nil)
				gen := uint64(0)
				if i > 0 {
					gen = gens[i-1]
				}
				del.removed(d.ID, gen, 1)
			}
		}
		return nil
	})
}
