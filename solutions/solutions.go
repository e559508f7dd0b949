// Package solutions is the recommendation side's control plane: the
// recipes, solutions, solution versions (trainings), campaigns and
// filters. Like the
// catalog, it validates what each operation is given and builds the
// resource, and the perch.ResourceStore applies the rules between
// resources in its own atomic step; the training itself is the trainer's,
// which takes the versions waiting for it from the store.
package solutions

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/perchdev/perch"
)

// AWS's quotas, the defaults of Options.
const (
	DefaultMaxSolutionsPerGroup = 10
	DefaultMaxTrainingVersions  = 20 // per account and region
	DefaultMaxCampaignsPerGroup = 5
	// DefaultHPOJobs is how many settings a hyperparameter search tries
	// when hpoResourceConfig does not say.
	DefaultHPOJobs = 8
	// DefaultAutoTraining is how often a solution trains by itself when
	// its configuration names no schedule.
	DefaultAutoTraining = "rate(7 days)"
)

// Options tunes a Service. The zero value is ready to use.
type Options struct {
	Now                     func() time.Time // time.Now when nil
	MaxSolutionsPerGroup    int
	MaxTrainingVersions     int
	MaxCampaignsPerGroup    int
	MaxFiltersPerGroup      int
	MaxRecommendersPerGroup int
	// Trained, when set, is told of each version created, so that a
	// trainer in this process starts on it without waiting for its poll.
	Trained func()
}

// Service implements perch.Solutions over a perch.ResourceStore.
type Service struct {
	rs    perch.ResourceStore
	scope perch.Scope
	opts  Options
}

var _ perch.Solutions = (*Service)(nil)

// New returns the control plane of the recommendation side over rs. scope
// gives the region of the ARNs it creates and the account of requests
// whose context carries none.
func New(rs perch.ResourceStore, scope perch.Scope, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxSolutionsPerGroup <= 0 {
		opts.MaxSolutionsPerGroup = DefaultMaxSolutionsPerGroup
	}
	if opts.MaxTrainingVersions <= 0 {
		opts.MaxTrainingVersions = DefaultMaxTrainingVersions
	}
	if opts.MaxCampaignsPerGroup <= 0 {
		opts.MaxCampaignsPerGroup = DefaultMaxCampaignsPerGroup
	}
	if opts.MaxRecommendersPerGroup <= 0 {
		opts.MaxRecommendersPerGroup = DefaultMaxRecommendersPerGroup
	}
	if opts.MaxFiltersPerGroup <= 0 {
		opts.MaxFiltersPerGroup = DefaultMaxFiltersPerGroup
	}
	return &Service{rs: rs, scope: scope, opts: opts}
}

func (s *Service) scopeOf(ctx context.Context) perch.Scope {
	sc := s.scope
	if a := perch.AccountFrom(ctx); a != "" {
		sc.Account = a
	}
	return sc
}

func (s *Service) stamp() perch.Timestamp { return perch.TimestampOf(s.opts.Now()) }

// get reads the resource arn with read, but only when it belongs to the
// caller: another account's resources do not exist for it.
func get[T any](ctx context.Context, sc perch.Scope, arn string, read func(context.Context, string) (*T, error)) (*T, error) {
	if !sc.Owns(arn) {
		return nil, perch.NotFound(arn)
	}
	return read(ctx, arn)
}

// owned keeps the resources of list that belong to sc and that keep
// accepts.
func owned[T any](list []*T, arnOf func(*T) string, sc perch.Scope, keep func(*T) bool) []*T {
	var out []*T
	for _, v := range list {
		if sc.Owns(arnOf(v)) && keep(v) {
			out = append(out, v)
		}
	}
	return out
}

// newestFirst is the order of lists: AWS leaves it undocumented, and the
// newest resources are the ones a caller looks for.
func newestFirst(created perch.Timestamp, arn string) perch.Position {
	return perch.Position{Created: -created, ARN: arn}
}

func same[T any](v *T) *T { return v }

// randomID is the short lowercase hexadecimal id of a solution version.
func randomID() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// stored passes the store's refusals on as they are, and wraps any other
// failure with what was being written.
func stored(err error, what, arn string) error {
	var e *perch.Error
	if errors.As(err, &e) {
		return err
	}
	return fmt.Errorf("solutions: %s %s: %w", what, arn, err)
}

// arnOf names a resource kind's ARN of scope sc.
func arnOf(sc perch.Scope, kind, name string) string {
	return perch.ARN{Partition: "aws", Service: "personalize", Region: sc.Region, Account: sc.Account, Resource: kind + "/" + name}.String()
}

// latestSuffix names a solution's newest ACTIVE version in campaigns.
const latestSuffix = "/$LATEST"

// versionsOf returns the solution arn's versions, newest first.
func (s *Service) versionsOf(ctx context.Context, solutionARN string) ([]*perch.SolutionVersion, error) {
	all, err := s.rs.SolutionVersions(ctx)
	if err != nil {
		return nil, err
	}
	var out []*perch.SolutionVersion
	for _, v := range all {
		if v.SolutionARN == solutionARN {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b *perch.SolutionVersion) int {
		return newestFirst(a.Created, a.ARN).Compare(newestFirst(b.Created, b.ARN))
	})
	return out, nil
}

// Latest returns the newest ACTIVE version of the solution arn, or nil
// when it has none: what a campaign of the solution's $LATEST serves.
func Latest(ctx context.Context, rs perch.ResourceStore, solutionARN string) (*perch.SolutionVersion, error) {
	all, err := rs.SolutionVersions(ctx)
	if err != nil {
		return nil, err
	}
	var latest *perch.SolutionVersion
	for _, v := range all {
		if v.SolutionARN == solutionARN && v.Status == perch.StatusActive &&
			(latest == nil || newestFirst(v.Created, v.ARN).Compare(newestFirst(latest.Created, latest.ARN)) < 0) {
			latest = v
		}
	}
	return latest, nil
}

// SolutionOfVersion returns the solution ARN a version ARN (or a
// solution's $LATEST) belongs to.
func SolutionOfVersion(versionARN string) string {
	if i := strings.LastIndexByte(versionARN, '/'); i > 0 {
		return versionARN[:i]
	}
	return ""
}
