// Package jobs runs the control plane's jobs: dataset export jobs (a
// dataset to bulk CSV in an s3:// folder), dataset import jobs (bulk CSV
// from s3:// into a dataset, all or nothing) and data deletion jobs (every
// record of the users an s3:// CSV lists, from a dataset group).
//
// Jobs live in the store: created PENDING, recorded at every change of
// status, described and listed from there, so that every process sharing
// a store sees the same jobs. Each process's worker takes the jobs one at
// a time, the one created first first, under a lease (ClaimJob) that it
// renews while the job runs: a job runs in one process at a time, and when
// a process dies its lease runs out and another process takes the job
// over. A job that a shutdown, a crash or a lost lease interrupts runs
// again from the start: an import stages into a fresh generation (the
// interrupted one is dropped by the store), an export rewrites its
// object, a deletion deletes what is left.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/internal/leases"
)

// Quotas AWS documents for jobs waiting or running.
const (
	MaxPendingImports   = 5 // per account
	MaxPendingDeletions = 5 // per dataset group
)

// Defaults of Config.
const (
	// DefaultLease is long enough that a busy process renews well within
	// it (every third of it) and short enough that another process takes
	// the jobs of a dead one over within 30 seconds.
	DefaultLease = 15 * time.Second
	// DefaultPoll is how often an idle worker looks for jobs that other
	// processes created; its own are started at once.
	DefaultPoll = time.Second
)

// Config is what a Service needs.
type Config struct {
	Catalog perch.Catalog
	Store   perch.Store
	// Objects reads and writes s3:// locations; nil when none are
	// configured, which fails every job with a reason saying so.
	Objects perch.Objects
	// Attributions, when set, makes the metric attributions' report of
	// each import that asks for one (publishAttributionMetricsToS3).
	Attributions perch.ImportReporter
	Scope        perch.Scope
	Now          func() time.Time // time.Now when nil
	Logger       *slog.Logger
	// Owner names this process in the jobs' leases: its host, process id
	// and a random part when "".
	Owner string
	// Lease and Poll default to DefaultLease and DefaultPoll.
	Lease time.Duration
	Poll  time.Duration
}

// Service implements perch.Jobs.
type Service struct {
	cfg  Config
	rs   perch.ResourceStore
	wake chan struct{}

	ctx    context.Context // ends when the service closes
	cancel context.CancelFunc
	done   chan struct{}
}

var _ perch.Jobs = (*Service)(nil)

// Open starts the worker, which runs the jobs waiting in the store,
// those a shutdown or crash interrupted among them.
func Open(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Owner == "" {
		cfg.Owner = defaultOwner()
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	s := &Service{
		cfg:  cfg,
		rs:   cfg.Store.Resources(),
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	go s.work()
	return s, nil
}

// defaultOwner names this process: its host, its id, and a random part
// that tells it from a later process of the same id.
func defaultOwner() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	return host + "/" + strconv.Itoa(os.Getpid()) + "/" + hex.EncodeToString(b)
}

// Close stops the worker. A job it interrupts keeps its status and runs
// again, here or in another process.
func (s *Service) Close() {
	s.cancel()
	<-s.done
}

func (s *Service) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// dataJobs are the kinds of jobs this service runs; solution versions,
// which the store hands out as jobs too, are trained by a worker of
// their own.
var dataJobs = []string{perch.KindDatasetExportJob, perch.KindDatasetImportJob, perch.KindDataDeletionJob}

// work runs jobs one at a time until the service closes: each job it can
// claim, else, after a signal or a poll, it looks again.
func (s *Service) work() {
	defer close(s.done)
	for {
		arn, err := s.rs.ClaimJob(s.ctx, s.cfg.Owner, s.cfg.Lease, dataJobs...)
		if s.ctx.Err() != nil {
			return
		}
		if err != nil {
			s.cfg.Logger.Warn("looking for jobs to run", "err", err)
		}
		if arn != "" {
			s.run(arn)
			continue
		}
		select {
		case <-s.ctx.Done():
			return
		case <-s.wake:
		case <-time.After(s.cfg.Poll):
		}
	}
}

// run runs one job in the account its ARN names, under its lease; a lost
// lease stops it. The job counts its progress, which each renewal of the
// lease records.
func (s *Service) run(arn string) {
	a, _ := perch.ParseARN(arn)
	progress := new(leases.Progress)
	ctx, release := leases.Hold(perch.WithAccount(s.ctx, a.Account), s.rs, arn, s.cfg.Owner, s.cfg.Lease, s.cfg.Logger, progress)
	var err error
	switch {
	case strings.HasPrefix(a.Resource, perch.KindDatasetExportJob+"/"):
		err = s.runExport(ctx, arn, progress)
	case strings.HasPrefix(a.Resource, perch.KindDatasetImportJob+"/"):
		err = s.runImport(ctx, arn, progress)
	default:
		err = s.runDeletion(ctx, arn, progress)
	}
	release()
	if err != nil && s.ctx.Err() == nil {
		s.cfg.Logger.Error("recording a job's status", "job", arn, "err", err)
	}
}

// interrupted reports whether a job's failure is the service closing or
// its lease lost (ctx ended), in which case its status stays as it is so
// that it runs again.
func interrupted(ctx context.Context) bool { return ctx.Err() != nil }

func (s *Service) now() perch.Timestamp { return perch.TimestampOf(s.cfg.Now()) }

// noObjects is why a job cannot run without s3:// locations.
var errNoObjects = errors.New("perch serve was started without --s3-root or --s3-endpoint, so it cannot read or write s3:// locations")

// checkLocation checks the form of an s3:// location; the object store
// checks the rest when the job runs.
func checkLocation(member, loc string) error {
	rest, ok := strings.CutPrefix(loc, "s3://")
	if !ok || rest == "" || strings.HasPrefix(rest, "/") {
		return perch.Errorf(perch.EInvalidInput, "%s %s is not an s3://bucket/key location.", member, loc)
	}
	return nil
}

// scopeOf returns the region and account a request acts in.
func (s *Service) scopeOf(ctx context.Context) perch.Scope {
	sc := s.cfg.Scope
	if a := perch.AccountFrom(ctx); a != "" {
		sc.Account = a
	}
	return sc
}

// find returns the job arn with get, if it belongs to the caller.
func find[T any](s *Service, ctx context.Context, arn string, get func(context.Context, string) (*T, error)) (*T, error) {
	if !s.scopeOf(ctx).Owns(arn) {
		return nil, perch.NotFound(arn)
	}
	return get(ctx, arn)
}

// list returns a page of the caller's jobs of all that keep accepts.
func list[T any](s *Service, ctx context.Context, all func(context.Context) ([]*T, error), arnOf func(*T) string,
	keep func(*T) bool, at func(*T) perch.Position, listing string, p perch.Page) ([]*T, string, error) {
	jobs, err := all(ctx)
	if err != nil {
		return nil, "", err
	}
	scope := s.scopeOf(ctx)
	var items []*T
	for _, j := range jobs {
		if scope.Owns(arnOf(j)) && keep(j) {
			items = append(items, j)
		}
	}
	return perch.Paginate(items, at, func(j *T) *T { return j }, listing, p)
}

// failureReason is what a job's failure tells the caller.
func failureReason(err error) string {
	var e *perch.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// update reads the job arn with get, changes it and records it with put
// as the holder of its lease. It records even when ctx has ended, so that
// a job's last status is not lost to a shutdown; a lease lost meanwhile
// refuses it.
func update[T any](s *Service, ctx context.Context, arn string, get func(context.Context, string) (*T, error),
	change func(*T), put func(context.Context, *T, string) error) error {
	ctx = context.WithoutCancel(ctx)
	j, err := get(ctx, arn)
	if err != nil {
		return err
	}
	change(j)
	return put(ctx, j, s.cfg.Owner)
}

// statuses are the statuses a kind of job goes through.
type statuses struct{ running, succeeded, failed string }

var (
	createStatuses   = statuses{perch.StatusCreateInProgress, perch.StatusActive, perch.StatusCreateFailed}
	deletionStatuses = statuses{perch.StatusInProgress, perch.StatusCompleted, perch.StatusFailed}
)

// runJob takes a job through its statuses around work. A job the service's
// closing or a lost lease interrupts keeps its running status, so that it
// runs again.
func runJob(ctx context.Context, st statuses, set func(status string, failure error) error, work func() error) error {
	if err := set(st.running, nil); err != nil {
		return err
	}
	err := work()
	if interrupted(ctx) {
		return nil
	}
	if err != nil {
		return set(st.failed, err)
	}
	return set(st.succeeded, nil)
}

// reason is the failureReason of failure, "" for none.
func reason(failure error) string {
	if failure == nil {
		return ""
	}
	return failureReason(failure)
}

// dataset returns the dataset a job works on with its schema. The store
// refuses to delete it while the job has not finished. Every job needs
// s3:// locations, so it also fails when there are none.
func (s *Service) dataset(ctx context.Context, arn string) (*perch.Dataset, *perch.AvroSchema, error) {
	if s.cfg.Objects == nil {
		return nil, nil, errNoObjects
	}
	return s.cfg.Catalog.DatasetSchema(ctx, arn)
}
