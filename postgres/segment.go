package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/perchdev/perch"
)

// jobBatchSegment is the jobs table's kind of batch segment jobs, whose
// target_arn is their solution version.
const jobBatchSegment = "batch-segment"

// CreateBatchSegmentJob checks as CreateBatchInferenceJob does, under
// the account's lock.
func (r resources) CreateBatchSegmentJob(ctx context.Context, j *perch.BatchSegmentJob, quota int) error {
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
		jobs, err := docs[perch.BatchSegmentJob](ctx, tx, "SELECT doc FROM jobs WHERE scope = $1 AND kind = $2 AND NOT finished",
			scope, jobBatchSegment)
		if err != nil {
			return err
		}
		if err := perch.CheckNewBatchSegmentJob(v, j, jobs, quota); err != nil {
			return err
		}
		return insertJob(ctx, tx, jobBatchSegment, j.ARN, j.SolutionVersionARN, j.Status, j.Created, j)
	})
}

func (r resources) UpdateBatchSegmentJob(ctx context.Context, j *perch.BatchSegmentJob, owner string) error {
	return updateJob(ctx, r.s, jobBatchSegment, j.ARN, j, owner, j.Status,
		func(j *perch.BatchSegmentJob) string { return j.SolutionVersionARN })
}

func (r resources) BatchSegmentJob(ctx context.Context, arn string) (*perch.BatchSegmentJob, error) {
	return getJob[perch.BatchSegmentJob](ctx, r.s, jobBatchSegment, arn)
}

func (r resources) BatchSegmentJobs(ctx context.Context) ([]*perch.BatchSegmentJob, error) {
	return listJobs[perch.BatchSegmentJob](ctx, r.s, jobBatchSegment)
}
