package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents"
	etypes "github.com/aws/aws-sdk-go-v2/service/personalizeevents/types"
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
	stdout   fileOutput
}

// fileOutput is a process's standard output written straight to a file:
// everything the process printed before a line seen on its stderr is
// already in the file, which a pipe copied by a goroutine does not ensure.
type fileOutput struct{ path string }

func (o fileOutput) String() string {
	b, _ := os.ReadFile(o.path)
	return string(b)
}

var readyLine = regexp.MustCompile(`msg="perch ready" endpoint=(\S+)`)

// startServer runs perch serve on a free port with the given data
// directory and waits for its ready line.
func startServer(t *testing.T, dataDir string, extra ...string) *server {
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dataDir, "--region", "eu-west-1", "--account-id", "111122223333"}, extra...)
	cmd := exec.Command(perchBin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.CreateTemp(t.TempDir(), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close() // the process keeps its own descriptor
	s := &server{cmd: cmd, stdout: fileOutput{out.Name()}}
	cmd.Stdout = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := readyLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		close(found)
	}()
	select {
	case ep, ok := <-found:
		if !ok {
			_ = cmd.Wait()
			t.Fatalf("perch serve exited before it was ready: %v", cmd.ProcessState)
		}
		s.endpoint = ep
	case <-time.After(60 * time.Second):
		t.Fatal("perch serve did not report ready within a minute")
	}
	return s
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
