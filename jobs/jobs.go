// Package jobs runs the control plane's jobs: dataset export jobs (a
// dataset to bulk CSV in an s3:// folder), dataset import jobs (bulk CSV
// from s3:// into a dataset, all or nothing) and data deletion jobs (every
// record of the users an s3:// CSV lists, from a dataset group).
//
// Jobs are persisted as resources when created (PENDING) and at every
// change of status, and run one at a time, in creation order, on one
// background worker. A job that a shutdown or crash interrupts is run
// again from the start when the service next opens: an import stages into
// a fresh generation (the interrupted one is dropped by the store), an
// export rewrites its object, a deletion deletes what is left.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/perchdev/perch"
)

// Quotas AWS documents for jobs waiting or running.
const (
	MaxPendingImports   = 5 // per account
	MaxPendingDeletions = 5 // per dataset group
)

// Config is what a Service needs.
type Config struct {
	Catalog perch.Catalog
	Store   perch.Store
	// Objects reads and writes s3:// locations; nil when none are
	// configured, which fails every job with a reason saying so.
	Objects perch.Objects
	Scope   perch.Scope
	Now     func() time.Time // time.Now when nil
	Logger  *slog.Logger
}

// Service implements perch.Jobs.
type Service struct {
	cfg Config
	rs  perch.ResourceStore

	mu        sync.Mutex
	exports   map[string]*perch.DatasetExportJob
	imports   map[string]*perch.DatasetImportJob
	deletions map[string]*perch.DataDeletionJob
	queue     []string // ARNs of jobs to run, oldest first
	wake      chan struct{}

	ctx    context.Context // ends when the service closes
	cancel context.CancelFunc
	done   chan struct{}
}

var _ perch.Jobs = (*Service)(nil)

// Open loads every job, queues again those that were waiting or running,
// and starts the worker.
func Open(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{
		cfg:       cfg,
		rs:        cfg.Store.Resources(),
		exports:   map[string]*perch.DatasetExportJob{},
		imports:   map[string]*perch.DatasetImportJob{},
		deletions: map[string]*perch.DataDeletionJob{},
		wake:      make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
	exports, err := s.rs.DatasetExportJobs(ctx)
	if err != nil {
		return nil, fmt.Errorf("jobs: load export jobs: %w", err)
	}
	imports, err := s.rs.DatasetImportJobs(ctx)
	if err != nil {
		return nil, fmt.Errorf("jobs: load import jobs: %w", err)
	}
	deletions, err := s.rs.DataDeletionJobs(ctx)
	if err != nil {
		return nil, fmt.Errorf("jobs: load data deletion jobs: %w", err)
	}
	type waiting struct {
		created perch.Timestamp
		arn     string
	}
	var resume []waiting
	for _, j := range exports {
		s.exports[j.ARN] = j
		if !perch.JobFinished(j.Status) {
			resume = append(resume, waiting{j.Created, j.ARN})
		}
	}
	for _, j := range imports {
		s.imports[j.ARN] = j
		if !perch.JobFinished(j.Status) {
			resume = append(resume, waiting{j.Created, j.ARN})
		}
	}
	for _, j := range deletions {
		s.deletions[j.ARN] = j
		if !perch.JobFinished(j.Status) {
			resume = append(resume, waiting{j.Created, j.ARN})
		}
	}
	slices.SortFunc(resume, func(a, b waiting) int {
		return perch.Position{Created: a.created, ARN: a.arn}.Compare(perch.Position{Created: b.created, ARN: b.arn})
	})
	for _, w := range resume {
		s.queue = append(s.queue, w.arn)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	go s.work()
	s.signal()
	return s, nil
}

// Close stops the worker. A job it interrupts keeps its status and runs
// again when the service next opens.
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

func (s *Service) enqueue(arn string) {
	s.queue = append(s.queue, arn)
	s.signal()
}

// work runs the queued jobs one at a time until the service closes.
func (s *Service) work() {
	defer close(s.done)
	for {
		s.mu.Lock()
		var arn string
		if len(s.queue) > 0 {
			arn, s.queue = s.queue[0], s.queue[1:]
		}
		s.mu.Unlock()
		if arn == "" {
			select {
			case <-s.ctx.Done():
				return
			case <-s.wake:
				continue
			}
		}
		if s.ctx.Err() != nil {
			return
		}
		s.run(arn)
	}
}

// run runs one job in the account its ARN names.
func (s *Service) run(arn string) {
	a, _ := perch.ParseARN(arn)
	ctx := perch.WithAccount(s.ctx, a.Account)
	var err error
	switch {
	case strings.HasPrefix(a.Resource, perch.KindDatasetExportJob+"/"):
		err = s.runExport(ctx, arn)
	case strings.HasPrefix(a.Resource, perch.KindDatasetImportJob+"/"):
		err = s.runImport(ctx, arn)
	default:
		err = s.runDeletion(ctx, arn)
	}
	if err != nil && s.ctx.Err() == nil {
		s.cfg.Logger.Error("recording a job's status", "job", arn, "err", err)
	}
}

// interrupted reports whether a job's failure is the service closing, in
// which case its status stays as it is so that it runs again.
func (s *Service) interrupted() bool { return s.ctx.Err() != nil }

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

// find returns the job arn names in m if it belongs to the caller.
func find[T any](s *Service, ctx context.Context, m map[string]*T, arn string, clone func(*T) *T) (*T, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j, ok := m[arn]; ok && s.scopeOf(ctx).Owns(arn) {
		return clone(j), nil
	}
	return nil, perch.NotFound(arn)
}

// list returns a page of the caller's jobs in m that keep accepts.
func list[T any](s *Service, ctx context.Context, m map[string]*T, keep func(*T) bool, at func(*T) perch.Position,
	clone func(*T) *T, listing string, p perch.Page) ([]*T, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	scope := s.scopeOf(ctx)
	var items []*T
	for arn, j := range m {
		if scope.Owns(arn) && keep(j) {
			items = append(items, j)
		}
	}
	return perch.Paginate(items, at, clone, listing, p)
}

// failureReason is what a job's failure tells the caller.
func failureReason(err error) string {
	var e *perch.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// update changes the job arn names in m under the lock and persists a
// copy. It persists even when ctx has ended, so that a job's last status
// is never lost to a shutdown.
func update[T any](s *Service, ctx context.Context, m map[string]*T, arn string, change func(*T),
	clone func(*T) *T, put func(context.Context, *T) error) error {
	s.mu.Lock()
	j := m[arn]
	change(j)
	c := clone(j)
	s.mu.Unlock()
	return put(context.WithoutCancel(ctx), c)
}

// statuses are the statuses a kind of job goes through.
type statuses struct{ running, succeeded, failed string }

var (
	createStatuses   = statuses{perch.StatusCreateInProgress, perch.StatusActive, perch.StatusCreateFailed}
	deletionStatuses = statuses{perch.StatusInProgress, perch.StatusCompleted, perch.StatusFailed}
)

// runJob takes a job through its statuses around work. A job the service's
// closing interrupts keeps its running status, so that it runs again.
func (s *Service) runJob(st statuses, set func(status string, failure error) error, work func() error) error {
	if err := set(st.running, nil); err != nil {
		return err
	}
	err := work()
	if s.interrupted() {
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
