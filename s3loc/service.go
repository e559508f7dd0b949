package s3loc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/perchdev/perch"
)

// Service serves s3:// locations from an S3-compatible service.
//
// Uploads use feature/s3/manager, which the SDK marks deprecated in favour
// of feature/s3/transfermanager; that successor is still pre-1.0 (v0.x),
// so perch stays on the stable manager until it is released.
type Service struct {
	client *s3.Client
	//lint:ignore SA1019 transfermanager, its successor, is not yet 1.0
	uploader *manager.Uploader
}

var _ perch.Objects = (*Service)(nil)

// Connect returns the objects of the S3-compatible service at endpoint,
// addressed path-style (http://host/bucket/key) as such services expect.
// Credentials come from the AWS SDK's default chain (environment, shared
// files, ...) unless opts say otherwise.
func Connect(ctx context.Context, endpoint, region string, opts ...func(*config.LoadOptions) error) (*Service, error) {
	cfg, err := config.LoadDefaultConfig(ctx, append([]func(*config.LoadOptions) error{config.WithRegion(region)}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("s3loc: configuring the S3 client: %w", err)
	}
	return NewService(s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	})), nil
}

// NewService returns the objects of the service client talks to. Uploads
// stream in 8 MiB parts, two at a time, so writing an object of any size
// holds a bounded amount of memory.
func NewService(client *s3.Client) *Service {
	//lint:ignore SA1019 transfermanager, its successor, is not yet 1.0
	return &Service{client: client, uploader: manager.NewUploader(client, func(u *manager.Uploader) {
		u.PartSize = 8 << 20
		u.Concurrency = 2
	})}
}

// List implements perch.Objects.
func (s *Service) List(ctx context.Context, loc string, recursive bool) ([]string, error) {
	bucket, key, err := Parse(loc)
	if err != nil {
		return nil, err
	}
	if key != "" && !strings.HasSuffix(key, "/") {
		if _, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key}); err != nil {
			return nil, fmt.Errorf("%s: %w", loc, err)
		}
		return []string{loc}, nil
	}
	in := &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &key}
	if !recursive {
		in.Delimiter = aws.String("/")
	}
	var locs []string
	for pages := s3.NewListObjectsV2Paginator(s.client, in); pages.HasMorePages(); {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", loc, err)
		}
		for _, o := range page.Contents {
			if k := aws.ToString(o.Key); !strings.HasSuffix(k, "/") {
				locs = append(locs, location(bucket, k))
			}
		}
	}
	slices.Sort(locs)
	return locs, nil
}

// Open implements perch.Objects.
func (s *Service) Open(ctx context.Context, loc string) (io.ReadCloser, error) {
	bucket, key, err := Parse(loc)
	if err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", loc, err)
	}
	return out.Body, nil
}

// Create implements perch.Objects: what is written streams to a multipart
// upload, which Commit completes and Abort cancels.
func (s *Service) Create(ctx context.Context, loc string) (perch.ObjectWriter, error) {
	bucket, key, err := Parse(loc)
	if err != nil {
		return nil, err
	}
	if key == "" || strings.HasSuffix(key, "/") {
		return nil, fmt.Errorf("%s: an object's key may not end in /", loc)
	}
	pr, pw := io.Pipe()
	w := &uploadWriter{pw: pw, done: make(chan error, 1), loc: loc}
	go func() {
		//lint:ignore SA1019 transfermanager, its successor, is not yet 1.0
		_, err := s.uploader.Upload(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: pr})
		pr.CloseWithError(err) // unblocks a writer if the upload failed early
		w.done <- err
	}()
	return w, nil
}

type uploadWriter struct {
	pw   *io.PipeWriter
	done chan error
	loc  string
}

func (w *uploadWriter) Write(p []byte) (int, error) { return w.pw.Write(p) }

func (w *uploadWriter) Commit() error {
	w.pw.Close()
	if err := <-w.done; err != nil {
		return fmt.Errorf("%s: %w", w.loc, err)
	}
	return nil
}

// errAborted ends an upload that is abandoned; the uploader then aborts
// its multipart upload.
var errAborted = errors.New("s3loc: upload abandoned")

func (w *uploadWriter) Abort() {
	w.pw.CloseWithError(errAborted)
	<-w.done
}
