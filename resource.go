package perch

import "strings"

// Status values, spelled as the service spells them (with a space).
const (
	StatusCreatePending    = "CREATE PENDING"
	StatusCreateInProgress = "CREATE IN_PROGRESS"
	StatusActive           = "ACTIVE"
	StatusCreateFailed     = "CREATE FAILED"
	StatusDeletePending    = "DELETE PENDING"
	StatusDeleteInProgress = "DELETE IN_PROGRESS"
	// StatusInactive is a stopped recommender's.
	StatusInactive = "INACTIVE"
)

// Domains of domain dataset groups and their schemas.
const (
	DomainEcommerce     = "ECOMMERCE"
	DomainVideoOnDemand = "VIDEO_ON_DEMAND"
)

// DatasetType is the kind of data a dataset holds, in the upper-case form
// that appears in dataset ARNs.
type DatasetType string

const (
	Interactions       DatasetType = "INTERACTIONS"
	Items              DatasetType = "ITEMS"
	Users              DatasetType = "USERS"
	Actions            DatasetType = "ACTIONS"
	ActionInteractions DatasetType = "ACTION_INTERACTIONS"
)

// DatasetTypes lists every dataset type in the order exports use.
var DatasetTypes = []DatasetType{Interactions, Items, Users, Actions, ActionInteractions}

// ParseDatasetType accepts the dataset type case-insensitively, as
// CreateDataset does ("Interactions", "ACTION_INTERACTIONS", ...).
func ParseDatasetType(s string) (DatasetType, bool) {
	t := DatasetType(strings.ToUpper(s))
	for _, known := range DatasetTypes {
		if t == known {
			return t, true
		}
	}
	return "", false
}

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"tagKey"`
	Value string `json:"tagValue"`
}

// Schema is an Avro schema registered with CreateSchema.
type Schema struct {
	ARN        string    `json:"schemaArn"`
	Name       string    `json:"name"`
	Definition string    `json:"schema"` // the Avro JSON as the caller sent it
	Domain     string    `json:"domain,omitempty"`
	Created    Timestamp `json:"creationDateTime"`
	Updated    Timestamp `json:"lastUpdatedDateTime"`
}

// DatasetGroup is a container for datasets and their event tracker.
type DatasetGroup struct {
	ARN           string    `json:"datasetGroupArn"`
	Name          string    `json:"name"`
	Status        string    `json:"status"`
	RoleARN       string    `json:"roleArn,omitempty"`
	KMSKeyARN     string    `json:"kmsKeyArn,omitempty"`
	Domain        string    `json:"domain,omitempty"`
	FailureReason string    `json:"failureReason,omitempty"`
	Tags          []Tag     `json:"tags,omitempty"`
	Created       Timestamp `json:"creationDateTime"`
	Updated       Timestamp `json:"lastUpdatedDateTime"`
}

// DatasetUpdate describes the latest UpdateDataset of a dataset.
type DatasetUpdate struct {
	SchemaARN     string    `json:"schemaArn"`
	Status        string    `json:"status"`
	FailureReason string    `json:"failureReason,omitempty"`
	Created       Timestamp `json:"creationDateTime"`
	Updated       Timestamp `json:"lastUpdatedDateTime"`
}

// Dataset holds the records of one type within a dataset group.
type Dataset struct {
	ARN       string      `json:"datasetArn"`
	Name      string      `json:"name"`
	GroupARN  string      `json:"datasetGroupArn"`
	Type      DatasetType `json:"datasetType"`
	SchemaARN string      `json:"schemaArn"`
	Status    string      `json:"status"`
	// TrackingID is set for ACTION_INTERACTIONS datasets: the id that
	// PutActionInteractions names them by.
	TrackingID   string         `json:"trackingId,omitempty"`
	LatestUpdate *DatasetUpdate `json:"latestDatasetUpdate,omitempty"`
	Tags         []Tag          `json:"tags,omitempty"`
	Created      Timestamp      `json:"creationDateTime"`
	Updated      Timestamp      `json:"lastUpdatedDateTime"`
	// ID is the store's short key for the dataset's records. It is never
	// reused, so records of a deleted dataset can never leak into a new one.
	ID uint64 `json:"perchId"`
}

// EventTracker routes PutEvents calls, by trackingId, to the interactions
// dataset of its dataset group.
type EventTracker struct {
	ARN        string    `json:"eventTrackerArn"`
	Name       string    `json:"name"`
	AccountID  string    `json:"accountId"`
	TrackingID string    `json:"trackingId"`
	GroupARN   string    `json:"datasetGroupArn"`
	Status     string    `json:"status"`
	Tags       []Tag     `json:"tags,omitempty"`
	Created    Timestamp `json:"creationDateTime"`
	Updated    Timestamp `json:"lastUpdatedDateTime"`
}
