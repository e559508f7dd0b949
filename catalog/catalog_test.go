package catalog_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/catalog"
	"github.com/perchdev/perch/pebble"
)

const (
	account      = "000000000000"
	otherAccount = "111111111111"
)

var (
	scope = perch.Scope{Region: "us-east-1", Account: account}
	epoch = time.Date(2024, 5, 6, 7, 8, 9, 123_000_000, time.UTC)
	now   = perch.TimestampOf(epoch)

	uuidPattern       = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	trackerARNPattern = regexp.MustCompile(`^arn:aws:personalize:us-east-1:000000000000:event-tracker/[0-9a-f]{8}$`)
)

// Schemas that satisfy the required fields of each dataset type.
const (
	interactionsSchema = `{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[` +
		`{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},` +
		`{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}`
	itemsSchema = `{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[` +
		`{"name":"ITEM_ID","type":"string"},{"name":"GENRES","type":["null","string"],"categorical":true}],"version":"1.0"}`
	actionsSchema = `{"type":"record","name":"Actions","namespace":"com.amazonaws.personalize.schema","fields":[` +
		`{"name":"ACTION_ID","type":"string"},{"name":"VALUE","type":["null","long"]}],"version":"1.0"}`
	actionInteractionsSchema = `{"type":"record","name":"ActionInteractions","namespace":"com.amazonaws.personalize.schema","fields":[` +
		`{"name":"USER_ID","type":"string"},{"name":"ACTION_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},` +
		`{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}`
)

var errDisk = errors.New("disk on fire")

// faultyStore is a real store whose resource writes fail while failing
// is set, and which calls written, when set, after each write it lets
// through.
type faultyStore struct {
	perch.ResourceStore
	failing bool
	written func()
}

// guard fails write while failing is set, and calls written after a
// write that went through.
func (s *faultyStore) guard(write func() error) error {
	if s.failing {
		return errDisk
	}
	err := write()
	if err == nil && s.written != nil {
		s.written()
	}
	return err
}

func (s *faultyStore) CreateSchema(ctx context.Context, v *perch.Schema, quota int) error {
	return s.guard(func() error { return s.ResourceStore.CreateSchema(ctx, v, quota) })
}

func (s *faultyStore) DeleteSchema(ctx context.Context, arn string) error {
	return s.guard(func() error { return s.ResourceStore.DeleteSchema(ctx, arn) })
}

func (s *faultyStore) CreateDatasetGroup(ctx context.Context, v *perch.DatasetGroup, quota int) error {
	return s.guard(func() error { return s.ResourceStore.CreateDatasetGroup(ctx, v, quota) })
}

func (s *faultyStore) DeleteDatasetGroup(ctx context.Context, arn string) error {
	return s.guard(func() error { return s.ResourceStore.DeleteDatasetGroup(ctx, arn) })
}

func (s *faultyStore) CreateDataset(ctx context.Context, v *perch.Dataset) error {
	return s.guard(func() error { return s.ResourceStore.CreateDataset(ctx, v) })
}

func (s *faultyStore) UpdateDataset(ctx context.Context, v *perch.Dataset) error {
	return s.guard(func() error { return s.ResourceStore.UpdateDataset(ctx, v) })
}

func (s *faultyStore) DeleteDataset(ctx context.Context, arn string) error {
	return s.guard(func() error { return s.ResourceStore.DeleteDataset(ctx, arn) })
}

func (s *faultyStore) CreateEventTracker(ctx context.Context, v *perch.EventTracker) error {
	return s.guard(func() error { return s.ResourceStore.CreateEventTracker(ctx, v) })
}

func (s *faultyStore) DeleteEventTracker(ctx context.Context, arn string) error {
	return s.guard(func() error { return s.ResourceStore.DeleteEventTracker(ctx, arn) })
}

func (s *faultyStore) NextDatasetID(ctx context.Context) (uint64, error) {
	if s.failing {
		return 0, errDisk
	}
	return s.ResourceStore.NextDatasetID(ctx)
}

// env is a catalog over a real store on disk, with a fixed clock.
type env struct {
	t     *testing.T
	ctx   context.Context
	store *pebble.Store
	rs    *faultyStore
	c     *catalog.Catalog
}

func newEnv(t *testing.T, opts catalog.Options) *env {
	t.Helper()
	store, err := pebble.Open(t.TempDir(), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	e := &env{t: t, ctx: context.Background(), store: store, rs: &faultyStore{ResourceStore: store.Resources()}}
	e.c = e.open(opts)
	return e
}

func (e *env) open(opts catalog.Options) *catalog.Catalog {
	e.t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return epoch }
	}
	c, err := catalog.Open(e.ctx, e.rs, scope, opts)
	if err != nil {
		e.t.Fatalf("Open: %v", err)
	}
	return c
}

func (e *env) schema(name, definition string) *perch.Schema {
	e.t.Helper()
	s, err := e.c.CreateSchema(e.ctx, perch.CreateSchemaInput{Name: name, Definition: definition})
	if err != nil {
		e.t.Fatalf("CreateSchema %s: %v", name, err)
	}
	return s
}

func (e *env) group(name, domain string) *perch.DatasetGroup {
	e.t.Helper()
	g, err := e.c.CreateDatasetGroup(e.ctx, perch.CreateDatasetGroupInput{Name: name, Domain: domain})
	if err != nil {
		e.t.Fatalf("CreateDatasetGroup %s: %v", name, err)
	}
	return g
}

func (e *env) dataset(group *perch.DatasetGroup, schema *perch.Schema, t perch.DatasetType) *perch.Dataset {
	e.t.Helper()
	d, err := e.c.CreateDataset(e.ctx, perch.CreateDatasetInput{
		Name: group.Name + "-" + strings.ToLower(string(t)), SchemaARN: schema.ARN, GroupARN: group.ARN, Type: string(t),
	})
	if err != nil {
		e.t.Fatalf("CreateDataset %s %s: %v", group.Name, t, err)
	}
	return d
}

func (e *env) tracker(name string, group *perch.DatasetGroup) *perch.EventTracker {
	e.t.Helper()
	tr, err := e.c.CreateEventTracker(e.ctx, perch.CreateEventTrackerInput{Name: name, GroupARN: group.ARN})
	if err != nil {
		e.t.Fatalf("CreateEventTracker %s: %v", name, err)
	}
	return tr
}

// wantError checks that err is an *perch.Error of code whose message
// contains every part.
func wantError(t *testing.T, err error, code string, parts ...string) {
	t.Helper()
	var e *perch.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v, want %s", err, code)
	}
	if e.Code != code {
		t.Fatalf("got %s (%s), want %s", e.Code, e.Message, code)
	}
	for _, p := range parts {
		if !strings.Contains(e.Message, p) {
			t.Errorf("message %q does not mention %q", e.Message, p)
		}
	}
}

func TestCreateSchema(t *testing.T) {
	e := newEnv(t, catalog.Options{MaxSchemas: 2})
	got, err := e.c.CreateSchema(e.ctx, perch.CreateSchemaInput{Name: "items", Definition: itemsSchema, Domain: perch.DomainEcommerce})
	if err != nil {
		t.Fatal(err)
	}
	want := &perch.Schema{
		ARN: scope.SchemaARN("items"), Name: "items", Definition: itemsSchema, Domain: perch.DomainEcommerce,
		Created: now, Updated: now,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CreateSchema = %+v, want %+v", got, want)
	}
	if described, err := e.c.DescribeSchema(e.ctx, want.ARN); err != nil || !reflect.DeepEqual(described, want) {
		t.Errorf("DescribeSchema = %+v, %v; want %+v", described, err, want)
	}
	if stored, err := e.store.Resources().Schema(e.ctx, want.ARN); err != nil || !reflect.DeepEqual(stored, want) {
		t.Errorf("stored %+v, %v; want %+v", stored, err, want)
	}

	tests := []struct {
		name  string
		in    perch.CreateSchemaInput
		code  string
		parts []string
	}{
		{"taken name", perch.CreateSchemaInput{Name: "items", Definition: itemsSchema},
			perch.EResourceAlreadyExists, []string{"Resource Arn " + want.ARN + " already exists."}},
		{"unknown domain", perch.CreateSchemaInput{Name: "x", Definition: itemsSchema, Domain: "RETAIL"},
			perch.EInvalidInput, []string{"RETAIL"}},
		{"not avro", perch.CreateSchemaInput{Name: "x", Definition: `{"type":`},
			perch.EInvalidInput, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.c.CreateSchema(e.ctx, tt.in)
			wantError(t, err, tt.code, tt.parts...)
		})
	}

	e.schema("users", itemsSchema)
	_, err = e.c.CreateSchema(e.ctx, perch.CreateSchemaInput{Name: "third", Definition: itemsSchema})
	wantError(t, err, perch.ELimitExceeded, "2")
}

func TestDescribeUnknown(t *testing.T) {
	e := newEnv(t, catalog.Options{})
	missing := []struct {
		name     string
		arn      string
		describe func(context.Context, string) error
	}{
		{"schema", scope.SchemaARN("nope"), func(ctx context.Context, arn string) error {
			_, err := e.c.DescribeSchema(ctx, arn)
			return err
		}},
		{"dataset group", scope.DatasetGroupARN("nope"), func(ctx context.Context, arn string) error {
			_, err := e.c.DescribeDatasetGroup(ctx, arn)
			return err
		}},
		{"dataset", scope.DatasetARN("nope", perch.Items), func(ctx context.Context, arn string) error {
			_, err := e.c.DescribeDataset(ctx, arn)
			return err
		}},
		{"dataset schema", scope.DatasetARN("nope", perch.Items), func(ctx context.Context, arn string) error {
			_, _, err := e.c.DatasetSchema(ctx, arn)
			return err
		}},
		{"event tracker", scope.EventTrackerARN("0badc0de"), func(ctx context.Context, arn string) error {
			_, err := e.c.DescribeEventTracker(ctx, arn)
			return err
		}},
		{"not an arn", "schema/nope", func(ctx context.Context, arn string) error {
			_, err := e.c.DescribeSchema(ctx, arn)
			return err
		}},
		{"delete schema", scope.SchemaARN("nope"), e.c.DeleteSchema},
		{"delete dataset group", scope.DatasetGroupARN("nope"), e.c.DeleteDatasetGroup},
		{"delete dataset", scope.DatasetARN("nope", perch.Users), e.c.DeleteDataset},
		{"delete event tracker", scope.EventTrackerARN("0badc0de"), e.c.DeleteEventTracker},
	}
	for _, m := range missing {
		t.Run(m.name, func(t *testing.T) {
			wantError(t, m.describe(e.ctx, m.arn), perch.EResourceNotFound, "Resource Arn "+m.arn+" does not exist.")
		})
	}
}

func TestDeleteSchema(t *testing.T) {
	e := newEnv(t, catalog.Options{})
	first := e.schema("first", interactionsSchema)
	second := e.schema("second", interactionsSchema)
	g := e.group("shop", "")
	d := e.dataset(g, first, perch.Interactions)

	wantError(t, e.c.DeleteSchema(e.ctx, first.ARN), perch.EResourceInUse, first.ARN, d.ARN)
	if _, err := e.c.UpdateDataset(e.ctx, d.ARN, second.ARN); err != nil {
		t.Fatal(err)
	}
	wantError(t, e.c.DeleteSchema(e.ctx, second.ARN), perch.EResourceInUse, d.ARN)
	if err := e.c.DeleteSchema(e.ctx, first.ARN); err != nil {
		t.Fatalf("DeleteSchema of a schema no dataset uses any more: %v", err)
	}
	if err := e.c.DeleteDataset(e.ctx, d.ARN); err != nil {
		t.Fatal(err)
	}
	if err := e.c.DeleteSchema(e.ctx, second.ARN); err != nil {
		t.Fatal(err)
	}
	_, err := e.c.DescribeSchema(e.ctx, second.ARN)
	wantError(t, err, perch.EResourceNotFound)
	if list, err := e.store.Resources().Schemas(e.ctx); err != nil || len(list) != 0 {
		t.Errorf("store still holds %+v, %v", list, err)
	}
}

func TestCreateDatasetGroup(t *testing.T) {
	e := newEnv(t, catalog.Options{MaxDatasetGroups: 2})
	tags := []perch.Tag{{Key: "team", Value: "search"}}
	in := perch.CreateDatasetGroupInput{
		Name:      "shop",
		RoleARN:   "arn:aws:iam::000000000000:role/personalize",
		KMSKeyARN: "arn:aws:kms:us-east-1:000000000000:key/k1",
		Domain:    perch.DomainVideoOnDemand,
		Tags:      tags,
	}
	got, err := e.c.CreateDatasetGroup(e.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	tags[0].Value = "changed by the caller afterwards"
	want := &perch.DatasetGroup{
		ARN: scope.DatasetGroupARN("shop"), Name: "shop", Status: perch.StatusActive,
		RoleARN: in.RoleARN, KMSKeyARN: in.KMSKeyARN, Domain: perch.DomainVideoOnDemand,
		Tags:    []perch.Tag{{Key: "team", Value: "search"}},
		Created: now, Updated: now,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CreateDatasetGroup = %+v, want %+v", got, want)
	}
	if described, err := e.c.DescribeDatasetGroup(e.ctx, want.ARN); err != nil || !reflect.DeepEqual(described, want) {
		t.Errorf("DescribeDatasetGroup = %+v, %v; want %+v", described, err, want)
	}

	_, err = e.c.CreateDatasetGroup(e.ctx, perch.CreateDatasetGroupInput{Name: "shop"})
	wantError(t, err, perch.EResourceAlreadyExists, want.ARN)
	_, err = e.c.CreateDatasetGroup(e.ctx, perch.CreateDatasetGroupInput{Name: "x", Domain: "RETAIL"})
	wantError(t, err, perch.EInvalidInput, "RETAIL")
	e.group("second", "")
	_, err = e.c.CreateDatasetGroup(e.ctx, perch.CreateDatasetGroupInput{Name: "third"})
	wantError(t, err, perch.ELimitExceeded, "2")
}

func TestDeleteDatasetGroup(t *testing.T) {
	e := newEnv(t, catalog.Options{})
	g := e.group("shop", "")
	d := e.dataset(g, e.schema("items", itemsSchema), perch.Items)
	tr := e.tracker("clicks", g)

	wantError(t, e.c.DeleteDatasetGroup(e.ctx, g.ARN), perch.EResourceInUse, g.ARN, d.ARN, tr.ARN)
	if err := e.c.DeleteEventTracker(e.ctx, tr.ARN); err != nil {
		t.Fatal(err)
	}
	wantError(t, e.c.DeleteDatasetGroup(e.ctx, g.ARN), perch.EResourceInUse, d.ARN)
	if err := e.c.DeleteDataset(e.ctx, d.ARN); err != nil {
		t.Fatal(err)
	}
	if err := e.c.DeleteDatasetGroup(e.ctx, g.ARN); err != nil {
		t.Fatal(err)
	}
	_, err := e.c.DescribeDatasetGroup(e.ctx, g.ARN)
	wantError(t, err, perch.EResourceNotFound)
	if list, err := e.store.Resources().DatasetGroups(e.ctx); err != nil || len(list) != 0 {
		t.Errorf("store still holds %+v, %v", list, err)
	}
}

func TestCreateDataset(t *testing.T) {
	e := newEnv(t, catalog.Options{})
	custom := e.group("shop", "")
	empty := e.group("empty", "")
	ecommerce := e.group("store", perch.DomainEcommerce)
	interactions := e.schema("interactions", interactionsSchema)
	items := e.schema("items", itemsSchema)
	actions := e.schema("actions", actionsSchema)
	actionInteractions := e.schema("action-interactions", actionInteractionsSchema)
	domainInteractions, err := e.c.CreateSchema(e.ctx, perch.CreateSchemaInput{
		Name: "ecommerce-interactions", Definition: interactionsSchema, Domain: perch.DomainEcommerce,
	})
	if err != nil {
		t.Fatal(err)
	}

	got, err := e.c.CreateDataset(e.ctx, perch.CreateDatasetInput{
		Name: "clicks", SchemaARN: interactions.ARN, GroupARN: custom.ARN, Type: "interactions",
		Tags: []perch.Tag{{Key: "k", Value: "v"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := &perch.Dataset{
		ARN: scope.DatasetARN("shop", perch.Interactions), Name: "clicks", GroupARN: custom.ARN,
		Type: perch.Interactions, SchemaARN: interactions.ARN, Status: perch.StatusActive,
		Tags: []perch.Tag{{Key: "k", Value: "v"}}, Created: now, Updated: now, ID: 1,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CreateDataset = %+v, want %+v", got, want)
	}
	if described, err := e.c.DescribeDataset(e.ctx, want.ARN); err != nil || !reflect.DeepEqual(described, want) {
		t.Errorf("DescribeDataset = %+v, %v; want %+v", described, err, want)
	}

	ai := e.dataset(custom, actionInteractions, perch.ActionInteractions)
	if ai.ARN != scope.DatasetARN("shop", perch.ActionInteractions) || ai.ID != 2 {
		t.Errorf("Action interactions dataset %s has id %d", ai.ARN, ai.ID)
	}
	if !uuidPattern.MatchString(ai.TrackingID) {
		t.Errorf("Action interactions dataset has trackingId %q, want a lower-case UUID", ai.TrackingID)
	}
	if d := e.dataset(ecommerce, domainInteractions, perch.Interactions); d.TrackingID != "" {
		t.Errorf("Interactions dataset has trackingId %q", d.TrackingID)
	}

	tests := []struct {
		name  string
		in    perch.CreateDatasetInput
		code  string
		parts []string
	}{
		{"unknown group", perch.CreateDatasetInput{SchemaARN: items.ARN, GroupARN: scope.DatasetGroupARN("nope"), Type: "Items"},
			perch.EResourceNotFound, []string{scope.DatasetGroupARN("nope")}},
		{"unknown schema", perch.CreateDatasetInput{SchemaARN: scope.SchemaARN("nope"), GroupARN: custom.ARN, Type: "Items"},
			perch.EResourceNotFound, []string{scope.SchemaARN("nope")}},
		{"unknown type", perch.CreateDatasetInput{SchemaARN: items.ARN, GroupARN: custom.ARN, Type: "Things"},
			perch.EInvalidInput, []string{"Things", "Interactions, Items, Users, Actions, Action_Interactions"}},
		{"schema without the type's fields", perch.CreateDatasetInput{SchemaARN: items.ARN, GroupARN: custom.ARN, Type: "Users"},
			perch.EInvalidInput, nil},
		{"custom schema in a domain group", perch.CreateDatasetInput{SchemaARN: items.ARN, GroupARN: ecommerce.ARN, Type: "Items"},
			perch.EInvalidInput, []string{items.ARN, perch.DomainEcommerce}},
		{"domain schema in a custom group", perch.CreateDatasetInput{SchemaARN: domainInteractions.ARN, GroupARN: empty.ARN, Type: "Interactions"},
			perch.EInvalidInput, []string{domainInteractions.ARN}},
		{"actions in a domain group", perch.CreateDatasetInput{SchemaARN: actions.ARN, GroupARN: ecommerce.ARN, Type: "Actions"},
			perch.EInvalidInput, []string{ecommerce.ARN, "ACTIONS"}},
		{"action interactions in a domain group", perch.CreateDatasetInput{SchemaARN: actionInteractions.ARN, GroupARN: ecommerce.ARN, Type: "Action_Interactions"},
			perch.EInvalidInput, []string{"ACTION_INTERACTIONS"}},
		{"second dataset of a type", perch.CreateDatasetInput{SchemaARN: interactions.ARN, GroupARN: custom.ARN, Type: "INTERACTIONS"},
			perch.EResourceAlreadyExists, []string{"already has a dataset of type INTERACTIONS: " + want.ARN}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Name = "x"
			_, err := e.c.CreateDataset(e.ctx, tt.in)
			wantError(t, err, tt.code, tt.parts...)
		})
	}
	if list, err := e.store.Resources().Datasets(e.ctx); err != nil || len(list) != 3 {
		t.Errorf("store holds %d datasets (%v), want 3", len(list), err)
	}
}

func TestUpdateDataset(t *testing.T) {
	e := newEnv(t, catalog.Options{})
	g := e.group("shop", "")
	first := e.schema("first", interactionsSchema)
	second := e.schema("second", interactionsSchema)
	items := e.schema("items", itemsSchema)
	d := e.dataset(g, first, perch.Interactions)

	later := epoch.Add(time.Hour)
	c := e.open(catalog.Options{Now: func() time.Time { return later }})
	got, err := c.UpdateDataset(e.ctx, d.ARN, second.ARN)
	if err != nil {
		t.Fatal(err)
	}
	at := perch.TimestampOf(later)
	want := *d
	want.SchemaARN = second.ARN
	want.LatestUpdate = &perch.DatasetUpdate{SchemaARN: second.ARN, Status: perch.StatusActive, Created: at, Updated: at}
	want.Updated = at
	if !reflect.DeepEqual(got, &want) {
		t.Errorf("UpdateDataset = %+v, want %+v", got, &want)
	}
	if stored, err := e.store.Resources().Dataset(e.ctx, d.ARN); err != nil || !reflect.DeepEqual(stored, &want) {
		t.Errorf("stored %+v, %v; want %+v", stored, err, &want)
	}

	_, err = c.UpdateDataset(e.ctx, d.ARN, items.ARN)
	wantError(t, err, perch.EInvalidInput)
	_, err = c.UpdateDataset(e.ctx, scope.DatasetARN("shop", perch.Users), second.ARN)
	wantError(t, err, perch.EResourceNotFound)
	_, err = c.UpdateDataset(e.ctx, d.ARN, scope.SchemaARN("nope"))
	wantError(t, err, perch.EResourceNotFound)
	if described, _ := c.DescribeDataset(e.ctx, d.ARN); !reflect.DeepEqual(described, &want) {
		t.Errorf("failed updates changed the dataset to %+v", described)
	}
}

func TestDeleteDataset(t *testing.T) {
	e := newEnv(t, catalog.Options{})
	g := e.group("shop", "")
	d := e.dataset(g, e.schema("ai", actionInteractionsSchema), perch.ActionInteractions)
	target, _, err := e.c.Target(e.ctx, d.TrackingID)
	if err != nil {
		t.Fatal(err)
	}
	interaction := perch.ActionInteraction{ActionID: "a", SessionID: "s", EventType: "Taken", EventID: "e"}
	if err := e.store.Commit(e.ctx, &perch.Batch{Dataset: target, ActionInteractions: []perch.ActionInteraction{interaction}}); err != nil {
		t.Fatal(err)
	}
	if err := e.c.DeleteDataset(e.ctx, d.ARN); err != nil {
		t.Fatal(err)
	}
	left := 0
	if err := e.store.ActionInteractions(e.ctx, d.ID, perch.RecordQuery{}, func(*perch.ActionInteraction) error { left++; return nil }); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("the deleted dataset still has %d records", left)
	}
	_, err = e.c.DescribeDataset(e.ctx, d.ARN)
	wantError(t, err, perch.EResourceNotFound)
	_, _, err = e.c.Target(e.ctx, d.TrackingID)
	wantError(t, err, perch.EInvalidInput, d.TrackingID)

	again := e.dataset(g, e.schema("ai2", actionInteractionsSchema), perch.ActionInteractions)
	if again.ID == d.ID || again.TrackingID == d.TrackingID {
		t.Errorf("recreated dataset reuses id %d or trackingId %s", again.ID, again.TrackingID)
	}
}

func TestEventTracker(t *testing.T) {
	e := newEnv(t, catalog.Options{})
	g := e.group("shop", "")
	other := e.group("other", "")
	tags := []perch.Tag{{Key: "k", Value: "v"}}
	got, err := e.c.CreateEventTracker(e.ctx, perch.CreateEventTrackerInput{Name: "clicks", GroupARN: g.ARN, Tags: tags})
	if err != nil {
		t.Fatal(err)
	}
	if !trackerARNPattern.MatchString(got.ARN) {
		t.Errorf("tracker ARN %s, want an 8-hex-digit id", got.ARN)
	}
	if !uuidPattern.MatchString(got.TrackingID) {
		t.Errorf("trackingId %q, want a lower-case UUID", got.TrackingID)
	}
	want := &perch.EventTracker{
		ARN: got.ARN, Name: "clicks", AccountID: account, TrackingID: got.TrackingID, GroupARN: g.ARN,
		Status: perch.StatusActive, Tags: tags, Created: now, Updated: now,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CreateEventTracker = %+v, want %+v", got, want)
	}
	if described, err := e.c.DescribeEventTracker(e.ctx, got.ARN); err != nil || !reflect.DeepEqual(described, want) {
		t.Errorf("DescribeEventTracker = %+v, %v; want %+v", described, err, want)
	}

	_, err = e.c.CreateEventTracker(e.ctx, perch.CreateEventTrackerInput{Name: "second", GroupARN: g.ARN})
	wantError(t, err, perch.EResourceAlreadyExists, g.ARN, got.ARN)
	_, err = e.c.CreateEventTracker(e.ctx, perch.CreateEventTrackerInput{Name: "clicks", GroupARN: other.ARN})
	wantError(t, err, perch.EResourceAlreadyExists, "clicks")
	_, err = e.c.CreateEventTracker(e.ctx, perch.CreateEventTrackerInput{Name: "x", GroupARN: scope.DatasetGroupARN("nope")})
	wantError(t, err, perch.EResourceNotFound, scope.DatasetGroupARN("nope"))

	if err := e.c.DeleteEventTracker(e.ctx, got.ARN); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.c.Target(e.ctx, got.TrackingID)
	wantError(t, err, perch.EInvalidInput, got.TrackingID)
	if again := e.tracker("clicks", g); again.TrackingID == got.TrackingID {
		t.Errorf("recreated tracker reuses trackingId %s", got.TrackingID)
	}
}

func TestTarget(t *testing.T) {
	e := newEnv(t, catalog.Options{})
	g := e.group("shop", "")
	tr := e.tracker("clicks", g)

	_, _, err := e.c.Target(e.ctx, tr.TrackingID)
	wantError(t, err, perch.EInvalidInput, "The dataset group "+g.ARN+" of event tracker "+tr.ARN+" has no Interactions dataset")

	interactions := e.dataset(g, e.schema("interactions", interactionsSchema), perch.Interactions)
	ai := e.dataset(g, e.schema("ai", actionInteractionsSchema), perch.ActionInteractions)
	for _, tt := range []struct {
		trackingID string
		want       *perch.Dataset
	}{
		{tr.TrackingID, interactions},
		{ai.TrackingID, ai},
	} {
		d, schema, err := e.c.Target(e.ctx, tt.trackingID)
		if err != nil {
			t.Fatalf("Target(%s): %v", tt.trackingID, err)
		}
		if !reflect.DeepEqual(d, tt.want) {
			t.Errorf("Target(%s) = %+v, want %+v", tt.trackingID, d, tt.want)
		}
		if schema == nil || !slices.ContainsFunc(schema.Fields, func(f perch.Field) bool { return f.Name == "USER_ID" }) {
			t.Errorf("Target(%s) returned schema %+v", tt.trackingID, schema)
		}
	}

	_, _, err = e.c.Target(e.ctx, "8522dc75-0000-0000-0000-0317c07ab6f8")
	wantError(t, err, perch.EInvalidInput, "tracking ID 8522dc75-0000-0000-0000-0317c07ab6f8 does not match any event tracker")

	d, schema, err := e.c.DatasetSchema(e.ctx, interactions.ARN)
	if err != nil || !reflect.DeepEqual(d, interactions) || schema == nil {
		t.Errorf("DatasetSchema = %+v, %+v, %v", d, schema, err)
	}
}

// TestTargetDuringAControlPlaneWrite resolves trackingIds and dataset ARNs
// while a control-plane change holds the catalog's lock in the middle of
// its store write: the events API must not wait for it.
func TestTargetDuringAControlPlaneWrite(t *testing.T) {
	e := newEnv(t, catalog.Options{})
	g := e.group("shop", "")
	tr := e.tracker("clicks", g)
	interactions := e.dataset(g, e.schema("interactions", interactionsSchema), perch.Interactions)

	writing, finish := make(chan struct{}), make(chan struct{})
	e.rs.written = func() {
		close(writing)
		<-finish
	}
	created := make(chan error, 1)
	go func() {
		_, err := e.c.CreateSchema(e.ctx, perch.CreateSchemaInput{Name: "held", Definition: interactionsSchema})
		created <- err
	}()
	<-writing
	resolved := make(chan error, 1)
	go func() {
		d, _, err := e.c.Target(e.ctx, tr.TrackingID)
		if err == nil && d.ARN != interactions.ARN {
			err = fmt.Errorf("Target gave %s, want %s", d.ARN, interactions.ARN)
		}
		if err == nil {
			_, _, err = e.c.DatasetSchema(e.ctx, interactions.ARN)
		}
		resolved <- err
	}()
	select {
	case err := <-resolved:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(30 * time.Second):
		t.Error("Target waited for a control-plane write to finish")
	}
	e.rs.written = nil
	close(finish)
	if err := <-created; err != nil {
		t.Fatal(err)
	}
}

// clock is a manual clock: each reading is one second after the last.
type clock struct{ t time.Time }

func (c *clock) now() time.Time {
	c.t = c.t.Add(time.Second)
	return c.t
}

func TestListPagination(t *testing.T) {
	e := newEnv(t, catalog.Options{})
	e.c = e.open(catalog.Options{Now: (&clock{t: epoch}).now})
	// Created in reverse name order, so creation order and ARN order differ.
	var want []string
	for i := 6; i >= 0; i-- {
		want = append(want, e.group(fmt.Sprintf("group-%d", i), "").ARN)
	}

	var pages [][]string
	token := ""
	for range 10 {
		groups, next, err := e.c.ListDatasetGroups(e.ctx, perch.Page{NextToken: token, MaxResults: 3})
		if err != nil {
			t.Fatal(err)
		}
		var page []string
		for _, g := range groups {
			page = append(page, g.ARN)
		}
		pages = append(pages, page)
		if next == "" {
			break
		}
		if next == token {
			t.Fatalf("token %q did not advance", next)
		}
		token = next
	}
	wantPages := [][]string{want[0:3], want[3:6], want[6:7]}
	if !reflect.DeepEqual(pages, wantPages) {
		t.Errorf("pages = %v, want %v", pages, wantPages)
	}

	all, next, err := e.c.ListDatasetGroups(e.ctx, perch.Page{})
	if err != nil || len(all) != 7 || next != "" {
		t.Errorf("default page: %d groups, next %q, err %v; want all 7 and no token", len(all), next, err)
	}
	exact, next, err := e.c.ListDatasetGroups(e.ctx, perch.Page{MaxResults: 7})
	if err != nil || len(exact) != 7 || next != "" {
		t.Errorf("page of exactly 7: %d groups, next %q, err %v; want no token", len(exact), next, err)
	}
}

func TestListFilters(t *testing.T) {
	e := newEnv(t, catalog.Options{})
	items := e.schema("items", itemsSchema)
	interactions := e.schema("interactions", interactionsSchema)
	shop := e.group("shop", "")
	blog := e.group("blog", "")
	shopItems := e.dataset(shop, items, perch.Items)
	shopInteractions := e.dataset(shop, interactions, perch.Interactions)
	blogItems := e.dataset(blog, items, perch.Items)
	shopTracker := e.tracker("shop-clicks", shop)
	blogTracker := e.tracker("blog-clicks", blog)

	arns := func(datasets []*perch.Dataset) []string {
		var out []string
		for _, d := range datasets {
			out = append(out, d.ARN)
		}
		return out
	}
	for _, tt := range []struct {
		group string
		want  []string
	}{
		{"", []string{blogItems.ARN, shopInteractions.ARN, shopItems.ARN}},
		{shop.ARN, []string{shopInteractions.ARN, shopItems.ARN}},
		{blog.ARN, []string{blogItems.ARN}},
		{scope.DatasetGroupARN("nope"), nil},
	} {
		got, next, err := e.c.ListDatasets(e.ctx, tt.group, perch.Page{})
		if err != nil || next != "" || !slices.Equal(arns(got), tt.want) {
			t.Errorf("ListDatasets(%q) = %v, %q, %v; want %v", tt.group, arns(got), next, err, tt.want)
		}
	}

	for _, tt := range []struct {
		group string
		want  []*perch.EventTracker
	}{
		{"", sortedByARN(shopTracker, blogTracker)},
		{shop.ARN, []*perch.EventTracker{shopTracker}},
		{scope.DatasetGroupARN("nope"), []*perch.EventTracker{}},
	} {
		got, next, err := e.c.ListEventTrackers(e.ctx, tt.group, perch.Page{})
		if err != nil || next != "" || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ListEventTrackers(%q) = %v, %q, %v; want %v", tt.group, got, next, err, tt.want)
		}
	}

	schemas, _, err := e.c.ListSchemas(e.ctx, perch.Page{})
	if err != nil || !reflect.DeepEqual(schemas, []*perch.Schema{interactions, items}) {
		t.Errorf("ListSchemas = %v, %v", schemas, err)
	}
}

func sortedByARN(trackers ...*perch.EventTracker) []*perch.EventTracker {
	slices.SortFunc(trackers, func(a, b *perch.EventTracker) int { return strings.Compare(a.ARN, b.ARN) })
	return trackers
}

func TestInvalidNextToken(t *testing.T) {
	e := newEnv(t, catalog.Options{})
	items := e.schema("items", itemsSchema)
	e.schema("items-2", itemsSchema)
	shop := e.group("shop", "")
	blog := e.group("blog", "")
	e.dataset(shop, items, perch.Items)
	e.dataset(blog, items, perch.Items)

	_, schemaToken, err := e.c.ListSchemas(e.ctx, perch.Page{MaxResults: 1})
	if err != nil || schemaToken == "" {
		t.Fatalf("ListSchemas: token %q, %v", schemaToken, err)
	}
	_, datasetToken, err := e.c.ListDatasets(e.ctx, "", perch.Page{MaxResults: 1})
	if err != nil || datasetToken == "" {
		t.Fatalf("ListDatasets: token %q, %v", datasetToken, err)
	}

	for _, tt := range []struct {
		name string
		list func(token string) error
		tok  string
	}{
		{"garbage", func(tok string) error {
			_, _, err := e.c.ListSchemas(e.ctx, perch.Page{NextToken: tok})
			return err
		}, "not a token!"},
		{"base64 of garbage", func(tok string) error {
			_, _, err := e.c.ListSchemas(e.ctx, perch.Page{NextToken: tok})
			return err
		}, "bm90IGEgdG9rZW4"},
		{"another list's token", func(tok string) error {
			_, _, err := e.c.ListDatasetGroups(e.ctx, perch.Page{NextToken: tok})
			return err
		}, schemaToken},
		{"another filter's token", func(tok string) error {
			_, _, err := e.c.ListDatasets(e.ctx, shop.ARN, perch.Page{NextToken: tok})
			return err
		}, datasetToken},
		{"datasets token for trackers", func(tok string) error {
			_, _, err := e.c.ListEventTrackers(e.ctx, "", perch.Page{NextToken: tok})
			return err
		}, datasetToken},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, tt.list(tt.tok), perch.EInvalidNextToken, "Invalid next token")
		})
	}

	rest, next, err := e.c.ListDatasets(e.ctx, "", perch.Page{NextToken: datasetToken})
	if err != nil || len(rest) != 1 || next != "" {
		t.Errorf("ListDatasets with its own token = %v, %q, %v", rest, next, err)
	}
}

// state is everything a catalog shows its default account.
type state struct {
	Schemas  []*perch.Schema
	Groups   []*perch.DatasetGroup
	Datasets []*perch.Dataset
	Trackers []*perch.EventTracker
}

func snapshot(t *testing.T, ctx context.Context, c *catalog.Catalog) state {
	t.Helper()
	var s state
	var err error
	if s.Schemas, _, err = c.ListSchemas(ctx, perch.Page{}); err != nil {
		t.Fatal(err)
	}
	if s.Groups, _, err = c.ListDatasetGroups(ctx, perch.Page{}); err != nil {
		t.Fatal(err)
	}
	if s.Datasets, _, err = c.ListDatasets(ctx, "", perch.Page{}); err != nil {
		t.Fatal(err)
	}
	if s.Trackers, _, err = c.ListEventTrackers(ctx, "", perch.Page{}); err != nil {
		t.Fatal(err)
	}
	return s
}

// populate creates one of each resource, with every optional part set.
func (e *env) populate() (tracker *perch.EventTracker, ai *perch.Dataset) {
	e.t.Helper()
	g, err := e.c.CreateDatasetGroup(e.ctx, perch.CreateDatasetGroupInput{
		Name: "shop", RoleARN: "arn:aws:iam::000000000000:role/r", Tags: []perch.Tag{{Key: "k", Value: "v"}},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	interactions := e.dataset(g, e.schema("interactions", interactionsSchema), perch.Interactions)
	if _, err := e.c.UpdateDataset(e.ctx, interactions.ARN, e.schema("interactions-2", interactionsSchema).ARN); err != nil {
		e.t.Fatal(err)
	}
	e.schema("unused", itemsSchema)
	return e.tracker("clicks", g), e.dataset(g, e.schema("ai", actionInteractionsSchema), perch.ActionInteractions)
}

func TestRestart(t *testing.T) {
	e := newEnv(t, catalog.Options{})
	tracker, ai := e.populate()
	before := snapshot(t, e.ctx, e.c)

	reopened := e.open(catalog.Options{})
	if after := snapshot(t, e.ctx, reopened); !reflect.DeepEqual(after, before) {
		t.Errorf("after reopening:\n%+v\nwant\n%+v", after, before)
	}
	for _, id := range []string{tracker.TrackingID, ai.TrackingID} {
		want, wantSchema, err := e.c.Target(e.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		got, gotSchema, err := reopened.Target(e.ctx, id)
		// Compare what the schemas say, not their lazily built lookup indexes.
		if err != nil || !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotSchema.Fields, wantSchema.Fields) ||
			gotSchema.Name != wantSchema.Name || gotSchema.Namespace != wantSchema.Namespace {
			t.Errorf("reopened Target(%s) = %+v, %+v, %v; want %+v, %+v", id, got, gotSchema, err, want, wantSchema)
		}
	}
	// The rules hold over what was loaded.
	_, err := reopened.CreateEventTracker(e.ctx, perch.CreateEventTrackerInput{Name: "again", GroupARN: tracker.GroupARN})
	wantError(t, err, perch.EResourceAlreadyExists)
	wantError(t, reopened.DeleteDatasetGroup(e.ctx, tracker.GroupARN), perch.EResourceInUse)
}

func TestAccountIsolation(t *testing.T) {
	e := newEnv(t, catalog.Options{})
	tracker, ai := e.populate()
	mine := snapshot(t, e.ctx, e.c)
	if explicit := snapshot(t, perch.WithAccount(e.ctx, account), e.c); !reflect.DeepEqual(explicit, mine) {
		t.Errorf("the default account named explicitly sees %+v, want %+v", explicit, mine)
	}

	other := perch.WithAccount(e.ctx, otherAccount)
	if theirs := snapshot(t, other, e.c); len(theirs.Schemas)+len(theirs.Groups)+len(theirs.Datasets)+len(theirs.Trackers) != 0 {
		t.Errorf("another account lists %+v", theirs)
	}
	groupARN := mine.Groups[0].ARN
	if ds, _, err := e.c.ListDatasets(other, groupARN, perch.Page{}); err != nil || len(ds) != 0 {
		t.Errorf("another account lists datasets %v, %v", ds, err)
	}
	notFound := map[string]error{}
	_, notFound["DescribeSchema"] = e.c.DescribeSchema(other, mine.Schemas[0].ARN)
	_, notFound["DescribeDatasetGroup"] = e.c.DescribeDatasetGroup(other, groupARN)
	_, notFound["DescribeDataset"] = e.c.DescribeDataset(other, ai.ARN)
	_, _, notFound["DatasetSchema"] = e.c.DatasetSchema(other, ai.ARN)
	_, notFound["DescribeEventTracker"] = e.c.DescribeEventTracker(other, tracker.ARN)
	_, notFound["UpdateDataset"] = e.c.UpdateDataset(other, ai.ARN, mine.Schemas[0].ARN)
	_, notFound["CreateDataset"] = e.c.CreateDataset(other, perch.CreateDatasetInput{
		Name: "x", SchemaARN: mine.Schemas[0].ARN, GroupARN: groupARN, Type: "Items",
	})
	_, notFound["CreateEventTracker"] = e.c.CreateEventTracker(other, perch.CreateEventTrackerInput{Name: "x", GroupARN: groupARN})
	notFound["DeleteSchema"] = e.c.DeleteSchema(other, mine.Schemas[0].ARN)
	notFound["DeleteDatasetGroup"] = e.c.DeleteDatasetGroup(other, groupARN)
	notFound["DeleteDataset"] = e.c.DeleteDataset(other, ai.ARN)
	notFound["DeleteEventTracker"] = e.c.DeleteEventTracker(other, tracker.ARN)
	for op, err := range notFound {
		t.Run(op, func(t *testing.T) { wantError(t, err, perch.EResourceNotFound) })
	}
	for _, id := range []string{tracker.TrackingID, ai.TrackingID} {
		_, _, err := e.c.Target(other, id)
		wantError(t, err, perch.EInvalidInput, id)
	}
	if after := snapshot(t, e.ctx, e.c); !reflect.DeepEqual(after, mine) {
		t.Errorf("another account's calls changed the catalog to %+v", after)
	}

	// Names are per account: the other account can reuse them.
	g, err := e.c.CreateDatasetGroup(other, perch.CreateDatasetGroupInput{Name: mine.Groups[0].Name})
	if err != nil {
		t.Fatal(err)
	}
	if want := (perch.Scope{Region: scope.Region, Account: otherAccount}).DatasetGroupARN(g.Name); g.ARN != want {
		t.Errorf("other account's group ARN %s, want %s", g.ARN, want)
	}
	tr, err := e.c.CreateEventTracker(other, perch.CreateEventTrackerInput{Name: tracker.Name, GroupARN: g.ARN})
	if err != nil {
		t.Fatal(err)
	}
	if tr.AccountID != otherAccount {
		t.Errorf("tracker accountId %s, want %s", tr.AccountID, otherAccount)
	}
}

func TestFailedWritesChangeNothing(t *testing.T) {
	e := newEnv(t, catalog.Options{})
	tracker, ai := e.populate()
	blog := e.group("blog", "")
	unused := scope.SchemaARN("unused")
	before := snapshot(t, e.ctx, e.c)
	nextID, err := e.store.Resources().NextDatasetID(e.ctx)
	if err != nil {
		t.Fatal(err)
	}

	e.rs.failing = true
	groupARN := tracker.GroupARN
	interactionsARN := scope.DatasetARN("shop", perch.Interactions)
	failures := map[string]error{}
	_, failures["CreateSchema"] = e.c.CreateSchema(e.ctx, perch.CreateSchemaInput{Name: "new", Definition: itemsSchema})
	_, failures["CreateDatasetGroup"] = e.c.CreateDatasetGroup(e.ctx, perch.CreateDatasetGroupInput{Name: "new"})
	_, failures["CreateDataset"] = e.c.CreateDataset(e.ctx, perch.CreateDatasetInput{
		Name: "new", SchemaARN: unused, GroupARN: groupARN, Type: "Items",
	})
	_, failures["UpdateDataset"] = e.c.UpdateDataset(e.ctx, interactionsARN, scope.SchemaARN("interactions"))
	_, failures["CreateEventTracker"] = e.c.CreateEventTracker(e.ctx, perch.CreateEventTrackerInput{Name: "new", GroupARN: blog.ARN})
	failures["DeleteSchema"] = e.c.DeleteSchema(e.ctx, unused)
	failures["DeleteDatasetGroup"] = e.c.DeleteDatasetGroup(e.ctx, blog.ARN)
	failures["DeleteDataset"] = e.c.DeleteDataset(e.ctx, ai.ARN)
	failures["DeleteEventTracker"] = e.c.DeleteEventTracker(e.ctx, tracker.ARN)
	for op, err := range failures {
		if !errors.Is(err, errDisk) || perch.ErrorCode(err) != perch.EInternal {
			t.Errorf("%s with a failing store: %v, want the store's error as an internal failure", op, err)
		}
	}

	e.rs.failing = false
	if after := snapshot(t, e.ctx, e.c); !reflect.DeepEqual(after, before) {
		t.Errorf("failed writes changed the catalog:\n%+v\nwant\n%+v", after, before)
	}
	for _, id := range []string{tracker.TrackingID, ai.TrackingID} {
		if _, _, err := e.c.Target(e.ctx, id); err != nil {
			t.Errorf("Target(%s) after failed deletes: %v", id, err)
		}
	}
	if id, err := e.store.Resources().NextDatasetID(e.ctx); err != nil || id != nextID+1 {
		t.Errorf("the next dataset id is %d (%v), want %d: failed creates took ids", id, err, nextID+1)
	}
	// Names the failed creates would have taken are still free.
	e.schema("new", itemsSchema)
	e.group("new", "")
}

func TestReturnedResourcesAreCopies(t *testing.T) {
	e := newEnv(t, catalog.Options{})
	tracker, ai := e.populate()
	before := snapshot(t, e.ctx, e.c)

	mutate := func(s state) {
		for _, v := range s.Schemas {
			v.Name = "changed"
		}
		for _, v := range s.Groups {
			v.Status = "changed"
			v.Tags[0].Value = "changed"
		}
		for _, v := range s.Datasets {
			v.SchemaARN = "changed"
			if v.LatestUpdate != nil {
				v.LatestUpdate.SchemaARN = "changed"
			}
		}
		for _, v := range s.Trackers {
			v.TrackingID = "changed"
		}
	}
	mutate(snapshot(t, e.ctx, e.c))
	tracker.GroupARN = "changed"
	ai.TrackingID = "changed"
	if g, err := e.c.DescribeDatasetGroup(e.ctx, before.Groups[0].ARN); err == nil {
		g.Tags[0].Key = "changed"
	}

	if after := snapshot(t, e.ctx, e.c); !reflect.DeepEqual(after, before) {
		t.Errorf("changing returned resources changed the catalog:\n%+v\nwant\n%+v", after, before)
	}
}

func TestLoadedResourcesTheRulesDidNotMake(t *testing.T) {
	// Stored by an earlier version, or another node, whose rules differed:
	// the store keeps what it is given.
	e := newEnv(t, catalog.Options{})
	pending := &perch.DatasetGroup{ARN: scope.DatasetGroupARN("pending"), Name: "pending", Status: perch.StatusCreatePending}
	broken := &perch.Schema{ARN: scope.SchemaARN("broken"), Name: "broken", Definition: `{"type":`}
	if err := e.store.Resources().CreateDatasetGroup(e.ctx, pending, 500); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Resources().CreateSchema(e.ctx, broken, 500); err != nil {
		t.Fatal(err)
	}
	e.c = e.open(catalog.Options{})

	items := e.schema("items", itemsSchema)
	_, err := e.c.CreateDataset(e.ctx, perch.CreateDatasetInput{Name: "x", SchemaARN: items.ARN, GroupARN: pending.ARN, Type: "Items"})
	wantError(t, err, perch.EResourceInUse, pending.ARN, perch.StatusCreatePending)
	_, err = e.c.CreateEventTracker(e.ctx, perch.CreateEventTrackerInput{Name: "x", GroupARN: pending.ARN})
	wantError(t, err, perch.EResourceInUse, pending.ARN)

	// A stored schema that no longer parses is still there to see and
	// delete, but no dataset can use it.
	if got, err := e.c.DescribeSchema(e.ctx, broken.ARN); err != nil || !reflect.DeepEqual(got, broken) {
		t.Errorf("DescribeSchema = %+v, %v", got, err)
	}
	g := e.group("shop", "")
	_, err = e.c.CreateDataset(e.ctx, perch.CreateDatasetInput{Name: "x", SchemaARN: broken.ARN, GroupARN: g.ARN, Type: "Items"})
	wantError(t, err, perch.EInvalidInput, broken.ARN)
	if err := e.c.DeleteSchema(e.ctx, broken.ARN); err != nil {
		t.Error(err)
	}
}

func TestConcurrentCreatesOfOneName(t *testing.T) {
	e := newEnv(t, catalog.Options{})
	const callers = 16
	errs := make(chan error, callers)
	for range callers {
		go func() {
			_, err := e.c.CreateDatasetGroup(e.ctx, perch.CreateDatasetGroupInput{Name: "shop"})
			errs <- err
		}()
	}
	created := 0
	for range callers {
		switch err := <-errs; {
		case err == nil:
			created++
		case perch.ErrorCode(err) != perch.EResourceAlreadyExists:
			t.Error(err)
		}
	}
	if created != 1 {
		t.Errorf("%d callers created the group, want 1", created)
	}
}
