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
	return s.scanInteractions(ctx, tagEvent, datasetID, q, func(f found) (bool, error) {
		var e perch.Event
		if err := decodeRecord(f.value, &e); err != nil {
			return false, err
		}
		if (q.SessionID != "" && e.SessionID != q.SessionID) || !q.Time.Contains(e.SentAt) {
			return false, nil
		}
		var err error
		if e.Duplicate, err = f.duplicate(e.EventID); err != nil {
			return false, err
		}
		e.Bulk = f.span.bulk
		return true, fn(&e)
	})
}

// ActionInteractions implements perch.Store.
func (s *Store) ActionInteractions(ctx context.Context, datasetID uint64, q perch.RecordQuery, fn func(*perch.ActionInteraction) error) error {
	return s.scanInteractions(ctx, tagActionInteraction, datasetID, q, func(f found) (bool, error) {
		var a perch.ActionInteraction
		if err := decodeRecord(f.value, &a); err != nil {
			return false, err
		}
		if (q.SessionID != "" && a.SessionID != q.SessionID) || !q.Time.Contains(a.Timestamp) {
			return false, nil
		}
		var err error
		if a.Duplicate, err = f.duplicate(a.EventID); err != nil {
			return false, err
		}
		a.Bulk = f.span.bulk
		return true, fn(&a)
	})
}

// Entities implements perch.Store. With both sources wanted, the current
// records of an id in the PUT family and in each live generation are
// merged and the newest wins.
func (s *Store) Entities(ctx context.Context, datasetID uint64, q perch.RecordQuery, fn func(*perch.Entity) error) (err error) {
	if err := s.gate.enter(); err != nil {
		return err
	}
	defer s.gate.leave()
	snap := s.db.NewSnapshot()
	defer closeKeepingError(snap, &err)

	var prefixes [][]byte // of the families to merge, PUT first, then generations oldest first
	if q.Wants(perch.IngestPut) {
		prefixes = append(prefixes, appendDatasetPrefix(nil, tagEntity, datasetID))
	}
	if q.Wants(perch.IngestBulk) {
		gens, err := liveGens(snap, datasetID)
		if err != nil {
			return err
		}
		for _, g := range gens {
			prefixes = append(prefixes, appendGenPrefix(nil, tagBulkEntity, datasetID, g))
		}
	}
	if q.ID != "" {
		return s.entity(snap, prefixes, q.ID, fn)
	}
	its := make([]*pdb.Iterator, len(prefixes))
	for i, p := range prefixes {
		it, err := snap.NewIterWithContext(ctx, &pdb.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
		if err != nil {
			return err
		}
		defer closeKeepingError(it, &err)
		it.First()
		its[i] = it
	}
	n := 0
	for q.Limit <= 0 || n < q.Limit {
		if err := s.stillWanted(ctx); err != nil {
			return err
		}
		// The smallest id any family is at, and the newest record of it.
		var id []byte
		for i, it := range its {
			if it.Valid() {
				if k := it.Key()[len(prefixes[i]):]; id == nil || bytes.Compare(k, id) < 0 {
					id = k
				}
			}
		}
		if id == nil {
			break
		}
		id = bytes.Clone(id)
		var newest *perch.Entity
		for i, it := range its {
			if !it.Valid() || !bytes.Equal(it.Key()[len(prefixes[i]):], id) {
				continue
			}
			e, err := decodeEntity(it, prefixes[i][0] == tagBulkEntity)
			if err != nil {
				return err
			}
			if newest == nil || e.Updated >= newest.Updated {
				newest = e
			}
			it.Next()
		}
		n++
		if err := fn(newest); err != nil {
			return err
		}
	}
	for _, it := range its {
		if err := it.Error(); err != nil {
			return err
		}
	}
	return nil
}

func decodeEntity(it *pdb.Iterator, bulk bool) (*perch.Entity, error) {
	value, err := it.ValueAndErr()
	if err != nil {
		return nil, err
	}
	var e perch.Entity
	if err := decodeRecord(value, &e); err != nil {
		return nil, fmt.Errorf("pebble: decoding %q: %w", it.Key(), err)
	}
	e.Bulk = bulk
	return &e, nil
}

// entity reads the newest record of one id among the families' prefixes.
func (s *Store) entity(snap *pdb.Snapshot, prefixes [][]byte, id string, fn func(*perch.Entity) error) error {
	var newest *perch.Entity
	for _, p := range prefixes {
		value, closer, err := snap.Get(append(bytes.Clone(p), id...))
		if errors.Is(err, pdb.ErrNotFound) {
			continue
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
		e.Bulk = p[0] == tagBulkEntity
		if newest == nil || e.Updated >= newest.Updated {
			newest = &e
		}
	}
	if newest == nil {
		return nil
	}
	return fn(newest)
}

// snapshotReader reads interaction records from one consistent snapshot.
type snapshotReader struct {
	store *Store
	snap  *pdb.Snapshot
	dedup *pdb.Iterator // over the dataset's dedup keys, made on first use
	// Over the dataset's exact-duplicate keys and bulk records, made on
	// first use.
	bulkDedup, bulkRecords *pdb.Iterator
	seek                   []byte // scratch space for dedup keys
}

// duplicate reports whether an earlier record of the dataset has eventID:
// the first dedup key of the id is then not the record's own.
func (r *snapshotReader) duplicate(datasetID uint64, eventID string, seq uint64) (bool, error) {
	if err := r.family(&r.dedup, tagDedup, datasetID); err != nil {
		return false, err
	}
	r.seek = appendIDPrefix(r.seek[:0], tagDedup, datasetID, eventID)
	if !r.dedup.SeekGE(r.seek) {
		return false, r.dedup.Error()
	}
	key := r.dedup.Key()
	return bytes.HasPrefix(key, r.seek) && seqOf(key) < seq, nil
}

// family makes *it, unless made already, an iterator over one family of
// keys (tag) of a dataset.
func (r *snapshotReader) family(it **pdb.Iterator, tag byte, datasetID uint64) error {
	if *it != nil {
		return nil
	}
	prefix := appendDatasetPrefix(nil, tag, datasetID)
	made, err := r.snap.NewIter(&pdb.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	*it = made
	return err
}

// found is a record a walk reached: its value (encoding 3), its number
// and its span.
type found struct {
	r     *snapshotReader
	span  *span
	seq   uint64
	value []byte
}

// duplicate reports whether the record is a duplicate: for a record put
// through the API, an earlier one had its eventID; for a bulk record (which
// has none), an identical one was loaded before it.
func (f found) duplicate(eventID string) (bool, error) {
	if f.span.bulk {
		return f.r.bulkDuplicate(f.span, f.seq, f.value)
	}
	return f.r.duplicate(f.span.datasetID, eventID, f.seq)
}

// bulkDuplicate reports whether an identical bulk record was loaded
// before the record numbered row of sp's generation: in an earlier live
// generation, or earlier in the same one. Records whose content hashes
// match are compared byte for byte.
func (r *snapshotReader) bulkDuplicate(sp *span, row uint64, record []byte) (bool, error) {
	if err := r.family(&r.bulkDedup, tagBulkDedup, sp.datasetID); err != nil {
		return false, err
	}
	hash := contentHash(record)
	for _, gen := range sp.gens {
		if gen > sp.gen {
			break
		}
		r.seek = appendBulkDedupPrefix(r.seek[:0], sp.datasetID, gen, hash)
		for ok := r.bulkDedup.SeekGE(r.seek); ok && bytes.HasPrefix(r.bulkDedup.Key(), r.seek); ok = r.bulkDedup.Next() {
			other := seqOf(r.bulkDedup.Key())
			if gen == sp.gen && other >= row {
				break
			}
			same, err := r.sameBulkRecord(sp.datasetID, gen, other, record)
			if err != nil || same {
				return same, err
			}
		}
		if err := r.bulkDedup.Error(); err != nil {
			return false, err
		}
	}
	return false, nil
}

// sameBulkRecord reports whether the record numbered row of generation gen
// is record.
func (r *snapshotReader) sameBulkRecord(datasetID, gen, row uint64, record []byte) (bool, error) {
	if err := r.family(&r.bulkRecords, tagBulkRecord, datasetID); err != nil {
		return false, err
	}
	genPrefix := appendGenPrefix(nil, tagBulkRecord, datasetID, gen)
	// The run holding row is the last record key numbered row or less.
	if !r.bulkRecords.SeekLT(appendSeq(bytes.Clone(genPrefix), row+1)) || !bytes.HasPrefix(r.bulkRecords.Key(), genPrefix) {
		return false, r.bulkRecords.Error()
	}
	first := seqOf(r.bulkRecords.Key())
	value, err := r.bulkRecords.ValueAndErr()
	if err != nil {
		return false, err
	}
	records, err := splitRecords(value, nil)
	if err != nil {
		return false, err
	}
	i := row - first
	return i < uint64(len(records)) && bytes.Equal(records[i], record), nil
}

func (r *snapshotReader) Close() error {
	var errs []error
	for _, it := range []*pdb.Iterator{r.dedup, r.bulkDedup, r.bulkRecords} {
		if it != nil {
			errs = append(errs, it.Close())
		}
	}
	return errors.Join(append(errs, r.snap.Close())...)
}

// span is one family of interaction records to walk: directly, or
// through an index whose keys end in the record keys' last 8 bytes. A
// record key holds one record or a run of them (see splitRecords), the
// first numbered as the key is.
type span struct {
	walk   []byte // prefix of the keys walked
	record []byte // prefix of the record keys
	bulk   bool
	// datasetID is the records' dataset. A bulk span has a generation,
	// and the dataset's live generations, oldest first, to look for exact
	// duplicates in.
	datasetID, gen uint64
	gens           []uint64
}

// scanInteractions walks the events or action interactions (tag) of a
// dataset: the bulk generations wanted, oldest first, then the records put
// through the API in sequence order; through the user or session index
// when q names one. It calls visit with each record's value until q.Limit
// visits have reported a match. visit filters and decodes; the index
// walked guarantees the user (or the session, when no user is given).
func (s *Store) scanInteractions(ctx context.Context, tag byte, datasetID uint64, q perch.RecordQuery,
	visit func(found) (matched bool, err error)) (err error) {
	if err := s.gate.enter(); err != nil {
		return err
	}
	defer s.gate.leave()
	r := &snapshotReader{store: s, snap: s.db.NewSnapshot()}
	defer closeKeepingError(r, &err)

	var spans []span
	if q.Wants(perch.IngestBulk) && q.SessionID == "" { // bulk records have no session
		gens, err := liveGens(r.snap, datasetID)
		if err != nil {
			return err
		}
		for _, g := range gens {
			sp := span{record: appendGenPrefix(nil, tagBulkRecord, datasetID, g), bulk: true, datasetID: datasetID, gen: g, gens: gens}
			sp.walk = sp.record
			if q.UserID != "" {
				sp.walk = appendGenUserPrefix(nil, datasetID, g, q.UserID)
			}
			spans = append(spans, sp)
		}
	}
	if q.Wants(perch.IngestPut) {
		sp := span{record: appendDatasetPrefix(nil, tag, datasetID), datasetID: datasetID}
		switch {
		case q.UserID != "":
			sp.walk = appendIDPrefix(nil, tagUserIndex, datasetID, q.UserID)
		case q.SessionID != "":
			sp.walk = appendIDPrefix(nil, tagSessionIndex, datasetID, q.SessionID)
		default:
			sp.walk = sp.record
		}
		spans = append(spans, sp)
	}
	matched := 0
	for _, sp := range spans {
		if q.Limit > 0 && matched >= q.Limit {
			break
		}
		n, err := r.walk(ctx, sp, q.Limit-matched, visit)
		if err != nil {
			return err
		}
		matched += n
	}
	return nil
}

// walk visits the records of one span until limit visits matched (no
// limit when limit <= 0) and returns how many did.
func (r *snapshotReader) walk(ctx context.Context, sp span, limit int,
	visit func(found) (bool, error)) (matched int, err error) {
	walk, err := r.snap.NewIterWithContext(ctx, &pdb.IterOptions{LowerBound: sp.walk, UpperBound: prefixEnd(sp.walk)})
	if err != nil {
		return 0, err
	}
	defer closeKeepingError(walk, &err)
	values := walk
	byIndex := !bytes.Equal(sp.walk, sp.record)
	if byIndex {
		if values, err = r.snap.NewIterWithContext(ctx, &pdb.IterOptions{LowerBound: sp.record, UpperBound: prefixEnd(sp.record)}); err != nil {
			return 0, err
		}
		defer closeKeepingError(values, &err)
	}

	var recordKey []byte
	var records [][]byte
	for walk.First(); walk.Valid() && (limit <= 0 || matched < limit); walk.Next() {
		if err := r.store.stillWanted(ctx); err != nil {
			return matched, err
		}
		first := seqOf(walk.Key())
		if byIndex {
			recordKey = appendSeq(append(recordKey[:0], sp.record...), first)
			if !values.SeekGE(recordKey) || !bytes.Equal(values.Key(), recordKey) {
				if err := values.Error(); err != nil {
					return matched, err
				}
				continue // the index key of a record of the other kind
			}
		}
		value, err := values.ValueAndErr()
		if err != nil {
			return matched, err
		}
		if records, err = splitRecords(value, records[:0]); err != nil {
			return matched, fmt.Errorf("%w: key %q", err, values.Key())
		}
		for i, record := range records {
			if limit > 0 && matched >= limit {
				break
			}
			ok, err := visit(found{r: r, span: &sp, seq: first + uint64(i), value: record})
			if err != nil {
				return matched, err
			}
			if ok {
				matched++
			}
		}
	}
	return matched, walk.Error()
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
