package storetest

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/perchdev/perch"
)

// resourceKind is one kind of resource and the ResourceStore calls that
// keep it, so that a test goes over every kind alike. A test of a new
// ResourceStore call adds a member here and sets it in kind.
type resourceKind struct {
	name string
	// sample is a resource of the kind with every member set.
	sample func(arn, name string) any
	arn    func(v any) string
	put    func(ctx context.Context, r perch.ResourceStore, v any) error
	// del is nil for a kind that is never deleted.
	del  func(ctx context.Context, r perch.ResourceStore, v any) error
	list func(ctx context.Context, r perch.ResourceStore) (map[string]any, error)
}

// kind makes the resourceKind of T from its calls; del may be nil.
func kind[T any](name string, sample func(arn, name string) *T, arnOf func(*T) string,
	put func(perch.ResourceStore, context.Context, *T) error,
	del func(perch.ResourceStore, context.Context, *T) error,
	list func(perch.ResourceStore, context.Context) ([]*T, error)) resourceKind {
	k := resourceKind{
		name:   name,
		sample: func(arn, name string) any { return sample(arn, name) },
		arn:    func(v any) string { return arnOf(v.(*T)) },
		put:    func(ctx context.Context, r perch.ResourceStore, v any) error { return put(r, ctx, v.(*T)) },
		list: func(ctx context.Context, r perch.ResourceStore) (map[string]any, error) {
			l, err := list(r, ctx)
			byARN := map[string]any{}
			for _, v := range l {
				byARN[arnOf(v)] = v
			}
			return byARN, err
		},
	}
	if del != nil {
		k.del = func(ctx context.Context, r perch.ResourceStore, v any) error { return del(r, ctx, v.(*T)) }
	}
	return k
}

var tags = []perch.Tag{{Key: "team", Value: "search"}, {Key: "cost-center", Value: "42"}}

// resourceKinds lists every kind a ResourceStore keeps.
var resourceKinds = []resourceKind{
	kind("schemas",
		func(arn, name string) *perch.Schema {
			return &perch.Schema{ARN: arn, Name: name, Definition: `{"type": "record", "name": "` + name + `"}`,
				Domain: perch.DomainEcommerce, Created: 1700000000000, Updated: 1700000001000}
		},
		func(v *perch.Schema) string { return v.ARN },
		perch.ResourceStore.PutSchema,
		func(r perch.ResourceStore, ctx context.Context, v *perch.Schema) error {
			return r.DeleteSchema(ctx, v.ARN)
		},
		perch.ResourceStore.Schemas),
	kind("dataset groups",
		func(arn, name string) *perch.DatasetGroup {
			return &perch.DatasetGroup{ARN: arn, Name: name, Status: perch.StatusActive, RoleARN: "arn:aws:iam::000000000000:role/r",
				KMSKeyARN: "arn:aws:kms:us-east-1:000000000000:key/k", Domain: perch.DomainVideoOnDemand, FailureReason: "none",
				Tags: tags, Created: 1700000000000, Updated: 1700000001000}
		},
		func(v *perch.DatasetGroup) string { return v.ARN },
		perch.ResourceStore.PutDatasetGroup,
		func(r perch.ResourceStore, ctx context.Context, v *perch.DatasetGroup) error {
			return r.DeleteDatasetGroup(ctx, v.ARN)
		},
		perch.ResourceStore.DatasetGroups),
	kind("datasets",
		func(arn, name string) *perch.Dataset {
			return &perch.Dataset{ARN: arn, Name: name, GroupARN: arn + "-group", Type: perch.ActionInteractions,
				SchemaARN: arn + "-schema", Status: perch.StatusActive, TrackingID: "tracking-" + name,
				LatestUpdate: &perch.DatasetUpdate{SchemaARN: arn + "-schema-2", Status: perch.StatusCreatePending,
					FailureReason: "none", Created: 1700000002000, Updated: 1700000003000},
				Tags: tags, Created: 1700000000000, Updated: 1700000001000, ID: 7}
		},
		func(v *perch.Dataset) string { return v.ARN },
		perch.ResourceStore.PutDataset,
		perch.ResourceStore.DeleteDataset,
		perch.ResourceStore.Datasets),
	kind("event trackers",
		func(arn, name string) *perch.EventTracker {
			return &perch.EventTracker{ARN: arn, Name: name, AccountID: "000000000000", TrackingID: "tracking-" + name,
				GroupARN: arn + "-group", Status: perch.StatusActive, Tags: tags, Created: 1700000000000, Updated: 1700000001000}
		},
		func(v *perch.EventTracker) string { return v.ARN },
		perch.ResourceStore.PutEventTracker,
		func(r perch.ResourceStore, ctx context.Context, v *perch.EventTracker) error {
			return r.DeleteEventTracker(ctx, v.ARN)
		},
		perch.ResourceStore.EventTrackers),
	kind("dataset export jobs",
		func(arn, name string) *perch.DatasetExportJob {
			return &perch.DatasetExportJob{ARN: arn, Name: name, DatasetARN: arn + "-dataset", IngestionMode: perch.IngestAll,
				RoleARN: "arn:aws:iam::000000000000:role/r", Status: perch.StatusCreateInProgress,
				Output:        perch.S3DataConfig{Path: "s3://bucket/" + name + "/", KMSKeyARN: "arn:aws:kms:us-east-1:000000000000:key/k"},
				FailureReason: "none", Tags: tags, Created: 1700000000000, Updated: 1700000001000}
		},
		func(v *perch.DatasetExportJob) string { return v.ARN },
		perch.ResourceStore.PutDatasetExportJob, nil, perch.ResourceStore.DatasetExportJobs),
	kind("dataset import jobs",
		func(arn, name string) *perch.DatasetImportJob {
			return &perch.DatasetImportJob{ARN: arn, Name: name, DatasetARN: arn + "-dataset", DataLocation: "s3://bucket/" + name + ".csv",
				RoleARN: "arn:aws:iam::000000000000:role/r", ImportMode: perch.ImportIncremental, PublishToS3: true,
				Status: perch.StatusCreateFailed, FailureReason: "line 2", Tags: tags, Created: 1700000000000, Updated: 1700000001000}
		},
		func(v *perch.DatasetImportJob) string { return v.ARN },
		perch.ResourceStore.PutDatasetImportJob, nil, perch.ResourceStore.DatasetImportJobs),
	kind("data deletion jobs",
		func(arn, name string) *perch.DataDeletionJob {
			return &perch.DataDeletionJob{ARN: arn, Name: name, GroupARN: arn + "-group", DataLocation: "s3://bucket/" + name + ".csv",
				RoleARN: "arn:aws:iam::000000000000:role/r", Status: perch.StatusActive, NumDeleted: 12, FailureReason: "none",
				Tags: tags, Created: 1700000000000, Updated: 1700000001000}
		},
		func(v *perch.DataDeletionJob) string { return v.ARN },
		perch.ResourceStore.PutDataDeletionJob, nil, perch.ResourceStore.DataDeletionJobs),
}

// forEachKind runs f for every resource kind, each as a subtest with a
// fresh store.
func forEachKind(t *testing.T, h Harness, f func(t *testing.T, s *store, k resourceKind)) {
	for _, k := range resourceKinds {
		t.Run(k.name, func(t *testing.T) { f(t, openFresh(t, h), k) })
	}
}

// wantResources checks that k's list is exactly want, member for member.
func wantResources(t *testing.T, s *store, k resourceKind, want ...any) {
	t.Helper()
	got, err := k.list(t.Context(), s.Resources())
	if err != nil {
		t.Fatalf("listing %s: %v", k.name, err)
	}
	byARN := map[string]any{}
	for _, v := range want {
		byARN[k.arn(v)] = v
	}
	if !reflect.DeepEqual(got, byARN) {
		t.Errorf("%s listed:\n%s\nwant\n%s", k.name, describe(got), describe(byARN))
	}
}

func describe(byARN map[string]any) string {
	var lines []string
	for arn, v := range byARN {
		lines = append(lines, fmt.Sprintf("  %s: %+v", arn, v))
	}
	slices.Sort(lines)
	if len(lines) == 0 {
		return "  nothing"
	}
	return strings.Join(lines, "\n")
}

func put(t *testing.T, s *store, k resourceKind, v any) {
	t.Helper()
	if err := k.put(t.Context(), s.Resources(), v); err != nil {
		t.Fatalf("putting %s: %v", k.name, err)
	}
}

// testResources: of each kind, a put resource is listed with every
// member as put; a put of the same ARN replaces it; a deleted one is no
// longer listed; deleting a missing ARN is not an error.
func testResources(t *testing.T, h Harness) {
	forEachKind(t, h, func(t *testing.T, s *store, k resourceKind) {
		wantResources(t, s, k)
		one, two := k.sample(arn("x/one"), "one"), k.sample(arn("y/two"), "two")
		oneAgain := k.sample(arn("x/one"), "one again")
		for _, v := range []any{one, two, oneAgain} {
			put(t, s, k, v)
		}
		wantResources(t, s, k, oneAgain, two)
		if k.del == nil {
			return
		}
		if err := k.del(t.Context(), s.Resources(), one); err != nil {
			t.Fatalf("delete: %v", err)
		}
		if err := k.del(t.Context(), s.Resources(), k.sample(arn("z/missing"), "missing")); err != nil {
			t.Fatalf("delete of a missing resource: %v", err)
		}
		wantResources(t, s, k, two)
	})
}

// testResourcesSurviveReopen: every put, replacement and deletion of each
// kind is there after the store is closed and opened again.
func testResourcesSurviveReopen(t *testing.T, h Harness) {
	forEachKind(t, h, func(t *testing.T, s *store, k resourceKind) {
		one, two, three := k.sample(arn("x/one"), "one"), k.sample(arn("y/two"), "two"), k.sample(arn("w/three"), "three")
		put(t, s, k, one)
		put(t, s, k, two)
		s.reopen()
		wantResources(t, s, k, one, two)
		oneAgain := k.sample(arn("x/one"), "one again")
		put(t, s, k, oneAgain)
		put(t, s, k, three)
		want := []any{oneAgain, two, three}
		if k.del != nil {
			if err := k.del(t.Context(), s.Resources(), two); err != nil {
				t.Fatalf("delete: %v", err)
			}
			want = []any{oneAgain, three}
		}
		s.reopen()
		wantResources(t, s, k, want...)
	})
}

// testNextDatasetID: NextDatasetID never returns an id twice, nor 0, in
// one opening or across reopens.
func testNextDatasetID(t *testing.T, h Harness) {
	s := openFresh(t, h)
	seen := map[uint64]bool{}
	for opening := range 3 {
		if opening > 0 {
			s.reopen()
		}
		for range 3 {
			id, err := s.Resources().NextDatasetID(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if id == 0 || seen[id] {
				t.Fatalf("opening %d: NextDatasetID = %d, after %v", opening, id, seen)
			}
			seen[id] = true
		}
	}
}

// testDeleteDataset: deleting a dataset deletes every record of it (put
// and imported, events and entities) and leaves other datasets' records
// and duplicates alone; a dataset created afterwards with the same ARN
// sees none of the deleted one's records or eventIds.
func testDeleteDataset(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx := t.Context()
	r := s.Resources()
	doomed, kept, items := s.dataset(perch.Interactions), s.dataset(perch.Interactions), s.dataset(perch.Items)
	for _, d := range []*perch.Dataset{doomed, kept} {
		s.commit(&perch.Batch{Dataset: d, Events: []perch.Event{event("e1", "u", "s"), event("e1", "u", "s")}})
	}
	s.load(perch.ImportFull, &perch.Batch{Dataset: doomed, Events: []perch.Event{bulkEvent("u", "a")}})
	s.commit(&perch.Batch{Dataset: items, Entities: []perch.Entity{{ID: "i1"}}})
	s.load(perch.ImportFull, &perch.Batch{Dataset: items, Entities: []perch.Entity{{ID: "i2"}}})

	for _, d := range []*perch.Dataset{doomed, items} {
		if err := r.DeleteDataset(ctx, d); err != nil {
			t.Fatalf("DeleteDataset: %v", err)
		}
	}
	for _, q := range []perch.RecordQuery{{}, {UserID: "u"}, {SessionID: "s"}, {Source: perch.IngestBulk}} {
		if got := s.events(doomed, q); len(got) != 0 {
			t.Errorf("events of the deleted dataset (%+v): %q", q, marked(got, bySource))
		}
	}
	for _, q := range []perch.RecordQuery{{}, {ID: "i1"}, {ID: "i2"}} {
		if got := s.entities(items, q); len(got) != 0 {
			t.Errorf("entities of the deleted dataset (%+v): %+v", q, got)
		}
	}
	if got, want := marked(s.events(kept, perch.RecordQuery{}), byEventID), "e1 e1(dup)"; got != want {
		t.Errorf("events of the other dataset: %q, want %q", got, want)
	}
	list, err := r.Datasets(ctx)
	if err != nil || len(list) != 1 || list[0].ARN != kept.ARN {
		t.Errorf("Datasets = %+v, %v; want only %s", list, err, kept.ARN)
	}

	again := *doomed
	if again.ID, err = r.NextDatasetID(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.PutDataset(ctx, &again); err != nil {
		t.Fatal(err)
	}
	if got := s.events(&again, perch.RecordQuery{}); len(got) != 0 {
		t.Errorf("a new dataset of the deleted one's ARN reads %q", marked(got, bySource))
	}
	s.commit(&perch.Batch{Dataset: &again, Events: []perch.Event{event("e1", "u", "s")}})
	if got, want := marked(s.events(&again, perch.RecordQuery{}), byEventID), "e1"; got != want {
		t.Errorf("events of the new dataset: %q, want %q: an original", got, want)
	}
}
