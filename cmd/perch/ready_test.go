package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/perchdev/perch/internal/pgtest"
	"github.com/perchdev/perch/internal/testenv"
)

// probe is one answer of a health or readiness probe.
type probe struct {
	status  int
	code    string // X-Amzn-ErrorType
	message string
}

func getProbe(t *testing.T, endpoint, name string) probe {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(endpoint + "/_perch/" + name)
	if err != nil {
		t.Fatalf("GET /_perch/%s: %v", name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	p := probe{status: resp.StatusCode, code: resp.Header.Get("X-Amzn-ErrorType")}
	if p.code != "" {
		var envelope struct {
			Message string `json:"message"`
		}
		if err := json.Unmarshal(body, &envelope); err != nil {
			t.Fatalf("/_perch/%s answered %q: %v", name, body, err)
		}
		p.message = envelope.Message
	}
	return p
}

// waitProbe waits up to limit for the probe name to answer status.
func waitProbe(t *testing.T, endpoint, name string, status int, limit time.Duration) probe {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		p := getProbe(t, endpoint, name)
		if p.status == status {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("/_perch/%s answered %d %s %q for %v, want %d", name, p.status, p.code, p.message, limit, status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestReadyFollowsPostgres serves from a PostgreSQL server that is then
// stopped and started again, with no other traffic: the readiness probe
// fails while the database is down and passes once it is back; the
// liveness probe passes throughout; both need no signature.
func TestReadyFollowsPostgres(t *testing.T) {
	if why := pgtest.Missing(); why != "" {
		testenv.Missing(t, why)
	}
	db := pgtest.NewServer(t)
	s := startServer(t, t.TempDir(), "--store", db.Database(t), "--auth", "sigv4", "--credentials", writeFile(t, "credentials", serveCredentials))
	if p := getProbe(t, s.endpoint, "ready"); p.status != http.StatusOK {
		t.Fatalf("ready with the database up: %+v", p)
	}

	db.Stop(t)
	p := waitProbe(t, s.endpoint, "ready", http.StatusServiceUnavailable, 15*time.Second)
	if p.code != "ServiceUnavailable" || !strings.HasPrefix(p.message, "Not ready: The database is unavailable") {
		t.Errorf("ready with the database stopped: %+v", p)
	}
	if p := getProbe(t, s.endpoint, "health"); p.status != http.StatusOK {
		t.Errorf("health with the database stopped: %+v", p)
	}

	db.Start(t)
	waitProbe(t, s.endpoint, "ready", http.StatusOK, 30*time.Second)
}
