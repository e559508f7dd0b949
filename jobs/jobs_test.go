package jobs_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/catalog"
	"github.com/perchdev/perch/jobs"
	"github.com/perchdev/perch/pebble"
	"github.com/perchdev/perch/s3loc"
)

var scope = perch.Scope{Region: "us-east-1", Account: "123456789012"}

const itemsSchema = `{"type":"record","name":"Items","fields":[{"name":"ITEM_ID","type":"string"},{"name":"GENRES","type":["null","string"],"categorical":true}]}`

// TestInterruptedJobRunsAgain stores an import job as a crash would leave
// it, IN_PROGRESS with part of its generation staged, and checks that the
// next open runs it to the end, once.
func TestInterruptedJobRunsAgain(t *testing.T) {
	ctx := perch.WithAccount(context.Background(), scope.Account)
	dir, root := t.TempDir(), t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "data"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "data", "items.csv"), []byte("ITEM_ID,GENRES\na,x\nb,y\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	store, err := pebble.Open(dir, pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Open(ctx, store.Resources(), scope, catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g, err := cat.CreateDatasetGroup(ctx, perch.CreateDatasetGroupInput{Name: "g"})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := cat.CreateSchema(ctx, perch.CreateSchemaInput{Name: "items", Definition: itemsSchema})
	if err != nil {
		t.Fatal(err)
	}
	d, err := cat.CreateDataset(ctx, perch.CreateDatasetInput{Name: "items", SchemaARN: sc.ARN, GroupARN: g.ARN, Type: "Items"})
	if err != nil {
		t.Fatal(err)
	}
	// The crash: a staged record and the job's last recorded status.
	l, err := store.BulkLoad(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Add(ctx, &perch.Batch{Dataset: d, Entities: []perch.Entity{{ID: "half", Updated: 1}}}); err != nil {
		t.Fatal(err)
	}
	arn := scope.JobARN(perch.KindDatasetImportJob, "interrupted")
	job := &perch.DatasetImportJob{ARN: arn, Name: "interrupted", DatasetARN: d.ARN, DataLocation: "s3://data/items.csv",
		ImportMode: perch.ImportFull, Status: perch.StatusCreateInProgress, Created: 1, Updated: 1}
	if err := store.Resources().CreateDatasetImportJob(ctx, job, jobs.MaxPendingImports); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	store, err = pebble.Open(dir, pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	cat, err = catalog.Open(ctx, store.Resources(), scope, catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	js, err := jobs.Open(ctx, jobs.Config{Catalog: cat, Store: store, Objects: s3loc.NewDir(root), Scope: scope})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		j, err := js.DescribeDatasetImportJob(ctx, arn)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status == perch.StatusActive {
			break
		}
		if j.Status == perch.StatusCreateFailed || time.Now().After(deadline) {
			t.Fatalf("resumed job: %s %s", j.Status, j.FailureReason)
		}
		time.Sleep(10 * time.Millisecond)
	}
	var ids []string
	if err := store.Entities(ctx, d.ID, perch.RecordQuery{}, func(e *perch.Entity) error {
		ids = append(ids, e.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || ids[0] != "a" || ids[1] != "b" {
		t.Errorf("items after the resumed import: %v, want [a b] (the interrupted staging dropped)", ids)
	}

	// While a job that has not finished works on the dataset, it cannot
	// be deleted. (The service is closed, so that the job waits.)
	js.Close()
	waiting := &perch.DatasetImportJob{ARN: scope.JobARN(perch.KindDatasetImportJob, "waiting"), Name: "waiting", DatasetARN: d.ARN,
		DataLocation: "s3://data/items.csv", ImportMode: perch.ImportFull, Status: perch.StatusCreatePending, Created: 2, Updated: 2}
	if err := store.Resources().CreateDatasetImportJob(ctx, waiting, jobs.MaxPendingImports); err != nil {
		t.Fatal(err)
	}
	err = cat.DeleteDataset(ctx, d.ARN)
	if perch.ErrorCode(err) != perch.EResourceInUse || !strings.Contains(err.Error(), "dataset import job "+waiting.ARN) {
		t.Errorf("DeleteDataset of a dataset a job works on: %v, want ResourceInUseException naming the job", err)
	}
	if claimed, err := store.Resources().ClaimJob(ctx, "test", time.Minute); err != nil || claimed != waiting.ARN {
		t.Fatalf("ClaimJob = %q, %v; want %s", claimed, err, waiting.ARN)
	}
	waiting.Status = perch.StatusCreateFailed
	if err := store.Resources().UpdateDatasetImportJob(ctx, waiting, "test"); err != nil {
		t.Fatal(err)
	}
	if err := cat.DeleteDataset(ctx, d.ARN); err != nil {
		t.Errorf("DeleteDataset once the job has ended: %v", err)
	}
}

// stallingObjects is a real directory of objects whose Open, for the
// process it stands in, waits until that process's job is stopped: a
// process that hangs in the middle of a job.
type stallingObjects struct {
	*s3loc.Dir
	opened chan struct{}
}

func (o stallingObjects) Open(ctx context.Context, loc string) (io.ReadCloser, error) {
	close(o.opened)
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestJobTakenOverWhenItsProcessStops runs two job services on one store,
// as two processes sharing it: the first takes an import and stops in the
// middle of it without a word; once its lease runs out the second takes
// the import over and finishes it, and the first can no longer record
// anything for it.
func TestJobTakenOverWhenItsProcessStops(t *testing.T) {
	ctx := perch.WithAccount(context.Background(), scope.Account)
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "data"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "data", "items.csv"), []byte("ITEM_ID,GENRES\na,x\nb,y\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	store, err := pebble.Open(t.TempDir(), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	cat, err := catalog.Open(ctx, store.Resources(), scope, catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g, err := cat.CreateDatasetGroup(ctx, perch.CreateDatasetGroupInput{Name: "g"})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := cat.CreateSchema(ctx, perch.CreateSchemaInput{Name: "items", Definition: itemsSchema})
	if err != nil {
		t.Fatal(err)
	}
	d, err := cat.CreateDataset(ctx, perch.CreateDatasetInput{Name: "items", SchemaARN: sc.ARN, GroupARN: g.ARN, Type: "Items"})
	if err != nil {
		t.Fatal(err)
	}

	const lease = 300 * time.Millisecond
	stalled := stallingObjects{Dir: s3loc.NewDir(root), opened: make(chan struct{})}
	first, err := jobs.Open(ctx, jobs.Config{Catalog: cat, Store: store, Objects: stalled, Scope: scope, Owner: "first", Lease: lease})
	if err != nil {
		t.Fatal(err)
	}
	job, err := first.CreateDatasetImportJob(ctx, perch.CreateDatasetImportJobInput{Name: "taken-over", DatasetARN: d.ARN, DataLocation: "s3://data/items.csv"})
	if err != nil {
		t.Fatal(err)
	}
	<-stalled.opened
	second, err := jobs.Open(ctx, jobs.Config{Catalog: cat, Store: store, Objects: s3loc.NewDir(root), Scope: scope,
		Owner: "second", Lease: lease, Poll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	// The first process goes on renewing its lease while it hangs: the
	// second must not take the job meanwhile.
	time.Sleep(3 * lease)
	if j, err := second.DescribeDatasetImportJob(ctx, job.ARN); err != nil || j.Status != perch.StatusCreateInProgress {
		t.Fatalf("while the first process holds the job: %+v, %v", j, err)
	}
	// It dies: no more renewals, and no word of it to the store.
	first.Close()

	deadline := time.Now().Add(30 * time.Second)
	waitStatus(t, "the job after its first process stopped", deadline, perch.StatusActive, perch.StatusCreateFailed, func() (string, string, error) {
		j, err := second.DescribeDatasetImportJob(ctx, job.ARN)
		if err != nil {
			return "", "", err
		}
		return j.Status, j.FailureReason, nil
	})
	var ids []string
	if err := store.Entities(ctx, d.ID, perch.RecordQuery{}, func(e *perch.Entity) error {
		ids = append(ids, e.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 {
		t.Errorf("items after the import taken over: %v, want [a b]", ids)
	}
	j, _ := store.Resources().DatasetImportJob(ctx, job.ARN)
	j.Status = perch.StatusCreateFailed
	if err := store.Resources().UpdateDatasetImportJob(ctx, j, "first"); !errors.Is(err, perch.ErrLeaseLost) {
		t.Errorf("the first process recording the job it lost: %v, want ErrLeaseLost", err)
	}
}
