package loadgen

import (
	"encoding/json"
	"io"
	"net/http"
)

// noopMaxBody bounds a body as perch bounds it.
const noopMaxBody = 4 << 20

// NoopHandler is the baseline every figure is measured against: it reads
// each request's body and answers an empty 200, the most a net/http server
// serves on this machine. With decode it also decodes the body as a
// PutEvents request with encoding/json, the least a real server does, and
// answers 400 when it cannot. With a log it answers only once the body is
// synced to it (500 if that fails): the least a durable server does.
func NoopHandler(decode bool, log *NoopLog) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, noopMaxBody))
		if err == nil && decode {
			var req putEventsBody
			err = json.Unmarshal(body, &req)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if log != nil {
			if err := log.Append(body); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		}
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
	})
}

// putEventsBody is a PutEvents request as the model shapes it.
type putEventsBody struct {
	TrackingID string `json:"trackingId"`
	UserID     string `json:"userId"`
	SessionID  string `json:"sessionId"`
	EventList  []struct {
		EventID           string      `json:"eventId"`
		EventType         string      `json:"eventType"`
		EventValue        *float64    `json:"eventValue"`
		ItemID            string      `json:"itemId"`
		Properties        string      `json:"properties"`
		SentAt            json.Number `json:"sentAt"`
		RecommendationID  string      `json:"recommendationId"`
		Impression        []string    `json:"impression"`
		MetricAttribution *struct {
			EventAttributionSource string `json:"eventAttributionSource"`
		} `json:"metricAttribution"`
	} `json:"eventList"`
}
