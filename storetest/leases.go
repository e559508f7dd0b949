package storetest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/perchdev/perch"
)

// jobsToLease creates an export, an import and a deletion job, stored in
// that order but created, by their times, the other way round; it returns
// their ARNs by creation time.
func jobsToLease(t *testing.T, s *store) []string {
	t.Helper()
	ctx, r := t.Context(), s.Resources()
	sc := s.schema("s")
	g := s.group(account, "g", "")
	d := s.datasetIn(g, sc, perch.Interactions)
	exp := &perch.DatasetExportJob{ARN: arn("dataset-export-job/a"), Name: "a", DatasetARN: d.ARN,
		Status: perch.StatusCreatePending, Created: 3000, Updated: 3000}
	imp := &perch.DatasetImportJob{ARN: arn("dataset-import-job/b"), Name: "b", DatasetARN: d.ARN, ImportMode: perch.ImportFull,
		Status: perch.StatusCreatePending, Created: 2000, Updated: 2000}
	del := &perch.DataDeletionJob{ARN: arn("data-deletion-job/c"), Name: "c", GroupARN: g.ARN,
		Status: perch.StatusPending, Created: 1000, Updated: 1000}
	if err := r.CreateDatasetExportJob(ctx, exp); err != nil {
		t.Fatal(err)
	}
	if err := r.CreateDatasetImportJob(ctx, imp, roomy); err != nil {
		t.Fatal(err)
	}
	if err := r.CreateDataDeletionJob(ctx, del, roomy); err != nil {
		t.Fatal(err)
	}
	return []string{del.ARN, imp.ARN, exp.ARN}
}

// testJobLeases: ClaimJob hands out the unfinished jobs of every kind, the
// one created first first, each to one owner, and "" when none is left;
// only the owner of a live lease may renew it or update its job
// (ErrLeaseLost for anyone else); a finished job is never claimed again.
func testJobLeases(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	if got, err := r.ClaimJob(ctx, "a", time.Minute); err != nil || got != "" {
		t.Fatalf("ClaimJob with no job = %q, %v; want none", got, err)
	}
	want := jobsToLease(t, s)
	var got []string
	for _, owner := range []string{"a", "b", "a", "b"} {
		arn, err := r.ClaimJob(ctx, owner, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, arn)
	}
	if !slices.Equal(got, append(slices.Clone(want), "")) {
		t.Fatalf("claims gave %q, want %q and then none", got, want)
	}

	// want[0] is a's, want[1] b's.
	del, err := r.DataDeletionJob(ctx, want[0])
	if err != nil {
		t.Fatal(err)
	}
	imp, err := r.DatasetImportJob(ctx, want[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := r.RenewJobLease(ctx, del.ARN, "b", time.Minute); !errors.Is(err, perch.ErrLeaseLost) {
		t.Errorf("RenewJobLease by another owner = %v, want ErrLeaseLost", err)
	}
	del.Status = perch.StatusInProgress
	if err := r.UpdateDataDeletionJob(ctx, del, "b"); !errors.Is(err, perch.ErrLeaseLost) {
		t.Errorf("UpdateDataDeletionJob by another owner = %v, want ErrLeaseLost", err)
	}
	if stored, err := r.DataDeletionJob(ctx, del.ARN); err != nil || stored.Status != perch.StatusPending {
		t.Errorf("the job after a refused update: %+v, %v", stored, err)
	}
	if err := r.RenewJobLease(ctx, del.ARN, "a", time.Minute); err != nil {
		t.Errorf("RenewJobLease by its owner: %v", err)
	}
	if err := r.UpdateDataDeletionJob(ctx, del, "a"); err != nil {
		t.Errorf("UpdateDataDeletionJob by its owner: %v", err)
	}
	imp.Status = perch.StatusCreateFailed
	if err := r.UpdateDatasetImportJob(ctx, imp, "b"); err != nil {
		t.Errorf("UpdateDatasetImportJob by its owner: %v", err)
	}
	if err := r.RenewJobLease(ctx, imp.ARN, "b", time.Minute); !errors.Is(err, perch.ErrLeaseLost) {
		t.Errorf("RenewJobLease of a finished job = %v, want ErrLeaseLost", err)
	}
	if arn, err := r.ClaimJob(ctx, "c", time.Minute); err != nil || arn != "" {
		t.Errorf("ClaimJob while every unfinished job is leased = %q, %v; want none", arn, err)
	}
}

// testJobLeaseExpiry: a lease its owner stops renewing runs out, and
// another owner takes the job over; the first owner can then neither
// renew the lease nor update the job.
func testJobLeaseExpiry(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	first := jobsToLease(t, s)[0]
	const lease = 200 * time.Millisecond
	if arn, err := r.ClaimJob(ctx, "dead", lease); err != nil || arn != first {
		t.Fatalf("ClaimJob = %q, %v; want %s", arn, err, first)
	}
	var taken string
	deadline := time.Now().Add(30 * time.Second)
	for taken != first {
		if time.Now().After(deadline) {
			t.Fatalf("the lease of %s did not run out within 30 s", first)
		}
		time.Sleep(lease / 4)
		var err error
		// The jobs created after the first are free from the start: the
		// first claims take them.
		if taken, err = r.ClaimJob(ctx, "alive", time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.RenewJobLease(ctx, first, "dead", time.Minute); !errors.Is(err, perch.ErrLeaseLost) {
		t.Errorf("RenewJobLease by the owner whose lease ran out = %v, want ErrLeaseLost", err)
	}
	j, err := r.DataDeletionJob(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	j.Status = perch.StatusInProgress
	if err := r.UpdateDataDeletionJob(ctx, j, "dead"); !errors.Is(err, perch.ErrLeaseLost) {
		t.Errorf("UpdateDataDeletionJob by the owner whose lease ran out = %v, want ErrLeaseLost", err)
	}
	if err := r.UpdateDataDeletionJob(ctx, j, "alive"); err != nil {
		t.Errorf("UpdateDataDeletionJob by the new owner: %v", err)
	}
}

// testConcurrentClaims: owners claiming at once share out the jobs and
// the solution versions in training, each to exactly one of them.
func testConcurrentClaims(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	want := jobsToLease(t, s)
	sol := s.solution(&perch.DatasetGroup{ARN: arn("dataset-group/g")}, "sol")
	for i, status := range []string{perch.StatusCreatePending, perch.StatusCreateInProgress, perch.StatusActive} {
		v := s.version(sol, status, status, perch.Timestamp(1500+1000*i))
		if perch.Training(status) {
			want = append(want, v.ARN)
		}
	}
	const owners = 16
	var (
		mu     sync.Mutex
		claims = map[string][]string{}
		wg     sync.WaitGroup
	)
	for i := range owners {
		owner := fmt.Sprintf("owner-%d", i)
		wg.Go(func() {
			arn, err := r.ClaimJob(ctx, owner, time.Minute, allKinds...)
			if err != nil {
				t.Error(err)
				return
			}
			if arn != "" {
				mu.Lock()
				claims[arn] = append(claims[arn], owner)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, arn := range want {
		if len(claims[arn]) != 1 {
			t.Errorf("%s was claimed by %q, want exactly one owner", arn, claims[arn])
		}
	}
	if len(claims) != len(want) {
		t.Errorf("claimed %d jobs, want %d: %v", len(claims), len(want), claims)
	}
}

// testJobProgress: the owner of a job's lease reports its progress with a
// renewal, and JobProgress reads the last report back; nobody else may
// report (ErrLeaseLost, the progress stays), a new owner's claim starts
// it over, and a finished job has none.
func testJobProgress(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	jobs := jobsToLease(t, s)
	const lease = 600 * time.Millisecond
	if got, err := r.JobProgress(ctx, jobs); err != nil || len(got) != 0 {
		t.Fatalf("JobProgress before any report = %v, %v; want none", got, err)
	}
	del := jobs[0]
	if arn, err := r.ClaimJob(ctx, "a", lease); err != nil || arn != del {
		t.Fatalf("ClaimJob = %q, %v; want %s", arn, err, del)
	}
	first := perch.JobProgress{Done: 10, Unit: perch.ProgressLines}
	second := perch.JobProgress{Done: 2500, Unit: perch.ProgressRecords, Total: 4000}
	for _, p := range []perch.JobProgress{first, second} {
		if err := r.ReportJobProgress(ctx, del, "a", lease, p); err != nil {
			t.Fatalf("ReportJobProgress by its owner: %v", err)
		}
	}
	if err := r.ReportJobProgress(ctx, del, "b", lease, first); !errors.Is(err, perch.ErrLeaseLost) {
		t.Errorf("ReportJobProgress by another owner = %v, want ErrLeaseLost", err)
	}
	if err := r.ReportJobProgress(ctx, jobs[1], "a", lease, first); !errors.Is(err, perch.ErrLeaseLost) {
		t.Errorf("ReportJobProgress of a job nobody claimed = %v, want ErrLeaseLost", err)
	}
	got, err := r.JobProgress(ctx, append([]string{arn("dataset-import-job/none")}, jobs...))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]perch.JobProgress{del: second}; !maps.Equal(got, want) {
		t.Fatalf("JobProgress = %v, want %v", got, want)
	}

	// The report renewed the lease as RenewJobLease does: it holds on
	// past the lease it was claimed for.
	time.Sleep(lease / 2)
	if err := r.ReportJobProgress(ctx, del, "a", lease, second); err != nil {
		t.Fatalf("ReportJobProgress by its owner: %v", err)
	}
	time.Sleep(lease * 3 / 4)
	if err := r.RenewJobLease(ctx, del, "a", time.Minute); err != nil {
		t.Fatalf("RenewJobLease after a report renewed the lease: %v", err)
	}

	// A job whose lease ran out keeps its progress until another owner
	// claims it.
	if err := r.ReportJobProgress(ctx, del, "a", lease, first); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatalf("the lease of %s did not run out within 30 s", del)
		}
		time.Sleep(lease / 4)
		arn, err := r.ClaimJob(ctx, "b", time.Minute, perch.KindDataDeletionJob)
		if err != nil {
			t.Fatal(err)
		}
		if arn == del {
			break
		}
		if got, err := r.JobProgress(ctx, []string{del}); err != nil || got[del] != first {
			t.Fatalf("JobProgress while its lease runs out = %v, %v; want %v", got, err, first)
		}
	}
	if got, err := r.JobProgress(ctx, []string{del}); err != nil || len(got) != 0 {
		t.Fatalf("JobProgress after another owner claimed the job = %v, %v; want none", got, err)
	}
	if err := r.ReportJobProgress(ctx, del, "a", lease, second); !errors.Is(err, perch.ErrLeaseLost) {
		t.Errorf("ReportJobProgress by the owner whose lease ran out = %v, want ErrLeaseLost", err)
	}
	if err := r.ReportJobProgress(ctx, del, "b", time.Minute, second); err != nil {
		t.Fatal(err)
	}
	j, err := r.DataDeletionJob(ctx, del)
	if err != nil {
		t.Fatal(err)
	}
	j.Status = perch.StatusCompleted
	if err := r.UpdateDataDeletionJob(ctx, j, "b"); err != nil {
		t.Fatal(err)
	}
	if got, err := r.JobProgress(ctx, []string{del}); err != nil || len(got) != 0 {
		t.Errorf("JobProgress of a finished job = %v, %v; want none", got, err)
	}
}
