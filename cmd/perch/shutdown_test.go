package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestGracefulShutdown sends SIGTERM to the real binary while requests are
// in flight: one whose body is still being sent, and a concurrent load.
// The in-flight requests must finish with 200 and be durable, new
// connections must be refused while the server drains, and the process
// must exit cleanly.
func TestGracefulShutdown(t *testing.T) {
	dataDir := t.TempDir()
	s := startServer(t, dataDir, "--quickstart")
	target := quickstartTarget(t, s)

	// A request whose body is half sent when the signal comes.
	slow := &crashRequest{ids: []string{"slow-0", "slow-1", "slow-2"}}
	path, body := requestBody(target, slow, "slow")
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.endpoint, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: perch\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		path, len(body), body[:len(body)/2])

	// And a load from several clients.
	var ledger crashLedger
	stop := make(chan struct{})
	wait := ledger.load(s.endpoint, target, "load", 1, stop)
	time.Sleep(300 * time.Millisecond)

	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !s.logged("shutting down") {
		if time.Now().After(deadline) {
			t.Fatal("the server did not log that it is shutting down")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// While the slow request is in flight the server drains: new
	// connections are refused.
	if c, err := net.DialTimeout("tcp", strings.TrimPrefix(s.endpoint, "http://"), 2*time.Second); err == nil {
		c.Close()
		t.Error("a new connection was accepted while the server was shutting down")
	} else if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("a new connection while shutting down: %v, want connection refused", err)
	}
	close(stop)
	wait()

	// The rest of the slow body; its answer must be 200.
	if _, err := conn.Write(body[len(body)/2:]); err != nil {
		t.Fatalf("finishing the in-flight request: %v", err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the in-flight request got no answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the in-flight request got %s", resp.Status)
	}
	slow.outcome, slow.status = acked, resp.StatusCode
	ledger.requests = append(ledger.requests, slow)

	if err := s.cmd.Wait(); err != nil {
		t.Errorf("perch serve after SIGTERM: %v", err)
	}
	s = startServer(t, dataDir)
	t.Log("after SIGTERM: " + ledger.check(t, readStored(t, s.endpoint, target)))
}
