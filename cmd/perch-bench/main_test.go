package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perchdev/perch/internal/perchtest"
	"github.com/perchdev/perch/loadgen"
)

// The binaries the tests run: perch-bench, and the perch server it loads.
var benchBin, perchBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "perch-bench-bin")
	if err != nil {
		panic(err)
	}
	benchBin, perchBin = filepath.Join(dir, "perch-bench"), filepath.Join(dir, "perch")
	for bin, pkg := range map[string]string{benchBin: ".", perchBin: "../perch"} {
		build := exec.Command("go", "build", "-o", bin, pkg)
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			os.RemoveAll(dir)
			panic("building " + pkg + ": " + err.Error())
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runBench runs perch-bench and returns its standard output.
func runBench(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(benchBin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("perch-bench %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// report runs perch-bench with --json and decodes its report.
func report(t *testing.T, args ...string) loadgen.Report {
	t.Helper()
	var rep loadgen.Report
	out := runBench(t, append([]string{"--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("perch-bench --json printed %q: %v", out, err)
	}
	return rep
}

// startPerch runs perch serve with extra arguments until the test ends and
// returns its endpoint.
func startPerch(t *testing.T, extra ...string) string {
	t.Helper()
	cmd := exec.Command(perchBin, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, extra...)...)
	t.Cleanup(func() {
		if cmd.Process != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	endpoint, err := perchtest.Start(cmd, nil)
	if err != nil {
		t.Fatal(err)
	}
	return endpoint
}

// freeAddr returns a loopback address no one listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestAgainstPerchServe(t *testing.T) {
	metricsAddr := freeAddr(t)
	endpoint := startPerch(t, "--region", "eu-west-1", "--metrics", metricsAddr)
	rep := report(t, "--endpoint", endpoint, "--setup", "--region", "eu-west-1",
		"--mix", "events=8,items=1,users=1", "--batch", "1-10", "--requests", "100", "--warmup", "0", "--concurrency", "4",
		"--server-metrics", "http://"+metricsAddr+"/metrics")
	if rep.Requests != 100 || rep.OK != 100 || rep.Mix != "events=8,items=1,users=1" || !rep.Signed {
		t.Errorf("report %+v; want 100 signed calls answered 200", rep)
	}
	// The server saw the same 100 calls (--setup's control-plane calls
	// are not the run's operations).
	if rep.Server == nil || rep.Server.Calls != 100 || rep.Server.Within10ms == nil {
		t.Errorf("the server's view %+v (%s); want its metrics of the 100 calls", rep.Server, rep.ServerError)
	} else if st := rep.Server.Store; st == nil || st.WaitForWriter.Count != 100 || st.GroupCommit.Count < 1 || st.GroupCommit.Count > 100 {
		t.Errorf("the store's view %+v; want each of the 100 calls' wait, in 1 to 100 groups", st)
	}
	// Open loop, unsigned, against the group the first run set up.
	rep = report(t, "--endpoint", endpoint, "--setup", "--sign=false", "--rate", "200", "--duration", "1s", "--warmup", "0")
	if rep.Mode != "open-loop" || rep.OK == 0 || rep.OK != rep.Requests || rep.Signed {
		t.Errorf("report %+v; want unsigned open-loop calls answered 200", rep)
	}
	// The text report, as a user reads it.
	if out := runBench(t, "--endpoint", endpoint, "--setup", "--requests", "20", "--warmup", "0", "--concurrency", "2"); !strings.Contains(out, "p99") {
		t.Errorf("the text report %q has no latency percentiles", out)
	}
}

func TestPrintBody(t *testing.T) {
	out := runBench(t, "--print-body", "--tracking-id", "tid")
	var body struct {
		TrackingID string            `json:"trackingId"`
		EventList  []json.RawMessage `json:"eventList"`
	}
	if err := json.Unmarshal([]byte(out), &body); err != nil || body.TrackingID != "tid" || len(body.EventList) != 10 {
		t.Errorf("perch-bench --print-body printed %q (%v); want a PutEvents body of 10 events", strings.TrimSpace(out), err)
	}
}

func TestRefusesAStrayArgument(t *testing.T) {
	cmd := exec.Command(benchBin, "noop")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil || !strings.Contains(stderr.String(), `unexpected argument "noop"`) {
		t.Errorf("perch-bench noop: %v, %q; want a refusal (the no-op server is go run ./bench/noop)", err, stderr.String())
	}
}
