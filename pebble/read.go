package pebble

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

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
	// userRows are the distinct bulk records a walk by user has passed,
	// by content hash, oldest generation first: a duplicate has the user
	// of what it duplicates, so those are every record it can duplicate.
	// userRowsFull says it grew past maxUserRows and is no longer kept.
	userRows     map[uint64][][]byte
	userRowsKept int
	userRowsFull bool
}

// maxUserRows bounds the records a walk by user keeps to find duplicates
// without a seek a row; past it, the walk seeks.
const maxUserRows = 1 << 16

// seenByUser reports whether an identical record came before record in a
// walk by user, and remembers record; ok is false once too many records
// were passed to know, and the caller must look it up.
func (r *snapshotReader) seenByUser(record []byte) (dup, ok bool) {
	if r.userRowsFull {
		return false, false
	}
	h := contentHash(record)
	if slices.ContainsFunc(r.userRows[h], func(d []byte) bool { return bytes.Equal(d, record) }) {
		return true, true
	}
	if r.userRowsKept >= maxUserRows {
		r.userRowsFull, r.userRows = true, nil
		return false, false
	}
	if r.userRows == nil {
		r.userRows = map[uint64][][]byte{}
	}
	r.userRows[h] = append(r.userRows[h], bytes.Clone(record))
	r.userRowsKept++
	return false, true
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
	// known says that dup was decided already, by the walk.
	known, dup bool
}

// duplicate reports whether the record is a duplicate: for a record put
// through the API, an earlier one had its eventID; for a bulk record (which
// has none), an identical one was loaded before it.
func (f found) duplicate(eventID string) (bool, error) {
	if f.known {
		return f.dup, nil
	}
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
	if sp.dups != nil {
		return sp.dups[row], nil
	}
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
	stored, err := r.bulkRecordAt(datasetID, gen, row)
	return stored != nil && bytes.Equal(stored, record), err
}

// bulkRecordAt returns a copy of the record numbered row of generation
// gen; nil when there is none.
func (r *snapshotReader) bulkRecordAt(datasetID, gen, row uint64) ([]byte, error) {
	if err := r.family(&r.bulkRecords, tagBulkRecord, datasetID); err != nil {
		return nil, err
	}
	genPrefix := appendGenPrefix(nil, tagBulkRecord, datasetID, gen)
	// The run holding row is the last record key numbered row or less.
	if !r.bulkRecords.SeekLT(appendSeq(bytes.Clone(genPrefix), row+1)) || !bytes.HasPrefix(r.bulkRecords.Key(), genPrefix) {
		return nil, r.bulkRecords.Error()
	}
	first := seqOf(r.bulkRecords.Key())
	value, err := r.bulkRecords.ValueAndErr()
	if err != nil {
		return nil, err
	}
	records, err := splitRecords(value, nil)
	if err != nil {
		return nil, err
	}
	if i := row - first; i < uint64(len(records)) {
		return bytes.Clone(records[i]), nil
	}
	return nil, nil
}

// genDuplicates returns the rows of sp's generation that bulkDuplicate
// reports, found in one pass, in hash order, over the exact-duplicate
// keys of that generation and of the live ones before it: a walk of a
// whole generation then seeks once a duplicate, not once a row. Only rows
// whose hash occurs more than once are read and compared.
func (r *snapshotReader) genDuplicates(ctx context.Context, sp *span) (map[uint64]bool, error) {
	type cursor struct {
		it     *pdb.Iterator
		gen    uint64
		prefix int // the length of the generation's key prefix
	}
	var cursors []*cursor
	defer func() {
		for _, c := range cursors {
			c.it.Close()
		}
	}()
	for _, gen := range sp.gens {
		if gen > sp.gen {
			break
		}
		prefix := appendGenPrefix(nil, tagBulkDedup, sp.datasetID, gen)
		it, err := r.snap.NewIterWithContext(ctx, &pdb.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
		if err != nil {
			return nil, err
		}
		cursors = append(cursors, &cursor{it: it, gen: gen, prefix: len(prefix)})
		it.First()
	}
	hashOf := func(c *cursor) uint64 { return binary.BigEndian.Uint64(c.it.Key()[c.prefix:]) }
	type entry struct{ gen, row uint64 }
	dups := map[uint64]bool{}
	var group []entry
	for {
		if err := r.store.stillWanted(ctx); err != nil {
			return nil, err
		}
		// The smallest hash any cursor is at, and every entry of it.
		var (
			least uint64
			found bool
		)
		for _, c := range cursors {
			if c.it.Valid() && (!found || hashOf(c) < least) {
				least, found = hashOf(c), true
			}
		}
		if !found {
			break
		}
		group = group[:0]
		own := 0
		for _, c := range cursors {
			for ; c.it.Valid() && hashOf(c) == least; c.it.Next() {
				group = append(group, entry{c.gen, seqOf(c.it.Key())})
				if c.gen == sp.gen {
					own++
				}
			}
		}
		if own == 0 || len(group) < 2 {
			continue
		}
		// Entries come oldest generation first, and by row within one: a
		// row of sp's generation is a duplicate of an identical entry
		// before it, that is of one of the distinct records before it.
		var distinct [][]byte
		for _, e := range group {
			rec, err := r.bulkRecordAt(sp.datasetID, e.gen, e.row)
			if err != nil {
				return nil, err
			}
			if rec == nil {
				continue
			}
			if slices.ContainsFunc(distinct, func(d []byte) bool { return bytes.Equal(d, rec) }) {
				if e.gen == sp.gen {
					dups[e.row] = true
				}
				continue
			}
			distinct = append(distinct, rec)
		}
	}
	for _, c := range cursors {
		if err := c.it.Error(); err != nil {
			return nil, err
		}
	}
	return dups, nil
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
	// dups, when a walk of the whole generation has found them, are the
	// rows of the generation that are duplicates; nil means unknown.
	dups map[uint64]bool
	// newest walks the span from its last key back, and each run's
	// records last first.
	newest bool
}

// scanInteractions walks the events or action interactions (tag) of a
// dataset: the bulk generations wanted, oldest first, then the records put
// through the API in sequence order; through the user or session index
// when q names one. It calls visit with each record's value until q.Limit
// visits have reported a match. visit filters and decodes; the index
// walked guarantees the user (or the session, when no user is given).
// With q.Newest the order is the reverse: the spans last first, each
// walked from its end.
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
	if q.Newest {
		slices.Reverse(spans)
		for i := range spans {
			spans[i].newest = true
		}
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

	if sp.bulk && !byIndex && limit <= 0 {
		// Every row of the generation will be read: find its duplicates
		// at once rather than with a seek a row.
		if sp.dups, err = r.genDuplicates(ctx, &sp); err != nil {
			return 0, err
		}
	}
	var recordKey []byte
	var records [][]byte
	start, step := walk.First, walk.Next
	if sp.newest {
		start, step = walk.Last, walk.Prev
	}
	for valid := start(); valid && (limit <= 0 || matched < limit); valid = step() {
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
		for j := range records {
			if limit > 0 && matched >= limit {
				break
			}
			i := j
			if sp.newest {
				i = len(records) - 1 - j
			}
			f := found{r: r, span: &sp, seq: first + uint64(i), value: records[i]}
			if sp.bulk && byIndex && !sp.newest {
				// Every record of the user passes here, whatever the
				// visitor keeps, so that each is known to the ones after.
				f.dup, f.known = r.seenByUser(records[i])
			}
			ok, err := visit(f)
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
