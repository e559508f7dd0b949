package storetest

import (
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/perchdev/perch"
)

// The rules between resources, which a store holds in the step that
// writes. Each test sets up resources through the ResourceStore only,
// then checks what a refused call answers (the code, and the resources
// its message names) and that it stored nothing.

// testQuotas: an account may have at most the quota of schemas and of
// dataset groups; a create past it is LimitExceededException naming the
// resource's name, and another account's resources do not count.
func testQuotas(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	const quota = 2
	createSchema := func(acct, name string) error {
		return r.CreateSchema(ctx, &perch.Schema{ARN: arnIn(acct, "schema/"+name), Name: name, Definition: `{"type": "record"}`}, quota)
	}
	createGroup := func(acct, name string) error {
		g := &perch.DatasetGroup{ARN: arnIn(acct, "dataset-group/"+name), Name: name, Status: perch.StatusActive}
		return r.CreateDatasetGroup(ctx, g, quota)
	}
	for _, c := range []struct {
		kind   string
		create func(acct, name string) error
		del    func(arn string) error
		arn    func(acct, name string) string
	}{
		{"schema", createSchema, func(arn string) error { return r.DeleteSchema(ctx, arn) },
			func(acct, name string) string { return arnIn(acct, "schema/"+name) }},
		{"dataset group", createGroup, func(arn string) error { return r.DeleteDatasetGroup(ctx, arn) },
			func(acct, name string) string { return arnIn(acct, "dataset-group/"+name) }},
	} {
		for _, acct := range []string{account, otherAccount} {
			for _, name := range []string{"q1", "q2"} {
				if err := c.create(acct, name); err != nil {
					t.Fatalf("creating %s %s of %s, within the quota: %v", c.kind, name, acct, err)
				}
			}
			wantError(t, fmt.Sprintf("creating a %s past the quota", c.kind), c.create(acct, "q3"), perch.ELimitExceeded, "q3")
		}
		if err := c.del(c.arn(account, "q1")); err != nil {
			t.Fatal(err)
		}
		if err := c.create(account, "q3"); err != nil {
			t.Errorf("creating a %s after a deletion made room: %v", c.kind, err)
		}
		wantError(t, fmt.Sprintf("creating a %s past the quota again", c.kind), c.create(account, "q4"), perch.ELimitExceeded, "q4")
	}
	schemas, err := r.Schemas(ctx)
	if err != nil || len(schemas) != 2*quota {
		t.Errorf("Schemas = %d, %v; want %d", len(schemas), err, 2*quota)
	}
	groups, err := r.DatasetGroups(ctx)
	if err != nil || len(groups) != 2*quota {
		t.Errorf("DatasetGroups = %d, %v; want %d", len(groups), err, 2*quota)
	}
}

// testDeleteSchemaInUse: a schema that a dataset uses, or is being
// updated to, cannot be deleted (ResourceInUseException naming both);
// once no dataset uses it, it can.
func testDeleteSchemaInUse(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	s1, s2, s3 := s.schema("s1"), s.schema("s2"), s.schema("s3")
	d := s.datasetIn(s.group(account, "g", ""), s1, perch.Interactions)
	wantError(t, "DeleteSchema of a dataset's schema", r.DeleteSchema(ctx, s1.ARN), perch.EResourceInUse, s1.ARN, d.ARN)
	if _, err := r.Schema(ctx, s1.ARN); err != nil {
		t.Errorf("the refused schema: %v", err)
	}

	// An update in progress: the dataset has s2, is being updated to s3.
	d.SchemaARN, d.LatestUpdate = s2.ARN, &perch.DatasetUpdate{SchemaARN: s3.ARN, Status: perch.StatusCreateInProgress}
	if err := r.UpdateDataset(ctx, d); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteSchema(ctx, s1.ARN); err != nil {
		t.Errorf("DeleteSchema of a schema no dataset uses any more: %v", err)
	}
	wantError(t, "DeleteSchema of a dataset's schema", r.DeleteSchema(ctx, s2.ARN), perch.EResourceInUse, s2.ARN, d.ARN)
	wantError(t, "DeleteSchema of the schema a dataset is being updated to", r.DeleteSchema(ctx, s3.ARN),
		perch.EResourceInUse, s3.ARN, d.ARN)

	if err := r.DeleteDataset(ctx, d.ARN); err != nil {
		t.Fatal(err)
	}
	for _, sc := range []*perch.Schema{s2, s3} {
		if err := r.DeleteSchema(ctx, sc.ARN); err != nil {
			t.Errorf("DeleteSchema once its dataset is gone: %v", err)
		}
	}
	if list, err := r.Schemas(ctx); err != nil || len(list) != 0 {
		t.Errorf("Schemas = %+v, %v; want none", list, err)
	}
}

// testDeleteGroupInUse: a dataset group that has a dataset or an event
// tracker cannot be deleted (ResourceInUseException naming the group and
// what it has); another group's resources do not hold it.
func testDeleteGroupInUse(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	g, other := s.group(account, "g", ""), s.group(account, "other", "")
	sc := s.schema("s")
	d := s.datasetIn(g, sc, perch.Interactions)
	tracker := &perch.EventTracker{ARN: arn("event-tracker/t"), Name: "t", GroupARN: g.ARN, Status: perch.StatusActive}
	if err := r.CreateEventTracker(ctx, tracker); err != nil {
		t.Fatal(err)
	}
	s.datasetIn(other, sc, perch.Interactions)
	wantError(t, "DeleteDatasetGroup with a dataset and a tracker", r.DeleteDatasetGroup(ctx, g.ARN),
		perch.EResourceInUse, g.ARN, d.ARN, tracker.ARN)
	if err := r.DeleteDataset(ctx, d.ARN); err != nil {
		t.Fatal(err)
	}
	wantError(t, "DeleteDatasetGroup with a tracker", r.DeleteDatasetGroup(ctx, g.ARN), perch.EResourceInUse, g.ARN, tracker.ARN)
	if err := r.DeleteEventTracker(ctx, tracker.ARN); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteDatasetGroup(ctx, g.ARN); err != nil {
		t.Errorf("DeleteDatasetGroup of an empty group: %v", err)
	}
	if _, err := r.DatasetGroup(ctx, g.ARN); perch.ErrorCode(err) != perch.EResourceNotFound {
		t.Errorf("the deleted group: %v, want %s", err, perch.EResourceNotFound)
	}

	// A dataset alone holds its group too.
	e := s.datasetIn(s.group(account, "e", ""), sc, perch.Items)
	wantError(t, "DeleteDatasetGroup with a dataset", r.DeleteDatasetGroup(ctx, e.GroupARN), perch.EResourceInUse, e.GroupARN, e.ARN)
}

// testCreateDatasetRules: a dataset needs its group and its schema
// stored (ResourceNotFoundException naming the missing one); a group has
// one dataset of each type (ResourceAlreadyExistsException naming the
// group); a domain group has no Actions or Action interactions dataset
// (InvalidInputException naming the group); a group that is not ACTIVE
// takes none (ResourceInUseException). A refused dataset is not stored.
func testCreateDatasetRules(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	g, sc := s.group(account, "g", ""), s.schema("s")
	newDataset := func(g *perch.DatasetGroup, sc string, typ perch.DatasetType) *perch.Dataset {
		return &perch.Dataset{ARN: datasetARN(g, typ), Name: "d", GroupARN: g.ARN, Type: typ, SchemaARN: sc, Status: perch.StatusActive, ID: 1}
	}
	missingGroup := &perch.DatasetGroup{ARN: arn("dataset-group/missing"), Name: "missing"}
	wantError(t, "CreateDataset in a missing group", r.CreateDataset(ctx, newDataset(missingGroup, sc.ARN, perch.Interactions)),
		perch.EResourceNotFound, missingGroup.ARN)
	missingSchema := arn("schema/missing")
	wantError(t, "CreateDataset with a missing schema", r.CreateDataset(ctx, newDataset(g, missingSchema, perch.Interactions)),
		perch.EResourceNotFound, missingSchema)

	d := s.datasetIn(g, sc, perch.Interactions)
	second := newDataset(g, sc.ARN, perch.Interactions)
	second.ARN += "-second"
	wantError(t, "CreateDataset of a second dataset of a type", r.CreateDataset(ctx, second), perch.EResourceAlreadyExists, g.ARN, d.ARN)
	taken := newDataset(g, sc.ARN, perch.Items)
	taken.ARN = d.ARN
	wantError(t, "CreateDataset of a taken ARN", r.CreateDataset(ctx, taken), perch.EResourceAlreadyExists, d.ARN)
	s.datasetIn(g, sc, perch.Items)
	s.datasetIn(s.group(account, "h", ""), sc, perch.Interactions)

	domain := s.group(account, "domain", perch.DomainEcommerce)
	for _, typ := range []perch.DatasetType{perch.Actions, perch.ActionInteractions} {
		wantError(t, fmt.Sprintf("CreateDataset of %s in a domain group", typ), r.CreateDataset(ctx, newDataset(domain, sc.ARN, typ)),
			perch.EInvalidInput, domain.ARN)
	}
	s.datasetIn(domain, sc, perch.Interactions)
	s.datasetIn(g, sc, perch.Actions)
	s.datasetIn(g, sc, perch.ActionInteractions)

	pending := &perch.DatasetGroup{ARN: arn("dataset-group/pending"), Name: "pending", Status: perch.StatusCreatePending}
	if err := r.CreateDatasetGroup(ctx, pending, roomy); err != nil {
		t.Fatal(err)
	}
	wantError(t, "CreateDataset in a group not ACTIVE", r.CreateDataset(ctx, newDataset(pending, sc.ARN, perch.Interactions)),
		perch.EResourceInUse, pending.ARN)

	list, err := r.Datasets(ctx)
	if err != nil || len(list) != 6 {
		t.Errorf("Datasets = %d, %v; want the 6 created", len(list), err)
	}
	if got, err := r.Dataset(ctx, d.ARN); err != nil || got.Type != perch.Interactions {
		t.Errorf("the dataset of a taken ARN = %+v, %v; want the first", got, err)
	}
}

// testUpdateDatasetRules: an update of a dataset to a schema that is not
// stored, or with a latest update to one, is ResourceNotFoundException
// naming the schema and leaves the dataset as it was.
func testUpdateDatasetRules(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	s1, s2 := s.schema("s1"), s.schema("s2")
	d := s.datasetIn(s.group(account, "g", ""), s1, perch.Interactions)
	missing := arn("schema/missing")

	update := *d
	update.SchemaARN = missing
	wantError(t, "UpdateDataset to a missing schema", r.UpdateDataset(ctx, &update), perch.EResourceNotFound, missing)
	update.SchemaARN, update.LatestUpdate = s1.ARN, &perch.DatasetUpdate{SchemaARN: missing, Status: perch.StatusCreatePending}
	wantError(t, "UpdateDataset with an update to a missing schema", r.UpdateDataset(ctx, &update), perch.EResourceNotFound, missing)
	if got, err := r.Dataset(ctx, d.ARN); err != nil || !reflect.DeepEqual(got, d) {
		t.Errorf("the dataset after refused updates = %+v, %v; want %+v", got, err, d)
	}

	for what, change := range map[string]func(*perch.Dataset){
		"to another group": func(u *perch.Dataset) { u.GroupARN = arn("dataset-group/elsewhere") },
		"to another type":  func(u *perch.Dataset) { u.Type = perch.Items },
		"to another id":    func(u *perch.Dataset) { u.ID++ },
		"tracking id":      func(u *perch.Dataset) { u.TrackingID = "moved" },
	} {
		moved := *d
		change(&moved)
		wantError(t, "UpdateDataset "+what, r.UpdateDataset(ctx, &moved), perch.EInvalidInput, d.ARN)
	}
	if got, err := r.Dataset(ctx, d.ARN); err != nil || !reflect.DeepEqual(got, d) {
		t.Errorf("the dataset after refused updates = %+v, %v; want %+v", got, err, d)
	}

	update.SchemaARN, update.LatestUpdate = s2.ARN, &perch.DatasetUpdate{SchemaARN: s2.ARN, Status: perch.StatusActive}
	if err := r.UpdateDataset(ctx, &update); err != nil {
		t.Fatal(err)
	}
	if got, err := r.Dataset(ctx, d.ARN); err != nil || got.SchemaARN != s2.ARN || got.LatestUpdate == nil || *got.LatestUpdate != *update.LatestUpdate {
		t.Errorf("the updated dataset = %+v, %v; want %+v", got, err, update)
	}
}

// testCreateEventTrackerRules: an event tracker needs its group stored
// (ResourceNotFoundException); a group has one tracker and an account's
// trackers have different names (ResourceAlreadyExistsException naming
// the group, or the name); another account may use the name.
func testCreateEventTrackerRules(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	g, other := s.group(account, "g", ""), s.group(account, "other", "")
	tracker := func(acct, id, name string, g *perch.DatasetGroup) *perch.EventTracker {
		return &perch.EventTracker{ARN: arnIn(acct, "event-tracker/"+id), Name: name, AccountID: acct, TrackingID: "tracking-" + id,
			GroupARN: g.ARN, Status: perch.StatusActive}
	}
	missing := &perch.DatasetGroup{ARN: arn("dataset-group/missing")}
	wantError(t, "CreateEventTracker in a missing group", r.CreateEventTracker(ctx, tracker(account, "1", "t", missing)),
		perch.EResourceNotFound, missing.ARN)

	first := tracker(account, "1", "clicks", g)
	if err := r.CreateEventTracker(ctx, first); err != nil {
		t.Fatal(err)
	}
	wantError(t, "CreateEventTracker of a second tracker in a group", r.CreateEventTracker(ctx, tracker(account, "2", "views", g)),
		perch.EResourceAlreadyExists, g.ARN, first.ARN)
	wantError(t, "CreateEventTracker of a name the account has", r.CreateEventTracker(ctx, tracker(account, "2", "clicks", other)),
		perch.EResourceAlreadyExists, "clicks", first.ARN)
	wantError(t, "CreateEventTracker of a taken ARN", r.CreateEventTracker(ctx, tracker(account, "1", "views", other)),
		perch.EResourceAlreadyExists, first.ARN)
	if err := r.CreateEventTracker(ctx, tracker(otherAccount, "3", "clicks", s.group(otherAccount, "g", ""))); err != nil {
		t.Errorf("CreateEventTracker of a name another account has: %v", err)
	}
	if err := r.CreateEventTracker(ctx, tracker(account, "2", "views", other)); err != nil {
		t.Errorf("CreateEventTracker of a new name in a group without one: %v", err)
	}

	pending := &perch.DatasetGroup{ARN: arn("dataset-group/pending"), Name: "pending", Status: perch.StatusCreatePending}
	if err := r.CreateDatasetGroup(ctx, pending, roomy); err != nil {
		t.Fatal(err)
	}
	wantError(t, "CreateEventTracker in a group not ACTIVE", r.CreateEventTracker(ctx, tracker(account, "4", "pending", pending)),
		perch.EResourceInUse, pending.ARN)
	if list, err := r.EventTrackers(ctx); err != nil || len(list) != 3 {
		t.Errorf("EventTrackers = %d, %v; want the 3 created", len(list), err)
	}
}

// testDeleteDatasetHeldByJobs: a dataset cannot be deleted while an
// import or export job of it, or a data deletion job of its group, has
// not finished (ResourceInUseException naming the dataset and the job);
// once the job is ACTIVE, COMPLETED or failed, it can. A job of another
// dataset does not hold it.
func testDeleteDatasetHeldByJobs(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	sc := s.schema("s")
	g, gh := s.group(account, "g", ""), s.group(account, "h", "")
	interactions, users := s.datasetIn(g, sc, perch.Interactions), s.datasetIn(g, sc, perch.Users)
	inH, itemsInH := s.datasetIn(gh, sc, perch.Interactions), s.datasetIn(gh, sc, perch.Items)

	imp := &perch.DatasetImportJob{ARN: arn("dataset-import-job/i"), Name: "i", DatasetARN: interactions.ARN,
		ImportMode: perch.ImportFull, Status: perch.StatusCreatePending}
	exp := &perch.DatasetExportJob{ARN: arn("dataset-export-job/e"), Name: "e", DatasetARN: users.ARN,
		IngestionMode: perch.IngestAll, Status: perch.StatusCreatePending}
	if err := r.CreateDatasetImportJob(ctx, imp, roomy); err != nil {
		t.Fatal(err)
	}
	if err := r.CreateDatasetExportJob(ctx, exp); err != nil {
		t.Fatal(err)
	}
	for _, status := range []string{perch.StatusCreatePending, perch.StatusCreateInProgress} {
		imp.Status = status
		if err := r.UpdateDatasetImportJob(ctx, imp, lease(ctx, r, imp.ARN)); err != nil {
			t.Fatal(err)
		}
		wantError(t, "DeleteDataset during an import "+status, r.DeleteDataset(ctx, interactions.ARN),
			perch.EResourceInUse, interactions.ARN, imp.ARN)
	}
	if _, err := r.Dataset(ctx, interactions.ARN); err != nil {
		t.Errorf("the dataset refused deletion: %v", err)
	}
	imp.Status = perch.StatusActive
	if err := r.UpdateDatasetImportJob(ctx, imp, lease(ctx, r, imp.ARN)); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteDataset(ctx, interactions.ARN); err != nil {
		t.Errorf("DeleteDataset once its import is ACTIVE, while another dataset's export runs: %v", err)
	}
	wantError(t, "DeleteDataset during an export", r.DeleteDataset(ctx, users.ARN), perch.EResourceInUse, users.ARN, exp.ARN)
	exp.Status = perch.StatusCreateFailed
	if err := r.UpdateDatasetExportJob(ctx, exp, lease(ctx, r, exp.ARN)); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteDataset(ctx, users.ARN); err != nil {
		t.Errorf("DeleteDataset once its export failed: %v", err)
	}

	deletion := func(name string) *perch.DataDeletionJob {
		j := &perch.DataDeletionJob{ARN: arn("data-deletion-job/" + name), Name: name, GroupARN: gh.ARN, Status: perch.StatusPending}
		if err := r.CreateDataDeletionJob(ctx, j, roomy); err != nil {
			t.Fatal(err)
		}
		return j
	}
	j1 := deletion("j1")
	for _, d := range []*perch.Dataset{inH, itemsInH} {
		wantError(t, "DeleteDataset during a deletion job of its group", r.DeleteDataset(ctx, d.ARN), perch.EResourceInUse, d.ARN, j1.ARN)
	}
	j1.Status = perch.StatusCompleted
	if err := r.UpdateDataDeletionJob(ctx, j1, lease(ctx, r, j1.ARN)); err != nil {
		t.Fatal(err)
	}
	j2 := deletion("j2")
	j2.Status = perch.StatusInProgress
	if err := r.UpdateDataDeletionJob(ctx, j2, lease(ctx, r, j2.ARN)); err != nil {
		t.Fatal(err)
	}
	wantError(t, "DeleteDataset during a deletion job IN_PROGRESS", r.DeleteDataset(ctx, inH.ARN), perch.EResourceInUse, inH.ARN, j2.ARN)
	j2.Status = perch.StatusFailed
	if err := r.UpdateDataDeletionJob(ctx, j2, lease(ctx, r, j2.ARN)); err != nil {
		t.Fatal(err)
	}
	// A training of a solution of the group reads its datasets.
	v := s.version(s.solution(gh, "sol"), "v", perch.StatusCreatePending, 5)
	wantError(t, "DeleteDataset while a solution of its group trains", r.DeleteDataset(ctx, inH.ARN), perch.EResourceInUse, inH.ARN, v.ARN)
	if err := r.StopSolutionVersion(ctx, v.ARN); err != nil {
		t.Fatal(err)
	}
	for _, d := range []*perch.Dataset{inH, itemsInH} {
		if err := r.DeleteDataset(ctx, d.ARN); err != nil {
			t.Errorf("DeleteDataset once its group's deletion jobs and trainings finished: %v", err)
		}
	}
	if list, err := r.Datasets(ctx); err != nil || len(list) != 0 {
		t.Errorf("Datasets = %+v, %v; want none", list, err)
	}
}

// testExportJobRules: an export job needs its dataset stored
// (ResourceNotFoundException naming it).
func testExportJobRules(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	missing := arn("dataset/missing/INTERACTIONS")
	j := &perch.DatasetExportJob{ARN: arn("dataset-export-job/e"), Name: "e", DatasetARN: missing, Status: perch.StatusCreatePending}
	wantError(t, "CreateDatasetExportJob of a missing dataset", r.CreateDatasetExportJob(ctx, j), perch.EResourceNotFound, missing)
	if list, err := r.DatasetExportJobs(ctx); err != nil || len(list) != 0 {
		t.Errorf("DatasetExportJobs = %+v, %v; want none", list, err)
	}
}

// testImportJobRules: an import job needs its dataset stored
// (ResourceNotFoundException naming it), and an update cannot move it to
// another (InvalidInputException); an account has at most the
// quota of import jobs that have not finished (LimitExceededException),
// another account's do not count; an INCREMENTAL import needs an earlier
// import of its dataset that did not fail (InvalidInputException naming
// the dataset).
func testImportJobRules(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	const quota = 2
	sc := s.schema("s")
	d := s.datasetIn(s.group(account, "g", ""), sc, perch.Interactions)
	e := s.datasetIn(s.group(account, "e", ""), sc, perch.Interactions)
	job := func(acct, name, datasetARN string, mode perch.ImportMode) *perch.DatasetImportJob {
		return &perch.DatasetImportJob{ARN: arnIn(acct, "dataset-import-job/"+name), Name: name, DatasetARN: datasetARN,
			DataLocation: "s3://bucket/" + name + ".csv", ImportMode: mode, Status: perch.StatusCreatePending}
	}
	create := func(j *perch.DatasetImportJob) error { return r.CreateDatasetImportJob(ctx, j, quota) }

	missing := arn("dataset/missing/INTERACTIONS")
	wantError(t, "CreateDatasetImportJob of a missing dataset", create(job(account, "m", missing, perch.ImportFull)),
		perch.EResourceNotFound, missing)
	wantError(t, "INCREMENTAL import of a dataset never imported", create(job(account, "i0", e.ARN, perch.ImportIncremental)),
		perch.EInvalidInput, e.ARN)
	failed := job(account, "failed", e.ARN, perch.ImportFull)
	if err := create(failed); err != nil {
		t.Fatal(err)
	}
	moved := *failed
	moved.DatasetARN = d.ARN
	wantError(t, "UpdateDatasetImportJob to another dataset", r.UpdateDatasetImportJob(ctx, &moved, lease(ctx, r, moved.ARN)), perch.EInvalidInput, failed.ARN)
	failed.Status = perch.StatusCreateFailed
	if err := r.UpdateDatasetImportJob(ctx, failed, lease(ctx, r, failed.ARN)); err != nil {
		t.Fatal(err)
	}
	wantError(t, "INCREMENTAL import of a dataset whose only import failed", create(job(account, "i0", e.ARN, perch.ImportIncremental)),
		perch.EInvalidInput, e.ARN)

	j1, j2 := job(account, "j1", d.ARN, perch.ImportFull), job(account, "j2", d.ARN, perch.ImportIncremental)
	for _, j := range []*perch.DatasetImportJob{j1, j2} {
		if err := create(j); err != nil {
			t.Fatalf("CreateDatasetImportJob %s within the quota: %v", j.Name, err)
		}
	}
	wantError(t, "CreateDatasetImportJob past the quota", create(job(account, "j3", d.ARN, perch.ImportFull)), perch.ELimitExceeded)

	other := s.datasetIn(s.group(otherAccount, "g", ""), sc, perch.Interactions)
	for _, name := range []string{"j1", "j2"} {
		if err := create(job(otherAccount, name, other.ARN, perch.ImportFull)); err != nil {
			t.Errorf("CreateDatasetImportJob of another account, within its quota: %v", err)
		}
	}

	j1.Status = perch.StatusActive
	if err := r.UpdateDatasetImportJob(ctx, j1, lease(ctx, r, j1.ARN)); err != nil {
		t.Fatal(err)
	}
	wantError(t, "CreateDatasetImportJob of a taken ARN", create(job(account, "j1", d.ARN, perch.ImportFull)),
		perch.EResourceAlreadyExists, j1.ARN)
	if err := create(job(account, "j3", d.ARN, perch.ImportIncremental)); err != nil {
		t.Errorf("CreateDatasetImportJob once a job finished: %v", err)
	}
	list, err := r.DatasetImportJobs(ctx)
	if err != nil || len(list) != 6 {
		t.Errorf("DatasetImportJobs = %d, %v; want the 6 created", len(list), err)
	}
}

// testDeletionJobRules: a data deletion job needs its group stored
// (ResourceNotFoundException naming it); a group has at most the quota
// of deletion jobs that have not finished (LimitExceededException naming
// the group), another group's do not count.
func testDeletionJobRules(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	const quota = 2
	g, other := s.group(account, "g", ""), s.group(account, "other", "")
	job := func(name string, g *perch.DatasetGroup) *perch.DataDeletionJob {
		return &perch.DataDeletionJob{ARN: arn("data-deletion-job/" + name), Name: name, GroupARN: g.ARN,
			DataLocation: "s3://bucket/" + name + ".csv", Status: perch.StatusPending}
	}
	create := func(j *perch.DataDeletionJob) error { return r.CreateDataDeletionJob(ctx, j, quota) }

	missing := &perch.DatasetGroup{ARN: arn("dataset-group/missing")}
	wantError(t, "CreateDataDeletionJob of a missing group", create(job("m", missing)), perch.EResourceNotFound, missing.ARN)
	j1, j2 := job("j1", g), job("j2", g)
	for _, j := range []*perch.DataDeletionJob{j1, j2} {
		if err := create(j); err != nil {
			t.Fatalf("CreateDataDeletionJob %s within the quota: %v", j.Name, err)
		}
	}
	wantError(t, "CreateDataDeletionJob past the group's quota", create(job("j3", g)), perch.ELimitExceeded, g.ARN)
	if err := create(job("o1", other)); err != nil {
		t.Errorf("CreateDataDeletionJob of another group: %v", err)
	}
	j1.Status = perch.StatusCompleted
	if err := r.UpdateDataDeletionJob(ctx, j1, lease(ctx, r, j1.ARN)); err != nil {
		t.Fatal(err)
	}
	wantError(t, "CreateDataDeletionJob of a taken ARN", create(job("j1", g)), perch.EResourceAlreadyExists, j1.ARN)
	if err := create(job("j3", g)); err != nil {
		t.Errorf("CreateDataDeletionJob once a job finished: %v", err)
	}
	if list, err := r.DataDeletionJobs(ctx); err != nil || len(list) != 4 {
		t.Errorf("DataDeletionJobs = %d, %v; want the 4 created", len(list), err)
	}
}

// racers is how many goroutines a concurrency test runs at once.
const racers = 16

// race runs f(i) for i in [0, n) at once, as nearly as goroutines
// allow, and returns their errors by i.
func race(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Go(func() {
			start.Wait()
			errs[i] = f(i)
		})
	}
	start.Done()
	done.Wait()
	return errs
}

// testConcurrentCreates: creates at once of one dataset group name, of
// one group's event tracker, or of one campaign name, store exactly one
// and refuse the others with ResourceAlreadyExistsException; creates at
// once past a quota (of groups, of versions in training) never store more
// than the quota.
func testConcurrentCreates(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	wantOne := func(what string, errs []error) {
		t.Helper()
		created := 0
		for _, err := range errs {
			if err == nil {
				created++
			} else if perch.ErrorCode(err) != perch.EResourceAlreadyExists {
				t.Errorf("%s: %v, want %s", what, err, perch.EResourceAlreadyExists)
			}
		}
		if created != 1 {
			t.Errorf("%s: %d created, want exactly 1", what, created)
		}
	}

	errs := race(racers, func(i int) error {
		g := &perch.DatasetGroup{ARN: arn("dataset-group/same"), Name: "same", Status: perch.StatusActive, RoleARN: fmt.Sprint(i)}
		return r.CreateDatasetGroup(ctx, g, roomy)
	})
	wantOne("creates of one group name at once", errs)

	errs = race(racers, func(i int) error {
		id := fmt.Sprintf("t%d", i)
		return r.CreateEventTracker(ctx, &perch.EventTracker{ARN: arn("event-tracker/" + id), Name: id, GroupARN: arn("dataset-group/same"),
			Status: perch.StatusActive})
	})
	wantOne("creates of trackers of one group at once", errs)

	const quota = 5
	errs = race(racers, func(i int) error {
		name := fmt.Sprintf("q%d", i)
		return r.CreateDatasetGroup(ctx, &perch.DatasetGroup{ARN: arnIn(otherAccount, "dataset-group/"+name), Name: name,
			Status: perch.StatusActive}, quota)
	})
	created := 0
	for _, err := range errs {
		if err == nil {
			created++
		} else if perch.ErrorCode(err) != perch.ELimitExceeded {
			t.Errorf("a create past the quota at once: %v, want %s", err, perch.ELimitExceeded)
		}
	}
	groups, err := r.DatasetGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if created != quota || len(groups) != quota+1 {
		t.Errorf("%d creates of groups at once with a quota of %d: %d created, %d groups stored", racers, quota, created, len(groups))
	}

	v := s.version(s.solution(s.group(account, "rec", ""), "sol"), "v", perch.StatusActive, 1)
	errs = race(racers, func(i int) error {
		c := newCampaign(v, "same", v.ARN)
		c.MinProvisionedTPS = i + 1
		return r.CreateCampaign(ctx, c, v.ARN, roomy)
	})
	wantOne("creates of one campaign name at once", errs)

	sol := s.solution(s.group(account, "trainings", ""), "trainings")
	errs = race(racers, func(i int) error {
		return r.CreateSolutionVersion(ctx, newVersion(sol, fmt.Sprint(i), perch.StatusCreatePending, 1), quota)
	})
	versions := 0
	for _, err := range errs {
		if err == nil {
			versions++
		} else if perch.ErrorCode(err) != perch.ELimitExceeded {
			t.Errorf("a version created past the quota at once: %v, want %s", err, perch.ELimitExceeded)
		}
	}
	if list, err := r.SolutionVersions(ctx); err != nil || versions != quota || len(list) != quota+1 {
		t.Errorf("%d creates of versions at once with a quota of %d: %d created, %d stored (%v)", racers, quota, versions, len(list), err)
	}
}

// testConcurrentDependents: a delete and a create that the delete's rule
// forbids, at once, never both succeed: DeleteSchema and a CreateDataset
// with that schema, DeleteDatasetGroup and a CreateEventTracker or a
// CreateSolution in that group, DeleteSolution and a CreateCampaign
// serving its version or a CreateSolutionVersion of it. Whichever wins,
// what is stored keeps the rules.
func testConcurrentDependents(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	for round := range 10 {
		name := fmt.Sprintf("r%d", round)
		g, sc := s.group(account, name, ""), s.schema(name)
		id, err := r.NextDatasetID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		d := &perch.Dataset{ARN: datasetARN(g, perch.Interactions), Name: name, GroupARN: g.ARN, Type: perch.Interactions,
			SchemaARN: sc.ARN, Status: perch.StatusActive, ID: id}
		errs := race(2, func(i int) error {
			if i == 0 {
				return r.DeleteSchema(ctx, sc.ARN)
			}
			return r.CreateDataset(ctx, d)
		})
		if errs[0] == nil && errs[1] == nil {
			t.Fatalf("round %d: DeleteSchema and CreateDataset with the schema at once both succeeded", round)
		}
		if errs[1] == nil {
			if err := r.DeleteDataset(ctx, d.ARN); err != nil {
				t.Fatal(err)
			}
		}

		tr := &perch.EventTracker{ARN: arn("event-tracker/" + name), Name: name, GroupARN: g.ARN, Status: perch.StatusActive}
		errs = race(2, func(i int) error {
			if i == 0 {
				return r.DeleteDatasetGroup(ctx, g.ARN)
			}
			return r.CreateEventTracker(ctx, tr)
		})
		if errs[0] == nil && errs[1] == nil {
			t.Fatalf("round %d: DeleteDatasetGroup and CreateEventTracker in the group at once both succeeded", round)
		}
	}

	for round := range 10 {
		name := fmt.Sprintf("rec%d", round)
		g := s.group(account, name, "")
		sol, other := s.solution(g, name), s.solution(g, name+"-other")
		v := s.version(sol, "v", perch.StatusActive, 1)
		errs := race(2, func(i int) error {
			if i == 0 {
				return r.DeleteSolution(ctx, sol.ARN)
			}
			return r.CreateCampaign(ctx, newCampaign(v, name, v.ARN), v.ARN, roomy)
		})
		if errs[0] == nil && errs[1] == nil {
			t.Fatalf("round %d: DeleteSolution and CreateCampaign serving its version at once both succeeded", round)
		}

		errs = race(2, func(i int) error {
			if i == 0 {
				return r.DeleteSolution(ctx, other.ARN)
			}
			return r.CreateSolutionVersion(ctx, newVersion(other, "v", perch.StatusCreatePending, 1), roomy)
		})
		if errs[0] == nil && errs[1] == nil {
			t.Fatalf("round %d: DeleteSolution and CreateSolutionVersion of it at once both succeeded", round)
		}

		h := s.group(account, name+"-empty", "")
		errs = race(2, func(i int) error {
			if i == 0 {
				return r.DeleteDatasetGroup(ctx, h.ARN)
			}
			return r.CreateSolution(ctx, &perch.Solution{ARN: arn("solution/" + name + "-h"), Name: name + "-h", GroupARN: h.ARN,
				RecipeARN: recipeARN, Status: perch.StatusActive}, roomy)
		})
		if errs[0] == nil && errs[1] == nil {
			t.Fatalf("round %d: DeleteDatasetGroup and CreateSolution in it at once both succeeded", round)
		}
	}
}
