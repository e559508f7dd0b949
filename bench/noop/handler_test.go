package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/perchdev/perch/loadgen"
)

// httpServers are the HTTP servers --http names.
var httpServers = []string{"net/http", "fasthttp"}

// postTo is the no-op handler on the named HTTP server, as a function
// from a body posted to the status answered.
func postTo(t *testing.T, server string, decode bool, log *ringLog) func(body string) int {
	if server == "fasthttp" {
		return poster(t, fastServer(decode, log))
	}
	h := handler(decode, log)
	return func(body string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/events", strings.NewReader(body)))
		return rec.Code
	}
}

// poster serves srv on a loopback port until the test ends, and returns a
// function that posts a body to it and returns the status answered.
func poster(t *testing.T, srv *fasthttp.Server) func(body string) int {
	addr := serveFast(t, srv)
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(client.CloseIdleConnections)
	return func(body string) int {
		resp, err := client.Post("http://"+addr+"/events", "application/x-amz-json-1.1", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode
	}
}

// serveFast serves srv on a loopback port until the test ends, and returns
// its address.
func serveFast(t *testing.T, srv *fasthttp.Server) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.ShutdownWithContext(ctx); err != nil {
			t.Errorf("shutting the fasthttp server down: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("fasthttp server: %v", err)
		}
	})
	return ln.Addr().String()
}

func TestHandler(t *testing.T) {
	body := string(loadgen.SampleBody(loadgen.DefaultWorkload(), 1))
	for _, decode := range []bool{false, true} {
		undecodable := http.StatusOK // answered unread without --decode
		if decode {
			undecodable = http.StatusBadRequest
		}
		for _, name := range httpServers {
			post := postTo(t, name, decode, nil)
			for _, tt := range []struct {
				body string
				want int
			}{
				{body, http.StatusOK},
				{"not json", undecodable},
				{`{"eventList": 3}`, undecodable},
			} {
				if got := post(tt.body); got != tt.want {
					t.Errorf("%s, decode %t, body %.20q: HTTP %d, want %d", name, decode, tt.body, got, tt.want)
				}
			}
		}
	}
}

func TestServersBoundTheBody(t *testing.T) {
	for _, name := range httpServers {
		if got := postTo(t, name, false, nil)(strings.Repeat("x", maxBody)); got != http.StatusOK {
			t.Errorf("%s, a body of %d bytes: HTTP %d, want 200", name, maxBody, got)
		}
	}
	rec := httptest.NewRecorder()
	handler(false, nil).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/events", strings.NewReader(strings.Repeat("x", maxBody+1))))
	if rec.Code != http.StatusBadRequest {
		t.Errorf("net/http, a body of %d bytes: HTTP %d, want 400", maxBody+1, rec.Code)
	}
	// fasthttp answers from the Content-Length, before the body, and
	// closes the connection: a client still sending would find it closed.
	addr := serveFast(t, fastServer(false, nil))
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := fmt.Fprintf(conn, "POST /events HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", addr, maxBody+1); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("fasthttp, a body of %d bytes: HTTP %d, want 400", maxBody+1, resp.StatusCode)
	}
}

func TestHandlerWithLog(t *testing.T) {
	body := string(loadgen.SampleBody(loadgen.DefaultWorkload(), 1))
	for _, name := range httpServers {
		dir := t.TempDir()
		l, err := openRingLog(dir, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		post := postTo(t, name, true, l)
		for _, tt := range []struct {
			body string
			want int
		}{{body, http.StatusOK}, {"not json", http.StatusBadRequest}} {
			if got := post(tt.body); got != tt.want {
				t.Errorf("%s, body %.20q: HTTP %d, want %d", name, tt.body, got, tt.want)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if records := readRecords(t, filepath.Join(dir, "noop.log")); len(records) != 1 || string(records[0]) != body {
			t.Errorf("%s: the log holds %d records; want the one body answered 200", name, len(records))
		}
		if got := post(body); got != http.StatusInternalServerError {
			t.Errorf("%s, with the log closed: HTTP %d, want 500", name, got)
		}
	}
}
