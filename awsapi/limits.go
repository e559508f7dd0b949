package awsapi

import (
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// MaxHeaderBytes bounds the header section of a request that the API
// reads. The HTTP server's own bound must be larger for requests between
// the two to get an answer in AWS's envelope; SDKs send about one KiB.
const MaxHeaderBytes = 64 << 10

// checkRequest refuses what no operation accepts whatever its route: an
// oversized header section, or a body that is declared not to be JSON.
func checkRequest(r *http.Request) *apiError {
	size := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4
	for name, values := range r.Header {
		for _, v := range values {
			size += len(name) + len(v) + 4
		}
	}
	if size > MaxHeaderBytes {
		return &apiError{status: http.StatusRequestHeaderFieldsTooLarge, code: eHeadersTooLarge,
			message: "The request's header section is " + strconv.Itoa(size) + " bytes, more than the limit of " + strconv.Itoa(MaxHeaderBytes)}
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !jsonContentType(ct) {
		return &apiError{status: http.StatusUnsupportedMediaType, code: eMediaType,
			message: "Content-Type " + strconv.Quote(ct) + " is not supported: send the body as application/json (events and runtime APIs) or application/x-amz-json-1.1 (control plane)"}
	}
	return nil
}

// jsonContentType reports whether a Content-Type can carry the JSON body
// of an AWS JSON protocol. Clients differ: SDKs send application/json or
// application/x-amz-json-1.x, some send a binary type for any body; form
// and text types mean the client did not mean to send JSON.
func jsonContentType(ct string) bool {
	media, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch media {
	case "application/json", contentTypeAWSJSON, "application/x-amz-json-1.0",
		"application/octet-stream", "binary/octet-stream", "text/json":
		return true
	}
	return strings.HasPrefix(media, "application/") && strings.HasSuffix(media, "+json")
}
