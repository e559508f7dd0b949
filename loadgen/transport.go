package loadgen

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/google/uuid"
	"github.com/valyala/fasthttp"
)

// The HTTP clients the generator can send with.
const (
	// ClientFastHTTP is valyala/fasthttp's client: on two cores it costs
	// about half the CPU per request of net/http's, which leaves the server
	// under test the CPU that wrk would leave it (BENCHMARKS.md).
	ClientFastHTTP = "fasthttp"
	// ClientNetHTTP is the standard library's client, for comparison.
	ClientNetHTTP = "net/http"
)

// outcome is how one call ended.
type outcome struct {
	status int
	// errorType is empty for a 200; else the AWS error code, "HTTP <status>"
	// for an error without one, or a transport error class.
	errorType string
	detail    string // what the error said, for the report's samples
}

// conn sends one worker's calls, one at a time.
type conn interface {
	do(path string, header http.Header, body []byte) outcome
}

// transport makes the connections of every worker to one endpoint.
type transport interface {
	conn() conn
	close()
}

// newTransports makes one transport for each endpoint, with as many
// connections as workers send to it.
func newTransports(client string, endpoints []*url.URL, concurrency int, timeout time.Duration) ([]transport, error) {
	trs := make([]transport, len(endpoints))
	for i, u := range endpoints {
		tr, err := newTransport(client, u, connectionsTo(i, len(endpoints), concurrency), timeout)
		if err != nil {
			closeAll(trs[:i])
			return nil, err
		}
		trs[i] = tr
	}
	return trs, nil
}

func closeAll(trs []transport) {
	for _, tr := range trs {
		tr.close()
	}
}

func newTransport(client string, endpoint *url.URL, connections int, timeout time.Duration) (transport, error) {
	base := strings.TrimRight(endpoint.String(), "/")
	switch client {
	case ClientFastHTTP:
		if endpoint.Scheme != "http" {
			return nil, fmt.Errorf("the %s client speaks plain http only; use --client %s for %s", ClientFastHTTP, ClientNetHTTP, endpoint.Scheme)
		}
		return &fastTransport{base: base, client: &fasthttp.HostClient{
			Addr:                     hostPort(endpoint),
			MaxConns:                 connections,
			ReadTimeout:              timeout,
			WriteTimeout:             timeout,
			MaxIdleConnDuration:      time.Minute,
			NoDefaultUserAgentHeader: true,
		}}, nil
	case ClientNetHTTP:
		return &stdTransport{base: base, client: &http.Client{
			Timeout: timeout,
			Transport: &http.Transport{
				MaxIdleConns:        connections,
				MaxIdleConnsPerHost: connections,
				MaxConnsPerHost:     connections,
				IdleConnTimeout:     time.Minute,
			},
		}}, nil
	}
	return nil, fmt.Errorf("unknown client %q: use %s or %s", client, ClientFastHTTP, ClientNetHTTP)
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

type fastTransport struct {
	base   string
	client *fasthttp.HostClient
}

func (t *fastTransport) conn() conn {
	return &fastConn{t: t, req: fasthttp.AcquireRequest(), resp: fasthttp.AcquireResponse()}
}

func (t *fastTransport) close() { t.client.CloseIdleConnections() }

type fastConn struct {
	t    *fastTransport
	req  *fasthttp.Request
	resp *fasthttp.Response
}

func (c *fastConn) do(path string, header http.Header, body []byte) outcome {
	req := c.req
	req.Reset()
	req.Header.SetMethod(http.MethodPost)
	req.SetRequestURI(c.t.base + path)
	for k, v := range header {
		req.Header.Set(k, v[0])
	}
	req.SetBodyRaw(body)
	if err := c.t.client.Do(req, c.resp); err != nil {
		return outcome{errorType: transportErrorType(err), detail: err.Error()}
	}
	status := c.resp.StatusCode()
	if status == http.StatusOK {
		return outcome{status: status}
	}
	return apiOutcome(status, string(c.resp.Header.Peek("X-Amzn-ErrorType")), c.resp.Body())
}

type stdTransport struct {
	base   string
	client *http.Client
}

func (t *stdTransport) conn() conn { return t }

func (t *stdTransport) close() { t.client.CloseIdleConnections() }

func (t *stdTransport) do(path string, header http.Header, body []byte) outcome {
	req, err := http.NewRequest(http.MethodPost, t.base+path, bytes.NewReader(body))
	if err != nil {
		return outcome{errorType: "transport error", detail: err.Error()}
	}
	req.Header = header
	resp, err := t.client.Do(req)
	if err != nil {
		return outcome{errorType: transportErrorType(err), detail: err.Error()}
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return outcome{errorType: transportErrorType(err), detail: err.Error()}
		}
		return outcome{status: resp.StatusCode}
	}
	respBody, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return apiOutcome(resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), respBody)
}

// apiOutcome names an error answer the way SDKs do: by X-Amzn-ErrorType,
// else by the body's __type.
func apiOutcome(status int, errorType string, body []byte) outcome {
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(body, &e)
	// Either may carry a namespace or a URL: aws.protocoltests#Code,
	// Code:http://internal.amazon.com/...
	code, _, _ := strings.Cut(errorType, ":")
	if code == "" {
		code = e.Type[strings.LastIndexByte(e.Type, '#')+1:]
	}
	if code == "" {
		code = "HTTP " + strconv.Itoa(status)
	}
	detail := e.Message
	if detail == "" {
		detail = string(body[:min(len(body), 200)])
	}
	return outcome{status: status, errorType: code, detail: fmt.Sprintf("HTTP %d: %s", status, detail)}
}

// transportErrorType classes an error that left no HTTP answer.
func transportErrorType(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, os.ErrDeadlineExceeded),
		errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, fasthttp.ErrConnectionClosed):
		return "connection closed"
	}
	return "transport error"
}

// Credentials sign requests.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	Region          string
}

// signingName is the SigV4 service name of every Personalize API.
const signingName = "personalize"

// headerMaker writes the headers of one worker's calls, signed as
// aws-sdk-go-v2 signs them: the SDK's own headers (amz-sdk-invocation-id,
// amz-sdk-request) are signed along with content-length, content-type,
// host and x-amz-date, and the payload hash enters the signature without
// an X-Amz-Content-Sha256 header, which these SDKs send to S3 only.
type headerMaker struct {
	signer        *v4.Signer // nil: unsigned
	creds         aws.Credentials
	region        string
	contentSHA256 bool
	endpoint      *url.URL
	// req is scratch space the signer works on; its Header is what a call
	// sends, valid until the next call.
	req *http.Request
}

func newHeaderMaker(signer *v4.Signer, c Credentials, contentSHA256 bool, endpoint *url.URL) *headerMaker {
	u := *endpoint
	return &headerMaker{
		signer:        signer,
		creds:         aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey},
		region:        c.Region,
		contentSHA256: contentSHA256,
		endpoint:      endpoint,
		req:           &http.Request{Method: http.MethodPost, URL: &u, Host: endpoint.Host, Header: http.Header{}},
	}
}

func (m *headerMaker) headers(ctx context.Context, r request, now time.Time) (http.Header, error) {
	req := m.req
	clear(req.Header)
	req.URL.Path = m.endpoint.Path + r.kind.Path()
	req.ContentLength = int64(len(r.body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "perch-bench")
	req.Header.Set("Amz-Sdk-Invocation-Id", uuid.NewString())
	req.Header.Set("Amz-Sdk-Request", "attempt=1; max=1")
	if m.signer == nil {
		return req.Header, nil
	}
	sum := sha256.Sum256(r.body)
	payloadHash := hex.EncodeToString(sum[:])
	if m.contentSHA256 {
		req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	}
	err := m.signer.SignHTTP(ctx, m.creds, req, payloadHash, signingName, m.region, now)
	return req.Header, err
}
