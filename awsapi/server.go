// Package awsapi is the wire: it serves the Amazon Personalize control
// plane (awsJson 1.1) and events API (rest-json) on one handler, validates
// every request against the official service models, and answers in AWS's
// envelopes. It also serves perch's own read API under /_perch/.
package awsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/awsapi/model"
	"github.com/perchdev/perch/sigv4"
)

const (
	contentTypeAWSJSON = "application/x-amz-json-1.1"
	contentTypeJSON    = "application/json"
	targetPrefix       = "AmazonPersonalize."

	// MaxBodyBytes bounds a request body. The largest valid events request
	// (ten items of 32,000-character properties, escaped) is well below it.
	MaxBodyBytes = 4 << 20
)

// Config is what a Server needs.
type Config struct {
	Catalog perch.Catalog
	Ingest  perch.Ingest
	Store   perch.Store
	// Jobs serves the job operations; without it they are unsupported.
	Jobs perch.Jobs
	// Account is the AWS account id requests act for when Verifier is nil.
	Account string
	// Verifier, when set, makes every request (but the health probe)
	// prove with a SigV4 signature which key sent it; the request then
	// acts for that key's account. When nil, any signature is accepted.
	Verifier *sigv4.Verifier
	// MaxInFlight bounds the events API calls served at once; calls past
	// it are answered ThrottlingException at once, which SDKs retry with
	// backoff, instead of queueing for ever longer. 0 means no bound.
	MaxInFlight int
	Logger      *slog.Logger
}

// Server is an http.Handler for all of perch's APIs.
type Server struct {
	catalog  perch.Catalog
	ingest   perch.Ingest
	store    perch.Store
	jobs     perch.Jobs
	account  string
	verifier *sigv4.Verifier
	log      *slog.Logger
	// inFlight holds a token for each events call being served; nil
	// without a bound.
	inFlight chan struct{}

	control map[string]controlOp
	events  map[string]func(context.Context, model.Value) error
}

// New returns a Server.
func New(cfg Config) *Server {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{catalog: cfg.Catalog, ingest: cfg.Ingest, store: cfg.Store, jobs: cfg.Jobs, account: cfg.Account, verifier: cfg.Verifier, log: log}
	if cfg.MaxInFlight > 0 {
		s.inFlight = make(chan struct{}, cfg.MaxInFlight)
	}
	s.control = s.controlOps()
	if s.jobs != nil {
		maps.Copy(s.control, s.jobOps())
	}
	s.events = map[string]func(context.Context, model.Value) error{
		"PutEvents":             s.putEvents,
		"PutActionInteractions": s.putActionInteractions,
		"PutItems":              s.putEntities(perch.Items),
		"PutUsers":              s.putEntities(perch.Users),
		"PutActions":            s.putEntities(perch.Actions),
	}
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-amzn-RequestId", uuid.NewString())
	if e := checkRequest(r); e != nil {
		writeError(w, errorContentType(r), *e)
		return
	}
	account, raw, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	r = r.WithContext(perch.WithAccount(r.Context(), account))

	switch {
	case r.Header.Get("X-Amz-Target") != "":
		s.serveControl(w, r, raw)
	case strings.HasPrefix(r.URL.Path, readPrefix):
		s.serveRead(w, r)
	default:
		s.serveEvents(w, r, raw)
	}
}

// OperationName names the operation r asks for, as the service models do
// (CreateDatasetGroup, PutEvents), or read/<name> for the read API; a
// request that names none of them is "unknown". The names form a bounded
// set, fit for a metric's label.
func OperationName(r *http.Request) string {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		if name, ok := strings.CutPrefix(target, targetPrefix); ok {
			if op := model.Personalize.Operation(name); op != nil {
				return op.Name
			}
		}
		return "unknown"
	}
	if name, ok := strings.CutPrefix(r.URL.Path, readPrefix); ok {
		if readOperations[name] != nil {
			return "read/" + name
		}
		return "unknown"
	}
	if op := model.Events.OperationFor(r.Method, r.URL.Path); op != nil {
		return op.Name
	}
	return "unknown"
}

// serveControl and serveEvents take the body as sent when authentication
// has read it already, nil when not.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request, raw []byte) {
	fail := func(e apiError) { writeError(w, contentTypeAWSJSON, e) }
	target := r.Header.Get("X-Amz-Target")
	name, ok := strings.CutPrefix(target, targetPrefix)
	op := model.Personalize.Operation(name)
	if !ok || op == nil || s.control[name] == nil {
		fail(apiError{http.StatusBadRequest, eUnknownOperation, "Operation " + target + " is not supported by this endpoint"})
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		fail(apiError{http.StatusNotFound, eUnknownOperation, "Control-plane operations are POST / with an X-Amz-Target header"})
		return
	}
	body, apiErr := readBody(w, r, raw)
	if apiErr != nil {
		fail(*apiErr)
		return
	}
	if err := op.Validate(body); err != nil {
		fail(toAPIError(model.Personalize, err, s.log))
		return
	}
	out, err := s.control[name](r.Context(), body)
	if err != nil {
		fail(toAPIError(model.Personalize, err, s.log))
		return
	}
	w.Header().Set("Content-Type", contentTypeAWSJSON)
	if err := json.NewEncoder(w).Encode(out); err != nil {
		s.log.Debug("writing response", "op", name, "err", err)
	}
}

func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request, raw []byte) {
	fail := func(e apiError) { writeError(w, contentTypeJSON, e) }
	op := model.Events.OperationFor(r.Method, r.URL.Path)
	if op == nil {
		status := http.StatusNotFound
		if model.Events.OperationFor(http.MethodPost, r.URL.Path) != nil {
			status = http.StatusMethodNotAllowed
		}
		fail(apiError{status, eUnknownOperation, r.Method + " " + r.URL.Path + " is not an operation of this endpoint"})
		return
	}
	// The bound is taken before the body is read, so that refusing costs
	// next to nothing when the server has more than it can do.
	if s.inFlight != nil {
		select {
		case s.inFlight <- struct{}{}:
			defer func() { <-s.inFlight }()
		default:
			fail(toAPIError(model.Events, s.tooBusy(), s.log))
			return
		}
	}
	body, apiErr := readBody(w, r, raw)
	if apiErr != nil {
		fail(*apiErr)
		return
	}
	doc, err := op.Parse(body)
	if err != nil {
		fail(toAPIError(model.Events, err, s.log))
		return
	}
	err = s.events[op.Name](r.Context(), doc.Root())
	doc.Close()
	if err != nil {
		fail(toAPIError(model.Events, err, s.log))
		return
	}
	// AWS documents an empty 200 for every events operation.
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

func (s *Server) tooBusy() error {
	return perch.Errorf(perch.EThrottling,
		"Rate exceeded: the server is already serving %d events calls; retry with backoff", cap(s.inFlight))
}

// readBody reads the whole body up to MaxBodyBytes, unless raw holds it
// already, and undoes its Content-Encoding.
func readBody(w http.ResponseWriter, r *http.Request, raw []byte) ([]byte, *apiError) {
	if raw == nil {
		var apiErr *apiError
		if raw, apiErr = readRawBody(w, r); apiErr != nil {
			return nil, apiErr
		}
	}
	return decodeContent(r, raw)
}

// readRawBody reads the body as sent, up to MaxBodyBytes: what a
// signature covers. The slice it returns is never nil.
func readRawBody(w http.ResponseWriter, r *http.Request) ([]byte, *apiError) {
	if r.ContentLength > MaxBodyBytes {
		return nil, tooLarge()
	}
	// A declared length is read into a buffer of that size (and the room
	// ReadFrom wants to see the end) rather than one that doubles as it
	// grows.
	buf := bytes.NewBuffer(make([]byte, 0, max(r.ContentLength, 0)+bytes.MinRead))
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		var netErr net.Error
		switch {
		case errors.As(err, &tooBig):
			return nil, tooLarge()
		case errors.As(err, &netErr) && netErr.Timeout():
			return nil, &apiError{http.StatusRequestTimeout, eRequestTimeout,
				"The request body was not received in time; send it without pauses"}
		}
		return nil, &apiError{http.StatusBadRequest, eSerialization, "Could not read the request body: " + err.Error()}
	}
	return buf.Bytes(), nil
}

func tooLarge() *apiError {
	return &apiError{http.StatusRequestEntityTooLarge, eRequestTooLarge,
		"Request body is larger than the limit of " + strconv.Itoa(MaxBodyBytes) + " bytes"}
}

// decode reads a body the validator has accepted into a request struct.
// An empty body is an empty input, as botocore sends {} and some clients
// send nothing.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &model.SerializationError{Message: "Could not decode the request body: " + err.Error()}
	}
	return nil
}
