// Package awsapi is the wire: it serves the Amazon Personalize control
// plane (awsJson 1.1), events API and runtime API (both rest-json) on one
// handler, validates every request against the official service models,
// and answers in AWS's envelopes. It also serves perch's own read API under
// /_perch/.
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
	// Solutions serves the recommendation side's control plane (recipes,
	// solutions and their versions, campaigns), and Runtime the runtime
	// API; without them their operations are unsupported.
	Solutions perch.Solutions
	Runtime   perch.Runtime
	// Filters serves the filters' control plane, and Tagging the tag
	// operations; without them their operations are unsupported.
	Filters perch.Filters
	Tagging perch.Tagging
	// Batch serves the batch inference jobs' control plane; without it
	// its operations are unsupported.
	Batch perch.BatchJobs
	// Segments serves the batch segment jobs' control plane; without it
	// its operations are unsupported.
	Segments perch.SegmentJobs
	// Attributions serves the metric attributions' control plane and the
	// read API's reports of them.
	Attributions perch.MetricAttributions
	// Recommenders serves the domain recommenders' control plane.
	Recommenders perch.Recommenders
	// Account is the AWS account id requests act for when Verifier is nil.
	Account string
	// Verifier, when set, makes every request (but the health probe)
	// prove with a SigV4 signature which key sent it; the request then
	// acts for that key's account. When nil, any signature is accepted.
	Verifier *sigv4.Verifier
	// MaxInFlight bounds the events API calls served at once; calls past
	// it are answered ThrottlingException at once, which SDKs retry with
	// backoff, instead of queueing for ever longer. 0 means no bound.
	// Runtime calls are not counted: they wait for no commit, and a burst
	// of events calls must not make recommendations fail, nor the reverse.
	MaxInFlight int
	Logger      *slog.Logger
	// Observe, when set, is given the Outcome of every request the Server
	// answers, refused ones included, once its answer is written; it runs
	// on the request's goroutine, so it must be quick.
	Observe func(*Outcome)
}

// Server is an http.Handler for all of perch's APIs.
type Server struct {
	catalog   perch.Catalog
	ingest    perch.Ingest
	store     perch.Store
	jobs      perch.Jobs
	runtime   perch.Runtime
	solutions perch.Solutions
	filters   perch.Filters
	tagging   perch.Tagging
	batch     perch.BatchJobs
	segments  perch.SegmentJobs
	// attributions is nil without metric attributions.
	attributions perch.MetricAttributions
	recommenders perch.Recommenders
	account      string
	verifier     *sigv4.Verifier
	log          *slog.Logger
	// inFlight holds a token for each events call being served; nil
	// without a bound.
	inFlight chan struct{}
	// observer is Config.Observe.
	observer func(*Outcome)

	control map[string]controlOp
	events  map[string]func(context.Context, model.Value) error
	// runtimeOps is nil without a Runtime.
	runtimeOps map[string]runtimeOp
}

// New returns a Server.
func New(cfg Config) *Server {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		catalog: cfg.Catalog, ingest: cfg.Ingest, store: cfg.Store, jobs: cfg.Jobs, solutions: cfg.Solutions, runtime: cfg.Runtime,
		filters: cfg.Filters, tagging: cfg.Tagging, batch: cfg.Batch, segments: cfg.Segments, attributions: cfg.Attributions, recommenders: cfg.Recommenders, account: cfg.Account, verifier: cfg.Verifier, log: log,
		observer: cfg.Observe,
	}
	if cfg.MaxInFlight > 0 {
		s.inFlight = make(chan struct{}, cfg.MaxInFlight)
	}
	s.control = s.controlOps()
	if s.jobs != nil {
		maps.Copy(s.control, s.jobOps())
	}
	if s.solutions != nil {
		maps.Copy(s.control, s.solutionOps())
	}
	if s.filters != nil {
		maps.Copy(s.control, s.filterOps())
	}
	if s.tagging != nil {
		maps.Copy(s.control, s.tagOps())
	}
	if s.batch != nil {
		maps.Copy(s.control, s.batchOps())
	}
	if s.segments != nil {
		maps.Copy(s.control, s.segmentOps())
	}
	if s.attributions != nil {
		maps.Copy(s.control, s.attributionOps())
	}
	if s.recommenders != nil {
		maps.Copy(s.control, s.recommenderOps())
	}
	if s.runtime != nil {
		s.runtimeOps = s.runtimeOperations()
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

// ServeHTTP serves every request in one order: the checks of its header
// section and its route; for an events call, admission to the in-flight
// bound (runtime calls are not bounded: see Config.MaxInFlight); its
// body, read once; its signature, over that body; then the operation.
// Routing and admission look at nothing but the header section, so that a
// call past the bound is refused before its body is read or its signature
// checked: shedding load costs next to nothing. A request that names no
// operation is told so only after authentication, so that only a caller
// with a valid signature learns which routes exist.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", requestID)
	if s.observer != nil {
		ow := s.observe(w, requestID)
		w = ow
		defer s.finish(ow, r)
	}
	contentType := errorContentType(r)
	if e := checkRequest(r); e != nil {
		writeError(w, contentType, *e)
		return
	}
	rt := s.route(r)
	if rt.api == eventsAPI && rt.op != nil && s.inFlight != nil {
		select {
		case s.inFlight <- struct{}{}:
			defer func() { <-s.inFlight }()
		default:
			writeError(w, contentType, toAPIError(model.Events, s.tooBusy(), s.log))
			return
		}
	}
	// The body is read when something uses it: the operation, which takes
	// it as its input, or the signature, which covers it.
	var raw []byte
	if rt.op != nil || s.verifier != nil && !rt.open {
		var e *apiError
		if raw, e = readBody(w, r); e != nil {
			writeError(w, contentType, *e)
			return
		}
	}
	account := s.account
	if !rt.open {
		var e *apiError
		if account, e = s.authenticate(r, raw); e != nil {
			writeError(w, contentType, *e)
			return
		}
	}
	if ow, ok := w.(*observedWriter); ok {
		ow.outcome.Account = account
	}
	if rt.unknown != nil {
		writeError(w, contentType, *rt.unknown)
		return
	}
	r = r.WithContext(perch.WithAccount(r.Context(), account))
	switch rt.api {
	case controlPlane:
		s.serveControl(w, r, rt, raw)
	case eventsAPI:
		s.serveEvents(w, r, rt.op, raw)
	case runtimeAPI:
		s.serveRuntime(w, r, rt.op, raw)
	case readAPI:
		rt.read(s, w, r)
	}
}

// api is one of the APIs a Server serves.
type api int

const (
	controlPlane api = iota
	eventsAPI
	runtimeAPI
	readAPI
)

// route is what a request's header section says it asks for. Routing
// reads nothing else, so that the request can be admitted or refused
// before its body is read.
type route struct {
	api api
	// op is the control-plane, events or runtime operation asked for,
	// whose input is the body; nil for the read API and when the request
	// names no operation.
	op      *model.Operation
	control controlOp
	read    readOp
	// unknown is the answer to a request that names no operation. It is
	// given after authentication, so that only a caller with a valid
	// signature learns which routes exist.
	unknown *apiError
	// open is the health and readiness probes, served without a
	// signature so that orchestrators need no keys.
	open bool
}

// route reads r's route from its target header, method and path. A
// target means the control plane, a path under readPrefix the read API, a
// path of the runtime model the runtime API (when the server has one),
// anything else the events API.
func (s *Server) route(r *http.Request) route {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		rt := route{api: controlPlane}
		name, ok := strings.CutPrefix(target, targetPrefix)
		op, control := model.Personalize.Operation(name), s.control[name]
		switch {
		case !ok || op == nil || control == nil:
			rt.unknown = &apiError{status: http.StatusBadRequest, code: eUnknownOperation, message: "Operation " + target + " is not supported by this endpoint"}
		case r.Method != http.MethodPost || r.URL.Path != "/":
			rt.unknown = &apiError{status: http.StatusNotFound, code: eUnknownOperation, message: "Control-plane operations are POST / with an X-Amz-Target header"}
		default:
			rt.op, rt.control = op, control
		}
		return rt
	}
	if name, ok := strings.CutPrefix(r.URL.Path, readPrefix); ok {
		rt := route{api: readAPI, open: name == "health" || name == "ready"}
		switch {
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			rt.unknown = &apiError{status: http.StatusMethodNotAllowed, code: eUnknownOperation, message: "The read API only answers GET"}
		case readOperations[name] == nil:
			rt.unknown = &apiError{status: http.StatusNotFound, code: eUnknownOperation, message: "No read API at " + r.URL.Path}
		default:
			rt.read = readOperations[name]
		}
		return rt
	}
	if rt, ok := s.runtimeRoute(r); ok {
		return rt
	}
	rt := route{api: eventsAPI, op: model.Events.OperationFor(r.Method, r.URL.Path)}
	if rt.op == nil {
		status := http.StatusNotFound
		if model.Events.OperationFor(http.MethodPost, r.URL.Path) != nil {
			status = http.StatusMethodNotAllowed
		}
		rt.unknown = &apiError{status: status, code: eUnknownOperation, message: r.Method + " " + r.URL.Path + " is not an operation of this endpoint"}
	}
	return rt
}

// runtimeRoute routes a request for a path of the runtime API; ok is false
// for any other path, and for every path while the server has no runtime,
// which then answers them as paths it does not know.
func (s *Server) runtimeRoute(r *http.Request) (rt route, ok bool) {
	op := model.Runtime.OperationFor(http.MethodPost, r.URL.Path)
	if op == nil || s.runtimeOps == nil {
		return route{}, false
	}
	rt = route{api: runtimeAPI}
	switch {
	case r.Method != http.MethodPost:
		rt.unknown = &apiError{status: http.StatusMethodNotAllowed, code: eUnknownOperation, message: r.Method + " " + r.URL.Path + " is not an operation of this endpoint"}
	case s.runtimeOps[op.Name].call == nil:
		// An operation of the model that perch does not serve is answered
		// as the control plane answers one of its own: the SDKs surface the
		// code, and none retries a 400.
		rt.unknown = &apiError{status: http.StatusBadRequest, code: eUnknownOperation,
			message: "Operation " + op.Name + " (" + op.Method + " " + op.Path + ") is not supported by this endpoint"}
	default:
		rt.op = op
	}
	return rt, true
}

// OperationName names the operation r asks for, as the service models do
// (CreateDatasetGroup, PutEvents, GetRecommendations), or read/<name> for
// the read API; a request that names none of them is "unknown". The names
// form a bounded set, fit for a metric's label.
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
	if op := model.Runtime.OperationFor(r.Method, r.URL.Path); op != nil {
		return op.Name
	}
	return "unknown"
}

// serveControl and serveEvents take the body as sent, which they decode
// (Content-Encoding) before validating it.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request, rt route, raw []byte) {
	fail := func(e apiError) { writeError(w, contentTypeAWSJSON, e) }
	body, apiErr := decodeContent(r, raw)
	if apiErr != nil {
		fail(*apiErr)
		return
	}
	if err := rt.op.Validate(body); err != nil {
		fail(toAPIError(model.Personalize, err, s.log))
		return
	}
	out, err := rt.control(r.Context(), body)
	if err != nil {
		fail(toAPIError(model.Personalize, err, s.log))
		return
	}
	w.Header().Set("Content-Type", contentTypeAWSJSON)
	if err := json.NewEncoder(w).Encode(out); err != nil {
		s.log.Debug("writing response", "op", rt.op.Name, "err", err)
	}
}

func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request, op *model.Operation, raw []byte) {
	fail := func(e apiError) { writeError(w, contentTypeJSON, e) }
	body, apiErr := decodeContent(r, raw)
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

// readBody reads the body as sent, up to MaxBodyBytes: what a signature
// covers, and what the operation decodes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, *apiError) {
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
			return nil, &apiError{status: http.StatusRequestTimeout, code: eRequestTimeout,
				message: "The request body was not received in time; send it without pauses"}
		}
		return nil, &apiError{status: http.StatusBadRequest, code: eSerialization, message: "Could not read the request body: " + err.Error()}
	}
	return buf.Bytes(), nil
}

func tooLarge() *apiError {
	return &apiError{status: http.StatusRequestEntityTooLarge, code: eRequestTooLarge,
		message: "Request body is larger than the limit of " + strconv.Itoa(MaxBodyBytes) + " bytes"}
}
