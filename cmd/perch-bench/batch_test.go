package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestBatchJob runs a batch inference job of a tiny model through
// perch-bench: every input line answered in its place, the server's
// memory followed, and a closed loop of GetRecommendations beside it.
func TestBatchJob(t *testing.T) {
	s3 := t.TempDir()
	endpoint, pid := startPerchProcess(t, "--s3-root", s3)
	prep := append([]string{"--endpoint", endpoint, "--prepare", "--s3-root", s3, "--group", "tiny"}, tinyModel...)

	rep := modelRun(t, append(prep, "--batch-lines", "3000", "--server-pid", strconv.Itoa(pid), "--unknown-users", "0.2")...)
	b := rep.Batch
	if b == nil || rep.Prepared == nil || rep.Runtime != nil {
		t.Fatalf("report %+v; want a batch job's", rep)
	}
	if b.Lines != 3000 || b.OutputLines != 3000 || b.ErrorLines != 0 || b.OutOfPlace != 0 || b.ShortAnswers != 0 ||
		b.Seconds <= 0 || b.LinesPerSecond <= 0 || b.InputBytes <= int64(3000*len(`{"userId":"u1"}`)) || b.OutputBytes <= b.InputBytes {
		t.Errorf("batch report %+v; want 3,000 lines answered in place with 25 items each", b)
	}
	if m := b.Memory; m == nil || m.BeforeMiB <= 0 || m.Samples < 1 || m.HighWaterMiB < m.AfterMiB ||
		m.PeakMiB != max(m.HighWaterMiB, m.PeakSampleMiB) {
		t.Errorf("server memory %+v; want the RSS before, sampled and at its peak", b.Memory)
	}
	out := filepath.Join(s3, s3Bucket, "tiny-batch-3000", "out", "users.jsonl.out")
	if _, err := os.Stat(out); err != nil {
		t.Errorf("the job's output: %v", err)
	}

	// The same job again, as text: its output is the new job's.
	text := runBench(t, append(prep, "--batch-lines", "3000")...)
	if !strings.Contains(text, "output     s3://perch-bench/tiny-batch-3000/out/: 3000 lines") || !strings.Contains(text, "0 errors, 0 short, 0 out of place") {
		t.Errorf("the text report of a second job:\n%s", text)
	}

	closed := modelRun(t, append(prep, "--recommend-closed", "--recommend-concurrency", "2", "--events=false", "--duration", "1s", "--warmup", "100ms")...)
	if rt := closed.Runtime; rt == nil || !rt.Closed || rt.Requests < 10 || rt.OK != rt.Requests || rt.ShortAnswers != 0 || closed.Events != nil {
		t.Errorf("closed loop: %+v; want GetRecommendations answered back to back, no events load", closed.Runtime)
	}
}

// TestBatchOutputCheck: the check of a job's output counts what a job
// got wrong rather than trusting it.
func TestBatchOutputCheck(t *testing.T) {
	c := batchConfig{lines: 4, numResults: 2, known: []string{"u1", "u2", "u3"}, unknownShare: 0.5, unknownUsers: 10, seed: 3}
	rng := c.rng()
	users := make([]string, c.lines)
	for i := range users {
		users[i] = c.userLine(rng)
	}
	path := filepath.Join(t.TempDir(), "in.out")
	lines := []string{
		`{"input":{"userId":"` + users[0] + `"},"output":{"recommendedItems":["a","b"]},"error":null}`,
		`{"input":{"userId":"` + users[1] + `"},"error":"The line is not a JSON object"}`,
		`{"input":{"userId":"` + users[2] + `"},"output":{"recommendedItems":["a"]}}`,
		`{"input":{"userId":"someone-else"},"output":{"recommendedItems":["a","b"]}}`,
		`{"input":{"userId":"` + users[0] + `"},"output":{"recommendedItems":["a","b"]}}`,
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var rep BatchReport
	if err := checkBatchOutput(path, c, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.OutputLines != 5 || rep.ErrorLines != 1 || rep.ShortAnswers != 1 || rep.OutOfPlace != 2 || !strings.Contains(rep.ErrorSample, "not a JSON object") {
		t.Errorf("check of a wrong output: %+v; want 5 lines, 1 error, 1 short, 2 out of place", rep)
	}
	if err := os.WriteFile(path, []byte("not json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := checkBatchOutput(path, c, &BatchReport{}); err == nil {
		t.Error("an output line that is not JSON: no error")
	}
}

// TestBatchFlags refuses batch jobs that cannot run.
func TestBatchFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--batch-lines", "10"}, // no --prepare
		{"--batch-lines", "10", "--prepare", "--recommend-rate", "5"},
	} {
		cmd := exec.Command(benchBin, append([]string{"--endpoint", "http://127.0.0.1:1"}, args...)...)
		if out, err := cmd.CombinedOutput(); err == nil {
			t.Errorf("perch-bench %s: no error; printed %s", strings.Join(args, " "), out)
		}
	}
}
