package s3loc_test

import (
	"context"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/s3loc"
)

// backends returns each implementation with a bucket named "data".
func backends(t *testing.T) map[string]perch.Objects {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "data"), 0o750); err != nil {
		t.Fatal(err)
	}
	mem := s3mem.New()
	if err := mem.CreateBucket("data"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(mem).Server())
	t.Cleanup(srv.Close)
	svc, err := s3loc.Connect(context.Background(), srv.URL, "us-east-1",
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")))
	if err != nil {
		t.Fatal(err)
	}
	return map[string]perch.Objects{"dir": s3loc.NewDir(root), "s3": svc}
}

func put(t *testing.T, o perch.Objects, loc, content string) {
	t.Helper()
	w, err := o.Create(context.Background(), loc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, content); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, o perch.Objects, loc string) string {
	t.Helper()
	r, err := o.Open(context.Background(), loc)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestObjects(t *testing.T) {
	ctx := context.Background()
	for name, o := range backends(t) {
		t.Run(name, func(t *testing.T) {
			put(t, o, "s3://data/in/a.csv", "A")
			put(t, o, "s3://data/in/b.csv", "B")
			put(t, o, "s3://data/in/sub/c.csv", "C")
			big := strings.Repeat("0123456789", 2<<20) // 20 MiB: a multipart upload
			put(t, o, "s3://data/big", big)

			if got := get(t, o, "s3://data/in/b.csv"); got != "B" {
				t.Errorf("read %q", got)
			}
			if got := get(t, o, "s3://data/big"); got != big {
				t.Errorf("big object read back with %d bytes, want %d", len(got), len(big))
			}
			flat, err := o.List(ctx, "s3://data/in/", false)
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"s3://data/in/a.csv", "s3://data/in/b.csv"}; !reflect.DeepEqual(flat, want) {
				t.Errorf("List = %v, want %v", flat, want)
			}
			deep, err := o.List(ctx, "s3://data/in/", true)
			if err != nil {
				t.Fatal(err)
			}
			if len(deep) != 3 || deep[2] != "s3://data/in/sub/c.csv" {
				t.Errorf("recursive List = %v", deep)
			}
			one, err := o.List(ctx, "s3://data/in/a.csv", false)
			if err != nil || !reflect.DeepEqual(one, []string{"s3://data/in/a.csv"}) {
				t.Errorf("List of an object = %v, %v", one, err)
			}
			if _, err := o.List(ctx, "s3://data/in/missing.csv", false); err == nil {
				t.Error("List of a missing object succeeded")
			}

			w, err := o.Create(ctx, "s3://data/aborted.csv")
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(w, "partial")
			w.Abort()
			if _, err := o.Open(ctx, "s3://data/aborted.csv"); err == nil {
				t.Error("an aborted object exists")
			}
			if _, err := o.Create(ctx, "s3://nobucket/x"); err == nil && name == "dir" {
				t.Error("Create in a missing bucket succeeded")
			}
		})
	}
}

func TestParse(t *testing.T) {
	for _, bad := range []string{"https://x/y", "s3://", "s3://UPPER/x", "s3://a/x"} {
		if _, _, err := s3loc.Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
	if b, k, err := s3loc.Parse("s3://my-bucket/some/prefix/"); err != nil || b != "my-bucket" || k != "some/prefix/" {
		t.Errorf("Parse = %q, %q, %v", b, k, err)
	}
	dir := s3loc.NewDir(t.TempDir())
	if _, err := dir.Open(context.Background(), "s3://data/../../etc/passwd"); err == nil {
		t.Error("a key with .. escaped the root")
	}
}
