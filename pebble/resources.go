package pebble

import (
	"context"
	"encoding/json"
	"fmt"

	pdb "github.com/cockroachdb/pebble/v2"

	"github.com/perchdev/perch"
)

// resources is the store's perch.ResourceStore. Resources are few and
// written rarely, so each write is its own synced Pebble commit, outside
// the record writer's queue.
type resources struct{ s *Store }

var _ perch.ResourceStore = resources{}

func (r resources) PutSchema(ctx context.Context, v *perch.Schema) error {
	return r.s.putResource(ctx, kindSchema, v.ARN, v)
}

func (r resources) DeleteSchema(ctx context.Context, arn string) error {
	return r.s.deleteResource(ctx, kindSchema, arn)
}

func (r resources) Schemas(ctx context.Context) ([]*perch.Schema, error) {
	return listResources[perch.Schema](ctx, r.s, kindSchema)
}

func (r resources) PutDatasetGroup(ctx context.Context, v *perch.DatasetGroup) error {
	return r.s.putResource(ctx, kindDatasetGroup, v.ARN, v)
}

func (r resources) DeleteDatasetGroup(ctx context.Context, arn string) error {
	return r.s.deleteResource(ctx, kindDatasetGroup, arn)
}

func (r resources) DatasetGroups(ctx context.Context) ([]*perch.DatasetGroup, error) {
	return listResources[perch.DatasetGroup](ctx, r.s, kindDatasetGroup)
}

func (r resources) PutDataset(ctx context.Context, v *perch.Dataset) error {
	return r.s.putResource(ctx, kindDataset, v.ARN, v)
}

func (r resources) Datasets(ctx context.Context) ([]*perch.Dataset, error) {
	return listResources[perch.Dataset](ctx, r.s, kindDataset)
}

func (r resources) PutEventTracker(ctx context.Context, v *perch.EventTracker) error {
	return r.s.putResource(ctx, kindEventTracker, v.ARN, v)
}

func (r resources) DeleteEventTracker(ctx context.Context, arn string) error {
	return r.s.deleteResource(ctx, kindEventTracker, arn)
}

func (r resources) EventTrackers(ctx context.Context) ([]*perch.EventTracker, error) {
	return listResources[perch.EventTracker](ctx, r.s, kindEventTracker)
}

func (r resources) PutDatasetExportJob(ctx context.Context, v *perch.DatasetExportJob) error {
	return r.s.putResource(ctx, kindExportJob, v.ARN, v)
}

func (r resources) DatasetExportJobs(ctx context.Context) ([]*perch.DatasetExportJob, error) {
	return listResources[perch.DatasetExportJob](ctx, r.s, kindExportJob)
}

func (r resources) PutDatasetImportJob(ctx context.Context, v *perch.DatasetImportJob) error {
	return r.s.putResource(ctx, kindImportJob, v.ARN, v)
}

func (r resources) DatasetImportJobs(ctx context.Context) ([]*perch.DatasetImportJob, error) {
	return listResources[perch.DatasetImportJob](ctx, r.s, kindImportJob)
}

func (r resources) PutDataDeletionJob(ctx context.Context, v *perch.DataDeletionJob) error {
	return r.s.putResource(ctx, kindDeletionJob, v.ARN, v)
}

func (r resources) DataDeletionJobs(ctx context.Context) ([]*perch.DataDeletionJob, error) {
	return listResources[perch.DataDeletionJob](ctx, r.s, kindDeletionJob)
}

// DeleteDataset removes the dataset and, in the same synced commit, every
// record, index and dedup key of its id. Batches for the dataset that the
// writer takes up afterwards fail with ResourceNotFoundException, so no
// record can outlive the deletion.
func (r resources) DeleteDataset(ctx context.Context, d *perch.Dataset) error {
	s := r.s
	if err := s.gate.enter(); err != nil {
		return err
	}
	defer s.gate.leave()
	if err := ctx.Err(); err != nil {
		return err
	}
	b := new(pdb.Batch)
	_ = b.Delete(resourceKey(kindDataset, d.ARN), nil)
	for _, tag := range datasetTags {
		prefix := appendDatasetPrefix(nil, tag, d.ID)
		_ = b.DeleteRange(prefix, prefixEnd(prefix), nil)
	}
	_ = b.Delete(liveKey(d.ID), nil)
	staging := append(stagingKey(d.ID, 0)[:len(prefixStaging)+8], '/')
	_ = b.DeleteRange(staging, prefixEnd(staging), nil)
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	// Marked even if the commit fails, which may still have deleted it.
	s.deleted[d.ID] = true
	return s.apply(b, false, nil)
}

// NextDatasetID returns the successor of the last id handed out, after
// storing it durably. The first id is 1.
func (r resources) NextDatasetID(ctx context.Context) (uint64, error) {
	s := r.s
	if err := s.gate.enter(); err != nil {
		return 0, err
	}
	defer s.gate.leave()
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.idMu.Lock()
	defer s.idMu.Unlock()
	id := s.datasetID + 1
	if err := s.set(keyDatasetID, encodeUint64(id)); err != nil {
		return 0, err
	}
	s.datasetID = id
	return id, nil
}

func (s *Store) putResource(ctx context.Context, kind, arn string, v any) error {
	if err := s.gate.enter(); err != nil {
		return err
	}
	defer s.gate.leave()
	if err := ctx.Err(); err != nil {
		return err
	}
	if arn == "" {
		return fmt.Errorf("pebble: %s without an ARN", kind)
	}
	js, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.set(resourceKey(kind, arn), js)
}

// set writes one key in its own synced commit.
func (s *Store) set(key, value []byte) error {
	b := new(pdb.Batch)
	_ = b.Set(key, value, nil)
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.apply(b, true, nil)
}

func (s *Store) deleteResource(ctx context.Context, kind, arn string) error {
	if err := s.gate.enter(); err != nil {
		return err
	}
	defer s.gate.leave()
	if err := ctx.Err(); err != nil {
		return err
	}
	b := new(pdb.Batch)
	_ = b.Delete(resourceKey(kind, arn), nil)
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.apply(b, false, nil)
}

func listResources[T any](ctx context.Context, s *Store, kind string) (_ []*T, err error) {
	if err := s.gate.enter(); err != nil {
		return nil, err
	}
	defer s.gate.leave()
	prefix := resourcePrefix(kind)
	it, err := s.db.NewIterWithContext(ctx, &pdb.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, err
	}
	defer closeKeepingError(it, &err)
	var list []*T
	for it.First(); it.Valid(); it.Next() {
		if err := s.stillWanted(ctx); err != nil {
			return nil, err
		}
		js, err := it.ValueAndErr()
		if err != nil {
			return nil, err
		}
		v := new(T)
		if err := json.Unmarshal(js, v); err != nil {
			return nil, fmt.Errorf("pebble: decoding %s %s: %w", kind, it.Key(), err)
		}
		list = append(list, v)
	}
	return list, it.Error()
}
