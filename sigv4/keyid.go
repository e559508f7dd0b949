package sigv4

import (
	"net/http"
	"net/url"
	"strings"
)

// AccessKeyID returns the access key id a request's credential names, from
// its Authorization header or, presigned, its X-Amz-Credential parameter,
// without checking anything else; "" when it names none. It is for
// telling who sent a request that was refused, not for trusting who did.
func AccessKeyID(r *http.Request) string {
	var cred string
	if auth := r.Header.Get("Authorization"); auth != "" {
		alg, params, _ := strings.Cut(strings.TrimSpace(auth), " ")
		if alg != algorithm {
			return ""
		}
		for part := range strings.SplitSeq(params, ",") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(part), "Credential="); ok {
				cred = v
				break
			}
		}
	} else if strings.Contains(r.URL.RawQuery, qCredential) {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return ""
		}
		cred = q.Get(qCredential)
	}
	id, _, ok := strings.Cut(cred, "/")
	if !ok {
		return ""
	}
	return id
}
