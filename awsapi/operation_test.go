package awsapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/perchdev/perch/awsapi"
)

func TestOperationName(t *testing.T) {
	for _, c := range []struct {
		method, path, target, want string
	}{
		{http.MethodPost, "/", "AmazonPersonalize.CreateDatasetGroup", "CreateDatasetGroup"},
		{http.MethodPost, "/", "AmazonPersonalize.ListDatasetGroups", "ListDatasetGroups"},
		{http.MethodPost, "/", "AmazonPersonalize.NoSuchOperation", "unknown"},
		{http.MethodPost, "/", "Other.CreateDatasetGroup", "unknown"},
		{http.MethodPost, "/events", "", "PutEvents"},
		{http.MethodPost, "/items", "", "PutItems"},
		{http.MethodPost, "/action-interactions", "", "PutActionInteractions"},
		{http.MethodPost, "/recommendations", "", "GetRecommendations"},
		{http.MethodPost, "/personalize-ranking", "", "GetPersonalizedRanking"},
		{http.MethodPost, "/action-recommendations", "", "GetActionRecommendations"},
		{http.MethodGet, "/recommendations", "", "unknown"},
		{http.MethodPost, "/", "AmazonPersonalize.CreateCampaign", "CreateCampaign"},
		{http.MethodPost, "/", "AmazonPersonalize.GetSolutionMetrics", "GetSolutionMetrics"},
		{http.MethodGet, "/events", "", "unknown"},
		{http.MethodPost, "/no/such/path", "", "unknown"},
		{http.MethodGet, "/_perch/records", "", "read/records"},
		{http.MethodGet, "/_perch/health", "", "read/health"},
		{http.MethodGet, "/_perch/ready", "", "read/ready"},
		{http.MethodGet, "/_perch/nothing", "", "unknown"},
	} {
		r := httptest.NewRequest(c.method, c.path, nil)
		if c.target != "" {
			r.Header.Set("X-Amz-Target", c.target)
		}
		if got := awsapi.OperationName(r); got != c.want {
			t.Errorf("%s %s %s: %q, want %q", c.method, c.path, c.target, got, c.want)
		}
	}
}

// TestOperationNamesOfReadAPI checks that every read path OperationName
// names is one the read API serves, and that a path it does not name is
// not: the two lists cannot drift apart.
func TestOperationNamesOfReadAPI(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"health", "ready", "records", "datasets", "export", "nothing"} {
		resp := e.get(testKey, "/_perch/"+name)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		served := !strings.Contains(string(body), "No read API at")
		named := awsapi.OperationName(httptest.NewRequest(http.MethodGet, "/_perch/"+name, nil)) != "unknown"
		if served != named {
			t.Errorf("/_perch/%s: served %v, named %v (%d %s)", name, served, named, resp.StatusCode, body)
		}
	}
}
