package compat_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perchdev/perch/internal/testenv"
)

// A client is one real client program and how the suite drives it.
type client struct {
	id   string
	name string
	// region the client signs for; perch serves any.
	region string
	// eventsOnly clients have no control-plane API; the suite creates
	// their resources with the Go SDK.
	eventsOnly bool
	// wholeSeconds clients send timestamps as whole epoch seconds.
	wholeSeconds bool
	// mayLack lists operations this client may report it does not have;
	// its driver must show the evidence (help output, a missing action).
	mayLack []string
	// adapt changes a step the client cannot express as planned and says
	// why; nil when nothing changes.
	adapt func(*step) string
	// requires says why the client cannot run here and how to install it.
	requires func() error
	// skip, when it says something, is why the client is not run: the
	// suite cannot install it, and the test is skipped saying so.
	skip func() string
	// run drives the client through p and returns the client's version
	// and one result per step.
	run func(ctx context.Context, p *plan) (string, []result, error)
	// noLoop, when it says something, is why the client does not run the
	// recommendation loop (loop_test.go).
	noLoop string
	// loopImports, when it says something, is why the client's loop sends
	// its interactions with a dataset import job rather than PutEvents.
	loopImports string
}

// A result is what a driver reports for one step.
type result struct {
	ID     string         `json:"id"`
	Status string         `json:"status"` // ok, error, lacks or fail
	Output map[string]any `json:"output"`
	Error  *clientError   `json:"error"`
	Detail string         `json:"detail"`
	// Calls is how many requests a polling step made.
	Calls int `json:"calls"`
}

// clientError is an error as the client surfaced it.
type clientError struct {
	Code       string `json:"code"`
	Message    string `json:"message"`
	Class      string `json:"class"` // the exception class (or what the client shows instead)
	HTTPStatus int    `json:"httpStatus"`
}

func clients() []*client {
	python := pythonPath()
	const cliImports = "the loop's interactions are imported by a dataset import job from a CSV under perch's --s3-root: " +
		"at one CLI process per PutEvents call of ten events, sending them would take minutes"
	const pawsNoLoop = "the suite drives Paws's events API only (Paws::PersonalizeEvents)"
	return []*client{
		{id: "cli1", name: "AWS CLI v1", region: "us-east-1", wholeSeconds: true, loopImports: cliImports,
			requires: outputHas("aws-cli/1.", "install AWS CLI v1 into this Python (pip install awscli)", python, "-m", "awscli", "--version"),
			run:      script(python, "drivers/aws_cli.py", "--aws", python+" -m awscli")},
		{id: "cli2", name: "AWS CLI v2", region: "eu-central-1", wholeSeconds: true, loopImports: cliImports,
			mayLack:  []string{"PutActions", "PutActionInteractions", "GetActionRecommendations"},
			requires: outputHas("aws-cli/2.", "install Debian's AWS CLI v2 (apt-get install -y awscli)", cliV2Path, "--version"),
			run:      script(python, "drivers/aws_cli.py", "--aws", cliV2Path)},
		{id: "boto3", name: "boto3", region: "ap-southeast-2", wholeSeconds: true,
			requires: outputHas("boto3", "install boto3 into this Python (pip install boto3, or Debian's python3-boto3)", python, "-c", "import boto3; print('boto3', boto3.__version__)"),
			run:      script(python, "drivers/boto3_driver.py")},
		{id: "jsv2", name: "JS SDK v2 (aws-sdk)", region: "us-west-2", requires: jsInstalled,
			run: script("node", "js/sdk_v2.js")},
		{id: "jsv3", name: "JS SDK v3", region: "sa-east-1", requires: jsInstalled,
			run: script("node", "js/sdk_v3.js")},
		{id: "datafire", name: "DataFire", region: "us-east-2", eventsOnly: true, requires: jsInstalled,
			mayLack: []string{"PutActions", "PutActionInteractions"},
			adapt:   dataFireAdapt, run: script("node", "js/datafire.js"),
			noLoop: "DataFire's integration has neither the control plane nor the runtime"},
		{id: "go", name: "Go SDK v2", region: "eu-west-3", run: runGoSDK},
		{id: "paws", name: "Paws (Perl)", region: "eu-north-1", eventsOnly: true, mayLack: pawsLacks,
			adapt: pawsAdapt, skip: pawsMissing, run: runPaws, noLoop: pawsNoLoop},
		{id: "paws-wire", name: "Paws's requests (raw HTTP)", region: "eu-north-1", eventsOnly: true, mayLack: pawsLacks,
			adapt: pawsAdapt, run: runPawsWire, noLoop: pawsNoLoop},
	}
}

// outputHas checks that a command runs and prints want.
func outputHas(want, hint string, name string, args ...string) func() error {
	return func() error {
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte(want)) {
			return fmt.Errorf("%s %s printed %q (%v); want %q: %s", name, strings.Join(args, " "), bytes.TrimSpace(out), err, want, hint)
		}
		return nil
	}
}

// jsInstalled checks for Node.js and the npm packages of js/.
func jsInstalled() error {
	if _, err := exec.LookPath("node"); err != nil {
		return fmt.Errorf("node is not installed (Debian: apt-get install -y nodejs npm)")
	}
	if npmErr != nil {
		return fmt.Errorf("the JavaScript clients are not installed: %v", npmErr)
	}
	return nil
}

// cliV2Path is where Debian's awscli package puts AWS CLI v2.
const cliV2Path = "/usr/bin/aws"

// dataFireAdapt drops properties from DataFire's happy steps: its JSON
// schema types properties as a string, which aws-sdk v2 (its transport)
// JSON-encodes a second time, so AWS answers "Error parsing properties
// json" to any properties DataFire sends. The error steps keep them and
// check exactly that answer.
func dataFireAdapt(s *step) string {
	if s.Case != "happy" {
		return ""
	}
	changed := false
	for _, list := range []string{"eventList", "items", "users", "actions", "actionInteractions"} {
		records, _ := s.Input[list].([]any)
		for _, r := range records {
			if m, ok := r.(map[string]any); ok && m["properties"] != nil {
				delete(m, "properties")
				changed = true
			}
		}
	}
	if !changed {
		return ""
	}
	return "happy paths sent without properties: DataFire's schema types them as a string and aws-sdk v2 encodes that string again, " +
		"which AWS (and perch) reject with \"Error parsing properties json\" (checked on the error paths)"
}

// pythonPath is the Python that has boto3 and AWS CLI v1: the
// interpreter itself rather than a version manager's shim, which costs a
// shell per call.
var pythonPath = sync.OnceValue(func() string {
	out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
	if p := strings.TrimSpace(string(out)); err == nil && p != "" {
		return p
	}
	return "python3"
})

// script returns a run function that executes a driver program with the
// plan's path as its last argument and reads its JSON lines.
func script(interpreter, path string, args ...string) func(context.Context, *plan) (string, []result, error) {
	return func(ctx context.Context, p *plan) (string, []result, error) {
		dir, err := os.MkdirTemp("", "perch-compat-plan")
		if err != nil {
			return "", nil, err
		}
		defer os.RemoveAll(dir)
		planPath := filepath.Join(dir, "plan.json")
		b, err := json.Marshal(p)
		if err != nil {
			return "", nil, err
		}
		if err := os.WriteFile(planPath, b, 0o600); err != nil {
			return "", nil, err
		}
		argv := append([]string{path}, args...)
		argv = append(argv, planPath)
		cmd := exec.CommandContext(ctx, interpreter, argv...)
		cmd.Env = clientEnv(p.Region)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		runErr := cmd.Run()
		version, results := parseDriverOutput(stdout.Bytes())
		if runErr != nil {
			return version, results, fmt.Errorf("%s %s: %v\nstderr:\n%s\nstdout:\n%s", interpreter, path, runErr, tail(stderr.String()), tail(stdout.String()))
		}
		return version, results, nil
	}
}

func tail(s string) string {
	const max = 4000
	if len(s) > max {
		return "..." + s[len(s)-max:]
	}
	return s
}

// parseDriverOutput reads a driver's JSON lines: {"version": ...} once,
// then one result per step. Other lines are the client's own chatter.
func parseDriverOutput(out []byte) (string, []result) {
	var version string
	var results []result
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(bytes.TrimSpace(line), []byte("{")) {
			continue
		}
		var probe struct {
			Version string `json:"version"`
			ID      string `json:"id"`
		}
		if json.Unmarshal(line, &probe) != nil {
			continue
		}
		switch {
		case probe.Version != "":
			version = probe.Version
		case probe.ID != "":
			var r result
			if json.Unmarshal(line, &r) == nil {
				results = append(results, r)
			}
		}
	}
	return version, results
}

// clientEnv is the environment of a client process: dummy credentials
// and a region, and nothing from the developer's own AWS setup.
func clientEnv(region string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return append(env,
		"AWS_ACCESS_KEY_ID=perch-compat",
		"AWS_SECRET_ACCESS_KEY=perch-compat-secret",
		"AWS_DEFAULT_REGION="+region,
		"AWS_REGION="+region,
		"AWS_CONFIG_FILE="+os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE="+os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
	)
}

// TestClients drives every client through the whole flow against the
// real perch binary and fills the report.
func TestClients(t *testing.T) {
	endpoint := startPerch(t)
	for _, c := range clients() {
		rep := report.client(c.name)
		t.Run(c.id, func(t *testing.T) {
			t.Parallel()
			runClient(t, c, rep, endpoint)
		})
	}
}

func runClient(t *testing.T, c *client, rep *clientReport, endpoint string) {
	if c.skip != nil {
		if why := c.skip(); why != "" {
			rep.skip(why)
			t.Skip(why)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	defer reportNewFailures(t, rep, rep.failures())
	n := names{p: c.id}
	px := startProxy(t, endpoint)
	p := &plan{Endpoint: px.url, Region: c.region, Vars: map[string]string{}}

	all := append(controlSteps(n), eventSteps(n)...)
	all = append(all, seedSteps(n)...)
	all = append(all, pawsSteps(n)...)
	steps := forClient(c.id, all)
	for _, s := range all {
		if why, ok := s.except[c.id]; ok {
			rep.note("%s (%s) not run: %s", s.Op, s.ID, why)
		}
	}
	if c.eventsOnly {
		// The client has no control plane: the Go SDK creates what it needs.
		var control []*step
		for _, s := range steps {
			if s.API == apiControl && s.Case == "happy" {
				control = append(control, s)
			}
		}
		setup := &plan{Endpoint: endpoint, Region: c.region, Vars: map[string]string{}, Steps: control}
		_, results, err := runGoSDK(ctx, setup)
		if err == nil {
			err = firstFailure(control, results)
		}
		if err != nil {
			rep.fail("setup", "", "creating the resources with the Go SDK: %v", err)
			t.Fatalf("setup for %s: %v", c.name, err)
		}
		for _, r := range results {
			for v, path := range stepByID(control, r.ID).Save {
				p.Vars[v], _ = lookup(r.Output, path).(string)
			}
		}
		rep.note("resources created with the Go SDK (%s has no control-plane API)", c.name)
		var events []*step
		for _, s := range steps {
			if s.API == apiEvents {
				events = append(events, s)
			}
		}
		steps = events
	}
	// Work on copies: adapt may change inputs.
	for i, s := range steps {
		cp := *s
		cp.Input = clone(s.Input)
		if c.adapt != nil {
			if why := c.adapt(&cp); why != "" {
				rep.note("%s", why)
			}
		}
		steps[i] = &cp
	}
	p.Steps = steps
	if c.wholeSeconds {
		rep.note("timestamps are sent as whole epoch seconds (botocore drops the fraction), so the readback expects whole seconds")
	}

	requireClient(t, c, rep)
	byID := runPlan(t, c, rep, px, p)
	checkReadback(ctx, rep, c, endpoint, n, steps, byID)
}

// reportNewFailures fails the test with each failure of rep not in seen:
// a client's report is shared by the tests that drive it.
func reportNewFailures(t *testing.T, rep *clientReport, seen []string) {
	for _, f := range rep.failures() {
		if !slices.Contains(seen, f) {
			t.Error(f)
		}
	}
}

// requireClient skips the test, or fails it under PERCH_TEST_ALL, when c
// cannot run here.
func requireClient(t *testing.T, c *client, rep *clientReport) {
	t.Helper()
	if c.requires == nil {
		return
	}
	if err := c.requires(); err != nil {
		why := fmt.Sprintf("cannot run %s: %v", c.name, err)
		if testenv.All() {
			rep.fail("client", "", "%s", why)
		} else {
			rep.skip(why)
		}
		testenv.Missing(t, why)
	}
}

// runPlan runs c's driver through p, judges every step's result and
// returns the results by step id.
func runPlan(t *testing.T, c *client, rep *clientReport, px *proxy, p *plan) map[string]result {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	version, results, err := c.run(ctx, p)
	rep.setVersion(version)
	if err != nil {
		rep.fail("run", "", "%v", err)
		t.Errorf("%s could not be run: %v", c.name, err)
	}
	byID := map[string]result{}
	for _, r := range results {
		byID[r.ID] = r
	}
	for _, s := range p.Steps {
		r, ok := byID[s.ID]
		if !ok {
			rep.fail(s.row(), s.Case, "%s: the driver reported no result", s.ID)
			continue
		}
		judge(rep, c, px, p.Steps, byID, s, r)
	}
	return byID
}

func firstFailure(steps []*step, results []result) error {
	byID := map[string]result{}
	for _, r := range results {
		byID[r.ID] = r
	}
	for _, s := range steps {
		if r := byID[s.ID]; r.Status != "ok" {
			return fmt.Errorf("%s: %s %s %+v", s.ID, r.Status, r.Detail, r.Error)
		}
	}
	return nil
}

func stepByID(steps []*step, id string) *step {
	for _, s := range steps {
		if s.ID == id {
			return s
		}
	}
	return &step{}
}

// judge records whether result r is what step s, one of steps, must
// give.
func judge(rep *clientReport, c *client, px *proxy, steps []*step, results map[string]result, s *step, r result) {
	row := s.row()
	if r.Status == "lacks" {
		if slices.Contains(c.mayLack, s.Op) && r.Detail != "" {
			rep.lacks(row, s.Case, r.Detail)
		} else {
			rep.fail(row, s.Case, "%s: reported lacking %s without cause (%s)", s.ID, s.Op, r.Detail)
		}
		return
	}
	var problems []string
	switch s.Case {
	case "happy":
		if r.Status != "ok" {
			problems = append(problems, fmt.Sprintf("failed: %s %s", r.Detail, describe(r.Error)))
		} else if s.checkOutput != nil {
			if err := s.checkOutput(r.Output); err != nil {
				problems = append(problems, err.Error())
			}
		}
	case "error":
		problems = append(problems, checkError(s.want, r)...)
	}
	// Exactly one attempt per call: a client must not retry our 4xx.
	if n, statuses := px.attempts(s.Op, s.marker); n != sameRequests(steps, results, s) {
		problems = append(problems, fmt.Sprintf("%d requests reached perch (statuses %v), want %d", n, statuses, sameRequests(steps, results, s)))
	}
	if len(problems) > 0 {
		rep.fail(row, s.Case, "%s: %s", s.ID, strings.Join(problems, "; "))
		return
	}
	rep.pass(row, s.Case)
}

// sameRequests counts the calls of steps whose requests the proxy cannot
// tell apart from s's (a retry of the same call looks the same): the
// duplicate-name step repeats the create step's request, and a polling
// step makes as many calls as its driver reports.
func sameRequests(steps []*step, results map[string]result, s *step) int {
	n := 0
	for _, other := range steps {
		if other.Op == s.Op && other.marker == s.marker {
			if other.Poll != nil {
				n += results[other.ID].Calls
			} else {
				n++
			}
		}
	}
	return n
}

func checkError(want *wantError, r result) []string {
	if r.Status != "error" || r.Error == nil {
		return []string{fmt.Sprintf("want %s, got status %s %s", want.code, r.Status, r.Detail)}
	}
	var problems []string
	e := r.Error
	if e.Code != want.code {
		problems = append(problems, fmt.Sprintf("code %q, want %q", e.Code, want.code))
	}
	if e.Class != want.code {
		problems = append(problems, fmt.Sprintf("surfaced as %q, want the client's %s", e.Class, want.code))
	}
	if e.HTTPStatus != 0 && e.HTTPStatus != want.status {
		problems = append(problems, fmt.Sprintf("HTTP status %d, want %d", e.HTTPStatus, want.status))
	}
	for _, m := range want.message {
		if !strings.Contains(e.Message, m) {
			problems = append(problems, fmt.Sprintf("message %q lacks %q", e.Message, m))
		}
	}
	return problems
}

func describe(e *clientError) string {
	if e == nil {
		return ""
	}
	return fmt.Sprintf("[%s %s: %s]", e.Class, e.Code, e.Message)
}
