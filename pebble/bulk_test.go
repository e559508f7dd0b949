package pebble

import (
	"context"
	"fmt"
	"testing"

	pdb "github.com/cockroachdb/pebble/v2"

	"github.com/perchdev/perch"
)

func bulkEvent(user, item string) perch.Event {
	return perch.Event{EventType: "click", UserID: user, ItemID: item, SentAt: 1600000000000}
}

// load imports the batch into its dataset in one import job's way.
func load(t testing.TB, s *Store, mode perch.ImportMode, b *perch.Batch) {
	t.Helper()
	ctx := context.Background()
	l, err := s.BulkLoad(ctx, b.Dataset)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Add(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(ctx, mode); err != nil {
		t.Fatal(err)
	}
}

// TestFullImportDeletesReplacedGenerations: the generations a FULL import
// replaces are gone from disk, not just no longer listed as live.
func TestFullImportDeletesReplacedGenerations(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	d := dataset(1, perch.Interactions)
	load(t, s, perch.ImportFull, &perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("u1", "a"), bulkEvent("u2", "b")}})
	load(t, s, perch.ImportIncremental, &perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("u3", "c")}})
	load(t, s, perch.ImportFull, &perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("u4", "d")}})
	for tag, want := range map[byte]int{tagBulkRecord: 1, tagBulkUserIndex: 1, tagBulkDedup: 1} {
		if n := countKeys(t, s, appendDatasetPrefix(nil, tag, d.ID)); n != want {
			t.Errorf("%d keys %c/ left, want %d", n, tag, want)
		}
	}
	if gens, err := liveGens(s.db, d.ID); err != nil || len(gens) != 1 {
		t.Errorf("live generations %v, %v; want one", gens, err)
	}
}

func countKeys(t *testing.T, s *Store, prefix []byte) int {
	t.Helper()
	it, err := s.db.NewIter(&pdb.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	n := 0
	for it.First(); it.Valid(); it.Next() {
		n++
	}
	return n
}

// TestBulkStagingIsInvisibleAndDroppedOnReopen: records a loader has
// written to disk (a staged generation) are read by no one, and Open and
// Abort delete them.
func TestBulkStagingIsInvisibleAndDroppedOnReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := dataset(3, perch.Interactions)
	ctx := context.Background()
	l, err := s.BulkLoad(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Add(ctx, &perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("u", "x")}}); err != nil {
		t.Fatal(err)
	}
	if err := l.(*loader).flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := events(t, s, d.ID, perch.RecordQuery{}); len(got) != 0 {
		t.Fatalf("staged records are visible: %v", got)
	}
	// The process ends without Commit or Abort.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir, Options{})
	if n := countKeys(t, s, []byte{tagBulkRecord}); n != 0 {
		t.Errorf("%d staged keys survived reopening", n)
	}
	if n := countKeys(t, s, prefixStaging); n != 0 {
		t.Errorf("%d staging markers survived reopening", n)
	}

	l, err = s.BulkLoad(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Add(ctx, &perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("u", "x")}}); err != nil {
		t.Fatal(err)
	}
	if err := l.Abort(); err != nil {
		t.Fatal(err)
	}
	if n := countKeys(t, s, []byte{tagBulkRecord}); n != 0 {
		t.Errorf("%d keys left after Abort", n)
	}
}

// TestBulkLoadOfDeletedDataset: beyond the store contract's refusal, an
// import into a deleted dataset leaves no key behind.
func TestBulkLoadOfDeletedDataset(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	d := dataset(4, perch.Interactions)
	createDataset(t, s, d)
	ctx := context.Background()
	l, err := s.BulkLoad(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Add(ctx, &perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("u", "x")}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Resources().DeleteDataset(ctx, d.ARN); err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(ctx, perch.ImportFull); perch.ErrorCode(err) != perch.EResourceNotFound {
		t.Fatalf("Commit after DeleteDataset = %v, want ResourceNotFoundException", err)
	}
	if n := countKeys(t, s, []byte{tagBulkRecord}); n != 0 {
		t.Errorf("%d bulk keys outlived their dataset", n)
	}
}

// TestDeleteUsersTakesIndexKeys: beyond the records the store contract
// reads back, a deleted user's runs take their user, session and dedup
// keys with them, and the other users' stay.
func TestDeleteUsersTakesIndexKeys(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	ctx := context.Background()
	d := dataset(6, perch.Interactions)
	commit(t, s, &perch.Batch{Dataset: d, Events: []perch.Event{
		event("e1", "gone", "s1"), event("e1", "gone", "s1"), event("e2", "kept", "s2"), event("e1", "kept", "s3"),
	}})
	load(t, s, perch.ImportFull, &perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("gone", "a"), bulkEvent("kept", "b")}})
	if n, err := s.DeleteUsers(ctx, d, []string{"gone", "nobody"}); err != nil || n != 3 {
		t.Fatalf("DeleteUsers = %d, %v; want 3", n, err)
	}
	for _, c := range []struct {
		prefix []byte
		want   int
	}{
		{appendIDPrefix(nil, tagUserIndex, d.ID, "gone"), 0},
		{appendIDPrefix(nil, tagSessionIndex, d.ID, "s1"), 0},
		{appendIDPrefix(nil, tagUserIndex, d.ID, "kept"), 2},
		{appendDatasetPrefix(nil, tagDedup, d.ID), 2},
		{appendDatasetPrefix(nil, tagBulkUserIndex, d.ID), 1},
		{appendDatasetPrefix(nil, tagBulkDedup, d.ID), 1},
	} {
		if n := countKeys(t, s, c.prefix); n != c.want {
			t.Errorf("%d keys under %q, want %d", n, c.prefix, c.want)
		}
	}
}

func TestDeleteUsersInManyBatches(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	d := dataset(8, perch.ActionInteractions)
	const n = maxDeleteBatch + 500
	for i := 0; i < n; i += 1000 {
		b := &perch.Batch{Dataset: d}
		for j := i; j < min(n, i+1000); j++ {
			b.ActionInteractions = append(b.ActionInteractions, perch.ActionInteraction{
				EventID: fmt.Sprint(j), ActionID: "a", UserID: "heavy", SessionID: "s", EventType: "Taken", Timestamp: 1,
			})
		}
		commit(t, s, b)
	}
	got, err := s.DeleteUsers(context.Background(), d, []string{"heavy"})
	if err != nil || got != n {
		t.Fatalf("DeleteUsers = %d, %v; want %d", got, err, n)
	}
	if left := actionInteractions(t, s, d.ID, perch.RecordQuery{}); len(left) != 0 {
		t.Errorf("%d records left", len(left))
	}
}

// TestBulkExactDuplicateKeysGoWithTheirRows: each imported row has one
// exact-duplicate key, which DeleteUsers and a FULL import delete with it,
// also when every row has the same content hash.
func TestBulkExactDuplicateKeysGoWithTheirRows(t *testing.T) {
	for _, collide := range []bool{false, true} {
		t.Run(fmt.Sprintf("every hash colliding=%v", collide), func(t *testing.T) {
			if collide {
				saved := contentHash
				contentHash = func([]byte) uint64 { return 7 }
				t.Cleanup(func() { contentHash = saved })
			}
			s := openStore(t, t.TempDir(), Options{})
			d := dataset(1, perch.Interactions)
			dedupKeys := func() int { return countKeys(t, s, appendDatasetPrefix(nil, tagBulkDedup, d.ID)) }
			load(t, s, perch.ImportFull, &perch.Batch{Dataset: d, Events: []perch.Event{
				bulkEvent("u1", "a"), bulkEvent("u1", "b"), bulkEvent("u2", "a"), bulkEvent("u1", "a"), bulkEvent("u2", "a"),
			}})
			load(t, s, perch.ImportIncremental, &perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("u1", "b"), bulkEvent("u1", "c")}})
			if n := dedupKeys(); n != 7 {
				t.Errorf("%d exact-duplicate keys for 7 rows", n)
			}
			if _, err := s.DeleteUsers(context.Background(), d, []string{"u1"}); err != nil {
				t.Fatal(err)
			}
			if n := dedupKeys(); n != 2 {
				t.Errorf("%d exact-duplicate keys after deleting u1, want u2's 2", n)
			}
			load(t, s, perch.ImportFull, &perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("u2", "a")}})
			if n := dedupKeys(); n != 1 {
				t.Errorf("%d exact-duplicate keys after a FULL import of one row, want 1", n)
			}
		})
	}
}
