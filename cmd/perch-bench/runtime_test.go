package main

import (
	"encoding/json"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// tinyModel is the --model-* flags of a model small enough to train in
// well under a second.
var tinyModel = []string{"--model-users", "300", "--model-items", "100", "--model-interactions", "6000", "--model-seed", "7"}

// modelRun runs perch-bench with --json and decodes its report of a
// --prepare or --recommend-rate run.
func modelRun(t *testing.T, args ...string) modelReport {
	t.Helper()
	var rep modelReport
	out := runBench(t, append([]string{"--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("perch-bench --json printed %q: %v", out, err)
	}
	return rep
}

// TestPrepareAndRecommend prepares a tiny model against perch serve, finds
// it again on a second --prepare, and sends both runtime calls to its
// campaign, with and without the events load.
func TestPrepareAndRecommend(t *testing.T) {
	s3 := t.TempDir()
	endpoint := startPerch(t, "--s3-root", s3)
	prep := append([]string{"--endpoint", endpoint, "--prepare", "--s3-root", s3, "--group", "tiny"}, tinyModel...)

	first := modelRun(t, prep...).Prepared
	if first == nil || first.CampaignARN == "" || first.SolutionVersionARN == "" || first.TrainingHours <= 0 ||
		first.ImportSeconds <= 0 || first.TrainingSeconds <= 0 || first.Interactions != 6000 {
		t.Fatalf("--prepare reported %+v; want a version trained and a campaign", first)
	}
	if _, err := os.Stat(filepath.Join(s3, s3Bucket, "tiny-interactions.csv")); err != nil {
		t.Errorf("the interactions' CSV: %v", err)
	}
	// A second --prepare finds all of it and trains nothing.
	again := modelRun(t, prep...).Prepared
	if again == nil || again.CampaignARN != first.CampaignARN || again.SolutionVersionARN != first.SolutionVersionARN ||
		again.ImportSeconds != 0 || again.TrainingSeconds != 0 || again.TrainingHours != first.TrainingHours {
		t.Errorf("a second --prepare reported %+v; want what the first made (%+v), nothing made again", again, first)
	}
	// Other data in the same group is refused rather than measured
	// against users the model does not hold.
	cmd := exec.Command(benchBin, "--endpoint", endpoint, "--prepare", "--s3-root", s3, "--group", "tiny", "--model-users", "301")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "give another --group") {
		t.Errorf("--prepare of other data in the same group: %v, %s; want a refusal", err, out)
	}

	run := []string{"--recommend-rate", "100", "--duration", "1s", "--warmup", "200ms", "--rate", "50", "--concurrency", "4", "--recommend-concurrency", "4"}
	rep := modelRun(t, append(prep, run...)...)
	rt := rep.Runtime
	if rt == nil || rt.Operation != callRecommendations || rt.Requests < 80 || rt.OK != rt.Requests || len(rt.Errors) != 0 {
		t.Fatalf("runtime report %+v; want about 100 GetRecommendations answered 200", rt)
	}
	if rt.ShortAnswers != 0 || rt.NumResults != 25 || rt.Known == nil || rt.Known.Count == 0 || rt.Unknown == nil ||
		rt.Unknown.Count == 0 || rt.Known.Count+rt.Unknown.Count != rt.OK || rt.Latency.P99 <= 0 {
		t.Errorf("runtime report %+v, known %+v, unknown %+v; want 25 items each, for both kinds of user", rt, rt.Known, rt.Unknown)
	}
	if ev := rep.Events; ev == nil || ev.Requests < 40 || ev.OK != ev.Requests {
		t.Errorf("events report %+v; want the events load beside the runtime calls", ev)
	}

	// The baseline, alone, through --campaign rather than --prepare.
	rep = modelRun(t, "--endpoint", endpoint, "--campaign", first.CampaignARN, "--recommend-call", callDescribeCampaign,
		"--events=false", "--recommend-rate", "100", "--duration", "1s", "--warmup", "0", "--sign=false")
	if rt := rep.Runtime; rt == nil || rt.Operation != callDescribeCampaign || rt.Requests < 80 || rt.OK != rt.Requests ||
		rt.Signed || rt.Known != nil || rep.Events != nil || rep.Prepared != nil {
		t.Errorf("DescribeCampaign alone: %+v; want about 100 calls answered 200 and no events load", rep)
	}

	// The text report, as people read it.
	out := runBench(t, append(prep, "--recommend-rate", "50", "--duration", "500ms", "--warmup", "0", "--rate", "20")...)
	for _, want := range []string{"trainingHours", "GetRecommendations: open loop at 50 calls/s", "known", "PutEvents"} {
		if !strings.Contains(out, want) {
			t.Errorf("the text report lacks %q:\n%s", want, out)
		}
	}
}

// TestRuntimeFlags checks the refusals of runtime calls that cannot run.
func TestRuntimeFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--recommend-rate", "10"}, // no campaign
		{"--recommend-rate", "10", "--campaign", "arn:x", "--recommend-call", "GetPersonalizedRanking"},
		{"--recommend-rate", "10", "--campaign", "arn:x", "--num-results", "0"},
		{"--recommend-rate", "10", "--campaign", "arn:x", "--unknown-users", "2"},
	} {
		cmd := exec.Command(benchBin, append([]string{"--endpoint", "http://127.0.0.1:1", "--model-users", "10", "--model-items", "10",
			"--model-interactions", "100"}, args...)...)
		if out, err := cmd.CombinedOutput(); err == nil {
			t.Errorf("perch-bench %s: no error; printed %s", strings.Join(args, " "), out)
		}
	}
}

// TestBuild checks the bodies of the runtime calls: JSON as the SDK
// writes it, for known users or the events load's, as --unknown-users
// shares them.
func TestBuild(t *testing.T) {
	r := &runtimeLoad{cfg: runtimeConfig{call: callRecommendations, campaign: "arn:c", numResults: 25,
		known: []string{"u1", "u2"}, unknownShare: 0.5, unknownUsers: 1000}}
	rng := rand.New(rand.NewPCG(1, 2))
	unknown := 0
	var body []byte
	for range 1000 {
		var c call
		body, c = r.build(body[:0], rng)
		var got struct {
			CampaignARN string `json:"campaignArn"`
			NumResults  int    `json:"numResults"`
			UserID      string `json:"userId"`
		}
		if err := json.Unmarshal(c.body, &got); err != nil || got.CampaignARN != "arn:c" || got.NumResults != 25 || c.path != "/recommendations" {
			t.Fatalf("body %s (%v) to %s", c.body, err, c.path)
		}
		if c.unknown != strings.HasPrefix(got.UserID, "user-") || (!c.unknown && got.UserID != "u1" && got.UserID != "u2") {
			t.Fatalf("user %q, unknown %v", got.UserID, c.unknown)
		}
		if c.unknown {
			unknown++
		}
	}
	if unknown < 400 || unknown > 600 {
		t.Errorf("%d of 1000 calls for unknown users; want about half", unknown)
	}
	r.cfg.call = callDescribeCampaign
	if _, c := r.build(nil, rng); string(c.body) != `{"campaignArn":"arn:c"}` || c.target != "AmazonPersonalize.DescribeCampaign" || c.path != "/" {
		t.Errorf("DescribeCampaign call %+v", c)
	}
}

// TestRuntimeNeedsHTTP refuses an endpoint the fasthttp client cannot
// reach.
func TestRuntimeNeedsHTTP(t *testing.T) {
	u, _ := url.Parse("https://127.0.0.1:1")
	cfg := runtimeConfig{endpoint: u, call: callDescribeCampaign, campaign: "arn:c", rate: 1, concurrency: 1, duration: 1}
	if _, err := runRuntime(t.Context(), cfg); err == nil {
		t.Error("runtime calls over https: no error")
	}
}
