package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/perchdev/perch/loadgen"
)

var readyLine = regexp.MustCompile(`msg="noop ready" endpoint=(\S+)`)

// start runs the command with args until the test ends and returns its
// endpoint and ready line.
func start(t *testing.T, args ...string) (endpoint, ready string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, args, pw)
		pw.CloseWithError(err)
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("noop %s: %v", strings.Join(args, " "), err)
		}
	})
	lines := bufio.NewReader(pr)
	line, err := lines.ReadString('\n')
	m := readyLine.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("noop %s logged %q (%v), not its ready line", strings.Join(args, " "), line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, lines) }()
	return m[1], line
}

// Every combination of the flags serves what perch-bench sends, and only
// --log writes the log.
func TestServesTheLoad(t *testing.T) {
	for _, tt := range []struct {
		decode, log bool
		http        string
	}{
		{false, false, "net/http"}, {true, false, "net/http"}, {false, true, "net/http"}, {true, true, "net/http"},
		{false, false, "fasthttp"}, {true, true, "fasthttp"},
	} {
		args := []string{"--addr", "127.0.0.1:0", "--http", tt.http}
		if tt.decode {
			args = append(args, "--decode")
		}
		logDir := t.TempDir()
		if tt.log {
			args = append(args, "--log", logDir)
		}
		endpoint, ready := start(t, args...)
		if !strings.Contains(ready, "http="+tt.http+" ") {
			t.Errorf("%+v: the ready line %q does not name %s", tt, ready, tt.http)
		}
		w := loadgen.DefaultWorkload()
		w.TrackingID = "any"
		rep, err := loadgen.Run(context.Background(), loadgen.Config{
			Endpoint: endpoint, Workload: w, Concurrency: 4, Requests: 50, Sign: true,
			Credentials: loadgen.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret", Region: "us-east-1"},
		})
		if err != nil {
			t.Fatalf("%+v: %v", tt, err)
		}
		if rep.OK != 50 {
			t.Errorf("%+v: report %+v; want 50 calls answered 200", tt, rep)
		}
		fi, err := os.Stat(filepath.Join(logDir, "noop.log"))
		switch {
		case tt.log && (err != nil || fi.Size() != ringLogBytes):
			t.Errorf("--log: the log is %v (%v); want a file of %d bytes", fi, err, ringLogBytes)
		case !tt.log && err == nil:
			t.Errorf("without --log the server wrote %s", fi.Name())
		}
	}
}

func TestRefusesAnUnknownServer(t *testing.T) {
	err := run(context.Background(), []string{"--addr", "127.0.0.1:0", "--http", "h2o"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `--http "h2o": net/http or fasthttp`) {
		t.Errorf("--http h2o: %v; want the two servers it serves on", err)
	}
}
