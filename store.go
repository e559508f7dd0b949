package perch

import (
	"context"
	"errors"
	"time"
)

// Store keeps resources and records durably. Every method that writes
// returns only once what it wrote is synced to stable storage: a nil error
// means durable. Implementations must be safe for concurrent use.
//
// The store enforces the rules between resources (ResourceStore), which
// must hold whoever writes, but not what a record must contain: the ingest
// path checks records before it commits them. Package storetest holds
// every store to this contract, as tests each backend runs.
type Store interface {
	// Resources is the persistent catalog of resources.
	Resources() ResourceStore

	// Commit writes every record of b, or none of them, and returns nil
	// only once they are durable; an empty batch writes nothing. Events
	// and action interactions are appended in an order the store assigns,
	// which is commit order for commits one after the other; an event
	// whose eventId an earlier event of the same dataset already has is
	// stored and read back with Duplicate set. Entities replace any earlier
	// record with the same id, whatever their Updated. Commit writes
	// nothing and returns ErrBusy when the store is too busy to take the
	// batch, ctx.Err() if ctx ends before the store takes it up, and an
	// EResourceNotFound error when the dataset was deleted.
	Commit(ctx context.Context, b *Batch) error

	// Events calls fn for each stored event of the dataset that matches q
	// until fn returns an error (which Events returns): bulk events first,
	// in import order, then events put through the API, in the store's
	// order. A bulk event identical to one imported before it, in its
	// import or in an earlier one still live, reads with Duplicate set.
	Events(ctx context.Context, datasetID uint64, q RecordQuery, fn func(*Event) error) error
	// ActionInteractions is Events for action interactions.
	ActionInteractions(ctx context.Context, datasetID uint64, q RecordQuery, fn func(*ActionInteraction) error) error
	// Entities calls fn for the current record of each id of an items,
	// users or actions dataset that matches q, in byte order of the ids.
	// With both sources, the newest record of an id (by Updated) wins.
	Entities(ctx context.Context, datasetID uint64, q RecordQuery, fn func(*Entity) error) error

	// RecordCount returns how many records the dataset datasetID holds:
	// interactions and action interactions of both sources, duplicates
	// included; for items, users and actions, the current record of each
	// id in each source (an id both put and imported, or imported by two
	// live incremental imports, counts in each). The store keeps the count
	// as it writes (Commit, BulkLoader.Commit, DeleteUsers), so reading it
	// costs nothing like the dataset's size.
	RecordCount(ctx context.Context, datasetID uint64) (int64, error)

	// BulkLoad starts loading records into d as bulk data. Nothing the
	// loader stages is visible until its Commit.
	BulkLoad(ctx context.Context, d *Dataset) (BulkLoader, error)

	// DeleteUsers removes every record of the given users from d: their
	// interactions or action interactions of both sources, duplicates
	// included, or their records in a Users dataset. Every record stored
	// before the call is removed; each removal is one atomic commit
	// ordered with Commit, so a record goes whole or stays whole. A record
	// whose eventId only removed records had before it is no longer a
	// duplicate. It returns how many records it removed.
	DeleteUsers(ctx context.Context, d *Dataset, users []string) (int, error)

	// Close flushes and releases the store. Every call after Close fails.
	Close() error
}

// ResourceStore keeps resources durably and holds the rules between them
// (rules.go) itself: each create and delete is checked against what the
// store holds and made in the same atomic step, so that the rules hold
// whichever process, or node, asks. Errors are *Error values with AWS's
// codes. A missing resource is EResourceNotFound. Lists hold every
// account's resources, in no particular order. What a call returns is the
// caller's to keep and change.
type ResourceStore interface {
	TagStore

	// CreateSchema stores s, unless its ARN is taken
	// (EResourceAlreadyExists) or its account already has quota schemas
	// (CheckQuota).
	CreateSchema(ctx context.Context, s *Schema, quota int) error
	Schema(ctx context.Context, arn string) (*Schema, error)
	Schemas(ctx context.Context) ([]*Schema, error)
	// DeleteSchema removes the schema arn unless a dataset uses it
	// (CheckSchemaUnused).
	DeleteSchema(ctx context.Context, arn string) error

	// CreateDatasetGroup stores g, unless its ARN is taken or its account
	// already has quota dataset groups (CheckQuota).
	CreateDatasetGroup(ctx context.Context, g *DatasetGroup, quota int) error
	DatasetGroup(ctx context.Context, arn string) (*DatasetGroup, error)
	DatasetGroups(ctx context.Context) ([]*DatasetGroup, error)
	// DeleteDatasetGroup removes the group arn unless it has datasets or
	// an event tracker (CheckGroupEmpty).
	DeleteDatasetGroup(ctx context.Context, arn string) error

	// CreateDataset stores d, unless its ARN is taken, its group or its
	// schema is not stored, or CheckNewDataset refuses it beside the
	// group's datasets.
	CreateDataset(ctx context.Context, d *Dataset) error
	// UpdateDataset replaces the dataset of d's ARN with d, unless there is
	// none, the schemas d names are not stored, or d would change what
	// CheckDatasetUpdate keeps.
	UpdateDataset(ctx context.Context, d *Dataset) error
	Dataset(ctx context.Context, arn string) (*Dataset, error)
	Datasets(ctx context.Context) ([]*Dataset, error)
	// DeleteDataset removes the dataset arn and every record stored for
	// it, unless jobs that have not finished work on it (JobsHolding,
	// CheckDatasetUnheld). Records committed for it afterwards fail with
	// EResourceNotFound.
	DeleteDataset(ctx context.Context, arn string) error

	// CreateEventTracker stores t, unless its ARN is taken, its group is
	// not stored, or CheckNewEventTracker refuses it beside the account's
	// trackers.
	CreateEventTracker(ctx context.Context, t *EventTracker) error
	EventTracker(ctx context.Context, arn string) (*EventTracker, error)
	EventTrackers(ctx context.Context) ([]*EventTracker, error)
	DeleteEventTracker(ctx context.Context, arn string) error

	// NextDatasetID returns an id, never 0, that no earlier call has
	// returned, durably: not even before a reopen.
	NextDatasetID(ctx context.Context) (uint64, error)

	// CreateDatasetExportJob stores j, unless its ARN is taken or its
	// dataset is not stored.
	CreateDatasetExportJob(ctx context.Context, j *DatasetExportJob) error
	// CreateDatasetImportJob stores j, unless its ARN is taken, its
	// dataset is not stored, or CheckNewImportJob refuses it beside the
	// account's import jobs, quota of them unfinished at most.
	CreateDatasetImportJob(ctx context.Context, j *DatasetImportJob, quota int) error
	// CreateDataDeletionJob stores j, unless its ARN is taken, its group
	// is not stored, or CheckNewDeletionJob refuses it beside the group's
	// deletion jobs, quota of them unfinished at most.
	CreateDataDeletionJob(ctx context.Context, j *DataDeletionJob, quota int) error
	// Update*Job record a created job's new status and results, for the
	// owner that holds the job's lease (ClaimJob): ErrLeaseLost when
	// another owner holds it or none does. A job that is not stored is
	// EResourceNotFound, and none may move to another dataset or group
	// (CheckJobUpdate).
	UpdateDatasetExportJob(ctx context.Context, j *DatasetExportJob, owner string) error
	UpdateDatasetImportJob(ctx context.Context, j *DatasetImportJob, owner string) error
	UpdateDataDeletionJob(ctx context.Context, j *DataDeletionJob, owner string) error
	DatasetExportJob(ctx context.Context, arn string) (*DatasetExportJob, error)
	DatasetImportJob(ctx context.Context, arn string) (*DatasetImportJob, error)
	DataDeletionJob(ctx context.Context, arn string) (*DataDeletionJob, error)
	DatasetExportJobs(ctx context.Context) ([]*DatasetExportJob, error)
	DatasetImportJobs(ctx context.Context) ([]*DatasetImportJob, error)
	DataDeletionJobs(ctx context.Context) ([]*DataDeletionJob, error)

	// CreateSolution stores s, unless its ARN is taken, its group is not
	// stored, or CheckNewSolution refuses it beside the account's
	// solutions.
	CreateSolution(ctx context.Context, s *Solution, quota int) error
	Solution(ctx context.Context, arn string) (*Solution, error)
	Solutions(ctx context.Context) ([]*Solution, error)
	// UpdateSolution replaces the solution of s's ARN, unless there is none
	// or CheckSolutionUpdate refuses it.
	UpdateSolution(ctx context.Context, s *Solution) error
	// DeleteSolution removes the solution arn, its versions and their
	// models, unless CheckSolutionUnused refuses it.
	DeleteSolution(ctx context.Context, arn string) error

	// CreateSolutionVersion stores v, unless its ARN is taken, its
	// solution is not stored, or CheckNewSolutionVersion refuses it beside
	// the account's versions. A version waiting for its training is a job:
	// ClaimJob hands it out under KindSolutionVersion.
	CreateSolutionVersion(ctx context.Context, v *SolutionVersion, quota int) error
	SolutionVersion(ctx context.Context, arn string) (*SolutionVersion, error)
	SolutionVersions(ctx context.Context) ([]*SolutionVersion, error)
	// UpdateSolutionVersion records the training's progress, for the owner
	// of the version's lease, as Update*Job does for jobs.
	UpdateSolutionVersion(ctx context.Context, v *SolutionVersion, owner string) error
	// StopSolutionVersion moves the version arn to the status StopTraining
	// gives, or fails as it does.
	StopSolutionVersion(ctx context.Context, arn string) error
	// PutModel keeps the trained model of the version arn, for the owner
	// of its lease; it goes with the version.
	PutModel(ctx context.Context, versionARN string, model []byte, owner string) error
	// Model returns the model PutModel kept, EResourceNotFound when none.
	Model(ctx context.Context, versionARN string) ([]byte, error)

	// CreateCampaign stores c, unless its ARN is taken, the version it
	// serves (c.SolutionVersionARN, or when that is the solution's $LATEST
	// the version served) is not stored, or CheckNewCampaign refuses it
	// beside the account's campaigns.
	CreateCampaign(ctx context.Context, c *Campaign, served string, quota int) error
	Campaign(ctx context.Context, arn string) (*Campaign, error)
	Campaigns(ctx context.Context) ([]*Campaign, error)
	// UpdateCampaign replaces the campaign of c's ARN, unless there is
	// none, the version served is not stored or not servable
	// (CheckVersionServable), or CheckCampaignUpdate refuses it.
	UpdateCampaign(ctx context.Context, c *Campaign, served string) error
	DeleteCampaign(ctx context.Context, arn string) error

	// CreateFilter stores f, unless its ARN is taken, its group is not
	// stored, or CheckNewFilter refuses it beside the account's filters.
	CreateFilter(ctx context.Context, f *Filter, quota int) error
	Filter(ctx context.Context, arn string) (*Filter, error)
	Filters(ctx context.Context) ([]*Filter, error)
	DeleteFilter(ctx context.Context, arn string) error

	// CreateMetricAttribution stores m, unless its ARN is taken, its group
	// is not stored, or CheckNewMetricAttribution refuses it beside the
	// account's metric attributions. UpdateMetricAttribution replaces a
	// stored one, which may not move to another group.
	CreateMetricAttribution(ctx context.Context, m *Attribution) error
	MetricAttribution(ctx context.Context, arn string) (*Attribution, error)
	MetricAttributions(ctx context.Context) ([]*Attribution, error)
	UpdateMetricAttribution(ctx context.Context, m *Attribution) error
	DeleteMetricAttribution(ctx context.Context, arn string) error

	// CreateBatchInferenceJob stores j, unless its solution version or its
	// filter (when it names one) is not stored, its ARN is taken, or
	// CheckNewBatchInferenceJob refuses it beside the account's batch
	// inference jobs, quota of them unfinished at most.
	CreateBatchInferenceJob(ctx context.Context, j *BatchInferenceJob, quota int) error
	// UpdateBatchInferenceJob records a batch inference job's progress,
	// for the owner of its lease, as Update*Job does for data jobs; the
	// job may not move to another solution version.
	UpdateBatchInferenceJob(ctx context.Context, j *BatchInferenceJob, owner string) error
	BatchInferenceJob(ctx context.Context, arn string) (*BatchInferenceJob, error)
	BatchInferenceJobs(ctx context.Context) ([]*BatchInferenceJob, error)

	// CreateBatchSegmentJob, UpdateBatchSegmentJob, BatchSegmentJob and
	// BatchSegmentJobs are the batch inference jobs' methods, for batch
	// segment jobs: CheckNewBatchSegmentJob refuses a job beside the
	// account's batch segment jobs.
	CreateBatchSegmentJob(ctx context.Context, j *BatchSegmentJob, quota int) error
	UpdateBatchSegmentJob(ctx context.Context, j *BatchSegmentJob, owner string) error
	BatchSegmentJob(ctx context.Context, arn string) (*BatchSegmentJob, error)
	BatchSegmentJobs(ctx context.Context) ([]*BatchSegmentJob, error)

	// ClaimJob gives owner a lease, for the time lease, of the job of one
	// of kinds (KindDatasetExportJob, KindDatasetImportJob,
	// KindDataDeletionJob, KindBatchInferenceJob, KindBatchSegmentJob,
	// KindSolutionVersion)
	// that has not finished and that no live lease holds, the one created
	// first, and returns its ARN; "" when there is none. A lease that has
	// run out (its owner stopped renewing it: a process that died) is no
	// longer live, so another owner takes the job over. Two owners never
	// hold one job's lease at once. A solution version is unfinished while
	// Training.
	ClaimJob(ctx context.Context, owner string, lease time.Duration, kinds ...string) (string, error)
	// RenewJobLease extends owner's lease of the job arn by lease from now;
	// ErrLeaseLost when owner no longer holds it.
	RenewJobLease(ctx context.Context, arn, owner string, lease time.Duration) error
	// ReportJobProgress is RenewJobLease that also records p as how far
	// the job has got, in the same single write: a running job's progress
	// costs nothing beyond the renewals it makes anyway, and any process
	// sharing the store reads it (JobProgress). ErrLeaseLost as
	// RenewJobLease.
	ReportJobProgress(ctx context.Context, arn, owner string, lease time.Duration, p JobProgress) error
	// JobProgress returns the progress last reported of each job of arns
	// that has not finished; a job that has finished, whose owner has not
	// reported yet, or that a new owner claimed since (it starts over), is
	// absent.
	JobProgress(ctx context.Context, arns []string) (map[string]JobProgress, error)
}

// JobProgress is how far a running job has got: Done units of Unit, of
// Total when the job knows it up front (0 when it does not).
type JobProgress struct {
	Done  int64  `json:"done"`
	Unit  string `json:"unit"`
	Total int64  `json:"total,omitempty"`
}

// The units a job counts its progress in.
const (
	ProgressRecords = "records"
	ProgressLines   = "lines"
)

// ErrLeaseLost says a job's lease is not, or no longer, the caller's: its
// lease ran out and another owner may have taken the job over.
var ErrLeaseLost = errors.New("the job's lease is held by another owner, or by none")

// SharedResources is a ResourceStore that several perch processes share
// (nodes on one database). Each process keeps what the events API reads on
// every call (the catalog's routes); these calls keep it current with
// what the others change.
type SharedResources interface {
	ResourceStore
	// WatchResources calls changed, from a goroutine of its own, soon
	// after resources change, in this process or another, until ctx ends.
	// One call may stand for several changes; after losing and regaining
	// its connection it calls changed once, for the changes it may have
	// missed.
	WatchResources(ctx context.Context, changed func()) error
	// TrackedBy returns the ARN of the event tracker or Action
	// interactions dataset whose tracking id is trackingID, or an
	// EResourceNotFound error: how a process finds a resource another one
	// created before it has heard of it.
	TrackedBy(ctx context.Context, trackingID string) (string, error)
}

// BulkLoader stages the records of one import and then makes them the
// dataset's bulk data in one synced commit, so an import is seen whole or
// not at all whatever its size.
type BulkLoader interface {
	// Add stages the records of b, which must be of the loader's dataset's
	// kind. Staged records are not yet durable or visible.
	Add(ctx context.Context, b *Batch) error
	// Commit makes the staged records visible and durable: they replace
	// the dataset's earlier bulk records (ImportFull) or join them
	// (ImportIncremental: an entity id staged again replaces its earlier
	// bulk record). It fails with EResourceNotFound when the dataset was
	// deleted meanwhile.
	Commit(ctx context.Context, mode ImportMode) error
	// Abort discards what was staged; after Commit it does nothing.
	Abort() error
}
