package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/personalize"
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents"
	etypes "github.com/aws/aws-sdk-go-v2/service/personalizeevents/types"
)

// TestExportCommand runs perch export against the quickstart group in
// each format, and reads the Parquet files with an independent reader
// (Apache Arrow's) to check their column types and values.
func TestExportCommand(t *testing.T) {
	s := startServer(t, t.TempDir(), "--quickstart")
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, nil
	})
	client := personalizeevents.New(personalizeevents.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(s.endpoint), Retryer: aws.NopRetryer{}, Credentials: creds,
	})
	ctx := context.Background()
	// The tracking id, from the control plane rather than the output the
	// server process may still be writing.
	cp := personalize.New(personalize.Options{Region: "eu-west-1", BaseEndpoint: aws.String(s.endpoint), Credentials: creds})
	trackers, err := cp.ListEventTrackers(ctx, &personalize.ListEventTrackersInput{})
	if err != nil || len(trackers.EventTrackers) != 1 {
		t.Fatalf("ListEventTrackers: %v, %v", trackers, err)
	}
	tracker, err := cp.DescribeEventTracker(ctx, &personalize.DescribeEventTrackerInput{EventTrackerArn: trackers.EventTrackers[0].EventTrackerArn})
	if err != nil {
		t.Fatal(err)
	}
	m := []string{"", aws.ToString(tracker.EventTracker.TrackingId)}
	for i := range 10 {
		if _, err := client.PutEvents(ctx, &personalizeevents.PutEventsInput{
			TrackingId: aws.String(m[1]), UserId: aws.String("user-1"), SessionId: aws.String("s"),
			EventList: []etypes.Event{{EventType: aws.String("click"), ItemId: aws.String("item-1"), EventValue: aws.Float32(2.5),
				SentAt: aws.Time(time.Unix(1700000000+int64(i), 0)), Properties: aws.String(`{"numberOfRatings":7}`)}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	group := "arn:aws:personalize:eu-west-1:111122223333:dataset-group/perch-demo"
	if _, err := client.PutItems(ctx, &personalizeevents.PutItemsInput{
		DatasetArn: aws.String("arn:aws:personalize:eu-west-1:111122223333:dataset/perch-demo/ITEMS"),
		Items:      []etypes.Item{{ItemId: aws.String("item-1"), Properties: aws.String(`{"price":9.5,"description":"A \"good\" one"}`)}},
	}); err != nil {
		t.Fatal(err)
	}

	out := t.TempDir()
	summary := runPerch(t, "export", group, "--out", out, "--endpoint", s.endpoint, "--since", "1700000002", "--until", "2023-11-14T22:13:27Z")
	if !strings.Contains(summary, "interactions.csv: 5 rows") {
		t.Errorf("summary:\n%s", summary)
	}
	csv, err := os.ReadFile(filepath.Join(out, "interactions.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(csv)), "\n"); len(lines) != 6 ||
		lines[0] != "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE,IMPRESSION,RECOMMENDATION_ID,DEVICE,NUMBER_OF_RATINGS" ||
		lines[1] != "user-1,item-1,1700000002,click,2.5,,,,7" {
		t.Errorf("interactions.csv:\n%s", csv)
	}
	items, _ := os.ReadFile(filepath.Join(out, "items.csv"))
	if string(items) != "ITEM_ID,GENRES,PRICE,CREATION_TIMESTAMP,DESCRIPTION\nitem-1,,9.5,,\"A \\\"good\\\" one\"\n" {
		t.Errorf("items.csv:\n%s", items)
	}

	runPerch(t, "export", group, "--out", out, "--endpoint", s.endpoint, "--format", "jsonl")
	first, _, _ := strings.Cut(string(must(os.ReadFile(filepath.Join(out, "interactions.jsonl")))), "\n")
	var rec map[string]any
	if err := json.Unmarshal([]byte(first), &rec); err != nil || rec["TIMESTAMP"] != float64(1700000000) || rec["NUMBER_OF_RATINGS"] != float64(7) {
		t.Errorf("first JSON line %s (%v)", first, err)
	}

	runPerch(t, "export", group, "--out", out, "--endpoint", s.endpoint, "--format", "parquet")
	tbl := readParquet(t, filepath.Join(out, "interactions.parquet"))
	defer tbl.Release()
	if tbl.NumRows() != 10 {
		t.Errorf("%d rows in parquet, want 10", tbl.NumRows())
	}
	wantTypes := map[string]arrow.DataType{
		"USER_ID": arrow.BinaryTypes.String, "TIMESTAMP": arrow.PrimitiveTypes.Int64,
		"EVENT_VALUE": arrow.PrimitiveTypes.Float32, "NUMBER_OF_RATINGS": arrow.PrimitiveTypes.Int32,
	}
	sch := tbl.Schema()
	for name, typ := range wantTypes {
		idx := sch.FieldIndices(name)
		if len(idx) != 1 {
			t.Errorf("no column %s in %s", name, sch)
			continue
		}
		f := sch.Field(idx[0])
		if !arrow.TypeEqual(f.Type, typ) {
			t.Errorf("column %s is %s, want %s", name, f.Type, typ)
		}
		if name == "TIMESTAMP" && f.Nullable || name == "EVENT_VALUE" && !f.Nullable {
			t.Errorf("column %s nullable = %v", name, f.Nullable)
		}
	}
	ts := tbl.Column(sch.FieldIndices("TIMESTAMP")[0]).Data().Chunk(0).(*array.Int64)
	if ts.Value(9) != 1700000009 {
		t.Errorf("last TIMESTAMP %d", ts.Value(9))
	}
	dev := tbl.Column(sch.FieldIndices("DEVICE")[0]).Data().Chunk(0)
	if dev.NullN() != 10 {
		t.Errorf("DEVICE has %d nulls, want 10", dev.NullN())
	}
	ev := tbl.Column(sch.FieldIndices("EVENT_VALUE")[0]).Data().Chunk(0).(*array.Float32)
	if ev.Value(0) != 2.5 {
		t.Errorf("EVENT_VALUE %v", ev.Value(0))
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func readParquet(t *testing.T, path string) arrow.Table {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tbl, err := pqarrow.ReadTable(context.Background(), f, nil, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatalf("Arrow cannot read %s: %v", path, err)
	}
	return tbl
}

func TestExportReportsUnknownGroup(t *testing.T) {
	s := startServer(t, t.TempDir())
	cmd := runPerchFails(t, "export", "arn:aws:personalize:eu-west-1:111122223333:dataset-group/none", "--out", t.TempDir(), "--endpoint", s.endpoint)
	if !strings.Contains(cmd, "ResourceNotFoundException") {
		t.Errorf("stderr: %s", cmd)
	}
}

// runPerchFails runs the perch binary, expects it to fail, and returns
// its standard error.
func runPerchFails(t *testing.T, args ...string) string {
	t.Helper()
	var stderr strings.Builder
	cmd := exec.Command(perchBin, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Run(); err == nil {
		t.Fatalf("perch %s succeeded", strings.Join(args, " "))
	}
	return stderr.String()
}
