// Package bulkcsv reads and writes Amazon Personalize's bulk CSV format:
// a header of the schema's field names, then one record per line, values
// separated by commas. A value is quoted when it needs to be (textual
// fields always are), and inside quotes a double quote or a backslash is
// escaped with a backslash, not doubled as RFC 4180 does. An unquoted empty
// value is null; a quoted one ("") is the empty string. Text is UTF-8.
//
// Both directions stream: memory does not grow with the file.
package bulkcsv

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/perchdev/perch"
)

// Writer writes rows of cells as bulk CSV.
type Writer struct {
	w       *bufio.Writer
	names   []string
	textual []bool
}

// NewWriter returns a writer of rows of the given fields, in their order.
func NewWriter(w io.Writer, fields []perch.Field) *Writer {
	cw := &Writer{w: bufio.NewWriterSize(w, 64<<10)}
	for _, f := range fields {
		cw.names = append(cw.names, f.Name)
		cw.textual = append(cw.textual, f.Textual)
	}
	return cw
}

// WriteHeader writes the field names, unquoted.
func (w *Writer) WriteHeader() error {
	_, err := w.w.WriteString(strings.Join(w.names, ",") + "\n")
	return err
}

// Write writes one row; it must have a cell per field.
func (w *Writer) Write(row []perch.Cell) error {
	if len(row) != len(w.names) {
		return fmt.Errorf("bulkcsv: row of %d cells for %d fields", len(row), len(w.names))
	}
	for i, c := range row {
		if i > 0 {
			w.w.WriteByte(',')
		}
		if c.Null {
			continue
		}
		if !w.textual[i] && !needsQuotes(c.Text) {
			w.w.WriteString(c.Text)
			continue
		}
		w.w.WriteByte('"')
		for j := 0; j < len(c.Text); j++ {
			if b := c.Text[j]; b == '"' || b == '\\' {
				w.w.WriteByte('\\')
			}
			w.w.WriteByte(c.Text[j])
		}
		w.w.WriteByte('"')
	}
	return w.w.WriteByte('\n')
}

func needsQuotes(s string) bool {
	return s == "" || strings.ContainsAny(s, ",\"\\\n\r")
}

// Flush writes what is buffered.
func (w *Writer) Flush() error { return w.w.Flush() }

// MaxRecordBytes bounds one record of a file being read, so that a quote
// left open cannot make the reader hold the rest of the file.
const MaxRecordBytes = 1 << 20

// Error is a problem with the file, at a line and, when known, a column.
type Error struct {
	Line   int
	Column string // a field name, or "" when the problem is the line's
	Msg    string
}

func (e *Error) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return fmt.Sprintf("line %d, column %s: %s", e.Line, e.Column, e.Msg)
}

// Reader reads bulk CSV into rows of a schema's fields.
type Reader struct {
	r        *bufio.Reader
	line     int   // the line the next record starts on
	lastLine int   // the line the last row read started on
	at       []int // field index of each column of the file
	fields   []perch.Field
	cells    []perch.Cell
	buf      bytes.Buffer
	starts   []int // where each value starts in buf
	quoted   []bool
}

// NewReader reads the header and checks it against fields: every column
// must name a field, once, and every field that is not nullable must have
// a column. The columns may come in any order; rows come back in the
// fields' order, null for fields the file has no column for.
func NewReader(r io.Reader, fields []perch.Field) (*Reader, error) {
	cr := &Reader{r: bufio.NewReaderSize(r, 64<<10), line: 1, fields: fields}
	if bom, err := cr.r.Peek(3); err == nil && string(bom) == "\uFEFF" {
		cr.r.Discard(3)
	}
	values, err := cr.record()
	if err == io.EOF {
		return nil, &Error{Line: 1, Msg: "the file is empty; it must start with a header of the schema's field names"}
	}
	if err != nil {
		return nil, err
	}
	byName := make(map[string]int, len(fields))
	names := make([]string, len(fields))
	for i, f := range fields {
		byName[f.Name] = i
		names[i] = f.Name
	}
	seen := make([]bool, len(fields))
	for _, v := range values {
		name := strings.TrimSpace(v)
		i, ok := byName[name]
		if !ok {
			return nil, &Error{Line: 1, Column: name, Msg: fmt.Sprintf(
				"the header names a column the dataset's schema does not have; its fields are %s", strings.Join(names, ", "))}
		}
		if seen[i] {
			return nil, &Error{Line: 1, Column: name, Msg: "the header names this column twice"}
		}
		seen[i] = true
		cr.at = append(cr.at, i)
	}
	for i, f := range fields {
		if !seen[i] && !f.Nullable {
			return nil, &Error{Line: 1, Column: f.Name, Msg: "the header lacks this column, which the schema requires"}
		}
	}
	cr.cells = make([]perch.Cell, len(fields))
	return cr, nil
}

// Line returns the line on which the row Read last returned started.
func (r *Reader) Line() int { return r.lastLine }

// Read returns the next row, or io.EOF after the last. The row is reused
// by the next call. Errors are *Error values naming the line and column.
func (r *Reader) Read() ([]perch.Cell, error) {
	for {
		start := r.line
		values, err := r.record()
		if err != nil {
			return nil, err
		}
		r.lastLine = start
		if len(values) == 1 && values[0] == "" && !r.quoted[0] {
			continue // a blank line
		}
		if len(values) != len(r.at) {
			return nil, &Error{Line: start, Msg: fmt.Sprintf("the header has %d columns but this line has %d", len(r.at), len(values))}
		}
		for i := range r.cells {
			r.cells[i] = perch.Cell{Null: true}
		}
		for col, v := range values {
			field := r.at[col]
			if !utf8.ValidString(v) {
				return nil, &Error{Line: start, Column: r.fields[field].Name, Msg: "the value is not valid UTF-8"}
			}
			if v == "" && !r.quoted[col] {
				continue
			}
			r.cells[field] = perch.Cell{Text: v}
		}
		return r.cells, nil
	}
}

// record reads the values of the next record, which may span lines inside
// quotes. The strings are only valid until the next call.
func (r *Reader) record() ([]string, error) {
	r.buf.Reset()
	r.starts = r.starts[:0]
	r.quoted = r.quoted[:0]
	start := r.line
	for {
		r.starts = append(r.starts, r.buf.Len())
		quoted, end, err := r.value(start)
		r.quoted = append(r.quoted, quoted)
		if err != nil {
			if err == io.EOF && len(r.starts) == 1 && r.buf.Len() == 0 && !quoted {
				return nil, io.EOF
			}
			if err != io.EOF {
				return nil, err
			}
			end = '\n' // the last line has no line break
		}
		if end == '\n' {
			break
		}
	}
	values := make([]string, len(r.starts))
	all := r.buf.String()
	for i, s := range r.starts {
		e := len(all)
		if i+1 < len(r.starts) {
			e = r.starts[i+1]
		}
		values[i] = all[s:e]
	}
	return values, nil
}

// value reads one value into buf and returns whether it was quoted and
// what ended it: ',' or '\n' (io.EOF at the end of the input).
func (r *Reader) value(start int) (quoted bool, end byte, err error) {
	b, err := r.r.ReadByte()
	if err != nil {
		return false, 0, err
	}
	if b != '"' {
		r.r.UnreadByte()
		for {
			b, err := r.r.ReadByte()
			if err != nil {
				return false, 0, err
			}
			switch b {
			case ',':
				return false, ',', nil
			case '\n':
				r.line++
				r.trimCR()
				return false, '\n', nil
			}
			if err := r.add(start, b); err != nil {
				return false, 0, err
			}
		}
	}
	for {
		b, err := r.r.ReadByte()
		if err == io.EOF {
			return true, 0, &Error{Line: start, Msg: "a quoted value is not closed before the end of the file"}
		}
		if err != nil {
			return true, 0, err
		}
		switch b {
		case '\\':
			next, err := r.r.ReadByte()
			if err != nil {
				return true, 0, &Error{Line: start, Msg: "a quoted value is not closed before the end of the file"}
			}
			if next != '"' && next != '\\' {
				if err := r.add(start, '\\'); err != nil {
					return true, 0, err
				}
			}
			b = next
		case '"':
			next, err := r.r.ReadByte()
			switch {
			case err == io.EOF:
				return true, 0, io.EOF
			case err != nil:
				return true, 0, err
			case next == '"': // RFC 4180's doubled quote, read for compatibility
			case next == ',':
				return true, ',', nil
			case next == '\n':
				r.line++
				return true, '\n', nil
			case next == '\r':
				if after, err := r.r.ReadByte(); err == nil && after == '\n' {
					r.line++
					return true, '\n', nil
				}
				fallthrough
			default:
				return true, 0, &Error{Line: start, Msg: fmt.Sprintf(
					"%q follows a closing quote; a quoted value must be followed by a comma or the end of the line", next)}
			}
		case '\n':
			r.line++
		}
		if err := r.add(start, b); err != nil {
			return true, 0, err
		}
	}
}

func (r *Reader) add(start int, b byte) error {
	if r.buf.Len() >= MaxRecordBytes {
		return &Error{Line: start, Msg: fmt.Sprintf("the record is longer than %d bytes (is a quote left open?)", MaxRecordBytes)}
	}
	r.buf.WriteByte(b)
	return nil
}

// trimCR drops the carriage return of a CRLF line end from an unquoted
// value.
func (r *Reader) trimCR() {
	if n := r.buf.Len(); n > r.starts[len(r.starts)-1] && r.buf.Bytes()[n-1] == '\r' {
		r.buf.Truncate(n - 1)
	}
}
