package sigv4

import (
	"fmt"
	"net/http"
)

// Error codes AWS front ends answer authentication failures with.
const (
	EMissingAuthenticationToken = "MissingAuthenticationTokenException"
	EIncompleteSignature        = "IncompleteSignatureException"
	EUnrecognizedClient         = "UnrecognizedClientException"
	EInvalidSignature           = "InvalidSignatureException"
)

// Error is a request that failed authentication: the AWS error code, the
// HTTP status AWS answers it with, and a message for the caller.
type Error struct {
	Code    string
	Status  int
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func missingToken() *Error {
	return &Error{EMissingAuthenticationToken, http.StatusForbidden, "Missing Authentication Token"}
}

func incomplete(format string, args ...any) *Error {
	return &Error{EIncompleteSignature, http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// unrecognized is AWS's answer to an access key or a session token it
// does not know. It names neither, so it tells a prober nothing.
func unrecognized() *Error {
	return &Error{EUnrecognizedClient, http.StatusForbidden, "The security token included in the request is invalid."}
}

func invalid(format string, args ...any) *Error {
	return &Error{EInvalidSignature, http.StatusForbidden, fmt.Sprintf(format, args...)}
}

// mismatchMessage is AWS's text for a signature that does not verify.
const mismatchMessage = "The request signature we calculated does not match the signature you provided. " +
	"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
