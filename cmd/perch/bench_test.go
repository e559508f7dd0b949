package main

import (
	"bufio"
	"cmp"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/perchdev/perch/loadgen"
)

// benchReport runs perch bench with --json and decodes its report.
func benchReport(t *testing.T, args ...string) loadgen.Report {
	t.Helper()
	var rep loadgen.Report
	out := runPerch(t, append([]string{"bench", "--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("perch bench --json printed %q: %v", out, err)
	}
	return rep
}

func TestBenchAgainstServe(t *testing.T) {
	metricsAddr := freeAddr(t)
	s := startServer(t, t.TempDir(), "--metrics", metricsAddr)
	rep := benchReport(t, "--endpoint", s.endpoint, "--setup", "--region", "eu-west-1",
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
	rep = benchReport(t, "--endpoint", s.endpoint, "--setup", "--sign=false", "--rate", "200", "--duration", "1s", "--warmup", "0")
	if rep.Mode != "open-loop" || rep.OK == 0 || rep.OK != rep.Requests || rep.Signed {
		t.Errorf("report %+v; want unsigned open-loop calls answered 200", rep)
	}
}

var noopReady = regexp.MustCompile(`msg="perch bench noop ready" endpoint=(\S+)`)

func TestBenchNoop(t *testing.T) {
	for _, tt := range []struct {
		decode, log bool
		http        string
	}{
		{false, false, ""}, {true, false, ""}, {false, true, ""},
		{false, false, "fasthttp"}, {true, true, "fasthttp"}, {true, true, "net/http"},
	} {
		args := []string{"bench", "noop", "--addr", "127.0.0.1:0"}
		if tt.http != "" {
			args = append(args, "--http", tt.http)
		}
		if tt.decode {
			args = append(args, "--decode")
		}
		logDir := t.TempDir()
		if tt.log {
			args = append(args, "--log", logDir)
		}
		cmd := exec.Command(perchBin, args...)
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(stderr).ReadString('\n')
		m := noopReady.FindStringSubmatch(line)
		if m == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("perch bench noop printed %q (%v), not its ready line", line, err)
		}
		if want := cmp.Or(tt.http, "net/http"); !strings.Contains(line, "http="+want+" ") {
			t.Errorf("%+v: the ready line %q does not name %s", tt, line, want)
		}
		rep := benchReport(t, "--endpoint", m[1], "--tracking-id", "any", "--requests", "50", "--warmup", "0")
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if rep.OK != 50 || rep.EventsPerSecond <= 0 {
			t.Errorf("%+v: report %+v; want 50 calls answered 200", tt, rep)
		}
		fi, err := os.Stat(filepath.Join(logDir, "noop.log"))
		switch {
		case tt.log && (err != nil || fi.Size() != loadgen.NoopLogBytes):
			t.Errorf("--log: the log is %v (%v); want a file of %d bytes", fi, err, loadgen.NoopLogBytes)
		case !tt.log && err == nil:
			t.Errorf("without --log the server wrote %s", fi.Name())
		}
	}
}

func TestBenchPrintBody(t *testing.T) {
	out := runPerch(t, "bench", "--print-body", "--tracking-id", "tid")
	var body struct {
		TrackingID string            `json:"trackingId"`
		EventList  []json.RawMessage `json:"eventList"`
	}
	if err := json.Unmarshal([]byte(out), &body); err != nil || body.TrackingID != "tid" || len(body.EventList) != 10 {
		t.Errorf("perch bench --print-body printed %q (%v); want a PutEvents body of 10 events", strings.TrimSpace(out), err)
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

func TestBenchNoopRefusesAnUnknownServer(t *testing.T) {
	if out := runPerchFails(t, "bench", "noop", "--addr", "127.0.0.1:0", "--http", "h2o"); !strings.Contains(out, `--http "h2o": net/http or fasthttp`) {
		t.Errorf("perch bench noop --http h2o printed %q; want the two servers it serves on", out)
	}
}
