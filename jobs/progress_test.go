package jobs_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/internal/fixture"
	"github.com/perchdev/perch/jobs"
)

// TestDeletionProgress: a data deletion job held back in the middle of
// its file of users reports, with its lease, the lines of users it has
// deleted; once it has finished it reports none.
func TestDeletionProgress(t *testing.T) {
	ctx, store, cat := fixture.Catalog(t, scope)
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "data", "users"), 0o750); err != nil {
		t.Fatal(err)
	}
	const users, allowed = 3000, 2500
	header := "USER_ID\n"
	line := func(i int) string { return fmt.Sprintf("user-%05d\n", i) }
	var csv strings.Builder
	csv.WriteString(header)
	for i := range users {
		csv.WriteString(line(i))
	}
	if err := os.WriteFile(filepath.Join(root, "data", "users", "gone.csv"), []byte(csv.String()), 0o640); err != nil {
		t.Fatal(err)
	}
	g, err := cat.CreateDatasetGroup(ctx, perch.CreateDatasetGroupInput{Name: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	objects := fixture.Gated(root)
	js, err := jobs.Open(ctx, jobs.Config{Catalog: cat, Store: store, Objects: objects, Scope: scope, Lease: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer js.Close()
	j, err := js.CreateDataDeletionJob(ctx, perch.CreateDataDeletionJobInput{Name: "gone", GroupARN: g.ARN, DataLocation: "s3://data/users/"})
	if err != nil {
		t.Fatal(err)
	}
	r := objects.Next(t)
	r.Allow(int64(len(header) + allowed*len(line(0))))

	// The users of whole chunks of a thousand are counted.
	want := perch.JobProgress{Done: 2000, Unit: perch.ProgressLines}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := store.Resources().JobProgress(ctx, []string{j.ARN})
		if err != nil {
			t.Fatal(err)
		}
		p, ok := got[j.ARN]
		if p == want {
			break
		}
		if ok && (p.Unit != perch.ProgressLines || p.Done > want.Done || p.Total != 0) {
			t.Fatalf("progress %+v on the way to %+v", p, want)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the deletion's progress did not reach %+v within 30 s: %+v", want, p)
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.Allow(math.MaxInt64)
	waitStatus(t, "deletion", deadline, perch.StatusCompleted, perch.StatusFailed, func() (string, string, error) {
		done, err := js.DescribeDataDeletionJob(ctx, j.ARN)
		if err != nil {
			return "", "", err
		}
		return done.Status, done.FailureReason, nil
	})
	if got, err := store.Resources().JobProgress(ctx, []string{j.ARN}); err != nil || len(got) != 0 {
		t.Errorf("the finished deletion's progress = %v, %v; want none", got, err)
	}
}

// TestExportProgress: an export of all of an interactions dataset, held
// back in the middle of writing its file, reports the records it has read
// of the dataset's count; once it has finished it reports none.
func TestExportProgress(t *testing.T) {
	ctx, store, cat := fixture.Catalog(t, scope)
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "out"), 0o750); err != nil {
		t.Fatal(err)
	}
	schema, err := cat.CreateSchema(ctx, perch.CreateSchemaInput{Name: "s", Definition: `{"type":"record","name":"Interactions","fields":[` +
		`{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}]}`})
	if err != nil {
		t.Fatal(err)
	}
	g, err := cat.CreateDatasetGroup(ctx, perch.CreateDatasetGroupInput{Name: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := cat.CreateDataset(ctx, perch.CreateDatasetInput{Name: "clicks", SchemaARN: schema.ARN, GroupARN: g.ARN, Type: "Interactions"})
	if err != nil {
		t.Fatal(err)
	}
	const records = 20000
	l, err := store.BulkLoad(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	b := &perch.Batch{Dataset: d}
	for i := range records {
		b.Events = append(b.Events, perch.Event{UserID: fmt.Sprint("user-", i%500), ItemID: fmt.Sprint("item-", i%300), SentAt: perch.Timestamp(1700000000 + i)})
	}
	if err := l.Add(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(ctx, perch.ImportFull); err != nil {
		t.Fatal(err)
	}

	objects := fixture.Gated(root)
	js, err := jobs.Open(ctx, jobs.Config{Catalog: cat, Store: store, Objects: objects, Scope: scope, Lease: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer js.Close()
	j, err := js.CreateDatasetExportJob(ctx, perch.CreateDatasetExportJobInput{Name: "all", DatasetARN: d.ARN, IngestionMode: perch.IngestAll,
		Output: perch.S3DataConfig{Path: "s3://out/"}})
	if err != nil {
		t.Fatal(err)
	}
	// A tenth of the file, about: the export waits with most of its
	// records still to read.
	out := objects.NextWriter(t)
	out.Allow(records * 30 / 10)

	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := store.Resources().JobProgress(ctx, []string{j.ARN})
		if err != nil {
			t.Fatal(err)
		}
		p, ok := got[j.ARN]
		if ok {
			if p.Unit != perch.ProgressRecords || p.Total != records || p.Done >= records {
				t.Fatalf("progress %+v, want records read of %d while the export is held back", p, records)
			}
			if p.Done > 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the export reported no records read within 30 s: %+v", p)
		}
		time.Sleep(10 * time.Millisecond)
	}
	out.Allow(math.MaxInt64)
	waitStatus(t, "export", deadline, perch.StatusActive, perch.StatusCreateFailed, func() (string, string, error) {
		done, err := js.DescribeDatasetExportJob(ctx, j.ARN)
		if err != nil {
			return "", "", err
		}
		return done.Status, done.FailureReason, nil
	})
	if got, err := store.Resources().JobProgress(ctx, []string{j.ARN}); err != nil || len(got) != 0 {
		t.Errorf("the finished export's progress = %v, %v; want none", got, err)
	}
}

// waitStatus polls a job's status until it is want, and fails the test
// once it is failed or deadline has passed.
func waitStatus(t *testing.T, what string, deadline time.Time, want, failed string, describe func() (status, reason string, err error)) {
	t.Helper()
	for {
		status, reason, err := describe()
		if err != nil {
			t.Fatal(err)
		}
		if status == want {
			return
		}
		if status == failed || time.Now().After(deadline) {
			t.Fatalf("%s: %s %s", what, status, reason)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
