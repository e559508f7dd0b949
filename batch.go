package perch

import "context"

// KindBatchInferenceJob is the resource kind of a batch inference job's
// ARN, and its kind among the jobs a worker claims (ClaimJob).
const KindBatchInferenceJob = "batch-inference-job"

// Modes of a batch inference job.
const (
	BatchInferenceMode  = "BATCH_INFERENCE"
	ThemeGenerationMode = "THEME_GENERATION"
)

// BatchInferenceJob asks a solution version for the recommendations of
// every line of JSON Lines files in s3:// and writes them beside, one
// output line per input line. It goes CREATE PENDING, CREATE IN_PROGRESS,
// then ACTIVE or CREATE FAILED, as AWS's jobs are seen to.
type BatchInferenceJob struct {
	ARN                string                   `json:"batchInferenceJobArn"`
	Name               string                   `json:"jobName"`
	SolutionVersionARN string                   `json:"solutionVersionArn"`
	FilterARN          string                   `json:"filterArn,omitempty"`
	NumResults         int                      `json:"numResults"`
	Input              BatchInput               `json:"jobInput"`
	Output             BatchOutput              `json:"jobOutput"`
	RoleARN            string                   `json:"roleArn"`
	Config             *BatchInferenceJobConfig `json:"batchInferenceJobConfig,omitempty"`
	Mode               string                   `json:"batchInferenceJobMode"`
	Status             string                   `json:"status"`
	FailureReason      string                   `json:"failureReason,omitempty"`
	Tags               []Tag                    `json:"tags,omitempty"`
	Created            Timestamp                `json:"creationDateTime"`
	Updated            Timestamp                `json:"lastUpdatedDateTime"`
	// GroupARN is the dataset group of the job's version, whose data the
	// job reads and whose filters it may apply.
	GroupARN string `json:"perchDatasetGroupArn"`
}

// BatchInput is where a batch job reads: a JSON Lines object, or every
// object whose key starts with the path.
type BatchInput struct {
	S3DataSource S3DataConfig `json:"s3DataSource"`
}

// BatchOutput is the s3:// folder a batch job writes into.
type BatchOutput struct {
	S3DataDestination S3DataConfig `json:"s3DataDestination"`
}

// BatchInferenceJobConfig is how the version's model is asked, as a
// campaign's configuration says it for the runtime.
type BatchInferenceJobConfig struct {
	ItemExplorationConfig map[string]string  `json:"itemExplorationConfig,omitempty"`
	RankingInfluence      map[string]float64 `json:"rankingInfluence,omitempty"`
}

// CreateBatchInferenceJobInput is what CreateBatchInferenceJob is given.
type CreateBatchInferenceJobInput struct {
	Name               string
	SolutionVersionARN string
	FilterARN          string
	NumResults         int // 0: DefaultRecommendations
	Input              BatchInput
	Output             BatchOutput
	RoleARN            string
	Config             *BatchInferenceJobConfig
	Mode               string // "": BATCH_INFERENCE
	// ThemeGeneration says whether the caller gave a
	// themeGenerationConfig, which perch does not serve.
	ThemeGeneration bool
	Tags            []Tag
}

// BatchJobs is the control plane of batch inference jobs. Errors are
// *Error values with the codes Catalog uses.
type BatchJobs interface {
	CreateBatchInferenceJob(ctx context.Context, in CreateBatchInferenceJobInput) (*BatchInferenceJob, error)
	DescribeBatchInferenceJob(ctx context.Context, arn string) (*BatchInferenceJob, error)
	// ListBatchInferenceJobs lists the jobs of one solution version, or
	// every job when versionARN is "".
	ListBatchInferenceJobs(ctx context.Context, versionARN string, p Page) ([]*BatchInferenceJob, string, error)
}

// CheckNewBatchInferenceJob checks that version v can take batch
// inference job j beside the account's batch inference jobs: v must be
// ACTIVE (ResourceInUse), and at most quota jobs of the account may be
// waiting or running at once (LimitExceeded).
func CheckNewBatchInferenceJob(v *SolutionVersion, j *BatchInferenceJob, jobs []*BatchInferenceJob, quota int) error {
	if v.Status != StatusActive {
		return Errorf(EResourceInUse, "Solution version %s is in status %s; a batch inference job needs it ACTIVE.", v.ARN, v.Status)
	}
	n := 0
	for _, other := range jobs {
		if !JobFinished(other.Status) {
			n++
		}
	}
	if n >= quota {
		return Errorf(ELimitExceeded,
			"Cannot create batch inference job %s. More than %d resources in CREATE PENDING or CREATE IN_PROGRESS state. Please wait and try again.",
			j.Name, quota)
	}
	return nil
}
