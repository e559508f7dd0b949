package awsapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/awsapi"
	"github.com/perchdev/perch/ingest"
	"github.com/perchdev/perch/internal/fixture"
)

// The readiness probe needs no signature, answers 200 while the store can
// serve and 503 ServiceUnavailable in AWS's envelope, with the store's
// reason, once it cannot; the health probe still answers 200 then.
func TestReadinessProbe(t *testing.T) {
	e, _ := newSignedEnv(t)
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		req, err := http.NewRequest(method, e.url+"/_perch/ready", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("unsigned %s /_perch/ready: %s %s", method, resp.Status, body)
		}
		if method == http.MethodGet && strings.TrimSpace(string(body)) != `{"status":"ready"}` {
			t.Errorf("readiness body %q", body)
		}
	}

	scope := perch.Scope{Region: testRegion, Account: testAccount}
	_, store, cat := fixture.Catalog(t, scope)
	srv := httptest.NewServer(awsapi.New(awsapi.Config{Catalog: cat, Ingest: ingest.New(cat, store), Store: store, Account: testAccount}))
	defer srv.Close()
	get := func(path string) (int, string, []byte) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), body
	}
	if status, _, body := get("/_perch/ready"); status != http.StatusOK {
		t.Fatalf("ready with an open store: %d %s", status, body)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	status, code, body := get("/_perch/ready")
	var envelope struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(body, &envelope); err != nil {
		t.Fatalf("ready with a closed store: %q: %v", body, err)
	}
	if status != http.StatusServiceUnavailable || code != "ServiceUnavailable" || envelope.Type != code ||
		envelope.Message != "Not ready: The store is closed" {
		t.Errorf("ready with a closed store: %d %s %+v", status, code, envelope)
	}
	if status, _, body := get("/_perch/health"); status != http.StatusOK {
		t.Errorf("health with a closed store: %d %s", status, body)
	}
}
