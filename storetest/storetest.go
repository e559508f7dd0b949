// Package storetest is the contract every perch.Store must keep, as tests
// that any backend runs against its own stores: what Commit returns and
// writes, eventId duplicates, entity upserts, bulk loads, DeleteUsers,
// dataset deletion, read order and queries, the rules between resources
// (also under concurrent calls), job and training leases, models, and what
// survives a close and a reopen.
//
// A backend's tests call Run with a Harness that makes fresh stores of
// that backend, real ones (a directory on disk, a database of their own):
//
//	func TestStoreContract(t *testing.T) {
//		storetest.Run(t, storetest.Harness{Fresh: func(t *testing.T) func() (perch.Store, error) {
//			dir := t.TempDir()
//			return func() (perch.Store, error) { return mystore.Open(dir) }
//		}})
//	}
//
// The tests speak only through perch.Store, perch.ResourceStore and
// perch.BulkLoader, and word their promises in the interfaces' terms: a
// later commit is one that starts after an earlier one returned; records
// put through the events API read back in the order the store assigned
// them, which for one committer is its commit order. They never ask for
// a store's internals (its keys, files or tables); a backend tests those
// beside its own code.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/perchdev/perch"
)

// Harness makes the stores of one backend for the suite.
type Harness struct {
	// Fresh makes the place of a new, empty store (a directory, a
	// database) and returns a function that opens the store kept there.
	// The suite opens it, closes the store, and opens it again to see
	// what survived; it never holds two stores of one place open at once.
	// Fresh registers with t whatever removes the place.
	Fresh func(t *testing.T) (open func() (perch.Store, error))
}

// Test is one test of the suite.
type Test struct {
	Name string
	Run  func(t *testing.T, h Harness)
}

// Tests returns every test of the suite, for a backend that runs one
// again under conditions of its own (for instance with every content hash
// colliding).
func Tests() []Test {
	return []Test{
		{"RecordsRoundTrip", testRecordsRoundTrip},
		{"CommitOutcomes", testCommitOutcomes},
		{"CommitToDeletedDataset", testCommitToDeletedDataset},
		{"Duplicates", testDuplicates},
		{"EventQueries", testEventQueries},
		{"RunsOfOneUserAndSession", testRunsOfOneUserAndSession},
		{"ReadStopsAtCallbackError", testReadStopsAtCallbackError},
		{"EntitiesNewestWins", testEntitiesNewestWins},
		{"ConcurrentCommits", testConcurrentCommits},
		{"RecordsSurviveReopen", testRecordsSurviveReopen},
		{"ClosedStore", testClosedStore},
		{"BulkSourcesAndModes", testBulkSourcesAndModes},
		{"BulkEntitiesMerge", testBulkEntitiesMerge},
		{"BulkStagedIsInvisible", testBulkStagedIsInvisible},
		{"BulkLoadOfDeletedDataset", testBulkLoadOfDeletedDataset},
		{"LargeBulkLoad", testLargeBulkLoad},
		{"BulkExactDuplicates", testBulkExactDuplicates},
		{"DeleteUsers", testDeleteUsers},
		{"DeleteDataset", testDeleteDataset},
		{"RecordCounts", testRecordCounts},
		{"NewestFirst", testNewestFirst},
		{"Resources", testResources},
		{"ResourcesSurviveReopen", testResourcesSurviveReopen},
		{"CreateTakenARN", testCreateTakenARN},
		{"ResourceLookups", testResourceLookups},
		{"MissingResources", testMissingResources},
		{"NextDatasetID", testNextDatasetID},
		{"Quotas", testQuotas},
		{"DeleteSchemaInUse", testDeleteSchemaInUse},
		{"DeleteGroupInUse", testDeleteGroupInUse},
		{"CreateDatasetRules", testCreateDatasetRules},
		{"UpdateDatasetRules", testUpdateDatasetRules},
		{"CreateEventTrackerRules", testCreateEventTrackerRules},
		{"DeleteDatasetHeldByJobs", testDeleteDatasetHeldByJobs},
		{"ExportJobRules", testExportJobRules},
		{"ImportJobRules", testImportJobRules},
		{"DeletionJobRules", testDeletionJobRules},
		{"SolutionRules", testSolutionRules},
		{"DeleteSolutionInUse", testDeleteSolutionInUse},
		{"DeleteGroupWithSolution", testDeleteGroupWithSolution},
		{"SolutionVersionRules", testSolutionVersionRules},
		{"StopSolutionVersion", testStopSolutionVersion},
		{"SolutionVersionLeases", testSolutionVersionLeases},
		{"Models", testModels},
		{"CampaignRules", testCampaignRules},
		{"FilterRules", testFilterRules},
		{"ResourceTags", testResourceTags},
		{"MetricAttributionRules", testMetricAttributionRules},
		{"BatchInferenceJobRules", testBatchInferenceJobRules},
		{"BatchSegmentJobRules", testBatchSegmentJobRules},
		{"UpdateCampaignRules", testUpdateCampaignRules},
		{"JobLeases", testJobLeases},
		{"ClaimJobByKind", testClaimJobByKind},
		{"JobLeaseExpiry", testJobLeaseExpiry},
		{"JobProgress", testJobProgress},
		{"ConcurrentClaims", testConcurrentClaims},
		{"ConcurrentCreates", testConcurrentCreates},
		{"ConcurrentDependents", testConcurrentDependents},
	}
}

// Run runs every test of the suite against fresh stores of h, each as a
// subtest of t.
func Run(t *testing.T, h Harness) {
	for _, tt := range Tests() {
		t.Run(tt.Name, func(t *testing.T) { tt.Run(t, h) })
	}
}

// store is an open store of the suite with its test and the means to
// reopen it.
type store struct {
	perch.Store
	t     *testing.T
	open  func() (perch.Store, error)
	names int // names the datasets of dataset
}

// openFresh opens a fresh store of h, which is closed when the test ends.
func openFresh(t *testing.T, h Harness) *store {
	t.Helper()
	s := &store{t: t, open: h.Fresh(t)}
	s.reopen()
	t.Cleanup(func() {
		if s.Store != nil {
			if err := s.Store.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}
	})
	return s
}

// reopen closes the store, if open, and opens it again.
func (s *store) reopen() {
	s.t.Helper()
	s.close()
	st, err := s.open()
	if err != nil {
		s.t.Fatalf("opening the store: %v", err)
	}
	s.Store = st
}

// close closes the store; the test ends with it closed.
func (s *store) close() {
	s.t.Helper()
	if s.Store == nil {
		return
	}
	err := s.Store.Close()
	s.Store = nil
	if err != nil {
		s.t.Fatalf("Close: %v", err)
	}
}

// roomy is a quota no test comes near, for the creates whose quota a test
// does not look at.
const roomy = 1000

// The accounts of the suite's resources: most are in account, and
// otherAccount is one whose resources must not count for account's.
const (
	account      = "000000000000"
	otherAccount = "111111111111"
)

func arn(resource string) string { return arnIn(account, resource) }

func arnIn(acct, resource string) string {
	return "arn:aws:personalize:us-east-1:" + acct + ":" + resource
}

// dataset creates a dataset of type typ, with a store id of its own, in a
// dataset group and with a schema of its own, as the catalog would.
func (s *store) dataset(typ perch.DatasetType) *perch.Dataset {
	s.t.Helper()
	s.names++
	name := fmt.Sprintf("storetest-%d", s.names)
	return s.datasetIn(s.group(account, name, ""), s.schema(name), typ)
}

// group creates a dataset group named name in acct, of the domain (""
// for a custom one).
func (s *store) group(acct, name, domain string) *perch.DatasetGroup {
	s.t.Helper()
	g := &perch.DatasetGroup{ARN: arnIn(acct, "dataset-group/"+name), Name: name, Status: perch.StatusActive, Domain: domain}
	if err := s.Resources().CreateDatasetGroup(s.t.Context(), g, roomy); err != nil {
		s.t.Fatalf("creating dataset group %s: %v", g.ARN, err)
	}
	return g
}

// schema creates a schema named name in account.
func (s *store) schema(name string) *perch.Schema {
	s.t.Helper()
	sc := &perch.Schema{ARN: arn("schema/" + name), Name: name, Definition: `{"type": "record"}`}
	if err := s.Resources().CreateSchema(s.t.Context(), sc, roomy); err != nil {
		s.t.Fatalf("creating schema %s: %v", sc.ARN, err)
	}
	return sc
}

// datasetIn creates the dataset of type typ of group g, with schema sc
// and an id from NextDatasetID.
func (s *store) datasetIn(g *perch.DatasetGroup, sc *perch.Schema, typ perch.DatasetType) *perch.Dataset {
	s.t.Helper()
	ctx := s.t.Context()
	id, err := s.Resources().NextDatasetID(ctx)
	if err != nil {
		s.t.Fatalf("NextDatasetID: %v", err)
	}
	d := &perch.Dataset{ARN: datasetARN(g, typ), Name: g.Name + "-" + strings.ToLower(string(typ)), GroupARN: g.ARN, Type: typ,
		SchemaARN: sc.ARN, Status: perch.StatusActive, ID: id}
	if err := s.Resources().CreateDataset(ctx, d); err != nil {
		s.t.Fatalf("creating dataset %s: %v", d.ARN, err)
	}
	return d
}

// datasetARN is the ARN of group g's dataset of type typ, which the
// service makes of the group's name and the type.
func datasetARN(g *perch.DatasetGroup, typ perch.DatasetType) string {
	return strings.Replace(g.ARN, ":dataset-group/", ":dataset/", 1) + "/" + string(typ)
}

func (s *store) commit(b *perch.Batch) {
	s.t.Helper()
	if err := s.Commit(s.t.Context(), b); err != nil {
		s.t.Fatalf("Commit: %v", err)
	}
}

func (s *store) events(d *perch.Dataset, q perch.RecordQuery) []perch.Event {
	s.t.Helper()
	var got []perch.Event
	err := s.Events(s.t.Context(), d.ID, q, func(e *perch.Event) error {
		got = append(got, *e)
		return nil
	})
	if err != nil {
		s.t.Fatalf("Events: %v", err)
	}
	return got
}

func (s *store) actionInteractions(d *perch.Dataset, q perch.RecordQuery) []perch.ActionInteraction {
	s.t.Helper()
	var got []perch.ActionInteraction
	err := s.ActionInteractions(s.t.Context(), d.ID, q, func(a *perch.ActionInteraction) error {
		got = append(got, *a)
		return nil
	})
	if err != nil {
		s.t.Fatalf("ActionInteractions: %v", err)
	}
	return got
}

func (s *store) entities(d *perch.Dataset, q perch.RecordQuery) []perch.Entity {
	s.t.Helper()
	var got []perch.Entity
	err := s.Entities(s.t.Context(), d.ID, q, func(e *perch.Entity) error {
		got = append(got, *e)
		return nil
	})
	if err != nil {
		s.t.Fatalf("Entities: %v", err)
	}
	return got
}

// load imports the batch into its dataset as one import job does: one
// loader, one Add, one Commit.
func (s *store) load(mode perch.ImportMode, b *perch.Batch) {
	s.t.Helper()
	ctx := s.t.Context()
	l, err := s.BulkLoad(ctx, b.Dataset)
	if err != nil {
		s.t.Fatalf("BulkLoad: %v", err)
	}
	if err := l.Add(ctx, b); err != nil {
		s.t.Fatalf("Add: %v", err)
	}
	if err := l.Commit(ctx, mode); err != nil {
		s.t.Fatalf("Commit of a %s import: %v", mode, err)
	}
}

// deleteUsers calls DeleteUsers and wants n records deleted.
func (s *store) deleteUsers(d *perch.Dataset, users []string, n int) {
	s.t.Helper()
	got, err := s.DeleteUsers(s.t.Context(), d, users)
	if err != nil || got != n {
		s.t.Fatalf("DeleteUsers(%v) of %s = %d, %v; want %d records deleted", users, d.Type, got, err, n)
	}
}

// event is an event put through the events API.
func event(id, user, session string) perch.Event {
	return perch.Event{EventID: id, EventType: "click", ItemID: "item-" + id, UserID: user, SessionID: session, SentAt: 1700000000000}
}

// bulkEvent is an imported event: no eventId, no session.
func bulkEvent(user, item string) perch.Event {
	return perch.Event{EventType: "click", UserID: user, ItemID: item, SentAt: 1600000000000}
}

func eventIDs(es []perch.Event) []string {
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.EventID
	}
	return ids
}

// marked prints events as their ids, or what ids is given, each followed
// by "(dup)" when read as a duplicate, space-separated.
func marked(es []perch.Event, id func(*perch.Event) string) string {
	out := make([]string, len(es))
	for i := range es {
		out[i] = id(&es[i])
		if es[i].Duplicate {
			out[i] += "(dup)"
		}
	}
	return strings.Join(out, " ")
}

func byEventID(e *perch.Event) string { return e.EventID }

// bySource prints an event as how it arrived, its user and its item.
func bySource(e *perch.Event) string {
	source := "put"
	if e.Bulk {
		source = "bulk"
	}
	return source + ":" + e.UserID + "/" + e.ItemID
}

// noCall is a read callback for reads that must fail before any record.
func noCall[T any](*T) error { return errors.New("a record was read") }

// ctxDone is a context that has ended.
func ctxDone() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
