package awsapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/personalize"
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents"
	"github.com/aws/aws-sdk-go-v2/service/personalizeruntime"
	"github.com/aws/smithy-go"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/awsapi"
	"github.com/perchdev/perch/catalog"
	"github.com/perchdev/perch/ingest"
	"github.com/perchdev/perch/jobs"
	"github.com/perchdev/perch/pebble"
	"github.com/perchdev/perch/s3loc"
	"github.com/perchdev/perch/sigv4"
)

const (
	testRegion  = "us-west-2"
	testAccount = "123456789012"
)

// env is a perch server on a real listener with a real on-disk store, and
// AWS SDK clients pointed at it.
type env struct {
	t      testing.TB
	url    string
	cp     *personalize.Client
	events *personalizeevents.Client
	// runtime is a client of the runtime API.
	runtime *personalizeruntime.Client
	scope   perch.Scope
	dataDir string
	catalog catalog.Options
	// s3Root holds the buckets of jobs' s3:// locations (bucket "data"
	// exists) unless objects is set before start.
	s3Root  string
	objects perch.Objects
	close   func()
	// verifier, when set, makes the server check signatures; the env's
	// clients then need a key of it (testKey signs for testAccount).
	verifier *sigv4.Verifier
	// maxInFlight bounds the events calls served at once (0: no bound).
	maxInFlight int
	// observe, when set, is the server's Config.Observe.
	observe func(*awsapi.Outcome)
	// wrap, when set, wraps the server's handler, to watch what it does.
	wrap func(http.Handler) http.Handler
	// recommender, when set, serves the recommendation side's control
	// plane and the runtime API.
	recommender *recommender
}

// newEnv starts a server; opts adjust the catalog's options (quotas).
func newEnv(t *testing.T, opts ...func(*catalog.Options)) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{t: t, dataDir: dir, s3Root: t.TempDir(), scope: perch.Scope{Region: testRegion, Account: testAccount}}
	for _, o := range opts {
		o(&e.catalog)
	}
	if err := os.Mkdir(filepath.Join(e.s3Root, "data"), 0o750); err != nil {
		t.Fatal(err)
	}
	e.start()
	t.Cleanup(func() { e.close() })
	return e
}

// start opens the store in e.dataDir and serves it.
func (e *env) start() {
	t := e.t
	t.Helper()
	store, err := pebble.Open(e.dataDir, pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Open(context.Background(), store.Resources(), e.scope, e.catalog)
	if err != nil {
		t.Fatal(err)
	}
	objects := e.objects
	if objects == nil {
		objects = s3loc.NewDir(e.s3Root)
	}
	js, err := jobs.Open(context.Background(), jobs.Config{Catalog: cat, Store: store, Objects: objects, Scope: e.scope})
	if err != nil {
		t.Fatal(err)
	}
	cfg := awsapi.Config{
		Catalog: cat, Ingest: ingest.New(cat, store), Store: store, Jobs: js, Account: testAccount, Verifier: e.verifier,
		MaxInFlight: e.maxInFlight, Observe: e.observe,
	}
	if e.recommender != nil {
		cfg.Solutions, cfg.Runtime = e.recommender, e.recommender
	}
	var handler http.Handler = awsapi.New(cfg)
	if e.wrap != nil {
		handler = e.wrap(handler)
	}
	srv := httptest.NewServer(handler)
	e.url = srv.URL
	closed := false
	e.close = func() {
		if closed {
			return
		}
		closed = true
		srv.Close()
		js.Close()
		if err := store.Close(); err != nil {
			t.Errorf("closing the store: %v", err)
		}
	}
	e.cp, e.events = e.clients(testKey)
	e.runtime = e.runtimeClient(testKey)
}

// testKey is the key the env's own clients sign with.
var testKey = aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}

// clients returns SDK clients of the env's server that sign with creds.
func (e *env) clients(creds aws.Credentials) (*personalize.Client, *personalizeevents.Client) {
	provider := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil })
	cp := personalize.New(personalize.Options{
		Region: testRegion, BaseEndpoint: aws.String(e.url), Credentials: provider, Retryer: retryLostConnections(),
	})
	events := personalizeevents.New(personalizeevents.Options{
		Region: testRegion, BaseEndpoint: aws.String(e.url), Credentials: provider, Retryer: retryLostConnections(),
	})
	return cp, events
}

// runtimeClient returns a runtime API client of the env's server that
// signs with creds.
func (e *env) runtimeClient(creds aws.Credentials, opts ...func(*personalizeruntime.Options)) *personalizeruntime.Client {
	return personalizeruntime.New(personalizeruntime.Options{
		Region: testRegion, BaseEndpoint: aws.String(e.url), Retryer: retryLostConnections(),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil }),
	}, opts...)
}

// retryLostConnections is the env's clients' retryer. Like the SDK's
// default one, it retries a call whose connection was lost under it ("use
// of closed network connection" while reading an answer, which a loaded
// machine showed once); unlike it, it retries nothing else, so that every
// answer of the server reaches the test as it was sent.
func retryLostConnections() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.Retryables = []retry.IsErrorRetryable{retry.RetryableConnectionError{}}
	})
}

// restart closes the server and store and opens them again on the same
// directory.
func (e *env) restart() {
	e.close()
	e.start()
}

// records reads a dataset's records through the read API.
func (e *env) records(datasetARN string, query url.Values) []map[string]any {
	e.t.Helper()
	if query == nil {
		query = url.Values{}
	}
	query.Set("datasetArn", datasetARN)
	resp := e.get(testKey, "/_perch/records?"+query.Encode())
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET records: %s", resp.Status)
	}
	var out []map[string]any
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			e.t.Fatalf("record line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// get sends a GET of the read API, signed with creds when the server
// checks signatures.
func (e *env) get(creds aws.Credentials, pathAndQuery string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.url+pathAndQuery, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if e.verifier != nil {
		const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, emptySHA256, "personalize", testRegion, time.Now()); err != nil {
			e.t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

// wantAPIError checks that err is the API error code, answered with the
// HTTP status, whose message contains every one of wantInMessage.
func wantAPIError(t *testing.T, err error, code string, status int, wantInMessage ...string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got error %v, want API error %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("got error code %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("error %v carries no HTTP response", err)
	}
	if re.HTTPStatusCode() != status {
		t.Errorf("%s answered with HTTP %d, want %d", code, re.HTTPStatusCode(), status)
	}
	if re.ServiceRequestID() == "" {
		t.Errorf("%s answered without a request id", code)
	}
	for _, want := range wantInMessage {
		if !strings.Contains(ae.ErrorMessage(), want) {
			t.Fatalf("message %q does not contain %q", ae.ErrorMessage(), want)
		}
	}
}
