package pebble

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	pdb "github.com/cockroachdb/pebble/v2"

	"github.com/perchdev/perch"
)

// Bulk data lives in generations. An import stages its records in a new
// generation, in as many unsynced batches as it needs; its Commit makes
// the generation live in one small synced batch (which also syncs the
// staged writes before it in the write-ahead log) and, for a FULL import,
// range-deletes the generations it replaces. A generation still staged
// when the store opens belonged to an import that never committed, and is
// deleted.

// stageBatchBytes bounds the batches a loader stages, and so its memory.
const stageBatchBytes = 4 << 20

// BulkLoad implements perch.Store.
func (s *Store) BulkLoad(ctx context.Context, d *perch.Dataset) (perch.BulkLoader, error) {
	if err := s.gate.enter(); err != nil {
		return nil, err
	}
	defer s.gate.leave()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.idMu.Lock()
	defer s.idMu.Unlock()
	gen := s.gen + 1
	b := new(pdb.Batch)
	set(b, keyGen, encodeUint64(gen))
	set(b, stagingKey(d.ID, gen), nil)
	s.writeMu.Lock()
	err := s.apply(b, true, nil)
	s.writeMu.Unlock()
	if err != nil {
		return nil, err
	}
	s.gen = gen
	return &loader{s: s, d: d, gen: gen, batch: new(pdb.Batch)}, nil
}

// loader is a perch.BulkLoader: it stages records in generation gen.
type loader struct {
	s       *Store
	d       *perch.Dataset
	gen     uint64
	row     uint64 // last row number staged
	batch   *pdb.Batch
	key     []byte
	records [][]byte // scratch space for a run's records
	done    bool
}

// Add implements perch.BulkLoader.
func (l *loader) Add(ctx context.Context, b *perch.Batch) error {
	if l.done {
		return errors.New("pebble: Add after Commit or Abort")
	}
	enc, err := encodeBatch(b)
	if err != nil {
		return err
	}
	for _, run := range enc.events {
		if err := l.stageRun(run, b.Events[run.first].UserID); err != nil {
			return err
		}
	}
	for _, run := range enc.actionInteractions {
		if err := l.stageRun(run, b.ActionInteractions[run.first].UserID); err != nil {
			return err
		}
	}
	for i, e := range b.Entities {
		l.key = append(appendGenPrefix(l.key[:0], tagBulkEntity, l.d.ID, l.gen), e.ID...)
		set(l.batch, l.key, enc.entities[i])
	}
	if l.batch.Len() >= stageBatchBytes {
		return l.flush(ctx)
	}
	return nil
}

// stageRun stages a run of records (rows of one user, as bulk records
// have no session) under its first row's number, with one user index key,
// and each record's exact-duplicate key.
func (l *loader) stageRun(r run, userID string) error {
	first := l.row + 1
	l.row += uint64(r.n)
	l.key = appendSeq(appendGenPrefix(l.key[:0], tagBulkRecord, l.d.ID, l.gen), first)
	set(l.batch, l.key, r.value)
	if userID != "" {
		l.key = appendSeq(appendGenUserPrefix(l.key[:0], l.d.ID, l.gen, userID), first)
		set(l.batch, l.key, nil)
	}
	var err error
	if l.records, err = splitRecords(r.value, l.records[:0]); err != nil {
		return err
	}
	for i, record := range l.records {
		l.key = appendSeq(appendBulkDedupPrefix(l.key[:0], l.d.ID, l.gen, contentHash(record)), first+uint64(i))
		set(l.batch, l.key, nil)
	}
	return nil
}

// flush writes the staged batch without a sync: until Commit nothing
// depends on it, and Commit's sync covers it.
func (l *loader) flush(ctx context.Context) error {
	if l.batch.Empty() {
		return nil
	}
	s := l.s
	if err := s.gate.enter(); err != nil {
		return err
	}
	defer s.gate.leave()
	if err := ctx.Err(); err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.deleted[l.d.ID] {
		return perch.Errorf(perch.EResourceNotFound, "Could not find resource: %s", l.d.ARN)
	}
	err := s.applyWith(l.batch, pdb.NoSync, true, nil)
	l.batch.Reset()
	return err
}

// Commit implements perch.BulkLoader.
func (l *loader) Commit(ctx context.Context, mode perch.ImportMode) error {
	if l.done {
		return errors.New("pebble: Commit after Commit or Abort")
	}
	if err := l.flush(ctx); err != nil {
		return err
	}
	s := l.s
	if err := s.gate.enter(); err != nil {
		return err
	}
	defer s.gate.leave()
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.deleted[l.d.ID] {
		return perch.Errorf(perch.EResourceNotFound, "Could not find resource: %s", l.d.ARN)
	}
	if s.failed != nil {
		return s.failed
	}
	live, err := liveGens(s.db, l.d.ID)
	if err != nil {
		return err
	}
	b := new(pdb.Batch)
	if mode == perch.ImportFull {
		for _, g := range live {
			deleteGeneration(b, l.d.ID, g)
		}
		live = live[:0]
	}
	live = append(live, l.gen)
	set(b, liveKey(l.d.ID), encodeGens(live))
	n, err := l.countGeneration()
	if err != nil {
		return err
	}
	set(b, countKey(l.d.ID, l.gen), encodeUint64(uint64(n)))
	_ = b.Delete(stagingKey(l.d.ID, l.gen), nil)
	if err := s.apply(b, false, nil); err != nil {
		return err
	}
	l.done = true
	l.batch.Close()
	return nil
}

// Abort implements perch.BulkLoader.
func (l *loader) Abort() error {
	if l.done {
		return nil
	}
	l.done = true
	l.batch.Close()
	s := l.s
	if err := s.gate.enter(); err != nil {
		return err
	}
	defer s.gate.leave()
	b := new(pdb.Batch)
	deleteGeneration(b, l.d.ID, l.gen)
	_ = b.Delete(stagingKey(l.d.ID, l.gen), nil)
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	// Not synced: a generation left staged by a lost abort is dropped
	// when the store next opens.
	return s.applyWith(b, pdb.NoSync, false, nil)
}

func deleteGeneration(b *pdb.Batch, datasetID, gen uint64) {
	for _, tag := range generationTags {
		prefix := appendGenPrefix(nil, tag, datasetID, gen)
		_ = b.DeleteRange(prefix, prefixEnd(prefix), nil)
	}
}

// getter is what liveGens reads from: the database or a snapshot.
type getter interface {
	Get(key []byte) ([]byte, io.Closer, error)
}

// liveGens returns the dataset's live generations, oldest first.
func liveGens(r getter, datasetID uint64) ([]uint64, error) {
	v, closer, err := r.Get(liveKey(datasetID))
	if errors.Is(err, pdb.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	return decodeGens(v)
}

// dropStaging deletes every generation an import staged but never
// committed; it runs at Open, when no import can be running.
func (s *Store) dropStaging() (err error) {
	it, err := s.db.NewIter(&pdb.IterOptions{LowerBound: prefixStaging, UpperBound: prefixEnd(prefixStaging)})
	if err != nil {
		return err
	}
	defer closeKeepingError(it, &err)
	b := s.db.NewBatch()
	defer b.Close()
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()[len(prefixStaging):]
		if len(k) != 17 {
			return fmt.Errorf("pebble: malformed staging key %q", it.Key())
		}
		datasetID, gen := binary.BigEndian.Uint64(k), binary.BigEndian.Uint64(k[9:])
		deleteGeneration(b, datasetID, gen)
		_ = b.Delete(slices.Clone(it.Key()), nil)
	}
	if err := it.Error(); err != nil || b.Empty() {
		return err
	}
	return s.db.Apply(b, pdb.Sync)
}
