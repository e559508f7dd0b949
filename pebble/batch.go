package pebble

import (
	"context"

	"github.com/perchdev/perch"
)

// kindBatchJob keeps batch inference jobs under r/batchjob/<arn>, like
// every other resource.
const kindBatchJob = "batchjob"

// CreateBatchInferenceJob looks for the job's solution version and filter
// before its ARN, and at its ARN before its quota, as the other job
// creates do.
func (r resources) CreateBatchInferenceJob(ctx context.Context, j *perch.BatchInferenceJob, quota int) error {
	return createVersionJob(ctx, r.s, kindBatchJob, j.ARN, j.SolutionVersionARN, j.FilterARN, j,
		func(v *perch.SolutionVersion, jobs []*perch.BatchInferenceJob) error {
			return perch.CheckNewBatchInferenceJob(v, j, jobs, quota)
		})
}

// createVersionJob stores job j of a solution version, a batch inference
// or segment job, under kind: its version and filter looked for, then its
// ARN, then check given the account's jobs of the kind.
func createVersionJob[T any](ctx context.Context, s *Store, kind, arn, versionARN, filterARN string, j *T,
	check func(*perch.SolutionVersion, []*T) error) error {
	return s.changeResources(ctx, func(w *resourceWrite) error {
		v, err := mustExist[perch.SolutionVersion](s, kindVersion, versionARN)
		if err != nil {
			return err
		}
		if filterARN != "" {
			if _, err := mustExist[perch.Filter](s, kindFilter, filterARN); err != nil {
				return err
			}
		}
		if err := s.notTaken(kind, arn); err != nil {
			return err
		}
		jobs, err := accountResources[T](ctx, s, kind, arn)
		if err != nil {
			return err
		}
		if err := check(v, jobs); err != nil {
			return err
		}
		return w.set(kind, arn, j)
	})
}

func (r resources) UpdateBatchInferenceJob(ctx context.Context, j *perch.BatchInferenceJob, owner string) error {
	return updateLeased(ctx, r.s, kindBatchJob, j.ARN, j, owner, perch.JobFinished(j.Status),
		func(old *perch.BatchInferenceJob) error {
			return perch.CheckJobUpdate(j.ARN, old.SolutionVersionARN, j.SolutionVersionARN)
		})
}

func (r resources) BatchInferenceJob(ctx context.Context, arn string) (*perch.BatchInferenceJob, error) {
	return getResource[perch.BatchInferenceJob](r.s, kindBatchJob, arn)
}

func (r resources) BatchInferenceJobs(ctx context.Context) ([]*perch.BatchInferenceJob, error) {
	return listResources[perch.BatchInferenceJob](ctx, r.s, kindBatchJob)
}

// waitingBatchJobs lists the batch inference jobs that wait for a
// worker, for ClaimJob.
func waitingBatchJobs(ctx context.Context, s *Store) ([]waiting, error) {
	return unfinished(ctx, s, kindBatchJob, func(j *perch.BatchInferenceJob) (waiting, bool) {
		return waiting{j.Created, j.ARN}, !perch.JobFinished(j.Status)
	})
}
