package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/perchdev/perch/internal/perchtest"
	"github.com/perchdev/perch/internal/pgtest"
	"github.com/perchdev/perch/internal/testenv"
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
	endpoint, _ := startPerchProcess(t, extra...)
	return endpoint
}

// startPerchProcess is startPerch that also returns the server's process
// id.
func startPerchProcess(t *testing.T, extra ...string) (endpoint string, pid int) {
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
	return endpoint, cmd.Process.Pid
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

// TestSeveralNodes loads two perch nodes sharing one PostgreSQL database
// through one perch-bench: --setup makes the dataset group on the first,
// both serve it, each takes the calls of its own connections, and every
// event is stored once.
func TestSeveralNodes(t *testing.T) {
	if why := pgtest.Missing(); why != "" {
		testenv.Missing(t, why)
	}
	db := pgtest.Database(t)
	var endpoints, metrics []string
	for range 2 {
		addr := freeAddr(t)
		endpoints = append(endpoints, startPerch(t, "--store", db, "--metrics", addr))
		metrics = append(metrics, "http://"+addr+"/metrics")
	}
	rep := report(t, "--endpoint", strings.Join(endpoints, ","), "--setup", "--requests", "200", "--warmup", "0", "--concurrency", "6")
	if rep.OK != 200 || rep.Endpoint != strings.Join(endpoints, ",") || len(rep.Endpoints) != 2 {
		t.Fatalf("report %+v; want 200 calls answered 200 by the two nodes", rep)
	}
	for i, e := range rep.Endpoints {
		served := putEventsServed(t, metrics[i])
		if e.Endpoint != endpoints[i] || e.Connections != 3 || e.Requests == 0 || e.OK != e.Requests || served != e.Requests {
			t.Errorf("node %s served %d PutEvents calls; the report's part %+v, want 3 connections and every call it sent", endpoints[i], served, e)
		}
	}
	// Read back through the second node, which set nothing up.
	const arn = "arn:aws:personalize:us-east-1:000000000000:dataset/perch-bench/INTERACTIONS"
	records := strings.Count(runPerch(t, "records", arn, "--endpoint", endpoints[1]), "\n")
	if int64(records) != rep.EventsSent || records != 2000 {
		t.Errorf("the nodes stored %d events; perch-bench sent %d", records, rep.EventsSent)
	}
}

// putEventsServed reads from a perch node's metrics how many PutEvents
// calls it answered.
func putEventsServed(t *testing.T, metricsURL string) int64 {
	t.Helper()
	resp, err := http.Get(metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for line := range strings.Lines(string(body)) {
		if strings.HasPrefix(line, "perch_requests_total{") && strings.Contains(line, `operation="PutEvents"`) {
			fields := strings.Fields(line)
			v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
			if err != nil {
				t.Fatalf("%s: %q: %v", metricsURL, line, err)
			}
			n += int64(v)
		}
	}
	return n
}

// runPerch runs the perch binary and returns its standard output.
func runPerch(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(perchBin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=perch-bench", "AWS_SECRET_ACCESS_KEY=perch-bench", "AWS_REGION=us-east-1")
	if err := cmd.Run(); err != nil {
		t.Fatalf("perch %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
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
