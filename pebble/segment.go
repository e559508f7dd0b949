package pebble

import (
	"context"

	"github.com/perchdev/perch"
)

// kindSegmentJob keeps batch segment jobs under r/segmentjob/<arn>, like
// every other resource.
const kindSegmentJob = "segmentjob"

// CreateBatchSegmentJob checks as CreateBatchInferenceJob does.
func (r resources) CreateBatchSegmentJob(ctx context.Context, j *perch.BatchSegmentJob, quota int) error {
	return createVersionJob(ctx, r.s, kindSegmentJob, j.ARN, j.SolutionVersionARN, j.FilterARN, j,
		func(v *perch.SolutionVersion, jobs []*perch.BatchSegmentJob) error {
			return perch.CheckNewBatchSegmentJob(v, j, jobs, quota)
		})
}

func (r resources) UpdateBatchSegmentJob(ctx context.Context, j *perch.BatchSegmentJob, owner string) error {
	return updateLeased(ctx, r.s, kindSegmentJob, j.ARN, j, owner, perch.JobFinished(j.Status),
		func(old *perch.BatchSegmentJob) error {
			return perch.CheckJobUpdate(j.ARN, old.SolutionVersionARN, j.SolutionVersionARN)
		})
}

func (r resources) BatchSegmentJob(ctx context.Context, arn string) (*perch.BatchSegmentJob, error) {
	return getResource[perch.BatchSegmentJob](r.s, kindSegmentJob, arn)
}

func (r resources) BatchSegmentJobs(ctx context.Context) ([]*perch.BatchSegmentJob, error) {
	return listResources[perch.BatchSegmentJob](ctx, r.s, kindSegmentJob)
}

// waitingSegmentJobs lists the batch segment jobs that wait for a
// worker, for ClaimJob.
func waitingSegmentJobs(ctx context.Context, s *Store) ([]waiting, error) {
	return unfinished(ctx, s, kindSegmentJob, func(j *perch.BatchSegmentJob) (waiting, bool) {
		return waiting{j.Created, j.ARN}, !perch.JobFinished(j.Status)
	})
}
