package pebble

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	pdb "github.com/cockroachdb/pebble/v2"
)

// Record counts: c/<d>/<gen>/ holds the number of records of one source
// of a dataset, as 8 bytes: generation 0 counts what the API put, any
// other a live bulk generation. Each is written in the same batch as the
// records it counts (commit, bulk commit, deletion), from its value on
// disk, under writeMu, so a count is always its records' and a dataset's
// count costs a read of a few keys, whatever its size. A generation's
// count goes with its keys (generationTags), and the dataset's with it
// (datasetTags).
const tagCount = 'c'

// keyCounted marks a store whose counts are kept; a store made before
// counts were is counted once when it opens (backfillCounts).
var keyCounted = []byte("m/counted")

func countKey(datasetID, gen uint64) []byte { return appendGenPrefix(nil, tagCount, datasetID, gen) }

// RecordCount implements perch.Store.
func (s *Store) RecordCount(ctx context.Context, datasetID uint64) (n int64, err error) {
	if err := s.gate.enter(); err != nil {
		return 0, err
	}
	defer s.gate.leave()
	prefix := appendDatasetPrefix(nil, tagCount, datasetID)
	it, err := s.db.NewIterWithContext(ctx, &pdb.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return 0, err
	}
	defer closeKeepingError(it, &err)
	for it.First(); it.Valid(); it.Next() {
		v, err := decodeUint64(it.Value())
		if err != nil {
			return 0, err
		}
		n += int64(v)
	}
	return n, it.Error()
}

// counts gathers changes to counts for one batch; callers hold writeMu.
type counts struct {
	db    *pdb.DB
	delta map[[2]uint64]int64 // by dataset id and generation
}

func newCounts(db *pdb.DB) *counts { return &counts{db: db, delta: map[[2]uint64]int64{}} }

func (c *counts) add(datasetID, gen uint64, n int64) { c.delta[[2]uint64{datasetID, gen}] += n }

// set adds the new counts to b.
func (c *counts) set(b *pdb.Batch) error {
	for k, d := range c.delta {
		if d == 0 {
			continue
		}
		key := countKey(k[0], k[1])
		n, err := getUint64(c.db, key)
		if err != nil && !errors.Is(err, pdb.ErrNotFound) {
			return err
		}
		set(b, key, encodeUint64(uint64(max(int64(n)+d, 0))))
	}
	return nil
}

// putEntityIsNew reports whether an entity put through the API adds a
// record rather than replacing one: an id neither stored nor met before in
// the group (seen).
func (c *counts) putEntityIsNew(key []byte, seen map[string]bool) (bool, error) {
	if seen[string(key)] {
		return false, nil
	}
	seen[string(key)] = true
	_, closer, err := c.db.Get(key)
	if errors.Is(err, pdb.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	closer.Close()
	return false, nil
}

// countGeneration counts the records an import staged in its generation:
// rows for interactions, keys for entities (an id staged twice in one
// import is one record).
func (l *loader) countGeneration() (int64, error) {
	if l.row > 0 {
		return int64(l.row), nil
	}
	prefix := appendGenPrefix(nil, tagBulkEntity, l.d.ID, l.gen)
	return countRecordKeys(l.s.db, prefix)
}

func countRecordKeys(db *pdb.DB, prefix []byte) (n int64, err error) {
	it, err := db.NewIter(&pdb.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix), KeyTypes: pdb.IterKeyTypePointsOnly})
	if err != nil {
		return 0, err
	}
	defer closeKeepingError(it, &err)
	for it.First(); it.Valid(); it.Next() {
		n++
	}
	return n, it.Error()
}

// backfillCounts counts, once, the records of a store made before counts
// were kept: one walk of the record keys. It runs at Open, before the
// store is shared, after dropStaging, so every generation left is live.
func (s *Store) backfillCounts() (err error) {
	if _, closer, err := s.db.Get(keyCounted); err == nil {
		return closer.Close()
	} else if !errors.Is(err, pdb.ErrNotFound) {
		return err
	}
	found := map[[2]uint64]int64{}
	var records [][]byte
	for _, tag := range []byte{tagEvent, tagActionInteraction, tagEntity, tagBulkRecord, tagBulkEntity} {
		prefix := []byte{tag, '/'}
		it, err := s.db.NewIter(&pdb.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
		if err != nil {
			return err
		}
		for it.First(); it.Valid(); it.Next() {
			k := it.Key()[2:]
			if len(k) < 9 {
				it.Close()
				return fmt.Errorf("pebble: malformed record key %q", it.Key())
			}
			datasetID, gen := binary.BigEndian.Uint64(k), uint64(0)
			if tag == tagBulkRecord || tag == tagBulkEntity {
				if len(k) < 18 {
					it.Close()
					return fmt.Errorf("pebble: malformed bulk key %q", it.Key())
				}
				gen = binary.BigEndian.Uint64(k[9:])
			}
			n := int64(1)
			if tag != tagEntity && tag != tagBulkEntity {
				if records, err = splitRecords(it.Value(), records[:0]); err != nil {
					it.Close()
					return fmt.Errorf("%w: key %q", err, it.Key())
				}
				n = int64(len(records))
			}
			found[[2]uint64{datasetID, gen}] += n
		}
		if err := errors.Join(it.Error(), it.Close()); err != nil {
			return err
		}
	}
	b := s.db.NewBatch()
	defer b.Close()
	for k, n := range found {
		set(b, countKey(k[0], k[1]), encodeUint64(uint64(n)))
	}
	set(b, keyCounted, nil)
	return s.db.Apply(b, pdb.Sync)
}
