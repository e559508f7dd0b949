package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/perchdev/perch"
)

// batchJob is the batch inference job named name of version v, waiting
// for a worker.
func batchJob(v *perch.SolutionVersion, name, filterARN string, created perch.Timestamp) *perch.BatchInferenceJob {
	return &perch.BatchInferenceJob{ARN: arn("batch-inference-job/" + name), Name: name, SolutionVersionARN: v.ARN,
		FilterARN: filterARN, NumResults: 25, RoleARN: "arn:aws:iam::000000000000:role/personalize",
		Input:  perch.BatchInput{S3DataSource: perch.S3DataConfig{Path: "s3://in/users.json"}},
		Output: perch.BatchOutput{S3DataDestination: perch.S3DataConfig{Path: "s3://out/", KMSKeyARN: "arn:aws:kms:us-east-1:000000000000:key/k"}},
		Config: &perch.BatchInferenceJobConfig{ItemExplorationConfig: map[string]string{"explorationWeight": "0.3"},
			RankingInfluence: map[string]float64{"POPULARITY": 0.5}},
		Mode: perch.BatchInferenceMode, Status: perch.StatusCreatePending, Tags: []perch.Tag{{Key: "team", Value: "shop"}},
		Created: created, Updated: created, GroupARN: v.GroupARN}
}

// testBatchInferenceJobRules: a batch inference job needs its solution
// version stored (not found, naming it) and ACTIVE (ResourceInUse), and
// the filter it names stored; a taken ARN is ResourceAlreadyExists; at
// most the quota of an account's jobs wait or run at once
// (LimitExceeded), and finished ones do not count. A stored job reads
// back and lists as it was written, survives a reopen, and moves only
// for the holder of its lease and only on its own version.
func testBatchInferenceJobRules(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	const quota = 2
	g := s.group(account, "g", "")
	sol := s.solution(g, "sol")
	active := s.trained(sol, "active", []byte("model"))
	pending := s.version(sol, "pending", perch.StatusCreatePending, 1600000000001)
	f := &perch.Filter{ARN: arn("filter/f"), Name: "f", GroupARN: g.ARN, Expression: `EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")`,
		Status: perch.StatusActive, Created: 1700000000000, Updated: 1700000000000}
	if err := r.CreateFilter(ctx, f, roomy); err != nil {
		t.Fatal(err)
	}
	create := func(j *perch.BatchInferenceJob) error { return r.CreateBatchInferenceJob(ctx, j, quota) }

	missing := versionARN(sol.ARN, "missing")
	wantError(t, "CreateBatchInferenceJob of a missing version",
		create(batchJob(&perch.SolutionVersion{ARN: missing, GroupARN: g.ARN}, "lost", "", 1)), perch.EResourceNotFound, missing)
	wantError(t, "CreateBatchInferenceJob with a missing filter",
		create(batchJob(active, "lost", arn("filter/missing"), 1)), perch.EResourceNotFound, arn("filter/missing"))
	wantError(t, "CreateBatchInferenceJob of a version in training",
		create(batchJob(pending, "early", "", 1)), perch.EResourceInUse, pending.ARN)

	first, second := batchJob(active, "first", f.ARN, 1000), batchJob(active, "second", "", 2000)
	for _, j := range []*perch.BatchInferenceJob{second, first} {
		if err := create(j); err != nil {
			t.Fatalf("CreateBatchInferenceJob %s: %v", j.ARN, err)
		}
	}
	wantError(t, "CreateBatchInferenceJob of a taken ARN", create(batchJob(active, "first", "", 3000)), perch.EResourceAlreadyExists, first.ARN)
	third := batchJob(active, "third", "", 3000)
	wantError(t, "CreateBatchInferenceJob past the quota", create(third), perch.ELimitExceeded, "third")

	got, err := r.BatchInferenceJob(ctx, first.ARN)
	if err != nil || !reflect.DeepEqual(got, first) {
		t.Errorf("BatchInferenceJob %s = %+v, %v; want %+v", first.ARN, got, err, first)
	}
	if _, err := r.BatchInferenceJob(ctx, third.ARN); perch.ErrorCode(err) != perch.EResourceNotFound {
		t.Errorf("BatchInferenceJob of a refused job: %v, want not found", err)
	}
	all, err := r.BatchInferenceJobs(ctx)
	if err != nil || len(all) != 2 {
		t.Errorf("BatchInferenceJobs: %d jobs, %v; want 2", len(all), err)
	}

	// Leased like the data jobs, the one created first first.
	const lease = 300 * time.Millisecond
	if arn, err := r.ClaimJob(ctx, "a", lease, perch.KindBatchInferenceJob); err != nil || arn != first.ARN {
		t.Fatalf("ClaimJob of batch inference jobs = %q, %v; want %s", arn, err, first.ARN)
	}
	running := *first
	running.Status = perch.StatusCreateInProgress
	if err := r.UpdateBatchInferenceJob(ctx, &running, "b"); !errors.Is(err, perch.ErrLeaseLost) {
		t.Errorf("UpdateBatchInferenceJob by another owner = %v, want ErrLeaseLost", err)
	}
	moved := running
	moved.SolutionVersionARN = pending.ARN
	wantError(t, "UpdateBatchInferenceJob onto another version", r.UpdateBatchInferenceJob(ctx, &moved, "a"), perch.EInvalidInput, first.ARN)
	if err := r.UpdateBatchInferenceJob(ctx, &running, "a"); err != nil {
		t.Fatalf("UpdateBatchInferenceJob by its owner: %v", err)
	}

	// A reopen (a restart) leaves the running job to be claimed again,
	// at the latest once its lease runs out (the embedded store forgets
	// leases at once; a shared one waits for the lease).
	s.reopen()
	r = s.Resources()
	if got, err := r.BatchInferenceJob(ctx, first.ARN); err != nil || got.Status != perch.StatusCreateInProgress {
		t.Fatalf("after a reopen, BatchInferenceJob = %+v, %v; want it %s", got, err, perch.StatusCreateInProgress)
	}
	claimed := map[string]bool{}
	for deadline := time.Now().Add(30 * time.Second); !claimed[first.ARN]; time.Sleep(lease / 4) {
		if time.Now().After(deadline) {
			t.Fatalf("after a reopen, the interrupted job was not claimed again within 30 s (claimed %v)", claimed)
		}
		arn, err := r.ClaimJob(ctx, "c", time.Hour, perch.KindBatchInferenceJob)
		if err != nil {
			t.Fatal(err)
		}
		claimed[arn] = true
	}
	if !claimed[second.ARN] {
		arn, err := r.ClaimJob(ctx, "c", time.Hour, perch.KindBatchInferenceJob)
		if err != nil {
			t.Fatal(err)
		}
		claimed[arn] = true
	}
	if !claimed[second.ARN] {
		t.Errorf("after a reopen, the waiting job %s was not claimed", second.ARN)
	}
	finished := *second
	finished.Status = perch.StatusActive
	if err := r.UpdateBatchInferenceJob(ctx, &finished, "c"); err != nil {
		t.Fatalf("UpdateBatchInferenceJob to ACTIVE: %v", err)
	}
	if err := create(third); err != nil {
		t.Errorf("CreateBatchInferenceJob once a job finished: %v", err)
	}
	if arn, err := r.ClaimJob(ctx, "c", time.Hour, perch.KindBatchInferenceJob); err != nil || arn == second.ARN {
		t.Errorf("ClaimJob after the job finished = %q, %v; never the finished one", arn, err)
	}
}
