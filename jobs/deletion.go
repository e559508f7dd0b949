package jobs

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/bulkcsv"
	"github.com/perchdev/perch/internal/leases"
)

// deletionChunk is how many users a deletion job deletes at a time.
const deletionChunk = 1000

// userIDColumn is the one column of a data deletion job's files.
var userIDColumn = []perch.Field{{Name: "USER_ID", Type: perch.TypeString}}

// CreateDataDeletionJob implements perch.Jobs.
func (s *Service) CreateDataDeletionJob(ctx context.Context, in perch.CreateDataDeletionJobInput) (*perch.DataDeletionJob, error) {
	if err := checkLocation("dataSource.dataLocation", in.DataLocation); err != nil {
		return nil, err
	}
	if _, err := s.cfg.Catalog.DescribeDatasetGroup(ctx, in.GroupARN); err != nil {
		return nil, err
	}
	arn := s.scopeOf(ctx).JobARN(perch.KindDataDeletionJob, in.Name)
	now := s.now()
	j := &perch.DataDeletionJob{
		ARN: arn, Name: in.Name, GroupARN: in.GroupARN, DataLocation: in.DataLocation, RoleARN: in.RoleARN,
		Status: perch.StatusPending, Tags: slices.Clone(in.Tags), Created: now, Updated: now,
	}
	if err := s.rs.CreateDataDeletionJob(ctx, j, MaxPendingDeletions); err != nil {
		return nil, err
	}
	s.signal()
	return j, nil
}

// DescribeDataDeletionJob implements perch.Jobs.
func (s *Service) DescribeDataDeletionJob(ctx context.Context, arn string) (*perch.DataDeletionJob, error) {
	return find(s, ctx, arn, s.rs.DataDeletionJob)
}

// ListDataDeletionJobs implements perch.Jobs.
func (s *Service) ListDataDeletionJobs(ctx context.Context, groupARN string, p perch.Page) ([]*perch.DataDeletionJob, string, error) {
	keep := func(j *perch.DataDeletionJob) bool { return groupARN == "" || j.GroupARN == groupARN }
	at := func(j *perch.DataDeletionJob) perch.Position { return perch.Position{Created: j.Created, ARN: j.ARN} }
	return list(s, ctx, s.rs.DataDeletionJobs, func(j *perch.DataDeletionJob) string { return j.ARN }, keep, at, "data-deletion-jobs "+groupARN, p)
}

// count adds deleted to the job's count and persists it.
func (s *Service) count(ctx context.Context, arn string, deleted int) error {
	return update(s, ctx, arn, s.rs.DataDeletionJob, func(j *perch.DataDeletionJob) {
		j.NumDeleted += deleted
		j.Updated = s.now()
	}, s.rs.UpdateDataDeletionJob)
}

func (s *Service) runDeletion(ctx context.Context, arn string, progress *leases.Progress) error {
	set := func(status string, failure error) error {
		return update(s, ctx, arn, s.rs.DataDeletionJob, func(j *perch.DataDeletionJob) {
			j.Status, j.Updated, j.FailureReason = status, s.now(), reason(failure)
		}, s.rs.UpdateDataDeletionJob)
	}
	return runJob(ctx, deletionStatuses, set, func() error { return s.deleteUsers(ctx, arn, progress) })
}

// deleteUsers reads the users the job's files list, a chunk at a time,
// and deletes their records from every dataset of the group, counting
// them into the job as it goes. Its progress is the lines of users done.
func (s *Service) deleteUsers(ctx context.Context, arn string, progress *leases.Progress) error {
	j, err := find(s, ctx, arn, s.rs.DataDeletionJob)
	if err != nil {
		return err
	}
	var datasets []*perch.Dataset
	for p := (perch.Page{}); ; {
		page, next, err := s.cfg.Catalog.ListDatasets(ctx, j.GroupARN, p)
		if err != nil {
			return err
		}
		datasets = append(datasets, page...)
		if next == "" {
			break
		}
		p.NextToken = next
	}
	if s.cfg.Objects == nil {
		return errNoObjects
	}
	files, err := s.cfg.Objects.List(ctx, j.DataLocation, true)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return perch.Errorf(perch.EInvalidInput, "There are no files at %s.", j.DataLocation)
	}
	deleteChunk := func(users []string) error {
		n := 0
		for _, d := range datasets {
			deleted, err := s.cfg.Store.DeleteUsers(ctx, d, users)
			n += deleted
			if err != nil {
				return err
			}
		}
		if err := s.count(ctx, arn, n); err != nil {
			return err
		}
		progress.Add(int64(len(users)))
		return nil
	}
	progress.Start(perch.ProgressLines, 0)
	for _, f := range files {
		if err := s.readUsers(ctx, f, deleteChunk); err != nil {
			return err
		}
	}
	return nil
}

// readUsers reads a file of USER_ID and hands its users to fn in chunks.
func (s *Service) readUsers(ctx context.Context, loc string, fn func([]string) error) error {
	r, err := s.cfg.Objects.Open(ctx, loc)
	if err != nil {
		return err
	}
	defer r.Close()
	cr, err := bulkcsv.NewReader(r, userIDColumn)
	if err != nil {
		return fmt.Errorf("%s: %w", loc, err)
	}
	var users []string
	for {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", loc, err)
		}
		if row[0].Null {
			return fmt.Errorf("%s: line %d, column USER_ID: the value is empty", loc, cr.Line())
		}
		if users = append(users, row[0].Text); len(users) == deletionChunk {
			if err := fn(users); err != nil {
				return err
			}
			users = users[:0]
		}
	}
	if len(users) > 0 {
		return fn(users)
	}
	return nil
}
