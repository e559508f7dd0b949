package storetest

import (
	"testing"

	"github.com/perchdev/perch"
)

// testFilterRules: a filter needs its dataset group stored (not found,
// naming it) and ACTIVE; a group has at most the quota of filters
// (LimitExceededException), another group's and another account's do not
// count; a taken ARN; a stored filter reads back as it was written, is
// listed, deleted once, and goes with its group.
func testFilterRules(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	const quota = 2
	g, h2, other := s.group(account, "g", ""), s.group(account, "h", ""), s.group(otherAccount, "g", "")
	filter := func(acct string, group *perch.DatasetGroup, name string) *perch.Filter {
		return &perch.Filter{ARN: arnIn(acct, "filter/"+name), Name: name, GroupARN: group.ARN,
			Expression: `EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")`, Status: perch.StatusActive,
			Tags: []perch.Tag{{Key: "team", Value: "shop"}}, Created: 1700000000000, Updated: 1700000000000}
	}
	create := func(f *perch.Filter) error { return r.CreateFilter(ctx, f, quota) }

	missing := arn("dataset-group/missing")
	lost := filter(account, &perch.DatasetGroup{ARN: missing}, "lost")
	wantError(t, "CreateFilter in a missing group", create(lost), perch.EResourceNotFound, missing)

	f1 := filter(account, g, "f1")
	for _, f := range []*perch.Filter{f1, filter(account, g, "f2"), filter(account, h2, "f3"), filter(otherAccount, other, "f1")} {
		if err := create(f); err != nil {
			t.Fatalf("CreateFilter %s: %v", f.ARN, err)
		}
	}
	wantError(t, "CreateFilter of a taken ARN", create(filter(account, h2, "f1")), perch.EResourceAlreadyExists, f1.ARN)
	wantError(t, "CreateFilter past the group's quota", create(filter(account, g, "f4")), perch.ELimitExceeded, g.ARN)

	got, err := r.Filter(ctx, f1.ARN)
	if err != nil || got.Expression != f1.Expression || got.GroupARN != g.ARN || len(got.Tags) != 1 || got.Created != f1.Created {
		t.Errorf("Filter %s = %+v, %v; want %+v", f1.ARN, got, err, f1)
	}
	if _, err := r.Filter(ctx, arn("filter/f4")); perch.ErrorCode(err) != perch.EResourceNotFound {
		t.Errorf("Filter of a refused filter: %v, want not found", err)
	}
	all, err := r.Filters(ctx)
	if err != nil || len(all) != 4 {
		t.Errorf("Filters: %d filters, %v; want 4", len(all), err)
	}

	if err := r.DeleteFilter(ctx, f1.ARN); err != nil {
		t.Fatalf("DeleteFilter: %v", err)
	}
	wantError(t, "DeleteFilter of a deleted filter", r.DeleteFilter(ctx, f1.ARN), perch.EResourceNotFound, f1.ARN)
	if err := create(filter(account, g, "f4")); err != nil {
		t.Errorf("CreateFilter after a deletion made room: %v", err)
	}

	// Deleting a group deletes its filters, and only its own.
	if err := r.DeleteDatasetGroup(ctx, h2.ARN); err != nil {
		t.Fatalf("DeleteDatasetGroup with a filter: %v", err)
	}
	if _, err := r.Filter(ctx, arn("filter/f3")); perch.ErrorCode(err) != perch.EResourceNotFound {
		t.Errorf("the deleted group's filter: %v, want not found", err)
	}
	if all, err := r.Filters(ctx); err != nil || len(all) != 3 {
		t.Errorf("Filters after the group's deletion: %d, %v; want 3", len(all), err)
	}
}
