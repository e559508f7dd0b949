package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/internal/leases"
	"github.com/perchdev/perch/recipe"
	"github.com/perchdev/perch/serving"
	"github.com/perchdev/perch/solutions"
)

// AWS's bounds of a batch segment job's input lines: items for
// item-affinity, attribute queries for item-attribute-affinity. The lines
// past them, over all the job's input objects, are answered with an
// error.
const (
	MaxItemLines      = 500
	MaxAttributeLines = 10
)

// CreateBatchSegmentJob implements perch.SegmentJobs: a job of a
// USER_SEGMENTATION version, whose filter, when it names one, is of the
// version's dataset group.
func (s *Service) CreateBatchSegmentJob(ctx context.Context, in perch.CreateBatchSegmentJobInput) (*perch.BatchSegmentJob, error) {
	n := in.NumResults
	switch {
	case n == 0:
		n = perch.DefaultSegmentUsers
	case n < 0 || n > perch.MaxSegmentUsers:
		return nil, perch.Errorf(perch.EInvalidInput, "numResults %d is not between 1 and %d.", n, perch.MaxSegmentUsers)
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
	if name, recipeType, _ := solutions.RecipeOf(v.RecipeARN); recipeType != perch.RecipeUserSegmentation {
		return nil, perch.Errorf(perch.EInvalidInput,
			"Solution version %s is of recipe %s, not of a USER_SEGMENTATION recipe (aws-item-affinity, aws-item-attribute-affinity), which batch segment jobs need.",
			v.ARN, name)
	}
	if err := s.checkFilter(ctx, sc, in.FilterARN, v); err != nil {
		return nil, err
	}
	if in.FilterARN != "" {
		f, err := s.rs.Filter(ctx, in.FilterARN)
		if err != nil {
			return nil, err
		}
		if words := strings.Fields(f.Expression); len(words) < 2 || words[1] != "UserID" {
			return nil, perch.Errorf(perch.EInvalidInput, "Filter %s does not filter UserID values; a batch segment job takes a UserID filter.", f.ARN)
		}
	}
	now := perch.TimestampOf(s.cfg.Now())
	j := &perch.BatchSegmentJob{
		ARN: sc.JobARN(perch.KindBatchSegmentJob, in.Name), Name: in.Name, SolutionVersionARN: v.ARN, FilterARN: in.FilterARN,
		NumResults: n, Input: in.Input, Output: in.Output, RoleARN: in.RoleARN,
		Status: perch.StatusCreatePending, Tags: slices.Clone(in.Tags), Created: now, Updated: now, GroupARN: v.GroupARN,
	}
	if err := s.rs.CreateBatchSegmentJob(ctx, j, MaxPending); err != nil {
		return nil, err
	}
	s.signal()
	return j, nil
}

// DescribeBatchSegmentJob implements perch.SegmentJobs.
func (s *Service) DescribeBatchSegmentJob(ctx context.Context, arn string) (*perch.BatchSegmentJob, error) {
	if !s.scopeOf(ctx).Owns(arn) {
		return nil, perch.NotFound(arn)
	}
	return s.rs.BatchSegmentJob(ctx, arn)
}

// ListBatchSegmentJobs implements perch.SegmentJobs, newest first, with
// the lists' paging.
func (s *Service) ListBatchSegmentJobs(ctx context.Context, versionARN string, p perch.Page) ([]*perch.BatchSegmentJob, string, error) {
	all, err := s.rs.BatchSegmentJobs(ctx)
	if err != nil {
		return nil, "", err
	}
	sc := s.scopeOf(ctx)
	var jobs []*perch.BatchSegmentJob
	for _, j := range all {
		if sc.Owns(j.ARN) && (versionARN == "" || j.SolutionVersionARN == versionARN) {
			jobs = append(jobs, j)
		}
	}
	at := func(j *perch.BatchSegmentJob) perch.Position {
		return perch.Position{Created: -j.Created, ARN: j.ARN}
	}
	same := func(j *perch.BatchSegmentJob) *perch.BatchSegmentJob { return j }
	return perch.Paginate(jobs, at, same, "batch-segment-jobs "+versionARN, p)
}

// setSegment is set for batch segment jobs.
func (s *Service) setSegment(ctx context.Context, arn, status string, failure error) error {
	ctx = context.WithoutCancel(ctx)
	j, err := s.rs.BatchSegmentJob(ctx, arn)
	if err != nil {
		return err
	}
	j.Status, j.Updated, j.FailureReason = status, perch.TimestampOf(s.cfg.Now()), ""
	if failure != nil {
		j.FailureReason = reason(failure)
	}
	return s.rs.UpdateBatchSegmentJob(ctx, j, s.cfg.Owner)
}

// segment runs the batch segment job arn, as infer runs a batch inference
// job.
func (s *Service) segment(ctx context.Context, arn string, progress *leases.Progress) error {
	if s.cfg.Objects == nil {
		return errNoObjects
	}
	j, err := s.rs.BatchSegmentJob(ctx, arn)
	if err != nil {
		return err
	}
	v, err := s.cfg.Runtime.Version(ctx, j.SolutionVersionARN, j.GroupARN)
	if err != nil {
		return fmt.Errorf("loading the model of solution version %s: %w", j.SolutionVersionARN, err)
	}
	inputs, err := s.inputs(ctx, j.Input, j.Output)
	if err != nil {
		return err
	}
	a := segmenter{s: s, job: j, version: v, max: MaxItemLines, field: "itemId"}
	if name, _ := v.Recipe(); name == recipe.ItemAttributeAffinity {
		a.max, a.field = MaxAttributeLines, "itemAttributes"
	}
	progress.Start(perch.ProgressLines, 0)
	for _, in := range inputs {
		// One worker: a segment job's lines are counted in order against
		// AWS's bound.
		if err := s.stream(ctx, in, outputLocation(j.Output, in), []answerFunc{a.answer}, progress); err != nil {
			return err
		}
	}
	return nil
}

// segmenter answers the lines of one batch segment job.
type segmenter struct {
	s       *Service
	job     *perch.BatchSegmentJob
	version *serving.Version
	max     int    // lines a job may have
	field   string // what a line gives
	lines   int
	buf     []byte
}

// segmentLine is what a batch segment job's line may give.
type segmentLine struct {
	ItemID         string            `json:"itemId"`
	ItemAttributes string            `json:"itemAttributes"`
	FilterValues   map[string]string `json:"filterValues"`
}

// answer is answerer.answer for a batch segment job: the line's users, as
// "usersList", or an error.
func (a *segmenter) answer(ctx context.Context, line []byte, tooLong bool) ([]byte, error) {
	a.lines++
	b := append(a.buf[:0], `{"input":`...)
	var in segmentLine
	var compact bytes.Buffer
	switch {
	case tooLong:
		b = append(b, "null"...)
		return a.failed(b, fmt.Sprintf("The line is longer than %d bytes.", MaxLineBytes)), nil
	case json.Compact(&compact, line) != nil || json.Unmarshal(line, &in) != nil:
		b = appendString(b, string(line))
		return a.failed(b, fmt.Sprintf(`The line is not a JSON object of the form {"%s": "..."}.`, a.field)), nil
	}
	b = append(b, compact.Bytes()...)
	if a.lines > a.max {
		name, _ := a.version.Recipe()
		return a.failed(b, fmt.Sprintf("A batch segment job of %s takes at most %d lines; this is line %d.", name, a.max, a.lines)), nil
	}
	users, err := a.s.cfg.Runtime.Segment(ctx, a.version, serving.SegmentQuery{
		ItemID: strings.TrimSpace(in.ItemID), ItemAttributes: in.ItemAttributes, NumResults: a.job.NumResults,
		FilterARN: a.job.FilterARN, FilterValues: in.FilterValues,
	})
	if err != nil {
		var e *perch.Error
		if errors.As(err, &e) && (e.Code == perch.EInvalidInput || e.Code == perch.EResourceNotFound) {
			return a.failed(b, e.Message), nil
		}
		return nil, err
	}
	b = append(b, `,"output":{"usersList":[`...)
	for i, u := range users {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, u.User)
	}
	b = append(b, `]},"error":null}`+"\n"...)
	a.buf = b
	return b, nil
}

// failed ends a line whose input b holds with the error message.
func (a *segmenter) failed(b []byte, message string) []byte {
	b = append(b, `,"error":`...)
	b = appendString(b, message)
	b = append(b, "}\n"...)
	a.buf = b
	return b
}
