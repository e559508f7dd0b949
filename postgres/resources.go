package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/perchdev/perch"
)

// resources is the store's perch.SharedResources. The database is the
// source of truth: every change runs in one transaction that takes the
// advisory lock of its account and region, reads what its rule (rules.go
// of the root package) looks at, calls the rule and writes, so that no
// other change of the account's resources, from this node or another,
// comes between the check and the write. The tables' constraints back the
// rules up; a violation is answered as the rule would have answered.
type resources struct{ s *Store }

// notifyChannel is where every committed change of resources is announced.
const notifyChannel = "perch_resources"

// lockClass is the first key of the advisory locks of resource changes,
// which keeps them apart from other users of advisory locks (goose's).
const lockClass = 0x70657263 // "perc"

// Words of the quota's message, as the service words its resources.
const (
	quotaSchema       = "schema"
	quotaDatasetGroup = "dataset group"
)

// Job kinds, as the jobs table spells them.
const (
	jobExport   = "export"
	jobImport   = "import"
	jobDeletion = "deletion"
)

// querier is what reads run on: the pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// scopeOf returns what every ARN of arn's account and region starts
// with, arn:PARTITION:SERVICE:REGION:ACCOUNT:, the scope of quotas, names
// and the changes' lock.
func scopeOf(arn string) (string, error) {
	a, ok := perch.ParseARN(arn)
	if !ok {
		return "", perch.Errorf(perch.EInvalidInput, "%q is not an ARN.", arn)
	}
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":", nil
}

func scopeLock(scope string) int32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(scope))
	return int32(h.Sum32())
}

// change runs fn, one change of resources about arn, in a transaction
// under the advisory lock of arn's account and region, announces it and
// commits. long is for a change that may take long (a dataset's deletion
// deletes its records): it runs without the statement timeout, under
// ctx alone.
func (s *Store) change(ctx context.Context, arn string, long bool, fn func(tx pgx.Tx) error) error {
	return s.transact(ctx, arn, true, long, fn)
}

// transact is change, under the account's advisory lock only when locked
// says so: a change that no rule looks at may do without it, the rows it
// locks being its only fence.
func (s *Store) transact(ctx context.Context, arn string, locked, long bool, fn func(tx pgx.Tx) error) error {
	scope, err := scopeOf(arn)
	if err != nil {
		return err
	}
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if err := ctx.Err(); err != nil {
		return err
	}
	tctx := ctx
	if !long {
		var cancel context.CancelFunc
		tctx, cancel = s.writeContext(ctx)
		defer cancel()
	}
	committing := false
	err = pgx.BeginFunc(tctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		if long {
			b.Queue("SET LOCAL statement_timeout = 0")
		}
		if locked {
			b.Queue("SELECT pg_advisory_xact_lock($1, $2)", int32(lockClass), scopeLock(scope))
		}
		if b.Len() > 0 {
			if err := tx.SendBatch(tctx, b).Close(); err != nil {
				return err
			}
		}
		if err := fn(tx); err != nil {
			return err
		}
		// In the transaction, so that only committed changes are heard of.
		if _, err := tx.Exec(tctx, "SELECT pg_notify($1, $2)", notifyChannel, arn); err != nil {
			return err
		}
		committing = true
		return nil
	})
	return s.failure(ctx, err, committing)
}

// lookup runs a read of resources outside any change.
func (s *Store) lookup(ctx context.Context, fn func(ctx context.Context) error) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	wctx, cancel := s.writeContext(ctx)
	defer cancel()
	return s.failure(ctx, fn(wctx), false)
}

// doc reads one resource's JSON and decodes it; nil when there is no row.
func doc[T any](ctx context.Context, q querier, sql string, args ...any) (*T, error) {
	var js []byte
	err := q.QueryRow(ctx, sql, args...).Scan(&js)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	v := new(T)
	if err := json.Unmarshal(js, v); err != nil {
		return nil, fmt.Errorf("postgres: decoding a resource: %w", err)
	}
	return v, nil
}

// mustDoc is doc for a resource that must exist: EResourceNotFound naming
// arn otherwise.
func mustDoc[T any](ctx context.Context, q querier, arn, sql string, args ...any) (*T, error) {
	v, err := doc[T](ctx, q, sql, args...)
	if err == nil && v == nil {
		return nil, perch.NotFound(arn)
	}
	return v, err
}

// docs reads and decodes the resources a query returns, one doc each.
func docs[T any](ctx context.Context, q querier, sql string, args ...any) ([]*T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*T, error) {
		var js []byte
		if err := row.Scan(&js); err != nil {
			return nil, err
		}
		v := new(T)
		if err := json.Unmarshal(js, v); err != nil {
			return nil, fmt.Errorf("postgres: decoding a resource: %w", err)
		}
		return v, nil
	})
}

func exists(ctx context.Context, tx pgx.Tx, sql string, args ...any) (bool, error) {
	var found bool
	err := tx.QueryRow(ctx, "SELECT EXISTS ("+sql+")", args...).Scan(&found)
	return found, err
}

// notTaken fails with EResourceAlreadyExists when table has a row of arn.
func notTaken(ctx context.Context, tx pgx.Tx, table, arn string) error {
	taken, err := exists(ctx, tx, "SELECT FROM "+table+" WHERE arn = $1", arn)
	if err == nil && taken {
		return perch.AlreadyExists(arn)
	}
	return err
}

// mustExist fails with EResourceNotFound unless table has a row of arn.
func mustExist(ctx context.Context, tx pgx.Tx, table, arn string) error {
	found, err := exists(ctx, tx, "SELECT FROM "+table+" WHERE arn = $1", arn)
	if err == nil && !found {
		return perch.NotFound(arn)
	}
	return err
}

// insert adds a row whose constraints the rules already checked; should
// a constraint still refuse it, the refusal is worded as the rules word
// theirs.
func insert(ctx context.Context, tx pgx.Tx, arn, sql string, args ...any) error {
	_, err := tx.Exec(ctx, sql, args...)
	switch pgCode(err) {
	case "23505": // unique_violation
		switch c := constraintOf(err); c {
		case "schemas_pkey", "dataset_groups_pkey", "datasets_pkey", "event_trackers_pkey", "jobs_pkey",
			"solutions_pkey", "solution_versions_pkey", "campaigns_pkey", "filters_pkey", "metric_attributions_pkey":
			return perch.AlreadyExists(arn)
		default:
			return perch.Errorf(perch.EResourceAlreadyExists, "%s conflicts with a stored resource (%s).", arn, c)
		}
	case "23503": // foreign_key_violation
		return perch.Errorf(perch.EResourceNotFound, "A resource %s refers to does not exist (%s).", arn, constraintOf(err))
	case "23514": // check_violation
		return perch.Errorf(perch.EInvalidInput, "%s is not a resource the store can keep (%s).", arn, constraintOf(err))
	}
	return err
}

// remove deletes the row of arn from table; a foreign key that still
// refers to it is ResourceInUse.
func remove(ctx context.Context, tx pgx.Tx, table, arn string) error {
	_, err := tx.Exec(ctx, "DELETE FROM "+table+" WHERE arn = $1", arn)
	return inUse(arn, err)
}

// inUse words a foreign key's refusal of a deletion about arn as
// ResourceInUse.
func inUse(arn string, err error) error {
	if pgCode(err) == "23503" {
		return perch.Errorf(perch.EResourceInUse, "%s is in use (%s).", arn, constraintOf(err))
	}
	return err
}

func jsonOf(v any) ([]byte, error) { return json.Marshal(v) }

// nullIfEmpty stores "" as NULL, for unique columns that many rows leave
// empty.
func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (r resources) CreateSchema(ctx context.Context, v *perch.Schema, quota int) error {
	return r.s.change(ctx, v.ARN, false, func(tx pgx.Tx) error {
		return createCounted(ctx, tx, "schemas", v.ARN, v.Name, quotaSchema, quota, v.Created, v)
	})
}

// createCounted inserts v into table, one of the kinds an account may
// have at most quota of.
func createCounted(ctx context.Context, tx pgx.Tx, table, arn, name, word string, quota int, created perch.Timestamp, v any) error {
	scope, err := scopeOf(arn)
	if err != nil {
		return err
	}
	if err := notTaken(ctx, tx, table, arn); err != nil {
		return err
	}
	var n int
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+table+" WHERE scope = $1", scope).Scan(&n); err != nil {
		return err
	}
	if err := perch.CheckQuota(word, name, n, quota); err != nil {
		return err
	}
	js, err := jsonOf(v)
	if err != nil {
		return err
	}
	return insert(ctx, tx, arn, "INSERT INTO "+table+" (arn, scope, created, doc) VALUES ($1, $2, $3, $4)",
		arn, scope, int64(created), js)
}

func (r resources) Schema(ctx context.Context, arn string) (v *perch.Schema, err error) {
	err = r.s.lookup(ctx, func(ctx context.Context) error {
		v, err = mustDoc[perch.Schema](ctx, r.s.pool, arn, "SELECT doc FROM schemas WHERE arn = $1", arn)
		return err
	})
	return v, err
}

func (r resources) Schemas(ctx context.Context) (list []*perch.Schema, err error) {
	err = r.s.lookup(ctx, func(ctx context.Context) error {
		list, err = docs[perch.Schema](ctx, r.s.pool, "SELECT doc FROM schemas")
		return err
	})
	return list, err
}

func (r resources) DeleteSchema(ctx context.Context, arn string) error {
	return r.s.change(ctx, arn, false, func(tx pgx.Tx) error {
		if err := mustExist(ctx, tx, "schemas", arn); err != nil {
			return err
		}
		users, err := docs[perch.Dataset](ctx, tx, "SELECT doc FROM datasets WHERE schema_arn = $1 OR update_schema_arn = $1", arn)
		if err != nil {
			return err
		}
		if err := perch.CheckSchemaUnused(arn, users); err != nil {
			return err
		}
		return remove(ctx, tx, "schemas", arn)
	})
}

func (r resources) CreateDatasetGroup(ctx context.Context, v *perch.DatasetGroup, quota int) error {
	return r.s.change(ctx, v.ARN, false, func(tx pgx.Tx) error {
		return createCounted(ctx, tx, "dataset_groups", v.ARN, v.Name, quotaDatasetGroup, quota, v.Created, v)
	})
}

func (r resources) DatasetGroup(ctx context.Context, arn string) (v *perch.DatasetGroup, err error) {
	err = r.s.lookup(ctx, func(ctx context.Context) error {
		v, err = mustDoc[perch.DatasetGroup](ctx, r.s.pool, arn, "SELECT doc FROM dataset_groups WHERE arn = $1", arn)
		return err
	})
	return v, err
}

func (r resources) DatasetGroups(ctx context.Context) (list []*perch.DatasetGroup, err error) {
	err = r.s.lookup(ctx, func(ctx context.Context) error {
		list, err = docs[perch.DatasetGroup](ctx, r.s.pool, "SELECT doc FROM dataset_groups")
		return err
	})
	return list, err
}

func (r resources) DeleteDatasetGroup(ctx context.Context, arn string) error {
	return r.s.change(ctx, arn, false, func(tx pgx.Tx) error {
		if err := mustExist(ctx, tx, "dataset_groups", arn); err != nil {
			return err
		}
		datasets, err := docs[perch.Dataset](ctx, tx, "SELECT doc FROM datasets WHERE group_arn = $1", arn)
		if err != nil {
			return err
		}
		trackers, err := docs[perch.EventTracker](ctx, tx, "SELECT doc FROM event_trackers WHERE group_arn = $1", arn)
		if err != nil {
			return err
		}
		solutions, err := docs[perch.Solution](ctx, tx, "SELECT doc FROM solutions WHERE group_arn = $1", arn)
		if err != nil {
			return err
		}
		if err := perch.CheckGroupEmpty(arn, datasets, trackers, solutions); err != nil {
			return err
		}
		// A group's filters and metric attribution go with it: AWS asks
		// for none to be deleted first.
		if _, err := tx.Exec(ctx, "DELETE FROM filters WHERE group_arn = $1", arn); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM metric_attributions WHERE group_arn = $1", arn); err != nil {
			return err
		}
		return remove(ctx, tx, "dataset_groups", arn)
	})
}

// CreateDataset checks the dataset against its group's datasets before it
// looks at its own ARN, which is its group's name and its type: a taken
// ARN is then the group's dataset of that type, and the refusal says so.
func (r resources) CreateDataset(ctx context.Context, v *perch.Dataset) error {
	return r.s.change(ctx, v.ARN, false, func(tx pgx.Tx) error {
		g, err := mustDoc[perch.DatasetGroup](ctx, tx, v.GroupARN, "SELECT doc FROM dataset_groups WHERE arn = $1", v.GroupARN)
		if err != nil {
			return err
		}
		if err := mustExist(ctx, tx, "schemas", v.SchemaARN); err != nil {
			return err
		}
		datasets, err := docs[perch.Dataset](ctx, tx, "SELECT doc FROM datasets WHERE group_arn = $1", g.ARN)
		if err != nil {
			return err
		}
		if err := perch.CheckNewDataset(g, v.Type, datasets); err != nil {
			return err
		}
		if err := notTaken(ctx, tx, "datasets", v.ARN); err != nil {
			return err
		}
		return writeDataset(ctx, tx, v, true)
	})
}

// writeDataset inserts (create) or replaces the row of v. The schema of
// its latest update must be stored too: DeleteSchema counts it as in use,
// so a dataset naming a missing one would hold a reference nothing keeps.
func writeDataset(ctx context.Context, tx pgx.Tx, v *perch.Dataset, create bool) error {
	var next *string
	if u := v.LatestUpdate; u != nil && u.SchemaARN != "" {
		if u.SchemaARN != v.SchemaARN {
			if err := mustExist(ctx, tx, "schemas", u.SchemaARN); err != nil {
				return err
			}
		}
		next = &u.SchemaARN
	}
	js, err := jsonOf(v)
	if err != nil {
		return err
	}
	if !create {
		_, err = tx.Exec(ctx, "UPDATE datasets SET schema_arn = $2, update_schema_arn = $3, doc = $4 WHERE arn = $1",
			v.ARN, v.SchemaARN, next, js)
		return err
	}
	scope, err := scopeOf(v.ARN)
	if err != nil {
		return err
	}
	return insert(ctx, tx, v.ARN, `INSERT INTO datasets (arn, scope, id, group_arn, type, schema_arn, update_schema_arn,
		tracking_id, created, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		v.ARN, scope, int64(v.ID), v.GroupARN, string(v.Type), v.SchemaARN, next, nullIfEmpty(v.TrackingID), int64(v.Created), js)
}

func (r resources) UpdateDataset(ctx context.Context, v *perch.Dataset) error {
	return r.s.change(ctx, v.ARN, false, func(tx pgx.Tx) error {
		old, err := mustDoc[perch.Dataset](ctx, tx, v.ARN, "SELECT doc FROM datasets WHERE arn = $1 FOR UPDATE", v.ARN)
		if err != nil {
			return err
		}
		if err := perch.CheckDatasetUpdate(old, v); err != nil {
			return err
		}
		if err := mustExist(ctx, tx, "schemas", v.SchemaARN); err != nil {
			return err
		}
		return writeDataset(ctx, tx, v, false)
	})
}

func (r resources) Dataset(ctx context.Context, arn string) (v *perch.Dataset, err error) {
	err = r.s.lookup(ctx, func(ctx context.Context) error {
		v, err = mustDoc[perch.Dataset](ctx, r.s.pool, arn, "SELECT doc FROM datasets WHERE arn = $1", arn)
		return err
	})
	return v, err
}

func (r resources) Datasets(ctx context.Context) (list []*perch.Dataset, err error) {
	err = r.s.lookup(ctx, func(ctx context.Context) error {
		list, err = docs[perch.Dataset](ctx, r.s.pool, "SELECT doc FROM datasets")
		return err
	})
	return list, err
}

// datasetRecordTables are the tables of records, by dataset id. The
// generations go first: deleting them waits for an import's Add in
// flight, whose rows the deletions after see.
var datasetRecordTables = []string{"bulk_generations", "events", "action_interactions", "event_ids", "entities",
	"bulk_events", "bulk_action_interactions", "bulk_entities"}

// DeleteDataset, unless unfinished jobs hold the dataset, deletes its row
// and every record of its id in one transaction. Deleting the row waits
// for the writer's groups that hold it (FOR KEY SHARE) and makes the ones
// after fail with ResourceNotFoundException, so no record outlives it.
func (r resources) DeleteDataset(ctx context.Context, arn string) error {
	return r.s.change(ctx, arn, true, func(tx pgx.Tx) error {
		d, err := mustDoc[perch.Dataset](ctx, tx, arn, "SELECT doc FROM datasets WHERE arn = $1", arn)
		if err != nil {
			return err
		}
		exports, imports, deletions, err := unfinishedJobs(ctx, tx, d.ARN, d.GroupARN)
		if err != nil {
			return err
		}
		versions, err := trainingVersions(ctx, tx, d.GroupARN)
		if err != nil {
			return err
		}
		if err := perch.CheckDatasetUnheld(arn, perch.JobsHolding(d, exports, imports, deletions, versions)); err != nil {
			return err
		}
		if err := remove(ctx, tx, "datasets", arn); err != nil {
			return err
		}
		b := &pgx.Batch{}
		for _, table := range datasetRecordTables {
			b.Queue("DELETE FROM "+table+" WHERE dataset_id = $1", int64(d.ID))
		}
		return tx.SendBatch(ctx, b).Close()
	})
}

// unfinishedJobs reads the jobs that have not finished and work on the
// targets (datasets or dataset groups), by kind.
// trainingVersions returns the versions of the group's solutions that
// wait for, or are in, training: they read the group's datasets.
func trainingVersions(ctx context.Context, tx pgx.Tx, groupARN string) ([]*perch.SolutionVersion, error) {
	rows, err := tx.Query(ctx, `SELECT v.doc FROM solution_versions v JOIN solutions s ON s.arn = v.solution_arn
		WHERE v.training AND s.group_arn = $1`, groupARN)
	if err != nil {
		return nil, err
	}
	var versions []*perch.SolutionVersion
	var js []byte
	_, err = pgx.ForEachRow(rows, []any{&js}, func() error {
		v := new(perch.SolutionVersion)
		versions = append(versions, v)
		return json.Unmarshal(js, v)
	})
	return versions, err
}

func unfinishedJobs(ctx context.Context, tx pgx.Tx, targets ...string) (
	exports []*perch.DatasetExportJob, imports []*perch.DatasetImportJob, deletions []*perch.DataDeletionJob, err error) {
	rows, err := tx.Query(ctx, "SELECT kind, doc FROM jobs WHERE NOT finished AND target_arn = ANY($1)", targets)
	if err != nil {
		return nil, nil, nil, err
	}
	var kind string
	var js []byte
	_, err = pgx.ForEachRow(rows, []any{&kind, &js}, func() error {
		switch kind {
		case jobExport:
			j := new(perch.DatasetExportJob)
			exports = append(exports, j)
			return json.Unmarshal(js, j)
		case jobImport:
			j := new(perch.DatasetImportJob)
			imports = append(imports, j)
			return json.Unmarshal(js, j)
		case jobDeletion:
			j := new(perch.DataDeletionJob)
			deletions = append(deletions, j)
			return json.Unmarshal(js, j)
		}
		// A batch inference job targets a solution version, never a
		// dataset or group.
		return nil
	})
	return exports, imports, deletions, err
}

func (r resources) CreateEventTracker(ctx context.Context, v *perch.EventTracker) error {
	return r.s.change(ctx, v.ARN, false, func(tx pgx.Tx) error {
		g, err := mustDoc[perch.DatasetGroup](ctx, tx, v.GroupARN, "SELECT doc FROM dataset_groups WHERE arn = $1", v.GroupARN)
		if err != nil {
			return err
		}
		scope, err := scopeOf(v.ARN)
		if err != nil {
			return err
		}
		trackers, err := docs[perch.EventTracker](ctx, tx, "SELECT doc FROM event_trackers WHERE scope = $1", scope)
		if err != nil {
			return err
		}
		if err := perch.CheckNewEventTracker(g, v.Name, trackers); err != nil {
			return err
		}
		if err := notTaken(ctx, tx, "event_trackers", v.ARN); err != nil {
			return err
		}
		js, err := jsonOf(v)
		if err != nil {
			return err
		}
		return insert(ctx, tx, v.ARN, `INSERT INTO event_trackers (arn, scope, name, group_arn, tracking_id, created, doc)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, v.ARN, scope, v.Name, v.GroupARN, nullIfEmpty(v.TrackingID), int64(v.Created), js)
	})
}

func (r resources) EventTracker(ctx context.Context, arn string) (v *perch.EventTracker, err error) {
	err = r.s.lookup(ctx, func(ctx context.Context) error {
		v, err = mustDoc[perch.EventTracker](ctx, r.s.pool, arn, "SELECT doc FROM event_trackers WHERE arn = $1", arn)
		return err
	})
	return v, err
}

func (r resources) EventTrackers(ctx context.Context) (list []*perch.EventTracker, err error) {
	err = r.s.lookup(ctx, func(ctx context.Context) error {
		list, err = docs[perch.EventTracker](ctx, r.s.pool, "SELECT doc FROM event_trackers")
		return err
	})
	return list, err
}

func (r resources) DeleteEventTracker(ctx context.Context, arn string) error {
	return r.s.change(ctx, arn, false, func(tx pgx.Tx) error {
		if err := mustExist(ctx, tx, "event_trackers", arn); err != nil {
			return err
		}
		return remove(ctx, tx, "event_trackers", arn)
	})
}

// NextDatasetID takes the next value of a sequence. A transaction that
// only calls nextval has no transaction id, and PostgreSQL does not flush
// the WAL when it commits, so after a crash the value could be handed out
// again; asking for the transaction's id makes its commit flush the WAL,
// the sequence's advance with it.
func (r resources) NextDatasetID(ctx context.Context) (uint64, error) {
	s := r.s
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.leave()
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	wctx, cancel := s.writeContext(ctx)
	defer cancel()
	var id int64
	var xid string
	err := s.pool.QueryRow(wctx, "SELECT nextval('dataset_ids'), pg_current_xact_id()::text").Scan(&id, &xid)
	if err != nil {
		return 0, s.failure(ctx, err, true)
	}
	return uint64(id), nil
}

// The job creates look for what the job works on before they look at its
// ARN, and at its ARN before its quota.

func (r resources) CreateDatasetExportJob(ctx context.Context, v *perch.DatasetExportJob) error {
	return r.s.change(ctx, v.ARN, false, func(tx pgx.Tx) error {
		if err := mustExist(ctx, tx, "datasets", v.DatasetARN); err != nil {
			return err
		}
		if err := notTaken(ctx, tx, "jobs", v.ARN); err != nil {
			return err
		}
		return insertJob(ctx, tx, jobExport, v.ARN, v.DatasetARN, v.Status, v.Created, v)
	})
}

func (r resources) CreateDatasetImportJob(ctx context.Context, v *perch.DatasetImportJob, quota int) error {
	return r.s.change(ctx, v.ARN, false, func(tx pgx.Tx) error {
		if err := mustExist(ctx, tx, "datasets", v.DatasetARN); err != nil {
			return err
		}
		if err := notTaken(ctx, tx, "jobs", v.ARN); err != nil {
			return err
		}
		scope, err := scopeOf(v.ARN)
		if err != nil {
			return err
		}
		jobs, err := docs[perch.DatasetImportJob](ctx, tx, "SELECT doc FROM jobs WHERE scope = $1 AND kind = $2", scope, jobImport)
		if err != nil {
			return err
		}
		if err := perch.CheckNewImportJob(v, jobs, quota); err != nil {
			return err
		}
		return insertJob(ctx, tx, jobImport, v.ARN, v.DatasetARN, v.Status, v.Created, v)
	})
}

func (r resources) CreateDataDeletionJob(ctx context.Context, v *perch.DataDeletionJob, quota int) error {
	return r.s.change(ctx, v.ARN, false, func(tx pgx.Tx) error {
		if err := mustExist(ctx, tx, "dataset_groups", v.GroupARN); err != nil {
			return err
		}
		if err := notTaken(ctx, tx, "jobs", v.ARN); err != nil {
			return err
		}
		jobs, err := docs[perch.DataDeletionJob](ctx, tx, "SELECT doc FROM jobs WHERE kind = $1 AND target_arn = $2", jobDeletion, v.GroupARN)
		if err != nil {
			return err
		}
		if err := perch.CheckNewDeletionJob(v, jobs, quota); err != nil {
			return err
		}
		return insertJob(ctx, tx, jobDeletion, v.ARN, v.GroupARN, v.Status, v.Created, v)
	})
}

func insertJob(ctx context.Context, tx pgx.Tx, kind, arn, target, status string, created perch.Timestamp, v any) error {
	scope, err := scopeOf(arn)
	if err != nil {
		return err
	}
	js, err := jsonOf(v)
	if err != nil {
		return err
	}
	return insert(ctx, tx, arn, `INSERT INTO jobs (arn, kind, scope, target_arn, finished, created, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, arn, kind, scope, target, perch.JobFinished(status), int64(created), js)
}

func (r resources) UpdateDatasetExportJob(ctx context.Context, v *perch.DatasetExportJob, owner string) error {
	return updateJob(ctx, r.s, jobExport, v.ARN, v, owner, v.Status,
		func(j *perch.DatasetExportJob) string { return j.DatasetARN })
}

func (r resources) UpdateDatasetImportJob(ctx context.Context, v *perch.DatasetImportJob, owner string) error {
	return updateJob(ctx, r.s, jobImport, v.ARN, v, owner, v.Status,
		func(j *perch.DatasetImportJob) string { return j.DatasetARN })
}

func (r resources) UpdateDataDeletionJob(ctx context.Context, v *perch.DataDeletionJob, owner string) error {
	return updateJob(ctx, r.s, jobDeletion, v.ARN, v, owner, v.Status,
		func(j *perch.DataDeletionJob) string { return j.GroupARN })
}

// updateJob records v, the job arn's new state, for the owner of its live
// lease (on the database's clock); a job that finishes lets its lease go.
func updateJob[T any](ctx context.Context, s *Store, kind, arn string, v *T, owner, status string, target func(*T) string) error {
	return s.change(ctx, arn, false, func(tx pgx.Tx) error {
		var js []byte
		var held bool
		err := tx.QueryRow(ctx, `SELECT doc, lease_owner IS NOT DISTINCT FROM $3 AND lease_until > now()
			FROM jobs WHERE arn = $1 AND kind = $2 FOR UPDATE`, arn, kind, owner).Scan(&js, &held)
		if errors.Is(err, pgx.ErrNoRows) {
			return perch.NotFound(arn)
		}
		if err != nil {
			return err
		}
		if !held {
			return perch.ErrLeaseLost
		}
		old := new(T)
		if err := json.Unmarshal(js, old); err != nil {
			return fmt.Errorf("postgres: decoding job %s: %w", arn, err)
		}
		if err := perch.CheckJobUpdate(arn, target(old), target(v)); err != nil {
			return err
		}
		if js, err = jsonOf(v); err != nil {
			return err
		}
		finished := perch.JobFinished(status)
		_, err = tx.Exec(ctx, `UPDATE jobs SET doc = $2, finished = $3,
			lease_owner = CASE WHEN $3 THEN NULL ELSE lease_owner END,
			lease_until = CASE WHEN $3 THEN NULL ELSE lease_until END
			WHERE arn = $1`, arn, js, finished)
		return err
	})
}

func (r resources) DatasetExportJob(ctx context.Context, arn string) (*perch.DatasetExportJob, error) {
	return getJob[perch.DatasetExportJob](ctx, r.s, jobExport, arn)
}

func (r resources) DatasetImportJob(ctx context.Context, arn string) (*perch.DatasetImportJob, error) {
	return getJob[perch.DatasetImportJob](ctx, r.s, jobImport, arn)
}

func (r resources) DataDeletionJob(ctx context.Context, arn string) (*perch.DataDeletionJob, error) {
	return getJob[perch.DataDeletionJob](ctx, r.s, jobDeletion, arn)
}

func getJob[T any](ctx context.Context, s *Store, kind, arn string) (v *T, err error) {
	err = s.lookup(ctx, func(ctx context.Context) error {
		v, err = mustDoc[T](ctx, s.pool, arn, "SELECT doc FROM jobs WHERE arn = $1 AND kind = $2", arn, kind)
		return err
	})
	return v, err
}

func listJobs[T any](ctx context.Context, s *Store, kind string) (list []*T, err error) {
	err = s.lookup(ctx, func(ctx context.Context) error {
		list, err = docs[T](ctx, s.pool, "SELECT doc FROM jobs WHERE kind = $1", kind)
		return err
	})
	return list, err
}

func (r resources) DatasetExportJobs(ctx context.Context) ([]*perch.DatasetExportJob, error) {
	return listJobs[perch.DatasetExportJob](ctx, r.s, jobExport)
}

func (r resources) DatasetImportJobs(ctx context.Context) ([]*perch.DatasetImportJob, error) {
	return listJobs[perch.DatasetImportJob](ctx, r.s, jobImport)
}

func (r resources) DataDeletionJobs(ctx context.Context) ([]*perch.DataDeletionJob, error) {
	return listJobs[perch.DataDeletionJob](ctx, r.s, jobDeletion)
}

// jobKinds spells the kinds of jobs ClaimJob is asked for as the jobs
// table does.
var jobKinds = map[string]string{
	perch.KindDatasetExportJob: jobExport,
	perch.KindDatasetImportJob: jobImport,
	perch.KindDataDeletionJob:  jobDeletion,

	perch.KindBatchInferenceJob: jobBatchInference,
	perch.KindBatchSegmentJob:   jobBatchSegment,
}

// claimJob is ClaimJob's statement: among the jobs of the kinds $3 and,
// when $4, the versions in training, it takes the one created first
// whose lease is free or ran out (on the database's clock), and leases it
// to $1 for $2 microseconds. It returns the candidate and what it
// claimed: the candidate, or NULL when another owner's claim took it
// between the look and the update, which waits for that claim and then
// sees the lease taken.
//
// The look takes no row locks: locking the first row of each table (FOR
// UPDATE SKIP LOCKED, a statement per table) would leave the row not
// taken locked until the claim commits, and a claimer at that moment
// would pass it by and could answer that nothing waits.
const claimJob = `WITH candidate AS (
	SELECT arn, version FROM (
		(SELECT arn, created, false AS version FROM jobs
			WHERE NOT finished AND kind = ANY($3) AND (lease_until IS NULL OR lease_until <= now())
			ORDER BY created, arn COLLATE "C" LIMIT 1)
		UNION ALL
		(SELECT arn, created, true FROM solution_versions
			WHERE $4 AND training AND (lease_until IS NULL OR lease_until <= now())
			ORDER BY created, arn COLLATE "C" LIMIT 1)
	) AS waiting
	ORDER BY created, arn COLLATE "C" LIMIT 1
), job AS (
	UPDATE jobs SET lease_owner = $1, lease_until = now() + $2 * interval '1 microsecond', progress = NULL
	FROM candidate
	WHERE jobs.arn = candidate.arn AND NOT candidate.version
		AND NOT jobs.finished AND (jobs.lease_until IS NULL OR jobs.lease_until <= now())
	RETURNING jobs.arn
), version AS (
	UPDATE solution_versions SET lease_owner = $1, lease_until = now() + $2 * interval '1 microsecond'
	FROM candidate
	WHERE solution_versions.arn = candidate.arn AND candidate.version
		AND solution_versions.training AND (solution_versions.lease_until IS NULL OR solution_versions.lease_until <= now())
	RETURNING solution_versions.arn
)
SELECT (SELECT arn FROM candidate), (SELECT arn FROM job UNION ALL SELECT arn FROM version)`

// ClaimJob leases the first job of the kinds asked for (every kind when
// none is named, as before kinds could be), by creation time and then
// ARN, that waits for a worker and whose lease is free or ran out. A
// claim that another's overtook looks again: each such round follows a
// change of its candidate that another call committed, so claimers at
// once all end.
func (r resources) ClaimJob(ctx context.Context, owner string, lease time.Duration, kinds ...string) (string, error) {
	s := r.s
	if err := s.enter(); err != nil {
		return "", err
	}
	defer s.leave()
	jobs, versions := []string{jobExport, jobImport, jobDeletion, jobBatchInference, jobBatchSegment}, true
	if len(kinds) > 0 {
		jobs, versions = nil, slices.Contains(kinds, perch.KindSolutionVersion)
		for _, k := range kinds {
			if j, ok := jobKinds[k]; ok {
				jobs = append(jobs, j)
			}
		}
	}
	if len(jobs) == 0 && !versions {
		return "", nil
	}
	wctx, cancel := s.writeContext(ctx)
	defer cancel()
	for {
		var candidate, claimed *string
		err := s.pool.QueryRow(wctx, claimJob, owner, lease.Microseconds(), jobs, versions).Scan(&candidate, &claimed)
		if err != nil {
			return "", s.failure(ctx, err, true)
		}
		if candidate == nil {
			return "", nil
		}
		if claimed != nil {
			return *claimed, nil
		}
	}
}

// RenewJobLease extends owner's live lease of the job or version in
// training arn.
func (r resources) RenewJobLease(ctx context.Context, arn, owner string, lease time.Duration) error {
	s := r.s
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	wctx, cancel := s.writeContext(ctx)
	defer cancel()
	var renewed int
	err := s.pool.QueryRow(wctx, `WITH job AS (
			UPDATE jobs SET lease_until = now() + $3 * interval '1 microsecond'
			WHERE arn = $1 AND lease_owner = $2 AND lease_until > now() AND NOT finished RETURNING 1
		), version AS (
			UPDATE solution_versions SET lease_until = now() + $3 * interval '1 microsecond'
			WHERE arn = $1 AND lease_owner = $2 AND lease_until > now() AND training RETURNING 1
		)
		SELECT (SELECT count(*) FROM job) + (SELECT count(*) FROM version)`, arn, owner, lease.Microseconds()).Scan(&renewed)
	if err != nil {
		return s.failure(ctx, err, true)
	}
	if renewed == 0 {
		return perch.ErrLeaseLost
	}
	return nil
}

// ReportJobProgress renews owner's live lease of the job arn, as
// RenewJobLease does, and records p in the same update.
func (r resources) ReportJobProgress(ctx context.Context, arn, owner string, lease time.Duration, p perch.JobProgress) error {
	s := r.s
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	doc, err := json.Marshal(p)
	if err != nil {
		return err
	}
	wctx, cancel := s.writeContext(ctx)
	defer cancel()
	tag, err := s.pool.Exec(wctx, `UPDATE jobs SET lease_until = now() + $3 * interval '1 microsecond', progress = $4
		WHERE arn = $1 AND lease_owner = $2 AND lease_until > now() AND NOT finished`, arn, owner, lease.Microseconds(), doc)
	if err != nil {
		return s.failure(ctx, err, true)
	}
	if tag.RowsAffected() == 0 {
		return perch.ErrLeaseLost
	}
	return nil
}

// JobProgress implements perch.ResourceStore.
func (r resources) JobProgress(ctx context.Context, arns []string) (map[string]perch.JobProgress, error) {
	got := make(map[string]perch.JobProgress)
	if len(arns) == 0 {
		return got, nil
	}
	err := r.s.lookup(ctx, func(ctx context.Context) error {
		rows, err := r.s.pool.Query(ctx, `SELECT arn, progress FROM jobs
			WHERE arn = ANY($1) AND NOT finished AND progress IS NOT NULL`, arns)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var arn string
			var doc []byte
			if err := rows.Scan(&arn, &doc); err != nil {
				return err
			}
			var p perch.JobProgress
			if err := json.Unmarshal(doc, &p); err != nil {
				return fmt.Errorf("postgres: the progress of %s: %w", arn, err)
			}
			got[arn] = p
		}
		return rows.Err()
	})
	return got, err
}

// TrackedBy implements perch.SharedResources, with the unique indexes of
// both tables' tracking ids.
func (r resources) TrackedBy(ctx context.Context, trackingID string) (arn string, err error) {
	err = r.s.lookup(ctx, func(ctx context.Context) error {
		err := r.s.pool.QueryRow(ctx, `SELECT arn FROM event_trackers WHERE tracking_id = $1
			UNION ALL SELECT arn FROM datasets WHERE tracking_id = $1 LIMIT 1`, trackingID).Scan(&arn)
		if errors.Is(err, pgx.ErrNoRows) {
			return perch.Errorf(perch.EResourceNotFound, "No event tracker or Action interactions dataset has the tracking id %s.", trackingID)
		}
		return err
	})
	return arn, err
}
