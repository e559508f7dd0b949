package batch_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/batch"
	"github.com/perchdev/perch/internal/pgtest"
	"github.com/perchdev/perch/postgres"
	"github.com/perchdev/perch/recipe"
	"github.com/perchdev/perch/s3loc"
)

// segmentLine is a batch segment job's output line.
type segmentLine struct {
	Input  json.RawMessage `json:"input"`
	Output *struct {
		UsersList []string `json:"usersList"`
	} `json:"output"`
	Error *string `json:"error"`
}

func (w *world) segment(in perch.CreateBatchSegmentJobInput) *perch.BatchSegmentJob {
	w.t.Helper()
	in.RoleARN = role
	j := must(w.batch.CreateBatchSegmentJob(w.ctx, in))(w.t)
	if j.Status != perch.StatusCreatePending {
		w.t.Errorf("a new job is %s, want %s", j.Status, perch.StatusCreatePending)
	}
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(10 * time.Millisecond) {
		j = must(w.batch.DescribeBatchSegmentJob(w.ctx, j.ARN))(w.t)
		if perch.JobFinished(j.Status) {
			return j
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("job %s still %s after 2 minutes", j.ARN, j.Status)
		}
	}
}

func (w *world) segmentLines(loc string) []segmentLine {
	w.t.Helper()
	var out []segmentLine
	for _, line := range w.get(loc) {
		var l segmentLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			w.t.Fatalf("output line %s: %v", line, err)
		}
		if l.Error == nil && !strings.HasSuffix(line, `,"error":null}`) {
			w.t.Errorf("line %s: want \"error\":null", line)
		}
		out = append(out, l)
	}
	return out
}

// tasteShare is the share of users holding cluster c among their tastes.
func (w *world) tasteShare(users []string, c int32) float64 {
	index := map[string]int{}
	for i, u := range w.data.Users {
		index[u] = i
	}
	n := 0
	for _, u := range users {
		if slices.Contains(w.data.Tastes[index[u]], c) {
			n++
		}
	}
	return float64(n) / float64(max(len(users), 1))
}

// TestBatchSegmentJobs: item-affinity and item-attribute-affinity
// versions answer every line with the users of the item's (the genre's)
// taste, far above chance, numResults of them; bad lines, unknown items
// and lines past AWS's bounds carry errors; a UserID filter applies;
// other recipes' versions, and segmentation versions for batch inference,
// are refused; the jobs list by version.
func TestBatchSegmentJobs(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	items := w.train("items", recipe.ItemAffinity)
	attrs := w.train("attrs", recipe.ItemAttributeAffinity)
	personal := w.train("personal", recipe.UserPersonalizationV2)

	_, err := w.batch.CreateBatchSegmentJob(w.ctx, perch.CreateBatchSegmentJobInput{Name: "wrong", SolutionVersionARN: personal.ARN,
		Input: input("s3://inbox/x"), Output: output("s3://outbox/"), RoleARN: role})
	if perch.ErrorCode(err) != perch.EInvalidInput {
		t.Errorf("a segment job of user-personalization: %v, want InvalidInput", err)
	}
	_, err = w.batch.CreateBatchInferenceJob(w.ctx, perch.CreateBatchInferenceJobInput{Name: "wrong", SolutionVersionARN: items.ARN,
		Input: input("s3://inbox/x"), Output: output("s3://outbox/"), RoleARN: role})
	if perch.ErrorCode(err) != perch.EInvalidInput {
		t.Errorf("a batch inference job of item-affinity: %v, want InvalidInput", err)
	}
	itemFilter := must(w.sols.CreateFilter(w.ctx, perch.CreateFilterInput{Name: "genre", GroupARN: w.group.ARN,
		Expression: `INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)`}))(t)
	_, err = w.batch.CreateBatchSegmentJob(w.ctx, perch.CreateBatchSegmentJobInput{Name: "wrong", SolutionVersionARN: items.ARN, FilterARN: itemFilter.ARN,
		Input: input("s3://inbox/x"), Output: output("s3://outbox/"), RoleARN: role})
	if perch.ErrorCode(err) != perch.EInvalidInput {
		t.Errorf("a segment job with an ItemID filter: %v, want InvalidInput", err)
	}

	// Item-affinity: an item per line.
	var lines []string
	var asked []int
	for i := 0; len(asked) < 30; i += 7 {
		if slices.Contains(w.data.Cold, int32(i)) {
			continue
		}
		asked = append(asked, i)
		lines = append(lines, fmt.Sprintf(`{"itemId": %q}`, w.data.Items[i]))
	}
	lines = append(lines, `{"itemId": "nope"}`, `not json`)
	w.put("s3://inbox/items.json", strings.Join(lines, "\n")+"\n")
	j := w.segment(perch.CreateBatchSegmentJobInput{Name: "items", SolutionVersionARN: items.ARN, NumResults: 10,
		Input: input("s3://inbox/items.json"), Output: output("s3://outbox/items/")})
	if j.Status != perch.StatusActive || j.NumResults != 10 {
		t.Fatalf("job %s (%d users): %s", j.Status, j.NumResults, j.FailureReason)
	}
	got := w.segmentLines("s3://outbox/items/items.json.out")
	if len(got) != len(lines) {
		t.Fatalf("%d output lines for %d input lines", len(got), len(lines))
	}
	var share, chance float64
	for n, i := range asked {
		l := got[n]
		if l.Error != nil || l.Output == nil || len(l.Output.UsersList) != 10 {
			t.Fatalf("line %d: %+v", n+1, l)
		}
		if want := fmt.Sprintf(`{"itemId":%q}`, w.data.Items[i]); string(l.Input) != want {
			t.Errorf("line %d echoes %s, want %s", n+1, l.Input, want)
		}
		c := w.data.ItemCluster[i]
		share += w.tasteShare(l.Output.UsersList, c) / float64(len(asked))
		chance += w.tasteShare(w.data.Users, c) / float64(len(asked))
	}
	t.Logf("item-affinity jobs: %.3f of a segment's users have the item's cluster among their tastes; chance %.3f", share, chance)
	if share < 3*chance {
		t.Errorf("item-affinity segments: %.3f of the item's cluster, chance %.3f", share, chance)
	}
	for _, l := range got[len(asked):] {
		if l.Error == nil || l.Output != nil {
			t.Errorf("a bad line: %+v, want an error", l)
		}
	}

	// Item-attribute-affinity: a genre per line, a UserID filter, and
	// AWS's bound of 10 lines.
	buyers := must(w.sols.CreateFilter(w.ctx, perch.CreateFilterInput{Name: "buyers", GroupARN: w.group.ARN,
		Expression: `INCLUDE UserID WHERE Interactions.EVENT_TYPE IN ("purchase")`}))(t)
	lines = nil
	for c := range 11 {
		lines = append(lines, fmt.Sprintf(`{"itemAttributes": "ITEMS.GENRE = \"g%02d\""}`, c))
	}
	w.put("s3://inbox/attrs/genres.json", strings.Join(lines, "\n"))
	j = w.segment(perch.CreateBatchSegmentJobInput{Name: "attrs", SolutionVersionARN: attrs.ARN, FilterARN: buyers.ARN,
		Input: input("s3://inbox/attrs/"), Output: output("s3://outbox/attrs")})
	if j.Status != perch.StatusActive || j.NumResults != perch.DefaultSegmentUsers {
		t.Fatalf("job %s (%d users): %s", j.Status, j.NumResults, j.FailureReason)
	}
	got = w.segmentLines("s3://outbox/attrs/genres.json.out")
	if len(got) != 11 {
		t.Fatalf("%d output lines for 11", len(got))
	}
	bought := map[string]bool{}
	for _, in := range w.data.Interactions {
		if in.EventType == recipe.SyntheticPurchase {
			bought[w.data.Users[in.User]] = true
		}
	}
	share, chance = 0, 0
	for c, l := range got[:10] {
		if l.Error != nil || l.Output == nil || len(l.Output.UsersList) == 0 {
			t.Fatalf("line %d: %+v", c+1, l)
		}
		for _, u := range l.Output.UsersList {
			if !bought[u] {
				t.Errorf("the filter kept %s, who never bought", u)
			}
		}
		share += w.tasteShare(l.Output.UsersList, int32(c)) / 10
		chance += w.tasteShare(w.data.Users, int32(c)) / 10
	}
	t.Logf("item-attribute-affinity jobs: %.3f of a genre's segment have its cluster among their tastes; chance %.3f", share, chance)
	if share < 3*chance {
		t.Errorf("attribute segments: %.3f of the genre's cluster, chance %.3f", share, chance)
	}
	if l := got[10]; l.Error == nil || !strings.Contains(*l.Error, "at most 10 lines") {
		t.Errorf("line 11: %+v, want an error of AWS's bound", l)
	}

	list, _ := must2(w.batch.ListBatchSegmentJobs(w.ctx, items.ARN, perch.Page{}))(t)
	if len(list) != 1 || list[0].Name != "items" {
		t.Errorf("ListBatchSegmentJobs of the item-affinity version: %d jobs", len(list))
	}
	all, _ := must2(w.batch.ListBatchSegmentJobs(w.ctx, "", perch.Page{}))(t)
	if len(all) != 2 || all[0].Name != "attrs" {
		t.Errorf("ListBatchSegmentJobs: %d jobs, want 2, newest first", len(all))
	}
	inference, _ := must2(w.batch.ListBatchInferenceJobs(w.ctx, "", perch.Page{}))(t)
	if len(inference) != 0 {
		t.Errorf("segment jobs listed as batch inference jobs: %d", len(inference))
	}
}

// TestInterruptedSegmentJobRunsAgain: a batch segment job that a dead
// process left CREATE IN_PROGRESS is taken over once its lease runs out
// and ends ACTIVE, on Pebble and on PostgreSQL.
func TestInterruptedSegmentJobRunsAgain(t *testing.T) {
	t.Parallel()
	t.Run("pebble", func(t *testing.T) {
		t.Parallel()
		interruptedSegmentJobRunsAgain(t, newWorld(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		store, err := postgres.Open(t.Context(), pgtest.Database(t), postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		interruptedSegmentJobRunsAgain(t, newWorldOn(t, store))
	})
}

func interruptedSegmentJobRunsAgain(t *testing.T, w *world) {
	v := w.train("items", recipe.ItemAffinity)
	var lines []string
	for _, it := range w.data.Items[:20] {
		lines = append(lines, `{"itemId":"`+it+`"}`)
	}
	w.put("s3://inbox/items.json", strings.Join(lines, "\n"))

	rs := w.store.Resources()
	now := perch.TimestampOf(time.Now())
	j := &perch.BatchSegmentJob{ARN: scope.JobARN(perch.KindBatchSegmentJob, "interrupted"), Name: "interrupted",
		SolutionVersionARN: v.ARN, NumResults: 5, Input: input("s3://inbox/items.json"), Output: output("s3://outbox/again/"), RoleARN: role,
		Status: perch.StatusCreatePending, Created: now, Updated: now, GroupARN: v.GroupARN}
	w.batch.Close()
	if err := rs.CreateBatchSegmentJob(w.ctx, j, batch.MaxPending); err != nil {
		t.Fatal(err)
	}
	if arn, err := rs.ClaimJob(w.ctx, "dead", 300*time.Millisecond, perch.KindBatchSegmentJob); err != nil || arn != j.ARN {
		t.Fatalf("the dead process's claim: %q, %v", arn, err)
	}
	j.Status = perch.StatusCreateInProgress
	if err := rs.UpdateBatchSegmentJob(w.ctx, j, "dead"); err != nil {
		t.Fatal(err)
	}

	w.batch = batch.Open(batch.Config{Store: w.store, Runtime: w.rt, Objects: s3loc.NewDir(w.s3root), Scope: scope,
		Poll: 50 * time.Millisecond, Lease: time.Second})
	t.Cleanup(w.batch.Close)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		done := must(w.batch.DescribeBatchSegmentJob(w.ctx, j.ARN))(t)
		if perch.JobFinished(done.Status) {
			if done.Status != perch.StatusActive {
				t.Fatalf("the interrupted job ended %s %s", done.Status, done.FailureReason)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the interrupted job is still %s", done.Status)
		}
	}
	got := w.segmentLines("s3://outbox/again/items.json.out")
	if len(got) != len(lines) {
		t.Fatalf("%d output lines for %d input lines", len(got), len(lines))
	}
	for i, l := range got {
		if l.Error != nil && !strings.Contains(*l.Error, "not in") || l.Error == nil && len(l.Output.UsersList) != 5 {
			t.Errorf("line %d: %+v", i+1, l)
		}
	}
}
