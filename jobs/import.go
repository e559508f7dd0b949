package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/bulkcsv"
	"github.com/perchdev/perch/internal/leases"
)

// loadBatch is how many records an import hands the store at a time.
const loadBatch = 1000

// CreateDatasetImportJob implements perch.Jobs.
func (s *Service) CreateDatasetImportJob(ctx context.Context, in perch.CreateDatasetImportJobInput) (*perch.DatasetImportJob, error) {
	mode := in.ImportMode
	if mode == "" {
		mode = perch.ImportFull
	}
	if err := checkLocation("dataSource.dataLocation", in.DataLocation); err != nil {
		return nil, err
	}
	if _, err := s.cfg.Catalog.DescribeDataset(ctx, in.DatasetARN); err != nil {
		return nil, err
	}
	scope := s.scopeOf(ctx)
	arn := scope.JobARN(perch.KindDatasetImportJob, in.Name)
	now := s.now()
	j := &perch.DatasetImportJob{
		ARN: arn, Name: in.Name, DatasetARN: in.DatasetARN, DataLocation: in.DataLocation, RoleARN: in.RoleARN,
		ImportMode: mode, PublishToS3: in.PublishToS3, Status: perch.StatusCreatePending, Tags: slices.Clone(in.Tags),
		Created: now, Updated: now,
	}
	if err := s.rs.CreateDatasetImportJob(ctx, j, MaxPendingImports); err != nil {
		return nil, err
	}
	s.signal()
	return j, nil
}

// DescribeDatasetImportJob implements perch.Jobs.
func (s *Service) DescribeDatasetImportJob(ctx context.Context, arn string) (*perch.DatasetImportJob, error) {
	return find(s, ctx, arn, s.rs.DatasetImportJob)
}

// ListDatasetImportJobs implements perch.Jobs.
func (s *Service) ListDatasetImportJobs(ctx context.Context, datasetARN string, p perch.Page) ([]*perch.DatasetImportJob, string, error) {
	keep := func(j *perch.DatasetImportJob) bool { return datasetARN == "" || j.DatasetARN == datasetARN }
	at := func(j *perch.DatasetImportJob) perch.Position { return perch.Position{Created: j.Created, ARN: j.ARN} }
	return list(s, ctx, s.rs.DatasetImportJobs, func(j *perch.DatasetImportJob) string { return j.ARN }, keep, at, "dataset-import-jobs "+datasetARN, p)
}

func (s *Service) runImport(ctx context.Context, arn string, progress *leases.Progress) error {
	set := func(status string, failure error) error {
		return update(s, ctx, arn, s.rs.DatasetImportJob, func(j *perch.DatasetImportJob) {
			j.Status, j.Updated, j.FailureReason = status, s.now(), reason(failure)
		}, s.rs.UpdateDatasetImportJob)
	}
	return runJob(ctx, createStatuses, set, func() error { return s.load(ctx, arn, progress) })
}

// load checks every row of every file first, then loads them into a
// staged generation that becomes the dataset's bulk data only if all of
// it loaded: an import is seen whole or not at all, with memory bounded
// whatever the files' size. Its progress is the lines checked, and then
// the records loaded of those checked.
func (s *Service) load(ctx context.Context, arn string, progress *leases.Progress) error {
	j, err := find(s, ctx, arn, s.rs.DatasetImportJob)
	if err != nil {
		return err
	}
	d, schema, err := s.dataset(ctx, j.DatasetARN)
	if err != nil {
		return err
	}
	files, err := s.cfg.Objects.List(ctx, j.DataLocation, false)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return perch.Errorf(perch.EInvalidInput, "There are no files at %s.", j.DataLocation)
	}
	cols := schema.Columns(d.Type)
	progress.Start(perch.ProgressLines, 0)
	var records int64
	for _, f := range files {
		err := s.readFile(ctx, f, cols, d.Type, func(b *perch.Batch) error {
			records += int64(b.Len())
			progress.Add(int64(b.Len()))
			return nil
		})
		if err != nil {
			return err
		}
	}

	var report perch.ImportReport
	if s.cfg.Attributions != nil {
		if report, err = s.cfg.Attributions.ImportReport(ctx, j, d); err != nil {
			return err
		}
	}
	loader, err := s.cfg.Store.BulkLoad(ctx, d)
	if err != nil {
		return err
	}
	progress.Start(perch.ProgressRecords, records)
	for _, f := range files {
		err := s.readFile(ctx, f, cols, d.Type, func(b *perch.Batch) error {
			n := int64(b.Len())
			b.Dataset = d
			if report != nil {
				if err := report.Add(ctx, b.Events); err != nil {
					return err
				}
			}
			if err := loader.Add(ctx, b); err != nil {
				return err
			}
			progress.Add(n)
			return nil
		})
		if err != nil {
			return errors.Join(err, loader.Abort())
		}
	}
	if err := loader.Commit(ctx, j.ImportMode); err != nil {
		return errors.Join(err, loader.Abort())
	}
	if report != nil {
		// The data is in: a report that cannot be written is logged, and
		// the import stays done.
		if err := s.publish(ctx, report); err != nil {
			s.cfg.Logger.Error("writing the metric attribution report of an import", "datasetImportJobArn", j.ARN, "err", fmt.Sprint(err))
		}
	}
	return nil
}

// publish writes an import's metric attribution report.
func (s *Service) publish(ctx context.Context, report perch.ImportReport) error {
	loc := report.Location()
	w, err := s.cfg.Objects.Create(ctx, loc)
	if err != nil {
		return fmt.Errorf("%s: %w", loc, err)
	}
	if err := report.WriteCSV(w); err != nil {
		w.Abort()
		return fmt.Errorf("%s: %w", loc, err)
	}
	if err := w.Commit(); err != nil {
		return fmt.Errorf("%s: %w", loc, err)
	}
	return nil
}

// readFile reads the records of one file, checking each row, and hands
// them to add in batches of loadBatch. Errors name the file, line and
// column.
func (s *Service) readFile(ctx context.Context, loc string, cols *perch.Columns, t perch.DatasetType, add func(*perch.Batch) error) error {
	r, err := s.cfg.Objects.Open(ctx, loc)
	if err != nil {
		return err
	}
	defer r.Close()
	cr, err := bulkcsv.NewReader(r, cols.Fields)
	if err != nil {
		return fmt.Errorf("%s: %w", loc, err)
	}
	now := s.now()
	b := &perch.Batch{}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", loc, err)
		}
		switch t {
		case perch.Interactions:
			var e perch.Event
			if e, err = cols.Event(row); err == nil {
				b.Events = append(b.Events, e)
			}
		case perch.ActionInteractions:
			var a perch.ActionInteraction
			if a, err = cols.ActionInteraction(row); err == nil {
				b.ActionInteractions = append(b.ActionInteractions, a)
			}
		default:
			var e perch.Entity
			if e, err = cols.Entity(row); err == nil {
				e.Updated = now
				b.Entities = append(b.Entities, e)
			}
		}
		if err != nil {
			return fmt.Errorf("%s: line %d, %w", loc, cr.Line(), err)
		}
		if b.Len() >= loadBatch {
			if err := add(b); err != nil {
				return err
			}
			b = &perch.Batch{}
		}
	}
	if b.Len() > 0 {
		return add(b)
	}
	return nil
}
