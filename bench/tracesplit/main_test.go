package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime/trace"
	"strings"
	"testing"
	"time"
)

// A traced HTTP server whose handler sleeps: every call on the kept-alive
// connection after the first (whose request came with the connection,
// before its goroutine waited on the network) is found, takes at least
// the sleep, and has the sleep among its other waits.
func TestSplitFindsTheCallsOfAServer(t *testing.T) {
	const calls, sleep = 20, 2 * time.Millisecond
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		time.Sleep(sleep)
		_, _ = w.Write([]byte("{}"))
	}))
	defer srv.Close()

	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Fatal(err)
	}
	for range calls {
		resp, err := srv.Client().Post(srv.URL, "application/json", strings.NewReader(`{"a":1}`))
		if err != nil {
			trace.Stop()
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		// The server's goroutine must be back waiting on the network before
		// the next request comes, or that call is not told from the one
		// before; on a loaded machine 1 ms was sometimes too little.
		time.Sleep(10 * time.Millisecond)
	}
	trace.Stop()

	s, err := read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.calls); n < calls-1 || n > calls {
		t.Fatalf("found %d calls, want %d or %d", n, calls-1, calls)
	}
	for i, c := range s.calls {
		if c.total < sleep {
			t.Errorf("call %d: %v in the server, less than the handler's sleep", i, c.total)
		}
		if c.parts[otherWaits] < sleep {
			t.Errorf("call %d: other waits %v, less than the handler's sleep", i, c.parts[otherWaits])
		}
		if c.parts[commitWait] != 0 {
			t.Errorf("call %d: a commit wait of %v in a server without a store", i, c.parts[commitWait])
		}
		var parts time.Duration
		for _, d := range c.parts {
			parts += d
		}
		if parts > c.total {
			t.Errorf("call %d: parts %v add up to more than its %v", i, c.parts, c.total)
		}
	}
	var out strings.Builder
	if err := s.report(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "| p45-p55 |") {
		t.Errorf("report without the median band:\n%s", out.String())
	}
}

func TestSplitOfATraceWithoutCalls(t *testing.T) {
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Millisecond)
	trace.Stop()
	s, err := read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.report(io.Discard); err == nil {
		t.Error("a report of no calls did not fail")
	}
}
