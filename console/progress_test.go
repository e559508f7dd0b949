package console_test

import (
	"context"
	"fmt"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/catalog"
	"github.com/perchdev/perch/console"
	"github.com/perchdev/perch/internal/fixture"
	"github.com/perchdev/perch/internal/pgtest"
	"github.com/perchdev/perch/jobs"
	"github.com/perchdev/perch/postgres"
)

// node is one perch process: its store and catalog.
type node struct {
	store perch.Store
	cat   *catalog.Catalog
}

// TestJobProgress: an import's progress shows in the console's jobs
// while it runs (lines checked, then records loaded of those checked),
// and goes once it has finished.
func TestJobProgress(t *testing.T) {
	ctx, store, cat := fixture.Catalog(t, perch.Scope{Region: "us-east-1", Account: "000000000000"})
	n := node{store, cat}
	testJobProgress(t, ctx, n, func() node { return n })
}

// TestJobProgressFromAnotherNode: two processes on one PostgreSQL
// database; one runs the import, and the console of the other shows its
// progress.
func TestJobProgressFromAnotherNode(t *testing.T) {
	scope := perch.Scope{Region: "us-east-1", Account: "000000000000"}
	ctx := perch.WithAccount(t.Context(), scope.Account)
	db := pgtest.Database(t)
	open := func() node {
		store, err := postgres.Open(ctx, db, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		cat, err := catalog.Open(ctx, store.Resources(), scope, catalog.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cat.Close)
		return node{store, cat}
	}
	testJobProgress(t, ctx, open(), open)
}

// testJobProgress runs an import on runner, whose object reader the test
// holds back at chosen lines, and reads its progress through the console
// of the node openViewer opens once the import runs.
func testJobProgress(t *testing.T, ctx context.Context, runner node, openViewer func() node) {
	const lines, allowed = 3500, 2500
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "data"), 0o750); err != nil {
		t.Fatal(err)
	}
	// Lines of one length, so that the test knows where each ends.
	header := "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\n"
	line := func(i int) string { return fmt.Sprintf("user-%05d,item-%05d,%d,click\n", i, i%100, 1700000000+i) }
	var csv strings.Builder
	csv.WriteString(header)
	for i := range lines {
		csv.WriteString(line(i))
	}
	if err := os.WriteFile(filepath.Join(root, "data", "clicks.csv"), []byte(csv.String()), 0o640); err != nil {
		t.Fatal(err)
	}
	upTo := int64(len(header) + allowed*len(line(0)))

	schema, err := runner.cat.CreateSchema(ctx, perch.CreateSchemaInput{Name: "s", Definition: interactionsSchema})
	if err != nil {
		t.Fatal(err)
	}
	g, err := runner.cat.CreateDatasetGroup(ctx, perch.CreateDatasetGroupInput{Name: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := runner.cat.CreateDataset(ctx, perch.CreateDatasetInput{Name: "clicks", SchemaARN: schema.ARN, GroupARN: g.ARN, Type: "Interactions"})
	if err != nil {
		t.Fatal(err)
	}

	objects := fixture.Gated(root)
	scope := perch.Scope{Region: "us-east-1", Account: "000000000000"}
	const lease = 600 * time.Millisecond
	runnerJobs, err := jobs.Open(ctx, jobs.Config{Catalog: runner.cat, Store: runner.store, Objects: objects, Scope: scope, Owner: "runner", Lease: lease})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(runnerJobs.Close)
	job, err := runnerJobs.CreateDatasetImportJob(ctx, perch.CreateDatasetImportJobInput{Name: "clicks", DatasetARN: d.ARN, DataLocation: "s3://data/clicks.csv"})
	if err != nil {
		t.Fatal(err)
	}
	checking := objects.Next(t)
	checking.Allow(upTo)

	// The viewer starts once the runner holds the job: on PostgreSQL its
	// own job service, which the console lists jobs through, then finds
	// the job leased, and looks again only after the test.
	viewer := openViewer()
	viewerJobs := runnerJobs
	if viewer.store != runner.store {
		if viewerJobs, err = jobs.Open(ctx, jobs.Config{Catalog: viewer.cat, Store: viewer.store, Scope: scope, Owner: "viewer", Poll: time.Hour}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(viewerJobs.Close)
	}
	hub := console.NewHub(viewer.store)
	t.Cleanup(hub.Close)
	c := console.New(console.Config{Catalog: viewer.cat, Store: viewer.store, Jobs: viewerJobs, Account: scope.Account, Region: scope.Region,
		Hub: hub, Refused: console.NewRefused(scope.Account, nil)})
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	browser := &client{t: t, base: srv.URL}

	// importJob is the import as the console's dataset view lists it.
	importJob := func() map[string]any {
		t.Helper()
		status, body := browser.get("api/dataset?arn=" + d.ARN)
		list, _ := body["jobs"].([]any)
		if status != 200 || len(list) != 1 {
			t.Fatalf("dataset view = %d %v, want the import among its jobs", status, body)
		}
		j := list[0].(map[string]any)
		if j["arn"] != job.ARN {
			t.Fatalf("the dataset's job is %v, want %s", j["arn"], job.ARN)
		}
		return j
	}
	// waitProgress waits for the import's progress to read want, and
	// checks each one it reads on the way with fits.
	waitProgress := func(want string, fits func(done float64, unit string, total any) bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			j := importJob()
			if p, ok := j["progress"].(map[string]any); ok {
				if got := fmt.Sprint(p); got == want {
					return
				}
				if done, _ := p["done"].(float64); !fits(done, fmt.Sprint(p["unit"]), p["total"]) {
					t.Fatalf("progress %v on the way to %s", p, want)
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("the import's progress did not reach %s within 30 s: %v", want, j)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	checked := func(done float64, unit string, total any) bool {
		return unit == perch.ProgressLines && done <= lines && total == nil
	}

	// Checking, held back after line 2,500: the lines of whole batches
	// of a thousand are counted.
	waitProgress("map[done:2000 unit:lines]", func(done float64, unit string, total any) bool {
		return checked(done, unit, total) && done <= 2000
	})
	checking.Allow(math.MaxInt64)
	loading := objects.Next(t)
	loading.Allow(upTo)
	// Loading, held back at the same line: the last report of the check
	// may show first.
	waitProgress("map[done:2000 total:3500 unit:records]", func(done float64, unit string, total any) bool {
		return checked(done, unit, total) || unit == perch.ProgressRecords && done <= 2000 && total == float64(lines)
	})
	_, body := browser.get("api/group?arn=" + g.ARN)
	if list, _ := body["jobs"].([]any); len(list) != 1 || fmt.Sprint(list[0].(map[string]any)["progress"]) != "map[done:2000 total:3500 unit:records]" {
		t.Errorf("group view's jobs = %v, want the import's progress", body["jobs"])
	}
	loading.Allow(math.MaxInt64)

	deadline := time.Now().Add(30 * time.Second)
	for {
		j := importJob()
		if j["status"] == perch.StatusActive {
			if p, ok := j["progress"]; ok {
				t.Errorf("finished import's progress = %v, want none", p)
			}
			break
		}
		if j["status"] == perch.StatusCreateFailed || time.Now().After(deadline) {
			t.Fatalf("import: %v", j)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n, err := viewer.store.RecordCount(ctx, d.ID); err != nil || n != lines {
		t.Errorf("records after the import = %d, %v; want %d", n, err, lines)
	}
}
