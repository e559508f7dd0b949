package loadgen

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/valyala/fasthttp"
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
		status := http.StatusBadRequest
		if err == nil {
			status, err = noopAnswer(body, decode, log)
		}
		if err != nil {
			http.Error(w, err.Error(), status)
			return
		}
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
	})
}

// NoopFastServer is NoopHandler on valyala/fasthttp, whose server does
// about half the work per request of net/http's (it reuses its request
// objects and has no goroutine watching each connection): it measures how
// much of a floor is the HTTP server's. A body over the bound is answered
// 400 by fasthttp itself, as NoopHandler answers it.
func NoopFastServer(decode bool, log *NoopLog) *fasthttp.Server {
	return &fasthttp.Server{
		Handler: func(ctx *fasthttp.RequestCtx) {
			if status, err := noopAnswer(ctx.PostBody(), decode, log); err != nil {
				ctx.Error(err.Error(), status)
			}
		},
		MaxRequestBodySize: noopMaxBody,
		ReadTimeout:        10 * time.Second,
		IdleTimeout:        2 * time.Minute,
	}
}

// noopAnswer is the no-op servers' work on a body read whole: the status
// to answer, and the error behind it if it is not 200.
func noopAnswer(body []byte, decode bool, log *NoopLog) (int, error) {
	if decode {
		var req putEventsBody
		if err := json.Unmarshal(body, &req); err != nil {
			return http.StatusBadRequest, err
		}
	}
	if log != nil {
		if err := log.Append(body); err != nil {
			return http.StatusInternalServerError, err
		}
	}
	return http.StatusOK, nil
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
