package s3loc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/perchdev/perch"
)

// tempPrefix starts the names of objects still being written, which
// listings leave out.
const tempPrefix = ".perch-tmp-"

// Dir serves s3:// locations from a local directory: s3://bucket/key is
// the file ROOT/bucket/key. A bucket exists when its directory does.
type Dir struct{ root string }

var _ perch.Objects = (*Dir)(nil)

// NewDir returns the objects under root.
func NewDir(root string) *Dir { return &Dir{root: root} }

// file returns the path of the location's bucket and of the location.
func (d *Dir) file(loc string) (bucketDir, name, key string, err error) {
	bucket, key, err := Parse(loc)
	if err != nil {
		return "", "", "", err
	}
	for _, part := range strings.Split(strings.TrimSuffix(key, "/"), "/") {
		if part == "." || part == ".." || (part == "" && key != "") {
			return "", "", "", fmt.Errorf("%s: a key may not hold empty, . or .. segments", loc)
		}
	}
	bucketDir = filepath.Join(d.root, bucket)
	if fi, err := os.Stat(bucketDir); err != nil || !fi.IsDir() {
		return "", "", "", fmt.Errorf("%s: bucket %s does not exist (no directory %s)", loc, bucket, bucketDir)
	}
	return bucketDir, filepath.Join(bucketDir, filepath.FromSlash(key)), key, nil
}

// List implements perch.Objects.
func (d *Dir) List(ctx context.Context, loc string, recursive bool) ([]string, error) {
	bucketDir, name, key, err := d.file(loc)
	if err != nil {
		return nil, err
	}
	bucket, _, _ := Parse(loc)
	if key != "" && !strings.HasSuffix(key, "/") {
		if fi, err := os.Stat(name); err != nil || !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s: no such object", loc)
		}
		return []string{loc}, nil
	}
	var locs []string
	err = filepath.WalkDir(name, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			if p != name && !recursive {
				return filepath.SkipDir
			}
			return nil
		}
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), tempPrefix) {
			return nil
		}
		rel, err := filepath.Rel(bucketDir, p)
		if err != nil {
			return err
		}
		locs = append(locs, location(bucket, filepath.ToSlash(rel)))
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", loc, err)
	}
	slices.Sort(locs)
	return locs, nil
}

// Open implements perch.Objects.
func (d *Dir) Open(ctx context.Context, loc string) (io.ReadCloser, error) {
	_, name, _, err := d.file(loc)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%s: no such object", loc)
	}
	return f, nil
}

// Create implements perch.Objects. The object is written to a temporary
// file beside it and renamed into place by Commit, after a sync.
func (d *Dir) Create(ctx context.Context, loc string) (perch.ObjectWriter, error) {
	_, name, key, err := d.file(loc)
	if err != nil {
		return nil, err
	}
	if key == "" || strings.HasSuffix(key, "/") {
		return nil, fmt.Errorf("%s: an object's key may not end in /", loc)
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o750); err != nil {
		return nil, fmt.Errorf("%s: %w", loc, err)
	}
	f, err := os.CreateTemp(filepath.Dir(name), tempPrefix+path.Base(key)+"-*")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", loc, err)
	}
	return &fileWriter{f: f, name: name, loc: loc}, nil
}

type fileWriter struct {
	f    *os.File
	name string
	loc  string
}

func (w *fileWriter) Write(p []byte) (int, error) { return w.f.Write(p) }

func (w *fileWriter) Commit() error {
	err := errors.Join(w.f.Sync(), w.f.Close())
	if err == nil {
		err = os.Rename(w.f.Name(), w.name)
	}
	if err != nil {
		os.Remove(w.f.Name())
		return fmt.Errorf("%s: %w", w.loc, err)
	}
	return nil
}

func (w *fileWriter) Abort() {
	w.f.Close()
	os.Remove(w.f.Name())
}
