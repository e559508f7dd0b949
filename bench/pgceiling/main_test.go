package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/perchdev/perch/internal/pgtest"
)

// TestCeiling runs the tool for a second against a database of its own,
// with one store and with two, and checks its report against what the
// database holds: every event of every call it counts as committed, the
// repeated eventIds marked as duplicates, and the passes over its calls
// after the first storing fresh originals.
func TestCeiling(t *testing.T) {
	for _, stores := range []string{"1", "2"} {
		t.Run("stores="+stores, func(t *testing.T) { testCeiling(t, stores) })
	}
}

func testCeiling(t *testing.T, stores string) {
	db := pgtest.Database(t)
	var out, errOut bytes.Buffer
	// 40 calls for 4 committers: each goes over its 10 calls more than once.
	err := run(context.Background(), []string{"--store", db, "--stores", stores, "--committers", "4", "--calls", "40",
		"--warmup", "0s", "--duration", "1s", "--json"}, &out, &errOut)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if rep.OK == 0 || rep.OK != rep.Requests || len(rep.Errors) != 0 || rep.Groups == 0 || rep.Latency.P50 <= 0 || fmt.Sprint(rep.Stores) != stores {
		t.Fatalf("report %+v; want calls committed without errors", rep)
	}
	if rep.EventsSent != rep.OK*10 || rep.OK <= 40 || rep.DuplicateEventsSent == 0 {
		t.Errorf("%d events sent (%d repeated) in %d calls; want 10 a call, some repeated, and more calls than the 40 made", rep.EventsSent, rep.DuplicateEventsSent, rep.OK)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var stored, duplicates, originals int64
	if err := conn.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE duplicate), count(DISTINCT event_id) FROM events`).
		Scan(&stored, &duplicates, &originals); err != nil {
		t.Fatal(err)
	}
	if stored != rep.EventsSent || duplicates != rep.DuplicateEventsSent || originals != stored-duplicates {
		t.Errorf("the database holds %d events, %d duplicates, %d distinct eventIds; the report sent %d events, %d of them repeated",
			stored, duplicates, originals, rep.EventsSent, rep.DuplicateEventsSent)
	}
}

// lockedBuffer is a buffer that a running tool writes while a test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestHold: with --hold the stores' connections stay open after the
// report, for a script to read the database's processes, until the tool
// is told to stop.
func TestHold(t *testing.T) {
	db := pgtest.Database(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--store", db, "--stores", "2", "--committers", "2", "--calls", "4",
			"--warmup", "0s", "--duration", "200ms", "--hold"}, &out, &errOut)
	}()
	for !strings.Contains(errOut.String(), "pgceiling: measured") {
		select {
		case err := <-done:
			t.Fatalf("pgceiling ended before holding: %v\n%s", err, errOut.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	conn, err := pgx.Connect(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	perchConns := func() (n int) {
		err := conn.QueryRow(context.Background(),
			`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'perch'`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := perchConns(); n < 2 {
		t.Errorf("%d connections of the stores open while holding; want the two writers' at least", n)
	}
	if !strings.Contains(out.String(), "calls") {
		t.Errorf("no report before holding: %q", out.String())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("pgceiling, stopped while holding: %v", err)
	}
	// A backend ends a moment after its client closes the connection.
	deadline := time.Now().Add(10 * time.Second)
	for perchConns() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := perchConns(); n > 0 {
		t.Errorf("%d connections of the stores still open after pgceiling ended", n)
	}
}
