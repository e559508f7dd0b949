package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/perchdev/perch"
)

// jobBatchInference is the jobs table's kind of batch inference jobs,
// whose target_arn is their solution version.
const jobBatchInference = "batch-inference"

// CreateBatchInferenceJob looks for the job's solution version and filter
// before its ARN, and at its ARN before its quota, as the other job
// creates do, under the account's lock, which a solution's deletion takes
// too.
func (r resources) CreateBatchInferenceJob(ctx context.Context, j *perch.BatchInferenceJob, quota int) error {
	return createVersionJob(ctx, r.s, jobBatchInference, j.ARN, j.SolutionVersionARN, j.FilterARN, j.Status, j.Created, j,
		func(v *perch.SolutionVersion, jobs []*perch.BatchInferenceJob) error {
			return perch.CheckNewBatchInferenceJob(v, j, jobs, quota)
		})
}

// createVersionJob inserts job j of a solution version, a batch
// inference or segment job, as a job of kind: its version and filter
// looked for, then its ARN, then check given the account's unfinished
// jobs of the kind.
func createVersionJob[T any](ctx context.Context, s *Store, kind, arn, versionARN, filterARN, status string, created perch.Timestamp, j *T,
	check func(*perch.SolutionVersion, []*T) error) error {
	return s.change(ctx, arn, false, func(tx pgx.Tx) error {
		v, err := mustDoc[perch.SolutionVersion](ctx, tx, versionARN, "SELECT doc FROM solution_versions WHERE arn = $1", versionARN)
		if err != nil {
			return err
		}
		if filterARN != "" {
			if err := mustExist(ctx, tx, "filters", filterARN); err != nil {
				return err
			}
		}
		if err := notTaken(ctx, tx, "jobs", arn); err != nil {
			return err
		}
		scope, err := scopeOf(arn)
		if err != nil {
			return err
		}
		jobs, err := docs[T](ctx, tx, "SELECT doc FROM jobs WHERE scope = $1 AND kind = $2 AND NOT finished", scope, kind)
		if err != nil {
			return err
		}
		if err := check(v, jobs); err != nil {
			return err
		}
		return insertJob(ctx, tx, kind, arn, versionARN, status, created, j)
	})
}

func (r resources) UpdateBatchInferenceJob(ctx context.Context, j *perch.BatchInferenceJob, owner string) error {
	return updateJob(ctx, r.s, jobBatchInference, j.ARN, j, owner, j.Status,
		func(j *perch.BatchInferenceJob) string { return j.SolutionVersionARN })
}

func (r resources) BatchInferenceJob(ctx context.Context, arn string) (*perch.BatchInferenceJob, error) {
	return getJob[perch.BatchInferenceJob](ctx, r.s, jobBatchInference, arn)
}

func (r resources) BatchInferenceJobs(ctx context.Context) ([]*perch.BatchInferenceJob, error) {
	return listJobs[perch.BatchInferenceJob](ctx, r.s, jobBatchInference)
}
