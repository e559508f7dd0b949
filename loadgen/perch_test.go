package loadgen_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/awsapi"
	"github.com/perchdev/perch/catalog"
	"github.com/perchdev/perch/ingest"
	"github.com/perchdev/perch/loadgen"
	"github.com/perchdev/perch/pebble"
)

// startPerch serves a real perch with a real on-disk store.
func startPerch(t *testing.T) string {
	t.Helper()
	store, err := pebble.Open(t.TempDir(), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	scope := perch.Scope{Region: "us-west-2", Account: "123456789012"}
	cat, err := catalog.Open(context.Background(), store.Resources(), scope, catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(awsapi.New(awsapi.Config{
		Catalog: cat, Ingest: ingest.New(cat, store), Store: store, Account: scope.Account,
	}))
	t.Cleanup(func() {
		srv.Close()
		if err := store.Close(); err != nil {
			t.Errorf("closing the store: %v", err)
		}
	})
	return srv.URL
}

// readRecords reads a dataset's records through perch's read API.
func readRecords(t *testing.T, endpoint, datasetARN string) []map[string]any {
	t.Helper()
	resp, err := http.Get(endpoint + "/_perch/records?" + url.Values{"datasetArn": {datasetARN}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("reading %s: %s", datasetARN, resp.Status)
	}
	var out []map[string]any
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("record %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAgainstPerch sets up a dataset group through the control plane and
// loads it: every generated call must pass perch's validation (the model's
// constraints and the schemas' properties rules), and what perch stored
// must be what the report says was sent.
func TestAgainstPerch(t *testing.T) {
	endpoint := startPerch(t)
	creds := loadgen.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", Region: "us-west-2"}
	ctx := context.Background()
	res, err := loadgen.Setup(ctx, endpoint, creds, "load")
	if err != nil {
		t.Fatal(err)
	}
	again, err := loadgen.Setup(ctx, endpoint, creds, "load")
	if err != nil {
		t.Fatalf("a second setup: %v", err)
	}
	if *again != *res {
		t.Errorf("a second setup found %+v, the first made %+v", again, res)
	}

	w := loadgen.DefaultWorkload()
	w.Mix = loadgen.Mix{loadgen.PutEvents: 3, loadgen.PutItems: 1, loadgen.PutUsers: 1}
	w.BatchMin = 1
	w.DuplicateRate = 0.2
	w.Impressions = 25
	w.TrackingID, w.ItemsDataset, w.UsersDataset = res.TrackingID, res.ItemsDataset, res.UsersDataset
	rep, err := loadgen.Run(ctx, loadgen.Config{
		Endpoint:    endpoint,
		Workload:    w,
		Concurrency: 4,
		Requests:    200,
		Timeout:     time.Minute,
		Sign:        true,
		Credentials: creds,
		Seed:        42,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK != 200 || len(rep.Errors) != 0 {
		t.Fatalf("%d of %d calls ok; errors %v, e.g. %v", rep.OK, rep.Requests, rep.Errors, rep.ErrorSamples)
	}

	records := map[string]int64{}
	for _, k := range rep.Kinds {
		records[k.Operation] = k.Records
	}
	events := readRecords(t, endpoint, res.InteractionsDataset)
	duplicates := 0
	for _, e := range events {
		if e["duplicate"] == true {
			duplicates++
		}
	}
	if int64(len(events)) != records["PutEvents"] || int64(len(events)) != rep.EventsSent {
		t.Errorf("perch stored %d events; the report counts %d in ok calls, %d sent", len(events), records["PutEvents"], rep.EventsSent)
	}
	if int64(duplicates) != rep.DuplicateEventsSent || duplicates == 0 {
		t.Errorf("perch marked %d events as duplicates; the report sent %d repeated eventIds", duplicates, rep.DuplicateEventsSent)
	}
	// Items and users are upserts of Zipf-chosen ids: fewer stored than sent.
	for _, d := range []struct{ op, arn string }{{"PutItems", res.ItemsDataset}, {"PutUsers", res.UsersDataset}} {
		n := int64(len(readRecords(t, endpoint, d.arn)))
		if n == 0 || n > records[d.op] {
			t.Errorf("%s: perch stored %d records of %d sent", d.op, n, records[d.op])
		}
	}
}
