package awsapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/awsapi"
	"github.com/perchdev/perch/catalog"
	"github.com/perchdev/perch/ingest"
	"github.com/perchdev/perch/pebble"
)

// fuzzRoutes are the requests FuzzServeHTTP sends its bodies as.
var fuzzRoutes = []struct{ method, path, target string }{
	{"POST", "/events", ""},
	{"POST", "/items", ""},
	{"POST", "/users", ""},
	{"POST", "/actions", ""},
	{"POST", "/action-interactions", ""},
	{"POST", "/", "AmazonPersonalize.CreateSchema"},
	{"POST", "/", "AmazonPersonalize.CreateDatasetGroup"},
	{"POST", "/", "AmazonPersonalize.CreateDataset"},
	{"POST", "/", "AmazonPersonalize.DescribeDataset"},
	{"POST", "/", "AmazonPersonalize.ListDatasets"},
	{"POST", "/", "AmazonPersonalize.CreateEventTracker"},
	{"POST", "/", "AmazonPersonalize.UpdateDataset"},
	{"GET", "/_perch/records", ""},
	{"POST", "/recommendations", ""},
	{"POST", "/personalize-ranking", ""},
	{"POST", "/", "AmazonPersonalize.CreateSolution"},
	{"POST", "/", "AmazonPersonalize.UpdateCampaign"},
}

// FuzzServeHTTP feeds arbitrary bodies through the whole handler (wire
// layer, validation, catalog, ingest and a real store in a temporary
// directory). Every answer must be a 200 or an error in AWS's envelope,
// and never an internal failure. The placeholders TRACKING, ITEMS and
// GROUP in a body stand for a real tracking id, items dataset ARN and
// dataset group ARN, so that inputs get past the resource checks.
func FuzzServeHTTP(f *testing.F) {
	dir, err := os.MkdirTemp("", "perch-fuzz")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { os.RemoveAll(dir) })
	store, err := pebble.Open(dir, pebble.Options{MemTableSize: 4 << 20, CacheSize: 8 << 20})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { store.Close() })
	scope := perch.Scope{Region: testRegion, Account: testAccount}
	ctx := perch.WithAccount(context.Background(), testAccount)
	cat, err := catalog.Open(ctx, store.Resources(), scope, catalog.Options{})
	if err != nil {
		f.Fatal(err)
	}
	group, err := cat.CreateDatasetGroup(ctx, perch.CreateDatasetGroupInput{Name: "fuzz"})
	if err != nil {
		f.Fatal(err)
	}
	placeholders := map[string]string{"GROUP": group.ARN}
	for _, d := range []struct {
		typ    perch.DatasetType
		schema string
	}{{perch.Interactions, interactionsSchema}, {perch.Items, itemsSchema}} {
		if _, err := cat.CreateSchema(ctx, perch.CreateSchemaInput{Name: "fuzz-" + string(d.typ), Definition: d.schema}); err != nil {
			f.Fatal(err)
		}
		ds, err := cat.CreateDataset(ctx, perch.CreateDatasetInput{Name: "fuzz-" + string(d.typ), SchemaARN: scope.SchemaARN("fuzz-" + string(d.typ)), GroupARN: group.ARN, Type: string(d.typ)})
		if err != nil {
			f.Fatal(err)
		}
		if d.typ == perch.Items {
			placeholders["ITEMS"] = ds.ARN
		}
	}
	tracker, err := cat.CreateEventTracker(ctx, perch.CreateEventTrackerInput{Name: "fuzz", GroupARN: group.ARN})
	if err != nil {
		f.Fatal(err)
	}
	placeholders["TRACKING"] = tracker.TrackingID
	// The recommendation side is the tests' stand-in: what is fuzzed is
	// the wire's reading of its requests and writing of its answers.
	rec := newRecommender()
	handler := awsapi.New(awsapi.Config{
		Catalog: cat, Ingest: ingest.New(cat, store), Store: store, Solutions: rec, Runtime: rec, Account: testAccount,
	})

	for _, seed := range []struct {
		route uint8
		body  string
	}{
		{0, `{"trackingId":"TRACKING","userId":"u","sessionId":"s","eventList":[{"eventId":"e","eventType":"click","eventValue":1.5,"itemId":"i","sentAt":1700000000.123,"properties":"{\"device\":\"phone\",\"numberOfRatings\":\"3\"}","impression":["a"]}]}`},
		{0, `{"trackingId":"TRACKING","sessionId":"s","eventList":[{"eventType":"click","sentAt":1,"eventValue":"NaN"}]}`},
		{0, `{"trackingId":"TRACKING","sessionId":"s","eventList":[{"eventType":"click","sentAt":253402300800}]}`},
		{1, `{"datasetArn":"ITEMS","items":[{"itemId":"i","properties":"{\"genres\":\"a|b\",\"price\":1}"}]}`},
		{1, `{"datasetArn":"ITEMS","items":[{"itemId":"i","properties":"{\"nope\":1}"}]}`},
		{5, `{"name":"s2","schema":"{\"type\":\"record\",\"name\":\"Items\",\"fields\":[{\"name\":\"ITEM_ID\",\"type\":\"string\"}]}"}`},
		{6, `{"name":"g2"}`},
		{7, `{"name":"d","datasetGroupArn":"GROUP","schemaArn":"x","datasetType":"Users"}`},
		{8, `{"datasetArn":"ITEMS"}`},
		{9, `{"datasetGroupArn":"GROUP","maxResults":1}`},
		{12, ``},
		{13, `{"campaignArn":"arn:aws:personalize:us-west-2:123456789012:campaign/c","userId":"u","numResults":5,"context":{"DEVICE":"phone"},"filterValues":{"G":"\"a\""},"promotions":[{"name":"p","percentPromotedItems":50}],"metadataColumns":{"ITEMS":["GENRE"]}}`},
		{13, `{"recommenderArn":"x","numResults":-1,"promotions":[null]}`},
		{14, `{"campaignArn":"arn:aws:personalize:us-west-2:123456789012:campaign/c","userId":"u","inputList":["a","b"],"context":{"K":null}}`},
		{15, `{"name":"s","datasetGroupArn":"GROUP","performAutoTraining":false,"solutionConfig":{"hpoConfig":{"hpoResourceConfig":{"maxNumberOfTrainingJobs":"4"}},"eventsConfig":{"eventParametersList":[{"eventType":"click","weight":"NaN"}]}}}`},
		{16, `{"campaignArn":"arn:aws:personalize:us-west-2:123456789012:campaign/c","minProvisionedTPS":2,"campaignConfig":{"rankingInfluence":{"POPULARITY":0.5}}}`},
	} {
		f.Add(seed.route, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := fuzzRoutes[int(route)%len(fuzzRoutes)]
		for k, v := range placeholders {
			body = bytes.ReplaceAll(body, []byte(k), []byte(v))
		}
		target := "http://perch" + r.path
		if r.method == http.MethodGet {
			target += "?datasetArn=" + placeholders["ITEMS"] + "&limit=5"
		}
		req := httptest.NewRequest(r.method, target, bytes.NewReader(body))
		if r.target != "" {
			req.Header.Set("X-Amz-Target", r.target)
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		} else {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Header().Get("x-amzn-RequestId") == "" {
			t.Fatalf("%s %s: no request id", r.method, r.path)
		}
		if rec.Code == http.StatusOK {
			return
		}
		var env struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
			t.Fatalf("%s %s %q: answer %d %q is not AWS's envelope", r.method, r.path, body, rec.Code, rec.Body.Bytes())
		}
		if env.Type == "" || env.Type != rec.Header().Get("X-Amzn-ErrorType") || env.Message == "" {
			t.Fatalf("%s %s %q: envelope %+v, X-Amzn-ErrorType %q", r.method, r.path, body, env, rec.Header().Get("X-Amzn-ErrorType"))
		}
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s: %s", r.method, r.path, body, rec.Code, env.Type, env.Message)
		}
	})
}
