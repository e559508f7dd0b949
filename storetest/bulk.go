package storetest

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/perchdev/perch"
)

// testBulkSourcesAndModes: imported events read before those put through
// the API, in import order; queries select by source, user, limit and
// time; an INCREMENTAL import joins the earlier imported records and a
// FULL one replaces them all, leaving the records put through the API.
func testBulkSourcesAndModes(t *testing.T, h Harness) {
	s := openFresh(t, h)
	d := s.dataset(perch.Interactions)
	s.commit(&perch.Batch{Dataset: d, Events: []perch.Event{event("e1", "u1", "s1")}})
	s.load(perch.ImportFull, &perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("u1", "a"), bulkEvent("u2", "b")}})

	read := func(q perch.RecordQuery) string { return marked(s.events(d, q), bySource) }
	for _, c := range []struct {
		q    perch.RecordQuery
		want string
	}{
		{perch.RecordQuery{}, "bulk:u1/a bulk:u2/b put:u1/item-e1"},
		{perch.RecordQuery{Source: perch.IngestAll}, "bulk:u1/a bulk:u2/b put:u1/item-e1"},
		{perch.RecordQuery{Source: perch.IngestPut}, "put:u1/item-e1"},
		{perch.RecordQuery{Source: perch.IngestBulk, UserID: "u1"}, "bulk:u1/a"},
		{perch.RecordQuery{UserID: "u1", Limit: 2}, "bulk:u1/a put:u1/item-e1"},
		{perch.RecordQuery{Limit: 1}, "bulk:u1/a"},
		// Imported records have no session.
		{perch.RecordQuery{SessionID: "s1"}, "put:u1/item-e1"},
	} {
		if got := read(c.q); got != c.want {
			t.Errorf("%+v: read %q, want %q", c.q, got, c.want)
		}
	}

	s.load(perch.ImportIncremental, &perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("u3", "c")}})
	if got, want := read(perch.RecordQuery{Source: perch.IngestBulk}), "bulk:u1/a bulk:u2/b bulk:u3/c"; got != want {
		t.Errorf("after an INCREMENTAL import: read %q, want %q", got, want)
	}
	s.load(perch.ImportFull, &perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("u4", "d")}})
	if got, want := read(perch.RecordQuery{}), "bulk:u4/d put:u1/item-e1"; got != want {
		t.Errorf("after a FULL import: read %q, want %q: the new imported records and the put one", got, want)
	}
	if got := read(perch.RecordQuery{UserID: "u1", Source: perch.IngestBulk}); got != "" {
		t.Errorf("u1's imported records after a FULL import without them: %q", got)
	}

	tr := &perch.TimeRange{From: 1650000000000, To: 1800000000000}
	if got, want := read(perch.RecordQuery{Time: tr}), "put:u1/item-e1"; got != want {
		t.Errorf("time range: read %q, want %q", got, want)
	}

	actions := s.dataset(perch.ActionInteractions)
	s.commit(&perch.Batch{Dataset: actions, ActionInteractions: []perch.ActionInteraction{{EventID: "p", ActionID: "put", UserID: "u", SessionID: "s"}}})
	s.load(perch.ImportFull, &perch.Batch{Dataset: actions, ActionInteractions: []perch.ActionInteraction{{ActionID: "bulk", UserID: "u"}}})
	var got []string
	for _, a := range s.actionInteractions(actions, perch.RecordQuery{UserID: "u"}) {
		got = append(got, fmt.Sprintf("%s:%v", a.ActionID, a.Bulk))
	}
	if want := []string{"bulk:true", "put:false"}; !reflect.DeepEqual(got, want) {
		t.Errorf("action interactions of u = %v, want %v", got, want)
	}
}

// testBulkEntitiesMerge: an entity's current record is the newest (by its
// time) of those put through the API and imported; a query of one source
// sees that source's record alone.
func testBulkEntitiesMerge(t *testing.T, h Harness) {
	s := openFresh(t, h)
	d := s.dataset(perch.Items)
	s.commit(&perch.Batch{Dataset: d, Entities: []perch.Entity{{ID: "a", Properties: `{"p":"put"}`, Updated: 200}}})
	s.load(perch.ImportFull, &perch.Batch{Dataset: d, Entities: []perch.Entity{
		{ID: "a", Properties: `{"p":"bulk1"}`, Updated: 100}, {ID: "b", Properties: `{"p":"bulk1"}`, Updated: 100},
	}})
	s.load(perch.ImportIncremental, &perch.Batch{Dataset: d, Entities: []perch.Entity{
		{ID: "b", Properties: `{"p":"bulk2"}`, Updated: 300}, {ID: "c", Properties: `{"p":"bulk2"}`, Updated: 300},
	}})
	got := map[string]string{}
	for _, e := range s.entities(d, perch.RecordQuery{}) {
		got[e.ID] = e.Properties
	}
	want := map[string]string{"a": `{"p":"put"}`, "b": `{"p":"bulk2"}`, "c": `{"p":"bulk2"}`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ALL = %v, want %v", got, want)
	}
	if bulk := s.entities(d, perch.RecordQuery{Source: perch.IngestBulk, ID: "a"}); len(bulk) != 1 || bulk[0].Properties != `{"p":"bulk1"}` || !bulk[0].Bulk {
		t.Errorf("BULK a = %+v", bulk)
	}
	if put := s.entities(d, perch.RecordQuery{Source: perch.IngestPut}); len(put) != 1 || put[0].ID != "a" || put[0].Bulk {
		t.Errorf("PUT = %+v", put)
	}
	if n := len(s.entities(d, perch.RecordQuery{Limit: 2})); n != 2 {
		t.Errorf("limit 2 gave %d", n)
	}
}

// testBulkStagedIsInvisible: what a loader stages is seen by no read
// until its Commit; a load abandoned by a close, or aborted, is never
// seen, not even after a reopen or a later import; Abort after Commit
// changes nothing.
func testBulkStagedIsInvisible(t *testing.T, h Harness) {
	s := openFresh(t, h)
	d, items := s.dataset(perch.Interactions), s.dataset(perch.Items)
	ctx := t.Context()
	stage := func(b *perch.Batch) perch.BulkLoader {
		t.Helper()
		l, err := s.BulkLoad(ctx, b.Dataset)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Add(ctx, b); err != nil {
			t.Fatal(err)
		}
		return l
	}
	nothing := func(when string) {
		t.Helper()
		for _, q := range []perch.RecordQuery{{}, {UserID: "u"}, {Source: perch.IngestBulk}} {
			if got := s.events(d, q); len(got) != 0 {
				t.Errorf("%s, %+v: read %q", when, q, marked(got, bySource))
			}
		}
		if got := s.entities(items, perch.RecordQuery{}); len(got) != 0 {
			t.Errorf("%s: entities %+v", when, got)
		}
	}
	stage(&perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("u", "staged")}})
	stage(&perch.Batch{Dataset: items, Entities: []perch.Entity{{ID: "staged"}}})
	nothing("while staged")
	// The process ends without Commit or Abort.
	s.reopen()
	nothing("after a reopen")

	l := stage(&perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("u", "aborted")}})
	if err := l.Abort(); err != nil {
		t.Fatal(err)
	}
	nothing("after Abort")

	s.load(perch.ImportIncremental, &perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("u", "loaded")}})
	l = stage(&perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("u", "committed")}})
	if err := l.Commit(ctx, perch.ImportIncremental); err != nil {
		t.Fatal(err)
	}
	if err := l.Abort(); err != nil {
		t.Errorf("Abort after Commit = %v, want nil", err)
	}
	if got, want := marked(s.events(d, perch.RecordQuery{}), bySource), "bulk:u/loaded bulk:u/committed"; got != want {
		t.Errorf("after two imports: read %q, want %q", got, want)
	}
}

// testBulkLoadOfDeletedDataset: an import into a dataset deleted while it
// staged fails at Commit with ResourceNotFoundException, and none of its
// records is ever read.
func testBulkLoadOfDeletedDataset(t *testing.T, h Harness) {
	s := openFresh(t, h)
	d := s.dataset(perch.Interactions)
	ctx := t.Context()
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
	if got := s.events(d, perch.RecordQuery{}); len(got) != 0 {
		t.Errorf("records of a deleted dataset's import: %q", marked(got, bySource))
	}
}

// testLargeBulkLoad: an import of many batches, more than a store would
// hold in memory at once, is seen whole.
func testLargeBulkLoad(t *testing.T, h Harness) {
	s := openFresh(t, h)
	d := s.dataset(perch.Interactions)
	ctx := t.Context()
	l, err := s.BulkLoad(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	const n, users = 30000, 50
	for i := 0; i < n; i += 1000 {
		b := &perch.Batch{Dataset: d}
		for j := i; j < i+1000; j++ {
			b.Events = append(b.Events, bulkEvent(fmt.Sprintf("user-%d", j%users), fmt.Sprintf("item-%d", j)))
		}
		if err := l.Add(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Commit(ctx, perch.ImportFull); err != nil {
		t.Fatal(err)
	}
	got := s.events(d, perch.RecordQuery{})
	if len(got) != n {
		t.Fatalf("%d events, want %d", len(got), n)
	}
	for i, e := range got {
		if want := fmt.Sprintf("item-%d", i); e.ItemID != want || !e.Bulk || e.Duplicate {
			t.Fatalf("event %d: %+v, want item %s, imported, not a duplicate", i, e, want)
		}
	}
	if got := len(s.events(d, perch.RecordQuery{UserID: "user-7"})); got != n/users {
		t.Errorf("%d events of user-7, want %d", got, n/users)
	}
}

// testBulkExactDuplicates: an imported row identical to one imported
// before it (earlier in its import, or in an earlier import still live)
// reads back as a duplicate, whichever way it is read; deleting a user or
// replacing the imported records takes the rows' originals with them.
func testBulkExactDuplicates(t *testing.T, h Harness) {
	s := openFresh(t, h)
	d := s.dataset(perch.Interactions)
	byRow := func(e *perch.Event) string { return e.UserID + "/" + e.ItemID }
	read := func(q perch.RecordQuery) string { return marked(s.events(d, q), byRow) }
	s.load(perch.ImportFull, &perch.Batch{Dataset: d, Events: []perch.Event{
		bulkEvent("u1", "a"), bulkEvent("u1", "b"), bulkEvent("u2", "a"), bulkEvent("u1", "a"), bulkEvent("u2", "a"),
	}})
	s.load(perch.ImportIncremental, &perch.Batch{Dataset: d, Events: []perch.Event{
		bulkEvent("u1", "b"), bulkEvent("u1", "c"),
	}})
	for _, c := range []struct {
		q    perch.RecordQuery
		want string
	}{
		{perch.RecordQuery{}, "u1/a u1/b u2/a u1/a(dup) u2/a(dup) u1/b(dup) u1/c"},
		{perch.RecordQuery{UserID: "u1"}, "u1/a u1/b u1/a(dup) u1/b(dup) u1/c"},
		{perch.RecordQuery{Limit: 4}, "u1/a u1/b u2/a u1/a(dup)"},
		{perch.RecordQuery{UserID: "u2"}, "u2/a u2/a(dup)"},
		{perch.RecordQuery{UserID: "u9"}, ""},
		{perch.RecordQuery{SessionID: "x"}, ""},
	} {
		if got := read(c.q); got != c.want {
			t.Errorf("%+v: read %q, want %q", c.q, got, c.want)
		}
	}

	s.deleteUsers(d, []string{"u1"}, 5)
	s.load(perch.ImportIncremental, &perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("u1", "a"), bulkEvent("u2", "a")}})
	if got, want := read(perch.RecordQuery{}), "u2/a u2/a(dup) u1/a u2/a(dup)"; got != want {
		t.Errorf("after deleting u1: read %q, want %q", got, want)
	}

	s.load(perch.ImportFull, &perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("u2", "a")}})
	if got, want := read(perch.RecordQuery{}), "u2/a"; got != want {
		t.Errorf("after a FULL import: read %q, want %q", got, want)
	}
}

// testDeleteUsers: DeleteUsers removes the given users' records of both
// sources, duplicates included, from interactions, action interactions
// and users datasets, and returns how many it removed; a user without
// records counts none. Once an eventId's first record is deleted, the
// next record with it is an original.
func testDeleteUsers(t *testing.T, h Harness) {
	s := openFresh(t, h)
	d := s.dataset(perch.Interactions)
	s.commit(&perch.Batch{Dataset: d, Events: []perch.Event{
		event("e1", "gone", "s1"), event("e1", "gone", "s1"), event("e2", "kept", "s2"), event("e1", "kept", "s3"),
	}})
	s.load(perch.ImportFull, &perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("gone", "a"), bulkEvent("kept", "b")}})
	// Two put, one of them a duplicate, and one imported.
	s.deleteUsers(d, []string{"gone", "nobody"}, 3)
	left := s.events(d, perch.RecordQuery{})
	if got, want := marked(left, bySource), "bulk:kept/b put:kept/item-e2 put:kept/item-e1"; got != want {
		t.Errorf("left %q, want %q", got, want)
	}
	for _, q := range []perch.RecordQuery{{UserID: "gone"}, {SessionID: "s1"}, {UserID: "gone", Source: perch.IngestBulk}} {
		if got := s.events(d, q); len(got) != 0 {
			t.Errorf("%+v after deleting gone: %q", q, marked(got, bySource))
		}
	}
	s.deleteUsers(d, []string{"gone"}, 0)

	actions := s.dataset(perch.ActionInteractions)
	s.commit(&perch.Batch{Dataset: actions, ActionInteractions: []perch.ActionInteraction{
		{EventID: "a1", ActionID: "x", UserID: "gone", SessionID: "s"},
		{EventID: "a2", ActionID: "x", UserID: "gone", SessionID: "s"},
		{EventID: "a1", ActionID: "y", UserID: "kept", SessionID: "s"},
	}})
	s.load(perch.ImportFull, &perch.Batch{Dataset: actions, ActionInteractions: []perch.ActionInteraction{{ActionID: "z", UserID: "gone"}}})
	s.deleteUsers(actions, []string{"gone"}, 3)
	if got := s.actionInteractions(actions, perch.RecordQuery{}); len(got) != 1 || got[0].ActionID != "y" || got[0].Duplicate {
		t.Errorf("action interactions left: %+v, want kept's, not a duplicate", got)
	}

	users := s.dataset(perch.Users)
	s.commit(&perch.Batch{Dataset: users, Entities: []perch.Entity{{ID: "gone", Updated: 1}, {ID: "kept", Updated: 1}}})
	s.load(perch.ImportFull, &perch.Batch{Dataset: users, Entities: []perch.Entity{{ID: "gone", Updated: 2}}})
	s.deleteUsers(users, []string{"gone"}, 2)
	if got := s.entities(users, perch.RecordQuery{}); len(got) != 1 || got[0].ID != "kept" {
		t.Errorf("users left: %+v", got)
	}
	if got := s.entities(users, perch.RecordQuery{ID: "gone"}); len(got) != 0 {
		t.Errorf("user gone read by id: %+v", got)
	}
}
