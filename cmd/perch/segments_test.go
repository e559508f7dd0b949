package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/personalize"
	ptypes "github.com/aws/aws-sdk-go-v2/service/personalize/types"
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents"
	etypes "github.com/aws/aws-sdk-go-v2/service/personalizeevents/types"

	"github.com/perchdev/perch/recipe"
)

// Batch segment jobs through the Go SDK: planted tastes sent as events
// and items, an aws-item-attribute-affinity version trained on them, a
// job whose lines ask for a genre's users, its output object of
// usersList lines, and the jobs' describe and list; a version of another
// recipe is refused.
func TestBatchSegmentJobsThroughTheSDK(t *testing.T) {
	s3 := t.TempDir()
	for _, bucket := range []string{"inbox", "outbox"} {
		if err := os.Mkdir(filepath.Join(s3, bucket), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s := startServer(t, t.TempDir(), "--s3-root", s3)
	ctx := context.Background()
	cp := controlClient(s.endpoint)
	ev := clusterEvents(s.endpoint)
	str := aws.String

	g, err := cp.CreateDatasetGroup(ctx, &personalize.CreateDatasetGroupInput{Name: str("crm")})
	if err != nil {
		t.Fatal(err)
	}
	dataset := func(name, kind, fields string) *string {
		t.Helper()
		schema, err := cp.CreateSchema(ctx, &personalize.CreateSchemaInput{Name: str(name),
			Schema: str(`{"type":"record","name":"` + kind + `","namespace":"com.amazonaws.personalize.schema","fields":[` + fields + `],"version":"1.0"}`)})
		if err != nil {
			t.Fatal(err)
		}
		d, err := cp.CreateDataset(ctx, &personalize.CreateDatasetInput{Name: str(name), DatasetGroupArn: g.DatasetGroupArn,
			SchemaArn: schema.SchemaArn, DatasetType: str(kind)})
		if err != nil {
			t.Fatal(err)
		}
		return d.DatasetArn
	}
	dataset("crm-interactions", "Interactions", `{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},`+
		`{"name":"EVENT_TYPE","type":"string"},{"name":"TIMESTAMP","type":"long"}`)
	items := dataset("crm-items", "Items", `{"name":"ITEM_ID","type":"string"},{"name":"GENRE","type":["null","string"],"categorical":true}`)
	tracker, err := cp.CreateEventTracker(ctx, &personalize.CreateEventTrackerInput{Name: str("web"), DatasetGroupArn: g.DatasetGroupArn})
	if err != nil {
		t.Fatal(err)
	}

	c := recipe.DefaultSynthetic(200, 100, 3000, 5)
	c.Clusters, c.Cold = 5, 0
	data := recipe.Synthetic(c)
	byUser := map[int32][]etypes.Event{}
	for _, in := range data.Interactions {
		byUser[in.User] = append(byUser[in.User], etypes.Event{EventType: str("click"), ItemId: str(data.Items[in.Item]),
			SentAt: aws.Time(time.UnixMilli(in.Time))})
	}
	for u, list := range byUser {
		for len(list) > 0 {
			n := min(len(list), 10)
			if _, err := ev.PutEvents(ctx, &personalizeevents.PutEventsInput{TrackingId: tracker.TrackingId,
				UserId: str(data.Users[u]), SessionId: str("s-" + data.Users[u]), EventList: list[:n]}); err != nil {
				t.Fatal(err)
			}
			list = list[n:]
		}
	}
	var batch []etypes.Item
	for i, id := range data.Items {
		genre := strings.TrimPrefix(data.ItemFeatures[i][0], "GENRE=")
		batch = append(batch, etypes.Item{ItemId: str(id), Properties: str(`{"genre": "` + genre + `"}`)})
		if len(batch) == 10 || i == len(data.Items)-1 {
			if _, err := ev.PutItems(ctx, &personalizeevents.PutItemsInput{DatasetArn: items, Items: batch}); err != nil {
				t.Fatal(err)
			}
			batch = nil
		}
	}

	train := func(name, recipeName string) *string {
		t.Helper()
		sol, err := cp.CreateSolution(ctx, &personalize.CreateSolutionInput{Name: str(name), DatasetGroupArn: g.DatasetGroupArn,
			RecipeArn: str("arn:aws:personalize:::recipe/" + recipeName)})
		if err != nil {
			t.Fatal(err)
		}
		v, err := cp.CreateSolutionVersion(ctx, &personalize.CreateSolutionVersionInput{SolutionArn: sol.SolutionArn})
		if err != nil {
			t.Fatal(err)
		}
		waitVersionActive(t, cp, v.SolutionVersionArn, 2*time.Minute)
		return v.SolutionVersionArn
	}
	attrs := train("genres", recipe.ItemAttributeAffinity)
	metrics, err := cp.GetSolutionMetrics(ctx, &personalize.GetSolutionMetricsInput{SolutionVersionArn: attrs})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("metrics: %v", metrics.Metrics)
	for _, k := range []string{"coverage", "hits_at_1_percent", "recall_at_1_percent"} {
		if _, ok := metrics.Metrics[k]; !ok {
			t.Errorf("GetSolutionMetrics has no %s: %v", k, metrics.Metrics)
		}
	}
	popular := train("popular", recipe.PopularityCount)

	io := func(in, out string) (*ptypes.BatchSegmentJobInput, *ptypes.BatchSegmentJobOutput) {
		return &ptypes.BatchSegmentJobInput{S3DataSource: &ptypes.S3DataConfig{Path: str(in)}},
			&ptypes.BatchSegmentJobOutput{S3DataDestination: &ptypes.S3DataConfig{Path: str(out)}}
	}
	in, out := io("s3://inbox/genres.json", "s3://outbox/segments/")
	if _, err := cp.CreateBatchSegmentJob(ctx, &personalize.CreateBatchSegmentJobInput{JobName: str("wrong"), SolutionVersionArn: popular,
		JobInput: in, JobOutput: out, RoleArn: str("arn:aws:iam::111122223333:role/p")}); errorCode(err) != "InvalidInputException" {
		t.Errorf("a segment job of popularity-count: %v, want InvalidInputException", err)
	}

	var lines []string
	for g := range 5 {
		lines = append(lines, fmt.Sprintf(`{"itemAttributes": "ITEMS.GENRE = \"g%02d\""}`, g))
	}
	if err := os.WriteFile(filepath.Join(s3, "inbox", "genres.json"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	created, err := cp.CreateBatchSegmentJob(ctx, &personalize.CreateBatchSegmentJobInput{JobName: str("genres"), SolutionVersionArn: attrs,
		NumResults: aws.Int32(8), JobInput: in, JobOutput: out, RoleArn: str("arn:aws:iam::111122223333:role/p"),
		Tags: []ptypes.Tag{{TagKey: str("team"), TagValue: str("crm")}}})
	if err != nil {
		t.Fatal(err)
	}
	var job *ptypes.BatchSegmentJob
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		d, err := cp.DescribeBatchSegmentJob(ctx, &personalize.DescribeBatchSegmentJobInput{BatchSegmentJobArn: created.BatchSegmentJobArn})
		if err != nil {
			t.Fatal(err)
		}
		job = d.BatchSegmentJob
		if st := aws.ToString(job.Status); st == "ACTIVE" || st == "CREATE FAILED" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job still %s", aws.ToString(job.Status))
		}
	}
	if aws.ToString(job.Status) != "ACTIVE" || aws.ToInt32(job.NumResults) != 8 || aws.ToString(job.SolutionVersionArn) != aws.ToString(attrs) ||
		aws.ToString(job.JobInput.S3DataSource.Path) != "s3://inbox/genres.json" || job.CreationDateTime == nil {
		t.Fatalf("job: %+v (%s)", job, aws.ToString(job.FailureReason))
	}
	b, err := os.ReadFile(filepath.Join(s3, "outbox", "segments", "genres.json.out"))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(got) != 5 {
		t.Fatalf("%d output lines, want 5:\n%s", len(got), b)
	}
	t.Logf("for example: %s", got[0])
	index := map[string]int{}
	for i, u := range data.Users {
		index[u] = i
	}
	right, all := 0, 0
	for g, line := range got {
		var l struct {
			Input  map[string]string `json:"input"`
			Output struct {
				UsersList []string `json:"usersList"`
			} `json:"output"`
			Error *string `json:"error"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil || l.Error != nil || len(l.Output.UsersList) != 8 ||
			!strings.HasSuffix(line, `"error":null}`) || l.Input["itemAttributes"] != fmt.Sprintf(`ITEMS.GENRE = "g%02d"`, g) {
			t.Fatalf("line %d: %s (%v)", g+1, line, err)
		}
		for _, u := range l.Output.UsersList {
			all++
			if slices.Contains(data.Tastes[index[u]], int32(g)) {
				right++
			}
		}
	}
	if share := float64(right) / float64(all); share < 0.6 {
		t.Errorf("%.2f of the genres' segments like the genre's cluster", share)
	}

	list, err := cp.ListBatchSegmentJobs(ctx, &personalize.ListBatchSegmentJobsInput{SolutionVersionArn: attrs, MaxResults: aws.Int32(5)})
	if err != nil || len(list.BatchSegmentJobs) != 1 || aws.ToString(list.BatchSegmentJobs[0].BatchSegmentJobArn) != aws.ToString(created.BatchSegmentJobArn) {
		t.Fatalf("ListBatchSegmentJobs: %+v, %v", list, err)
	}
	if none, err := cp.ListBatchSegmentJobs(ctx, &personalize.ListBatchSegmentJobsInput{SolutionVersionArn: popular}); err != nil || len(none.BatchSegmentJobs) != 0 {
		t.Errorf("ListBatchSegmentJobs of another version: %+v, %v", none, err)
	}
	tags, err := cp.ListTagsForResource(ctx, &personalize.ListTagsForResourceInput{ResourceArn: created.BatchSegmentJobArn})
	if err != nil || len(tags.Tags) != 1 {
		t.Errorf("ListTagsForResource of the job: %+v, %v", tags, err)
	}
}
