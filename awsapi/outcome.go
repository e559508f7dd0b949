package awsapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/perchdev/perch/awsapi/model"
	"github.com/perchdev/perch/sigv4"
)

// Outcome is what one request came to, for logs and the console.
type Outcome struct {
	RequestID   string        // the x-amzn-RequestId answered
	Start       time.Time     // when the server began on the request
	Latency     time.Duration // until the answer was written
	API         string        // "control", "events", "runtime" or "read"
	Operation   string        // as OperationName names it
	Account     string        // the account it acted for; "" when authentication refused it
	AccessKeyID string        // from the request's SigV4 credential, even when refused; "" unsigned
	Status      int           // HTTP status answered
	ErrorType   string        // AWS's error code (the envelope's __type / x-amzn-ErrorType); "" on success
	Message     string        // the error message the client got; "" on success
	Member      string        // the offending input member when the error names one (validation), else ""
}

// observedWriter fills a request's Outcome as its answer is written: the
// status from the header written, the error from writeError, which looks
// for it. One allocation holds both, and only when Config.Observe is set.
type observedWriter struct {
	http.ResponseWriter
	outcome Outcome
}

func (w *observedWriter) WriteHeader(code int) {
	if w.outcome.Status == 0 && code >= 200 {
		w.outcome.Status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *observedWriter) Write(b []byte) (int, error) {
	if w.outcome.Status == 0 {
		w.outcome.Status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer, as
// the read API's streamed answers need.
func (w *observedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// noteError records the error answer e in w's outcome when w is observed.
func noteError(w http.ResponseWriter, e *apiError) {
	if ow, ok := w.(*observedWriter); ok {
		ow.outcome.ErrorType, ow.outcome.Message, ow.outcome.Member = e.code, e.message, e.member
	}
}

// observe starts the Outcome of r, answered through the writer it returns.
// Without a verifier every request acts for the server's account, refused
// or not; with one, the account is known once the signature is.
func (s *Server) observe(w http.ResponseWriter, requestID string) *observedWriter {
	ow := &observedWriter{ResponseWriter: w, outcome: Outcome{RequestID: requestID, Start: time.Now()}}
	if s.verifier == nil {
		ow.outcome.Account = s.account
	}
	return ow
}

// finish completes w's Outcome once its answer is written and hands it to
// Config.Observe. What can be read again from the request is read here,
// off the answer's path.
func (s *Server) finish(w *observedWriter, r *http.Request) {
	o := &w.outcome
	o.Latency = time.Since(o.Start)
	if o.Status == 0 {
		o.Status = http.StatusOK // nothing written: net/http answers 200
	}
	o.API = s.apiName(r)
	o.Operation = OperationName(r)
	o.AccessKeyID = sigv4.AccessKeyID(r)
	s.observer(o)
}

// apiName names the API r is for, by the rules route follows.
func (s *Server) apiName(r *http.Request) string {
	switch {
	case r.Header.Get("X-Amz-Target") != "":
		return "control"
	case strings.HasPrefix(r.URL.Path, readPrefix):
		return "read"
	case s.runtimeOps != nil && model.Runtime.OperationFor(http.MethodPost, r.URL.Path) != nil:
		return "runtime"
	}
	return "events"
}
