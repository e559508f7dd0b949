package perch

import "context"

// Page asks a List operation for one page of results.
type Page struct {
	NextToken  string // "" for the first page
	MaxResults int    // 0 for the service's default (100)
}

// CreateSchemaInput is what CreateSchema takes.
type CreateSchemaInput struct {
	Name       string
	Definition string
	Domain     string
}

// CreateDatasetGroupInput is what CreateDatasetGroup takes.
type CreateDatasetGroupInput struct {
	Name      string
	RoleARN   string
	KMSKeyARN string
	Domain    string
	Tags      []Tag
}

// CreateDatasetInput is what CreateDataset takes.
type CreateDatasetInput struct {
	Name      string
	SchemaARN string
	GroupARN  string
	Type      string // as sent; matched case-insensitively
	Tags      []Tag
}

// CreateEventTrackerInput is what CreateEventTracker takes.
type CreateEventTrackerInput struct {
	Name     string
	GroupARN string
	Tags     []Tag
}

// Catalog is the control plane: it creates, describes, lists and deletes
// resources and enforces the rules between them. Errors are *Error values:
// EInvalidInput for bad input, EResourceNotFound for an unknown ARN,
// EResourceAlreadyExists for a taken name, EResourceInUse when other
// resources still depend on the one being deleted, ELimitExceeded past a
// quota, EInvalidNextToken for a token no List call returned.
type Catalog interface {
	CreateSchema(ctx context.Context, in CreateSchemaInput) (*Schema, error)
	DescribeSchema(ctx context.Context, arn string) (*Schema, error)
	ListSchemas(ctx context.Context, p Page) (schemas []*Schema, next string, err error)
	// DeleteSchema fails with EResourceInUse while a dataset uses the schema.
	DeleteSchema(ctx context.Context, arn string) error

	CreateDatasetGroup(ctx context.Context, in CreateDatasetGroupInput) (*DatasetGroup, error)
	DescribeDatasetGroup(ctx context.Context, arn string) (*DatasetGroup, error)
	ListDatasetGroups(ctx context.Context, p Page) (groups []*DatasetGroup, next string, err error)
	// DeleteDatasetGroup fails with EResourceInUse while the group has
	// datasets or an event tracker.
	DeleteDatasetGroup(ctx context.Context, arn string) error

	// CreateDataset checks the schema against the dataset type's required
	// and reserved fields; a group holds one dataset per type.
	CreateDataset(ctx context.Context, in CreateDatasetInput) (*Dataset, error)
	DescribeDataset(ctx context.Context, arn string) (*Dataset, error)
	// ListDatasets lists the datasets of groupARN, or of every group when
	// groupARN is "".
	ListDatasets(ctx context.Context, groupARN string, p Page) (datasets []*Dataset, next string, err error)
	// DeleteDataset removes the dataset and all its records. It fails
	// with EResourceInUse while a job that has not finished works on it.
	DeleteDataset(ctx context.Context, arn string) error
	// UpdateDataset points the dataset at another schema of the same type.
	UpdateDataset(ctx context.Context, datasetARN, schemaARN string) (*Dataset, error)

	// CreateEventTracker fails with EResourceAlreadyExists when the group
	// already has one.
	CreateEventTracker(ctx context.Context, in CreateEventTrackerInput) (*EventTracker, error)
	DescribeEventTracker(ctx context.Context, arn string) (*EventTracker, error)
	ListEventTrackers(ctx context.Context, groupARN string, p Page) (trackers []*EventTracker, next string, err error)
	DeleteEventTracker(ctx context.Context, arn string) error

	// Target resolves a trackingId to the dataset its records go to: the
	// INTERACTIONS dataset of the tracker's group for an event tracker's
	// id, the ACTION_INTERACTIONS dataset itself for that dataset's id.
	// It returns the dataset's parsed schema with it. Both are shared and
	// must not be modified: the events API calls this on every request, and
	// it must not wait for control-plane changes.
	Target(ctx context.Context, trackingID string) (*Dataset, *AvroSchema, error)
	// DatasetSchema returns the dataset named by arn with its parsed
	// schema, shared as Target's are.
	DatasetSchema(ctx context.Context, arn string) (*Dataset, *AvroSchema, error)
}

// Ingest is the events API: it checks records against their dataset's
// schema and commits them. Every method is all-or-nothing and returns once
// the records are durable.
type Ingest interface {
	// PutEvents records events for the event tracker trackingID. Each event
	// carries the request's userId and sessionId. Events without an eventId
	// get a generated one.
	PutEvents(ctx context.Context, trackingID string, events []Event) error
	// PutActionInteractions records action interactions for the
	// ACTION_INTERACTIONS dataset whose trackingId is trackingID.
	PutActionInteractions(ctx context.Context, trackingID string, interactions []ActionInteraction) error
	// PutEntities upserts items, users or actions (t says which) into the
	// dataset datasetARN, which must be of type t.
	PutEntities(ctx context.Context, datasetARN string, t DatasetType, entities []Entity) error
}
