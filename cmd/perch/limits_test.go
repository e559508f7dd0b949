package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/perchdev/perch/connlimit"
)

// rawConn is a client connection that sends requests by hand.
type rawConn struct {
	net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, endpoint string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(endpoint, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{Conn: c, r: bufio.NewReader(c)}
}

// health sends GET /_perch/health and returns the answer, or an error if
// none comes within wait.
func (c *rawConn) health(wait time.Duration) (*http.Response, []byte, error) {
	if _, err := fmt.Fprint(c, "GET /_perch/health HTTP/1.1\r\nHost: perch\r\n\r\n"); err != nil {
		return nil, nil, err
	}
	_ = c.SetReadDeadline(time.Now().Add(wait))
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, body, err
}

// TestTooManyConnections fills the connection limit of the real binary and
// checks that the next connections are answered 503 in AWS's envelope,
// that past the overflow they wait, and that freed slots serve again.
func TestTooManyConnections(t *testing.T) {
	const limit = 2
	s := startServer(t, t.TempDir(), "--max-connections", fmt.Sprint(limit))

	var served []*rawConn
	for range limit {
		c := dialRaw(t, s.endpoint)
		if resp, _, err := c.health(5 * time.Second); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("a connection within the limit: %v %v", resp, err)
		}
		served = append(served, c) // kept open, idle
	}

	var refused []*rawConn
	for i := range connlimit.Overflow(limit) {
		c := dialRaw(t, s.endpoint)
		resp, body, err := c.health(5 * time.Second)
		if err != nil {
			t.Fatalf("connection %d past the limit got no answer: %v", limit+i+1, err)
		}
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("X-Amzn-ErrorType") != "ServiceUnavailable" ||
			!strings.Contains(string(body), `"__type":"ServiceUnavailable"`) || !strings.Contains(string(body), "too many open connections") ||
			resp.Header.Get("x-amzn-RequestId") == "" || !resp.Close {
			t.Fatalf("connection %d past the limit: %s %v %s", limit+i+1, resp.Status, resp.Header, body)
		}
		refused = append(refused, c)
	}

	// Refused connections are closed by the server, which frees their
	// slots; hold the overflow with connections that send nothing.
	for _, c := range refused {
		c.Close()
	}
	for range connlimit.Overflow(limit) {
		dialRaw(t, s.endpoint)
	}
	waiting := dialRaw(t, s.endpoint)
	if _, _, err := waiting.health(500 * time.Millisecond); err == nil {
		t.Fatal("a connection past the limit and the overflow was served at once")
	}
	// Freeing a served slot lets the waiting connection in; it is then
	// past the limit and refused, but answered.
	served[0].Close()
	_ = waiting.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(waiting.r, nil)
	if err != nil {
		t.Fatalf("the waiting connection got no answer once a slot was free: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("the waiting connection got %s", resp.Status)
	}
}
