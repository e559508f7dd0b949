package main

import (
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"
)

// get answers the status and body of a GET of url.
func getURL(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// TestConsoleMounts: the console is on the API's port by default, on a
// listener of its own with --console-addr (the API's port then answers its
// path as any unknown read path), and nowhere with --console=false.
func TestConsoleMounts(t *testing.T) {
	s := startServer(t, t.TempDir())
	if status, body := getURL(t, s.endpoint+"/_perch/console/"); status != 200 || !strings.Contains(body, "<html") {
		t.Errorf("the console on the API's port = %d %.80s", status, body)
	}
	if status, body := getURL(t, s.endpoint+"/_perch/console/api/session"); status != 200 || !strings.Contains(body, `"account":"111122223333"`) {
		t.Errorf("api/session = %d %s", status, body)
	}

	addr := freeAddr(t)
	apart := startServer(t, t.TempDir(), "--console-addr", addr)
	if status, body := getURL(t, "http://"+addr+"/_perch/console/"); status != 200 || !strings.Contains(body, "<html") {
		t.Errorf("the console on --console-addr = %d %.80s", status, body)
	}
	if status, _ := getURL(t, apart.endpoint+"/_perch/console/"); status == 200 {
		t.Errorf("the API's port serves the console beside --console-addr")
	}

	off := startServer(t, t.TempDir(), "--console=false")
	if status, _ := getURL(t, off.endpoint+"/_perch/console/"); status == 200 {
		t.Errorf("--console=false still serves the console")
	}
}

// TestConsoleAddrServesTLS: with --tls-cert the console's own listener
// speaks TLS with the API's certificate, since it carries logins.
func TestConsoleAddrServesTLS(t *testing.T) {
	certPath, keyPath, pool := selfSigned(t)
	addr := freeAddr(t)
	startServer(t, t.TempDir(), "--tls-cert", certPath, "--tls-key", keyPath, "--console-addr", addr)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	res, err := client.Get("https://" + addr + "/_perch/console/api/session")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if body, _ := io.ReadAll(res.Body); res.StatusCode != 200 || !strings.Contains(string(body), `"auth":"none"`) {
		t.Errorf("api/session over TLS = %d %s", res.StatusCode, body)
	}
}
