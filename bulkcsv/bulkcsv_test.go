package bulkcsv_test

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/bulkcsv"
)

const itemsSchema = `{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[
	{"name":"ITEM_ID","type":"string"},{"name":"GENRES","type":["null","string"],"categorical":true},
	{"name":"CREATION_TIMESTAMP","type":"long"},{"name":"DESCRIPTION","type":["null","string"],"textual":true}],"version":"1.0"}`

func fields(t testing.TB, schema string) []perch.Field {
	t.Helper()
	s, err := perch.ParseSchema(schema)
	if err != nil {
		t.Fatal(err)
	}
	return s.Fields
}

func readAll(t testing.TB, fs []perch.Field, text string) ([][]perch.Cell, error) {
	t.Helper()
	r, err := bulkcsv.NewReader(strings.NewReader(text), fs)
	if err != nil {
		return nil, err
	}
	var rows [][]perch.Cell
	for {
		row, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rows = append(rows, append([]perch.Cell(nil), row...))
	}
}

func c(s string) perch.Cell { return perch.Cell{Text: s} }

var null = perch.Cell{Null: true}

func TestWriteFormat(t *testing.T) {
	fs := fields(t, itemsSchema)
	var buf bytes.Buffer
	w := bulkcsv.NewWriter(&buf, fs)
	if err := w.WriteHeader(); err != nil {
		t.Fatal(err)
	}
	rows := [][]perch.Cell{
		{c("1"), c("Adventure|Animation|Children|Comedy|Fantasy"), c("1570003267"), c("An animated movie ...")},
		{c("2"), null, c("1570003268"), c(`He said "hi", then C:\dir`)},
		{c("a,b"), c(""), c("0"), null},
	}
	for _, row := range rows {
		if err := w.Write(row); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := `ITEM_ID,GENRES,CREATION_TIMESTAMP,DESCRIPTION
1,Adventure|Animation|Children|Comedy|Fantasy,1570003267,"An animated movie ..."
2,,1570003268,"He said \"hi\", then C:\\dir"
"a,b","",0,
`
	if buf.String() != want {
		t.Fatalf("wrote\n%s\nwant\n%s", buf.String(), want)
	}
	got, err := readAll(t, fs, buf.String())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rows) {
		t.Errorf("read back %v, want %v", got, rows)
	}
}

func TestReadVariants(t *testing.T) {
	fs := fields(t, itemsSchema)
	text := "\uFEFFCREATION_TIMESTAMP,ITEM_ID,DESCRIPTION\r\n" + // BOM, CRLF, another order, GENRES absent
		"1,i1,\"two\nlines\"\r\n" +
		"\n" + // a blank line
		"2,i2,\"RFC \"\"quotes\"\" too\"\n" +
		"3,i3,\"ünïcode\"" // no final line break
	got, err := readAll(t, fs, text)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]perch.Cell{
		{c("i1"), null, c("1"), c("two\nlines")},
		{c("i2"), null, c("2"), c(`RFC "quotes" too`)},
		{c("i3"), null, c("3"), c("ünïcode")},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestReadErrorsNameLineAndColumn(t *testing.T) {
	fs := fields(t, itemsSchema)
	for _, tc := range []struct{ name, text, want string }{
		{"empty", "", "line 1: the file is empty"},
		{"unknown column", "ITEM_ID,PRICE,CREATION_TIMESTAMP\n", "line 1, column PRICE: the header names a column the dataset's schema does not have"},
		{"twice", "ITEM_ID,ITEM_ID,CREATION_TIMESTAMP\n", "line 1, column ITEM_ID: the header names this column twice"},
		{"missing required", "ITEM_ID,GENRES\n", "line 1, column CREATION_TIMESTAMP: the header lacks this column"},
		{"columns", "ITEM_ID,CREATION_TIMESTAMP\na,1\nb\n", "line 3: the header has 2 columns but this line has 1"},
		{"open quote", "ITEM_ID,CREATION_TIMESTAMP\na,1\n\"b,2\n", "line 3: a quoted value is not closed"},
		{"after quote", "ITEM_ID,CREATION_TIMESTAMP\n\"a\"x,1\n", "line 2: 'x' follows a closing quote"},
		{"utf8", "ITEM_ID,CREATION_TIMESTAMP\na\xff,1\n", "line 2, column ITEM_ID: the value is not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readAll(t, fs, tc.text)
			var e *bulkcsv.Error
			if !errors.As(err, &e) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestReadLongRecordFails(t *testing.T) {
	fs := fields(t, itemsSchema)
	text := "ITEM_ID,CREATION_TIMESTAMP\n\"" + strings.Repeat("x", bulkcsv.MaxRecordBytes+1)
	if _, err := readAll(t, fs, text); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("error %v, want the record to be too long", err)
	}
}

// FuzzRead checks that the reader never fails other than with an *Error
// or EOF, and that whatever it reads, the writer writes in a form it reads
// back the same.
func FuzzRead(f *testing.F) {
	for _, seed := range []string{
		"ITEM_ID,GENRES,CREATION_TIMESTAMP,DESCRIPTION\n1,a|b,5,\"x \\\"y\\\" \\\\ z\"\n",
		"ITEM_ID,CREATION_TIMESTAMP\r\n\"a,b\",1\r\n\"\",2\n,3",
		"\uFEFFDESCRIPTION,ITEM_ID,CREATION_TIMESTAMP\n\"multi\nline\",i,1\n\n",
		"ITEM_ID,CREATION_TIMESTAMP\n\"open,1\n",
		"ITEM_ID,CREATION_TIMESTAMP\n\"a\"\"b\",1\n\"a\"b,2\n",
		"ITEM_ID\n",
		"",
	} {
		f.Add(seed)
	}
	fs := fields(f, itemsSchema)
	f.Fuzz(func(t *testing.T, text string) {
		rows, err := readAll(t, fs, text)
		var e *bulkcsv.Error
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("error of type %T: %v", err, err)
		}
		if err != nil || len(rows) == 0 {
			return
		}
		var buf bytes.Buffer
		w := bulkcsv.NewWriter(&buf, fs)
		_ = w.WriteHeader()
		for _, row := range rows {
			if err := w.Write(row); err != nil {
				t.Fatal(err)
			}
		}
		_ = w.Flush()
		again, err := readAll(t, fs, buf.String())
		if err != nil {
			t.Fatalf("reading what was written: %v\n%q", err, buf.String())
		}
		if !reflect.DeepEqual(again, rows) {
			t.Fatalf("read back %+v\nwant %+v\nfrom %q", again, rows, buf.String())
		}
	})
}
