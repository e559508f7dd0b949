package main

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/valyala/fasthttp"
)

// maxBody bounds a body as perch bounds it.
const maxBody = 4 << 20

// handler is the baseline every figure is measured against: it reads each
// request's body and answers an empty 200, the most a net/http server
// serves on this machine. With decode it also decodes the body as a
// PutEvents request with encoding/json, the least a real server does, and
// answers 400 when it cannot. With a log it answers only once the body is
// synced to it (500 if that fails): the least a durable server does.
func handler(decode bool, log *ringLog) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		status := http.StatusBadRequest
		if err == nil {
			status, err = answer(body, decode, log)
		}
		if err != nil {
			http.Error(w, err.Error(), status)
			return
		}
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
	})
}

// fastServer is handler on valyala/fasthttp, whose server does about half
// the work per request of net/http's (it reuses its request objects and
// has no goroutine watching each connection): it measures how much of a
// floor is the HTTP server's. A body over the bound is answered 400 by
// fasthttp itself, as handler answers it.
func fastServer(decode bool, log *ringLog) *fasthttp.Server {
	return &fasthttp.Server{
		Handler: func(ctx *fasthttp.RequestCtx) {
			if status, err := answer(ctx.PostBody(), decode, log); err != nil {
				ctx.Error(err.Error(), status)
			}
		},
		MaxRequestBodySize: maxBody,
		ReadTimeout:        10 * time.Second,
		IdleTimeout:        2 * time.Minute,
	}
}

// answer is the servers' work on a body read whole: the status to answer,
// and the error behind it if it is not 200.
func answer(body []byte, decode bool, log *ringLog) (int, error) {
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
