package pebble

import (
	"testing"

	pdb "github.com/cockroachdb/pebble/v2"

	"github.com/perchdev/perch"
)

// A store made before record counts were kept is counted once when it
// opens: records put, bulk generations and entities.
func TestCountsOfAnOlderStore(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	events, items := dataset(1, perch.Interactions), dataset(2, perch.Items)
	if err := s.Commit(ctx, &perch.Batch{Dataset: events, Events: []perch.Event{
		{EventID: "a", EventType: "click", UserID: "u", SessionID: "s"}, {EventID: "a", EventType: "click", UserID: "u", SessionID: "s"}}}); err != nil {
		t.Fatal(err)
	}
	l, err := s.BulkLoad(ctx, events)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Add(ctx, &perch.Batch{Dataset: events, Events: []perch.Event{{EventType: "click", UserID: "v"}, {EventType: "view", UserID: "w"}, {EventType: "x", UserID: "v"}}}); err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(ctx, perch.ImportFull); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, &perch.Batch{Dataset: items, Entities: []perch.Entity{{ID: "i1"}, {ID: "i2"}}}); err != nil {
		t.Fatal(err)
	}
	// What a store of the build before counts holds: no count keys, no
	// marker.
	b := s.db.NewBatch()
	_ = b.DeleteRange([]byte{tagCount, '/'}, prefixEnd([]byte{tagCount, '/'}), nil)
	_ = b.Delete(keyCounted, nil)
	if err := s.db.Apply(b, pdb.Sync); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, c := range []struct {
		d    *perch.Dataset
		want int64
	}{{events, 5}, {items, 2}} {
		if n, err := s.RecordCount(ctx, c.d.ID); err != nil || n != c.want {
			t.Errorf("RecordCount of %s after the count at open = %d, %v; want %d", c.d.Type, n, err, c.want)
		}
	}
}
