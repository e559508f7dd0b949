// Package batch runs batch inference jobs and batch segment jobs: every
// line of JSON Lines files in s3:// asked of a solution version's model,
// the answers written beside as <input file name>.out, one output line
// per input line, in the formats AWS's jobs write.
//
// Jobs live in the store, like the data jobs of package jobs: created
// CREATE PENDING, recorded at every change of status, described and
// listed from there. Each process's worker takes them one at a time, the
// one created first first, under a lease (ClaimJob) that it renews while
// the job runs, so that a job runs in one process at a time and one that
// a shutdown, a crash or a lost lease interrupts runs again from the
// start, here or in another process: it rewrites its output objects,
// which appear only whole. The worker is apart from the data jobs' so
// that a long batch job never delays an import.
//
// The answers come from package serving, the code the runtime answers
// with, so that a line is answered as GetRecommendations or
// GetPersonalizedRanking would answer it for a campaign of the version.
package batch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/internal/leases"
	"github.com/perchdev/perch/recipe"
	"github.com/perchdev/perch/serving"
	"github.com/perchdev/perch/solutions"
)

// MaxPending is AWS's quota of batch inference jobs waiting or running
// at once, per account and region.
const MaxPending = 5

// Defaults of Config, those of the data jobs.
const (
	DefaultLease = 15 * time.Second
	DefaultPoll  = time.Second
)

// Config is what a Service needs.
type Config struct {
	Store perch.Store
	// Runtime answers the lines with the versions' models.
	Runtime *serving.Service
	// Objects reads and writes s3:// locations; nil when none are
	// configured, which fails every job with a reason saying so.
	Objects perch.Objects
	Scope   perch.Scope
	Now     func() time.Time // time.Now when nil
	Logger  *slog.Logger
	// Owner names this process in the jobs' leases: its host, process id
	// and a random part when "".
	Owner string
	// Lease and Poll default to DefaultLease and DefaultPoll.
	Lease time.Duration
	Poll  time.Duration
	// Workers answer a batch inference job's lines at the same time:
	// runtime.GOMAXPROCS(0) when 0.
	Workers int
}

// Service implements perch.BatchJobs and perch.SegmentJobs.
type Service struct {
	cfg  Config
	rs   perch.ResourceStore
	wake chan struct{}

	ctx    context.Context // ends when the service closes
	cancel context.CancelFunc
	done   chan struct{}
}

var (
	_ perch.BatchJobs   = (*Service)(nil)
	_ perch.SegmentJobs = (*Service)(nil)
)

// Open starts the worker, which runs the jobs waiting in the store, those
// a shutdown or crash interrupted among them.
func Open(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Owner == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		rand.Read(b)
		cfg.Owner = host + "/" + strconv.Itoa(os.Getpid()) + "/" + hex.EncodeToString(b)
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	s := &Service{cfg: cfg, rs: cfg.Store.Resources(), wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	go s.work()
	return s
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

// work runs jobs one at a time until the service closes.
func (s *Service) work() {
	defer close(s.done)
	for {
		arn, err := s.rs.ClaimJob(s.ctx, s.cfg.Owner, s.cfg.Lease, perch.KindBatchInferenceJob, perch.KindBatchSegmentJob)
		if s.ctx.Err() != nil {
			return
		}
		if err != nil {
			s.cfg.Logger.Warn("looking for batch jobs to run", "err", err)
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

// run runs one job in the account its ARN names, under its lease, through
// CREATE IN_PROGRESS to ACTIVE or CREATE FAILED: a batch inference job or
// a batch segment job, as its ARN says. A job that the service's closing
// or a lost lease interrupts keeps CREATE IN_PROGRESS, so that it runs
// again.
func (s *Service) run(arn string) {
	a, _ := perch.ParseARN(arn)
	progress := new(leases.Progress)
	ctx, release := leases.Hold(perch.WithAccount(s.ctx, a.Account), s.rs, arn, s.cfg.Owner, s.cfg.Lease, s.cfg.Logger, progress)
	defer release()
	set, do, what := s.set, s.infer, "batch inference job"
	if strings.HasPrefix(a.Resource, perch.KindBatchSegmentJob+"/") {
		set, do, what = s.setSegment, s.segment, "batch segment job"
	}
	err := set(ctx, arn, perch.StatusCreateInProgress, nil)
	if err == nil {
		failure := do(ctx, arn, progress)
		switch {
		case ctx.Err() != nil:
			return
		case failure != nil:
			err = set(ctx, arn, perch.StatusCreateFailed, failure)
		default:
			err = set(ctx, arn, perch.StatusActive, nil)
		}
	}
	if err != nil && s.ctx.Err() == nil {
		s.cfg.Logger.Error("recording a "+what+"'s status", "job", arn, "err", err)
	}
}

// reason is a failure's reason as a job records it.
func reason(failure error) string {
	var e *perch.Error
	if errors.As(failure, &e) {
		return e.Message
	}
	return failure.Error()
}

// set records the job's status, and the reason of a failure, as the
// holder of its lease. It records even when ctx has ended, so that a
// job's last status is not lost to a shutdown; a lease lost meanwhile
// refuses it.
func (s *Service) set(ctx context.Context, arn, status string, failure error) error {
	ctx = context.WithoutCancel(ctx)
	j, err := s.rs.BatchInferenceJob(ctx, arn)
	if err != nil {
		return err
	}
	j.Status, j.Updated, j.FailureReason = status, perch.TimestampOf(s.cfg.Now()), ""
	if failure != nil {
		j.FailureReason = reason(failure)
	}
	return s.rs.UpdateBatchInferenceJob(ctx, j, s.cfg.Owner)
}

// scopeOf returns the region and account a request acts in.
func (s *Service) scopeOf(ctx context.Context) perch.Scope {
	sc := s.cfg.Scope
	if a := perch.AccountFrom(ctx); a != "" {
		sc.Account = a
	}
	return sc
}

// CreateBatchInferenceJob implements perch.BatchJobs. The model checks
// the input's form; this checks its meaning, and the store the rules
// between the job and what it names.
func (s *Service) CreateBatchInferenceJob(ctx context.Context, in perch.CreateBatchInferenceJobInput) (*perch.BatchInferenceJob, error) {
	mode := in.Mode
	if mode == "" {
		mode = perch.BatchInferenceMode
	}
	if mode == perch.ThemeGenerationMode || in.ThemeGeneration {
		return nil, perch.Errorf(perch.EInvalidInput,
			"perch does not generate themes: batchInferenceJobMode THEME_GENERATION and themeGenerationConfig are not supported.")
	}
	n := in.NumResults
	switch {
	case n == 0:
		n = perch.DefaultRecommendations
	case n < 0 || n > perch.MaxRecommendations:
		return nil, perch.Errorf(perch.EInvalidInput, "numResults %d is not between 1 and %d.", n, perch.MaxRecommendations)
	}
	if err := checkLocations(in.Input, in.Output); err != nil {
		return nil, err
	}
	sc := s.scopeOf(ctx)
	if !sc.Owns(in.SolutionVersionARN) {
		return nil, perch.NotFound(in.SolutionVersionARN)
	}
	v, err := s.rs.SolutionVersion(ctx, in.SolutionVersionARN)
	if err != nil {
		return nil, err
	}
	if err := checkRecipe(v); err != nil {
		return nil, err
	}
	if err := s.checkFilter(ctx, sc, in.FilterARN, v); err != nil {
		return nil, err
	}
	now := perch.TimestampOf(s.cfg.Now())
	j := &perch.BatchInferenceJob{
		ARN: sc.JobARN(perch.KindBatchInferenceJob, in.Name), Name: in.Name, SolutionVersionARN: v.ARN, FilterARN: in.FilterARN,
		NumResults: n, Input: in.Input, Output: in.Output, RoleARN: in.RoleARN, Config: in.Config, Mode: mode,
		Status: perch.StatusCreatePending, Tags: slices.Clone(in.Tags), Created: now, Updated: now, GroupARN: v.GroupARN,
	}
	if err := s.rs.CreateBatchInferenceJob(ctx, j, MaxPending); err != nil {
		return nil, err
	}
	s.signal()
	return j, nil
}

// checkLocations checks that a job's input and output are s3://
// locations.
func checkLocations(input perch.BatchInput, output perch.BatchOutput) error {
	for _, loc := range []struct{ member, path string }{
		{"jobInput.s3DataSource.path", input.S3DataSource.Path},
		{"jobOutput.s3DataDestination.path", output.S3DataDestination.Path},
	} {
		rest, ok := strings.CutPrefix(loc.path, "s3://")
		if !ok || rest == "" || strings.HasPrefix(rest, "/") {
			return perch.Errorf(perch.EInvalidInput, "%s %s is not an s3://bucket/key location.", loc.member, loc.path)
		}
	}
	return nil
}

// checkFilter checks that the filter a job names, if any, is the
// account's and of the dataset group of the job's version v.
func (s *Service) checkFilter(ctx context.Context, sc perch.Scope, filterARN string, v *perch.SolutionVersion) error {
	if filterARN == "" {
		return nil
	}
	if !sc.Owns(filterARN) {
		return perch.NotFound(filterARN)
	}
	f, err := s.rs.Filter(ctx, filterARN)
	if err != nil {
		return err
	}
	if f.GroupARN != v.GroupARN {
		return perch.Errorf(perch.EInvalidInput, "Filter %s belongs to dataset group %s, not to %s, whose solution version %s the job asks.",
			f.ARN, f.GroupARN, v.GroupARN, v.ARN)
	}
	return nil
}

// checkRecipe refuses the versions AWS cannot batch-infer: trending-now
// and next-best-action, and user segmentation, whose jobs are batch
// segment jobs.
func checkRecipe(v *perch.SolutionVersion) error {
	name, recipeType, _ := solutions.RecipeOf(v.RecipeARN)
	switch {
	case recipeType == perch.RecipeUserSegmentation:
		return perch.Errorf(perch.EInvalidInput,
			"Solution version %s is of the USER_SEGMENTATION recipe %s: create a batch segment job of it, not a batch inference job.", v.ARN, name)
	case name == recipe.TrendingNow, recipeType == perch.RecipePersonalizedActions:
		return perch.Errorf(perch.EInvalidInput, "Solution version %s is of recipe %s, which batch inference jobs do not support.", v.ARN, name)
	}
	return nil
}

// DescribeBatchInferenceJob implements perch.BatchJobs.
func (s *Service) DescribeBatchInferenceJob(ctx context.Context, arn string) (*perch.BatchInferenceJob, error) {
	if !s.scopeOf(ctx).Owns(arn) {
		return nil, perch.NotFound(arn)
	}
	return s.rs.BatchInferenceJob(ctx, arn)
}

// ListBatchInferenceJobs implements perch.BatchJobs, newest first, as
// the recommendation side's other lists, with their paging.
func (s *Service) ListBatchInferenceJobs(ctx context.Context, versionARN string, p perch.Page) ([]*perch.BatchInferenceJob, string, error) {
	all, err := s.rs.BatchInferenceJobs(ctx)
	if err != nil {
		return nil, "", err
	}
	sc := s.scopeOf(ctx)
	var jobs []*perch.BatchInferenceJob
	for _, j := range all {
		if sc.Owns(j.ARN) && (versionARN == "" || j.SolutionVersionARN == versionARN) {
			jobs = append(jobs, j)
		}
	}
	at := func(j *perch.BatchInferenceJob) perch.Position {
		return perch.Position{Created: -j.Created, ARN: j.ARN}
	}
	same := func(j *perch.BatchInferenceJob) *perch.BatchInferenceJob { return j }
	return perch.Paginate(jobs, at, same, "batch-inference-jobs "+versionARN, p)
}
