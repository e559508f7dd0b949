package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/export"
)

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("perch export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: perch export DATASET_GROUP_ARN --out DIR [--format csv|jsonl|parquet] [--since T] [--until T] [--ingestion-mode M] [--endpoint URL] [--profile P]")
		fmt.Fprintln(stderr, "\nWrites one file per dataset of the group (interactions.csv, items.csv, ...) as training data.")
		fs.PrintDefaults()
	}
	endpoint := fs.String("endpoint", "http://127.0.0.1:8080", "`URL` of a running perch serve")
	out := fs.String("out", "", "`DIR`ectory to write the files to; created if missing")
	format := fs.String("format", "csv", "file `format`: csv (Personalize bulk CSV), jsonl or parquet")
	since := fs.String("since", "", "only interactions at or after `T` (epoch seconds or RFC 3339)")
	until := fs.String("until", "", "only interactions before `T` (epoch seconds or RFC 3339)")
	mode := fs.String("ingestion-mode", "ALL", "records to export by how they arrived: PUT, BULK or ALL")
	profile := fs.String("profile", "", "sign with this `profile` of the AWS shared config and credentials files")
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if len(positional) != 1 || *out == "" {
		fs.Usage()
		return errUsage
	}
	f, err := export.ParseFormat(*format)
	if err != nil {
		return err
	}
	base := strings.TrimRight(*endpoint, "/")
	rc, err := newReadClient(ctx, base, positional[0], *profile)
	if err != nil {
		return err
	}
	datasets, err := listDatasets(ctx, rc, base, positional[0])
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o750); err != nil {
		return err
	}
	for _, d := range datasets {
		q := url.Values{"datasetArn": {d.ARN}, "format": {string(f)}, "ingestionMode": {*mode}}
		if *since != "" {
			q.Set("since", *since)
		}
		if *until != "" {
			q.Set("until", *until)
		}
		name := export.FileName(d.Type, f)
		st, err := download(ctx, rc, base+"/_perch/export?"+q.Encode(), filepath.Join(*out, name), newProgress(stderr, name))
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		line := fmt.Sprintf("%s: %d rows", filepath.Join(*out, name), st.Rows)
		if st.Duplicates > 0 {
			line += fmt.Sprintf(", %d duplicates left out", st.Duplicates)
		}
		if st.Incomplete > 0 {
			line += fmt.Sprintf(", %d records without %s left out", st.Incomplete, st.MissingColumn)
		}
		fmt.Fprintln(stdout, line)
	}
	return nil
}

// parseInterspersed parses flags that may come before or after the
// positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

type datasetRef struct {
	ARN  string            `json:"datasetArn"`
	Type perch.DatasetType `json:"datasetType"`
}

// listDatasets returns the datasets of a group, through the read API.
func listDatasets(ctx context.Context, rc *readClient, base, group string) ([]datasetRef, error) {
	resp, err := rc.get(ctx, base+"/_perch/datasets?"+url.Values{"datasetGroupArn": {group}}.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var list []datasetRef
	dec := json.NewDecoder(resp.Body)
	for {
		var d datasetRef
		if err := dec.Decode(&d); err == io.EOF {
			return list, nil
		} else if err != nil {
			return nil, err
		}
		list = append(list, d)
	}
}

// download streams u into the file path, which appears only when the
// whole export arrived.
func download(ctx context.Context, rc *readClient, u, path string, p *progress) (export.Stats, error) {
	var st export.Stats
	resp, err := rc.get(ctx, u)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return st, err
	}
	defer os.Remove(tmp.Name())
	bw := bufio.NewWriterSize(tmp, 256<<10)
	_, err = io.Copy(io.MultiWriter(bw, p), resp.Body)
	p.done()
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return st, err
	}
	if msg := resp.Trailer.Get("Perch-Export-Error"); msg != "" {
		return st, errors.New("the server stopped the export: " + msg)
	}
	if err := json.Unmarshal([]byte(resp.Trailer.Get("Perch-Export-Stats")), &st); err != nil {
		return st, errors.New("the export ended without its statistics; it may be incomplete")
	}
	return st, os.Rename(tmp.Name(), path)
}

// progress shows a file's progress on one terminal line, redrawn at most
// five times a second; it shows nothing when stderr is not a terminal.
type progress struct {
	w     io.Writer // nil when not a terminal
	name  string
	bytes int64
	start time.Time
	drawn time.Time
}

func newProgress(stderr io.Writer, name string) *progress {
	p := &progress{name: name, start: time.Now()}
	if f, ok := stderr.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.w = stderr
		}
	}
	return p
}

func (p *progress) Write(b []byte) (int, error) {
	p.bytes += int64(len(b))
	if p.w != nil && time.Since(p.drawn) > 200*time.Millisecond {
		p.draw()
	}
	return len(b), nil
}

func (p *progress) draw() {
	p.drawn = time.Now()
	fmt.Fprintf(p.w, "\r%s: %.1f MB in %.1fs ", p.name, float64(p.bytes)/1e6, time.Since(p.start).Seconds())
}

func (p *progress) done() {
	if p.w != nil {
		p.draw()
		fmt.Fprintln(p.w)
	}
}
