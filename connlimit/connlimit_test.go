package connlimit

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestLimits serves with a limit of one on a real listener: the first
// connection is served, the next ones up to the overflow are refused and
// closed, and closing a connection frees its slot.
func TestLimits(t *testing.T) {
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := NewListener(tcp, 1)
	srv := &http.Server{
		Handler: Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "served") }),
			func(w http.ResponseWriter, r *http.Request) { http.Error(w, "refused", http.StatusServiceUnavailable) }),
		ConnContext: ConnContext,
	}
	go srv.Serve(ln)
	defer srv.Close()

	get := func(c net.Conn) (int, string) {
		t.Helper()
		fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	dial := func() net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	first := dial()
	if code, body := get(first); code != http.StatusOK || body != "served" {
		t.Fatalf("first connection: %d %q", code, body)
	}
	second := dial()
	if code, _ := get(second); code != http.StatusServiceUnavailable {
		t.Fatalf("second connection: %d, want 503", code)
	}
	first.Close()
	// The refused connection is closed by the server and the first by
	// the client, so both slots come free.
	deadline := time.Now().Add(5 * time.Second)
	for ln.Open() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still counted open", ln.Open())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code, body := get(dial()); code != http.StatusOK || body != "served" {
		t.Fatalf("a connection after the others closed: %d %q", code, body)
	}
}

// TestCloseEndsWaitingAccept checks that Close returns an Accept that
// waits for a slot.
func TestCloseEndsWaitingAccept(t *testing.T) {
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := NewListener(tcp, 1)
	for range 1 + Overflow(1) {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		sc, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer sc.Close()
	}
	done := make(chan error, 1)
	go func() { _, err := ln.Accept(); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("Accept past every slot returned at once: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	ln.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Accept after Close returned a connection")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end a waiting Accept")
	}
}
