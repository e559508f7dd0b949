package awsapi

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/awsapi/model"
	"github.com/perchdev/perch/export"
)

// Trailers of an export response: what was written and left out, and the
// error that cut the stream short, if one did. A client that reads the
// whole body then finds them in the response's trailer.
const (
	trailerStats = "Perch-Export-Stats"
	trailerError = "Perch-Export-Error"
)

// serveDatasets lists a dataset group's datasets as JSON Lines.
func (s *Server) serveDatasets(w http.ResponseWriter, r *http.Request) {
	group := r.URL.Query().Get("datasetGroupArn")
	if group == "" {
		writeError(w, contentTypeJSON, apiError{status: http.StatusBadRequest, code: perch.EInvalidInput, message: "The datasetGroupArn query parameter is required"})
		return
	}
	ctx := r.Context()
	if _, err := s.catalog.DescribeDatasetGroup(ctx, group); err != nil {
		writeError(w, contentTypeJSON, toAPIError(model.Events, err, s.log))
		return
	}
	var all []*perch.Dataset
	for p := (perch.Page{}); ; {
		page, next, err := s.catalog.ListDatasets(ctx, group, p)
		if err != nil {
			writeError(w, contentTypeJSON, toAPIError(model.Events, err, s.log))
			return
		}
		all = append(all, page...)
		if next == "" {
			break
		}
		p.NextToken = next
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	for _, d := range all {
		_ = enc.Encode(map[string]any{"datasetArn": d.ARN, "datasetType": d.Type})
	}
}

// serveExport streams a dataset as training data:
//
//	GET /_perch/export?datasetArn=ARN[&format=csv|jsonl|parquet][&ingestionMode=PUT|BULK|ALL][&since=T][&until=T]
//
// The format defaults to csv (Personalize bulk CSV) and the records to
// ALL. since and until bound the time of interactions, in epoch seconds
// or RFC 3339; until is exclusive. The Perch-Export-Stats trailer counts
// the rows written and the records left out; Perch-Export-Error, when
// set, says why the stream ended early.
func (s *Server) serveExport(w http.ResponseWriter, r *http.Request) {
	fail := func(code, msg string) {
		writeError(w, contentTypeJSON, apiError{status: http.StatusBadRequest, code: code, message: msg})
	}
	failWith := func(err error) { writeError(w, contentTypeJSON, toAPIError(model.Events, err, s.log)) }
	q := r.URL.Query()
	arn := q.Get("datasetArn")
	if arn == "" {
		fail(perch.EInvalidInput, "The datasetArn query parameter is required")
		return
	}
	opts := export.Options{Format: export.CSV, Source: perch.IngestAll}
	var err error
	if f := q.Get("format"); f != "" {
		if opts.Format, err = export.ParseFormat(f); err != nil {
			fail(perch.EInvalidInput, "The format query parameter: "+err.Error())
			return
		}
	}
	if m := q.Get("ingestionMode"); m != "" {
		if opts.Source, err = ingestionMode(m); err != nil {
			failWith(err)
			return
		}
	}
	if since, until := q.Get("since"), q.Get("until"); since != "" || until != "" {
		opts.Time = &perch.TimeRange{From: -perch.MaxTimestampSeconds * 1000, To: perch.MaxTimestampSeconds*1000 + 1}
		if since != "" {
			if opts.Time.From, err = parseTime("since", since); err != nil {
				failWith(err)
				return
			}
		}
		if until != "" {
			if opts.Time.To, err = parseTime("until", until); err != nil {
				failWith(err)
				return
			}
		}
	}
	ctx := r.Context()
	d, schema, err := s.catalog.DatasetSchema(ctx, arn)
	if err != nil {
		failWith(err)
		return
	}
	// An export takes as long as the dataset is large.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", opts.Format.ContentType())
	h.Set("Trailer", trailerStats+", "+trailerError)
	bw := bufio.NewWriterSize(w, 256<<10)
	st, err := export.Dataset(ctx, s.store, d, schema, opts, bw)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		s.log.Warn("exporting", "dataset", arn, "err", err)
		h.Set(trailerError, err.Error())
	}
	stats, _ := json.Marshal(st)
	h.Set(trailerStats, string(stats))
}

// ingestionMode reads an ingestionMode parameter.
func ingestionMode(s string) (perch.IngestionMode, error) {
	switch m := perch.IngestionMode(s); m {
	case "":
		return perch.IngestAll, nil
	case perch.IngestPut, perch.IngestBulk, perch.IngestAll:
		return m, nil
	}
	return "", perch.Errorf(perch.EInvalidInput, "The ingestionMode query parameter must be PUT, BULK or ALL, got %q", s)
}

// parseTime reads epoch seconds or an RFC 3339 time.
func parseTime(name, s string) (perch.Timestamp, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if t, err := perch.TimestampFromSeconds(float64(n)); err == nil {
			return t, nil
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return perch.TimestampOf(t), nil
	}
	return 0, perch.Errorf(perch.EInvalidInput, "The %s query parameter must be epoch seconds or an RFC 3339 time, got %q", name, s)
}
