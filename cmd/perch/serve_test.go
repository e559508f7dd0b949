package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents"
	etypes "github.com/aws/aws-sdk-go-v2/service/personalizeevents/types"
	"github.com/perchdev/perch/internal/perchtest"
)

// perchBin is the perch binary built once for the process-level tests.
var perchBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "perch-bin")
	if err != nil {
		panic(err)
	}
	perchBin = filepath.Join(dir, "perch")
	build := exec.Command("go", "build", "-o", perchBin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		panic("building perch: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is a running `perch serve` process.
type server struct {
	cmd      *exec.Cmd
	endpoint string
	stdout   *lockedBuffer

	logMu   sync.Mutex
	log     []string // stderr, line by line
	logSeen int      // lines of log that waitLog has gone past
}

// logged reports whether the server has logged a line containing text.
func (s *server) logged(text string) bool {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	for _, l := range s.log {
		if strings.Contains(l, text) {
			return true
		}
	}
	return false
}

// startServer runs perch serve on a free port with the given data
// directory and waits for its ready line.
func startServer(t *testing.T, dataDir string, extra ...string) *server {
	t.Helper()
	return startServerWithEnv(t, dataDir, nil, extra...)
}

// startServerWithEnv is startServer with env added to the server's
// environment.
func startServerWithEnv(t *testing.T, dataDir string, env []string, extra ...string) *server {
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dataDir, "--region", "eu-west-1", "--account-id", "111122223333"}, extra...)
	cmd := exec.Command(perchBin, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	s := &server{cmd: cmd, stdout: &lockedBuffer{}}
	cmd.Stdout = s.stdout
	t.Cleanup(func() {
		if cmd.Process != nil && cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	endpoint, err := perchtest.Start(cmd, func(line string) {
		s.logMu.Lock()
		s.log = append(s.log, line)
		s.logMu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	s.endpoint = endpoint
	// Quickstart prints before the ready line is logged, but the two
	// streams are copied apart.
	if slices.Contains(extra, "--quickstart") {
		deadline := time.Now().Add(10 * time.Second)
		// Its last line names perch records; wait for all of it.
		for !strings.Contains(s.stdout.String(), "perch records ") && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	return s
}

// freeAddr returns a loopback address no one listens on now, for a
// listener the server under test opens.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// lockedBuffer is a process's output, written by the goroutine that copies
// it and read by the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitLog waits for a line containing want, logged after the line an
// earlier waitLog returned, and returns it.
func (s *server) waitLog(t *testing.T, want string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		s.logMu.Lock()
		for ; s.logSeen < len(s.log); s.logSeen++ {
			if line := s.log[s.logSeen]; strings.Contains(line, want) {
				s.logSeen++
				s.logMu.Unlock()
				return line
			}
		}
		s.logMu.Unlock()
		if s.cmd.ProcessState != nil {
			t.Fatalf("perch serve exited without logging %q", want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("perch serve did not log %q within a minute", want)
	return ""
}

// kill9 ends the server the hard way: no shutdown, no flush.
func (s *server) kill9(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Wait()
}

// runPerch runs the perch binary and returns its standard output.
func runPerch(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(perchBin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("perch %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

var trackingIDLine = regexp.MustCompile(`trackingId\s+(\S+)`)
var interactionsLine = regexp.MustCompile(`interactions dataset\s+(\S+)`)

// TestQuickstartSurvivesKill9 runs the README's command, sends events to
// what it printed, kills the process without warning, and checks that the
// restarted server still has every acknowledged record and resource.
func TestQuickstartSurvivesKill9(t *testing.T) {
	dataDir := t.TempDir()
	s := startServer(t, dataDir, "--quickstart")
	out := s.stdout.String()
	m := trackingIDLine.FindStringSubmatch(out)
	d := interactionsLine.FindStringSubmatch(out)
	if m == nil || d == nil {
		t.Fatalf("quickstart output lacks the trackingId or dataset ARN:\n%s", out)
	}
	trackingID, datasetARN := m[1], d[1]
	if !strings.Contains(out, "aws personalize-events put-events --endpoint-url "+s.endpoint) {
		t.Errorf("quickstart output lacks a ready-to-paste put-events command:\n%s", out)
	}
	if want := "arn:aws:personalize:eu-west-1:111122223333:dataset/perch-demo/INTERACTIONS"; datasetARN != want {
		t.Errorf("interactions dataset = %s, want %s", datasetARN, want)
	}

	client := personalizeevents.New(personalizeevents.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(s.endpoint), Retryer: aws.NopRetryer{},
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, nil
		}),
	})
	const requests = 50
	for i := range requests {
		_, err := client.PutEvents(context.Background(), &personalizeevents.PutEventsInput{
			TrackingId: aws.String(trackingID), UserId: aws.String("user-" + string(rune('a'+i%5))), SessionId: aws.String("s"),
			EventList: []etypes.Event{
				{EventType: aws.String("click"), ItemId: aws.String("item-1"), SentAt: aws.Time(time.Unix(1700000000+int64(i), 0))},
				{EventType: aws.String("view"), ItemId: aws.String("item-2"), SentAt: aws.Time(time.Unix(1700000000+int64(i), 0))},
			},
		})
		if err != nil {
			t.Fatalf("PutEvents %d: %v", i, err)
		}
	}
	s.kill9(t)

	s = startServer(t, dataDir, "--quickstart")
	if m2 := trackingIDLine.FindStringSubmatch(s.stdout.String()); m2 == nil || m2[1] != trackingID {
		t.Fatalf("after restart quickstart printed another tracker:\n%s", s.stdout.String())
	}
	lines := nonEmptyLines(runPerch(t, "records", datasetARN, "--endpoint", s.endpoint))
	if len(lines) != 2*requests {
		t.Fatalf("after kill -9: %d records, want %d", len(lines), 2*requests)
	}
	userLines := nonEmptyLines(runPerch(t, "records", datasetARN, "--endpoint", s.endpoint, "--user-id", "user-a", "--limit", "4"))
	if len(userLines) != 4 {
		t.Fatalf("records --user-id user-a --limit 4 printed %d lines", len(userLines))
	}
	for _, l := range userLines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("record line %q: %v", l, err)
		}
		if rec["userId"] != "user-a" {
			t.Errorf("records --user-id user-a printed %s", l)
		}
	}

	// SIGTERM shuts down cleanly.
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Wait(); err != nil {
		t.Errorf("perch serve after SIGTERM: %v", err)
	}
}

func TestRecordsReportsUnknownDataset(t *testing.T) {
	s := startServer(t, t.TempDir())
	cmd := exec.Command(perchBin, "records", "arn:aws:personalize:eu-west-1:111122223333:dataset/nope/INTERACTIONS", "--endpoint", s.endpoint)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Run(); err == nil {
		t.Fatal("perch records of an unknown dataset succeeded")
	}
	if !strings.Contains(stderr.String(), "ResourceNotFoundException") {
		t.Errorf("stderr = %q, want ResourceNotFoundException", stderr.String())
	}
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// TestRecordsWithABareEnvironment: with no AWS variables at all (no
// credentials, no CA bundle, no region), perch records reads a plain http
// endpoint unsigned, as a server running --auth none accepts.
func TestRecordsWithABareEnvironment(t *testing.T) {
	s := startServer(t, t.TempDir(), "--quickstart")
	out := s.stdout.String()
	m, d := trackingIDLine.FindStringSubmatch(out), interactionsLine.FindStringSubmatch(out)
	if m == nil || d == nil {
		t.Fatalf("quickstart output lacks the trackingId or dataset ARN:\n%s", out)
	}
	client := personalizeevents.New(personalizeevents.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(s.endpoint), Retryer: aws.NopRetryer{},
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, nil
		}),
	})
	if _, err := client.PutEvents(context.Background(), &personalizeevents.PutEventsInput{
		TrackingId: aws.String(m[1]), UserId: aws.String("u"), SessionId: aws.String("s"),
		EventList: []etypes.Event{{EventId: aws.String("e1"), EventType: aws.String("click"), SentAt: aws.Time(time.Unix(1700000000, 0))}},
	}); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := recordsWithEnv(t, nil, d[1], "--endpoint", s.endpoint)
	if code != 0 || !strings.Contains(stdout, `"eventId":"e1"`) {
		t.Fatalf("perch records: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// defaultProcs is GOMAXPROCS as the runtime set it for the test process,
// before any test could change it.
var defaultProcs = runtime.GOMAXPROCS(0)

// perch serve runs with one P more than the runtime's default, unless
// GOMAXPROCS says otherwise or --tune off leaves the default alone.
func TestServeTakesOneMoreProc(t *testing.T) {
	want := defaultProcs + 1
	if env := os.Getenv("GOMAXPROCS"); env != "" {
		want, _ = strconv.Atoi(env)
	}
	procs := func(s *server) string {
		m := regexp.MustCompile(`procs=(\d+)`).FindStringSubmatch(s.waitLog(t, "perch ready"))
		if m == nil {
			t.Fatal("the ready line does not say procs")
		}
		return m[1]
	}
	if got := procs(startServer(t, t.TempDir())); got != strconv.Itoa(want) {
		t.Errorf("procs = %s, want %d (the runtime's default %d, plus one)", got, want, defaultProcs)
	}
	if got := procs(startServerWithEnv(t, t.TempDir(), []string{"GOMAXPROCS=1"})); got != "1" {
		t.Errorf("with GOMAXPROCS=1: procs = %s, want 1", got)
	}
	if env := os.Getenv("GOMAXPROCS"); env == "" {
		if got := procs(startServer(t, t.TempDir(), "--tune", "off")); got != strconv.Itoa(defaultProcs) {
			t.Errorf("--tune off: procs = %s, want the runtime's default %d", got, defaultProcs)
		}
	}
}

func TestServeProfiles(t *testing.T) {
	addr := freeAddr(t)
	s := startServer(t, t.TempDir(), "--pprof", addr)
	get := func(url string) int {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get("http://" + addr + "/debug/pprof/cmdline"); code != http.StatusOK {
		t.Errorf("--pprof %s: /debug/pprof/cmdline answered %d", addr, code)
	}
	if code := get(s.endpoint + "/debug/pprof/cmdline"); code == http.StatusOK {
		t.Error("the API's address serves profiles")
	}
}

// A listener apart that cannot be opened fails the start before the API
// is served, and leaves the store closed for the next start.
func TestServeFailsOnABusyAddressApart(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dataDir := t.TempDir()
	for _, flag := range []string{"--pprof", "--metrics"} {
		cmd := exec.Command(perchBin, "serve", "--addr", "127.0.0.1:0", "--data", dataDir, flag, busy.Addr().String())
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err == nil || !strings.Contains(stderr.String(), flag+":") || strings.Contains(stderr.String(), "perch ready") {
			t.Errorf("perch serve %s on a busy address: %v, %q; want a refusal before it is ready", flag, err, stderr.String())
		}
	}
	startServer(t, dataDir)
}

// TestServeRefusesNegativeLimits checks that numeric flags that cannot be
// negative are refused before anything is created.
func TestServeRefusesNegativeLimits(t *testing.T) {
	for _, args := range [][]string{
		{"--wal-min-sync", "-1ms"},
		{"--min-free-mb", "-1"},
		{"--max-in-flight", "-1"},
		{"--max-connections", "0"},
		{"--batch-workers", "-1"},
	} {
		dataDir := filepath.Join(t.TempDir(), "data")
		cmd := exec.Command(perchBin, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dataDir}, args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err == nil || !strings.Contains(stderr.String(), "not negative") {
			t.Errorf("perch serve %v: %v, %q; want a refusal", args, err, stderr.String())
		}
		if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
			t.Errorf("perch serve %v created the data directory (%v)", args, err)
		}
	}
}
