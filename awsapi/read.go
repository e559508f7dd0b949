package awsapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/awsapi/model"
)

// readPrefix is where perch's own API lives. No AWS operation uses a path
// under it, so it cannot collide with a Personalize route.
const readPrefix = "/_perch/"

// readOperations are perch's read API, by their path under readPrefix:
//
//	GET /_perch/health
//	GET /_perch/ready
//	GET /_perch/records?datasetArn=ARN[&userId=U][&sessionId=S][&id=ID][&limit=N][&ingestionMode=M]
//	GET /_perch/datasets?datasetGroupArn=ARN
//	GET /_perch/export?datasetArn=ARN[&format=F][&ingestionMode=M][&since=T][&until=T]
//	GET /_perch/metric-attribution?metricAttributionArn=ARN
//
// Records come back as JSON Lines (application/x-ndjson), one record per
// line, with the events API's field names; datasets as JSON Lines of
// datasetArn and datasetType; an export as training data (see export.go).
// The server's routing and OperationName both name them from this table.
var readOperations = map[string]readOp{
	"health":   (*Server).serveHealth,
	"ready":    (*Server).serveReady,
	"records":  (*Server).serveRecords,
	"datasets": (*Server).serveDatasets,
	"export":   (*Server).serveExport,

	"metric-attribution": (*Server).serveMetricAttribution,
}

// readOp serves one operation of the read API, which takes no body.
type readOp func(*Server, http.ResponseWriter, *http.Request)

func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", contentTypeJSON)
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
}

// ReadyStore is a store that can tell whether it can serve now: Ready
// returns nil when it can, and why not otherwise. The readiness probe asks
// a Server's store when it is one.
type ReadyStore interface {
	Ready(ctx context.Context) error
}

// serveReady answers the readiness probe: 200 while the store can serve,
// 503 ServiceUnavailable in AWS's envelope, with the store's reason, while
// it cannot (unavailable, or refusing writes for space), so that a load
// balancer sends the node no traffic meanwhile. The health probe, by
// contrast, says only that the process answers.
func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	if rs, ok := s.store.(ReadyStore); ok {
		if err := rs.Ready(r.Context()); err != nil {
			msg := err.Error()
			var pe *perch.Error
			if errors.As(err, &pe) {
				msg = pe.Message
			}
			writeError(w, contentTypeJSON, apiError{status: http.StatusServiceUnavailable, code: perch.EServiceUnavailable, message: "Not ready: " + msg})
			return
		}
	}
	w.Header().Set("Content-Type", contentTypeJSON)
	_, _ = w.Write([]byte(`{"status":"ready"}` + "\n"))
}

func (s *Server) serveRecords(w http.ResponseWriter, r *http.Request) {
	fail := func(e apiError) { writeError(w, contentTypeJSON, e) }
	q := r.URL.Query()
	arn := q.Get("datasetArn")
	if arn == "" {
		fail(apiError{status: http.StatusBadRequest, code: perch.EInvalidInput, message: "The datasetArn query parameter is required"})
		return
	}
	query := perch.RecordQuery{UserID: q.Get("userId"), SessionID: q.Get("sessionId"), ID: q.Get("id")}
	var err error
	if query.Source, err = ingestionMode(q.Get("ingestionMode")); err != nil {
		fail(toAPIError(model.Events, err, s.log))
		return
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 {
			fail(apiError{status: http.StatusBadRequest, code: perch.EInvalidInput, message: "The limit query parameter must be a non-negative integer, got " + strconv.Quote(l)})
			return
		}
		query.Limit = n
	}
	var ds *perch.Dataset
	ds, err = s.catalog.DescribeDataset(r.Context(), arn)
	if err != nil {
		fail(toAPIError(model.Events, err, s.log))
		return
	}

	w.Header().Set("Content-Type", "application/x-ndjson")
	if r.Method == http.MethodHead {
		return
	}
	// Until the buffer first fills nothing has been sent, so a failure can
	// still be answered with an error; after that it can only cut the
	// stream short, at a line boundary a reader can detect.
	sent := &sentWriter{w: w, rc: http.NewResponseController(w)}
	bw := bufio.NewWriterSize(sent, 64<<10)
	enc := json.NewEncoder(bw)
	ctx := r.Context()
	switch ds.Type {
	case perch.Interactions:
		err = s.store.Events(ctx, ds.ID, query, func(e *perch.Event) error { return enc.Encode(e) })
	case perch.ActionInteractions:
		err = s.store.ActionInteractions(ctx, ds.ID, query, func(a *perch.ActionInteraction) error { return enc.Encode(a) })
	default:
		idKey := map[perch.DatasetType]string{perch.Items: "itemId", perch.Users: "userId", perch.Actions: "actionId"}[ds.Type]
		err = s.store.Entities(ctx, ds.ID, query, func(e *perch.Entity) error {
			rec := map[string]any{idKey: e.ID, "updatedAt": e.Updated}
			if e.Properties != "" {
				rec["properties"] = e.Properties
			}
			if e.Bulk {
				rec["bulk"] = true
			}
			return enc.Encode(rec)
		})
	}
	if err != nil {
		s.log.Warn("reading records", "dataset", arn, "err", err)
		if !sent.started {
			w.Header().Del("Content-Type")
			fail(toAPIError(model.Events, err, s.log))
		}
		return
	}
	_ = bw.Flush()
}

// sentWriter remembers whether anything reached the client, and gives
// every write its own deadline: a read holds a snapshot of the store (and
// the store's recovery waits for it), so a client that stops reading is
// cut off after chunkTimeout rather than after the server's whole write
// timeout.
type sentWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	started bool
}

const chunkTimeout = 30 * time.Second

func (s *sentWriter) Write(p []byte) (int, error) {
	s.started = true
	_ = s.rc.SetWriteDeadline(time.Now().Add(chunkTimeout)) // not every ResponseWriter supports it
	return s.w.Write(p)
}
