package sigv4_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/perchdev/perch/sigv4"
)

const (
	region  = "eu-west-1"
	service = "personalize"
)

// testCredentials has two accounts, one of them with two keys, and a
// session key.
const testCredentials = `
# perch's test keys
[default]
aws_access_key_id = AKIDALICE
aws_secret_access_key = alice-secret
aws_account_id = 111111111111

[alice-ci]
aws_access_key_id=AKIDALICECI
aws_secret_access_key=alice-ci-secret
aws_account_id=111111111111
region = eu-west-1

[bob]
aws_access_key_id = AKIDBOB
aws_secret_access_key = bob/secret+with=odd chars
aws_account_id = 222222222222

[bob-session]
aws_access_key_id = ASIABOBSESSION
aws_secret_access_key = bob-session-secret
aws_session_token = FwoGZXIvYXdzEJr//////////wEaDM+token/with=chars
aws_account_id = 222222222222
`

var (
	alice        = aws.Credentials{AccessKeyID: "AKIDALICE", SecretAccessKey: "alice-secret"}
	aliceCI      = aws.Credentials{AccessKeyID: "AKIDALICECI", SecretAccessKey: "alice-ci-secret"}
	bob          = aws.Credentials{AccessKeyID: "AKIDBOB", SecretAccessKey: "bob/secret+with=odd chars"}
	bobSession   = aws.Credentials{AccessKeyID: "ASIABOBSESSION", SecretAccessKey: "bob-session-secret", SessionToken: "FwoGZXIvYXdzEJr//////////wEaDM+token/with=chars"}
	signer       = v4.NewSigner()
	eventsBody   = []byte(`{"trackingId":"t-1","sessionId":"s-1","eventList":[{"eventType":"click","sentAt":1700000000}]}`)
	recordsQuery = "datasetArn=" + url.QueryEscape("arn:aws:personalize:eu-west-1:111111111111:dataset/shop/INTERACTIONS") + "&userId=user%201&limit=10"
)

// echo is a real server that verifies every request it gets and answers
// with the account that signed it, or the error, as JSON.
type echo struct {
	url      string
	verifier *sigv4.Verifier
}

type answer struct {
	Status  int    `json:"-"`
	Account string `json:"account"`
	Profile string `json:"profile"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func newEcho(t *testing.T) *echo {
	t.Helper()
	ring, err := sigv4.ParseCredentials(strings.NewReader(testCredentials), "test")
	if err != nil {
		t.Fatal(err)
	}
	e := &echo{verifier: sigv4.NewVerifier(ring, region, service)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var a answer
		key, err := e.verifier.Verify(r, body)
		if err != nil {
			var se *sigv4.Error
			if !errors.As(err, &se) {
				http.Error(w, "not a *sigv4.Error: "+err.Error(), http.StatusInternalServerError)
				return
			}
			a.Code, a.Message = se.Code, se.Message
			w.WriteHeader(se.Status)
		} else {
			a.Account, a.Profile = key.Account, key.Profile
		}
		_ = json.NewEncoder(w).Encode(a)
	}))
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

func (e *echo) send(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a answer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatalf("%s %s: undecodable answer (%s): %v", req.Method, req.URL, resp.Status, err)
	}
	a.Status = resp.StatusCode
	return a
}

// newRequest builds a request to the echo server; body may be nil.
func (e *echo) newRequest(t *testing.T, method, pathAndQuery string, body []byte) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.url+pathAndQuery, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

func hashOf(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// sign signs req with the SDK's signer as SDK clients do, over body's hash.
func sign(t *testing.T, req *http.Request, creds aws.Credentials, body []byte, at time.Time) *http.Request {
	t.Helper()
	return signOver(t, req, creds, hashOf(body), region, at)
}

func signOver(t *testing.T, req *http.Request, creds aws.Credentials, payloadHash, scopeRegion string, at time.Time) *http.Request {
	t.Helper()
	if err := signer.SignHTTP(context.Background(), creds, req, payloadHash, service, scopeRegion, at); err != nil {
		t.Fatal(err)
	}
	return req
}

// presign returns a presigned URL for req that lives for expires (none
// when 0), signed at.
func presign(t *testing.T, req *http.Request, creds aws.Credentials, payloadHash string, expires time.Duration, at time.Time) string {
	t.Helper()
	if expires > 0 {
		q := req.URL.Query()
		q.Set("X-Amz-Expires", strconv.Itoa(int(expires/time.Second)))
		req.URL.RawQuery = q.Encode()
	}
	u, _, err := signer.PresignHTTP(context.Background(), creds, req, payloadHash, service, region, at)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func wantOK(t *testing.T, a answer, account string) {
	t.Helper()
	if a.Status != http.StatusOK || a.Account != account {
		t.Fatalf("got %d %s %q (account %q), want 200 for account %s", a.Status, a.Code, a.Message, a.Account, account)
	}
}

func wantError(t *testing.T, a answer, status int, code string, inMessage ...string) {
	t.Helper()
	if a.Status != status || a.Code != code {
		t.Fatalf("got %d %s %q, want %d %s", a.Status, a.Code, a.Message, status, code)
	}
	for _, m := range inMessage {
		if !strings.Contains(a.Message, m) {
			t.Fatalf("message %q does not contain %q", a.Message, m)
		}
	}
}

func TestHeaderSignaturesOfEveryKeyVerify(t *testing.T) {
	e := newEcho(t)
	now := time.Now()
	for _, c := range []struct {
		creds   aws.Credentials
		account string
	}{{alice, "111111111111"}, {aliceCI, "111111111111"}, {bob, "222222222222"}, {bobSession, "222222222222"}} {
		t.Run(c.creds.AccessKeyID, func(t *testing.T) {
			post := e.newRequest(t, "POST", "/events", eventsBody)
			wantOK(t, e.send(t, sign(t, post, c.creds, eventsBody, now)), c.account)

			// The control plane's operation header is signed like any other.
			cp := e.newRequest(t, "POST", "/", []byte(`{}`))
			cp.Header.Set("X-Amz-Target", "AmazonPersonalize.ListDatasetGroups")
			cp.Header.Set("Content-Type", "application/x-amz-json-1.1")
			wantOK(t, e.send(t, sign(t, cp, c.creds, []byte(`{}`), now)), c.account)

			get := e.newRequest(t, "GET", "/_perch/records?"+recordsQuery, nil)
			wantOK(t, e.send(t, sign(t, get, c.creds, nil, now)), c.account)
		})
	}
}

func TestCanonicalFormsOfPathsQueriesAndHeaders(t *testing.T) {
	e := newEcho(t)
	now := time.Now()
	for _, target := range []string{
		"/",
		"/_perch/records?b=2&a=1&a=0&empty=&flag",
		"/path%20with%20spaces/and%2Fslash/%C3%A9t%C3%A9",
		"/q?key=a%20b&key=a+b&tilde=~&star=*&colon=%3A&unicode=%E2%9C%93",
	} {
		t.Run(target, func(t *testing.T) {
			req := e.newRequest(t, "GET", target, nil)
			// Signed values are trimmed and their inner runs of spaces
			// collapsed; repeated headers are joined with commas.
			req.Header.Set("X-Amz-Meta-Spaced", "  a   b  c ")
			req.Header.Add("X-Amz-Meta-Twice", "one")
			req.Header.Add("X-Amz-Meta-Twice", "two")
			wantOK(t, e.send(t, sign(t, req, alice, nil, now)), "111111111111")
		})
	}
}

func TestUnsignedPayload(t *testing.T) {
	e := newEcho(t)
	req := e.newRequest(t, "POST", "/events", eventsBody)
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	signOver(t, req, alice, "UNSIGNED-PAYLOAD", region, time.Now())
	// The body is not covered, so another body of the signed length
	// passes: that is what UNSIGNED-PAYLOAD asks for.
	req.Body = io.NopCloser(bytes.NewReader(bytes.Replace(eventsBody, []byte("click"), []byte("clack"), 1)))
	wantOK(t, e.send(t, req), "111111111111")
}

func TestSentPayloadHashMustMatchBody(t *testing.T) {
	e := newEcho(t)
	req := e.newRequest(t, "POST", "/events", eventsBody)
	req.Header.Set("X-Amz-Content-Sha256", hashOf(eventsBody))
	sign(t, req, alice, eventsBody, time.Now())
	wantOK(t, e.send(t, req), "111111111111")

	tampered := bytes.Replace(eventsBody, []byte("click"), []byte("clack"), 1)
	req = e.newRequest(t, "POST", "/events", eventsBody)
	req.Header.Set("X-Amz-Content-Sha256", hashOf(eventsBody))
	sign(t, req, alice, eventsBody, time.Now())
	req.Body = io.NopCloser(bytes.NewReader(tampered))
	wantError(t, e.send(t, req), 403, sigv4.EInvalidSignature, "x-amz-content-sha256")
}

func TestRejections(t *testing.T) {
	e := newEcho(t)
	now := time.Now()
	// signedBy signs a PutEvents request with creds at the given time.
	signedBy := func(creds aws.Credentials, at time.Time) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			return sign(t, e.newRequest(t, "POST", "/events", eventsBody), creds, eventsBody, at)
		}
	}
	signedEvents := signedBy(alice, now)
	withToken := func(creds aws.Credentials, token string) aws.Credentials {
		creds.SessionToken = token
		return creds
	}
	// editedAuth signs a PutEvents request, then rewrites its
	// Authorization header with edit.
	editedAuth := func(edit func(auth string) string) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			r := signedEvents(t)
			r.Header.Set("Authorization", edit(r.Header.Get("Authorization")))
			return r
		}
	}
	replaceInAuth := func(old, new string) func(t *testing.T) *http.Request {
		return editedAuth(func(auth string) string { return strings.Replace(auth, old, new, 1) })
	}
	cases := []struct {
		name    string
		req     func(t *testing.T) *http.Request
		status  int
		code    string
		message []string
	}{
		{"no authentication", func(t *testing.T) *http.Request {
			return e.newRequest(t, "POST", "/events", eventsBody)
		}, 403, sigv4.EMissingAuthenticationToken, []string{"Missing Authentication Token"}},
		{"not a SigV4 scheme", func(t *testing.T) *http.Request {
			r := e.newRequest(t, "POST", "/events", eventsBody)
			r.Header.Set("Authorization", "Bearer abc.def")
			r.Header.Set("X-Amz-Date", now.UTC().Format("20060102T150405Z"))
			return r
		}, 400, sigv4.EIncompleteSignature, []string{"requires 'Credential' parameter", "requires 'Signature' parameter", "requires 'SignedHeaders' parameter", "Authorization=Bearer abc.def"}},
		{"SigV4a", replaceInAuth("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256"), 400, sigv4.EIncompleteSignature, []string{"AWS4-ECDSA-P256-SHA256"}},
		{"missing signature and signed headers", editedAuth(func(auth string) string { return auth[:strings.Index(auth, ",")] }), 400, sigv4.EIncompleteSignature, []string{"requires 'Signature' parameter", "requires 'SignedHeaders' parameter"}},
		{"pair without an equal sign", replaceInAuth("Signature=", "Signature "), 400, sigv4.EIncompleteSignature, []string{"not a valid key=value pair (missing equal-sign)"}},
		{"credential without its scope", replaceInAuth("/"+region+"/", "/"), 400, sigv4.EIncompleteSignature, []string{"exactly 5 slash-delimited elements"}},
		{"no X-Amz-Date", func(t *testing.T) *http.Request {
			r := signedEvents(t)
			r.Header.Del("X-Amz-Date")
			return r
		}, 400, sigv4.EIncompleteSignature, []string{"requires existence of a 'X-Amz-Date' header"}},
		{"malformed X-Amz-Date", func(t *testing.T) *http.Request {
			r := signedEvents(t)
			r.Header.Set("X-Amz-Date", now.UTC().Format(time.RFC3339))
			return r
		}, 400, sigv4.EIncompleteSignature, []string{"ISO-8601 basic-format"}},
		{"two Authorization headers", func(t *testing.T) *http.Request {
			r := signedEvents(t)
			r.Header.Add("Authorization", r.Header.Get("Authorization"))
			return r
		}, 400, sigv4.EIncompleteSignature, []string{"2 Authorization headers"}},
		{"host not signed", replaceInAuth("host;", ""), 400, sigv4.EIncompleteSignature, []string{"'Host' must be a 'SignedHeader'"}},
		{"operation header added after signing", func(t *testing.T) *http.Request {
			r := sign(t, e.newRequest(t, "POST", "/", []byte(`{}`)), alice, []byte(`{}`), now)
			r.Header.Set("X-Amz-Target", "AmazonPersonalize.DeleteDatasetGroup")
			return r
		}, 400, sigv4.EIncompleteSignature, []string{"'X-Amz-Target' must be a 'SignedHeader'"}},
		{"unknown access key", signedBy(aws.Credentials{AccessKeyID: "AKIDNOBODY", SecretAccessKey: "x"}, now), 403, sigv4.EUnrecognizedClient, []string{"The security token included in the request is invalid."}},
		{"wrong secret", signedBy(aws.Credentials{AccessKeyID: "AKIDALICE", SecretAccessKey: "bob/secret+with=odd chars"}, now), 403, sigv4.EInvalidSignature, []string{"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.", "The Canonical String for this request should have been\n'POST\n/events\n"}},
		{"tampered body", func(t *testing.T) *http.Request {
			r := signedEvents(t)
			r.Body = io.NopCloser(bytes.NewReader(bytes.Replace(eventsBody, []byte("click"), []byte("clack"), 1)))
			return r
		}, 403, sigv4.EInvalidSignature, []string{"does not match the signature you provided"}},
		{"tampered signed header", func(t *testing.T) *http.Request {
			r := signedEvents(t)
			r.Header.Set("Content-Type", "text/plain")
			return r
		}, 403, sigv4.EInvalidSignature, []string{"content-type:text/plain"}},
		{"tampered path", func(t *testing.T) *http.Request {
			r := signedEvents(t)
			r.URL.Path = "/items"
			return r
		}, 403, sigv4.EInvalidSignature, []string{"does not match"}},
		{"tampered query", func(t *testing.T) *http.Request {
			r := sign(t, e.newRequest(t, "GET", "/_perch/records?"+recordsQuery, nil), alice, nil, now)
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "limit=10", "limit=11", 1)
			return r
		}, 403, sigv4.EInvalidSignature, []string{"limit=11"}},
		{"signature not hex", editedAuth(func(auth string) string { return auth[:strings.Index(auth, "Signature=")] + "Signature=zz" }), 403, sigv4.EInvalidSignature, []string{"does not match"}},
		{"expired", signedBy(alice, now.Add(-16*time.Minute)), 403, sigv4.EInvalidSignature, []string{"Signature expired: ", " is now earlier than ", " - 15 min.)"}},
		{"from the future", signedBy(alice, now.Add(16*time.Minute)), 403, sigv4.EInvalidSignature, []string{"Signature not yet current: ", " is still later than ", " + 15 min.)"}},
		{"another region", func(t *testing.T) *http.Request {
			return signOver(t, e.newRequest(t, "POST", "/events", eventsBody), alice, hashOf(eventsBody), "us-east-1", now)
		}, 403, sigv4.EInvalidSignature, []string{"Credential should be scoped to a valid region, not 'us-east-1'", "'eu-west-1'"}},
		{"another service", func(t *testing.T) *http.Request {
			r := e.newRequest(t, "POST", "/events", eventsBody)
			if err := signer.SignHTTP(context.Background(), alice, r, hashOf(eventsBody), "personalize-events", region, now); err != nil {
				t.Fatal(err)
			}
			return r
		}, 403, sigv4.EInvalidSignature, []string{"Credential should be scoped to correct service: 'personalize'."}},
		{"scope date not the request's", replaceInAuth("/"+now.UTC().Format("20060102")+"/", "/19991231/"), 403, sigv4.EInvalidSignature, []string{"Date in Credential scope does not match", "'19991231' != "}},
		{"session key without its token", signedBy(withToken(bobSession, ""), now), 403, sigv4.EUnrecognizedClient, nil},
		{"session key with another token", signedBy(withToken(bobSession, bobSession.SessionToken+"x"), now), 403, sigv4.EUnrecognizedClient, nil},
		{"long-term key with a token", signedBy(withToken(alice, "some-token"), now), 403, sigv4.EUnrecognizedClient, nil},
		{"chunked payload signing", func(t *testing.T) *http.Request {
			r := e.newRequest(t, "POST", "/events", eventsBody)
			r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
			return signOver(t, r, alice, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", region, now)
		}, 400, sigv4.EIncompleteSignature, []string{"not supported"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, e.send(t, c.req(t)), c.status, c.code, c.message...)
		})
	}
}

func TestSkewWithinFifteenMinutesIsAccepted(t *testing.T) {
	e := newEcho(t)
	for _, d := range []time.Duration{-14 * time.Minute, 14 * time.Minute} {
		req := sign(t, e.newRequest(t, "POST", "/events", eventsBody), bob, eventsBody, time.Now().Add(d))
		wantOK(t, e.send(t, req), "222222222222")
	}
}

func TestPresignedURLs(t *testing.T) {
	e := newEcho(t)
	now := time.Now()
	get := func(u string) answer {
		req, err := http.NewRequest("GET", u, nil)
		if err != nil {
			t.Fatal(err)
		}
		return e.send(t, req)
	}
	records := func(t *testing.T) *http.Request { return e.newRequest(t, "GET", "/_perch/records?"+recordsQuery, nil) }

	t.Run("valid", func(t *testing.T) {
		wantOK(t, get(presign(t, records(t), alice, hashOf(nil), 5*time.Minute, now)), "111111111111")
	})
	t.Run("unsigned payload", func(t *testing.T) {
		wantOK(t, get(presign(t, records(t), bob, "UNSIGNED-PAYLOAD", 5*time.Minute, now)), "222222222222")
	})
	t.Run("session key", func(t *testing.T) {
		u := presign(t, records(t), bobSession, hashOf(nil), 5*time.Minute, now)
		if !strings.Contains(u, "X-Amz-Security-Token=") {
			t.Fatalf("presigned URL lacks the session token: %s", u)
		}
		wantOK(t, get(u), "222222222222")
	})
	t.Run("older than the skew but within X-Amz-Expires", func(t *testing.T) {
		wantOK(t, get(presign(t, records(t), alice, hashOf(nil), time.Hour, now.Add(-30*time.Minute))), "111111111111")
	})
	t.Run("signed yesterday, valid for a week", func(t *testing.T) {
		wantOK(t, get(presign(t, records(t), alice, hashOf(nil), sigv4.MaxExpires, now.Add(-25*time.Hour))), "111111111111")
		// The same key signing for today right after must not reuse
		// yesterday's derived key.
		wantOK(t, e.send(t, sign(t, records(t), alice, nil, now)), "111111111111")
	})
	t.Run("expired", func(t *testing.T) {
		a := get(presign(t, records(t), alice, hashOf(nil), time.Minute, now.Add(-2*time.Minute)))
		wantError(t, a, 403, sigv4.EInvalidSignature, "Signature expired", "60 sec. of X-Amz-Expires")
	})
	t.Run("from the future", func(t *testing.T) {
		a := get(presign(t, records(t), alice, hashOf(nil), time.Hour, now.Add(20*time.Minute)))
		wantError(t, a, 403, sigv4.EInvalidSignature, "Signature not yet current")
	})
	t.Run("without X-Amz-Expires the skew applies", func(t *testing.T) {
		wantOK(t, get(presign(t, records(t), alice, hashOf(nil), 0, now.Add(-10*time.Minute))), "111111111111")
		a := get(presign(t, records(t), alice, hashOf(nil), 0, now.Add(-20*time.Minute)))
		wantError(t, a, 403, sigv4.EInvalidSignature, "Signature expired")
	})
	t.Run("expiry beyond seven days", func(t *testing.T) {
		req := records(t)
		req.URL.RawQuery += "&X-Amz-Expires=604801"
		u, _, err := signer.PresignHTTP(context.Background(), alice, req, hashOf(nil), service, region, now)
		if err != nil {
			t.Fatal(err)
		}
		wantError(t, get(u), 400, sigv4.EIncompleteSignature, "X-Amz-Expires must be a whole number of seconds from 1 to 604800")
	})
	t.Run("tampered query", func(t *testing.T) {
		u := presign(t, records(t), alice, hashOf(nil), time.Hour, now)
		wantError(t, get(strings.Replace(u, "limit=10", "limit=1000", 1)), 403, sigv4.EInvalidSignature, "does not match")
	})
	t.Run("missing parameters", func(t *testing.T) {
		u := presign(t, records(t), alice, hashOf(nil), time.Hour, now)
		parsed, _ := url.Parse(u)
		q := parsed.Query()
		q.Del("X-Amz-SignedHeaders")
		q.Del("X-Amz-Date")
		parsed.RawQuery = q.Encode()
		wantError(t, get(parsed.String()), 400, sigv4.EIncompleteSignature,
			"AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.")
	})
	t.Run("with an Authorization header too", func(t *testing.T) {
		req, _ := http.NewRequest("GET", presign(t, records(t), alice, hashOf(nil), time.Hour, now), nil)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x")
		wantError(t, e.send(t, req), 400, sigv4.EIncompleteSignature, "use one or the other")
	})
	t.Run("POST with a body", func(t *testing.T) {
		u := presign(t, e.newRequest(t, "POST", "/events", eventsBody), bob, hashOf(eventsBody), time.Hour, now)
		post := func(body []byte) answer {
			req, _ := http.NewRequest("POST", u, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			return e.send(t, req)
		}
		wantOK(t, post(eventsBody), "222222222222")
		wantError(t, post(bytes.Replace(eventsBody, []byte("click"), []byte("clack"), 1)), 403, sigv4.EInvalidSignature, "does not match")
	})
}

func TestReplacingKeys(t *testing.T) {
	e := newEcho(t)
	next, err := sigv4.ParseCredentials(strings.NewReader("[carol]\naws_access_key_id=AKIDCAROL\naws_secret_access_key=carol\naws_account_id=333333333333\n"), "next")
	if err != nil {
		t.Fatal(err)
	}
	e.verifier.SetKeys(next)
	wantError(t, e.send(t, sign(t, e.newRequest(t, "POST", "/events", eventsBody), alice, eventsBody, time.Now())), 403, sigv4.EUnrecognizedClient)
	carol := aws.Credentials{AccessKeyID: "AKIDCAROL", SecretAccessKey: "carol"}
	wantOK(t, e.send(t, sign(t, e.newRequest(t, "POST", "/events", eventsBody), carol, eventsBody, time.Now())), "333333333333")
}

// TestConcurrentVerification runs keys and days side by side, for the race
// detector to watch the signing-key cache.
func TestConcurrentVerification(t *testing.T) {
	e := newEcho(t)
	now := time.Now()
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := range 8 {
		wg.Go(func() {
			for j := range 10 {
				creds, account := alice, "111111111111"
				if (i+j)%2 == 0 {
					creds, account = bob, "222222222222"
				}
				var req *http.Request
				if j%3 == 0 {
					u := presign(t, e.newRequest(t, "GET", "/_perch/records?"+recordsQuery, nil), creds, hashOf(nil), sigv4.MaxExpires, now.Add(-25*time.Hour))
					req, _ = http.NewRequest("GET", u, nil)
				} else {
					req = sign(t, e.newRequest(t, "POST", "/events", eventsBody), creds, eventsBody, now)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err.Error()
					return
				}
				var a answer
				_ = json.NewDecoder(resp.Body).Decode(&a)
				resp.Body.Close()
				if resp.StatusCode != 200 || a.Account != account {
					errs <- resp.Status + " " + a.Code + " " + a.Message
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
}
