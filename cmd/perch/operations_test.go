package main

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/perchdev/perch/awsapi/model"
)

// unserved are the control-plane operations of the model perch does not
// serve yet. The test fails when one of them comes to be served (strike
// it from the list) and when any other operation answers
// UnknownOperationException, so the operations served never silently
// drop.
var unserved = []string{}

// Every operation of the personalize model reaches perch's service: an
// empty request gets the operation's own answer (most often its
// validation's), not UnknownOperationException.
func TestEveryOperationAnswers(t *testing.T) {
	s := startServer(t, t.TempDir())
	ops := model.Personalize.Operations()
	if len(ops) != 71 {
		t.Errorf("the personalize model has %d operations, want AWS's 71", len(ops))
	}
	for _, op := range ops {
		req, err := http.NewRequest(http.MethodPost, s.endpoint+"/", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "AmazonPersonalize."+op.Name)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=perch/20261207/eu-west-1/personalize/aws4_request, SignedHeaders=host, Signature=00")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Type string `json:"__type"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		unknown := strings.HasSuffix(body.Type, "UnknownOperationException")
		switch want := slices.Contains(unserved, op.Name); {
		case unknown && !want:
			t.Errorf("%s answers UnknownOperationException", op.Name)
		case !unknown && want:
			t.Errorf("%s is served now (status %d, %s): strike it from unserved", op.Name, resp.StatusCode, body.Type)
		}
	}
}
