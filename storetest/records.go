package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/perchdev/perch"
)

// testRecordsRoundTrip: every member of an event and of an action
// interaction reads back as committed; a read of the other kind of
// interaction in a dataset finds nothing.
func testRecordsRoundTrip(t *testing.T, h Harness) {
	s := openFresh(t, h)
	value := 4.25
	want := []perch.Event{
		{
			EventID:           "e1",
			EventType:         "purchase",
			EventValue:        &value,
			ItemID:            "item-1",
			UserID:            "user-1",
			SessionID:         "session-1",
			SentAt:            1700000000123,
			Impression:        []string{"item-1", "item-2", "item-3"},
			RecommendationID:  "rec-1",
			Properties:        `{"numberOfRatings": "12", "discount": true}`,
			MetricAttribution: &perch.MetricAttribution{EventAttributionSource: "email"},
		},
		{EventID: "e2", EventType: "click", SessionID: "session-2", SentAt: 1},
	}
	interactions := s.dataset(perch.Interactions)
	s.commit(&perch.Batch{Dataset: interactions, Events: want})
	if got := s.events(interactions, perch.RecordQuery{}); !reflect.DeepEqual(got, want) {
		t.Errorf("events:\n got %+v\nwant %+v", got, want)
	}

	wantActions := []perch.ActionInteraction{{
		EventID:          "a1",
		EventType:        "TAKEN",
		ActionID:         "action-1",
		UserID:           "user-1",
		SessionID:        "session-1",
		Timestamp:        1700000000999,
		Impression:       []string{"action-1", "action-2"},
		RecommendationID: "rec-2",
		Properties:       `{"channel": "SMS"}`,
	}}
	actions := s.dataset(perch.ActionInteractions)
	s.commit(&perch.Batch{Dataset: actions, ActionInteractions: wantActions})
	if got := s.actionInteractions(actions, perch.RecordQuery{}); !reflect.DeepEqual(got, wantActions) {
		t.Errorf("action interactions:\n got %+v\nwant %+v", got, wantActions)
	}
	if got := s.events(actions, perch.RecordQuery{UserID: "user-1"}); len(got) != 0 {
		t.Errorf("events of an action interactions dataset: %+v", got)
	}
	if got := s.actionInteractions(interactions, perch.RecordQuery{}); len(got) != 0 {
		t.Errorf("action interactions of an interactions dataset: %+v", got)
	}
}

// testCommitOutcomes: an empty batch commits nothing and succeeds; a
// batch whose context has ended is refused with the context's error and
// leaves nothing behind, then a batch of the same records commits whole.
func testCommitOutcomes(t *testing.T, h Harness) {
	s := openFresh(t, h)
	d := s.dataset(perch.Interactions)
	if err := s.Commit(t.Context(), &perch.Batch{Dataset: d}); err != nil {
		t.Errorf("Commit of an empty batch = %v, want nil", err)
	}
	b := &perch.Batch{Dataset: d, Events: []perch.Event{event("1", "u", "s"), event("2", "u", "s"), event("3", "v", "s")}}
	if err := s.Commit(ctxDone(), b); !errors.Is(err, context.Canceled) {
		t.Errorf("Commit with an ended context = %v, want %v", err, context.Canceled)
	}
	if got := s.events(d, perch.RecordQuery{}); len(got) != 0 {
		t.Errorf("events after a refused commit: %v", eventIDs(got))
	}
	s.commit(b)
	if got, want := marked(s.events(d, perch.RecordQuery{}), byEventID), "1 2 3"; got != want {
		t.Errorf("events = %q, want %q: none a duplicate of the refused batch", got, want)
	}
}

// testCommitToDeletedDataset: a commit to a deleted dataset fails with
// ResourceNotFoundException and stores nothing.
func testCommitToDeletedDataset(t *testing.T, h Harness) {
	s := openFresh(t, h)
	d := s.dataset(perch.Interactions)
	if err := s.Resources().DeleteDataset(t.Context(), d.ARN); err != nil {
		t.Fatal(err)
	}
	err := s.Commit(t.Context(), &perch.Batch{Dataset: d, Events: []perch.Event{event("e1", "u", "s"), event("e2", "u", "s")}})
	if perch.ErrorCode(err) != perch.EResourceNotFound {
		t.Errorf("Commit = %v, want %s", err, perch.EResourceNotFound)
	}
	if got := s.events(d, perch.RecordQuery{}); len(got) != 0 {
		t.Errorf("events: %+v", got)
	}
}

// testDuplicates: of two events with one eventId in a dataset, the later
// reads back as a duplicate, within one batch and across batches, for
// events and action interactions alike, however they are read; the same
// eventId in another dataset is not a duplicate, and a Duplicate flag a
// caller sets is not stored.
func testDuplicates(t *testing.T, h Harness) {
	s := openFresh(t, h)
	d, other := s.dataset(perch.Interactions), s.dataset(perch.Interactions)
	s.commit(&perch.Batch{Dataset: d, Events: []perch.Event{
		event("e1", "u", "s"), event("e2", "u", "s"), event("e1", "u", "s"),
	}})
	s.commit(&perch.Batch{Dataset: d, Events: []perch.Event{
		event("e2", "u", "s"), event("e3", "u", "s"),
	}})
	s.commit(&perch.Batch{Dataset: other, Events: []perch.Event{event("e1", "u", "s")}})
	flagged := event("e4", "u", "s")
	flagged.Duplicate = true
	s.commit(&perch.Batch{Dataset: d, Events: []perch.Event{flagged}})

	var dups []bool
	for _, e := range s.events(d, perch.RecordQuery{}) {
		dups = append(dups, e.Duplicate)
	}
	if want := []bool{false, false, true, true, false, false}; !slices.Equal(dups, want) {
		t.Errorf("duplicate flags = %v, want %v", dups, want)
	}
	if got := s.events(other, perch.RecordQuery{}); len(got) != 1 || got[0].Duplicate {
		t.Errorf("an event of another dataset: %+v, want one, not a duplicate", got)
	}
	for _, q := range []perch.RecordQuery{{UserID: "u"}, {SessionID: "s"}, {UserID: "u", SessionID: "s"}} {
		if got, want := marked(s.events(d, q), byEventID), "e1 e2 e1(dup) e2(dup) e3 e4"; got != want {
			t.Errorf("%+v: read %q, want %q", q, got, want)
		}
	}
	q := perch.RecordQuery{UserID: "u", Limit: 3}
	if got, want := marked(s.events(d, q), byEventID), "e1 e2 e1(dup)"; got != want {
		t.Errorf("%+v: read %q, want %q", q, got, want)
	}

	actions := s.dataset(perch.ActionInteractions)
	s.commit(&perch.Batch{Dataset: actions, ActionInteractions: []perch.ActionInteraction{
		{EventID: "a1", ActionID: "x", SessionID: "s"}, {EventID: "a1", ActionID: "y", SessionID: "s"},
	}})
	s.commit(&perch.Batch{Dataset: actions, ActionInteractions: []perch.ActionInteraction{{EventID: "a1", ActionID: "z", SessionID: "t"}}})
	got := s.actionInteractions(actions, perch.RecordQuery{})
	if len(got) != 3 || got[0].Duplicate || !got[1].Duplicate || !got[2].Duplicate {
		t.Errorf("action interaction duplicates: %+v", got)
	}
}

// testEventQueries: reads by user, session, both, and with a limit or a
// time range, in the order the records were committed; user and session
// ids that are prefixes of one another or hold a slash are not confused.
func testEventQueries(t *testing.T, h Harness) {
	s := openFresh(t, h)
	d := s.dataset(perch.Interactions)
	at := func(e perch.Event, ms perch.Timestamp) perch.Event { e.SentAt = ms; return e }
	s.commit(&perch.Batch{Dataset: d, Events: []perch.Event{
		at(event("1", "u1", "s1"), 1000),
		at(event("2", "u10", "s1"), 2000),
		at(event("3", "u1/", "s2"), 3000),
		at(event("4", "u1", "s2"), 4000),
		at(event("5", "", "s1"), 5000),
		at(event("6", "u1", "s1"), 6000),
	}})
	s.commit(&perch.Batch{Dataset: s.dataset(perch.Interactions), Events: []perch.Event{event("7", "u1", "s1")}})

	tests := []struct {
		name string
		q    perch.RecordQuery
		want []string
	}{
		{"all", perch.RecordQuery{}, []string{"1", "2", "3", "4", "5", "6"}},
		{"limit", perch.RecordQuery{Limit: 2}, []string{"1", "2"}},
		{"user", perch.RecordQuery{UserID: "u1"}, []string{"1", "4", "6"}},
		{"user with a slash", perch.RecordQuery{UserID: "u1/"}, []string{"3"}},
		{"user and limit", perch.RecordQuery{UserID: "u1", Limit: 2}, []string{"1", "4"}},
		{"session", perch.RecordQuery{SessionID: "s1"}, []string{"1", "2", "5", "6"}},
		{"user and session", perch.RecordQuery{UserID: "u1", SessionID: "s1"}, []string{"1", "6"}},
		{"user, session and limit", perch.RecordQuery{UserID: "u1", SessionID: "s2", Limit: 1}, []string{"4"}},
		{"unknown user", perch.RecordQuery{UserID: "u2"}, nil},
		{"time range, half open", perch.RecordQuery{Time: &perch.TimeRange{From: 2000, To: 5000}}, []string{"2", "3", "4"}},
		{"time range and user", perch.RecordQuery{UserID: "u1", Time: &perch.TimeRange{From: 1001, To: 6001}}, []string{"4", "6"}},
		{"time range and limit", perch.RecordQuery{Limit: 1, Time: &perch.TimeRange{From: 3000, To: 9000}}, []string{"3"}},
		{"put through the API", perch.RecordQuery{Source: perch.IngestPut, UserID: "u1"}, []string{"1", "4", "6"}},
		{"imported", perch.RecordQuery{Source: perch.IngestBulk}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := eventIDs(s.events(d, tt.q)); !slices.Equal(got, tt.want) {
				t.Errorf("events = %v, want %v", got, tt.want)
			}
		})
	}
}

// testRunsOfOneUserAndSession: consecutive records of a batch with one
// user and session (as a PutEvents call has), mixed with others, read
// back one by one in commit order by every query, duplicates marked; and
// after their user's records are deleted, the rest read on as before, an
// eventId of the deleted records is new again, and one of the remaining
// records is still a duplicate's original.
func testRunsOfOneUserAndSession(t *testing.T, h Harness) {
	s := openFresh(t, h)
	d := s.dataset(perch.Interactions)
	s.commit(&perch.Batch{Dataset: d, Events: []perch.Event{
		event("e1", "u1", "s1"), event("e2", "u1", "s1"),
		event("e3", "u2", "s1"),
		event("e4", "u1", "s2"), event("e1", "u1", "s2"),
		event("e5", "", "s2"),
	}})
	for _, c := range []struct {
		q    perch.RecordQuery
		want string
	}{
		{perch.RecordQuery{}, "e1 e2 e3 e4 e1(dup) e5"},
		{perch.RecordQuery{UserID: "u1"}, "e1 e2 e4 e1(dup)"},
		{perch.RecordQuery{SessionID: "s2"}, "e4 e1(dup) e5"},
		{perch.RecordQuery{UserID: "u1", SessionID: "s2"}, "e4 e1(dup)"},
		{perch.RecordQuery{Limit: 3}, "e1 e2 e3"},
		{perch.RecordQuery{Limit: 1}, "e1"},
		{perch.RecordQuery{UserID: "u1", Limit: 3}, "e1 e2 e4"},
	} {
		if got := marked(s.events(d, c.q), byEventID); got != c.want {
			t.Errorf("%+v: read %q, want %q", c.q, got, c.want)
		}
	}

	s.deleteUsers(d, []string{"u1"}, 4)
	s.commit(&perch.Batch{Dataset: d, Events: []perch.Event{event("e1", "u3", "s3"), event("e3", "u3", "s3")}})
	for _, c := range []struct {
		q    perch.RecordQuery
		want string
	}{
		{perch.RecordQuery{}, "e3 e5 e1 e3(dup)"},
		{perch.RecordQuery{UserID: "u1"}, ""},
		{perch.RecordQuery{SessionID: "s1"}, "e3"},
		{perch.RecordQuery{SessionID: "s2"}, "e5"},
		{perch.RecordQuery{UserID: "u3"}, "e1 e3(dup)"},
	} {
		if got := marked(s.events(d, c.q), byEventID); got != c.want {
			t.Errorf("after deleting u1, %+v: read %q, want %q", c.q, got, c.want)
		}
	}
}

// testReadStopsAtCallbackError: a read stops at the first error its
// callback returns and returns that error.
func testReadStopsAtCallbackError(t *testing.T, h Harness) {
	s := openFresh(t, h)
	d := s.dataset(perch.Interactions)
	s.commit(&perch.Batch{Dataset: d, Events: []perch.Event{event("1", "u", "s"), event("2", "u", "s")}})
	stop := errors.New("stop")
	for _, q := range []perch.RecordQuery{{}, {UserID: "u"}, {SessionID: "s"}} {
		calls := 0
		err := s.Events(t.Context(), d.ID, q, func(*perch.Event) error { calls++; return stop })
		if err != stop || calls != 1 {
			t.Errorf("query %+v: err = %v after %d calls, want %v after 1", q, err, calls, stop)
		}
	}
	actions := s.dataset(perch.ActionInteractions)
	s.commit(&perch.Batch{Dataset: actions, ActionInteractions: []perch.ActionInteraction{
		{EventID: "1", ActionID: "a", SessionID: "s"}, {EventID: "2", ActionID: "a", SessionID: "s"},
	}})
	calls := 0
	err := s.ActionInteractions(t.Context(), actions.ID, perch.RecordQuery{}, func(*perch.ActionInteraction) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Errorf("ActionInteractions: err = %v after %d calls, want %v after 1", err, calls, stop)
	}
	items := s.dataset(perch.Items)
	s.commit(&perch.Batch{Dataset: items, Entities: []perch.Entity{{ID: "a"}, {ID: "b"}}})
	calls = 0
	err = s.Entities(t.Context(), items.ID, perch.RecordQuery{}, func(*perch.Entity) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Errorf("Entities: err = %v after %d calls, want %v after 1", err, calls, stop)
	}
}

// testEntitiesNewestWins: an entity written again replaces its earlier
// record, within a batch and in a later commit, even when the later
// record's time is older; entities read in byte order of their ids, by
// id and with a limit; another dataset's entity of the same id is apart.
func testEntitiesNewestWins(t *testing.T, h Harness) {
	s := openFresh(t, h)
	d, other := s.dataset(perch.Items), s.dataset(perch.Items)
	s.commit(&perch.Batch{Dataset: d, Entities: []perch.Entity{
		{ID: "b", Properties: `{"v": 1}`, Updated: 1},
		{ID: "a", Properties: `{"v": 1}`, Updated: 1},
		{ID: "b", Properties: `{"v": 2}`, Updated: 2},
	}})
	s.commit(&perch.Batch{Dataset: d, Entities: []perch.Entity{{ID: "a", Properties: `{"v": 3}`, Updated: 3}}})
	s.commit(&perch.Batch{Dataset: other, Entities: []perch.Entity{{ID: "a", Properties: `{"v": 9}`}}})

	want := []perch.Entity{
		{ID: "a", Properties: `{"v": 3}`, Updated: 3},
		{ID: "b", Properties: `{"v": 2}`, Updated: 2},
	}
	if got := s.entities(d, perch.RecordQuery{}); !reflect.DeepEqual(got, want) {
		t.Errorf("entities = %+v, want %+v", got, want)
	}
	if got := s.entities(d, perch.RecordQuery{Limit: 1}); !reflect.DeepEqual(got, want[:1]) {
		t.Errorf("entities with limit 1 = %+v, want %+v", got, want[:1])
	}
	if got := s.entities(d, perch.RecordQuery{ID: "b"}); !reflect.DeepEqual(got, want[1:]) {
		t.Errorf("entity b = %+v, want %+v", got, want[1:])
	}
	if got := s.entities(d, perch.RecordQuery{ID: "c"}); len(got) != 0 {
		t.Errorf("entity c = %+v, want none", got)
	}

	// A later write wins by being later, not by its time.
	s.commit(&perch.Batch{Dataset: d, Entities: []perch.Entity{{ID: "b", Properties: `{"v": "old"}`, Updated: 1}}})
	if got := s.entities(d, perch.RecordQuery{ID: "b"}); len(got) != 1 || got[0].Properties != `{"v": "old"}` {
		t.Errorf("entity b after a later write with an older time = %+v", got)
	}

	ordered := s.dataset(perch.Users)
	s.commit(&perch.Batch{Dataset: ordered, Entities: []perch.Entity{{ID: "b"}, {ID: "_x"}, {ID: "a/"}, {ID: "B"}, {ID: "a"}, {ID: "ab"}, {ID: "é"}}})
	var ids []string
	for _, e := range s.entities(ordered, perch.RecordQuery{}) {
		ids = append(ids, e.ID)
	}
	if want := []string{"B", "_x", "a", "a/", "ab", "b", "é"}; !slices.Equal(ids, want) {
		t.Errorf("ids read in the order %q, want byte order %q", ids, want)
	}
}

// testConcurrentCommits: batches committed from many goroutines at once
// are all stored, each goroutine's in the order it committed them, and
// none is a duplicate.
func testConcurrentCommits(t *testing.T, h Harness) {
	const goroutines, batches, perBatch = 50, 200, 3
	s := openFresh(t, h)
	d := s.dataset(perch.Interactions)
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			for b := range batches {
				var evs []perch.Event
				for i := range perBatch {
					evs = append(evs, event(fmt.Sprintf("%d-%d-%d", g, b, i), fmt.Sprint(g), "s"))
				}
				if err := s.Commit(t.Context(), &perch.Batch{Dataset: d, Events: evs}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Commit: %v", err)
	}
	got := s.events(d, perch.RecordQuery{})
	if len(got) != goroutines*batches*perBatch {
		t.Fatalf("%d events stored, want %d", len(got), goroutines*batches*perBatch)
	}
	next := map[string]int{}
	for _, e := range got {
		want := fmt.Sprintf("%s-%d-%d", e.UserID, next[e.UserID]/perBatch, next[e.UserID]%perBatch)
		if e.EventID != want || e.Duplicate {
			t.Fatalf("event %+v, want id %s and no duplicate", e, want)
		}
		next[e.UserID]++
	}
	// By user, each goroutine's events alone, in its order.
	if ids := eventIDs(s.events(d, perch.RecordQuery{UserID: "7"})); len(ids) != batches*perBatch || ids[0] != "7-0-0" || ids[len(ids)-1] != fmt.Sprintf("7-%d-%d", batches-1, perBatch-1) {
		t.Errorf("user 7's events: %d, from %v", len(ids), ids[:min(len(ids), 3)])
	}
}

// testRecordsSurviveReopen: what was committed reads back the same after
// the store is closed and opened again; records committed after the
// reopen follow the earlier ones, and an eventId committed before it
// makes a later event a duplicate.
func testRecordsSurviveReopen(t *testing.T, h Harness) {
	s := openFresh(t, h)
	d, items := s.dataset(perch.Interactions), s.dataset(perch.Items)
	s.commit(&perch.Batch{Dataset: d, Events: []perch.Event{event("e1", "u", "s"), event("e2", "u", "s")}})
	s.commit(&perch.Batch{Dataset: items, Entities: []perch.Entity{{ID: "i1", Updated: 5}}})

	s.reopen()
	list, err := s.Resources().Datasets(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(list, func(a, b *perch.Dataset) int { return cmp.Compare(a.ID, b.ID) })
	if want := []*perch.Dataset{d, items}; !reflect.DeepEqual(list, want) {
		t.Errorf("Datasets = %+v, want %+v", list, want)
	}
	if got := s.entities(items, perch.RecordQuery{}); len(got) != 1 || got[0].ID != "i1" || got[0].Updated != 5 {
		t.Errorf("entities = %+v", got)
	}
	s.commit(&perch.Batch{Dataset: d, Events: []perch.Event{event("e3", "u", "s"), event("e1", "u", "s")}})
	if got, want := marked(s.events(d, perch.RecordQuery{}), byEventID), "e1 e2 e3 e1(dup)"; got != want {
		t.Errorf("events after reopen = %q, want %q", got, want)
	}
	if got, want := marked(s.events(d, perch.RecordQuery{UserID: "u", SessionID: "s"}), byEventID), "e1 e2 e3 e1(dup)"; got != want {
		t.Errorf("events of u in s after reopen = %q, want %q", got, want)
	}
}

// testClosedStore: once closed, a store refuses records, reads and
// resource writes with an error.
func testClosedStore(t *testing.T, h Harness) {
	s := openFresh(t, h)
	d := s.dataset(perch.Interactions)
	st := s.Store
	s.close()
	ctx := t.Context()
	calls := map[string]func() error{
		"Commit": func() error {
			return st.Commit(ctx, &perch.Batch{Dataset: d, Events: []perch.Event{event("1", "u", "s")}})
		},
		"Events":             func() error { return st.Events(ctx, d.ID, perch.RecordQuery{}, noCall) },
		"ActionInteractions": func() error { return st.ActionInteractions(ctx, d.ID, perch.RecordQuery{}, noCall) },
		"Entities":           func() error { return st.Entities(ctx, d.ID, perch.RecordQuery{}, noCall) },
		"DeleteUsers":        func() error { _, err := st.DeleteUsers(ctx, d, []string{"u"}); return err },
		"BulkLoad":           func() error { _, err := st.BulkLoad(ctx, d); return err },
		"CreateSchema": func() error {
			return st.Resources().CreateSchema(ctx, &perch.Schema{ARN: arn("schema/closed"), Name: "closed"}, 100)
		},
		"CreateDataset": func() error { return st.Resources().CreateDataset(ctx, d) },
		"UpdateDataset": func() error { return st.Resources().UpdateDataset(ctx, d) },
		"Dataset":       func() error { _, err := st.Resources().Dataset(ctx, d.ARN); return err },
		"Datasets":      func() error { _, err := st.Resources().Datasets(ctx); return err },
		"DeleteDataset": func() error { return st.Resources().DeleteDataset(ctx, d.ARN) },
		"NextDatasetID": func() error { _, err := st.Resources().NextDatasetID(ctx); return err },
	}
	for name, call := range calls {
		if err := call(); err == nil {
			t.Errorf("%s on a closed store succeeded", name)
		}
	}
}
