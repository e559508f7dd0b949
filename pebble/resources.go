package pebble

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	pdb "github.com/cockroachdb/pebble/v2"

	"github.com/perchdev/perch"
)

// resources is the store's perch.ResourceStore. Resources are few and
// written rarely, so each write is its own synced Pebble commit, outside
// the record writer's queue.
//
// Every write that a rule between resources governs reads what the rule
// needs and writes under resMu, so that no other change of resources
// comes between the check and the write: two creates of one name, or a
// create past a quota, cannot both pass. Lookups and lists take no lock;
// as with records, they may see a write a moment before the call that
// made it returns.
type resources struct{ s *Store }

var _ perch.ResourceStore = resources{}

// Words of the quota's message, as the service words its resources.
const (
	quotaSchema       = "schema"
	quotaDatasetGroup = "dataset group"
)

func (r resources) CreateSchema(ctx context.Context, v *perch.Schema, quota int) error {
	return r.s.changeResources(ctx, func(w *resourceWrite) error {
		return r.s.createCounted(w, kindSchema, v.ARN, v, quotaSchema, v.Name, quota)
	})
}

func (r resources) Schema(ctx context.Context, arn string) (*perch.Schema, error) {
	return getResource[perch.Schema](r.s, kindSchema, arn)
}

func (r resources) Schemas(ctx context.Context) ([]*perch.Schema, error) {
	return listResources[perch.Schema](ctx, r.s, kindSchema)
}

func (r resources) DeleteSchema(ctx context.Context, arn string) error {
	s := r.s
	return s.changeResources(ctx, func(w *resourceWrite) error {
		if _, err := mustExist[perch.Schema](s, kindSchema, arn); err != nil {
			return err
		}
		datasets, err := accountResources[perch.Dataset](ctx, s, kindDataset, arn)
		if err != nil {
			return err
		}
		if err := perch.CheckSchemaUnused(arn, datasets); err != nil {
			return err
		}
		w.delete(kindSchema, arn)
		return nil
	})
}

func (r resources) CreateDatasetGroup(ctx context.Context, v *perch.DatasetGroup, quota int) error {
	return r.s.changeResources(ctx, func(w *resourceWrite) error {
		return r.s.createCounted(w, kindDatasetGroup, v.ARN, v, quotaDatasetGroup, v.Name, quota)
	})
}

func (r resources) DatasetGroup(ctx context.Context, arn string) (*perch.DatasetGroup, error) {
	return getResource[perch.DatasetGroup](r.s, kindDatasetGroup, arn)
}

func (r resources) DatasetGroups(ctx context.Context) ([]*perch.DatasetGroup, error) {
	return listResources[perch.DatasetGroup](ctx, r.s, kindDatasetGroup)
}

func (r resources) DeleteDatasetGroup(ctx context.Context, arn string) error {
	s := r.s
	return s.changeResources(ctx, func(w *resourceWrite) error {
		if _, err := mustExist[perch.DatasetGroup](s, kindDatasetGroup, arn); err != nil {
			return err
		}
		datasets, err := accountResources[perch.Dataset](ctx, s, kindDataset, arn)
		if err != nil {
			return err
		}
		trackers, err := accountResources[perch.EventTracker](ctx, s, kindEventTracker, arn)
		if err != nil {
			return err
		}
		solutions, err := accountResources[perch.Solution](ctx, s, kindSolution, arn)
		if err != nil {
			return err
		}
		if err := perch.CheckGroupEmpty(arn, datasets, trackers, solutions); err != nil {
			return err
		}
		// A group's filters and metric attribution go with it: AWS asks
		// for none to be deleted first.
		filters, err := accountResources[perch.Filter](ctx, s, kindFilter, arn)
		if err != nil {
			return err
		}
		for _, f := range filters {
			if f.GroupARN == arn {
				w.delete(kindFilter, f.ARN)
			}
		}
		attributions, err := accountResources[perch.Attribution](ctx, s, kindAttribution, arn)
		if err != nil {
			return err
		}
		for _, m := range attributions {
			if m.GroupARN == arn {
				w.delete(kindAttribution, m.ARN)
			}
		}
		w.delete(kindDatasetGroup, arn)
		return nil
	})
}

// CreateDataset checks the dataset against its group's datasets before it
// looks at its own ARN, which is its group's name and its type: a taken
// ARN is then the group's dataset of that type, and the refusal says so.
func (r resources) CreateDataset(ctx context.Context, v *perch.Dataset) error {
	s := r.s
	return s.changeResources(ctx, func(w *resourceWrite) error {
		g, err := mustExist[perch.DatasetGroup](s, kindDatasetGroup, v.GroupARN)
		if err != nil {
			return err
		}
		if _, err := mustExist[perch.Schema](s, kindSchema, v.SchemaARN); err != nil {
			return err
		}
		datasets, err := accountResources[perch.Dataset](ctx, s, kindDataset, g.ARN)
		if err != nil {
			return err
		}
		if err := perch.CheckNewDataset(g, v.Type, datasets); err != nil {
			return err
		}
		return s.create(w, kindDataset, v.ARN, v)
	})
}

// UpdateDataset also wants the schema of the dataset's latest update
// stored: DeleteSchema counts that schema as in use, so a dataset naming
// a missing one would hold a reference nothing can keep.
func (r resources) UpdateDataset(ctx context.Context, v *perch.Dataset) error {
	s := r.s
	return s.changeResources(ctx, func(w *resourceWrite) error {
		old, err := mustExist[perch.Dataset](s, kindDataset, v.ARN)
		if err != nil {
			return err
		}
		if err := perch.CheckDatasetUpdate(old, v); err != nil {
			return err
		}
		if _, err := mustExist[perch.Schema](s, kindSchema, v.SchemaARN); err != nil {
			return err
		}
		if u := v.LatestUpdate; u != nil && u.SchemaARN != v.SchemaARN {
			if _, err := mustExist[perch.Schema](s, kindSchema, u.SchemaARN); err != nil {
				return err
			}
		}
		return w.set(kindDataset, v.ARN, v)
	})
}

func (r resources) Dataset(ctx context.Context, arn string) (*perch.Dataset, error) {
	return getResource[perch.Dataset](r.s, kindDataset, arn)
}

func (r resources) Datasets(ctx context.Context) ([]*perch.Dataset, error) {
	return listResources[perch.Dataset](ctx, r.s, kindDataset)
}

// DeleteDataset, unless unfinished jobs hold the dataset, removes it and,
// in the same synced commit, every record, index and dedup key of its id.
// The jobs are read under resMu, like every other change of resources, so
// no job can be created between the check and the deletion. Batches for
// the dataset that the
// writer takes up afterwards fail with ResourceNotFoundException, so no
// record can outlive the deletion.
func (r resources) DeleteDataset(ctx context.Context, arn string) error {
	s := r.s
	return s.changeResources(ctx, func(w *resourceWrite) error {
		d, err := mustExist[perch.Dataset](s, kindDataset, arn)
		if err != nil {
			return err
		}
		exports, err := accountResources[perch.DatasetExportJob](ctx, s, kindExportJob, arn)
		if err != nil {
			return err
		}
		imports, err := accountResources[perch.DatasetImportJob](ctx, s, kindImportJob, arn)
		if err != nil {
			return err
		}
		deletions, err := accountResources[perch.DataDeletionJob](ctx, s, kindDeletionJob, arn)
		if err != nil {
			return err
		}
		versions, err := accountResources[perch.SolutionVersion](ctx, s, kindVersion, arn)
		if err != nil {
			return err
		}
		if err := perch.CheckDatasetUnheld(arn, perch.JobsHolding(d, exports, imports, deletions, versions)); err != nil {
			return err
		}
		b := w.batch()
		_ = b.Delete(resourceKey(kindDataset, arn), nil)
		for _, tag := range datasetTags {
			prefix := appendDatasetPrefix(nil, tag, d.ID)
			_ = b.DeleteRange(prefix, prefixEnd(prefix), nil)
		}
		_ = b.Delete(liveKey(d.ID), nil)
		staging := append(stagingKey(d.ID, 0)[:len(prefixStaging)+8], '/')
		_ = b.DeleteRange(staging, prefixEnd(staging), nil)
		w.deletes = d
		return nil
	})
}

func (r resources) CreateEventTracker(ctx context.Context, v *perch.EventTracker) error {
	s := r.s
	return s.changeResources(ctx, func(w *resourceWrite) error {
		g, err := mustExist[perch.DatasetGroup](s, kindDatasetGroup, v.GroupARN)
		if err != nil {
			return err
		}
		trackers, err := accountResources[perch.EventTracker](ctx, s, kindEventTracker, v.ARN)
		if err != nil {
			return err
		}
		if err := perch.CheckNewEventTracker(g, v.Name, trackers); err != nil {
			return err
		}
		return s.create(w, kindEventTracker, v.ARN, v)
	})
}

func (r resources) EventTracker(ctx context.Context, arn string) (*perch.EventTracker, error) {
	return getResource[perch.EventTracker](r.s, kindEventTracker, arn)
}

func (r resources) EventTrackers(ctx context.Context) ([]*perch.EventTracker, error) {
	return listResources[perch.EventTracker](ctx, r.s, kindEventTracker)
}

func (r resources) DeleteEventTracker(ctx context.Context, arn string) error {
	s := r.s
	return s.changeResources(ctx, func(w *resourceWrite) error {
		if _, err := mustExist[perch.EventTracker](s, kindEventTracker, arn); err != nil {
			return err
		}
		w.delete(kindEventTracker, arn)
		return nil
	})
}

// The job creates look for what the job works on before they look at its
// ARN, and at its ARN before its quota.

func (r resources) CreateDatasetExportJob(ctx context.Context, v *perch.DatasetExportJob) error {
	s := r.s
	return s.changeResources(ctx, func(w *resourceWrite) error {
		if _, err := mustExist[perch.Dataset](s, kindDataset, v.DatasetARN); err != nil {
			return err
		}
		return s.create(w, kindExportJob, v.ARN, v)
	})
}

func (r resources) CreateDatasetImportJob(ctx context.Context, v *perch.DatasetImportJob, quota int) error {
	s := r.s
	return s.changeResources(ctx, func(w *resourceWrite) error {
		if _, err := mustExist[perch.Dataset](s, kindDataset, v.DatasetARN); err != nil {
			return err
		}
		if err := s.notTaken(kindImportJob, v.ARN); err != nil {
			return err
		}
		jobs, err := accountResources[perch.DatasetImportJob](ctx, s, kindImportJob, v.ARN)
		if err != nil {
			return err
		}
		if err := perch.CheckNewImportJob(v, jobs, quota); err != nil {
			return err
		}
		return w.set(kindImportJob, v.ARN, v)
	})
}

func (r resources) CreateDataDeletionJob(ctx context.Context, v *perch.DataDeletionJob, quota int) error {
	s := r.s
	return s.changeResources(ctx, func(w *resourceWrite) error {
		if _, err := mustExist[perch.DatasetGroup](s, kindDatasetGroup, v.GroupARN); err != nil {
			return err
		}
		if err := s.notTaken(kindDeletionJob, v.ARN); err != nil {
			return err
		}
		jobs, err := accountResources[perch.DataDeletionJob](ctx, s, kindDeletionJob, v.ARN)
		if err != nil {
			return err
		}
		if err := perch.CheckNewDeletionJob(v, jobs, quota); err != nil {
			return err
		}
		return w.set(kindDeletionJob, v.ARN, v)
	})
}

func (r resources) UpdateDatasetExportJob(ctx context.Context, v *perch.DatasetExportJob, owner string) error {
	return updateLeased(ctx, r.s, kindExportJob, v.ARN, v, owner, perch.JobFinished(v.Status),
		func(old *perch.DatasetExportJob) error {
			return perch.CheckJobUpdate(v.ARN, old.DatasetARN, v.DatasetARN)
		})
}

func (r resources) UpdateDatasetImportJob(ctx context.Context, v *perch.DatasetImportJob, owner string) error {
	return updateLeased(ctx, r.s, kindImportJob, v.ARN, v, owner, perch.JobFinished(v.Status),
		func(old *perch.DatasetImportJob) error {
			return perch.CheckJobUpdate(v.ARN, old.DatasetARN, v.DatasetARN)
		})
}

func (r resources) UpdateDataDeletionJob(ctx context.Context, v *perch.DataDeletionJob, owner string) error {
	return updateLeased(ctx, r.s, kindDeletionJob, v.ARN, v, owner, perch.JobFinished(v.Status),
		func(old *perch.DataDeletionJob) error { return perch.CheckJobUpdate(v.ARN, old.GroupARN, v.GroupARN) })
}

func (r resources) DatasetExportJob(ctx context.Context, arn string) (*perch.DatasetExportJob, error) {
	return getResource[perch.DatasetExportJob](r.s, kindExportJob, arn)
}

func (r resources) DatasetImportJob(ctx context.Context, arn string) (*perch.DatasetImportJob, error) {
	return getResource[perch.DatasetImportJob](r.s, kindImportJob, arn)
}

func (r resources) DataDeletionJob(ctx context.Context, arn string) (*perch.DataDeletionJob, error) {
	return getResource[perch.DataDeletionJob](r.s, kindDeletionJob, arn)
}

// jobLease is who holds a job's lease, and until when, and how far the
// job has got by its owner's last report. Like the lease, the progress
// lives in memory: one process runs a Pebble store's jobs and reads their
// progress, and a restart runs them again from the start.
type jobLease struct {
	owner    string
	until    time.Time
	progress *perch.JobProgress
}

// live reports whether the lease still holds at now.
func (l jobLease) live(now time.Time) bool { return l.owner != "" && now.Before(l.until) }

// waiting is a job, or a solution version, that ClaimJob may hand out.
type waiting struct {
	created perch.Timestamp
	arn     string
}

// unfinished lists the resources of the kind (a store kind) for which
// open says they wait for a worker. Callers are inside the gate.
func unfinished[T any](ctx context.Context, s *Store, kind string, open func(*T) (waiting, bool)) ([]waiting, error) {
	list, err := scanResources[T](ctx, s, kind, "")
	if err != nil {
		return nil, err
	}
	var ws []waiting
	for _, v := range list {
		if w, ok := open(v); ok {
			ws = append(ws, w)
		}
	}
	return ws, nil
}

// claimable lists, for each kind ClaimJob is asked for, what of it waits
// for a worker: jobs that have not finished, versions in training.
var claimable = []struct {
	kind string
	list func(ctx context.Context, s *Store) ([]waiting, error)
}{
	{perch.KindDatasetExportJob, func(ctx context.Context, s *Store) ([]waiting, error) {
		return unfinished(ctx, s, kindExportJob, func(j *perch.DatasetExportJob) (waiting, bool) {
			return waiting{j.Created, j.ARN}, !perch.JobFinished(j.Status)
		})
	}},
	{perch.KindDatasetImportJob, func(ctx context.Context, s *Store) ([]waiting, error) {
		return unfinished(ctx, s, kindImportJob, func(j *perch.DatasetImportJob) (waiting, bool) {
			return waiting{j.Created, j.ARN}, !perch.JobFinished(j.Status)
		})
	}},
	{perch.KindDataDeletionJob, func(ctx context.Context, s *Store) ([]waiting, error) {
		return unfinished(ctx, s, kindDeletionJob, func(j *perch.DataDeletionJob) (waiting, bool) {
			return waiting{j.Created, j.ARN}, !perch.JobFinished(j.Status)
		})
	}},
	{perch.KindBatchInferenceJob, waitingBatchJobs},
	{perch.KindBatchSegmentJob, waitingSegmentJobs},
	{perch.KindSolutionVersion, func(ctx context.Context, s *Store) ([]waiting, error) {
		return unfinished(ctx, s, kindVersion, func(v *perch.SolutionVersion) (waiting, bool) {
			return waiting{v.Created, v.ARN}, perch.Training(v.Status)
		})
	}},
}

// ClaimJob leases the first job of the kinds asked for (every kind when
// none is named, as before kinds could be), by creation time and then
// ARN, that waits for a worker and whose lease is not live.
func (r resources) ClaimJob(ctx context.Context, owner string, lease time.Duration, kinds ...string) (string, error) {
	s := r.s
	if err := s.gate.enter(); err != nil {
		return "", err
	}
	defer s.gate.leave()
	s.resMu.Lock()
	defer s.resMu.Unlock()
	var open []waiting
	for _, c := range claimable {
		if len(kinds) > 0 && !slices.Contains(kinds, c.kind) {
			continue
		}
		ws, err := c.list(ctx, s)
		if err != nil {
			return "", err
		}
		open = append(open, ws...)
	}
	slices.SortFunc(open, func(a, b waiting) int {
		return perch.Position{Created: a.created, ARN: a.arn}.Compare(perch.Position{Created: b.created, ARN: b.arn})
	})
	now := time.Now()
	for _, j := range open {
		if !s.leases[j.arn].live(now) {
			s.leases[j.arn] = jobLease{owner: owner, until: now.Add(lease)}
			return j.arn, nil
		}
	}
	return "", nil
}

// RenewJobLease extends owner's live lease of the job arn.
func (r resources) RenewJobLease(ctx context.Context, arn, owner string, lease time.Duration) error {
	s := r.s
	s.resMu.Lock()
	defer s.resMu.Unlock()
	now := time.Now()
	l := s.leases[arn]
	if l.owner != owner || !l.live(now) {
		return perch.ErrLeaseLost
	}
	l.until = now.Add(lease)
	s.leases[arn] = l
	return nil
}

// ReportJobProgress renews owner's live lease of the job arn and keeps p
// beside it.
func (r resources) ReportJobProgress(ctx context.Context, arn, owner string, lease time.Duration, p perch.JobProgress) error {
	s := r.s
	s.resMu.Lock()
	defer s.resMu.Unlock()
	now := time.Now()
	if l := s.leases[arn]; l.owner != owner || !l.live(now) {
		return perch.ErrLeaseLost
	}
	s.leases[arn] = jobLease{owner: owner, until: now.Add(lease), progress: &p}
	return nil
}

// JobProgress implements perch.ResourceStore. A job that finishes lets
// its lease, and so its progress, go (updateLeased).
func (r resources) JobProgress(ctx context.Context, arns []string) (map[string]perch.JobProgress, error) {
	s := r.s
	s.resMu.Lock()
	defer s.resMu.Unlock()
	got := make(map[string]perch.JobProgress)
	for _, arn := range arns {
		if p := s.leases[arn].progress; p != nil {
			got[arn] = *p
		}
	}
	return got, nil
}

func (r resources) DatasetExportJobs(ctx context.Context) ([]*perch.DatasetExportJob, error) {
	return listResources[perch.DatasetExportJob](ctx, r.s, kindExportJob)
}

func (r resources) DatasetImportJobs(ctx context.Context) ([]*perch.DatasetImportJob, error) {
	return listResources[perch.DatasetImportJob](ctx, r.s, kindImportJob)
}

func (r resources) DataDeletionJobs(ctx context.Context) ([]*perch.DataDeletionJob, error) {
	return listResources[perch.DataDeletionJob](ctx, r.s, kindDeletionJob)
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

// set writes one key in its own synced commit.
func (s *Store) set(key, value []byte) error {
	b := new(pdb.Batch)
	_ = b.Set(key, value, nil)
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.apply(b, true, nil)
}

// resourceWrite is the one synced commit a change of resources makes.
type resourceWrite struct {
	b *pdb.Batch
	// adds says whether the write adds data, and so must leave the
	// engine its reserve of free space; deletions may always go ahead.
	adds bool
	// deletes is the dataset the write deletes, if it deletes one.
	deletes *perch.Dataset
}

func (w *resourceWrite) batch() *pdb.Batch {
	if w.b == nil {
		w.b = new(pdb.Batch)
	}
	return w.b
}

// set adds the resource v of the kind as the value of arn.
func (w *resourceWrite) set(kind, arn string, v any) error {
	js, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_ = w.batch().Set(resourceKey(kind, arn), js, nil)
	w.adds = true
	return nil
}

func (w *resourceWrite) delete(kind, arn string) {
	_ = w.batch().Delete(resourceKey(kind, arn), nil)
}

// changeResources runs build, which reads what a change of resources
// depends on and says what to write or why not, and commits what it
// built, all under resMu. resMu comes before writeMu: the record writer
// never takes resMu, so a change waits for the writer's commit in
// progress, never the other way round.
func (s *Store) changeResources(ctx context.Context, build func(*resourceWrite) error) error {
	if err := s.gate.enter(); err != nil {
		return err
	}
	defer s.gate.leave()
	if err := ctx.Err(); err != nil {
		return err
	}
	s.resMu.Lock()
	defer s.resMu.Unlock()
	var w resourceWrite
	if err := build(&w); err != nil {
		return err
	}
	if w.b == nil {
		return nil
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if d := w.deletes; d != nil {
		// Marked even if the commit fails, which may still have deleted it.
		s.deleted[d.ID] = true
	}
	return s.apply(w.b, w.adds, nil)
}

// create writes v under arn unless arn is taken. Callers hold resMu.
func (s *Store) create(w *resourceWrite, kind, arn string, v any) error {
	if err := s.notTaken(kind, arn); err != nil {
		return err
	}
	return w.set(kind, arn, v)
}

// createCounted is create for a kind of which an account may have at most
// quota, which the quota's message calls word.
func (s *Store) createCounted(w *resourceWrite, kind, arn string, v any, word, name string, quota int) error {
	account, err := accountOf(arn)
	if err != nil {
		return err
	}
	if err := s.notTaken(kind, arn); err != nil {
		return err
	}
	n, err := s.countResources(kind, account)
	if err != nil {
		return err
	}
	if err := perch.CheckQuota(word, name, n, quota); err != nil {
		return err
	}
	return w.set(kind, arn, v)
}

// notTaken fails with EResourceAlreadyExists when a resource of the kind
// is stored under arn. Callers hold resMu.
func (s *Store) notTaken(kind, arn string) error {
	if _, err := accountOf(arn); err != nil {
		return err
	}
	_, closer, err := s.db.Get(resourceKey(kind, arn))
	switch {
	case err == nil:
		_ = closer.Close()
		return perch.AlreadyExists(arn)
	case errors.Is(err, pdb.ErrNotFound):
		return nil
	default:
		return err
	}
}

// updateLeased records v, the new state of the job or solution version
// arn, for the owner of its live lease, unless check refuses it beside
// what is stored; one that finishes (no longer waits for a worker) lets
// its lease go.
func updateLeased[T any](ctx context.Context, s *Store, kind, arn string, v *T, owner string, finished bool, check func(old *T) error) error {
	return s.changeResources(ctx, func(w *resourceWrite) error {
		old, err := mustExist[T](s, kind, arn)
		if err != nil {
			return err
		}
		if !s.leaseHeld(arn, owner) {
			return perch.ErrLeaseLost
		}
		if err := check(old); err != nil {
			return err
		}
		if finished {
			delete(s.leases, arn)
		}
		return w.set(kind, arn, v)
	})
}

// leaseHeld reports whether owner holds a live lease of arn. Callers
// hold resMu.
func (s *Store) leaseHeld(arn, owner string) bool {
	l := s.leases[arn]
	return l.owner == owner && l.live(time.Now())
}

// getResource is a read of one resource by its ARN: EResourceNotFound
// when it is not stored.
func getResource[T any](s *Store, kind, arn string) (*T, error) {
	if err := s.gate.enter(); err != nil {
		return nil, err
	}
	defer s.gate.leave()
	return mustExist[T](s, kind, arn)
}

// mustExist reads the resource of arn, or fails with EResourceNotFound.
// Callers are inside the gate.
func mustExist[T any](s *Store, kind, arn string) (*T, error) {
	js, closer, err := s.db.Get(resourceKey(kind, arn))
	if errors.Is(err, pdb.ErrNotFound) {
		return nil, perch.NotFound(arn)
	}
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	v := new(T)
	if err := json.Unmarshal(js, v); err != nil {
		return nil, fmt.Errorf("pebble: decoding %s %s: %w", kind, arn, err)
	}
	return v, nil
}

// accountOf returns what every ARN of arn's account and region starts
// with, arn:PARTITION:SERVICE:REGION:ACCOUNT:. Resource keys put the ARN
// right after the kind, so an account's resources of a kind are one
// range of keys.
func accountOf(arn string) (string, error) {
	a, ok := perch.ParseARN(arn)
	if !ok {
		return "", perch.Errorf(perch.EInvalidInput, "%q is not an ARN.", arn)
	}
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":", nil
}

// accountResources lists the resources of the kind in the account and
// region of arn, the ones the rules about arn look at. Callers are inside
// the gate.
func accountResources[T any](ctx context.Context, s *Store, kind, arn string) ([]*T, error) {
	account, err := accountOf(arn)
	if err != nil {
		return nil, err
	}
	return scanResources[T](ctx, s, kind, account)
}

// countResources counts the resources of the kind whose ARNs start with
// account, without decoding them. Callers are inside the gate.
func (s *Store) countResources(kind, account string) (n int, err error) {
	prefix := append(resourcePrefix(kind), account...)
	it, err := s.db.NewIter(&pdb.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return 0, err
	}
	defer closeKeepingError(it, &err)
	for it.First(); it.Valid(); it.Next() {
		n++
	}
	return n, it.Error()
}

func listResources[T any](ctx context.Context, s *Store, kind string) ([]*T, error) {
	if err := s.gate.enter(); err != nil {
		return nil, err
	}
	defer s.gate.leave()
	return scanResources[T](ctx, s, kind, "")
}

// scanResources lists the resources of the kind whose ARNs start with
// arnPrefix. Callers are inside the gate.
func scanResources[T any](ctx context.Context, s *Store, kind, arnPrefix string) (_ []*T, err error) {
	prefix := append(resourcePrefix(kind), arnPrefix...)
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
