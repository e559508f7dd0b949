package perch

// Event is one item interaction recorded by PutEvents or imported in bulk.
// JSON names are the API's; Duplicate and Bulk are set by readers, never
// stored. Bulk records have no eventId and no sessionId.
type Event struct {
	EventID           string             `json:"eventId,omitempty"`
	EventType         string             `json:"eventType"`
	EventValue        *float64           `json:"eventValue,omitempty"`
	ItemID            string             `json:"itemId,omitempty"`
	UserID            string             `json:"userId,omitempty"`
	SessionID         string             `json:"sessionId,omitempty"`
	SentAt            Timestamp          `json:"sentAt"`
	Impression        []string           `json:"impression,omitempty"`
	RecommendationID  string             `json:"recommendationId,omitempty"`
	Properties        string             `json:"properties,omitempty"` // the JSON object text as sent
	MetricAttribution *MetricAttribution `json:"metricAttribution,omitempty"`
	Duplicate         bool               `json:"duplicate,omitempty"`
	Bulk              bool               `json:"bulk,omitempty"`
}

// MetricAttribution names the source of an event for metric attribution.
type MetricAttribution struct {
	EventAttributionSource string `json:"eventAttributionSource"`
}

// ActionInteraction is one interaction with an action, recorded by
// PutActionInteractions or imported in bulk.
type ActionInteraction struct {
	EventID          string    `json:"eventId,omitempty"`
	EventType        string    `json:"eventType"`
	ActionID         string    `json:"actionId"`
	UserID           string    `json:"userId,omitempty"`
	SessionID        string    `json:"sessionId,omitempty"`
	Timestamp        Timestamp `json:"timestamp"`
	Impression       []string  `json:"impression,omitempty"`
	RecommendationID string    `json:"recommendationId,omitempty"`
	Properties       string    `json:"properties,omitempty"`
	Duplicate        bool      `json:"duplicate,omitempty"`
	Bulk             bool      `json:"bulk,omitempty"`
}

// Entity is an item, a user or an action: an id and its metadata. The
// dataset's type says which; writes of the same id replace each other.
type Entity struct {
	ID         string `json:"id"`
	Properties string `json:"properties,omitempty"`
	// Updated is when the record was written; the newest write wins.
	Updated Timestamp `json:"updated"`
	Bulk    bool      `json:"bulk,omitempty"` // set by readers, never stored
}

// Batch is the records of one request, bound for one dataset. A store
// commits a batch all-or-nothing.
type Batch struct {
	Dataset *Dataset
	// Exactly one of these is set, matching Dataset.Type.
	Events             []Event
	ActionInteractions []ActionInteraction
	Entities           []Entity
}

// Len returns the number of records in the batch.
func (b *Batch) Len() int { return len(b.Events) + len(b.ActionInteractions) + len(b.Entities) }

// RecordQuery narrows a read of a dataset's records. Zero values match all.
type RecordQuery struct {
	UserID    string // interactions and action interactions: this user only
	SessionID string // interactions and action interactions: this session only (bulk records have none)
	ID        string // items, users, actions: this id only
	Limit     int    // at most this many records; 0 for no limit
	// Source selects records by how they arrived; "" means IngestAll.
	Source IngestionMode
	// Time, when set, keeps the interactions and action interactions
	// whose time is in [From, To).
	Time *TimeRange
	// Newest reads interactions and action interactions in the reverse of
	// their order (records put through the API newest first, then bulk
	// records, the last import's last row first), from the newest end, so
	// that the newest few cost what they are, not the dataset's size.
	Newest bool
}

// TimeRange is the half-open interval [From, To).
type TimeRange struct{ From, To Timestamp }

// Contains reports whether t is in the range.
func (r *TimeRange) Contains(t Timestamp) bool { return r == nil || (t >= r.From && t < r.To) }

// Wants reports whether the query selects records of the given source.
func (q *RecordQuery) Wants(s IngestionMode) bool {
	return q.Source == "" || q.Source == IngestAll || q.Source == s
}
