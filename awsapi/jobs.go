package awsapi

import (
	"context"

	"github.com/perchdev/perch"
)

// jobOps handles the control plane's job operations.
func (s *Server) jobOps() map[string]controlOp {
	j := s.jobs
	return map[string]controlOp{
		"CreateDatasetExportJob": func(ctx context.Context, body []byte) (any, error) {
			var in struct {
				JobName, DatasetArn, IngestionMode, RoleArn string
				JobOutput                                   struct{ S3DataDestination perch.S3DataConfig }
				Tags                                        []perch.Tag
			}
			if err := decode(body, &in); err != nil {
				return nil, err
			}
			job, err := j.CreateDatasetExportJob(ctx, perch.CreateDatasetExportJobInput{
				Name: in.JobName, DatasetARN: in.DatasetArn, IngestionMode: perch.IngestionMode(in.IngestionMode),
				RoleARN: in.RoleArn, Output: in.JobOutput.S3DataDestination, Tags: in.Tags,
			})
			if err != nil {
				return nil, err
			}
			return map[string]string{"datasetExportJobArn": job.ARN}, nil
		},
		"DescribeDatasetExportJob": func(ctx context.Context, body []byte) (any, error) {
			var in struct{ DatasetExportJobArn string }
			if err := decode(body, &in); err != nil {
				return nil, err
			}
			job, err := j.DescribeDatasetExportJob(ctx, in.DatasetExportJobArn)
			if err != nil {
				return nil, err
			}
			return map[string]any{"datasetExportJob": exportJob{
				job.Name, job.ARN, job.DatasetARN, job.IngestionMode, job.RoleARN, job.Status,
				exportOutput{job.Output}, job.Created, job.Updated, job.FailureReason,
			}}, nil
		},
		"ListDatasetExportJobs": func(ctx context.Context, body []byte) (any, error) {
			var in listInput
			if err := decode(body, &in); err != nil {
				return nil, err
			}
			list, next, err := j.ListDatasetExportJobs(ctx, in.DatasetArn, in.page())
			if err != nil {
				return nil, err
			}
			out := make([]jobSummary, len(list))
			for i, job := range list {
				out[i] = jobSummary{ExportARN: job.ARN, Name: job.Name, Status: job.Status,
					Created: job.Created, Updated: job.Updated, FailureReason: job.FailureReason}
			}
			return listOutput("datasetExportJobs", out, next), nil
		},

		"CreateDatasetImportJob": func(ctx context.Context, body []byte) (any, error) {
			var in struct {
				JobName, DatasetArn, RoleArn, ImportMode string
				DataSource                               dataSource
				PublishAttributionMetricsToS3            bool
				Tags                                     []perch.Tag
			}
			if err := decode(body, &in); err != nil {
				return nil, err
			}
			job, err := j.CreateDatasetImportJob(ctx, perch.CreateDatasetImportJobInput{
				Name: in.JobName, DatasetARN: in.DatasetArn, DataLocation: in.DataSource.DataLocation, RoleARN: in.RoleArn,
				ImportMode: perch.ImportMode(in.ImportMode), PublishToS3: in.PublishAttributionMetricsToS3, Tags: in.Tags,
			})
			if err != nil {
				return nil, err
			}
			return map[string]string{"datasetImportJobArn": job.ARN}, nil
		},
		"DescribeDatasetImportJob": func(ctx context.Context, body []byte) (any, error) {
			var in struct{ DatasetImportJobArn string }
			if err := decode(body, &in); err != nil {
				return nil, err
			}
			job, err := j.DescribeDatasetImportJob(ctx, in.DatasetImportJobArn)
			if err != nil {
				return nil, err
			}
			return map[string]any{"datasetImportJob": importJob{
				job.Name, job.ARN, job.DatasetARN, dataSource{job.DataLocation}, job.RoleARN, job.Status,
				job.Created, job.Updated, job.FailureReason, job.ImportMode, job.PublishToS3,
			}}, nil
		},
		"ListDatasetImportJobs": func(ctx context.Context, body []byte) (any, error) {
			var in listInput
			if err := decode(body, &in); err != nil {
				return nil, err
			}
			list, next, err := j.ListDatasetImportJobs(ctx, in.DatasetArn, in.page())
			if err != nil {
				return nil, err
			}
			out := make([]jobSummary, len(list))
			for i, job := range list {
				out[i] = jobSummary{ImportARN: job.ARN, Name: job.Name, Status: job.Status, Created: job.Created,
					Updated: job.Updated, FailureReason: job.FailureReason, ImportMode: job.ImportMode}
			}
			return listOutput("datasetImportJobs", out, next), nil
		},

		"CreateDataDeletionJob": func(ctx context.Context, body []byte) (any, error) {
			var in struct {
				JobName, DatasetGroupArn, RoleArn string
				DataSource                        dataSource
				Tags                              []perch.Tag
			}
			if err := decode(body, &in); err != nil {
				return nil, err
			}
			job, err := j.CreateDataDeletionJob(ctx, perch.CreateDataDeletionJobInput{
				Name: in.JobName, GroupARN: in.DatasetGroupArn, DataLocation: in.DataSource.DataLocation, RoleARN: in.RoleArn, Tags: in.Tags,
			})
			if err != nil {
				return nil, err
			}
			return map[string]string{"dataDeletionJobArn": job.ARN}, nil
		},
		"DescribeDataDeletionJob": func(ctx context.Context, body []byte) (any, error) {
			var in struct{ DataDeletionJobArn string }
			if err := decode(body, &in); err != nil {
				return nil, err
			}
			job, err := j.DescribeDataDeletionJob(ctx, in.DataDeletionJobArn)
			if err != nil {
				return nil, err
			}
			return map[string]any{"dataDeletionJob": deletionJob{
				job.Name, job.ARN, job.GroupARN, dataSource{job.DataLocation}, job.RoleARN, job.Status, job.NumDeleted,
				job.Created, job.Updated, job.FailureReason,
			}}, nil
		},
		"ListDataDeletionJobs": func(ctx context.Context, body []byte) (any, error) {
			var in listInput
			if err := decode(body, &in); err != nil {
				return nil, err
			}
			list, next, err := j.ListDataDeletionJobs(ctx, in.DatasetGroupArn, in.page())
			if err != nil {
				return nil, err
			}
			out := make([]jobSummary, len(list))
			for i, job := range list {
				out[i] = jobSummary{DeletionARN: job.ARN, GroupARN: job.GroupARN, Name: job.Name, Status: job.Status,
					Created: job.Created, Updated: job.Updated, FailureReason: job.FailureReason}
			}
			return listOutput("dataDeletionJobs", out, next), nil
		},
	}
}

// Response shapes of the job operations, as the model spells them.

type dataSource struct {
	DataLocation string `json:"dataLocation"`
}

type exportOutput struct {
	S3DataDestination perch.S3DataConfig `json:"s3DataDestination"`
}

type exportJob struct {
	Name          string              `json:"jobName"`
	ARN           string              `json:"datasetExportJobArn"`
	DatasetARN    string              `json:"datasetArn"`
	IngestionMode perch.IngestionMode `json:"ingestionMode"`
	RoleARN       string              `json:"roleArn"`
	Status        string              `json:"status"`
	Output        exportOutput        `json:"jobOutput"`
	Created       perch.Timestamp     `json:"creationDateTime"`
	Updated       perch.Timestamp     `json:"lastUpdatedDateTime"`
	FailureReason string              `json:"failureReason,omitempty"`
}

type importJob struct {
	Name          string           `json:"jobName"`
	ARN           string           `json:"datasetImportJobArn"`
	DatasetARN    string           `json:"datasetArn"`
	DataSource    dataSource       `json:"dataSource"`
	RoleARN       string           `json:"roleArn,omitempty"`
	Status        string           `json:"status"`
	Created       perch.Timestamp  `json:"creationDateTime"`
	Updated       perch.Timestamp  `json:"lastUpdatedDateTime"`
	FailureReason string           `json:"failureReason,omitempty"`
	ImportMode    perch.ImportMode `json:"importMode"`
	PublishToS3   bool             `json:"publishAttributionMetricsToS3"`
}

type deletionJob struct {
	Name          string          `json:"jobName"`
	ARN           string          `json:"dataDeletionJobArn"`
	GroupARN      string          `json:"datasetGroupArn"`
	DataSource    dataSource      `json:"dataSource"`
	RoleARN       string          `json:"roleArn"`
	Status        string          `json:"status"`
	NumDeleted    int             `json:"numDeleted"`
	Created       perch.Timestamp `json:"creationDateTime"`
	Updated       perch.Timestamp `json:"lastUpdatedDateTime"`
	FailureReason string          `json:"failureReason,omitempty"`
}

// jobSummary is the summary of any of the three kinds; each sets its own
// ARN member.
type jobSummary struct {
	ExportARN     string           `json:"datasetExportJobArn,omitempty"`
	ImportARN     string           `json:"datasetImportJobArn,omitempty"`
	DeletionARN   string           `json:"dataDeletionJobArn,omitempty"`
	GroupARN      string           `json:"datasetGroupArn,omitempty"`
	Name          string           `json:"jobName"`
	Status        string           `json:"status"`
	Created       perch.Timestamp  `json:"creationDateTime"`
	Updated       perch.Timestamp  `json:"lastUpdatedDateTime"`
	FailureReason string           `json:"failureReason,omitempty"`
	ImportMode    perch.ImportMode `json:"importMode,omitempty"`
}
