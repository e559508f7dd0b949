package batch_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/batch"
	"github.com/perchdev/perch/catalog"
	"github.com/perchdev/perch/ingest"
	"github.com/perchdev/perch/internal/pgtest"
	"github.com/perchdev/perch/pebble"
	"github.com/perchdev/perch/postgres"
	"github.com/perchdev/perch/recipe"
	"github.com/perchdev/perch/s3loc"
	"github.com/perchdev/perch/serving"
	"github.com/perchdev/perch/solutions"
	"github.com/perchdev/perch/training"
)

var scope = perch.Scope{Region: "us-east-1", Account: "111122223333"}

const (
	interactionsSchema = `{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[` +
		`{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},` +
		`{"name":"EVENT_VALUE","type":["null","float"]},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}`
	itemsSchema = `{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[` +
		`{"name":"ITEM_ID","type":"string"},{"name":"GENRE","type":["null","string"],"categorical":true},` +
		`{"name":"BRAND","type":["null","string"],"categorical":true},{"name":"PRICE","type":["null","string"],"categorical":true},` +
		`{"name":"CREATION_TIMESTAMP","type":"long"}],"version":"1.0"}`
	role = "arn:aws:iam::111122223333:role/personalize"
)

// world is a dataset group of synthetic interactions in a real store on
// disk, with a trainer, the runtime, batch jobs over a directory of
// s3:// objects, and the store's raw resources to play a dead process.
type world struct {
	t      *testing.T
	ctx    context.Context
	store  perch.Store
	sols   *solutions.Service
	rt     *serving.Service
	batch  *batch.Service
	group  *perch.DatasetGroup
	data   *recipe.SyntheticData
	s3root string
	// objects are the s3:// objects the jobs read and write: s3root's,
	// or an S3-compatible server's.
	objects perch.Objects
}

// newWorld is a world on a Pebble store in a temporary directory.
func newWorld(t *testing.T) *world {
	t.Helper()
	store, err := pebble.Open(t.TempDir(), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return newWorldOn(t, store)
}

// newWorldOn is a world on store, which it closes at the end of the test.
func newWorldOn(t *testing.T, store perch.Store) *world {
	t.Helper()
	return newWorldWith(t, store, nil)
}

// newWorldOnS3 is a world on a Pebble store whose jobs read and write
// their objects through an S3-compatible server (gofakes3, in memory),
// as perch serve --s3-endpoint does.
func newWorldOnS3(t *testing.T) *world {
	t.Helper()
	mem := s3mem.New()
	for _, bucket := range []string{"inbox", "outbox"} {
		if err := mem.CreateBucket(bucket); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(gofakes3.New(mem).Server())
	t.Cleanup(srv.Close)
	svc, err := s3loc.Connect(context.Background(), srv.URL, "us-east-1",
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")))
	if err != nil {
		t.Fatal(err)
	}
	store, err := pebble.Open(t.TempDir(), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return newWorldWith(t, store, svc)
}

// newWorldWith is newWorldOn with the jobs' objects in objects, or when
// nil in a directory of its own.
func newWorldWith(t *testing.T, store perch.Store, objects perch.Objects) *world {
	t.Helper()
	t.Cleanup(func() { store.Close() })
	ctx := perch.WithAccount(context.Background(), scope.Account)
	cat, err := catalog.Open(ctx, store.Resources(), scope, catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cat.Close)
	w := &world{t: t, ctx: ctx, store: store, s3root: t.TempDir(), objects: objects}
	for _, bucket := range []string{"inbox", "outbox"} {
		if err := os.Mkdir(filepath.Join(w.s3root, bucket), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if w.objects == nil {
		w.objects = s3loc.NewDir(w.s3root)
	}
	w.group = must(cat.CreateDatasetGroup(ctx, perch.CreateDatasetGroupInput{Name: "shop"}))(t)
	is := must(cat.CreateSchema(ctx, perch.CreateSchemaInput{Name: "interactions", Definition: interactionsSchema}))(t)
	must(cat.CreateDataset(ctx, perch.CreateDatasetInput{Name: "i", SchemaARN: is.ARN, GroupARN: w.group.ARN, Type: "Interactions"}))(t)
	ts := must(cat.CreateSchema(ctx, perch.CreateSchemaInput{Name: "items", Definition: itemsSchema}))(t)
	items := must(cat.CreateDataset(ctx, perch.CreateDatasetInput{Name: "items", SchemaARN: ts.ARN, GroupARN: w.group.ARN, Type: "Items"}))(t)
	tracker := must(cat.CreateEventTracker(ctx, perch.CreateEventTrackerInput{Name: "web", GroupARN: w.group.ARN}))(t).TrackingID

	trainer := training.Start(training.Config{Store: store, Catalog: cat, Poll: 50 * time.Millisecond, Schedule: -1})
	t.Cleanup(trainer.Close)
	w.sols = solutions.New(store.Resources(), scope, solutions.Options{Trained: trainer.Wake})
	w.rt = serving.New(serving.Config{Store: store, Catalog: cat})
	// More workers than the test's cores, so that lines are answered at
	// the same time on any machine.
	w.batch = batch.Open(batch.Config{Store: store, Runtime: w.rt, Objects: w.objects, Scope: scope,
		Poll: 50 * time.Millisecond, Lease: time.Second, Workers: 3})
	t.Cleanup(w.batch.Close)

	w.data = recipe.Synthetic(recipe.DefaultSynthetic(300, 1500, 6000, 11))
	d := w.data.Data
	events := make([]perch.Event, len(d.Interactions))
	for i, in := range d.Interactions {
		events[i] = perch.Event{EventType: in.EventType, SentAt: perch.Timestamp(in.Time), ItemID: d.Items[in.Item], UserID: d.Users[in.User]}
		if !math.IsNaN(float64(in.Value)) {
			v := float64(in.Value)
			events[i].EventValue = &v
		}
	}
	ing := ingest.New(cat, store)
	for len(events) > 0 {
		n := min(len(events), 500)
		if err := ing.PutEvents(ctx, tracker, events[:n]); err != nil {
			t.Fatal(err)
		}
		events = events[n:]
	}
	var entities []perch.Entity
	for i, id := range d.Items {
		props := map[string]any{"creationTimestamp": d.ItemCreated[i] / 1000}
		for _, f := range d.ItemFeatures[i] {
			field, value, _ := strings.Cut(f, "=")
			props[strings.ToLower(field)] = value
		}
		text, _ := json.Marshal(props)
		entities = append(entities, perch.Entity{ID: id, Properties: string(text)})
	}
	if err := ing.PutEntities(ctx, items.ARN, perch.Items, entities); err != nil {
		t.Fatal(err)
	}
	return w
}

func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// train creates a solution of recipeName and trains a version of it.
func (w *world) train(name, recipeName string) *perch.SolutionVersion {
	w.t.Helper()
	no := false
	sol := must(w.sols.CreateSolution(w.ctx, perch.CreateSolutionInput{Name: name, GroupARN: w.group.ARN,
		RecipeARN: solutions.RecipeARN(recipeName), PerformAutoTraining: &no}))(w.t)
	v := must(w.sols.CreateSolutionVersion(w.ctx, perch.CreateSolutionVersionInput{SolutionARN: sol.ARN}))(w.t)
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(20 * time.Millisecond) {
		v = must(w.sols.DescribeSolutionVersion(w.ctx, v.ARN))(w.t)
		if v.Status == perch.StatusActive {
			return v
		}
		if !perch.Training(v.Status) || time.Now().After(deadline) {
			w.t.Fatalf("version of %s: %s %s", recipeName, v.Status, v.FailureReason)
		}
	}
}

// put writes an s3:// object.
func (w *world) put(loc, content string) {
	w.t.Helper()
	o, err := w.objects.Create(w.ctx, loc)
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := io.WriteString(o, content); err != nil {
		w.t.Fatal(err)
	}
	if err := o.Commit(); err != nil {
		w.t.Fatal(err)
	}
}

// get reads an s3:// object, line by line.
func (w *world) get(loc string) []string {
	w.t.Helper()
	r, err := w.objects.Open(w.ctx, loc)
	if err != nil {
		w.t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		w.t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// run creates a batch inference job and waits for it to end; it checks
// that the job went through AWS's statuses.
func (w *world) run(in perch.CreateBatchInferenceJobInput) *perch.BatchInferenceJob {
	w.t.Helper()
	in.RoleARN = role
	j := must(w.batch.CreateBatchInferenceJob(w.ctx, in))(w.t)
	if j.Status != perch.StatusCreatePending {
		w.t.Errorf("a new job is %s, want %s", j.Status, perch.StatusCreatePending)
	}
	return w.wait(j.ARN)
}

func (w *world) wait(arn string) *perch.BatchInferenceJob {
	w.t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(10 * time.Millisecond) {
		j := must(w.batch.DescribeBatchInferenceJob(w.ctx, arn))(w.t)
		if perch.JobFinished(j.Status) {
			return j
		}
		if j.Status != perch.StatusCreatePending && j.Status != perch.StatusCreateInProgress {
			w.t.Fatalf("job %s is %s", arn, j.Status)
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("job %s still %s after 2 minutes", arn, j.Status)
		}
	}
}

func input(loc string) perch.BatchInput {
	return perch.BatchInput{S3DataSource: perch.S3DataConfig{Path: loc}}
}

func output(loc string) perch.BatchOutput {
	return perch.BatchOutput{S3DataDestination: perch.S3DataConfig{Path: loc}}
}

// outputLine is an output line as AWS's jobs write it.
type outputLine struct {
	Input  json.RawMessage `json:"input"`
	Output *struct {
		RecommendedItems []string  `json:"recommendedItems"`
		Scores           []float64 `json:"scores"`
	} `json:"output"`
	Error *string `json:"error"`
}

func decode(t *testing.T, line string) (outputLine, map[string]json.RawMessage) {
	t.Helper()
	var out outputLine
	var members map[string]json.RawMessage
	if err := json.Unmarshal([]byte(line), &out); err != nil {
		t.Fatalf("output line %s: %v", line, err)
	}
	json.Unmarshal([]byte(line), &members)
	return out, members
}

// TestUserPersonalization: every line is answered as the runtime answers
// a campaign of the version, items and scores, with "error":null; the
// job's numResults and filter apply with each line's filterValues; a line
// that lacks what the recipe needs, or is not JSON, carries an error and
// the others go on; the input is echoed compact.
func TestUserPersonalization(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.train("personal", recipe.UserPersonalization)
	c := must(w.sols.CreateCampaign(w.ctx, perch.CreateCampaignInput{Name: "personal", SolutionVersionARN: v.ARN}))(t)
	genre := must(w.sols.CreateFilter(w.ctx, perch.CreateFilterInput{Name: "genre", GroupARN: w.group.ARN,
		Expression: `INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)`}))(t)

	users := w.data.Users[:40]
	var lines []string
	for i, u := range users {
		switch i {
		case 7:
			lines = append(lines, `{"userId": "`+u+`"}`) // no filter value: INCLUDE needs one
		case 20:
			lines = append(lines, `not json at all`)
		case 30:
			lines = append(lines, `{"itemId": "i1", "filterValues": {"GENRE": "\"g03\""}}`) // no userId
		default:
			lines = append(lines, `{"userId": "`+u+`", "filterValues": {"GENRE": "\"g03\",\"g07\""}}`)
		}
	}
	w.put("s3://inbox/users.json", strings.Join(lines, "\n")+"\n")
	j := w.run(perch.CreateBatchInferenceJobInput{Name: "personal", SolutionVersionARN: v.ARN, FilterARN: genre.ARN, NumResults: 10,
		Input: input("s3://inbox/users.json"), Output: output("s3://outbox/personal/")})
	if j.Status != perch.StatusActive {
		t.Fatalf("job %s: %s", j.Status, j.FailureReason)
	}
	got := w.get(batch.OutputLocation(j, "s3://inbox/users.json"))
	if len(got) != len(lines) {
		t.Fatalf("%d output lines for %d input lines", len(got), len(lines))
	}
	t.Logf("for example:\n%s\n%s", got[0], got[7])
	for i, line := range got {
		out, members := decode(t, line)
		switch i {
		case 7, 20, 30:
			if out.Error == nil || out.Output != nil {
				t.Errorf("line %d: %s; want an error and no output", i+1, line)
			}
			if i == 20 && string(out.Input) != `"not json at all"` {
				t.Errorf("line %d echoes %s, want the line as a string", i+1, out.Input)
			}
			continue
		}
		if string(members["error"]) != "null" {
			t.Errorf("line %d: %s; want \"error\":null", i+1, line)
		}
		wantInput := `{"userId":"` + users[i] + `","filterValues":{"GENRE":"\"g03\",\"g07\""}}`
		if string(out.Input) != wantInput {
			t.Errorf("line %d echoes %s, want %s", i+1, out.Input, wantInput)
		}
		want := must(w.rt.GetRecommendations(w.ctx, perch.RecommendationsInput{CampaignARN: c.ARN, UserID: users[i], NumResults: 10,
			FilterARN: genre.ARN, FilterValues: map[string]string{"GENRE": `"g03","g07"`}}))(t)
		var wantItems []string
		var wantScores []float64
		for _, it := range want.Items {
			wantItems = append(wantItems, it.ItemID)
			wantScores = append(wantScores, *it.Score)
		}
		if len(wantItems) != 10 || !slices.Equal(out.Output.RecommendedItems, wantItems) || !slices.Equal(out.Output.Scores, wantScores) {
			t.Errorf("line %d: %v %v; the runtime answers %v %v", i+1, out.Output.RecommendedItems, out.Output.Scores, wantItems, wantScores)
		}
	}
	if !strings.Contains(got[7], "GENRE") || !strings.Contains(got[30], "userId") {
		t.Errorf("the errors do not say what is missing: %s; %s", got[7], got[30])
	}
}

// TestRecipeFormats: popularity-count writes items without scores nor an
// error member, related items answer an itemId, a ranking reorders the
// line's itemList with scores; a prefix reads every object it starts,
// each into its own output; Describe and List show the jobs.
func TestRecipeFormats(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	popular := w.train("popular", recipe.PopularityCount)
	sims := w.train("sims", recipe.Sims)
	ranking := w.train("ranking", recipe.PersonalizedRanking)
	items := w.data.Items

	w.put("s3://inbox/popular/a.json", `{"userId": "`+w.data.Users[0]+`"}`+"\n"+`{"userId": "nobody"}`)
	w.put("s3://inbox/popular_more/b.json", "\n"+`{"userId": "`+w.data.Users[1]+`"}`+"\n\n")
	w.put("s3://inbox/other/c.json", `{"userId": "x"}`)
	j := w.run(perch.CreateBatchInferenceJobInput{Name: "popular", SolutionVersionARN: popular.ARN, NumResults: 3,
		Input: input("s3://inbox/popular"), Output: output("s3://outbox/popular")})
	if j.Status != perch.StatusActive {
		t.Fatalf("popularity job %s: %s", j.Status, j.FailureReason)
	}
	a, b := w.get("s3://outbox/popular/a.json.out"), w.get("s3://outbox/popular/b.json.out")
	if len(a) != 2 || len(b) != 1 {
		t.Fatalf("outputs of %d and %d lines, want 2 and 1 (blank lines are not records): %q %q", len(a), len(b), a, b)
	}
	if _, err := os.Stat(filepath.Join(w.s3root, "outbox/popular/c.json.out")); err == nil {
		t.Errorf("an object outside the prefix was read")
	}
	t.Logf("for example: %s", a[0])
	first, _ := decode(t, a[0])
	for _, line := range append(a, b...) {
		out, members := decode(t, line)
		if _, ok := members["error"]; ok || out.Output == nil || out.Output.Scores != nil || len(out.Output.RecommendedItems) != 3 {
			t.Errorf("popularity-count line %s: want three items, no scores, no error member", line)
		}
		if !slices.Equal(out.Output.RecommendedItems, first.Output.RecommendedItems) {
			t.Errorf("popularity-count gives %v and %v", out.Output.RecommendedItems, first.Output.RecommendedItems)
		}
	}

	w.put("s3://inbox/items.json", fmt.Sprintf(`{"itemId": %q}`+"\n"+`{"userId": "u"}`+"\n", items[5]))
	j = w.run(perch.CreateBatchInferenceJobInput{Name: "sims", SolutionVersionARN: sims.ARN,
		Input: input("s3://inbox/items.json"), Output: output("s3://outbox/sims/")})
	lines := w.get("s3://outbox/sims/items.json.out")
	if j.Status != perch.StatusActive || len(lines) != 2 {
		t.Fatalf("sims job %s %s: %q", j.Status, j.FailureReason, lines)
	}
	related, _ := decode(t, lines[0])
	if related.Output == nil || len(related.Output.RecommendedItems) != perch.DefaultRecommendations ||
		slices.Contains(related.Output.RecommendedItems, items[5]) || string(related.Input) != fmt.Sprintf(`{"itemId":%q}`, items[5]) {
		t.Errorf("sims line: %s; want 25 items other than the line's", lines[0])
	}
	if noItem, _ := decode(t, lines[1]); noItem.Error == nil || !strings.Contains(*noItem.Error, "itemId") {
		t.Errorf("sims line without an itemId: %s; want an error asking for one", lines[1])
	}

	list := []string{items[3], items[40], items[7], "never-seen"}
	listJSON, _ := json.Marshal(list)
	w.put("s3://inbox/rank.json", fmt.Sprintf(`{"userId": %q, "itemList": %s}`, w.data.Users[2], listJSON))
	j = w.run(perch.CreateBatchInferenceJobInput{Name: "ranking", SolutionVersionARN: ranking.ARN,
		Input: input("s3://inbox/rank.json"), Output: output("s3://outbox/rank/")})
	lines = w.get("s3://outbox/rank/rank.json.out")
	t.Logf("for example: %s", lines[0])
	ranked, _ := decode(t, lines[0])
	if j.Status != perch.StatusActive || ranked.Output == nil || len(ranked.Output.Scores) != len(list) {
		t.Fatalf("ranking job %s %s: %q", j.Status, j.FailureReason, lines)
	}
	sorted := slices.Clone(ranked.Output.RecommendedItems)
	slices.Sort(sorted)
	want := slices.Clone(list)
	slices.Sort(want)
	if !slices.Equal(sorted, want) || !slices.IsSortedFunc(ranked.Output.Scores, func(a, b float64) int { return cmp.Compare(b, a) }) {
		t.Errorf("ranking %v %v; want the line's items, best first", ranked.Output.RecommendedItems, ranked.Output.Scores)
	}

	all, _ := must2(w.batch.ListBatchInferenceJobs(w.ctx, "", perch.Page{}))(t)
	if len(all) != 3 || all[0].Name != "ranking" {
		t.Errorf("ListBatchInferenceJobs: %d jobs, first %s; want 3, newest first", len(all), all[0].Name)
	}
	page, next := must2(w.batch.ListBatchInferenceJobs(w.ctx, "", perch.Page{MaxResults: 2}))(t)
	rest, last := must2(w.batch.ListBatchInferenceJobs(w.ctx, "", perch.Page{MaxResults: 2, NextToken: next}))(t)
	if len(page) != 2 || next == "" || len(rest) != 1 || last != "" || rest[0].Name != all[2].Name {
		t.Errorf("pages of 2: %d, %q, then %d, %q", len(page), next, len(rest), last)
	}
	mine, _ := must2(w.batch.ListBatchInferenceJobs(w.ctx, sims.ARN, perch.Page{}))(t)
	if len(mine) != 1 || mine[0].SolutionVersionARN != sims.ARN {
		t.Errorf("ListBatchInferenceJobs of the sims version: %v", mine)
	}
}

func must2[A, B any](a A, b B, err error) func(t *testing.T) (A, B) {
	return func(t *testing.T) (A, B) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	}
}

// TestFailuresAndRefusals: what CreateBatchInferenceJob refuses, with
// AWS's codes, and a job that cannot read its input ends CREATE FAILED
// with a reason naming the location.
func TestFailuresAndRefusals(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.train("popular", recipe.PopularityCount)
	trending := w.train("trending", recipe.TrendingNow)
	ok := perch.CreateBatchInferenceJobInput{Name: "j", SolutionVersionARN: v.ARN, RoleARN: role,
		Input: input("s3://inbox/missing.json"), Output: output("s3://outbox/")}

	refused := func(what, code, names string, change func(*perch.CreateBatchInferenceJobInput)) {
		t.Helper()
		in := ok
		change(&in)
		_, err := w.batch.CreateBatchInferenceJob(w.ctx, in)
		if perch.ErrorCode(err) != code || !strings.Contains(err.Error(), names) {
			t.Errorf("%s: %v; want %s naming %s", what, err, code, names)
		}
	}
	missing := v.ARN[:len(v.ARN)-8] + "00000000"
	refused("an unknown version", perch.EResourceNotFound, missing, func(in *perch.CreateBatchInferenceJobInput) { in.SolutionVersionARN = missing })
	otherAccount := strings.Replace(v.ARN, scope.Account, "999999999999", 1)
	refused("another account's version", perch.EResourceNotFound, otherAccount,
		func(in *perch.CreateBatchInferenceJobInput) { in.SolutionVersionARN = otherAccount })
	filterARN := scope.JobARN("filter", "nope")
	refused("an unknown filter", perch.EResourceNotFound, filterARN, func(in *perch.CreateBatchInferenceJobInput) { in.FilterARN = filterARN })
	refused("a trending-now version", perch.EInvalidInput, recipe.TrendingNow,
		func(in *perch.CreateBatchInferenceJobInput) { in.SolutionVersionARN = trending.ARN })
	refused("theme generation", perch.EInvalidInput, "THEME_GENERATION",
		func(in *perch.CreateBatchInferenceJobInput) { in.Mode = perch.ThemeGenerationMode })
	refused("an https input", perch.EInvalidInput, "jobInput.s3DataSource.path",
		func(in *perch.CreateBatchInferenceJobInput) { in.Input = input("https://example.com/in.json") })

	j := w.run(ok)
	if j.Status != perch.StatusCreateFailed || !strings.Contains(j.FailureReason, "s3://inbox/missing.json") {
		t.Errorf("a job without input: %s %q; want CREATE FAILED naming the input", j.Status, j.FailureReason)
	}
	refused("a taken name", perch.EResourceAlreadyExists, j.ARN, func(*perch.CreateBatchInferenceJobInput) {})
}

// TestInterruptedJobRunsAgain: a job that a process left CREATE
// IN_PROGRESS when it died (its lease not renewed) is taken over once the
// lease runs out and ends ACTIVE, its output whole; on PostgreSQL, where
// the lease outlives the process and runs out on the database's clock,
// as on Pebble.
func TestInterruptedJobRunsAgain(t *testing.T) {
	t.Parallel()
	t.Run("pebble", func(t *testing.T) {
		t.Parallel()
		interruptedJobRunsAgain(t, newWorld(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		store, err := postgres.Open(t.Context(), pgtest.Database(t), postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		interruptedJobRunsAgain(t, newWorldOn(t, store))
	})
}

func interruptedJobRunsAgain(t *testing.T, w *world) {
	v := w.train("popular", recipe.PopularityCount)
	var lines []string
	for _, u := range w.data.Users {
		lines = append(lines, `{"userId":"`+u+`"}`)
	}
	w.put("s3://inbox/all.json", strings.Join(lines, "\n"))

	// The dead process: the job is created in the store directly, so that
	// this process's worker does not take it first, and claimed and moved
	// to CREATE IN_PROGRESS under a lease nobody renews.
	rs := w.store.Resources()
	now := perch.TimestampOf(time.Now())
	j := &perch.BatchInferenceJob{ARN: scope.JobARN(perch.KindBatchInferenceJob, "interrupted"), Name: "interrupted",
		SolutionVersionARN: v.ARN, NumResults: 5, Input: input("s3://inbox/all.json"), Output: output("s3://outbox/again/"), RoleARN: role,
		Mode: perch.BatchInferenceMode, Status: perch.StatusCreatePending, Created: now, Updated: now, GroupARN: v.GroupARN}
	w.batch.Close()
	if err := rs.CreateBatchInferenceJob(w.ctx, j, batch.MaxPending); err != nil {
		t.Fatal(err)
	}
	if arn, err := rs.ClaimJob(w.ctx, "dead", 300*time.Millisecond, perch.KindBatchInferenceJob); err != nil || arn != j.ARN {
		t.Fatalf("the dead process's claim: %q, %v", arn, err)
	}
	j.Status = perch.StatusCreateInProgress
	if err := rs.UpdateBatchInferenceJob(w.ctx, j, "dead"); err != nil {
		t.Fatal(err)
	}

	w.batch = batch.Open(batch.Config{Store: w.store, Runtime: w.rt, Objects: s3loc.NewDir(w.s3root), Scope: scope,
		Poll: 50 * time.Millisecond, Lease: time.Second})
	t.Cleanup(w.batch.Close)
	done := w.wait(j.ARN)
	if done.Status != perch.StatusActive {
		t.Fatalf("the interrupted job ended %s %s", done.Status, done.FailureReason)
	}
	if got := w.get("s3://outbox/again/all.json.out"); len(got) != len(lines) {
		t.Errorf("%d output lines for %d input lines", len(got), len(lines))
	}
}

// TestLinesOfAnyShape: a line longer than MaxLineBytes, one that is not
// JSON (with quotes, control characters and bytes that are not UTF-8)
// and a JSON value that is not an object each get an error line whose
// input is valid JSON, and the lines around them are answered; the last
// line needs no newline, and CRLF line ends are taken.
func TestLinesOfAnyShape(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.train("popular", recipe.PopularityCount)
	good := `{"userId": "` + w.data.Users[0] + `"}`
	long := `{"userId": "` + strings.Repeat("x", batch.MaxLineBytes) + `"}`
	w.put("s3://inbox/shapes.json", good+"\r\n"+long+"\n"+"say \"hi\"\t\x01\xff\n"+`["a list"]`+"\n"+good)
	j := w.run(perch.CreateBatchInferenceJobInput{Name: "shapes", SolutionVersionARN: v.ARN, NumResults: 2,
		Input: input("s3://inbox/shapes.json"), Output: output("s3://outbox/shapes/")})
	if j.Status != perch.StatusActive {
		t.Fatalf("job %s: %s", j.Status, j.FailureReason)
	}
	got := w.get("s3://outbox/shapes/shapes.json.out")
	if len(got) != 5 {
		t.Fatalf("%d output lines, want 5: %q", len(got), got)
	}
	for i, line := range got {
		out, _ := decode(t, line)
		switch i {
		case 0, 4:
			if out.Output == nil || len(out.Output.RecommendedItems) != 2 || string(out.Input) != `{"userId":"`+w.data.Users[0]+`"}` {
				t.Errorf("line %d: %s; want two items for %s", i+1, line, w.data.Users[0])
			}
		default:
			if out.Error == nil || out.Output != nil {
				t.Errorf("line %d: %.200s; want an error", i+1, line)
			}
		}
	}
	if !strings.Contains(got[1], "longer than") || len(got[1]) > 1000 {
		t.Errorf("the long line's answer: %.200s", got[1])
	}
}

// TestManyLinesInOrder: a job of many chunks' lines, answered by
// several workers at once, writes each line's answer in the input's
// place, the runtime's answer for its user; lines long enough to end a
// chunk early, blank lines and lines in error keep their places too.
func TestManyLinesInOrder(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.train("personal", recipe.UserPersonalization)
	c := must(w.sols.CreateCampaign(w.ctx, perch.CreateCampaignInput{Name: "personal", SolutionVersionARN: v.ARN}))(t)
	longList := `"` + strings.Repeat("i", 100) + `"`
	longList = strings.Repeat(longList+",", 3000) + longList // about 300 KB
	// users[i] is whom output line i answers; "" for an error.
	var lines, users []string
	var text strings.Builder
	for i := range 1500 {
		u := w.data.Users[(i*7)%len(w.data.Users)]
		switch {
		case i%97 == 5:
			lines, users = append(lines, `{"user": "`+u+`"}`), append(users, "")
		case i%400 == 11:
			lines, users = append(lines, `{"userId":"`+u+`","itemList":[`+longList+`]}`), append(users, u)
		default:
			lines, users = append(lines, `{"userId":"`+u+`"}`), append(users, u)
		}
		text.WriteString(lines[i] + "\n")
		if i%300 == 0 {
			text.WriteString("  \n")
		}
	}
	w.put("s3://inbox/many.json", text.String())
	j := w.run(perch.CreateBatchInferenceJobInput{Name: "many", SolutionVersionARN: v.ARN, NumResults: 5,
		Input: input("s3://inbox/many.json"), Output: output("s3://outbox/many/")})
	if j.Status != perch.StatusActive {
		t.Fatalf("job %s: %s", j.Status, j.FailureReason)
	}
	got := w.get("s3://outbox/many/many.json.out")
	if len(got) != len(lines) {
		t.Fatalf("%d output lines for %d input lines", len(got), len(lines))
	}
	for i, line := range got {
		out, _ := decode(t, line)
		if users[i] == "" {
			if out.Error == nil || out.Output != nil || string(out.Input) != `{"user":"`+w.data.Users[(i*7)%len(w.data.Users)]+`"}` {
				t.Errorf("line %d: %.200s; want line %d's error", i+1, line, i+1)
			}
			continue
		}
		if string(out.Input) != lines[i] {
			t.Fatalf("line %d echoes %.200s, want %.200s", i+1, out.Input, lines[i])
		}
		want := must(w.rt.GetRecommendations(w.ctx, perch.RecommendationsInput{CampaignARN: c.ARN, UserID: users[i], NumResults: 5}))(t)
		var wantItems []string
		for _, it := range want.Items {
			wantItems = append(wantItems, it.ItemID)
		}
		if out.Output == nil || !slices.Equal(out.Output.RecommendedItems, wantItems) {
			t.Errorf("line %d: %.200s; the runtime answers %s %v", i+1, line, users[i], wantItems)
		}
	}
}

// TestOutputBesideInput: a job whose output path is its input's folder
// reads its input objects and not the .out objects it or an earlier job
// wrote there.
func TestOutputBesideInput(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.train("popular", recipe.PopularityCount)
	w.put("s3://inbox/same/users.json", `{"userId": "a"}`+"\n"+`{"userId": "b"}`+"\n")
	for _, name := range []string{"first", "again"} {
		j := w.run(perch.CreateBatchInferenceJobInput{Name: name, SolutionVersionARN: v.ARN,
			Input: input("s3://inbox/same/"), Output: output("s3://inbox/same/")})
		if j.Status != perch.StatusActive {
			t.Fatalf("job %s: %s %s", name, j.Status, j.FailureReason)
		}
	}
	if got := w.get("s3://inbox/same/users.json.out"); len(got) != 2 {
		t.Errorf("users.json.out has %d lines, want 2", len(got))
	}
	if _, err := os.Stat(filepath.Join(w.s3root, "inbox/same/users.json.out.out")); err == nil {
		t.Errorf("the second job read the first one's output")
	}
}

// TestThroughAnS3CompatibleServer: the same job, its input read from and
// its output written to an S3-compatible server, as perch serve
// --s3-endpoint runs it: every line answered, the output object whole.
func TestThroughAnS3CompatibleServer(t *testing.T) {
	t.Parallel()
	w := newWorldOnS3(t)
	v := w.train("popular", recipe.PopularityCount)
	var in strings.Builder
	for _, user := range w.data.Users[:50] {
		fmt.Fprintf(&in, "{\"userId\": %q}\n", user)
	}
	w.put("s3://inbox/users/part-1.json", in.String())
	w.put("s3://inbox/users/part-2.json", `{"userId": "someone-new"}`+"\n")
	j := w.run(perch.CreateBatchInferenceJobInput{Name: "over-s3", SolutionVersionARN: v.ARN, NumResults: 5,
		Input: input("s3://inbox/users/"), Output: output("s3://outbox/run/")})
	if j.Status != perch.StatusActive {
		t.Fatalf("job: %s %s", j.Status, j.FailureReason)
	}
	for file, n := range map[string]int{"part-1.json": 50, "part-2.json": 1} {
		lines := w.get("s3://outbox/run/" + file + ".out")
		if len(lines) != n {
			t.Fatalf("%s.out has %d lines, want %d", file, len(lines), n)
		}
		for _, line := range lines {
			out, _ := decode(t, line)
			if out.Output == nil || len(out.Output.RecommendedItems) != 5 {
				t.Errorf("%s.out line %s: want 5 items", file, line)
			}
		}
	}
}
