package awsapi

import (
	"errors"
	"net/http"

	"github.com/perchdev/perch/awsapi/model"
	"github.com/perchdev/perch/sigv4"
)

// authenticate decides which account r acts for. Without a verifier every
// request acts for the server's account; with one, r must carry a valid
// signature and acts for the account of the key that signed it, and
// authenticate returns the body as sent, which the signature covers, for
// the request to be served from (nil when it did not read the body). When
// r fails, authenticate has answered it and returns false.
//
// The health probe is open, so that orchestrators need no keys.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (account string, raw []byte, ok bool) {
	if s.verifier == nil || r.URL.Path == readPrefix+"health" {
		return s.account, nil, true
	}
	contentType := contentTypeJSON
	if r.Header.Get("X-Amz-Target") != "" {
		contentType = contentTypeAWSJSON
	}
	// The signature covers the body as sent, before any decoding.
	body, apiErr := readRawBody(w, r)
	if apiErr != nil {
		writeError(w, contentType, *apiErr)
		return "", nil, false
	}
	key, err := s.verifier.Verify(r, body)
	if err != nil {
		var e *sigv4.Error
		if !errors.As(err, &e) {
			writeError(w, contentType, toAPIError(model.Personalize, err, s.log))
			return "", nil, false
		}
		s.log.Info("request refused", "code", e.Code, "remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path)
		writeError(w, contentType, apiError{e.Status, e.Code, e.Message})
		return "", nil, false
	}
	return key.Account, body, true
}
