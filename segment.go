package perch

import "context"

// KindBatchSegmentJob is the resource kind of a batch segment job's ARN,
// and its kind among the jobs a worker claims (ClaimJob).
const KindBatchSegmentJob = "batch-segment-job"

// DefaultSegmentUsers is the users a batch segment job gives per line
// when numResults is not set; MaxSegmentUsers the most it may ask.
const (
	DefaultSegmentUsers = 25
	MaxSegmentUsers     = 5000000
)

// BatchSegmentJob asks a USER_SEGMENTATION solution version for the users
// most likely to interact with the item, or with the items of the
// attributes, of every line of JSON Lines files in s3://, and writes them
// beside, one output line per input line. Its statuses are a batch
// inference job's.
type BatchSegmentJob struct {
	ARN                string      `json:"batchSegmentJobArn"`
	Name               string      `json:"jobName"`
	SolutionVersionARN string      `json:"solutionVersionArn"`
	FilterARN          string      `json:"filterArn,omitempty"`
	NumResults         int         `json:"numResults"`
	Input              BatchInput  `json:"jobInput"`
	Output             BatchOutput `json:"jobOutput"`
	RoleARN            string      `json:"roleArn"`
	Status             string      `json:"status"`
	FailureReason      string      `json:"failureReason,omitempty"`
	Tags               []Tag       `json:"tags,omitempty"`
	Created            Timestamp   `json:"creationDateTime"`
	Updated            Timestamp   `json:"lastUpdatedDateTime"`
	// GroupARN is the dataset group of the job's version, whose filters
	// the job may apply.
	GroupARN string `json:"perchDatasetGroupArn"`
}

// CreateBatchSegmentJobInput is what CreateBatchSegmentJob is given.
type CreateBatchSegmentJobInput struct {
	Name               string
	SolutionVersionARN string
	FilterARN          string
	NumResults         int // 0: DefaultSegmentUsers
	Input              BatchInput
	Output             BatchOutput
	RoleARN            string
	Tags               []Tag
}

// SegmentJobs is the control plane of batch segment jobs. Errors are
// *Error values with the codes Catalog uses.
type SegmentJobs interface {
	CreateBatchSegmentJob(ctx context.Context, in CreateBatchSegmentJobInput) (*BatchSegmentJob, error)
	DescribeBatchSegmentJob(ctx context.Context, arn string) (*BatchSegmentJob, error)
	// ListBatchSegmentJobs lists the jobs of one solution version, or
	// every job when versionARN is "".
	ListBatchSegmentJobs(ctx context.Context, versionARN string, p Page) ([]*BatchSegmentJob, string, error)
}

// CheckNewBatchSegmentJob checks that version v can take batch segment
// job j beside the account's batch segment jobs: v must be ACTIVE
// (ResourceInUse), and at most quota jobs of the account may be waiting
// or running at once (LimitExceeded).
func CheckNewBatchSegmentJob(v *SolutionVersion, j *BatchSegmentJob, jobs []*BatchSegmentJob, quota int) error {
	if v.Status != StatusActive {
		return Errorf(EResourceInUse, "Solution version %s is in status %s; a batch segment job needs it ACTIVE.", v.ARN, v.Status)
	}
	n := 0
	for _, other := range jobs {
		if !JobFinished(other.Status) {
			n++
		}
	}
	if n >= quota {
		return Errorf(ELimitExceeded,
			"Cannot create batch segment job %s. More than %d resources in CREATE PENDING or CREATE IN_PROGRESS state. Please wait and try again.",
			j.Name, quota)
	}
	return nil
}
