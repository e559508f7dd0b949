package awsapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/google/uuid"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/awsapi/model"
)

// Wire-level error codes that no Personalize model declares but that AWS
// front ends return, as Coral spells them.
const (
	eSerialization    = "SerializationException"
	eUnknownOperation = "UnknownOperationException"
	eRequestTooLarge  = "RequestEntityTooLargeException"
	eRequestTimeout   = "RequestTimeoutException"
	eHeadersTooLarge  = "RequestHeaderSectionTooLarge"
	eMediaType        = "UnsupportedMediaTypeException"
)

// apiError is an error answer: the code, message and HTTP status.
type apiError struct {
	status  int
	code    string
	message string
	// member is the input member the error is about, when it names one;
	// it is not sent (AWS's envelope has no place for it) but observed.
	member string
}

// errorBody is AWS's JSON error envelope. Every SDK reads __type (or the
// X-Amzn-ErrorType header) for the code and message for the text.
type errorBody struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

// writeError answers with AWS's error envelope. The header and body carry
// the same code, so SDKs agree whichever they read.
func writeError(w http.ResponseWriter, contentType string, e apiError) {
	noteError(w, &e)
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Amzn-ErrorType", e.code)
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(errorBody{Type: e.code, Message: e.message})
}

// toAPIError maps an error from the domain or the validator to what the
// client sees; svc decides the statuses of modeled errors.
func toAPIError(svc *model.Service, err error, log *slog.Logger) apiError {
	var ser *model.SerializationError
	if errors.As(err, &ser) {
		return apiError{status: http.StatusBadRequest, code: eSerialization, message: ser.Error()}
	}
	var v model.Violations
	if errors.As(err, &v) {
		// The first member the message names is the one to look at first.
		return apiError{status: http.StatusBadRequest, code: perch.EInvalidInput, message: v.Error(), member: v[0].Path}
	}
	var pe *perch.Error
	if errors.As(err, &pe) {
		return apiError{status: statusOf(svc, pe.Code), code: pe.Code, message: pe.Message, member: pe.Member}
	}
	log.Error("internal failure", "err", err)
	return apiError{status: http.StatusInternalServerError, code: perch.EInternal, message: "We encountered an internal error. Please try again."}
}

// statusOf returns the HTTP status of an error code: the model's where it
// declares one, AWS's common-error statuses otherwise.
func statusOf(svc *model.Service, code string) int {
	if s := svc.ErrorStatus(code); s != 0 {
		return s
	}
	switch code {
	case perch.EThrottling:
		return http.StatusBadRequest
	case perch.EServiceUnavailable:
		return http.StatusServiceUnavailable
	case perch.EInternal:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// errorContentType is the Content-Type of an error answer to r: the
// control plane's for a request that names a target, JSON otherwise.
func errorContentType(r *http.Request) string {
	if r.Header.Get("X-Amz-Target") != "" {
		return contentTypeAWSJSON
	}
	return contentTypeJSON
}

// WriteError answers r with err in AWS's envelope, as the API itself would:
// a *perch.Error with its code and status, anything else as an internal
// failure. It is for front ends that refuse a request before it reaches the
// Server, such as a connection limit.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	if w.Header().Get("x-amzn-RequestId") == "" {
		w.Header().Set("x-amzn-RequestId", uuid.NewString())
	}
	svc := model.Events
	switch {
	case r.Header.Get("X-Amz-Target") != "":
		svc = model.Personalize
	case model.Runtime.OperationFor(r.Method, r.URL.Path) != nil:
		svc = model.Runtime
	}
	writeError(w, errorContentType(r), toAPIError(svc, err, slog.New(slog.DiscardHandler)))
}
