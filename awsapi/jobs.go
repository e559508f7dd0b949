package awsapi

import (
	"context"

	"github.com/perchdev/perch"
)

// jobOps serves the control plane's job operations.
func (s *Server) jobOps() map[string]controlOp {
	return map[string]controlOp{
		"CreateDatasetExportJob":   op(s.createDatasetExportJob),
		"DescribeDatasetExportJob": op(s.describeDatasetExportJob),
		"ListDatasetExportJobs":    op(s.listDatasetExportJobs),

		"CreateDatasetImportJob":   op(s.createDatasetImportJob),
		"DescribeDatasetImportJob": op(s.describeDatasetImportJob),
		"ListDatasetImportJobs":    op(s.listDatasetImportJobs),

		"CreateDataDeletionJob":   op(s.createDataDeletionJob),
		"DescribeDataDeletionJob": op(s.describeDataDeletionJob),
		"ListDataDeletionJobs":    op(s.listDataDeletionJobs),
	}
}

// Dataset export jobs.

type createDatasetExportJobInput struct {
	JobName, DatasetArn, IngestionMode, RoleArn string
	JobOutput                                   struct{ S3DataDestination perch.S3DataConfig }
	Tags                                        []perch.Tag
}

type createDatasetExportJobOutput struct {
	ARN string `json:"datasetExportJobArn"`
}

func (s *Server) createDatasetExportJob(ctx context.Context, in createDatasetExportJobInput) (createDatasetExportJobOutput, error) {
	job, err := s.jobs.CreateDatasetExportJob(ctx, perch.CreateDatasetExportJobInput{
		Name: in.JobName, DatasetARN: in.DatasetArn, IngestionMode: perch.IngestionMode(in.IngestionMode),
		RoleARN: in.RoleArn, Output: in.JobOutput.S3DataDestination, Tags: in.Tags,
	})
	if err != nil {
		return createDatasetExportJobOutput{}, err
	}
	return createDatasetExportJobOutput{job.ARN}, nil
}

type describeDatasetExportJobOutput struct {
	Job exportJob `json:"datasetExportJob"`
}

func (s *Server) describeDatasetExportJob(ctx context.Context, in struct{ DatasetExportJobArn string }) (describeDatasetExportJobOutput, error) {
	job, err := s.jobs.DescribeDatasetExportJob(ctx, in.DatasetExportJobArn)
	if err != nil {
		return describeDatasetExportJobOutput{}, err
	}
	return describeDatasetExportJobOutput{exportJobOf(job)}, nil
}

type listDatasetExportJobsOutput struct {
	Jobs      []jobSummary `json:"datasetExportJobs"`
	NextToken string       `json:"nextToken,omitempty"`
}

func (s *Server) listDatasetExportJobs(ctx context.Context, in listInput) (listDatasetExportJobsOutput, error) {
	list, next, err := s.jobs.ListDatasetExportJobs(ctx, in.DatasetArn, in.page())
	return listDatasetExportJobsOutput{summaries(list, exportJobSummaryOf), next}, err
}

// Dataset import jobs.

type createDatasetImportJobInput struct {
	JobName, DatasetArn, RoleArn, ImportMode string
	DataSource                               dataSource
	PublishAttributionMetricsToS3            bool
	Tags                                     []perch.Tag
}

type createDatasetImportJobOutput struct {
	ARN string `json:"datasetImportJobArn"`
}

func (s *Server) createDatasetImportJob(ctx context.Context, in createDatasetImportJobInput) (createDatasetImportJobOutput, error) {
	job, err := s.jobs.CreateDatasetImportJob(ctx, perch.CreateDatasetImportJobInput{
		Name: in.JobName, DatasetARN: in.DatasetArn, DataLocation: in.DataSource.DataLocation, RoleARN: in.RoleArn,
		ImportMode: perch.ImportMode(in.ImportMode), PublishToS3: in.PublishAttributionMetricsToS3, Tags: in.Tags,
	})
	if err != nil {
		return createDatasetImportJobOutput{}, err
	}
	return createDatasetImportJobOutput{job.ARN}, nil
}

type describeDatasetImportJobOutput struct {
	Job importJob `json:"datasetImportJob"`
}

func (s *Server) describeDatasetImportJob(ctx context.Context, in struct{ DatasetImportJobArn string }) (describeDatasetImportJobOutput, error) {
	job, err := s.jobs.DescribeDatasetImportJob(ctx, in.DatasetImportJobArn)
	if err != nil {
		return describeDatasetImportJobOutput{}, err
	}
	return describeDatasetImportJobOutput{importJobOf(job)}, nil
}

type listDatasetImportJobsOutput struct {
	Jobs      []jobSummary `json:"datasetImportJobs"`
	NextToken string       `json:"nextToken,omitempty"`
}

func (s *Server) listDatasetImportJobs(ctx context.Context, in listInput) (listDatasetImportJobsOutput, error) {
	list, next, err := s.jobs.ListDatasetImportJobs(ctx, in.DatasetArn, in.page())
	return listDatasetImportJobsOutput{summaries(list, importJobSummaryOf), next}, err
}

// Data deletion jobs.

type createDataDeletionJobInput struct {
	JobName, DatasetGroupArn, RoleArn string
	DataSource                        dataSource
	Tags                              []perch.Tag
}

type createDataDeletionJobOutput struct {
	ARN string `json:"dataDeletionJobArn"`
}

func (s *Server) createDataDeletionJob(ctx context.Context, in createDataDeletionJobInput) (createDataDeletionJobOutput, error) {
	job, err := s.jobs.CreateDataDeletionJob(ctx, perch.CreateDataDeletionJobInput{
		Name: in.JobName, GroupARN: in.DatasetGroupArn, DataLocation: in.DataSource.DataLocation, RoleARN: in.RoleArn, Tags: in.Tags,
	})
	if err != nil {
		return createDataDeletionJobOutput{}, err
	}
	return createDataDeletionJobOutput{job.ARN}, nil
}

type describeDataDeletionJobOutput struct {
	Job deletionJob `json:"dataDeletionJob"`
}

func (s *Server) describeDataDeletionJob(ctx context.Context, in struct{ DataDeletionJobArn string }) (describeDataDeletionJobOutput, error) {
	job, err := s.jobs.DescribeDataDeletionJob(ctx, in.DataDeletionJobArn)
	if err != nil {
		return describeDataDeletionJobOutput{}, err
	}
	return describeDataDeletionJobOutput{deletionJobOf(job)}, nil
}

type listDataDeletionJobsOutput struct {
	Jobs      []jobSummary `json:"dataDeletionJobs"`
	NextToken string       `json:"nextToken,omitempty"`
}

func (s *Server) listDataDeletionJobs(ctx context.Context, in listInput) (listDataDeletionJobsOutput, error) {
	list, next, err := s.jobs.ListDataDeletionJobs(ctx, in.DatasetGroupArn, in.page())
	return listDataDeletionJobsOutput{summaries(list, deletionJobSummaryOf), next}, err
}

// The jobs in the model's shapes.

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

func exportJobOf(job *perch.DatasetExportJob) exportJob {
	return exportJob{job.Name, job.ARN, job.DatasetARN, job.IngestionMode, job.RoleARN, job.Status,
		exportOutput{job.Output}, job.Created, job.Updated, job.FailureReason}
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

func importJobOf(job *perch.DatasetImportJob) importJob {
	return importJob{job.Name, job.ARN, job.DatasetARN, dataSource{job.DataLocation}, job.RoleARN, job.Status,
		job.Created, job.Updated, job.FailureReason, job.ImportMode, job.PublishToS3}
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

func deletionJobOf(job *perch.DataDeletionJob) deletionJob {
	return deletionJob{job.Name, job.ARN, job.GroupARN, dataSource{job.DataLocation}, job.RoleARN, job.Status, job.NumDeleted,
		job.Created, job.Updated, job.FailureReason}
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

func exportJobSummaryOf(job *perch.DatasetExportJob) jobSummary {
	return jobSummary{ExportARN: job.ARN, Name: job.Name, Status: job.Status,
		Created: job.Created, Updated: job.Updated, FailureReason: job.FailureReason}
}

func importJobSummaryOf(job *perch.DatasetImportJob) jobSummary {
	return jobSummary{ImportARN: job.ARN, Name: job.Name, Status: job.Status, Created: job.Created,
		Updated: job.Updated, FailureReason: job.FailureReason, ImportMode: job.ImportMode}
}

func deletionJobSummaryOf(job *perch.DataDeletionJob) jobSummary {
	return jobSummary{DeletionARN: job.ARN, GroupARN: job.GroupARN, Name: job.Name, Status: job.Status,
		Created: job.Created, Updated: job.Updated, FailureReason: job.FailureReason}
}
