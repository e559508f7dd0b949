// Package parquetfile writes rows of a dataset's columns as a Parquet file
// (github.com/parquet-go/parquet-go), one column per schema field with the
// field's type: string as UTF-8 byte arrays, int and long as 32- and
// 64-bit integers, float, double and boolean as themselves, nullable
// fields optional. Rows are cut into row groups as they come, so memory
// stays bounded whatever the number of rows.
package parquetfile

import (
	"fmt"
	"io"
	"strconv"

	pq "github.com/parquet-go/parquet-go"

	"github.com/perchdev/perch"
)

// RowGroupRows is how many rows each row group holds.
const RowGroupRows = 64 << 10

// Writer writes rows as Parquet.
type Writer struct {
	w      *pq.GenericWriter[any]
	fields []perch.Field
	cols   []pq.LeafColumn // of each field
	row    pq.Row
}

// NewWriter returns a writer of rows of the given fields to w.
func NewWriter(w io.Writer, fields []perch.Field) *Writer {
	group := pq.Group{}
	for _, f := range fields {
		var node pq.Node
		switch f.Type {
		case perch.TypeString:
			node = pq.String()
		case perch.TypeInt:
			node = pq.Int(32)
		case perch.TypeLong:
			node = pq.Int(64)
		case perch.TypeFloat:
			node = pq.Leaf(pq.FloatType)
		case perch.TypeDouble:
			node = pq.Leaf(pq.DoubleType)
		default:
			node = pq.Leaf(pq.BooleanType)
		}
		if f.Nullable {
			node = pq.Optional(node)
		}
		group[f.Name] = node
	}
	schema := pq.NewSchema("record", group)
	pw := &Writer{
		w: pq.NewGenericWriter[any](w, schema, pq.Compression(&pq.Snappy), pq.MaxRowsPerRowGroup(RowGroupRows),
			pq.CreatedBy("perch", "", "")),
		fields: fields,
		row:    make(pq.Row, len(fields)),
	}
	for _, f := range fields {
		col, _ := schema.Lookup(f.Name)
		pw.cols = append(pw.cols, col)
	}
	return pw
}

// Write writes one row, a cell per field. Cells hold the canonical text of
// their field's type (perch.Columns makes them so).
func (w *Writer) Write(row []perch.Cell) error {
	if len(row) != len(w.fields) {
		return fmt.Errorf("parquetfile: row of %d cells for %d fields", len(row), len(w.fields))
	}
	for i, c := range row {
		col := w.cols[i]
		v, err := value(&w.fields[i], c)
		if err != nil {
			return err
		}
		level := col.MaxDefinitionLevel
		if c.Null {
			level = 0
		}
		w.row[col.ColumnIndex] = v.Level(0, level, col.ColumnIndex)
	}
	_, err := w.w.WriteRows([]pq.Row{w.row})
	return err
}

func value(f *perch.Field, c perch.Cell) (pq.Value, error) {
	if c.Null {
		return pq.NullValue(), nil
	}
	var err error
	switch f.Type {
	case perch.TypeString:
		return pq.ByteArrayValue([]byte(c.Text)), nil
	case perch.TypeInt, perch.TypeLong:
		var n int64
		if n, err = strconv.ParseInt(c.Text, 10, 64); err == nil {
			if f.Type == perch.TypeInt {
				return pq.Int32Value(int32(n)), nil
			}
			return pq.Int64Value(n), nil
		}
	case perch.TypeFloat:
		var v float64
		if v, err = strconv.ParseFloat(c.Text, 32); err == nil {
			return pq.FloatValue(float32(v)), nil
		}
	case perch.TypeDouble:
		var v float64
		if v, err = strconv.ParseFloat(c.Text, 64); err == nil {
			return pq.DoubleValue(v), nil
		}
	default:
		var b bool
		if b, err = strconv.ParseBool(c.Text); err == nil {
			return pq.BooleanValue(b), nil
		}
	}
	return pq.Value{}, fmt.Errorf("parquetfile: field %s: %q is not a %s", f.Name, c.Text, f.Type)
}

// Close writes the last row group and the footer.
func (w *Writer) Close() error { return w.w.Close() }
