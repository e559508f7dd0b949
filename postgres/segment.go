package postgres

import (
	"context"

	"github.com/perchdev/perch"
)

// jobBatchSegment is the jobs table's kind of batch segment jobs, whose
// target_arn is their solution version.
const jobBatchSegment = "batch-segment"

// CreateBatchSegmentJob checks as CreateBatchInferenceJob does, under
// the account's lock.
func (r resources) CreateBatchSegmentJob(ctx context.Context, j *perch.BatchSegmentJob, quota int) error {
	return createVersionJob(ctx, r.s, jobBatchSegment, j.ARN, j.SolutionVersionARN, j.FilterARN, j.Status, j.Created, j,
		func(v *perch.SolutionVersion, jobs []*perch.BatchSegmentJob) error {
			return perch.CheckNewBatchSegmentJob(v, j, jobs, quota)
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
