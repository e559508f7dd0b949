package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/internal/pgtest"
)

// The store's own tests: what the contract (contract_test.go) does not
// say, because it is PostgreSQL's: migrations, several nodes on one
// database, notifications, an unavailable database.

const account = "000000000000"

func arn(resource string) string { return "arn:aws:personalize:us-east-1:" + account + ":" + resource }

func open(t *testing.T, url string, opts Options) *Store {
	t.Helper()
	s, err := Open(t.Context(), url, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// dataset creates a dataset of type typ named name, with its group and
// schema.
func dataset(t *testing.T, s *Store, name string, typ perch.DatasetType) *perch.Dataset {
	t.Helper()
	ctx, r := t.Context(), s.Resources()
	g := &perch.DatasetGroup{ARN: arn("dataset-group/" + name), Name: name, Status: perch.StatusActive}
	if err := r.CreateDatasetGroup(ctx, g, 100); err != nil {
		t.Fatal(err)
	}
	sc := &perch.Schema{ARN: arn("schema/" + name), Name: name, Definition: `{"type": "record"}`}
	if err := r.CreateSchema(ctx, sc, 100); err != nil {
		t.Fatal(err)
	}
	id, err := r.NextDatasetID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := &perch.Dataset{ARN: arn("dataset/" + name + "/" + string(typ)), Name: name, GroupARN: g.ARN, Type: typ,
		SchemaARN: sc.ARN, Status: perch.StatusActive, ID: id}
	if typ == perch.ActionInteractions {
		d.TrackingID = "tracking-" + name
	}
	if err := r.CreateDataset(ctx, d); err != nil {
		t.Fatal(err)
	}
	return d
}

func event(id, user string) perch.Event {
	return perch.Event{EventID: id, EventType: "click", ItemID: "item-" + id, UserID: user, SessionID: "s", SentAt: 1700000000000}
}

func events(t *testing.T, s *Store, d *perch.Dataset) []perch.Event {
	t.Helper()
	var got []perch.Event
	if err := s.Events(t.Context(), d.ID, perch.RecordQuery{}, func(e *perch.Event) error {
		got = append(got, *e)
		return nil
	}); err != nil {
		t.Fatalf("Events: %v", err)
	}
	return got
}

// TestConcurrentOpen opens one fresh database from several goroutines at
// once, as nodes starting together do: each migration runs once, under
// the advisory lock, and every store opens.
func TestConcurrentOpen(t *testing.T) {
	url := pgtest.Database(t)
	const nodes = 8
	stores := make([]*Store, nodes)
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Go(func() { stores[i], errs[i] = Open(t.Context(), url, Options{}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("node %d: Open: %v", i, err)
			continue
		}
		defer stores[i].Close()
	}
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var applied, versions int
	if err := conn.QueryRow(t.Context(), "SELECT count(*), count(DISTINCT version_id) FROM "+versionTable+" WHERE version_id > 0").
		Scan(&applied, &versions); err != nil {
		t.Fatal(err)
	}
	if applied != versions || versions < 1 {
		t.Errorf("%d migrations recorded for %d versions, want each once", applied, versions)
	}
	if t.Failed() {
		return
	}
	d := dataset(t, stores[0], "g", perch.Interactions)
	if err := stores[nodes-1].Commit(t.Context(), &perch.Batch{Dataset: d, Events: []perch.Event{event("e1", "u")}}); err != nil {
		t.Fatalf("Commit on another node: %v", err)
	}
}

// TestNewerSchemaRefused: a database migrated by a newer build is refused,
// naming both versions, and left as it is.
func TestNewerSchemaRefused(t *testing.T) {
	url := pgtest.Database(t)
	s, err := Open(t.Context(), url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var newest int64
	if err := conn.QueryRow(t.Context(), "SELECT max(version_id) FROM "+versionTable).Scan(&newest); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(t.Context(), "INSERT INTO "+versionTable+" (version_id, is_applied) VALUES ($1, true)", newest+998); err != nil {
		t.Fatal(err)
	}
	_, err = Open(t.Context(), url, Options{})
	if err == nil {
		t.Fatal("Open of a database with a newer schema succeeded")
	}
	for _, want := range []string{fmt.Sprint(newest + 998), fmt.Sprint(newest), "newer"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open: %v; the error does not say %q", err, want)
		}
	}
}

// TestURL: only postgres:// and postgresql:// URLs are taken; the URL's
// pool settings hold.
func TestURL(t *testing.T) {
	if _, err := Open(t.Context(), "mysql://localhost/db", Options{}); err == nil {
		t.Error("Open of a mysql:// URL succeeded")
	}
	url := pgtest.Database(t)
	s := open(t, strings.Replace(url, "postgres://", "postgresql://", 1)+"&pool_max_conns=3", Options{})
	if got := s.pool.Config().MaxConns; got != 3 {
		t.Errorf("pool size %d, want the URL's 3", got)
	}
	if got := open(t, url, Options{}).pool.Config().MaxConns; got != defaultMaxConns {
		t.Errorf("pool size %d, want %d", got, defaultMaxConns)
	}
}

// notifications returns a changed func for WatchResources and the
// channel its calls arrive on.
func notifications() (func(), chan struct{}) {
	ch := make(chan struct{}, 1000)
	return func() { ch <- struct{}{} }, ch
}

func wantCall(t *testing.T, ch chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(20 * time.Second):
		t.Fatalf("no call of changed within 20 s after %s", what)
	}
}

func drain(ch chan struct{}) {
	for {
		select {
		case <-ch:
		case <-time.After(200 * time.Millisecond):
			return
		}
	}
}

// TestWatchResources: a change of resources on one node calls the
// watcher of another; a refused change does not; after its connection is
// cut, the watcher reconnects, calls changed once for what it may have
// missed, and hears of changes again.
func TestWatchResources(t *testing.T) {
	url := pgtest.Database(t)
	a, b := open(t, url, Options{}), open(t, url, Options{})
	changed, calls := notifications()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	if err := b.Shared().WatchResources(ctx, changed); err != nil {
		t.Fatal(err)
	}
	g := &perch.DatasetGroup{ARN: arn("dataset-group/g"), Name: "g", Status: perch.StatusActive}
	if err := a.Resources().CreateDatasetGroup(t.Context(), g, 100); err != nil {
		t.Fatal(err)
	}
	wantCall(t, calls, "a create on another node")
	drain(calls)

	if err := a.Resources().CreateDatasetGroup(t.Context(), g, 100); perch.ErrorCode(err) != perch.EResourceAlreadyExists {
		t.Fatalf("second create = %v", err)
	}
	select {
	case <-calls:
		t.Error("changed was called for a refused change")
	case <-time.After(500 * time.Millisecond):
	}

	// Cut the watcher's connection from the server's side.
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var cut int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN%') AS t`).Scan(&cut); err != nil || cut != 1 {
		t.Fatalf("terminated %d listening connections (%v), want 1", cut, err)
	}
	wantCall(t, calls, "the watcher's connection was cut")
	drain(calls)
	if err := a.Resources().DeleteDatasetGroup(t.Context(), g.ARN); err != nil {
		t.Fatal(err)
	}
	wantCall(t, calls, "a delete after the watcher reconnected")

	// Once its context ends, the watcher stops and lets its connection go.
	cancel()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var listening int
		if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND query LIKE 'LISTEN%'`).Scan(&listening); err != nil {
			t.Fatal(err)
		}
		if listening == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the watcher still listens 10 s after its context ended")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestTrackedBy finds, from another node, the tracker and the Action
// interactions dataset of a tracking id.
func TestTrackedBy(t *testing.T) {
	url := pgtest.Database(t)
	a, b := open(t, url, Options{}), open(t, url, Options{})
	ctx := t.Context()
	actions := dataset(t, a, "g", perch.ActionInteractions)
	tracker := &perch.EventTracker{ARN: arn("event-tracker/t1"), Name: "t", AccountID: account, TrackingID: "uuid-1",
		GroupARN: actions.GroupARN, Status: perch.StatusActive}
	if err := a.Resources().CreateEventTracker(ctx, tracker); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"uuid-1": tracker.ARN, actions.TrackingID: actions.ARN} {
		if got, err := b.Shared().TrackedBy(ctx, id); err != nil || got != want {
			t.Errorf("TrackedBy(%s) = %q, %v; want %s", id, got, err, want)
		}
	}
	if _, err := b.Shared().TrackedBy(ctx, "unknown"); perch.ErrorCode(err) != perch.EResourceNotFound {
		t.Errorf("TrackedBy of an unknown id = %v, want %s", err, perch.EResourceNotFound)
	}
}

// TestSameEventIDOnTwoNodes: two nodes commit events of one eventId at
// once, round after round: each eventId has exactly one original, read
// the same from either node.
func TestSameEventIDOnTwoNodes(t *testing.T) {
	url := pgtest.Database(t)
	nodes := []*Store{open(t, url, Options{}), open(t, url, Options{})}
	d := dataset(t, nodes[0], "g", perch.Interactions)
	const rounds, perNode = 100, 4
	var wg sync.WaitGroup
	errs := make(chan error, rounds*len(nodes)*perNode)
	for round := range rounds {
		var start sync.WaitGroup
		start.Add(1)
		for n, s := range nodes {
			for c := range perNode {
				wg.Go(func() {
					start.Wait()
					// Each batch also has an eventId of its own, and the
					// shared one at a different place.
					own := event(fmt.Sprintf("own-%d-%d-%d", round, n, c), "u")
					shared := event(fmt.Sprintf("shared-%d", round), "u")
					evs := []perch.Event{own, shared}
					if c%2 == 1 {
						evs = []perch.Event{shared, own}
					}
					errs <- s.Commit(t.Context(), &perch.Batch{Dataset: d, Events: evs})
				})
			}
		}
		start.Done()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Commit: %v", err)
		}
	}
	for i, s := range nodes {
		originals := map[string]int{}
		got := events(t, s, d)
		if len(got) != rounds*len(nodes)*perNode*2 {
			t.Fatalf("node %d reads %d events, want %d", i, len(got), rounds*len(nodes)*perNode*2)
		}
		seen := map[string]bool{}
		for _, e := range got {
			if !e.Duplicate {
				originals[e.EventID]++
			}
			if !seen[e.EventID] && e.Duplicate && strings.HasPrefix(e.EventID, "own-") {
				t.Errorf("%s is a duplicate of nothing", e.EventID)
			}
			seen[e.EventID] = true
		}
		for round := range rounds {
			if n := originals[fmt.Sprintf("shared-%d", round)]; n != 1 {
				t.Errorf("node %d: shared-%d has %d originals, want 1", i, round, n)
			}
		}
	}
}

// TestGroupCommit: many committers at once share transactions, and every
// record is stored and counted.
func TestGroupCommit(t *testing.T) {
	s := open(t, pgtest.Database(t), Options{})
	d := dataset(t, s, "g", perch.Interactions)
	const committers, batches, perBatch = 64, 20, 10
	var wg sync.WaitGroup
	var failed atomic.Int64
	for c := range committers {
		wg.Go(func() {
			for b := range batches {
				evs := make([]perch.Event, perBatch)
				for i := range evs {
					evs[i] = event(fmt.Sprintf("%d-%d-%d", c, b, i), fmt.Sprint(c))
				}
				if err := s.Commit(t.Context(), &perch.Batch{Dataset: d, Events: evs}); err != nil {
					t.Error(err)
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	st := s.Stats()
	if st.Batches != committers*batches || st.Records != committers*batches*perBatch || st.FailedCommits != 0 {
		t.Errorf("stats: %d batches, %d records, %d failed commits; want %d, %d, 0",
			st.Batches, st.Records, st.FailedCommits, committers*batches, committers*batches*perBatch)
	}
	if st.Commits >= st.Batches {
		t.Errorf("%d commits for %d batches: no two batches shared a transaction", st.Commits, st.Batches)
	}
	if st.QueueWait.Count() != st.Batches || st.CommitDuration.Count() != st.Commits || !st.Available || st.QueueCapacity != 4096 {
		t.Errorf("stats: %+v", st)
	}
	if n := len(events(t, s, d)); n != committers*batches*perBatch {
		t.Errorf("%d events stored, want %d", n, committers*batches*perBatch)
	}
	t.Logf("%d batches in %d transactions", st.Batches, st.Commits)
}

// TestQueueFull: with the writer's queue full, Commit answers ErrBusy at
// once and stores nothing.
func TestQueueFull(t *testing.T) {
	s := open(t, pgtest.Database(t), Options{QueueDepth: 1})
	d := dataset(t, s, "g", perch.Interactions)
	// Hold the writer in a group's transaction: its dataset lock waits
	// behind a transaction that locks the dataset's row.
	conn, err := pgx.Connect(t.Context(), s.listenConfig.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	tx, err := conn.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(t.Context(), "SELECT FROM datasets WHERE id = $1 FOR UPDATE", int64(d.ID)); err != nil {
		t.Fatal(err)
	}
	results := make(chan error, 2)
	go func() {
		results <- s.Commit(t.Context(), &perch.Batch{Dataset: d, Events: []perch.Event{event("held", "u")}})
	}()
	// Another session: one in a transaction sees the activity of others
	// as of its transaction's first look.
	watcher, err := pgx.Connect(t.Context(), s.listenConfig.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close(context.Background())
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting int
		if err := watcher.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the writer's group does not wait for the dataset's lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	go func() {
		results <- s.Commit(t.Context(), &perch.Batch{Dataset: d, Events: []perch.Event{event("queued", "u")}})
	}()
	for len(s.queue) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	if err := s.Commit(t.Context(), &perch.Batch{Dataset: d, Events: []perch.Event{event("refused", "u")}}); err != perch.ErrBusy {
		t.Errorf("Commit with the queue full = %v, want ErrBusy", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("ErrBusy took %v", took)
	}
	if err := tx.Rollback(t.Context()); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := <-results; err != nil {
			t.Errorf("Commit: %v", err)
		}
	}
	var ids []string
	for _, e := range events(t, s, d) {
		ids = append(ids, e.EventID)
	}
	if got := strings.Join(ids, " "); got != "held queued" {
		t.Errorf("stored %q, want %q", got, "held queued")
	}
}

// TestDeleteDatasetRacingCommits: commits to a dataset while it is
// deleted either land before the deletion, and go with it, or fail with
// ResourceNotFoundException; nothing of the dataset is left.
func TestDeleteDatasetRacingCommits(t *testing.T) {
	url := pgtest.Database(t)
	nodes := []*Store{open(t, url, Options{}), open(t, url, Options{})}
	d := dataset(t, nodes[0], "g", perch.Interactions)
	items := dataset(t, nodes[0], "h", perch.Items)
	var wg sync.WaitGroup
	var committed, refused atomic.Int64
	stop := make(chan struct{})
	for c := range 8 {
		s := nodes[c%2]
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				err := s.Commit(t.Context(), &perch.Batch{Dataset: d, Events: []perch.Event{event(fmt.Sprintf("%d-%d", c, i), "u"), event("same", "u")}})
				if err == nil {
					err = s.Commit(t.Context(), &perch.Batch{Dataset: items, Entities: []perch.Entity{{ID: fmt.Sprint(i)}}})
				}
				switch perch.ErrorCode(err) {
				case perch.EResourceNotFound:
					refused.Add(1)
				case perch.EInternal:
					if err != nil {
						t.Error(err)
						return
					}
					committed.Add(1)
				default:
					t.Error(err)
					return
				}
			}
		})
	}
	for committed.Load() < 20 {
		time.Sleep(10 * time.Millisecond)
	}
	if err := nodes[1].Resources().DeleteDataset(t.Context(), d.ARN); err != nil {
		t.Fatal(err)
	}
	if err := nodes[0].Resources().DeleteDataset(t.Context(), items.ARN); err != nil {
		t.Fatal(err)
	}
	for refused.Load() < 20 {
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, table := range datasetRecordTables {
		var n int
		if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM "+table+" WHERE dataset_id = ANY($1)",
			[]int64{int64(d.ID), int64(items.ID)}).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d rows of the deleted datasets left in %s", n, table)
		}
	}
	t.Logf("%d commits before the deletions, %d refused after", committed.Load(), refused.Load())
}

// TestUnavailable: while the database is down every call fails at once
// with ServiceUnavailable saying so; the store finds the database again
// by itself, and everything it acknowledged is there.
func TestUnavailable(t *testing.T) {
	srv := pgtest.NewServer(t)
	url := srv.Database(t)
	s := open(t, url, Options{})
	d := dataset(t, s, "g", perch.Interactions)
	ctx := t.Context()

	var (
		mu    sync.Mutex
		acked []string
		kinds = map[string]int{}
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("%d-%d", c, i)
				err := s.Commit(ctx, &perch.Batch{Dataset: d, Events: []perch.Event{event(id, "u")}})
				mu.Lock()
				switch {
				case err == nil:
					acked = append(acked, id)
				case perch.ErrorCode(err) == perch.EServiceUnavailable && strings.Contains(err.Error(), "database is unavailable"):
					if strings.Contains(err.Error(), "may or may not have been stored") {
						kinds["unknown outcome"]++
					} else {
						kinds["unavailable"]++
					}
				default:
					kinds[err.Error()]++
				}
				mu.Unlock()
				if err != nil {
					time.Sleep(5 * time.Millisecond)
				}
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	srv.Stop(t)

	// Once the store has noticed, every call is answered at once.
	deadline := time.Now().Add(10 * time.Second)
	for s.Stats().Available {
		if time.Now().After(deadline) {
			t.Fatal("the store still says it is available 10 s after the database stopped")
		}
		time.Sleep(10 * time.Millisecond)
	}
	calls := map[string]func() error{
		"Commit": func() error {
			return s.Commit(ctx, &perch.Batch{Dataset: d, Events: []perch.Event{event("down", "u")}})
		},
		"Events":  func() error { return s.Events(ctx, d.ID, perch.RecordQuery{}, func(*perch.Event) error { return nil }) },
		"Dataset": func() error { _, err := s.Resources().Dataset(ctx, d.ARN); return err },
		"CreateSchema": func() error {
			return s.Resources().CreateSchema(ctx, &perch.Schema{ARN: arn("schema/x"), Name: "x"}, 100)
		},
		"NextDatasetID": func() error { _, err := s.Resources().NextDatasetID(ctx); return err },
		"ClaimJob":      func() error { _, err := s.Resources().ClaimJob(ctx, "o", time.Minute); return err },
		"DeleteUsers":   func() error { _, err := s.DeleteUsers(ctx, d, []string{"u"}); return err },
		"BulkLoad":      func() error { _, err := s.BulkLoad(ctx, d); return err },
		"TrackedBy":     func() error { _, err := s.Shared().TrackedBy(ctx, "x"); return err },
	}
	for name, call := range calls {
		start := time.Now()
		err := call()
		took := time.Since(start)
		if perch.ErrorCode(err) != perch.EServiceUnavailable || !strings.Contains(err.Error(), "database is unavailable") {
			t.Errorf("%s while the database is down = %v, want ServiceUnavailable saying the database is unavailable", name, err)
		}
		if took > 100*time.Millisecond {
			t.Errorf("%s took %v to fail", name, took)
		}
	}
	time.Sleep(time.Second)

	srv.Start(t)
	deadline = time.Now().Add(30 * time.Second)
	for !s.Stats().Available {
		if time.Now().After(deadline) {
			t.Fatal("the store did not find the database again within 30 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Committers succeed again.
	mu.Lock()
	before := len(acked)
	mu.Unlock()
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n > before+20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no commits succeed after the database came back")
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	wg.Wait()

	stored := map[string]bool{}
	for _, e := range events(t, s, d) {
		stored[e.EventID] = true
	}
	for _, id := range acked {
		if !stored[id] {
			t.Errorf("acknowledged event %s is not stored", id)
		}
	}
	for kind, n := range kinds {
		if kind != "unavailable" && kind != "unknown outcome" {
			t.Errorf("%d commits failed with %s", n, kind)
		}
	}
	t.Logf("%d acknowledged commits, all stored; failures while down: %v", len(acked), kinds)
}

// TestUnknownOutcome: a write whose connection broke after it was sent
// says that it may or may not have been stored; one that broke before
// says the database is unavailable.
func TestUnknownOutcome(t *testing.T) {
	s := open(t, pgtest.Database(t), Options{})
	ctx := t.Context()
	err := s.failure(ctx, fmt.Errorf("reading the result: %w", io.ErrUnexpectedEOF), true)
	if perch.ErrorCode(err) != perch.EServiceUnavailable || !strings.Contains(err.Error(), "may or may not have been stored") {
		t.Errorf("a connection lost after sending: %v", err)
	}
	err = s.failure(ctx, fmt.Errorf("dial: %w", io.EOF), false)
	if perch.ErrorCode(err) != perch.EServiceUnavailable || strings.Contains(err.Error(), "may or may not") {
		t.Errorf("a connection lost before sending: %v", err)
	}
	// The database is up: the store finds so at its next probe.
	deadline := time.Now().Add(10 * time.Second)
	for !s.Stats().Available {
		if time.Now().After(deadline) {
			t.Fatal("the store did not close its breaker again")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.failure(ctx, errors.New("some refusal"), true); err == nil || perch.ErrorCode(err) == perch.EServiceUnavailable {
		t.Errorf("another error: %v", err)
	}
}

// TestRefusedText: a record holding a NUL character, which PostgreSQL's
// text cannot hold, is refused before it is queued, and the others of its
// group commit.
func TestRefusedText(t *testing.T) {
	s := open(t, pgtest.Database(t), Options{})
	d := dataset(t, s, "g", perch.Interactions)
	err := s.Commit(t.Context(), &perch.Batch{Dataset: d, Events: []perch.Event{event("ok", "u"), event("nul\x00", "u")}})
	if perch.ErrorCode(err) != perch.EInvalidInput {
		t.Errorf("Commit of a NUL = %v, want %s", err, perch.EInvalidInput)
	}
	if got := events(t, s, d); len(got) != 0 {
		t.Errorf("stored %+v", got)
	}
}

// TestReadsHoldingThePool: reads that hold every connection of the pool
// (slow readers of long exports) do not hold commits back, and do not
// make the store think the database is down.
func TestReadsHoldingThePool(t *testing.T) {
	s := open(t, pgtest.Database(t), Options{MaxConns: 2, StatementTimeout: time.Second})
	d := dataset(t, s, "g", perch.Interactions)
	ctx := t.Context()
	if err := s.Commit(ctx, &perch.Batch{Dataset: d, Events: []perch.Event{event("e1", "u")}}); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var reading, done sync.WaitGroup
	for range 2 {
		reading.Add(1)
		done.Go(func() {
			first := true
			err := s.Events(ctx, d.ID, perch.RecordQuery{}, func(*perch.Event) error {
				if first {
					first = false
					reading.Done()
					<-release
				}
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	reading.Wait()
	for i := range 5 {
		if err := s.Commit(ctx, &perch.Batch{Dataset: d, Events: []perch.Event{event(fmt.Sprint("more-", i), "u")}}); err != nil {
			t.Fatalf("Commit while reads hold the pool: %v", err)
		}
	}
	_, err := s.Resources().Dataset(ctx, d.ARN)
	if perch.ErrorCode(err) != perch.EServiceUnavailable || !strings.Contains(err.Error(), "busy") {
		t.Errorf("a lookup while reads hold the pool = %v, want ServiceUnavailable saying the connections are busy", err)
	}
	if !s.Stats().Available {
		t.Error("the store says it is unavailable while reads hold its pool")
	}
	close(release)
	done.Wait()
	if n := len(events(t, s, d)); n != 6 {
		t.Errorf("%d events, want 6", n)
	}
}
