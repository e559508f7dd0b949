package pebble

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	pdb "github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/perchdev/perch"
)

func openStore(t testing.TB, dir string, opts Options) *Store {
	t.Helper()
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil && err != ErrClosed {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func dataset(id uint64, t perch.DatasetType) *perch.Dataset {
	return &perch.Dataset{
		ARN:  fmt.Sprintf("arn:aws:personalize:us-east-1:123456789012:dataset/g/%s-%d", t, id),
		Type: t,
		ID:   id,
	}
}

// createDataset stores d through the resource calls, with a dataset
// group and a schema of its own for it to belong to.
func createDataset(t testing.TB, s *Store, d *perch.Dataset) {
	t.Helper()
	ctx := context.Background()
	r := s.Resources()
	name := fmt.Sprintf("g%d", d.ID)
	group := &perch.DatasetGroup{ARN: "arn:aws:personalize:us-east-1:123456789012:dataset-group/" + name, Name: name,
		Status: perch.StatusActive}
	schema := &perch.Schema{ARN: "arn:aws:personalize:us-east-1:123456789012:schema/" + name, Name: name}
	d.GroupARN, d.SchemaARN = group.ARN, schema.ARN
	err := errors.Join(r.CreateDatasetGroup(ctx, group, 100), r.CreateSchema(ctx, schema, 100), r.CreateDataset(ctx, d))
	if err != nil {
		t.Fatalf("creating dataset %s: %v", d.ARN, err)
	}
}

func event(id, user, session string) perch.Event {
	return perch.Event{EventID: id, EventType: "click", ItemID: "item-" + id, UserID: user, SessionID: session, SentAt: 1700000000000}
}

func commit(t testing.TB, s *Store, b *perch.Batch) {
	t.Helper()
	if err := s.Commit(context.Background(), b); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func events(t testing.TB, s *Store, datasetID uint64, q perch.RecordQuery) []perch.Event {
	t.Helper()
	var got []perch.Event
	err := s.Events(context.Background(), datasetID, q, func(e *perch.Event) error {
		got = append(got, *e)
		return nil
	})
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	return got
}

func actionInteractions(t testing.TB, s *Store, datasetID uint64, q perch.RecordQuery) []perch.ActionInteraction {
	t.Helper()
	var got []perch.ActionInteraction
	err := s.ActionInteractions(context.Background(), datasetID, q, func(a *perch.ActionInteraction) error {
		got = append(got, *a)
		return nil
	})
	if err != nil {
		t.Fatalf("ActionInteractions: %v", err)
	}
	return got
}

func eventIDs(es []perch.Event) []string {
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.EventID
	}
	return ids
}

// TestDeleteDatasetDeletesEveryKey: beyond what the store contract reads
// back, a deleted dataset leaves no key of any family on disk, nor its
// live generations; and with its dedup keys gone, an eventId it had is an
// original again even under the same dataset id (which NextDatasetID
// never hands out twice: this only exercises the dedup range).
func TestDeleteDatasetDeletesEveryKey(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), Options{})
	r := s.Resources()
	doomed, kept, items := dataset(1, perch.Interactions), dataset(2, perch.Interactions), dataset(3, perch.Items)
	for _, d := range []*perch.Dataset{doomed, kept} {
		createDataset(t, s, d)
		commit(t, s, &perch.Batch{Dataset: d, Events: []perch.Event{event("e1", "u", "s"), event("e1", "u", "s")}})
		load(t, s, perch.ImportFull, &perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("u", "a"), bulkEvent("u", "a")}})
	}
	createDataset(t, s, items)
	commit(t, s, &perch.Batch{Dataset: items, Entities: []perch.Entity{{ID: "i1"}}})
	load(t, s, perch.ImportFull, &perch.Batch{Dataset: items, Entities: []perch.Entity{{ID: "i2"}}})
	staged, err := s.BulkLoad(ctx, doomed)
	if err != nil {
		t.Fatal(err)
	}
	if err := staged.Add(ctx, &perch.Batch{Dataset: doomed, Events: []perch.Event{bulkEvent("u", "b")}}); err != nil {
		t.Fatal(err)
	}
	if err := staged.(*loader).flush(ctx); err != nil {
		t.Fatal(err)
	}

	for _, d := range []*perch.Dataset{doomed, items} {
		if err := r.DeleteDataset(ctx, d.ARN); err != nil {
			t.Fatalf("DeleteDataset: %v", err)
		}
	}
	for _, d := range []*perch.Dataset{doomed, items} {
		for _, tag := range datasetTags {
			if n := countKeys(t, s, appendDatasetPrefix(nil, tag, d.ID)); n != 0 {
				t.Errorf("dataset %d: %d keys %c/ left", d.ID, n, tag)
			}
		}
		if gens, err := liveGens(s.db, d.ID); err != nil || len(gens) != 0 {
			t.Errorf("dataset %d: live generations %v, %v", d.ID, gens, err)
		}
	}
	if n := countKeys(t, s, prefixStaging); n != 0 {
		t.Errorf("%d staging marks left", n)
	}
	if n := countKeys(t, s, appendDatasetPrefix(nil, tagDedup, kept.ID)); n != 2 {
		t.Errorf("%d dedup keys of the other dataset, want 2", n)
	}

	s.writeMu.Lock()
	delete(s.deleted, doomed.ID)
	s.writeMu.Unlock()
	commit(t, s, &perch.Batch{Dataset: doomed, Events: []perch.Event{event("e1", "u", "s")}})
	if got := events(t, s, doomed.ID, perch.RecordQuery{}); len(got) != 1 || got[0].Duplicate {
		t.Errorf("events after recreation: %+v", got)
	}
}

// TestNextDatasetID: the store contract holds that ids never repeat;
// this store also counts them from 1, one at a time, across reopens.
func TestNextDatasetID(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var got []uint64
	for range 2 {
		s, err := Open(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			id, err := s.Resources().NextDatasetID(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, id)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if want := []uint64{1, 2, 3, 4, 5, 6}; !slices.Equal(got, want) {
		t.Errorf("ids = %v, want %v", got, want)
	}
}

// TestSequenceSurvivesReopen: the sequence's high-water mark is read
// back at Open, so records committed after a reopen take new numbers and
// follow the earlier ones instead of overwriting them.
func TestSequenceSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	ds := dataset(1, perch.Interactions)
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	commit(t, s, &perch.Batch{Dataset: ds, Events: []perch.Event{event("e1", "u", "s"), event("e2", "u", "s")}})
	seq := s.seq
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openStore(t, dir, Options{})
	if s.seq != seq || seq != 2 {
		t.Errorf("sequence after reopen = %d, want %d (2)", s.seq, seq)
	}
	commit(t, s, &perch.Batch{Dataset: ds, Events: []perch.Event{event("e3", "u", "s"), event("e1", "u", "s")}})
	got := events(t, s, ds.ID, perch.RecordQuery{})
	if ids := eventIDs(got); !slices.Equal(ids, []string{"e1", "e2", "e3", "e1"}) || !got[3].Duplicate {
		t.Errorf("events after reopen = %v (the last a duplicate: %v)", ids, len(got) == 4 && got[3].Duplicate)
	}
	if s.seq != 4 {
		t.Errorf("sequence = %d, want 4", s.seq)
	}
}

// TestOpenRefusesForeignStores: a store of any other format version than
// this build's, older (the pre-release versions 1 and 2) or newer, is
// refused with an error naming both versions, and left as it was; so is
// a Pebble database that is not a store.
func TestOpenRefusesForeignStores(t *testing.T) {
	for _, version := range []uint64{0, 1, 2, formatVersion + 1} {
		t.Run(fmt.Sprintf("version %d", version), func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.db.Set(keyVersion, encodeUint64(version), pdb.Sync); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s, err = Open(dir, Options{})
			if err == nil {
				s.Close()
				t.Fatalf("Open of a store in format version %d succeeded", version)
			}
			want := fmt.Sprintf("the store is in format version %d; this build reads only version %d", version, formatVersion)
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Open = %v, want an error saying %q", err, want)
			}
			// Refused, not upgraded: a second Open says the same.
			if _, err := Open(dir, Options{}); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("second Open = %v, want an error saying %q", err, want)
			}
		})
	}
	t.Run("another database", func(t *testing.T) {
		dir := t.TempDir()
		db, err := pdb.Open(dir, &pdb.Options{Logger: engineLogger{slog.New(slog.DiscardHandler)}})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Set([]byte("foreign"), []byte("x"), pdb.Sync); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if s, err := Open(dir, Options{}); err == nil {
			s.Close()
			t.Fatal("Open of a foreign database succeeded")
		}
	})
}

// heldWriter returns options whose writer, on its first group, signals
// entered and waits for release to be closed.
func heldWriter(queueDepth int) (opts Options, entered <-chan struct{}, release chan struct{}) {
	in := make(chan struct{}, 1)
	release = make(chan struct{})
	opts = Options{QueueDepth: queueDepth, beforeApply: func() error {
		select {
		case in <- struct{}{}:
		default:
		}
		<-release
		return nil
	}}
	return opts, in, release
}

// commitAsync runs Commit in a goroutine and delivers its result.
func commitAsync(s *Store, ctx context.Context, b *perch.Batch) <-chan error {
	res := make(chan error, 1)
	go func() { res <- s.Commit(ctx, b) }()
	return res
}

func TestBusyWhenQueueIsFull(t *testing.T) {
	opts, entered, release := heldWriter(1)
	s := openStore(t, t.TempDir(), opts)
	ds := dataset(1, perch.Interactions)
	ctx := context.Background()

	first := commitAsync(s, ctx, &perch.Batch{Dataset: ds, Events: []perch.Event{event("1", "u", "s")}})
	<-entered
	queued, err := s.enqueue(ctx, &perch.Batch{Dataset: ds, Events: []perch.Event{event("2", "u", "s")}})
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	err = s.Commit(ctx, &perch.Batch{Dataset: ds, Events: []perch.Event{event("3", "u", "s")}})
	if err != perch.ErrBusy {
		t.Fatalf("Commit with a full queue = %v, want ErrBusy", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Errorf("first Commit: %v", err)
	}
	if err := <-queued.result; err != nil {
		t.Errorf("queued commit: %v", err)
	}
	if got := eventIDs(events(t, s, ds.ID, perch.RecordQuery{})); !slices.Equal(got, []string{"1", "2"}) {
		t.Errorf("events = %v, want [1 2]", got)
	}
}

func TestCommitContext(t *testing.T) {
	opts, entered, release := heldWriter(4)
	s := openStore(t, t.TempDir(), opts)
	ds := dataset(1, perch.Interactions)

	done, cancelDone := context.WithCancel(context.Background())
	cancelDone()
	if err := s.Commit(done, &perch.Batch{Dataset: ds, Events: []perch.Event{event("0", "u", "s")}}); err != context.Canceled {
		t.Errorf("Commit with a done context = %v, want %v", err, context.Canceled)
	}

	first := commitAsync(s, context.Background(), &perch.Batch{Dataset: ds, Events: []perch.Event{event("1", "u", "s")}})
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	queued, err := s.enqueue(ctx, &perch.Batch{Dataset: ds, Events: []perch.Event{event("2", "u", "s")}})
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	cancel()
	close(release)
	if err := <-first; err != nil {
		t.Errorf("first Commit: %v", err)
	}
	if err := <-queued.result; err != context.Canceled {
		t.Errorf("commit canceled while queued = %v, want %v", err, context.Canceled)
	}
	if got := eventIDs(events(t, s, ds.ID, perch.RecordQuery{})); !slices.Equal(got, []string{"1"}) {
		t.Errorf("events = %v, want [1]", got)
	}
}

func TestFailedCommit(t *testing.T) {
	failure := errors.New("injected failure")
	entered, release := make(chan struct{}), make(chan struct{})
	groups := 0
	dir := t.TempDir()
	s := openStore(t, dir, Options{beforeApply: func() error {
		groups++
		switch groups {
		case 1:
			close(entered)
			<-release
		case 2:
			return failure
		}
		return nil
	}})
	ds := dataset(1, perch.Interactions)
	ctx := context.Background()

	first := commitAsync(s, ctx, &perch.Batch{Dataset: ds, Events: []perch.Event{event("1", "u", "s")}})
	<-entered
	// Both wait while the writer is held, so they form the next group.
	var group []*commitRequest
	for _, id := range []string{"2", "3"} {
		req, err := s.enqueue(ctx, &perch.Batch{Dataset: ds, Events: []perch.Event{event(id, "u", "s")}})
		if err != nil {
			t.Fatal(err)
		}
		group = append(group, req)
	}
	close(release)
	if err := <-first; err != nil {
		t.Errorf("first Commit: %v", err)
	}
	for i, req := range group {
		if err := <-req.result; perch.ErrorCode(err) != perch.EServiceUnavailable {
			t.Errorf("commit %d of the failed group = %v, want ServiceUnavailable", i, err)
		}
	}
	// The store reopens its database by itself, which settles what a
	// failed commit left; until then it refuses everything.
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := s.Commit(ctx, &perch.Batch{Dataset: ds, Events: []perch.Event{event("5", "u", "s")}})
		if err == nil {
			break
		}
		if perch.ErrorCode(err) != perch.EServiceUnavailable {
			t.Fatalf("Commit while the store recovers = %v, want ServiceUnavailable", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the store did not recover from a failed commit: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := eventIDs(events(t, s, ds.ID, perch.RecordQuery{})); !slices.Equal(got, []string{"1", "5"}) {
		t.Errorf("events after recovery = %v, want [1 5]", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir, Options{})
	if got := eventIDs(events(t, s, ds.ID, perch.RecordQuery{})); !slices.Equal(got, []string{"1", "5"}) {
		t.Errorf("events after reopen = %v, want [1 5]", got)
	}
}

func TestCloseCommitsQueuedBatches(t *testing.T) {
	dir := t.TempDir()
	opts, entered, release := heldWriter(4)
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	ds := dataset(1, perch.Interactions)
	first := commitAsync(s, context.Background(), &perch.Batch{Dataset: ds, Events: []perch.Event{event("1", "u", "s")}})
	<-entered
	queued, err := s.enqueue(context.Background(), &perch.Batch{Dataset: ds, Events: []perch.Event{event("2", "u", "s")}})
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	close(release)
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-first; err != nil {
		t.Errorf("first Commit: %v", err)
	}
	if err := <-queued.result; err != nil {
		t.Errorf("queued commit: %v", err)
	}
	s = openStore(t, dir, Options{})
	if got := eventIDs(events(t, s, ds.ID, perch.RecordQuery{})); !slices.Equal(got, []string{"1", "2"}) {
		t.Errorf("events after reopen = %v, want [1 2]", got)
	}
}

func TestClosedStore(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ds := dataset(1, perch.Interactions)
	calls := map[string]func() error{
		"Commit": func() error {
			return s.Commit(ctx, &perch.Batch{Dataset: ds, Events: []perch.Event{event("1", "u", "s")}})
		},
		"Events":        func() error { return s.Events(ctx, 1, perch.RecordQuery{}, func(*perch.Event) error { return nil }) },
		"Entities":      func() error { return s.Entities(ctx, 1, perch.RecordQuery{}, func(*perch.Entity) error { return nil }) },
		"CreateDataset": func() error { return s.Resources().CreateDataset(ctx, ds) },
		"Dataset":       func() error { _, err := s.Resources().Dataset(ctx, ds.ARN); return err },
		"Datasets":      func() error { _, err := s.Resources().Datasets(ctx); return err },
		"DeleteDataset": func() error { return s.Resources().DeleteDataset(ctx, ds.ARN) },
		"NextDatasetID": func() error { _, err := s.Resources().NextDatasetID(ctx); return err },
		"Close":         s.Close,
	}
	for name, call := range calls {
		if err := call(); err != ErrClosed {
			t.Errorf("%s on a closed store = %v, want ErrClosed", name, err)
		}
	}
}

func TestPrefixEnd(t *testing.T) {
	tests := []struct{ prefix, want []byte }{
		{[]byte("e/"), []byte("e0")},
		{[]byte{'a', 0xff, 0xff}, []byte{'b'}},
		{[]byte{0xff}, nil},
	}
	for _, tt := range tests {
		if got := prefixEnd(tt.prefix); !slices.Equal(got, tt.want) {
			t.Errorf("prefixEnd(%q) = %q, want %q", tt.prefix, got, tt.want)
		}
	}
}

// TestRecoveryInterruptsReads checks that a read in progress when a write
// fails stops with ServiceUnavailable, so that the recovery need not wait
// for it, and that the store then recovers.
func TestRecoveryInterruptsReads(t *testing.T) {
	fail := make(chan struct{}, 1)
	s := openStore(t, t.TempDir(), Options{beforeApply: func() error {
		select {
		case <-fail:
			return errors.New("injected failure")
		default:
			return nil
		}
	}})
	ds := dataset(1, perch.Interactions)
	ctx := context.Background()
	var evs []perch.Event
	for i := range 500 {
		evs = append(evs, event(fmt.Sprint(i), "u", "s"))
	}
	commit(t, s, &perch.Batch{Dataset: ds, Events: evs})

	read := 0
	err := s.Events(ctx, ds.ID, perch.RecordQuery{}, func(*perch.Event) error {
		read++
		if read == 1 {
			fail <- struct{}{}
			go func() { _ = s.Commit(ctx, &perch.Batch{Dataset: ds, Events: []perch.Event{event("x", "u", "s")}}) }()
		}
		time.Sleep(time.Millisecond) // a slow client
		return nil
	})
	if perch.ErrorCode(err) != perch.EServiceUnavailable || read == len(evs) {
		t.Fatalf("a read during a recovery ended with %v after %d of %d records; want ServiceUnavailable before the end", err, read, len(evs))
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := s.Commit(ctx, &perch.Batch{Dataset: ds, Events: []perch.Event{event("y", "u", "s")}})
		if err == nil {
			break
		}
		if perch.ErrorCode(err) != perch.EServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("Commit after the failure: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := len(events(t, s, ds.ID, perch.RecordQuery{})); got != len(evs)+1 {
		t.Errorf("%d events after recovery, want %d", got, len(evs)+1)
	}
}

// TestEngineEventsAreLogged checks that a flush reaches a debug-level log
// and that a write stall, which holds every commit, is a warning and is
// counted.
func TestEngineEventsAreLogged(t *testing.T) {
	var logged bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&mu, &logged}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := openStore(t, t.TempDir(), Options{Logger: logger})
	commit(t, s, &perch.Batch{Dataset: dataset(1, perch.Interactions), Events: []perch.Event{event("e1", "u1", "s1")}})
	if err := s.db.Flush(); err != nil {
		t.Fatal(err)
	}
	events := engineEvents(engineLogger{logger}, &s.counters)
	events.WriteStallBegin(pdb.WriteStallBeginInfo{Reason: "memtable count limit reached"})
	time.Sleep(time.Millisecond)
	events.WriteStallEnd()
	if st := s.Stats().Engine; st.WriteStalls != 1 || st.StallTime < time.Millisecond {
		t.Errorf("Stats after one stall of 1 ms: %d stalls, %v stalled", st.WriteStalls, st.StallTime)
	}
	mu.Lock()
	defer mu.Unlock()
	text := logged.String()
	if !regexp.MustCompile(`level=DEBUG msg="\[JOB \d+\] flushed 1 memtable`).MatchString(text) {
		t.Errorf("no flush at debug level in the log:\n%s", text)
	}
	if !strings.Contains(text, `level=WARN msg="writes stall until the engine's background work catches up" reason="memtable count limit reached"`) {
		t.Errorf("no write stall warning in the log:\n%s", text)
	}
}

// lockedWriter serialises writes from the engine's goroutines.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestRunsAreSeparatedFromKeys checks that, with the measured tuning, the
// values of at least its separation size, and only those, land in blob
// files when the memtable is flushed, that a deleted run's value is no
// longer referred to once compacted away, and that the other records read
// back whole after the compaction and a restart.
func TestRunsAreSeparatedFromKeys(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	tuned := Options{Tuning: MeasuredTuning()}
	minSeparated := tuned.Tuning.ValueSeparation.MinSize
	s := openStore(t, dir, tuned)
	ds := dataset(1, perch.Interactions)
	var run []perch.Event
	for i := range 10 {
		run = append(run, event(fmt.Sprintf("event-%d", i), "u1", "s1"))
	}
	single := event("single", "u2", "s2")
	gone := event("gone", "u3", "s3")
	commit(t, s, &perch.Batch{Dataset: ds, Events: run})
	commit(t, s, &perch.Batch{Dataset: ds, Events: []perch.Event{single}})
	commit(t, s, &perch.Batch{Dataset: ds, Events: []perch.Event{gone, gone, gone, gone, gone, gone, gone, gone, gone, gone}})

	var separable uint64
	it, err := s.db.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	for it.First(); it.Valid(); it.Next() {
		if n := len(it.Value()); n >= minSeparated {
			separable += uint64(n)
		}
	}
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		t.Fatal(err)
	}
	if separable == 0 {
		t.Fatalf("no value of %d bytes or more among the test's records", minSeparated)
	}
	if err := s.db.Flush(); err != nil {
		t.Fatal(err)
	}
	blobs := s.db.Metrics().BlobFiles
	if blobs.LiveCount == 0 || blobs.ReferencedValueSize != separable {
		t.Fatalf("after a flush: %d blob files holding %d bytes of values, want the %d bytes of the values of %d bytes or more",
			blobs.LiveCount, blobs.ReferencedValueSize, separable, minSeparated)
	}

	if n, err := s.DeleteUsers(ctx, ds, []string{"u3"}); err != nil || n != 10 {
		t.Fatalf("DeleteUsers = %d, %v; want 10 records deleted", n, err)
	}
	if err := s.db.Compact(ctx, []byte{0}, []byte{0xff}, true); err != nil {
		t.Fatal(err)
	}
	if left := s.db.Metrics().BlobFiles.ReferencedValueSize; left >= separable {
		t.Errorf("after deleting a user's run and compacting, %d bytes of values still referred to, want less than %d", left, separable)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir, tuned)
	if got := events(t, s, ds.ID, perch.RecordQuery{UserID: "u1"}); !reflect.DeepEqual(got, run) {
		t.Errorf("u1's events after compaction and restart:\n got %+v\nwant %+v", got, run)
	}
	want := append(append([]perch.Event(nil), run...), single)
	if got := events(t, s, ds.ID, perch.RecordQuery{}); !reflect.DeepEqual(got, want) {
		t.Errorf("the dataset's events after compaction and restart:\n got %+v\nwant %+v", got, want)
	}
}

// TestMinSyncIntervalSpacesSyncs commits three batches one after the
// other with 50 ms between syncs: the second and third each wait for the
// interval after the sync before theirs, so the three take 100 ms at
// least. (A lower bound: a slow machine only adds to it.)
func TestMinSyncIntervalSpacesSyncs(t *testing.T) {
	const interval = 50 * time.Millisecond
	s := openStore(t, t.TempDir(), Options{MinSyncInterval: interval})
	ds := dataset(1, perch.Interactions)
	start := time.Now()
	for _, id := range []string{"1", "2", "3"} {
		commit(t, s, &perch.Batch{Dataset: ds, Events: []perch.Event{event(id, "u", "s")}})
	}
	if took := time.Since(start); took < 2*interval {
		t.Errorf("three commits took %v with %v between syncs, want %v at least", took, interval, 2*interval)
	}
	if got := eventIDs(events(t, s, ds.ID, perch.RecordQuery{})); len(got) != 3 {
		t.Errorf("events = %v, want 3", got)
	}
}

// TestTuningMayChangeBetweenOpens checks that a store written with values
// in blob files reads back whole under Pebble's defaults, and the other
// way round, so that the tuning can change from one start to the next.
func TestTuningMayChangeBetweenOpens(t *testing.T) {
	dir := t.TempDir()
	ds := dataset(1, perch.Interactions)
	var want []perch.Event
	for i, tuning := range []Tuning{MeasuredTuning(), {}, MeasuredTuning()} {
		s := openStore(t, dir, Options{Tuning: tuning})
		var run []perch.Event
		for j := range 10 {
			e := event(fmt.Sprintf("event-%d-%d", i, j), "u", "s")
			e.Properties = `{"device": "phone"}`
			run = append(run, e)
		}
		commit(t, s, &perch.Batch{Dataset: ds, Events: run})
		want = append(want, run...)
		if err := s.db.Flush(); err != nil {
			t.Fatal(err)
		}
		if i == 0 && s.db.Metrics().BlobFiles.LiveCount == 0 {
			t.Fatal("the measured tuning put no value in a blob file")
		}
		if got := events(t, s, ds.ID, perch.RecordQuery{}); !reflect.DeepEqual(got, want) {
			t.Fatalf("opening %d (%+v): read back\n%+v\nwant\n%+v", i, tuning, got, want)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTuningReachesTheEngine reads back the options Pebble recorded for
// the zero tuning (Pebble's defaults, values beside their keys) and for
// the measured one.
func TestTuningReachesTheEngine(t *testing.T) {
	for _, tuning := range []Tuning{{}, MeasuredTuning()} {
		dir := t.TempDir()
		s := openStore(t, dir, Options{Tuning: tuning})
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		desc, err := pdb.Peek(dir, vfs.Default)
		if err != nil {
			t.Fatal(err)
		}
		text, err := os.ReadFile(desc.OptionsFilename)
		if err != nil {
			t.Fatal(err)
		}
		var recorded pdb.Options
		if err := recorded.Parse(string(text), nil); err != nil {
			t.Fatal(err)
		}
		want := tuning
		if want.L0CompactionThreshold == 0 {
			want.L0CompactionThreshold, want.L0StopWritesThreshold, want.LBaseMaxBytes = 4, 12, 64<<20
		}
		policy := recorded.Experimental.ValueSeparationPolicy()
		got := Tuning{
			L0CompactionThreshold: recorded.L0CompactionThreshold,
			L0StopWritesThreshold: recorded.L0StopWritesThreshold,
			LBaseMaxBytes:         recorded.LBaseMaxBytes,
		}
		if policy.Enabled {
			got.ValueSeparation = ValueSeparation{MinSize: policy.MinimumSize, MaxBlobReferenceDepth: policy.MaxBlobReferenceDepth,
				TargetGarbageRatio: policy.TargetGarbageRatio, RewriteMinAge: policy.RewriteMinimumAge}
		}
		if got != want {
			t.Errorf("tuning %+v: the engine recorded %+v", tuning, got)
		}
	}
}
