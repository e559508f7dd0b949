package compat_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Paws (Perl) cannot be installed from the registries CI reaches, so
// runPaws sends what Paws::PersonalizeEvents sends (see compat/README.md):
// the rest-json request of each Put call, POST to the operation's path
// with the JSON body and no Content-Type, signed with SigV4 for
// personalize. A Paws caller writes SentAt as an ISO-8601 string
// ('1970-01-01T01:00:00'); Paws turns it into epoch seconds in the body.
// Errors are read the way Paws::Net::RestJsonResponse reads them: the
// X-Amzn-ErrorType header (up to a ':') or else __type, and message.
func runPaws(ctx context.Context, p *plan) (string, []result, error) {
	var results []result
	for _, s := range p.Steps {
		r := result{ID: s.ID}
		input, err := substitute(clone(s.Input), p.Vars)
		if err != nil {
			r.Status, r.Detail = "fail", err.Error()
			results = append(results, r)
			continue
		}
		pawsTimestamps(input)
		body, _ := json.Marshal(input)
		path := ""
		for p, op := range eventsPaths {
			if op == s.Op {
				path = p
			}
		}
		status, respBody, header, err := pawsSend(ctx, p.Endpoint+path, p.Region, body)
		switch {
		case err != nil:
			r.Status, r.Detail = "fail", err.Error()
		case status == http.StatusOK:
			r.Status = "ok"
		default:
			r.Status, r.Error = "error", pawsError(status, header, respBody)
			r.Detail = string(respBody)
		}
		results = append(results, r)
	}
	return "Paws::PersonalizeEvents wire format (raw HTTP)", results, nil
}

// pawsTimestamps does what Paws does with a timestamp given as ISO-8601
// text: the caller's text (here made from the plan's epoch seconds) is
// parsed and sent as epoch seconds.
func pawsTimestamps(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if f, ok := e.(float64); ok && (k == "sentAt" || k == "timestamp") {
				iso := epochTime(f).Format("2006-01-02T15:04:05.000Z07:00")
				t, err := time.Parse(time.RFC3339Nano, iso)
				if err != nil {
					panic(err)
				}
				x[k] = json.Number(strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64))
				continue
			}
			pawsTimestamps(e)
		}
	case []any:
		for _, e := range x {
			pawsTimestamps(e)
		}
	}
}

func pawsSend(ctx context.Context, url, region string, body []byte) (int, []byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: "perch-compat", SecretAccessKey: "perch-compat-secret"}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "personalize", region, time.Now()); err != nil {
		return 0, nil, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header, err
}

func pawsError(status int, header http.Header, body []byte) *clientError {
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(body, &e)
	code := header.Get("X-Amzn-ErrorType")
	if code == "" {
		code = e.Type
	}
	code, _, _ = strings.Cut(code, ":")
	// Paws throws Paws::Exception with this code.
	return &clientError{Code: code, Class: code, Message: e.Message, HTTPStatus: status}
}
