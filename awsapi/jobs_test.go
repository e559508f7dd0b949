package awsapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/personalize"
	ptypes "github.com/aws/aws-sdk-go-v2/service/personalize/types"
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents"
	etypes "github.com/aws/aws-sdk-go-v2/service/personalizeevents/types"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/s3loc"
)

const role = "arn:aws:iam::123456789012:role/personalize"

// waitFor polls describe until the job's status is final and returns it
// with the failure reason.
func waitFor(t testing.TB, describe func() (status, reason string, err error)) (string, string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		status, reason, err := describe()
		if err != nil {
			t.Fatal(err)
		}
		switch status {
		case "ACTIVE", "CREATE FAILED", "COMPLETED", "FAILED":
			return status, reason
		}
		if time.Now().After(deadline) {
			t.Fatalf("job still %s after a minute", status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// exportJob runs an export job of a dataset and returns the CSV written.
func (e *env) exportJob(name, datasetARN string, mode ptypes.IngestionMode) string {
	e.t.Helper()
	ctx := context.Background()
	out, err := e.cp.CreateDatasetExportJob(ctx, &personalize.CreateDatasetExportJobInput{
		JobName: aws.String(name), DatasetArn: aws.String(datasetARN), IngestionMode: mode, RoleArn: aws.String(role),
		JobOutput: &ptypes.DatasetExportJobOutput{S3DataDestination: &ptypes.S3DataConfig{Path: aws.String("s3://data/exports/")}},
	})
	if err != nil {
		e.t.Fatalf("CreateDatasetExportJob: %v", err)
	}
	status, reason := waitFor(e.t, func() (string, string, error) {
		d, err := e.cp.DescribeDatasetExportJob(ctx, &personalize.DescribeDatasetExportJobInput{DatasetExportJobArn: out.DatasetExportJobArn})
		if err != nil {
			return "", "", err
		}
		return aws.ToString(d.DatasetExportJob.Status), aws.ToString(d.DatasetExportJob.FailureReason), nil
	})
	if status != "ACTIVE" {
		e.t.Fatalf("export job %s: %s", status, reason)
	}
	typ := strings.ToLower(datasetARN[strings.LastIndex(datasetARN, "/")+1:])
	b, err := os.ReadFile(filepath.Join(e.s3Root, "data", "exports", name, typ+".csv"))
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

// importJob runs an import job and returns its final status and reason.
func (e *env) importJob(name, datasetARN, location string, mode ptypes.ImportMode) (string, string) {
	e.t.Helper()
	ctx := context.Background()
	out, err := e.cp.CreateDatasetImportJob(ctx, &personalize.CreateDatasetImportJobInput{
		JobName: aws.String(name), DatasetArn: aws.String(datasetARN), RoleArn: aws.String(role), ImportMode: mode,
		DataSource: &ptypes.DataSource{DataLocation: aws.String(location)},
	})
	if err != nil {
		e.t.Fatalf("CreateDatasetImportJob: %v", err)
	}
	return waitFor(e.t, func() (string, string, error) {
		d, err := e.cp.DescribeDatasetImportJob(ctx, &personalize.DescribeDatasetImportJobInput{DatasetImportJobArn: out.DatasetImportJobArn})
		if err != nil {
			return "", "", err
		}
		return aws.ToString(d.DatasetImportJob.Status), aws.ToString(d.DatasetImportJob.FailureReason), nil
	})
}

func (e *env) writeObject(key, content string) {
	e.t.Helper()
	path := filepath.Join(e.s3Root, "data", filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o640); err != nil {
		e.t.Fatal(err)
	}
}

// putHistory records events, items and users through the events API.
func (e *env) putHistory(g *group) {
	e.t.Helper()
	ctx := context.Background()
	for u := 1; u <= 3; u++ {
		_, err := e.events.PutEvents(ctx, &personalizeevents.PutEventsInput{
			TrackingId: aws.String(g.trackingID), UserId: aws.String(fmt.Sprint("user-", u)), SessionId: aws.String("s"),
			EventList: []etypes.Event{
				{EventId: aws.String(fmt.Sprint("e", u)), EventType: aws.String("click"), ItemId: aws.String("item-1"),
					SentAt: aws.Time(time.Unix(1700000000+int64(u), 0)), EventValue: aws.Float32(1.5),
					Impression: []string{"item-1", "item-2"}, Properties: aws.String(`{"device":"phone, \"new\"","numberOfRatings":3}`)},
				{EventId: aws.String(fmt.Sprint("e", u)), EventType: aws.String("click"), ItemId: aws.String("item-1"), // a duplicate
					SentAt: aws.Time(time.Unix(1700000000+int64(u), 0))},
				{EventType: aws.String("view"), ItemId: aws.String("item-2"), SentAt: aws.Time(time.Unix(1700000100, 0))},
			},
		})
		if err != nil {
			e.t.Fatal(err)
		}
	}
	// An anonymous event: no USER_ID, so no row.
	if _, err := e.events.PutEvents(ctx, &personalizeevents.PutEventsInput{
		TrackingId: aws.String(g.trackingID), SessionId: aws.String("anon"),
		EventList: []etypes.Event{{EventType: aws.String("view"), ItemId: aws.String("item-3"), SentAt: aws.Time(time.Unix(1700000200, 0))}},
	}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.events.PutItems(ctx, &personalizeevents.PutItemsInput{DatasetArn: aws.String(g.datasets["ITEMS"]), Items: []etypes.Item{
		{ItemId: aws.String("item-1"), Properties: aws.String(`{"genres":"Horror|Action","price":9.99,"creationTimestamp":1600000000}`)},
		{ItemId: aws.String("item-2"), Properties: aws.String(`{"genres":"Drama"}`)},
	}}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.events.PutUsers(ctx, &personalizeevents.PutUsersInput{DatasetArn: aws.String(g.datasets["USERS"]), Users: []etypes.User{
		{UserId: aws.String("user-1"), Properties: aws.String(`{"age":"34","gender":"Female"}`)},
		{UserId: aws.String("user-2")},
	}}); err != nil {
		e.t.Fatal(err)
	}
}

func TestExportJobWritesBulkCSV(t *testing.T) {
	e := newEnv(t)
	g := e.makeGroup("shop")
	e.putHistory(g)
	got := e.exportJob("interactions-1", g.datasets["INTERACTIONS"], ptypes.IngestionModePut)
	want := `USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE,IMPRESSION,RECOMMENDATION_ID,EVENT_ATTRIBUTION_SOURCE,DEVICE,NUMBER_OF_RATINGS
user-1,item-1,1700000001,click,1.5,item-1|item-2,,,"phone, \"new\"",3
user-1,item-2,1700000100,view,,,,,,
user-2,item-1,1700000002,click,1.5,item-1|item-2,,,"phone, \"new\"",3
user-2,item-2,1700000100,view,,,,,,
user-3,item-1,1700000003,click,1.5,item-1|item-2,,,"phone, \"new\"",3
user-3,item-2,1700000100,view,,,,,,
`
	if got != want {
		t.Errorf("interactions export:\n%s\nwant:\n%s", got, want)
	}
	if got := e.exportJob("items-1", g.datasets["ITEMS"], ""); got != "ITEM_ID,GENRES,PRICE,CREATION_TIMESTAMP\nitem-1,Horror|Action,9.99,1600000000\nitem-2,Drama,,\n" {
		t.Errorf("items export:\n%s", got)
	}
	// Users need AGE and GENDER only when the schema says so: both are
	// nullable here, so user-2 is exported with empty cells.
	if got := e.exportJob("users-1", g.datasets["USERS"], ""); got != "USER_ID,AGE,GENDER\nuser-1,34,Female\nuser-2,,\n" {
		t.Errorf("users export:\n%s", got)
	}
	// Nothing was imported in bulk.
	if got := e.exportJob("bulk-only", g.datasets["INTERACTIONS"], ptypes.IngestionModeBulk); strings.Count(got, "\n") != 1 {
		t.Errorf("BULK export of a dataset without bulk data:\n%s", got)
	}
}

func TestExportImportRoundTrip(t *testing.T) {
	e := newEnv(t)
	src := e.makeGroup("source")
	e.putHistory(src)
	dst := e.makeGroup("copy")
	for _, typ := range []string{"INTERACTIONS", "ITEMS", "USERS"} {
		name := strings.ToLower(typ)
		first := e.exportJob("src-"+name, src.datasets[typ], ptypes.IngestionModeAll)
		// Import the export's folder, as it is, into the other group.
		status, reason := e.importJob("copy-"+name, dst.datasets[typ], "s3://data/exports/src-"+name+"/", ptypes.ImportModeFull)
		if status != "ACTIVE" {
			t.Fatalf("import of %s: %s %s", typ, status, reason)
		}
		again := e.exportJob("copy-"+name, dst.datasets[typ], ptypes.IngestionModeBulk)
		if again != first {
			t.Errorf("%s: the re-imported dataset exports\n%s\nbut the original exported\n%s", typ, again, first)
		}
	}
	recs := e.records(dst.datasets["INTERACTIONS"], url.Values{"userId": {"user-2"}})
	if len(recs) != 2 || recs[0]["bulk"] != true || recs[0]["properties"] != `{"device":"phone, \"new\"","numberOfRatings":3}` {
		t.Errorf("imported records of user-2: %v", recs)
	}
}

// TestBulkExportLeavesOutExactDuplicates: AWS exports imported data
// "except exact duplicates": a row identical to one imported before, in
// the same import or an earlier one still live, is left out of BULK and
// ALL exports and read back as a duplicate.
func TestBulkExportLeavesOutExactDuplicates(t *testing.T) {
	e := newEnv(t)
	g := e.makeGroup("dups")
	interactions := g.datasets["INTERACTIONS"]
	const header = "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\n"
	e.writeObject("dups/1.csv", header+"u1,i1,1600000000,click\nu1,i2,1600000000,click\nu1,i1,1600000000,click\n")
	e.writeObject("dups/2.csv", header+"u1,i1,1600000000,click\nu1,i1,1600000001,click\n")
	e.writeObject("more.csv", header+"u1,i2,1600000000,click\nu2,i1,1600000000,click\n")
	if status, reason := e.importJob("full", interactions, "s3://data/dups/", ptypes.ImportModeFull); status != "ACTIVE" {
		t.Fatalf("FULL import: %s %s", status, reason)
	}
	if status, reason := e.importJob("more", interactions, "s3://data/more.csv", ptypes.ImportModeIncremental); status != "ACTIVE" {
		t.Fatalf("INCREMENTAL import: %s %s", status, reason)
	}
	const want = "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE,IMPRESSION,RECOMMENDATION_ID,EVENT_ATTRIBUTION_SOURCE,DEVICE,NUMBER_OF_RATINGS\n" +
		"u1,i1,1600000000,click,,,,,,\nu1,i2,1600000000,click,,,,,,\nu1,i1,1600000001,click,,,,,,\nu2,i1,1600000000,click,,,,,,\n"
	for _, mode := range []ptypes.IngestionMode{ptypes.IngestionModeBulk, ptypes.IngestionModeAll} {
		if got := e.exportJob("export-"+strings.ToLower(string(mode)), interactions, mode); got != want {
			t.Errorf("%s export:\n%s\nwant:\n%s", mode, got, want)
		}
	}
	var dups []string
	for _, r := range e.records(interactions, url.Values{"userId": {"u1"}}) {
		dups = append(dups, fmt.Sprintf("%v@%.0f %v", r["itemId"], r["sentAt"], r["duplicate"] == true))
	}
	if got := strings.Join(dups, ", "); got != "i1@1600000000 false, i2@1600000000 false, i1@1600000000 true, i1@1600000000 true, i1@1600000001 false, i2@1600000000 true" {
		t.Errorf("records of u1: %s", got)
	}
}

func TestImportFailsWithFileLineAndColumn(t *testing.T) {
	e := newEnv(t)
	g := e.makeGroup("bad")
	e.writeObject("in/good.csv", "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\nu1,i1,1700000000,click\n")
	e.writeObject("in/later.csv", "USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\nu2,i2,click,1700000000\nu3,i3,click,1700000000123\n")
	status, reason := e.importJob("bad-import", g.datasets["INTERACTIONS"], "s3://data/in/", ptypes.ImportModeFull)
	if status != "CREATE FAILED" {
		t.Fatalf("status %s, want CREATE FAILED", status)
	}
	if want := "s3://data/in/later.csv: line 3, column TIMESTAMP: TIMESTAMP must be epoch seconds"; !strings.Contains(reason, want) {
		t.Errorf("failureReason %q does not contain %q", reason, want)
	}
	// The good file's row was not imported either.
	if recs := e.records(g.datasets["INTERACTIONS"], nil); len(recs) != 0 {
		t.Errorf("a failed import left records: %v", recs)
	}

	e.writeObject("hdr.csv", "USER_ID,ITEM,TIMESTAMP\n")
	if _, reason := e.importJob("bad-header", g.datasets["INTERACTIONS"], "s3://data/hdr.csv", ptypes.ImportModeFull); !strings.Contains(reason,
		"s3://data/hdr.csv: line 1, column ITEM: the header names a column the dataset's schema does not have") {
		t.Errorf("failureReason %q", reason)
	}
	if _, reason := e.importJob("no-files", g.datasets["INTERACTIONS"], "s3://data/empty/", ptypes.ImportModeFull); !strings.Contains(reason, "no files") {
		t.Errorf("failureReason %q", reason)
	}
	if _, reason := e.importJob("no-bucket", g.datasets["INTERACTIONS"], "s3://missing-bucket/x.csv", ptypes.ImportModeFull); !strings.Contains(reason, "bucket missing-bucket does not exist") {
		t.Errorf("failureReason %q", reason)
	}
}

func TestImportModes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	g := e.makeGroup("modes")
	items := g.datasets["ITEMS"]
	if _, err := e.events.PutItems(ctx, &personalizeevents.PutItemsInput{DatasetArn: aws.String(items),
		Items: []etypes.Item{{ItemId: aws.String("put-1"), Properties: aws.String(`{"genres":"put"}`)}}}); err != nil {
		t.Fatal(err)
	}
	_, err := e.cp.CreateDatasetImportJob(ctx, &personalize.CreateDatasetImportJobInput{
		JobName: aws.String("too-early"), DatasetArn: aws.String(items), ImportMode: ptypes.ImportModeIncremental,
		DataSource: &ptypes.DataSource{DataLocation: aws.String("s3://data/a.csv")},
	})
	wantAPIError(t, err, "InvalidInputException", http.StatusBadRequest, "use FULL for its first import")

	e.writeObject("a.csv", "ITEM_ID,GENRES\nbulk-1,a\nbulk-2,a\n")
	e.writeObject("b.csv", "ITEM_ID,GENRES\nbulk-2,b\nbulk-3,b\n")
	e.writeObject("c.csv", "ITEM_ID,GENRES\nbulk-4,c\n")
	ids := func() string {
		var out []string
		for _, r := range e.records(items, nil) {
			out = append(out, fmt.Sprint(r["itemId"], "=", strings.TrimSuffix(strings.TrimPrefix(fmt.Sprint(r["properties"]), `{"genres":"`), `"}`)))
		}
		return strings.Join(out, " ")
	}
	for _, step := range []struct {
		job  string
		file string
		mode ptypes.ImportMode
		want string
	}{
		{"full-a", "a.csv", ptypes.ImportModeFull, "bulk-1=a bulk-2=a put-1=put"},
		{"incr-b", "b.csv", ptypes.ImportModeIncremental, "bulk-1=a bulk-2=b bulk-3=b put-1=put"},
		{"full-c", "c.csv", ptypes.ImportModeFull, "bulk-4=c put-1=put"},
	} {
		if status, reason := e.importJob(step.job, items, "s3://data/"+step.file, step.mode); status != "ACTIVE" {
			t.Fatalf("%s: %s %s", step.job, status, reason)
		}
		if got := ids(); got != step.want {
			t.Errorf("after %s: %s, want %s", step.job, got, step.want)
		}
	}
	if got := e.exportJob("put-only", items, ptypes.IngestionModePut); got != "ITEM_ID,GENRES,PRICE,CREATION_TIMESTAMP\nput-1,put,,\n" {
		t.Errorf("PUT export:\n%s", got)
	}
	if got := e.exportJob("bulk-only", items, ptypes.IngestionModeBulk); got != "ITEM_ID,GENRES,PRICE,CREATION_TIMESTAMP\nbulk-4,c,,\n" {
		t.Errorf("BULK export:\n%s", got)
	}
}

func TestDataDeletionJob(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	g := e.makeGroup("gdpr")
	e.putHistory(g)
	e.writeObject("bulk/i.csv", "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\nuser-1,old,1500000000,click\nuser-9,old,1500000000,click\n")
	if status, reason := e.importJob("history", g.datasets["INTERACTIONS"], "s3://data/bulk/i.csv", ptypes.ImportModeFull); status != "ACTIVE" {
		t.Fatalf("import: %s", reason)
	}
	if _, err := e.events.PutActionInteractions(ctx, &personalizeevents.PutActionInteractionsInput{
		TrackingId: aws.String(g.actionTrackingID), ActionInteractions: []etypes.ActionInteraction{
			{ActionId: aws.String("a1"), UserId: aws.String("user-1"), SessionId: aws.String("s"), EventType: aws.String("Taken"), Timestamp: aws.Time(time.Unix(1700000000, 0))},
			{ActionId: aws.String("a1"), UserId: aws.String("user-2"), SessionId: aws.String("s"), EventType: aws.String("Taken"), Timestamp: aws.Time(time.Unix(1700000000, 0))},
		}}); err != nil {
		t.Fatal(err)
	}
	e.writeObject("delete/list.csv", "USER_ID\nuser-1\nnobody\n")
	e.writeObject("delete/more/list2.csv", "USER_ID\nuser-9\n") // deletion jobs read sub folders too
	out, err := e.cp.CreateDataDeletionJob(ctx, &personalize.CreateDataDeletionJobInput{
		JobName: aws.String("forget"), DatasetGroupArn: aws.String(g.arn), RoleArn: aws.String(role),
		DataSource: &ptypes.DataSource{DataLocation: aws.String("s3://data/delete/")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:personalize:us-west-2:123456789012:data-deletion-job/forget"; aws.ToString(out.DataDeletionJobArn) != want {
		t.Errorf("ARN %s, want %s", aws.ToString(out.DataDeletionJobArn), want)
	}
	var deleted int32
	status, reason := waitFor(t, func() (string, string, error) {
		d, err := e.cp.DescribeDataDeletionJob(ctx, &personalize.DescribeDataDeletionJobInput{DataDeletionJobArn: out.DataDeletionJobArn})
		if err != nil {
			return "", "", err
		}
		deleted = aws.ToInt32(d.DataDeletionJob.NumDeleted)
		return aws.ToString(d.DataDeletionJob.Status), aws.ToString(d.DataDeletionJob.FailureReason), nil
	})
	if status != "COMPLETED" {
		t.Fatalf("deletion job %s: %s", status, reason)
	}
	// user-1: 3 events (one a duplicate), 1 bulk event, 1 action
	// interaction, 1 user record; user-9: 1 bulk event.
	if deleted != 7 {
		t.Errorf("numDeleted = %d, want 7", deleted)
	}
	for _, typ := range []string{"INTERACTIONS", "ACTION_INTERACTIONS"} {
		for _, u := range []string{"user-1", "user-9"} {
			if recs := e.records(g.datasets[typ], url.Values{"userId": {u}}); len(recs) != 0 {
				t.Errorf("%s of %s left: %v", typ, u, recs)
			}
		}
	}
	if recs := e.records(g.datasets["USERS"], url.Values{"id": {"user-1"}}); len(recs) != 0 {
		t.Errorf("user record left: %v", recs)
	}
	if recs := e.records(g.datasets["INTERACTIONS"], url.Values{"userId": {"user-2"}}); len(recs) != 3 {
		t.Errorf("user-2 has %d events, want 3 untouched", len(recs))
	}
	list, err := e.cp.ListDataDeletionJobs(ctx, &personalize.ListDataDeletionJobsInput{DatasetGroupArn: aws.String(g.arn)})
	if err != nil || len(list.DataDeletionJobs) != 1 || aws.ToString(list.DataDeletionJobs[0].Status) != "COMPLETED" {
		t.Errorf("ListDataDeletionJobs = %+v, %v", list, err)
	}
}

func TestJobResources(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	g := e.makeGroup("res")
	ds := g.datasets["ITEMS"]
	create := func(name string) (*personalize.CreateDatasetExportJobOutput, error) {
		return e.cp.CreateDatasetExportJob(ctx, &personalize.CreateDatasetExportJobInput{
			JobName: aws.String(name), DatasetArn: aws.String(ds), RoleArn: aws.String(role),
			JobOutput: &ptypes.DatasetExportJobOutput{S3DataDestination: &ptypes.S3DataConfig{Path: aws.String("s3://data/x/")}},
		})
	}
	for i := range 3 {
		out, err := create(fmt.Sprint("job-", i))
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprint("arn:aws:personalize:us-west-2:123456789012:dataset-export-job/job-", i); aws.ToString(out.DatasetExportJobArn) != want {
			t.Errorf("ARN %s, want %s", aws.ToString(out.DatasetExportJobArn), want)
		}
	}
	_, err := create("job-1")
	wantAPIError(t, err, "ResourceAlreadyExistsException", http.StatusBadRequest, "dataset-export-job/job-1")
	var names []string
	for p := personalize.NewListDatasetExportJobsPaginator(e.cp, &personalize.ListDatasetExportJobsInput{DatasetArn: aws.String(ds), MaxResults: aws.Int32(2)}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.DatasetExportJobs) > 2 {
			t.Errorf("page of %d", len(page.DatasetExportJobs))
		}
		for _, j := range page.DatasetExportJobs {
			names = append(names, aws.ToString(j.JobName))
		}
	}
	if strings.Join(names, ",") != "job-0,job-1,job-2" {
		t.Errorf("listed %v", names)
	}
	_, err = e.cp.DescribeDatasetImportJob(ctx, &personalize.DescribeDatasetImportJobInput{
		DatasetImportJobArn: aws.String("arn:aws:personalize:us-west-2:123456789012:dataset-import-job/none")})
	wantAPIError(t, err, "ResourceNotFoundException", http.StatusBadRequest, "dataset-import-job/none")
	_, err = e.cp.CreateDatasetImportJob(ctx, &personalize.CreateDatasetImportJobInput{
		JobName: aws.String("http"), DatasetArn: aws.String(ds), DataSource: &ptypes.DataSource{DataLocation: aws.String("https://example.com/x.csv")}})
	wantAPIError(t, err, "InvalidInputException", http.StatusBadRequest, "is not an s3://bucket/key location")
	_, err = e.cp.CreateDataDeletionJob(ctx, &personalize.CreateDataDeletionJobInput{
		JobName: aws.String("x"), DatasetGroupArn: aws.String(g.arn + "-nope"), RoleArn: aws.String(role),
		DataSource: &ptypes.DataSource{DataLocation: aws.String("s3://data/x.csv")}})
	wantAPIError(t, err, "ResourceNotFoundException", http.StatusBadRequest)

	// Jobs are resources: they survive a restart, finished as they were.
	for _, n := range []string{"job-0", "job-1", "job-2"} {
		waitFor(t, func() (string, string, error) {
			d, err := e.cp.DescribeDatasetExportJob(ctx, &personalize.DescribeDatasetExportJobInput{
				DatasetExportJobArn: aws.String("arn:aws:personalize:us-west-2:123456789012:dataset-export-job/" + n)})
			if err != nil {
				return "", "", err
			}
			return aws.ToString(d.DatasetExportJob.Status), "", nil
		})
	}
	e.restart()
	d, err := e.cp.DescribeDatasetExportJob(ctx, &personalize.DescribeDatasetExportJobInput{
		DatasetExportJobArn: aws.String("arn:aws:personalize:us-west-2:123456789012:dataset-export-job/job-2")})
	if err != nil || aws.ToString(d.DatasetExportJob.Status) != "ACTIVE" || aws.ToString(d.DatasetExportJob.JobOutput.S3DataDestination.Path) != "s3://data/x/" {
		t.Errorf("after restart: %+v, %v", d, err)
	}
}

// TestJobsOnS3 runs an export and its re-import against an S3-compatible
// service (gofakes3) instead of a directory.
func TestJobsOnS3(t *testing.T) {
	mem := s3mem.New()
	if err := mem.CreateBucket("data"); err != nil {
		t.Fatal(err)
	}
	fake := httptest.NewServer(gofakes3.New(mem).Server())
	defer fake.Close()
	svc, err := s3loc.Connect(context.Background(), fake.URL, "us-east-1",
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dataDir: t.TempDir(), objects: svc, scope: perch.Scope{Region: testRegion, Account: testAccount}}
	e.start()
	t.Cleanup(e.close)
	ctx := context.Background()
	g := e.makeGroup("s3")
	e.putHistory(g)
	out, err := e.cp.CreateDatasetExportJob(ctx, &personalize.CreateDatasetExportJobInput{
		JobName: aws.String("to-s3"), DatasetArn: aws.String(g.datasets["ITEMS"]), RoleArn: aws.String(role),
		JobOutput: &ptypes.DatasetExportJobOutput{S3DataDestination: &ptypes.S3DataConfig{Path: aws.String("s3://data/out")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	status, reason := waitFor(t, func() (string, string, error) {
		d, err := e.cp.DescribeDatasetExportJob(ctx, &personalize.DescribeDatasetExportJobInput{DatasetExportJobArn: out.DatasetExportJobArn})
		if err != nil {
			return "", "", err
		}
		return aws.ToString(d.DatasetExportJob.Status), aws.ToString(d.DatasetExportJob.FailureReason), nil
	})
	if status != "ACTIVE" {
		t.Fatalf("export to S3: %s %s", status, reason)
	}
	obj, err := mem.GetObject("data", "out/to-s3/items.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	obj.Contents.Close()
	g2 := e.makeGroup("s3copy")
	if status, reason := e.importJob("from-s3", g2.datasets["ITEMS"], "s3://data/out/to-s3/items.csv", ptypes.ImportModeFull); status != "ACTIVE" {
		t.Fatalf("import from S3: %s %s", status, reason)
	}
	if recs := e.records(g2.datasets["ITEMS"], nil); len(recs) != 2 {
		t.Errorf("imported %d items from S3, want 2", len(recs))
	}
}
