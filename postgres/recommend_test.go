package postgres

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/internal/pgtest"
)

// trainedVersion creates group g's solution sol and its version, claimed
// by owner, with a model: what a training worker holds.
func trainedVersion(t testing.TB, s *Store, owner string) *perch.SolutionVersion {
	t.Helper()
	ctx, r := context.Background(), s.Resources()
	g := &perch.DatasetGroup{ARN: arn("dataset-group/g"), Name: "g", Status: perch.StatusActive}
	if err := r.CreateDatasetGroup(ctx, g, 100); err != nil {
		t.Fatal(err)
	}
	sol := &perch.Solution{ARN: arn("solution/sol"), Name: "sol", GroupARN: g.ARN, Status: perch.StatusActive}
	if err := r.CreateSolution(ctx, sol, 100); err != nil {
		t.Fatal(err)
	}
	v := &perch.SolutionVersion{ARN: sol.ARN + "/0000000a", SolutionARN: sol.ARN, GroupARN: g.ARN, Status: perch.StatusCreatePending}
	if err := r.CreateSolutionVersion(ctx, v, 100); err != nil {
		t.Fatal(err)
	}
	if got, err := r.ClaimJob(ctx, owner, time.Hour, perch.KindSolutionVersion); err != nil || got != v.ARN {
		t.Fatalf("ClaimJob = %q, %v; want %s", got, err, v.ARN)
	}
	return v
}

// TestWatchRecommendations: every change of the recommendation side's
// resources on one node, models included, calls the watcher of another.
func TestWatchRecommendations(t *testing.T) {
	url := pgtest.Database(t)
	a, b := open(t, url, Options{}), open(t, url, Options{})
	changed, calls := notifications()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	if err := b.Shared().WatchResources(ctx, changed); err != nil {
		t.Fatal(err)
	}
	r := a.Resources()
	v := trainedVersion(t, a, "w")
	wantCall(t, calls, "a solution version was created")
	drain(calls)
	c := &perch.Campaign{ARN: arn("campaign/c"), Name: "c", SolutionVersionARN: v.ARN, Status: perch.StatusActive,
		SolutionARN: v.SolutionARN, GroupARN: v.GroupARN}
	for _, step := range []struct {
		what   string
		change func() error
	}{
		{"PutModel", func() error { return r.PutModel(ctx, v.ARN, []byte("model"), "w") }},
		{"UpdateSolutionVersion", func() error { v.Status = perch.StatusActive; return r.UpdateSolutionVersion(ctx, v, "w") }},
		{"CreateCampaign", func() error { return r.CreateCampaign(ctx, c, v.ARN, 10) }},
		{"UpdateCampaign", func() error { c.MinProvisionedTPS = 2; return r.UpdateCampaign(ctx, c, v.ARN) }},
		{"DeleteCampaign", func() error { return r.DeleteCampaign(ctx, c.ARN) }},
		{"StopSolutionVersion", func() error {
			w := &perch.SolutionVersion{ARN: v.SolutionARN + "/0000000b", SolutionARN: v.SolutionARN, GroupARN: v.GroupARN,
				Status: perch.StatusCreatePending}
			if err := r.CreateSolutionVersion(ctx, w, 10); err != nil {
				return err
			}
			wantCall(t, calls, "a second version was created")
			drain(calls)
			return r.StopSolutionVersion(ctx, w.ARN)
		}},
		{"UpdateSolution", func() error {
			sol, err := r.Solution(ctx, v.SolutionARN)
			if err != nil {
				return err
			}
			sol.PerformAutoTraining = true
			return r.UpdateSolution(ctx, sol)
		}},
		{"DeleteSolution", func() error { return r.DeleteSolution(ctx, v.SolutionARN) }},
	} {
		if err := step.change(); err != nil {
			t.Fatalf("%s: %v", step.what, err)
		}
		wantCall(t, calls, step.what)
		drain(calls)
	}
}

// TestRecommendationConstraints: the tables refuse, by themselves, what
// the rules keep out: a solution deleted under its versions, a version
// deleted under the campaign it serves or its model, a version whose ARN
// is not its solution's, a campaign of a version not stored.
func TestRecommendationConstraints(t *testing.T) {
	url := pgtest.Database(t)
	s := open(t, url, Options{})
	ctx := t.Context()
	v := trainedVersion(t, s, "w")
	if err := s.Resources().PutModel(ctx, v.ARN, []byte("model"), "w"); err != nil {
		t.Fatal(err)
	}
	v.Status = perch.StatusActive
	if err := s.Resources().UpdateSolutionVersion(ctx, v, "w"); err != nil {
		t.Fatal(err)
	}
	c := &perch.Campaign{ARN: arn("campaign/c"), Name: "c", SolutionVersionARN: v.ARN, Status: perch.StatusActive,
		SolutionARN: v.SolutionARN, GroupARN: v.GroupARN}
	if err := s.Resources().CreateCampaign(ctx, c, v.ARN, 10); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, c := range []struct {
		sql, code string
		args      []any
	}{
		{"DELETE FROM solutions WHERE arn = $1", "23503", []any{v.SolutionARN}},
		{"DELETE FROM campaigns; DELETE FROM solution_versions", "23503", nil},
		{"DELETE FROM models; DELETE FROM solution_versions", "23503", nil},
		{"DELETE FROM dataset_groups", "23503", nil},
		{`INSERT INTO solution_versions (arn, scope, solution_arn, training, created, doc)
			VALUES ($1 || '/0000000A', 's', $1, false, 0, '{}')`, "23514", []any{v.SolutionARN}},
		{`INSERT INTO solution_versions (arn, scope, solution_arn, training, created, doc)
			VALUES ($1 || 'x/0000000a', 's', $1, false, 0, '{}')`, "23514", []any{v.SolutionARN}},
		{`INSERT INTO campaigns (arn, scope, group_arn, solution_arn, served_arn, created, doc)
			VALUES ('x', 's', $1, $2, $2 || '/0000000f', 0, '{}')`, "23503", []any{v.GroupARN, v.SolutionARN}},
	} {
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tx.Exec(ctx, c.sql, c.args...)
		if pgCode(err) != c.code {
			t.Errorf("%s: %v, want SQLSTATE %s", c.sql, err, c.code)
		}
		_ = tx.Rollback(ctx)
	}
}

// BenchmarkModel puts and reads back models of a few sizes, of random
// bytes, as a trained model's floats are to a compressor.
func BenchmarkModel(b *testing.B) {
	for _, size := range []int{1 << 20, 32 << 20} {
		s, err := Open(b.Context(), pgtest.Database(b), Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		v := trainedVersion(b, s, "w")
		model := make([]byte, size)
		_, _ = rand.Read(model)
		b.Run(fmt.Sprintf("put/%dMiB", size>>20), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				if err := s.Resources().PutModel(b.Context(), v.ARN, model, "w"); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("get/%dMiB", size>>20), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := s.Resources().Model(b.Context(), v.ARN); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
