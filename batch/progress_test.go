package batch_test

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/internal/fixture"
	"github.com/perchdev/perch/pebble"
	"github.com/perchdev/perch/recipe"
)

// TestProgress: a batch inference job held back in the middle of its
// input reports, with its lease, the lines it has answered (whole chunks
// of 256, each written before it counts); once it has finished it reports
// none.
func TestProgress(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, bucket := range []string{"inbox", "outbox"} {
		if err := os.Mkdir(filepath.Join(root, bucket), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	objects := fixture.Gated(root)
	store, err := pebble.Open(t.TempDir(), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := newWorldWith(t, store, objects)
	v := w.train("personal", recipe.UserPersonalization)
	const lines, allowed = 1000, 600
	var text strings.Builder
	upTo := 0
	for i := range lines {
		text.WriteString(`{"userId":"` + w.data.Users[i%len(w.data.Users)] + `"}` + "\n")
		if i == allowed-1 {
			upTo = text.Len()
		}
	}
	if err := os.WriteFile(filepath.Join(root, "inbox", "users.json"), []byte(text.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	j := must(w.batch.CreateBatchInferenceJob(w.ctx, perch.CreateBatchInferenceJobInput{Name: "held", SolutionVersionARN: v.ARN, RoleARN: role,
		NumResults: 5, Input: input("s3://inbox/users.json"), Output: output("s3://outbox/held/")}))(t)
	in := objects.Next(t)
	in.Allow(int64(upTo))
	objects.NextWriter(t).Allow(math.MaxInt64)

	want := perch.JobProgress{Done: 512, Unit: perch.ProgressLines}
	deadline := time.Now().Add(time.Minute)
	for {
		got, err := store.Resources().JobProgress(w.ctx, []string{j.ARN})
		if err != nil {
			t.Fatal(err)
		}
		p, ok := got[j.ARN]
		if p == want {
			break
		}
		if ok && (p.Unit != perch.ProgressLines || p.Done > want.Done || p.Done%256 != 0 || p.Total != 0) {
			t.Fatalf("progress %+v on the way to %+v", p, want)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job's progress did not reach %+v within a minute: %+v", want, p)
		}
		time.Sleep(10 * time.Millisecond)
	}
	in.Allow(math.MaxInt64)
	if done := w.wait(j.ARN); done.Status != perch.StatusActive {
		t.Fatalf("job: %s %s", done.Status, done.FailureReason)
	}
	if got, err := store.Resources().JobProgress(w.ctx, []string{j.ARN}); err != nil || len(got) != 0 {
		t.Errorf("the finished job's progress = %v, %v; want none", got, err)
	}
}
