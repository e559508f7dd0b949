package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/perchdev/perch"
)

// segmentJob is the batch segment job named name of version v, waiting
// for a worker.
func segmentJob(v *perch.SolutionVersion, name, filterARN string, created perch.Timestamp) *perch.BatchSegmentJob {
	return &perch.BatchSegmentJob{ARN: arn("batch-segment-job/" + name), Name: name, SolutionVersionARN: v.ARN,
		FilterARN: filterARN, NumResults: 25, RoleARN: "arn:aws:iam::000000000000:role/personalize",
		Input:  perch.BatchInput{S3DataSource: perch.S3DataConfig{Path: "s3://in/items.json"}},
		Output: perch.BatchOutput{S3DataDestination: perch.S3DataConfig{Path: "s3://out/"}},
		Status: perch.StatusCreatePending, Tags: []perch.Tag{{Key: "team", Value: "crm"}},
		Created: created, Updated: created, GroupARN: v.GroupARN}
}

// testBatchSegmentJobRules: the batch inference jobs' rules, for batch
// segment jobs: a job needs its version stored and ACTIVE and its filter
// stored, a taken ARN is ResourceAlreadyExists, at most the quota of an
// account's jobs wait or run at once, a stored job reads back and lists
// as written, is claimed as the kind KindBatchSegmentJob (and not as a
// batch inference job), and moves only for the holder of its lease and
// only on its own version.
func testBatchSegmentJobRules(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	const quota = 2
	g := s.group(account, "g", "")
	sol := s.solution(g, "sol")
	active := s.trained(sol, "active", []byte("model"))
	pending := s.version(sol, "pending", perch.StatusCreatePending, 1600000000001)
	f := &perch.Filter{ARN: arn("filter/f"), Name: "f", GroupARN: g.ARN, Expression: `EXCLUDE UserID WHERE Users.AGE > 30`,
		Status: perch.StatusActive, Created: 1700000000000, Updated: 1700000000000}
	if err := r.CreateFilter(ctx, f, roomy); err != nil {
		t.Fatal(err)
	}
	create := func(j *perch.BatchSegmentJob) error { return r.CreateBatchSegmentJob(ctx, j, quota) }

	missing := versionARN(sol.ARN, "missing")
	wantError(t, "CreateBatchSegmentJob of a missing version",
		create(segmentJob(&perch.SolutionVersion{ARN: missing, GroupARN: g.ARN}, "lost", "", 1)), perch.EResourceNotFound, missing)
	wantError(t, "CreateBatchSegmentJob with a missing filter",
		create(segmentJob(active, "lost", arn("filter/missing"), 1)), perch.EResourceNotFound, arn("filter/missing"))
	wantError(t, "CreateBatchSegmentJob of a version in training",
		create(segmentJob(pending, "early", "", 1)), perch.EResourceInUse, pending.ARN)

	first, second := segmentJob(active, "first", f.ARN, 1000), segmentJob(active, "second", "", 2000)
	for _, j := range []*perch.BatchSegmentJob{second, first} {
		if err := create(j); err != nil {
			t.Fatalf("CreateBatchSegmentJob %s: %v", j.ARN, err)
		}
	}
	wantError(t, "CreateBatchSegmentJob of a taken ARN", create(segmentJob(active, "first", "", 3000)), perch.EResourceAlreadyExists, first.ARN)
	third := segmentJob(active, "third", "", 3000)
	wantError(t, "CreateBatchSegmentJob past the quota", create(third), perch.ELimitExceeded, "third")
	// Batch inference jobs count apart.
	if err := r.CreateBatchInferenceJob(ctx, batchJob(active, "inference", "", 500), quota); err != nil {
		t.Fatalf("CreateBatchInferenceJob beside segment jobs: %v", err)
	}

	got, err := r.BatchSegmentJob(ctx, first.ARN)
	if err != nil || !reflect.DeepEqual(got, first) {
		t.Errorf("BatchSegmentJob %s = %+v, %v; want %+v", first.ARN, got, err, first)
	}
	if _, err := r.BatchSegmentJob(ctx, third.ARN); perch.ErrorCode(err) != perch.EResourceNotFound {
		t.Errorf("BatchSegmentJob of a refused job: %v, want not found", err)
	}
	all, err := r.BatchSegmentJobs(ctx)
	if err != nil || len(all) != 2 {
		t.Errorf("BatchSegmentJobs: %d jobs, %v; want 2", len(all), err)
	}

	const lease = 300 * time.Millisecond
	if arn, err := r.ClaimJob(ctx, "a", lease, perch.KindBatchSegmentJob); err != nil || arn != first.ARN {
		t.Fatalf("ClaimJob of batch segment jobs = %q, %v; want %s", arn, err, first.ARN)
	}
	if arn, err := r.ClaimJob(ctx, "a", lease, perch.KindBatchInferenceJob); err != nil || arn != arn0("inference") {
		t.Fatalf("ClaimJob of batch inference jobs = %q, %v; want the inference job", arn, err)
	}
	running := *first
	running.Status = perch.StatusCreateInProgress
	if err := r.UpdateBatchSegmentJob(ctx, &running, "b"); !errors.Is(err, perch.ErrLeaseLost) {
		t.Errorf("UpdateBatchSegmentJob by another owner = %v, want ErrLeaseLost", err)
	}
	moved := running
	moved.SolutionVersionARN = pending.ARN
	wantError(t, "UpdateBatchSegmentJob onto another version", r.UpdateBatchSegmentJob(ctx, &moved, "a"), perch.EInvalidInput, first.ARN)
	if err := r.UpdateBatchSegmentJob(ctx, &running, "a"); err != nil {
		t.Fatalf("UpdateBatchSegmentJob by its owner: %v", err)
	}
	s.reopen()
	r = s.Resources()
	if got, err := r.BatchSegmentJob(ctx, first.ARN); err != nil || got.Status != perch.StatusCreateInProgress {
		t.Fatalf("after a reopen, BatchSegmentJob = %+v, %v; want it %s", got, err, perch.StatusCreateInProgress)
	}
	claimed := map[string]bool{}
	for deadline := time.Now().Add(30 * time.Second); !claimed[second.ARN]; time.Sleep(lease / 4) {
		if time.Now().After(deadline) {
			t.Fatalf("after a reopen, the waiting job was not claimed within 30 s (claimed %v)", claimed)
		}
		arn, err := r.ClaimJob(ctx, "c", time.Hour, perch.KindBatchSegmentJob)
		if err != nil {
			t.Fatal(err)
		}
		claimed[arn] = true
	}
	finished := *second
	finished.Status = perch.StatusActive
	if err := r.UpdateBatchSegmentJob(ctx, &finished, "c"); err != nil {
		t.Fatalf("UpdateBatchSegmentJob to ACTIVE: %v", err)
	}
	if err := create(third); err != nil {
		t.Errorf("CreateBatchSegmentJob once a job finished: %v", err)
	}
}

// arn0 is the ARN of the batch inference job name.
func arn0(name string) string { return arn("batch-inference-job/" + name) }
