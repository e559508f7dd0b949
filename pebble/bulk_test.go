package pebble

import (
	"context"
	"fmt"
	"reflect"
	"strings"
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

func items(es []perch.Event) []string {
	var out []string
	for _, e := range es {
		tag := "put"
		if e.Bulk {
			tag = "bulk"
		}
		out = append(out, tag+":"+e.UserID+"/"+e.ItemID)
	}
	return out
}

func TestBulkSourcesAndModes(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	d := dataset(1, perch.Interactions)
	commit(t, s, &perch.Batch{Dataset: d, Events: []perch.Event{event("e1", "u1", "s1")}})
	load(t, s, perch.ImportFull, &perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("u1", "a"), bulkEvent("u2", "b")}})

	all := items(events(t, s, d.ID, perch.RecordQuery{}))
	if want := []string{"bulk:u1/a", "bulk:u2/b", "put:u1/item-e1"}; !reflect.DeepEqual(all, want) {
		t.Fatalf("ALL = %v, want %v", all, want)
	}
	if got := items(events(t, s, d.ID, perch.RecordQuery{Source: perch.IngestPut})); !reflect.DeepEqual(got, []string{"put:u1/item-e1"}) {
		t.Errorf("PUT = %v", got)
	}
	if got := items(events(t, s, d.ID, perch.RecordQuery{Source: perch.IngestBulk, UserID: "u1"})); !reflect.DeepEqual(got, []string{"bulk:u1/a"}) {
		t.Errorf("BULK of u1 = %v", got)
	}
	if got := items(events(t, s, d.ID, perch.RecordQuery{UserID: "u1", Limit: 2})); !reflect.DeepEqual(got, []string{"bulk:u1/a", "put:u1/item-e1"}) {
		t.Errorf("u1 = %v", got)
	}

	load(t, s, perch.ImportIncremental, &perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("u3", "c")}})
	if got := items(events(t, s, d.ID, perch.RecordQuery{Source: perch.IngestBulk})); !reflect.DeepEqual(got, []string{"bulk:u1/a", "bulk:u2/b", "bulk:u3/c"}) {
		t.Errorf("after INCREMENTAL = %v", got)
	}
	load(t, s, perch.ImportFull, &perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("u4", "d")}})
	if got := items(events(t, s, d.ID, perch.RecordQuery{})); !reflect.DeepEqual(got, []string{"bulk:u4/d", "put:u1/item-e1"}) {
		t.Errorf("after FULL = %v, want the new bulk data and the PUT record", got)
	}
	// The replaced generations are gone from disk, not just hidden.
	if n := countKeys(t, s, appendDatasetPrefix(nil, tagBulkUserIndex, d.ID)); n != 1 {
		t.Errorf("%d bulk user index keys left, want 1", n)
	}

	tr := &perch.TimeRange{From: 1650000000000, To: 1800000000000}
	if got := items(events(t, s, d.ID, perch.RecordQuery{Time: tr})); !reflect.DeepEqual(got, []string{"put:u1/item-e1"}) {
		t.Errorf("time range = %v", got)
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

func TestBulkEntitiesMerge(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	d := dataset(2, perch.Items)
	commit(t, s, &perch.Batch{Dataset: d, Entities: []perch.Entity{{ID: "a", Properties: `{"p":"put"}`, Updated: 200}}})
	load(t, s, perch.ImportFull, &perch.Batch{Dataset: d, Entities: []perch.Entity{
		{ID: "a", Properties: `{"p":"bulk1"}`, Updated: 100}, {ID: "b", Properties: `{"p":"bulk1"}`, Updated: 100},
	}})
	load(t, s, perch.ImportIncremental, &perch.Batch{Dataset: d, Entities: []perch.Entity{
		{ID: "b", Properties: `{"p":"bulk2"}`, Updated: 300}, {ID: "c", Properties: `{"p":"bulk2"}`, Updated: 300},
	}})
	got := map[string]string{}
	for _, e := range entities(t, s, d.ID, perch.RecordQuery{}) {
		got[e.ID] = e.Properties
	}
	want := map[string]string{"a": `{"p":"put"}`, "b": `{"p":"bulk2"}`, "c": `{"p":"bulk2"}`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ALL = %v, want %v", got, want)
	}
	if bulk := entities(t, s, d.ID, perch.RecordQuery{Source: perch.IngestBulk, ID: "a"}); len(bulk) != 1 || bulk[0].Properties != `{"p":"bulk1"}` || !bulk[0].Bulk {
		t.Errorf("BULK a = %+v", bulk)
	}
	if n := len(entities(t, s, d.ID, perch.RecordQuery{Limit: 2})); n != 2 {
		t.Errorf("limit 2 gave %d", n)
	}
}

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

func TestBulkLoadOfDeletedDataset(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	d := dataset(4, perch.Interactions)
	ctx := context.Background()
	l, err := s.BulkLoad(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Add(ctx, &perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("u", "x")}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Resources().DeleteDataset(ctx, d); err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(ctx, perch.ImportFull); perch.ErrorCode(err) != perch.EResourceNotFound {
		t.Fatalf("Commit after DeleteDataset = %v, want ResourceNotFoundException", err)
	}
	if n := countKeys(t, s, []byte{tagBulkRecord}); n != 0 {
		t.Errorf("%d bulk keys outlived their dataset", n)
	}
}

func TestLargeBulkLoadStagesInBatches(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	d := dataset(5, perch.Interactions)
	ctx := context.Background()
	l, err := s.BulkLoad(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	const n = 30000 // several staging batches
	for i := 0; i < n; i += 1000 {
		b := &perch.Batch{Dataset: d}
		for j := i; j < i+1000; j++ {
			b.Events = append(b.Events, bulkEvent(fmt.Sprintf("user-%d", j%50), fmt.Sprintf("item-%d", j)))
		}
		if err := l.Add(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Commit(ctx, perch.ImportFull); err != nil {
		t.Fatal(err)
	}
	if got := len(events(t, s, d.ID, perch.RecordQuery{})); got != n {
		t.Errorf("%d events, want %d", got, n)
	}
}

func TestDeleteUsers(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	ctx := context.Background()
	d := dataset(6, perch.Interactions)
	commit(t, s, &perch.Batch{Dataset: d, Events: []perch.Event{
		event("e1", "gone", "s1"), event("e1", "gone", "s1"), event("e2", "kept", "s2"), event("e1", "kept", "s3"),
	}})
	load(t, s, perch.ImportFull, &perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("gone", "a"), bulkEvent("kept", "b")}})
	n, err := s.DeleteUsers(ctx, d, []string{"gone", "nobody"})
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("deleted %d records, want 3 (two put, one a duplicate, and one bulk)", n)
	}
	left := events(t, s, d.ID, perch.RecordQuery{})
	if got := items(left); !reflect.DeepEqual(got, []string{"bulk:kept/b", "put:kept/item-e2", "put:kept/item-e1"}) {
		t.Errorf("left %v", got)
	}
	// The dedup keys of the deleted records went with them: the later e1
	// is now the first.
	if left[2].Duplicate {
		t.Error("e1 of kept is still a duplicate of a deleted record")
	}
	for _, tag := range []byte{tagUserIndex, tagSessionIndex} {
		if n := countKeys(t, s, appendIDPrefix(nil, tag, d.ID, map[byte]string{tagUserIndex: "gone", tagSessionIndex: "s1"}[tag])); n != 0 {
			t.Errorf("%d index keys %c left", n, tag)
		}
	}

	users := dataset(7, perch.Users)
	commit(t, s, &perch.Batch{Dataset: users, Entities: []perch.Entity{{ID: "gone", Updated: 1}, {ID: "kept", Updated: 1}}})
	load(t, s, perch.ImportFull, &perch.Batch{Dataset: users, Entities: []perch.Entity{{ID: "gone", Updated: 2}}})
	if n, err := s.DeleteUsers(ctx, users, []string{"gone"}); err != nil || n != 2 {
		t.Errorf("DeleteUsers of users = %d, %v; want 2", n, err)
	}
	if got := entities(t, s, users.ID, perch.RecordQuery{}); len(got) != 1 || got[0].ID != "kept" {
		t.Errorf("users left: %+v", got)
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

// TestBulkExactDuplicates: an imported row identical to one imported
// before (earlier in its generation or in an earlier live one) reads as a
// duplicate, whichever way it is read; deleting a user or replacing the
// generations takes the rows' duplicate keys with them.
func TestBulkExactDuplicates(t *testing.T) {
	for _, collide := range []bool{false, true} {
		t.Run(fmt.Sprintf("every hash colliding=%v", collide), func(t *testing.T) {
			if collide {
				saved := contentHash
				contentHash = func([]byte) uint64 { return 7 }
				t.Cleanup(func() { contentHash = saved })
			}
			s := openStore(t, t.TempDir(), Options{})
			d := dataset(1, perch.Interactions)
			read := func(q perch.RecordQuery) string {
				var out []string
				for _, e := range events(t, s, d.ID, q) {
					id := e.UserID + "/" + e.ItemID
					if e.Duplicate {
						id += "(dup)"
					}
					out = append(out, id)
				}
				return strings.Join(out, " ")
			}
			load(t, s, perch.ImportFull, &perch.Batch{Dataset: d, Events: []perch.Event{
				bulkEvent("u1", "a"), bulkEvent("u1", "b"), bulkEvent("u2", "a"), bulkEvent("u1", "a"), bulkEvent("u2", "a"),
			}})
			load(t, s, perch.ImportIncremental, &perch.Batch{Dataset: d, Events: []perch.Event{
				bulkEvent("u1", "b"), bulkEvent("u1", "c"),
			}})
			for q, want := range map[*perch.RecordQuery]string{
				{}:               "u1/a u1/b u2/a u1/a(dup) u2/a(dup) u1/b(dup) u1/c",
				{UserID: "u1"}:   "u1/a u1/b u1/a(dup) u1/b(dup) u1/c",
				{Limit: 4}:       "u1/a u1/b u2/a u1/a(dup)",
				{UserID: "u2"}:   "u2/a u2/a(dup)",
				{UserID: "u9"}:   "",
				{SessionID: "x"}: "",
			} {
				if got := read(*q); got != want {
					t.Errorf("%+v: read %q, want %q", *q, got, want)
				}
			}

			if _, err := s.DeleteUsers(context.Background(), d, []string{"u1"}); err != nil {
				t.Fatal(err)
			}
			load(t, s, perch.ImportIncremental, &perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("u1", "a"), bulkEvent("u2", "a")}})
			if got, want := read(perch.RecordQuery{}), "u2/a u2/a(dup) u1/a u2/a(dup)"; got != want {
				t.Errorf("after deleting u1: read %q, want %q", got, want)
			}

			load(t, s, perch.ImportFull, &perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("u2", "a")}})
			if got, want := read(perch.RecordQuery{}), "u2/a"; got != want {
				t.Errorf("after a FULL import: read %q, want %q", got, want)
			}
			if n := countKeys(t, s, appendDatasetPrefix(nil, tagBulkDedup, d.ID)); n != 1 {
				t.Errorf("%d exact-duplicate keys after a FULL import of one row, want 1", n)
			}
		})
	}
}
