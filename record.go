package perch

// Event is one item interaction recorded by PutEvents. JSON names are the
// API's; Duplicate is set by readers, never stored.
type Event struct {
	EventID           string             `json:"eventId"`
	EventType         string             `json:"eventType"`
	EventValue        *float64           `json:"eventValue,omitempty"`
	ItemID            string             `json:"itemId,omitempty"`
	UserID            string             `json:"userId,omitempty"`
	SessionID         string             `json:"sessionId"`
	SentAt            Timestamp          `json:"sentAt"`
	Impression        []string           `json:"impression,omitempty"`
	RecommendationID  string             `json:"recommendationId,omitempty"`
	Properties        string             `json:"properties,omitempty"` // the JSON object text as sent
	MetricAttribution *MetricAttribution `json:"metricAttribution,omitempty"`
	Duplicate         bool               `json:"duplicate,omitempty"`
}

// MetricAttribution names the source of an event for metric attribution.
type MetricAttribution struct {
	EventAttributionSource string `json:"eventAttributionSource"`
}

// ActionInteraction is one interaction with an action, recorded by
// PutActionInteractions.
type ActionInteraction struct {
	EventID          string    `json:"eventId"`
	EventType        string    `json:"eventType"`
	ActionID         string    `json:"actionId"`
	UserID           string    `json:"userId,omitempty"`
	SessionID        string    `json:"sessionId"`
	Timestamp        Timestamp `json:"timestamp"`
	Impression       []string  `json:"impression,omitempty"`
	RecommendationID string    `json:"recommendationId,omitempty"`
	Properties       string    `json:"properties,omitempty"`
	Duplicate        bool      `json:"duplicate,omitempty"`
}

// Entity is an item, a user or an action: an id and its metadata. The
// dataset's type says which; writes of the same id replace each other.
type Entity struct {
	ID         string `json:"id"`
	Properties string `json:"properties,omitempty"`
	// Updated is when the record was written; the newest write wins.
	Updated Timestamp `json:"updated"`
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
	SessionID string // interactions and action interactions: this session only
	ID        string // items, users, actions: this id only
	Limit     int    // at most this many records; 0 for no limit
}
