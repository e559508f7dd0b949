package jobs

import (
	"context"
	"slices"
	"strings"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/export"
	"github.com/perchdev/perch/internal/leases"
)

// ExportLocation is where an export job writes: a folder named after the
// job under the job's path, holding one bulk CSV file named after the
// dataset's type, e.g. s3://bucket/prefix/JOB/interactions.csv. AWS does
// not document its own object names; a folder per job keeps jobs from
// overwriting each other and can be imported back as it is.
func ExportLocation(j *perch.DatasetExportJob, t perch.DatasetType) string {
	path := j.Output.Path
	if !strings.HasSuffix(path, "/") {
		path += "/"
	}
	return path + j.Name + "/" + export.FileName(t, export.CSV)
}

// CreateDatasetExportJob implements perch.Jobs.
func (s *Service) CreateDatasetExportJob(ctx context.Context, in perch.CreateDatasetExportJobInput) (*perch.DatasetExportJob, error) {
	mode := in.IngestionMode
	if mode == "" {
		mode = perch.IngestPut
	}
	if err := checkLocation("jobOutput.s3DataDestination.path", in.Output.Path); err != nil {
		return nil, err
	}
	if _, err := s.cfg.Catalog.DescribeDataset(ctx, in.DatasetARN); err != nil {
		return nil, err
	}
	arn := s.scopeOf(ctx).JobARN(perch.KindDatasetExportJob, in.Name)
	now := s.now()
	j := &perch.DatasetExportJob{
		ARN: arn, Name: in.Name, DatasetARN: in.DatasetARN, IngestionMode: mode, RoleARN: in.RoleARN,
		Status: perch.StatusCreatePending, Output: in.Output, Tags: slices.Clone(in.Tags), Created: now, Updated: now,
	}
	if err := s.rs.CreateDatasetExportJob(ctx, j); err != nil {
		return nil, err
	}
	s.signal()
	return j, nil
}

// DescribeDatasetExportJob implements perch.Jobs.
func (s *Service) DescribeDatasetExportJob(ctx context.Context, arn string) (*perch.DatasetExportJob, error) {
	return find(s, ctx, arn, s.rs.DatasetExportJob)
}

// ListDatasetExportJobs implements perch.Jobs.
func (s *Service) ListDatasetExportJobs(ctx context.Context, datasetARN string, p perch.Page) ([]*perch.DatasetExportJob, string, error) {
	keep := func(j *perch.DatasetExportJob) bool { return datasetARN == "" || j.DatasetARN == datasetARN }
	at := func(j *perch.DatasetExportJob) perch.Position { return perch.Position{Created: j.Created, ARN: j.ARN} }
	return list(s, ctx, s.rs.DatasetExportJobs, func(j *perch.DatasetExportJob) string { return j.ARN }, keep, at, "dataset-export-jobs "+datasetARN, p)
}

func (s *Service) runExport(ctx context.Context, arn string, progress *leases.Progress) error {
	set := func(status string, failure error) error {
		return update(s, ctx, arn, s.rs.DatasetExportJob, func(j *perch.DatasetExportJob) {
			j.Status, j.Updated, j.FailureReason = status, s.now(), reason(failure)
		}, s.rs.UpdateDatasetExportJob)
	}
	return runJob(ctx, createStatuses, set, func() error { return s.export(ctx, arn, progress) })
}

// export writes the job's dataset out. Its progress is the records read
// from the store, of the dataset's count when that is what it reads: all
// of an interactions dataset's records (a count of items, users or
// actions counts an id of both sources twice, and one source's records
// are not counted apart).
func (s *Service) export(ctx context.Context, arn string, progress *leases.Progress) error {
	j, err := find(s, ctx, arn, s.rs.DatasetExportJob)
	if err != nil {
		return err
	}
	d, schema, err := s.dataset(ctx, j.DatasetARN)
	if err != nil {
		return err
	}
	var total int64
	if (d.Type == perch.Interactions || d.Type == perch.ActionInteractions) && j.IngestionMode == perch.IngestAll {
		if total, err = s.cfg.Store.RecordCount(ctx, d.ID); err != nil {
			return err
		}
	}
	w, err := s.cfg.Objects.Create(ctx, ExportLocation(j, d.Type))
	if err != nil {
		return err
	}
	progress.Start(perch.ProgressRecords, total)
	opts := export.Options{Format: export.CSV, Source: j.IngestionMode, Read: func() { progress.Add(1) }}
	if _, err := export.Dataset(ctx, s.cfg.Store, d, schema, opts, w); err != nil {
		w.Abort()
		return err
	}
	return w.Commit()
}
