package storetest

import (
	"slices"
	"testing"

	"github.com/perchdev/perch"
)

// wantCount wants RecordCount of d to be n.
func (s *store) wantCount(d *perch.Dataset, n int64, when string) {
	s.t.Helper()
	got, err := s.RecordCount(s.t.Context(), d.ID)
	if err != nil || got != n {
		s.t.Errorf("RecordCount of the %s dataset %s = %d, %v; want %d", d.Type, when, got, err, n)
	}
}

// testRecordCounts: the count a store keeps follows every write of
// records: commits (duplicates included; an entity put again is not a
// new record), imports (a FULL import replaces the bulk records it
// drops), DeleteUsers, and a reopen; a staged import counts only once
// committed, and an empty dataset counts 0.
func testRecordCounts(t *testing.T, h Harness) {
	s := openFresh(t, h)
	d := s.dataset(perch.Interactions)
	s.wantCount(d, 0, "new")
	s.commit(&perch.Batch{Dataset: d, Events: []perch.Event{event("1", "u", "s"), event("2", "u", "s"), event("1", "v", "s")}})
	s.wantCount(d, 3, "after a commit of 3 events, one a duplicate")
	s.load(perch.ImportIncremental, &perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("u", "a"), bulkEvent("w", "b")}})
	s.wantCount(d, 5, "after an incremental import of 2")

	l, err := s.BulkLoad(t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Add(t.Context(), &perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("x", "c")}}); err != nil {
		t.Fatal(err)
	}
	s.wantCount(d, 5, "while an import is staged")
	if err := l.Commit(t.Context(), perch.ImportFull); err != nil {
		t.Fatal(err)
	}
	s.wantCount(d, 4, "after a FULL import of 1 replaced 2")

	s.deleteUsers(d, []string{"u", "x"}, 3)
	s.wantCount(d, 1, "after DeleteUsers removed 3")
	s.reopen()
	s.wantCount(d, 1, "after a reopen")

	items := s.dataset(perch.Items)
	s.commit(&perch.Batch{Dataset: items, Entities: []perch.Entity{{ID: "a", Updated: 1}, {ID: "b", Updated: 1}, {ID: "a", Updated: 2}}})
	s.wantCount(items, 2, "after a put of 2 items, one twice")
	s.commit(&perch.Batch{Dataset: items, Entities: []perch.Entity{{ID: "b", Updated: 3}, {ID: "c", Updated: 3}}})
	s.wantCount(items, 3, "after a put of one new item and one again")
	s.load(perch.ImportFull, &perch.Batch{Dataset: items, Entities: []perch.Entity{{ID: "x", Updated: 1}, {ID: "y", Updated: 1}}})
	s.wantCount(items, 5, "after an import of 2 items")

	users := s.dataset(perch.Users)
	s.commit(&perch.Batch{Dataset: users, Entities: []perch.Entity{{ID: "u1", Updated: 1}, {ID: "u2", Updated: 1}}})
	s.deleteUsers(users, []string{"u1"}, 1)
	s.wantCount(users, 1, "after DeleteUsers of one of 2 users")
}

// testNewestFirst: RecordQuery.Newest reads the same records in the
// reverse order, by user and session too, and a limit keeps the newest.
func testNewestFirst(t *testing.T, h Harness) {
	s := openFresh(t, h)
	d := s.dataset(perch.Interactions)
	s.load(perch.ImportIncremental, &perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("u", "old-1"), bulkEvent("v", "old-2")}})
	s.load(perch.ImportIncremental, &perch.Batch{Dataset: d, Events: []perch.Event{bulkEvent("u", "old-3")}})
	s.commit(&perch.Batch{Dataset: d, Events: []perch.Event{event("1", "u", "s1"), event("2", "u", "s1"), event("3", "u", "s2")}})
	s.commit(&perch.Batch{Dataset: d, Events: []perch.Event{event("4", "v", "s3"), event("1", "v", "s3")}})

	for _, q := range []perch.RecordQuery{{}, {UserID: "u"}, {UserID: "v"}, {SessionID: "s1"}, {Source: perch.IngestBulk}} {
		forward := s.events(d, q)
		q.Newest = true
		got := s.events(d, q)
		want := slices.Clone(forward)
		slices.Reverse(want)
		if marked(got, items) != marked(want, items) {
			t.Errorf("Newest read of %+v = %s, want %s", q, marked(got, items), marked(want, items))
		}
		if len(forward) > 2 {
			q.Limit = 2
			if got := s.events(d, q); marked(got, items) != marked(want[:2], items) {
				t.Errorf("Newest read of %+v = %s, want %s", q, marked(got, items), marked(want[:2], items))
			}
		}
	}
	q := perch.RecordQuery{Newest: true, Limit: 1}
	if got := s.events(d, q); len(got) != 1 || got[0].EventID != "1" || !got[0].Duplicate {
		t.Errorf("the newest event = %+v, want the duplicate eventId 1", got)
	}
}

func items(e *perch.Event) string { return e.ItemID }
