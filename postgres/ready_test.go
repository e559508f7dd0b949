package postgres

import (
	"testing"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/internal/pgtest"
)

// TestReadyWhenTheDatabaseStops: an idle store learns from Ready that its
// database is gone (no call of its own fails to tell it), and Stats and
// every call see it too; once the database is back, Ready passes again.
func TestReadyWhenTheDatabaseStops(t *testing.T) {
	srv := pgtest.NewServer(t)
	s := open(t, srv.Database(t), Options{})
	ctx := t.Context()

	if err := s.Ready(ctx); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	srv.Stop(t)
	// The last ping stands for up to a second; then Ready pings again.
	var err error
	waitUntil(t, 10*time.Second, "Ready to fail with the database stopped", func() bool {
		err = s.Ready(ctx)
		return err != nil
	})
	if perch.ErrorCode(err) != perch.EServiceUnavailable {
		t.Fatalf("Ready with the database stopped = %v, want ServiceUnavailable", err)
	}
	if s.Stats().Available {
		t.Error("Stats: available after Ready found the database stopped")
	}
	if _, err := s.Resources().DatasetGroups(ctx); perch.ErrorCode(err) != perch.EServiceUnavailable {
		t.Errorf("a call after Ready found the database stopped = %v, want ServiceUnavailable at once", err)
	}

	srv.Start(t)
	waitUntil(t, 30*time.Second, "Ready to pass with the database back", func() bool { return s.Ready(ctx) == nil })
	if !s.Stats().Available {
		t.Error("Stats: unavailable once Ready passes again")
	}
}

func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
