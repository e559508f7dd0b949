package console

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// tryPaths are the runtime operations api/try sends, by their REST path.
var tryPaths = map[string]string{
	"GetRecommendations":     "/recommendations",
	"GetPersonalizedRanking": "/personalize-ranking",
}

// serveTry sends one runtime call through the AWS API's own handler,
// signed as the session's key, so that it passes the same authentication
// and validation as a client's, and answers what the API answered.
func (c *Console) serveTry(ctx context.Context, w http.ResponseWriter, r *http.Request, s *session) error {
	var in struct {
		Operation string          `json:"operation"`
		Input     json.RawMessage `json:"input"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		return badRequest("the body must be {\"operation\":...,\"input\":{...}}")
	}
	path, ok := tryPaths[in.Operation]
	if !ok {
		return badRequest("operation must be GetRecommendations or GetPersonalizedRanking, got " + in.Operation)
	}
	if len(in.Input) == 0 {
		in.Input = json.RawMessage("{}")
	}
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodPost, "http://perch.console"+path, bytes.NewReader(in.Input))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "perch-console")
	if err := c.sign(req, in.Input, s); err != nil {
		return err
	}
	rec := httptest.NewRecorder()
	c.cfg.API.ServeHTTP(rec, req)
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode == http.StatusOK {
		writeJSON(w, http.StatusOK, map[string]any{"status": res.StatusCode, "response": json.RawMessage(body)})
		return nil
	}
	var envelope struct {
		Message      string `json:"message"`
		MessageUpper string `json:"Message"`
	}
	_ = json.Unmarshal(body, &envelope)
	errorType, _, _ := strings.Cut(res.Header.Get("X-Amzn-ErrorType"), ":")
	writeJSON(w, http.StatusOK, map[string]any{"status": res.StatusCode,
		"error": map[string]string{"type": errorType, "message": envelope.Message + envelope.MessageUpper}})
	return nil
}

// sign signs req as the session's key, as an SDK would; with --auth none
// it goes unsigned, as any request may then.
func (c *Console) sign(req *http.Request, body []byte, s *session) error {
	if c.cfg.Verifier == nil {
		return nil
	}
	key := c.cfg.Verifier.Keys().Lookup(s.accessKeyID)
	if key == nil {
		return badRequest("the session's access key is no longer in the credentials")
	}
	secret, token := key.Secret()
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: key.AccessKeyID, SecretAccessKey: secret, SessionToken: token}
	return v4.NewSigner().SignHTTP(req.Context(), creds, req, hex.EncodeToString(sum[:]), "personalize", c.cfg.Region, time.Now())
}
