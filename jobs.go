package perch

import (
	"context"
	"io"
)

// Statuses of data deletion jobs, which AWS spells without "CREATE".
const (
	StatusPending    = "PENDING"
	StatusInProgress = "IN_PROGRESS"
	StatusCompleted  = "COMPLETED"
	StatusFailed     = "FAILED"
)

// IngestionMode selects records by how they arrived: PUT through the events
// API, BULK through dataset import jobs, or ALL of them.
type IngestionMode string

const (
	IngestPut  IngestionMode = "PUT"
	IngestBulk IngestionMode = "BULK"
	IngestAll  IngestionMode = "ALL"
)

// ImportMode says what a dataset import job does with the dataset's
// earlier bulk records: FULL replaces them, INCREMENTAL adds to them
// (items, users and actions with an id already imported are replaced).
// Records put through the events API are never touched by an import.
type ImportMode string

const (
	ImportFull        ImportMode = "FULL"
	ImportIncremental ImportMode = "INCREMENTAL"
)

// Resource kinds of jobs as they appear in their ARNs.
const (
	KindDatasetImportJob = "dataset-import-job"
	KindDatasetExportJob = "dataset-export-job"
	KindDataDeletionJob  = "data-deletion-job"
)

// JobARN is arn:aws:personalize:REGION:ACCOUNT:KIND/NAME for a job of the
// given kind.
func (s Scope) JobARN(kind, name string) string { return s.arn(kind + "/" + name) }

// S3DataConfig is an export job's destination.
type S3DataConfig struct {
	Path      string `json:"path"`
	KMSKeyARN string `json:"kmsKeyArn,omitempty"`
}

// DatasetExportJob writes a dataset's records as bulk CSV to an s3:// folder.
type DatasetExportJob struct {
	ARN           string        `json:"datasetExportJobArn"`
	Name          string        `json:"jobName"`
	DatasetARN    string        `json:"datasetArn"`
	IngestionMode IngestionMode `json:"ingestionMode"`
	RoleARN       string        `json:"roleArn"`
	Status        string        `json:"status"`
	Output        S3DataConfig  `json:"jobOutput"`
	FailureReason string        `json:"failureReason,omitempty"`
	Tags          []Tag         `json:"tags,omitempty"`
	Created       Timestamp     `json:"creationDateTime"`
	Updated       Timestamp     `json:"lastUpdatedDateTime"`
}

// DatasetImportJob loads bulk CSV from an s3:// file or folder into a
// dataset.
type DatasetImportJob struct {
	ARN           string     `json:"datasetImportJobArn"`
	Name          string     `json:"jobName"`
	DatasetARN    string     `json:"datasetArn"`
	DataLocation  string     `json:"dataLocation"`
	RoleARN       string     `json:"roleArn,omitempty"`
	ImportMode    ImportMode `json:"importMode"`
	PublishToS3   bool       `json:"publishAttributionMetricsToS3,omitempty"`
	Status        string     `json:"status"`
	FailureReason string     `json:"failureReason,omitempty"`
	Tags          []Tag      `json:"tags,omitempty"`
	Created       Timestamp  `json:"creationDateTime"`
	Updated       Timestamp  `json:"lastUpdatedDateTime"`
}

// DataDeletionJob removes every record of the users listed in CSV files
// of USER_ID from a dataset group's datasets.
type DataDeletionJob struct {
	ARN           string    `json:"dataDeletionJobArn"`
	Name          string    `json:"jobName"`
	GroupARN      string    `json:"datasetGroupArn"`
	DataLocation  string    `json:"dataLocation"`
	RoleARN       string    `json:"roleArn"`
	Status        string    `json:"status"`
	NumDeleted    int       `json:"numDeleted"`
	FailureReason string    `json:"failureReason,omitempty"`
	Tags          []Tag     `json:"tags,omitempty"`
	Created       Timestamp `json:"creationDateTime"`
	Updated       Timestamp `json:"lastUpdatedDateTime"`
}

// CreateDatasetExportJobInput is what CreateDatasetExportJob takes.
type CreateDatasetExportJobInput struct {
	Name          string
	DatasetARN    string
	IngestionMode IngestionMode // "" for PUT, AWS's default
	RoleARN       string
	Output        S3DataConfig
	Tags          []Tag
}

// CreateDatasetImportJobInput is what CreateDatasetImportJob takes.
type CreateDatasetImportJobInput struct {
	Name         string
	DatasetARN   string
	DataLocation string
	RoleARN      string
	ImportMode   ImportMode // "" for FULL, AWS's default
	PublishToS3  bool
	Tags         []Tag
}

// CreateDataDeletionJobInput is what CreateDataDeletionJob takes.
type CreateDataDeletionJobInput struct {
	Name         string
	GroupARN     string
	DataLocation string
	RoleARN      string
	Tags         []Tag
}

// Jobs is the control plane's jobs: they are created PENDING, run in the
// background and end ACTIVE (COMPLETED for deletions) or failed with a
// failureReason. Errors are *Error values with the codes Catalog uses.
type Jobs interface {
	CreateDatasetExportJob(ctx context.Context, in CreateDatasetExportJobInput) (*DatasetExportJob, error)
	DescribeDatasetExportJob(ctx context.Context, arn string) (*DatasetExportJob, error)
	// ListDatasetExportJobs lists the jobs of datasetARN, or every job
	// when it is "".
	ListDatasetExportJobs(ctx context.Context, datasetARN string, p Page) ([]*DatasetExportJob, string, error)

	CreateDatasetImportJob(ctx context.Context, in CreateDatasetImportJobInput) (*DatasetImportJob, error)
	DescribeDatasetImportJob(ctx context.Context, arn string) (*DatasetImportJob, error)
	ListDatasetImportJobs(ctx context.Context, datasetARN string, p Page) ([]*DatasetImportJob, string, error)

	CreateDataDeletionJob(ctx context.Context, in CreateDataDeletionJobInput) (*DataDeletionJob, error)
	DescribeDataDeletionJob(ctx context.Context, arn string) (*DataDeletionJob, error)
	ListDataDeletionJobs(ctx context.Context, groupARN string, p Page) ([]*DataDeletionJob, string, error)
}

// Objects reads and writes the objects that s3://bucket/key locations
// name. Errors name the location.
type Objects interface {
	// List returns the s3:// locations of the objects at loc, sorted: loc
	// itself when it names an object, or the objects under loc when it
	// ends in "/" (directly under it, or at any depth when recursive).
	List(ctx context.Context, loc string, recursive bool) ([]string, error)
	// Open reads the object at loc.
	Open(ctx context.Context, loc string) (io.ReadCloser, error)
	// Create writes the object at loc. The object appears, whole, only
	// when Commit returns nil; Abort (or a failed Commit) leaves nothing.
	Create(ctx context.Context, loc string) (ObjectWriter, error)
}

// ObjectWriter writes one object.
type ObjectWriter interface {
	io.Writer
	Commit() error
	Abort()
}
