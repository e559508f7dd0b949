package compat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perchdev/perch/internal/perchtest"
)

// perchBin is the perch binary the suite drives, built once.
var perchBin string

// buildPerch builds cmd/perch into dir.
func buildPerch(dir string) error {
	perchBin = filepath.Join(dir, "perch")
	cmd := exec.Command("go", "build", "-o", perchBin, "../cmd/perch")
	cmd.Stderr = os.Stderr
	return cmd.Run()
}

// startPerch runs `perch serve` on a free port with a fresh data directory
// and returns its endpoint once it has said it is ready.
func startPerch(t *testing.T, extra ...string) string {
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(),
		"--region", perchRegion, "--account-id", perchAccount}, extra...)
	cmd := exec.Command(perchBin, args...)
	t.Cleanup(func() {
		if cmd.Process == nil {
			return
		}
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	endpoint, err := perchtest.Start(cmd, nil)
	if err != nil {
		t.Fatal(err)
	}
	return endpoint
}

// exchange is one request that went through the proxy.
type exchange struct {
	op     string
	body   string
	status int
}

// proxy sits between a client and perch and records every request, so
// the suite can tell how many attempts a client made for each call.
type proxy struct {
	url string
	mu  sync.Mutex
	log []exchange
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body bytes.Buffer
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.TeeReader(r.Body, &body), r.Body}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		rp.ServeHTTP(rec, r)
		p.mu.Lock()
		p.log = append(p.log, exchange{op: operationOf(r), body: body.String(), status: rec.status})
		p.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

// attempts counts the requests for op whose body holds the JSON string
// marker, or a string beginning with a marker that ends in "/".
func (p *proxy) attempts(op, marker string) (n int, statuses []int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	quoted := `"` + marker
	if !strings.HasSuffix(marker, "/") {
		quoted += `"`
	}
	for _, x := range p.log {
		if x.op == op && strings.Contains(x.body, quoted) {
			n++
			statuses = append(statuses, x.status)
		}
	}
	return n, statuses
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// restPaths are the operations of the rest-json APIs, events and runtime.
var restPaths = map[string]string{
	"/events": "PutEvents", "/items": "PutItems", "/users": "PutUsers",
	"/actions": "PutActions", "/action-interactions": "PutActionInteractions",
	"/recommendations": "GetRecommendations", "/personalize-ranking": "GetPersonalizedRanking",
	"/action-recommendations": "GetActionRecommendations",
}

func operationOf(r *http.Request) string {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		return strings.TrimPrefix(target, "AmazonPersonalize.")
	}
	if op, ok := restPaths[r.URL.Path]; ok {
		return op
	}
	return r.Method + " " + r.URL.Path
}

// records reads a dataset's records with `perch records`.
func records(ctx context.Context, endpoint, datasetARN string) ([]map[string]any, error) {
	cmd := exec.CommandContext(ctx, perchBin, "records", datasetARN, "--endpoint", endpoint)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("perch records %s: %v: %s", datasetARN, err, stderr.String())
	}
	var recs []map[string]any
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("perch records %s: %v", datasetARN, err)
		}
		recs = append(recs, m)
	}
	return recs, nil
}
