package awsapi

import (
	"errors"
	"net/http"

	"github.com/perchdev/perch/awsapi/model"
	"github.com/perchdev/perch/sigv4"
)

// authenticate decides which account r, whose body as sent is raw, acts
// for. Without a verifier every request acts for the server's account;
// with one, r must carry a valid signature over raw and acts for the
// account of the key that signed it. When r fails, authenticate returns
// the answer it gets.
func (s *Server) authenticate(r *http.Request, raw []byte) (account string, refusal *apiError) {
	if s.verifier == nil {
		return s.account, nil
	}
	key, err := s.verifier.Verify(r, raw)
	if err != nil {
		var e *sigv4.Error
		if !errors.As(err, &e) {
			refusal := toAPIError(model.Personalize, err, s.log)
			return "", &refusal
		}
		// At debug: the request's own line (Config.Observe) says it at info.
		s.log.Debug("request refused", "code", e.Code, "remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path)
		return "", &apiError{status: e.Status, code: e.Code, message: e.Message}
	}
	return key.Account, nil
}
