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
	return r.s.change(ctx, j.ARN, false, func(tx pgx.Tx) error {
		v, err := mustDoc[perch.SolutionVersion](ctx, tx, j.SolutionVersionARN,
			"SELECT doc FROM solution_versions WHERE arn = $1", j.SolutionVersionARN)
		if err != nil {
			return err
		}
		if j.FilterARN != "" {
			if err := mustExist(ctx, tx, "filters", j.FilterARN); err != nil {
				return err
			}
		}
		if err := notTaken(ctx, tx, "jobs", j.ARN); err != nil {
			return err
		}
		scope, err := scopeOf(j.ARN)
		if err != nil {
			return err
		}
		jobs, err := docs[perch.BatchInferenceJob](ctx, tx, "SELECT doc FROM jobs WHERE scope = $1 AND kind = $2 AND NOT finished",
			scope, jobBatchInference)
		if err != nil {
			return err
		}
		if err := perch.CheckNewBatchInferenceJob(v, j, jobs, quota); err != nil {
			return err
		}
		return insertJob(ctx, tx, jobBatchInference, j.ARN, j.SolutionVersionARN, j.Status, j.Created, j)
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
