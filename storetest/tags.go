package storetest

import (
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/perchdev/perch"
)

// testResourceTags: the tags set on a resource are read back for its
// creation time only; ChangeResourceTags starts from the base tags when
// none were set, refuses what change refuses without writing, survives a
// reopen, and concurrent changes of one resource's tags never lose one.
func testResourceTags(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	g := s.group(account, "g", "")
	const created = perch.Timestamp(1700000000000)
	base := []perch.Tag{{Key: "team", Value: "shop"}}

	if tags, ok, err := r.ResourceTags(ctx, g.ARN, created); err != nil || ok || tags != nil {
		t.Fatalf("ResourceTags before any change = %v, %v, %v", tags, ok, err)
	}
	add := func(tags ...perch.Tag) func([]perch.Tag) ([]perch.Tag, error) {
		return func(current []perch.Tag) ([]perch.Tag, error) { return perch.AddTags(current, tags) }
	}
	if err := r.ChangeResourceTags(ctx, g.ARN, created, base, add(perch.Tag{Key: "env", Value: "test"})); err != nil {
		t.Fatal(err)
	}
	want := []perch.Tag{{Key: "team", Value: "shop"}, {Key: "env", Value: "test"}}
	if tags, ok, err := r.ResourceTags(ctx, g.ARN, created); err != nil || !ok || !slices.Equal(tags, want) {
		t.Errorf("ResourceTags = %v, %v, %v; want %v", tags, ok, err, want)
	}
	refused := errors.New("refused")
	err := r.ChangeResourceTags(ctx, g.ARN, created, base, func([]perch.Tag) ([]perch.Tag, error) { return nil, refused })
	if !errors.Is(err, refused) {
		t.Errorf("a refused change: %v", err)
	}
	// Another creation time is another resource of the same ARN.
	if tags, ok, err := r.ResourceTags(ctx, g.ARN, created+1); err != nil || ok {
		t.Errorf("ResourceTags of a later resource of the ARN = %v, %v, %v; want none", tags, ok, err)
	}
	if err := r.ChangeResourceTags(ctx, g.ARN, created, base, func([]perch.Tag) ([]perch.Tag, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if tags, ok, err := r.ResourceTags(ctx, g.ARN, created); err != nil || !ok || len(tags) != 0 {
		t.Errorf("ResourceTags after every tag was removed = %v, %v, %v; want none, but set", tags, ok, err)
	}

	// Concurrent changes: each adds its own key; all of them stay.
	other := arn("filter/f")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.ChangeResourceTags(ctx, other, created, nil, add(perch.Tag{Key: string(rune('a' + i)), Value: "x"})); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	s.reopen()
	tags, ok, err := s.Resources().ResourceTags(ctx, other, created)
	if err != nil || !ok || len(tags) != 8 {
		t.Errorf("after 8 concurrent changes and a reopen: %v, %v, %v; want 8 tags", tags, ok, err)
	}
}
