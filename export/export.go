// Package export streams a dataset's records as training data: Amazon
// Personalize's bulk CSV, JSON Lines or Parquet, one row per record with
// the schema's columns. Duplicates (a repeated eventId) are left out, as
// are records that lack a value for a non-nullable column (anonymous
// events without a userId, say), which Personalize could not import.
package export

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/bulkcsv"
	"github.com/perchdev/perch/parquetfile"
)

// Format is how rows are written.
type Format string

const (
	CSV     Format = "csv"
	JSONL   Format = "jsonl"
	Parquet Format = "parquet"
)

// ParseFormat accepts csv, jsonl or parquet.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case CSV, JSONL, Parquet:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q: use csv, jsonl or parquet", s)
}

// ContentType is the media type of the format.
func (f Format) ContentType() string {
	switch f {
	case JSONL:
		return "application/x-ndjson"
	case Parquet:
		return "application/vnd.apache.parquet"
	}
	return "text/csv; charset=utf-8"
}

// FileName names the file of a dataset of type t: interactions.csv,
// action_interactions.parquet, ...
func FileName(t perch.DatasetType, f Format) string {
	return strings.ToLower(string(t)) + "." + string(f)
}

// Options select what is written and how.
type Options struct {
	Format Format
	// Source selects records by how they arrived; "" means all.
	Source perch.IngestionMode
	// Time, when set, keeps the interactions whose time is in the range.
	Time *perch.TimeRange
	// Read, when set, is called for each record read from the store,
	// written or left out: a running export's progress.
	Read func()
}

// Stats counts what was written and left out.
type Stats struct {
	Rows       int `json:"rows"`
	Duplicates int `json:"duplicates"`
	// Incomplete counts records without a value for a non-nullable
	// column; MissingColumn names the first such column met.
	Incomplete    int    `json:"incomplete"`
	MissingColumn string `json:"missingColumn,omitempty"`
}

// rowWriter is one format's writer.
type rowWriter interface {
	Write(row []perch.Cell) error
	Close() error
}

// Dataset writes the records of d that opts selects to w. Memory does not
// grow with the number of records.
func Dataset(ctx context.Context, store perch.Store, d *perch.Dataset, schema *perch.AvroSchema, opts Options, w io.Writer) (Stats, error) {
	cols := schema.Columns(d.Type)
	rw, err := newRowWriter(w, opts.Format, cols.Fields)
	if err != nil {
		return Stats{}, err
	}
	var st Stats
	var row []perch.Cell
	emit := func(missing string) error {
		if missing != "" {
			st.Incomplete++
			if st.MissingColumn == "" {
				st.MissingColumn = missing
			}
			return nil
		}
		st.Rows++
		return rw.Write(row)
	}
	q := perch.RecordQuery{Source: opts.Source, Time: opts.Time}
	read := opts.Read
	if read == nil {
		read = func() {}
	}
	switch d.Type {
	case perch.Interactions:
		err = store.Events(ctx, d.ID, q, func(e *perch.Event) error {
			read()
			if e.Duplicate {
				st.Duplicates++
				return nil
			}
			var missing string
			row, missing = cols.EventRow(e, row)
			return emit(missing)
		})
	case perch.ActionInteractions:
		err = store.ActionInteractions(ctx, d.ID, q, func(a *perch.ActionInteraction) error {
			read()
			if a.Duplicate {
				st.Duplicates++
				return nil
			}
			var missing string
			row, missing = cols.ActionInteractionRow(a, row)
			return emit(missing)
		})
	default:
		q.Time = nil // the range is of interactions' times
		err = store.Entities(ctx, d.ID, q, func(e *perch.Entity) error {
			read()
			var missing string
			row, missing = cols.EntityRow(e, row)
			return emit(missing)
		})
	}
	if err != nil {
		return st, err
	}
	return st, rw.Close()
}

func newRowWriter(w io.Writer, f Format, fields []perch.Field) (rowWriter, error) {
	switch f {
	case CSV, "":
		cw := bulkcsv.NewWriter(w, fields)
		return csvWriter{cw}, cw.WriteHeader()
	case JSONL:
		return &jsonlWriter{w: bufio.NewWriterSize(w, 64<<10), fields: fields}, nil
	case Parquet:
		return parquetfile.NewWriter(w, fields), nil
	}
	return nil, fmt.Errorf("export: unknown format %q", f)
}

type csvWriter struct{ *bulkcsv.Writer }

func (w csvWriter) Close() error { return w.Flush() }

// jsonlWriter writes each row as a JSON object keyed by field name, with
// numbers and booleans as JSON numbers and booleans; null values are left
// out.
type jsonlWriter struct {
	w      *bufio.Writer
	fields []perch.Field
	buf    []byte
}

func (w *jsonlWriter) Write(row []perch.Cell) error {
	b := append(w.buf[:0], '{')
	first := true
	for i, c := range row {
		if c.Null {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, w.fields[i].Name)
		b = append(b, ':')
		if w.fields[i].Type == perch.TypeString {
			b = appendJSONString(b, c.Text)
		} else {
			b = append(b, c.Text...)
		}
	}
	b = append(b, '}', '\n')
	w.buf = b
	_, err := w.w.Write(b)
	return err
}

func appendJSONString(b []byte, s string) []byte {
	js, _ := json.Marshal(s)
	return append(b, js...)
}

func (w *jsonlWriter) Close() error { return w.w.Flush() }
