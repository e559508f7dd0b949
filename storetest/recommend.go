package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/perchdev/perch"
)

// The rules of the recommendation side: solutions in a dataset group,
// their versions (trainings, leased like jobs, each with its model) and
// the campaigns that serve versions.

// solution creates an ACTIVE solution named name in group g.
func (s *store) solution(g *perch.DatasetGroup, name string) *perch.Solution {
	s.t.Helper()
	v := &perch.Solution{ARN: arn("solution/" + name), Name: name, GroupARN: g.ARN, RecipeARN: recipeARN, Status: perch.StatusActive}
	if err := s.Resources().CreateSolution(s.t.Context(), v, roomy); err != nil {
		s.t.Fatalf("creating solution %s: %v", v.ARN, err)
	}
	return v
}

// newVersion is the version named name of solution sol, in status.
func newVersion(sol *perch.Solution, name, status string, created perch.Timestamp) *perch.SolutionVersion {
	return &perch.SolutionVersion{ARN: versionARN(sol.ARN, name), Name: name, SolutionARN: sol.ARN, GroupARN: sol.GroupARN,
		RecipeARN: sol.RecipeARN, TrainingMode: perch.TrainingModeFull, TrainingType: perch.TrainingTypeManual, Status: status,
		Created: created, Updated: created}
}

// version creates the version named name of solution sol, in status.
func (s *store) version(sol *perch.Solution, name, status string, created perch.Timestamp) *perch.SolutionVersion {
	s.t.Helper()
	v := newVersion(sol, name, status, created)
	if err := s.Resources().CreateSolutionVersion(s.t.Context(), v, roomy); err != nil {
		s.t.Fatalf("creating solution version %s: %v", v.ARN, err)
	}
	return v
}

// trained creates a version of sol named name and trains it as a worker
// does: claimed, its model kept, ACTIVE.
func (s *store) trained(sol *perch.Solution, name string, model []byte) *perch.SolutionVersion {
	s.t.Helper()
	ctx, r := s.t.Context(), s.Resources()
	v := s.version(sol, name, perch.StatusCreatePending, 1600000000000)
	owner := lease(ctx, r, v.ARN)
	if err := r.PutModel(ctx, v.ARN, model, owner); err != nil {
		s.t.Fatalf("PutModel of %s: %v", v.ARN, err)
	}
	v.Status = perch.StatusActive
	if err := r.UpdateSolutionVersion(ctx, v, owner); err != nil {
		s.t.Fatalf("UpdateSolutionVersion of %s: %v", v.ARN, err)
	}
	return v
}

// newCampaign is the campaign named name serving version, which is v's
// ARN or its solution's $LATEST.
func newCampaign(v *perch.SolutionVersion, name, version string) *perch.Campaign {
	return &perch.Campaign{ARN: arn("campaign/" + name), Name: name, SolutionVersionARN: version, MinProvisionedTPS: 1,
		Status: perch.StatusActive, SolutionARN: v.SolutionARN, GroupARN: v.GroupARN}
}

// campaign creates the campaign named name serving version v.
func (s *store) campaign(v *perch.SolutionVersion, name string) *perch.Campaign {
	s.t.Helper()
	c := newCampaign(v, name, v.ARN)
	if err := s.Resources().CreateCampaign(s.t.Context(), c, v.ARN, roomy); err != nil {
		s.t.Fatalf("creating campaign %s: %v", c.ARN, err)
	}
	return c
}

// wantStored checks that the lookup of v's ARN returns v as it is.
func wantStored[T any](t *testing.T, what string, get func(arn string) (*T, error), arn string, v *T) {
	t.Helper()
	if got, err := get(arn); err != nil || !reflect.DeepEqual(got, v) {
		t.Errorf("%s = %+v, %v; want %+v", what, got, err, v)
	}
}

// wantMissing checks that the lookup of arn is ResourceNotFoundException
// naming it.
func wantMissing[T any](t *testing.T, what string, get func(arn string) (T, error), arn string) {
	t.Helper()
	_, err := get(arn)
	wantError(t, what, err, perch.EResourceNotFound, arn)
}

// testSolutionRules: a solution needs its group stored
// (ResourceNotFoundException naming it) and ACTIVE
// (ResourceInUseException); a group has at most the quota of solutions
// (LimitExceededException naming the group and the name), another
// group's do not count, a deletion makes room; a taken ARN. An update
// may not move a solution to another group or recipe
// (InvalidInputException naming it) and a refused one changes nothing.
func testSolutionRules(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	const quota = 2
	g, other := s.group(account, "g", ""), s.group(account, "other", "")
	solution := func(g *perch.DatasetGroup, name string) *perch.Solution {
		return &perch.Solution{ARN: arn("solution/" + name), Name: name, GroupARN: g.ARN, RecipeARN: recipeARN, Status: perch.StatusActive}
	}
	create := func(v *perch.Solution) error { return r.CreateSolution(ctx, v, quota) }

	missing := &perch.DatasetGroup{ARN: arn("dataset-group/missing")}
	wantError(t, "CreateSolution in a missing group", create(solution(missing, "m")), perch.EResourceNotFound, missing.ARN)
	pending := &perch.DatasetGroup{ARN: arn("dataset-group/pending"), Name: "pending", Status: perch.StatusCreatePending}
	if err := r.CreateDatasetGroup(ctx, pending, roomy); err != nil {
		t.Fatal(err)
	}
	wantError(t, "CreateSolution in a group not ACTIVE", create(solution(pending, "p")), perch.EResourceInUse, pending.ARN)

	s1, s2 := solution(g, "s1"), solution(g, "s2")
	for _, v := range []*perch.Solution{s1, s2} {
		if err := create(v); err != nil {
			t.Fatalf("CreateSolution %s within the quota: %v", v.Name, err)
		}
	}
	wantError(t, "CreateSolution past the group's quota", create(solution(g, "s3")), perch.ELimitExceeded, g.ARN, "s3")
	if err := create(solution(other, "o1")); err != nil {
		t.Errorf("CreateSolution in another group: %v", err)
	}
	wantError(t, "CreateSolution of a taken ARN", create(solution(other, "s1")), perch.EResourceAlreadyExists, s1.ARN)
	if err := r.DeleteSolution(ctx, s1.ARN); err != nil {
		t.Fatal(err)
	}
	if err := create(solution(g, "s3")); err != nil {
		t.Errorf("CreateSolution once a deletion made room: %v", err)
	}
	wantError(t, "CreateSolution past the group's quota again", create(solution(g, "s4")), perch.ELimitExceeded, g.ARN, "s4")
	if list, err := r.Solutions(ctx); err != nil || len(list) != 3 {
		t.Errorf("Solutions = %d, %v; want the 3 kept", len(list), err)
	}

	get := func(arn string) (*perch.Solution, error) { return r.Solution(ctx, arn) }
	for what, change := range map[string]func(*perch.Solution){
		"to another group":  func(u *perch.Solution) { u.GroupARN = other.ARN },
		"to another recipe": func(u *perch.Solution) { u.RecipeARN = "arn:aws:personalize:::recipe/aws-similar-items" },
	} {
		moved := *s2
		change(&moved)
		wantError(t, "UpdateSolution "+what, r.UpdateSolution(ctx, &moved), perch.EInvalidInput, s2.ARN)
	}
	wantStored(t, "the solution after refused updates", get, s2.ARN, s2)
	update := *s2
	update.PerformAutoTraining, update.Updated = true, 5
	update.LatestUpdate = &perch.SolutionUpdate{PerformAutoTraining: true, Status: perch.StatusActive, Created: 5, Updated: 5}
	if err := r.UpdateSolution(ctx, &update); err != nil {
		t.Fatal(err)
	}
	wantStored(t, "the updated solution", get, s2.ARN, &update)
}

// testDeleteSolutionInUse: a solution cannot be deleted while a campaign
// serves one of its versions or one of them trains (ResourceInUseException
// naming the solution and them); another solution's campaign does not
// hold it. Its deletion takes its versions and their models with it, and
// leaves other solutions' alone; a solution created again with its ARN
// has none of them.
func testDeleteSolutionInUse(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	g := s.group(account, "g", "")
	sol, other := s.solution(g, "sol"), s.solution(g, "other")
	active := s.trained(sol, "active", []byte("model of active"))
	kept := s.trained(other, "kept", []byte("model of kept"))
	s.campaign(kept, "elsewhere")
	c := s.campaign(active, "c")
	training := s.version(sol, "training", perch.StatusCreateInProgress, 1700000000000)
	owner := lease(ctx, r, training.ARN)

	wantError(t, "DeleteSolution with a campaign and a version training", r.DeleteSolution(ctx, sol.ARN),
		perch.EResourceInUse, sol.ARN, c.ARN, training.ARN)
	if err := r.DeleteCampaign(ctx, c.ARN); err != nil {
		t.Fatal(err)
	}
	wantError(t, "DeleteSolution with a version training", r.DeleteSolution(ctx, sol.ARN), perch.EResourceInUse, sol.ARN, training.ARN)
	if err := r.StopSolutionVersion(ctx, training.ARN); err != nil {
		t.Fatal(err)
	}
	wantError(t, "DeleteSolution with a version stopping", r.DeleteSolution(ctx, sol.ARN), perch.EResourceInUse, sol.ARN, training.ARN)
	training.Status = perch.StatusCreateStopped
	if err := r.UpdateSolutionVersion(ctx, training, owner); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteSolution(ctx, sol.ARN); err != nil {
		t.Fatalf("DeleteSolution once nothing uses it: %v", err)
	}

	getSolution := func(arn string) (*perch.Solution, error) { return r.Solution(ctx, arn) }
	getVersion := func(arn string) (*perch.SolutionVersion, error) { return r.SolutionVersion(ctx, arn) }
	getModel := func(arn string) ([]byte, error) { return r.Model(ctx, arn) }
	wantMissing(t, "the deleted solution", getSolution, sol.ARN)
	for _, v := range []*perch.SolutionVersion{active, training} {
		wantMissing(t, "a version of the deleted solution", getVersion, v.ARN)
	}
	wantMissing(t, "the model of a version of the deleted solution", getModel, active.ARN)
	if list, err := r.SolutionVersions(ctx); err != nil || len(list) != 1 || list[0].ARN != kept.ARN {
		t.Errorf("SolutionVersions = %+v, %v; want only %s", list, err, kept.ARN)
	}
	if m, err := r.Model(ctx, kept.ARN); err != nil || string(m) != "model of kept" {
		t.Errorf("the model of another solution's version = %q, %v", m, err)
	}

	again := s.solution(g, "sol")
	if list, err := r.SolutionVersions(ctx); err != nil || len(list) != 1 {
		t.Errorf("SolutionVersions after the solution's ARN is taken again = %+v, %v; want only %s", list, err, kept.ARN)
	}
	wantMissing(t, "the old model under a new solution of the ARN", getModel, active.ARN)
	if v := s.version(again, "active", perch.StatusCreatePending, 1); v.ARN != active.ARN {
		t.Fatalf("the version's ARN changed: %s", v.ARN)
	}
	wantMissing(t, "the old model of a version ARN taken again", getModel, active.ARN)
}

// testDeleteGroupWithSolution: a dataset group that has a solution cannot
// be deleted (ResourceInUseException naming the group and the solution);
// once the solution is deleted, it can.
func testDeleteGroupWithSolution(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	g, other := s.group(account, "g", ""), s.group(account, "other", "")
	sol := s.solution(g, "sol")
	s.solution(other, "o")
	wantError(t, "DeleteDatasetGroup with a solution", r.DeleteDatasetGroup(ctx, g.ARN), perch.EResourceInUse, g.ARN, sol.ARN)
	if err := r.DeleteSolution(ctx, sol.ARN); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteDatasetGroup(ctx, g.ARN); err != nil {
		t.Errorf("DeleteDatasetGroup once its solution is gone, while another group has one: %v", err)
	}
}

// testSolutionVersionRules: a version needs its solution stored
// (ResourceNotFoundException naming it) and ACTIVE
// (ResourceInUseException); its ARN is its solution's ARN and an id of 8
// lowercase hexadecimal digits, and its group its solution's
// (InvalidInputException naming it); an account has at most the quota of
// versions in training (LimitExceededException), another account's and
// those that stopped or finished do not count; a taken ARN.
func testSolutionVersionRules(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	const quota = 2
	g := s.group(account, "g", "")
	sol, other := s.solution(g, "sol"), s.solution(g, "other")
	create := func(v *perch.SolutionVersion) error { return r.CreateSolutionVersion(ctx, v, quota) }

	missing := &perch.Solution{ARN: arn("solution/missing"), GroupARN: g.ARN}
	wantError(t, "CreateSolutionVersion of a missing solution", create(newVersion(missing, "m", perch.StatusCreatePending, 1)),
		perch.EResourceNotFound, missing.ARN)
	pending := &perch.Solution{ARN: arn("solution/pending"), Name: "pending", GroupARN: g.ARN, Status: perch.StatusCreatePending}
	if err := r.CreateSolution(ctx, pending, roomy); err != nil {
		t.Fatal(err)
	}
	wantError(t, "CreateSolutionVersion of a solution not ACTIVE", create(newVersion(pending, "p", perch.StatusCreatePending, 1)),
		perch.EResourceInUse, pending.ARN)
	for what, change := range map[string]func(*perch.SolutionVersion){
		"an ARN of another solution": func(v *perch.SolutionVersion) { v.ARN = versionARN(other.ARN, "x") },
		"an id not 8 digits":         func(v *perch.SolutionVersion) { v.ARN = sol.ARN + "/123456789" },
		"an id in upper case":        func(v *perch.SolutionVersion) { v.ARN = sol.ARN + "/ABCDEF12" },
		"an id not hexadecimal":      func(v *perch.SolutionVersion) { v.ARN = sol.ARN + "/abcdefgh" },
		"another group":              func(v *perch.SolutionVersion) { v.GroupARN = arn("dataset-group/other") },
	} {
		v := newVersion(sol, "bad", perch.StatusCreatePending, 1)
		change(v)
		wantError(t, "CreateSolutionVersion with "+what, create(v), perch.EInvalidInput, v.ARN)
	}

	v1, v2 := newVersion(sol, "v1", perch.StatusCreatePending, 1), newVersion(other, "v2", perch.StatusCreateInProgress, 2)
	for _, v := range []*perch.SolutionVersion{v1, v2} {
		if err := create(v); err != nil {
			t.Fatalf("CreateSolutionVersion %s within the quota: %v", v.Name, err)
		}
	}
	wantError(t, "CreateSolutionVersion past the account's quota", create(newVersion(sol, "v3", perch.StatusCreatePending, 3)),
		perch.ELimitExceeded)
	wantError(t, "CreateSolutionVersion of a taken ARN", create(newVersion(sol, "v1", perch.StatusCreatePending, 3)),
		perch.EResourceAlreadyExists, v1.ARN)

	og := s.group(otherAccount, "g", "")
	os := &perch.Solution{ARN: arnIn(otherAccount, "solution/sol"), Name: "sol", GroupARN: og.ARN, RecipeARN: recipeARN, Status: perch.StatusActive}
	if err := r.CreateSolution(ctx, os, roomy); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"v1", "v2"} {
		if err := create(newVersion(os, name, perch.StatusCreatePending, 4)); err != nil {
			t.Errorf("CreateSolutionVersion of another account, within its quota: %v", err)
		}
	}

	if err := r.StopSolutionVersion(ctx, v1.ARN); err != nil {
		t.Fatal(err)
	}
	v3 := newVersion(sol, "v3", perch.StatusCreatePending, 5)
	if err := create(v3); err != nil {
		t.Errorf("CreateSolutionVersion once a version stopped: %v", err)
	}
	v2.Status = perch.StatusActive
	if err := r.UpdateSolutionVersion(ctx, v2, lease(ctx, r, v2.ARN)); err != nil {
		t.Fatal(err)
	}
	if err := create(newVersion(sol, "v4", perch.StatusCreatePending, 6)); err != nil {
		t.Errorf("CreateSolutionVersion once a version finished: %v", err)
	}
	wantError(t, "CreateSolutionVersion past the quota again", create(newVersion(sol, "v5", perch.StatusCreatePending, 7)),
		perch.ELimitExceeded)
	if list, err := r.SolutionVersions(ctx); err != nil || len(list) != 6 {
		t.Errorf("SolutionVersions = %d, %v; want the 6 created", len(list), err)
	}
}

// testStopSolutionVersion: a version waiting for its training stops at
// once (CREATE STOPPED), no longer claimed, its lease gone; one in
// training is CREATE STOPPING, still in training until its worker records
// the stop; any other is ResourceInUseException naming it, unchanged; a
// missing one is ResourceNotFoundException.
func testStopSolutionVersion(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	sol := s.solution(s.group(account, "g", ""), "sol")
	get := func(arn string) (*perch.SolutionVersion, error) { return r.SolutionVersion(ctx, arn) }
	wantStatus := func(what string, v *perch.SolutionVersion, status string) {
		t.Helper()
		got, err := get(v.ARN)
		if err != nil || got.Status != status || got.Updated < v.Updated {
			t.Errorf("%s: %+v, %v; want status %s, updated no earlier than %d", what, got, err, status, v.Updated)
		}
	}

	claimed := s.version(sol, "claimed", perch.StatusCreatePending, 1)
	if got, err := r.ClaimJob(ctx, "w", time.Minute, perch.KindSolutionVersion); err != nil || got != claimed.ARN {
		t.Fatalf("ClaimJob = %q, %v; want %s", got, err, claimed.ARN)
	}
	if err := r.StopSolutionVersion(ctx, claimed.ARN); err != nil {
		t.Fatalf("StopSolutionVersion of a version CREATE PENDING: %v", err)
	}
	wantStatus("a version stopped while CREATE PENDING", claimed, perch.StatusCreateStopped)
	if err := r.RenewJobLease(ctx, claimed.ARN, "w", time.Minute); !errors.Is(err, perch.ErrLeaseLost) {
		t.Errorf("RenewJobLease of a version stopped = %v, want ErrLeaseLost", err)
	}
	claimed.Status = perch.StatusCreateInProgress
	if err := r.UpdateSolutionVersion(ctx, claimed, "w"); !errors.Is(err, perch.ErrLeaseLost) {
		t.Errorf("UpdateSolutionVersion of a version stopped = %v, want ErrLeaseLost", err)
	}
	if err := r.PutModel(ctx, claimed.ARN, []byte("m"), "w"); !errors.Is(err, perch.ErrLeaseLost) {
		t.Errorf("PutModel of a version stopped = %v, want ErrLeaseLost", err)
	}
	wantStatus("a stopped version after its worker's refused update", claimed, perch.StatusCreateStopped)
	wantError(t, "StopSolutionVersion of a version stopped", r.StopSolutionVersion(ctx, claimed.ARN), perch.EResourceInUse, claimed.ARN)

	waiting := s.version(sol, "waiting", perch.StatusCreatePending, 2)
	if err := r.StopSolutionVersion(ctx, waiting.ARN); err != nil {
		t.Fatal(err)
	}
	wantStatus("a version stopped before it was claimed", waiting, perch.StatusCreateStopped)

	running := s.version(sol, "running", perch.StatusCreateInProgress, 3)
	if err := r.StopSolutionVersion(ctx, running.ARN); err != nil {
		t.Fatalf("StopSolutionVersion of a version CREATE IN_PROGRESS: %v", err)
	}
	wantStatus("a version stopped in training", running, perch.StatusCreateStopping)
	wantError(t, "StopSolutionVersion of a version stopping", r.StopSolutionVersion(ctx, running.ARN), perch.EResourceInUse, running.ARN)
	if got, err := r.ClaimJob(ctx, "w", time.Minute, perch.KindSolutionVersion); err != nil || got != running.ARN {
		t.Fatalf("ClaimJob = %q, %v; want the version stopping, %s, and neither stopped one", got, err, running.ARN)
	}
	// A worker that did not see the stop may not undo it.
	for _, status := range []string{perch.StatusActive, perch.StatusCreateInProgress} {
		undone := *running
		undone.Status = status
		wantError(t, "UpdateSolutionVersion of a version stopping to "+status, r.UpdateSolutionVersion(ctx, &undone, "w"),
			perch.EResourceInUse, running.ARN)
	}
	wantStatus("a version stopping after refused updates", running, perch.StatusCreateStopping)
	running.Status = perch.StatusCreateStopped
	if err := r.UpdateSolutionVersion(ctx, running, "w"); err != nil {
		t.Errorf("the worker records the stop: %v", err)
	}
	if got, err := r.ClaimJob(ctx, "w", time.Minute, perch.KindSolutionVersion); err != nil || got != "" {
		t.Errorf("ClaimJob once every version stopped = %q, %v; want none", got, err)
	}

	for _, status := range []string{perch.StatusActive, perch.StatusCreateFailed} {
		v := s.version(sol, status, status, 4)
		wantError(t, "StopSolutionVersion of a version "+status, r.StopSolutionVersion(ctx, v.ARN), perch.EResourceInUse, v.ARN)
		wantStored(t, "a version refused a stop", get, v.ARN, v)
	}
	missing := versionARN(sol.ARN, "missing")
	wantError(t, "StopSolutionVersion of a missing version", r.StopSolutionVersion(ctx, missing), perch.EResourceNotFound, missing)
}

// testSolutionVersionLeases: only the owner of a version's live lease
// updates it or keeps its model (ErrLeaseLost for anyone else, and for
// everyone before a claim), renews the lease, and may not move the version
// to another solution or group (InvalidInputException); a version that
// finishes lets its lease go; a lease not renewed runs out and another
// owner takes the version over. A missing version is
// ResourceNotFoundException.
func testSolutionVersionLeases(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	g := s.group(account, "g", "")
	sol, other := s.solution(g, "sol"), s.solution(g, "other")
	get := func(arn string) (*perch.SolutionVersion, error) { return r.SolutionVersion(ctx, arn) }
	v := s.version(sol, "v", perch.StatusCreatePending, 1)
	stored := *v

	update := *v
	update.Status = perch.StatusCreateInProgress
	if err := r.UpdateSolutionVersion(ctx, &update, "a"); !errors.Is(err, perch.ErrLeaseLost) {
		t.Errorf("UpdateSolutionVersion before any claim = %v, want ErrLeaseLost", err)
	}
	if err := r.PutModel(ctx, v.ARN, []byte("m"), "a"); !errors.Is(err, perch.ErrLeaseLost) {
		t.Errorf("PutModel before any claim = %v, want ErrLeaseLost", err)
	}
	if got, err := r.ClaimJob(ctx, "a", time.Minute, perch.KindSolutionVersion); err != nil || got != v.ARN {
		t.Fatalf("ClaimJob = %q, %v; want %s", got, err, v.ARN)
	}
	if err := r.UpdateSolutionVersion(ctx, &update, "b"); !errors.Is(err, perch.ErrLeaseLost) {
		t.Errorf("UpdateSolutionVersion by another owner = %v, want ErrLeaseLost", err)
	}
	if err := r.PutModel(ctx, v.ARN, []byte("m"), "b"); !errors.Is(err, perch.ErrLeaseLost) {
		t.Errorf("PutModel by another owner = %v, want ErrLeaseLost", err)
	}
	if err := r.RenewJobLease(ctx, v.ARN, "b", time.Minute); !errors.Is(err, perch.ErrLeaseLost) {
		t.Errorf("RenewJobLease by another owner = %v, want ErrLeaseLost", err)
	}
	wantMissing(t, "the model of a version refused one", func(arn string) ([]byte, error) { return r.Model(ctx, arn) }, v.ARN)
	for what, change := range map[string]func(*perch.SolutionVersion){
		"to another solution": func(u *perch.SolutionVersion) { u.SolutionARN = other.ARN },
		"to another group":    func(u *perch.SolutionVersion) { u.GroupARN = arn("dataset-group/elsewhere") },
	} {
		moved := update
		change(&moved)
		wantError(t, "UpdateSolutionVersion "+what, r.UpdateSolutionVersion(ctx, &moved, "a"), perch.EInvalidInput, v.ARN)
	}
	wantStored(t, "the version after refused updates", get, v.ARN, &stored)

	if err := r.RenewJobLease(ctx, v.ARN, "a", time.Minute); err != nil {
		t.Errorf("RenewJobLease by its owner: %v", err)
	}
	if err := r.UpdateSolutionVersion(ctx, &update, "a"); err != nil {
		t.Errorf("UpdateSolutionVersion by its owner: %v", err)
	}
	if err := r.PutModel(ctx, v.ARN, []byte("m"), "a"); err != nil {
		t.Errorf("PutModel by its owner: %v", err)
	}
	update.Status, update.Metrics = perch.StatusActive, map[string]float64{"coverage": 1}
	if err := r.UpdateSolutionVersion(ctx, &update, "a"); err != nil {
		t.Errorf("UpdateSolutionVersion to ACTIVE by its owner: %v", err)
	}
	wantStored(t, "the trained version", get, v.ARN, &update)
	if err := r.RenewJobLease(ctx, v.ARN, "a", time.Minute); !errors.Is(err, perch.ErrLeaseLost) {
		t.Errorf("RenewJobLease of a finished version = %v, want ErrLeaseLost", err)
	}
	if err := r.PutModel(ctx, v.ARN, []byte("later"), "a"); !errors.Is(err, perch.ErrLeaseLost) {
		t.Errorf("PutModel of a finished version = %v, want ErrLeaseLost", err)
	}
	if err := r.UpdateSolutionVersion(ctx, &update, "a"); !errors.Is(err, perch.ErrLeaseLost) {
		t.Errorf("UpdateSolutionVersion of a finished version = %v, want ErrLeaseLost", err)
	}

	missing := newVersion(sol, "missing", perch.StatusCreateInProgress, 1)
	wantError(t, "UpdateSolutionVersion of a missing version", r.UpdateSolutionVersion(ctx, missing, "a"),
		perch.EResourceNotFound, missing.ARN)
	wantError(t, "PutModel of a missing version", r.PutModel(ctx, missing.ARN, []byte("m"), "a"), perch.EResourceNotFound, missing.ARN)

	// A worker that stops renewing: its lease runs out.
	dying := s.version(sol, "dying", perch.StatusCreatePending, 2)
	const lease = 200 * time.Millisecond
	if got, err := r.ClaimJob(ctx, "dead", lease, perch.KindSolutionVersion); err != nil || got != dying.ARN {
		t.Fatalf("ClaimJob = %q, %v; want %s", got, err, dying.ARN)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := r.ClaimJob(ctx, "alive", time.Minute, perch.KindSolutionVersion)
		if err != nil {
			t.Fatal(err)
		}
		if got == dying.ARN {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the lease of %s did not run out within 30 s", dying.ARN)
		}
		time.Sleep(lease / 4)
	}
	dying.Status = perch.StatusCreateInProgress
	if err := r.RenewJobLease(ctx, dying.ARN, "dead", time.Minute); !errors.Is(err, perch.ErrLeaseLost) {
		t.Errorf("RenewJobLease by the owner whose lease ran out = %v, want ErrLeaseLost", err)
	}
	if err := r.UpdateSolutionVersion(ctx, dying, "dead"); !errors.Is(err, perch.ErrLeaseLost) {
		t.Errorf("UpdateSolutionVersion by the owner whose lease ran out = %v, want ErrLeaseLost", err)
	}
	if err := r.PutModel(ctx, dying.ARN, []byte("m"), "dead"); !errors.Is(err, perch.ErrLeaseLost) {
		t.Errorf("PutModel by the owner whose lease ran out = %v, want ErrLeaseLost", err)
	}
	if err := r.UpdateSolutionVersion(ctx, dying, "alive"); err != nil {
		t.Errorf("UpdateSolutionVersion by the new owner: %v", err)
	}
}

// testModels: a version's model reads back byte for byte, several MB of
// it, after a reopen too; a later PutModel replaces it whole, shorter or
// empty; neither the caller's slice nor the one returned is the store's.
// A version without a model, or a missing version, is
// ResourceNotFoundException naming it.
func testModels(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	g := s.group(account, "g", "")
	sol := s.solution(g, "sol")
	v, next := s.version(sol, "v", perch.StatusCreatePending, 1), s.version(sol, "next", perch.StatusCreatePending, 2)
	owner := lease(ctx, r, v.ARN)
	lease(ctx, r, next.ARN)
	wantModel := func(what string, arn string, want []byte) {
		t.Helper()
		got, err := r.Model(ctx, arn)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes, %v; want %d bytes as put", what, len(got), err, len(want))
		}
	}
	getModel := func(arn string) ([]byte, error) { return r.Model(ctx, arn) }
	wantMissing(t, "the model of a version without one", getModel, v.ARN)

	big := make([]byte, 5<<20+12345)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range big {
		big[i] = byte(rng.Uint32())
	}
	put := slices.Clone(big)
	if err := r.PutModel(ctx, v.ARN, put, owner); err != nil {
		t.Fatal(err)
	}
	put[0]++
	wantModel("a model of several MB", v.ARN, big)
	got, err := r.Model(ctx, v.ARN)
	if err != nil {
		t.Fatal(err)
	}
	got[1]++
	wantModel("a model after the caller changed what it put and what it got", v.ARN, big)
	wantMissing(t, "the model of another version", getModel, next.ARN)

	small := []byte("a smaller model")
	if err := r.PutModel(ctx, v.ARN, small, owner); err != nil {
		t.Fatal(err)
	}
	wantModel("a model replaced by a smaller one", v.ARN, small)
	if err := r.PutModel(ctx, v.ARN, []byte{}, owner); err != nil {
		t.Fatal(err)
	}
	wantModel("an empty model", v.ARN, nil)
	if err := r.PutModel(ctx, v.ARN, big, owner); err != nil {
		t.Fatal(err)
	}
	if err := r.PutModel(ctx, next.ARN, small, owner); err != nil {
		t.Fatal(err)
	}
	v.Status = perch.StatusActive
	if err := r.UpdateSolutionVersion(ctx, v, owner); err != nil {
		t.Fatal(err)
	}
	s.reopen()
	r = s.Resources()
	wantModel("a model after a reopen", v.ARN, big)
	wantModel("another version's model after a reopen", next.ARN, small)
	missing := versionARN(sol.ARN, "missing")
	wantMissing(t, "the model of a missing version", getModel, missing)
}

// testClaimJobByKind: ClaimJob hands out only the kinds it is asked for,
// the one created first first across them: a solution version in
// training under KindSolutionVersion alone, a data job under its own
// kind alone; with no kind named, every kind; a kind that names no job,
// none. A version that is not, or no longer, in training is never
// claimed.
func testClaimJobByKind(t *testing.T, h Harness) {
	// setup stores the data jobs of jobsToLease and versions in every
	// status, and returns every claimable ARN by creation time.
	setup := func(t *testing.T) (*store, map[string]string) {
		s := openFresh(t, h)
		jobs := jobsToLease(t, s) // created at 1000, 2000 and 3000
		sol := s.solution(&perch.DatasetGroup{ARN: arn("dataset-group/g")}, "sol")
		for i, status := range []string{perch.StatusActive, perch.StatusCreateFailed, perch.StatusCreateStopped} {
			s.version(sol, status, status, perch.Timestamp(100*(i+1)))
		}
		arns := map[string]string{
			"stopping": s.version(sol, "stopping", perch.StatusCreateStopping, 500).ARN,
			"pending":  s.version(sol, "pending", perch.StatusCreatePending, 1500).ARN,
			"training": s.version(sol, "training", perch.StatusCreateInProgress, 2500).ARN,
			"deletion": jobs[0], "import": jobs[1], "export": jobs[2],
		}
		return s, arns
	}
	claims := func(t *testing.T, s *store, arns map[string]string, kinds []string, want ...string) {
		t.Helper()
		var got []string
		for range len(want) + 1 {
			arn, err := s.Resources().ClaimJob(t.Context(), "w", time.Minute, kinds...)
			if err != nil {
				t.Fatal(err)
			}
			name := arn
			for n, a := range arns {
				if a == arn {
					name = n
				}
			}
			got = append(got, name)
		}
		if !slices.Equal(got, append(want, "")) {
			t.Errorf("claims of %q gave %q, want %q and then none", kinds, got, want)
		}
	}
	t.Run("one kind at a time", func(t *testing.T) {
		s, arns := setup(t)
		claims(t, s, arns, []string{"no-such-kind"})
		claims(t, s, arns, []string{perch.KindSolutionVersion}, "stopping", "pending", "training")
		claims(t, s, arns, []string{perch.KindDatasetImportJob}, "import")
		claims(t, s, arns, []string{perch.KindDatasetExportJob}, "export")
		claims(t, s, arns, []string{perch.KindDataDeletionJob}, "deletion")

		// A version that finishes lets its lease go and is not claimed
		// again.
		ctx, r := t.Context(), s.Resources()
		v, err := r.SolutionVersion(ctx, arns["training"])
		if err != nil {
			t.Fatal(err)
		}
		v.Status = perch.StatusActive
		if err := r.UpdateSolutionVersion(ctx, v, "w"); err != nil {
			t.Fatal(err)
		}
		claims(t, s, arns, allKinds)
	})
	t.Run("several kinds", func(t *testing.T) {
		s, arns := setup(t)
		claims(t, s, arns, []string{perch.KindDatasetExportJob, perch.KindSolutionVersion, "no-such-kind"},
			"stopping", "pending", "training", "export")
		claims(t, s, arns, []string{perch.KindDataDeletionJob, perch.KindDatasetImportJob}, "deletion", "import")
	})
	t.Run("every kind named", func(t *testing.T) {
		s, arns := setup(t)
		claims(t, s, arns, allKinds, "stopping", "deletion", "pending", "import", "training", "export")
	})
	t.Run("no kind named", func(t *testing.T) {
		s, arns := setup(t)
		claims(t, s, arns, nil, "stopping", "deletion", "pending", "import", "training", "export")
	})
}

// testCampaignRules: a campaign needs the version it serves stored
// (ResourceNotFoundException naming it) and ACTIVE
// (ResourceInUseException naming it), that version being its own or,
// for its solution's $LATEST, one of its solution's in its group
// (InvalidInputException otherwise); a dataset group has at most the
// quota of campaigns (LimitExceededException), another group's do not
// count; a taken ARN. A refused campaign is not stored.
func testCampaignRules(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	const quota = 2
	g, h2 := s.group(account, "g", ""), s.group(account, "h", "")
	sol, sibling, inH := s.solution(g, "sol"), s.solution(g, "sibling"), s.solution(h2, "inh")
	v, v2 := s.version(sol, "v", perch.StatusActive, 1), s.version(sol, "v2", perch.StatusActive, 1)
	training := s.version(sol, "training", perch.StatusCreateInProgress, 2)
	ofSibling := s.version(sibling, "s", perch.StatusActive, 3)
	ofH := s.version(inH, "h", perch.StatusActive, 4)
	create := func(c *perch.Campaign, served string) error { return r.CreateCampaign(ctx, c, served, quota) }

	missing := versionARN(sol.ARN, "missing")
	wantError(t, "CreateCampaign of a missing version", create(newCampaign(v, "c", missing), missing), perch.EResourceNotFound, missing)
	latest := sol.ARN + "/$LATEST"
	wantError(t, "CreateCampaign of $LATEST served by a missing version", create(newCampaign(v, "c", latest), missing),
		perch.EResourceNotFound, missing)
	wantError(t, "CreateCampaign of a version in training", create(newCampaign(training, "c", training.ARN), training.ARN),
		perch.EResourceInUse, training.ARN)
	wantError(t, "CreateCampaign of $LATEST served by a version in training", create(newCampaign(v, "c", latest), training.ARN),
		perch.EResourceInUse, training.ARN)
	otherGroup := newCampaign(ofSibling, "c", ofSibling.ARN)
	otherGroup.GroupARN = h2.ARN
	for what, c := range map[string]struct {
		c      *perch.Campaign
		served string
	}{
		"a version it does not name":                 {newCampaign(v, "c", v.ARN), v2.ARN},
		"$LATEST with another solution's version":    {newCampaign(v, "c", latest), ofSibling.ARN},
		"a version of another solution than its own": {newCampaign(v, "c", ofSibling.ARN), ofSibling.ARN},
		"a version of another group than its own":    {otherGroup, ofSibling.ARN},
	} {
		wantError(t, "CreateCampaign serving "+what, create(c.c, c.served), perch.EInvalidInput, c.c.ARN)
	}
	if list, err := r.Campaigns(ctx); err != nil || len(list) != 0 {
		t.Fatalf("Campaigns after refused creates = %+v, %v; want none", list, err)
	}

	c1 := newCampaign(v, "c1", latest)
	if err := create(c1, v.ARN); err != nil {
		t.Fatalf("CreateCampaign of $LATEST: %v", err)
	}
	if got, err := r.Campaign(ctx, c1.ARN); err != nil || !reflect.DeepEqual(got, c1) {
		t.Errorf("the campaign of $LATEST = %+v, %v; want %+v, $LATEST kept", got, err, c1)
	}
	if err := create(newCampaign(ofSibling, "c2", ofSibling.ARN), ofSibling.ARN); err != nil {
		t.Fatalf("CreateCampaign within the group's quota: %v", err)
	}
	wantError(t, "CreateCampaign past the group's quota", create(newCampaign(v, "c3", v.ARN), v.ARN), perch.ELimitExceeded)
	if err := create(newCampaign(ofH, "h1", ofH.ARN), ofH.ARN); err != nil {
		t.Errorf("CreateCampaign in another group: %v", err)
	}
	wantError(t, "CreateCampaign of a taken ARN", create(newCampaign(ofH, "c1", ofH.ARN), ofH.ARN), perch.EResourceAlreadyExists, c1.ARN)
	if err := r.DeleteCampaign(ctx, c1.ARN); err != nil {
		t.Fatal(err)
	}
	if err := create(newCampaign(v, "c3", v.ARN), v.ARN); err != nil {
		t.Errorf("CreateCampaign once a deletion made room: %v", err)
	}
	if list, err := r.Campaigns(ctx); err != nil || len(list) != 3 {
		t.Errorf("Campaigns = %d, %v; want the 3 kept", len(list), err)
	}
}

// testUpdateCampaignRules: an update needs the version served stored
// (ResourceNotFoundException) and ACTIVE (ResourceInUseException naming
// it); it may not move the campaign to another group's version
// (InvalidInputException naming the campaign), nor update one that is
// not ACTIVE or CREATE FAILED (ResourceInUseException naming it); a
// refused update changes nothing. A campaign moved to another solution
// no longer holds its old one.
func testUpdateCampaignRules(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	g, h2 := s.group(account, "g", ""), s.group(account, "h", "")
	sol, sibling, inH := s.solution(g, "sol"), s.solution(g, "sibling"), s.solution(h2, "inh")
	v, newer := s.version(sol, "v", perch.StatusActive, 1), s.version(sol, "newer", perch.StatusActive, 2)
	training := s.version(sol, "training", perch.StatusCreatePending, 3)
	ofSibling, ofH := s.version(sibling, "s", perch.StatusActive, 4), s.version(inH, "h", perch.StatusActive, 5)
	c := s.campaign(v, "c")
	get := func(arn string) (*perch.Campaign, error) { return r.Campaign(ctx, arn) }

	to := func(version *perch.SolutionVersion) *perch.Campaign {
		u := *c
		u.SolutionVersionARN, u.SolutionARN, u.GroupARN, u.Updated = version.ARN, version.SolutionARN, version.GroupARN, c.Updated+1
		return &u
	}
	missing := versionARN(sol.ARN, "missing")
	gone := *c
	gone.SolutionVersionARN = missing
	wantError(t, "UpdateCampaign to a missing version", r.UpdateCampaign(ctx, &gone, missing), perch.EResourceNotFound, missing)
	wantError(t, "UpdateCampaign to a version in training", r.UpdateCampaign(ctx, to(training), training.ARN),
		perch.EResourceInUse, training.ARN)
	wantError(t, "UpdateCampaign to another group's version", r.UpdateCampaign(ctx, to(ofH), ofH.ARN), perch.EInvalidInput, c.ARN)
	wantError(t, "UpdateCampaign serving a version it does not name", r.UpdateCampaign(ctx, to(newer), v.ARN), perch.EInvalidInput, c.ARN)
	wantStored(t, "the campaign after refused updates", get, c.ARN, c)

	latest := to(newer)
	latest.SolutionVersionARN = sol.ARN + "/$LATEST"
	if err := r.UpdateCampaign(ctx, latest, newer.ARN); err != nil {
		t.Fatalf("UpdateCampaign to $LATEST: %v", err)
	}
	wantStored(t, "the campaign updated to $LATEST", get, c.ARN, latest)
	moved := to(ofSibling)
	if err := r.UpdateCampaign(ctx, moved, ofSibling.ARN); err != nil {
		t.Fatalf("UpdateCampaign to another solution of the group: %v", err)
	}
	wantStored(t, "the campaign moved to another solution", get, c.ARN, moved)
	wantError(t, "DeleteSolution of the solution the campaign serves now", r.DeleteSolution(ctx, sibling.ARN),
		perch.EResourceInUse, sibling.ARN, c.ARN)
	if err := r.StopSolutionVersion(ctx, training.ARN); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteSolution(ctx, sol.ARN); err != nil {
		t.Errorf("DeleteSolution of the solution the campaign served before: %v", err)
	}

	for i, status := range []string{perch.StatusCreatePending, perch.StatusCreateInProgress, perch.StatusDeletePending} {
		stuck := newCampaign(ofSibling, fmt.Sprint("stuck-", i), ofSibling.ARN)
		stuck.Status = status
		if err := r.CreateCampaign(ctx, stuck, ofSibling.ARN, roomy); err != nil {
			t.Fatal(err)
		}
		next := *stuck
		next.MinProvisionedTPS = 9
		wantError(t, "UpdateCampaign of a campaign "+status, r.UpdateCampaign(ctx, &next, ofSibling.ARN), perch.EResourceInUse, stuck.ARN)
		wantStored(t, "a campaign refused an update", get, stuck.ARN, stuck)
	}
	failed := newCampaign(ofSibling, "failed", ofSibling.ARN)
	failed.Status = perch.StatusCreateFailed
	if err := r.CreateCampaign(ctx, failed, ofSibling.ARN, roomy); err != nil {
		t.Fatal(err)
	}
	failed.Status, failed.MinProvisionedTPS = perch.StatusActive, 3
	if err := r.UpdateCampaign(ctx, failed, ofSibling.ARN); err != nil {
		t.Errorf("UpdateCampaign of a campaign CREATE FAILED: %v", err)
	}
}
