package console_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/awsapi"
	"github.com/perchdev/perch/catalog"
	"github.com/perchdev/perch/console"
	"github.com/perchdev/perch/ingest"
	"github.com/perchdev/perch/internal/fixture"
	"github.com/perchdev/perch/internal/pgtest"
	"github.com/perchdev/perch/postgres"
	"github.com/perchdev/perch/recipe"
	"github.com/perchdev/perch/serving"
	"github.com/perchdev/perch/sigv4"
	"github.com/perchdev/perch/solutions"
	"github.com/perchdev/perch/training"
)

const interactionsSchema = `{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[
	{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"},
	{"name":"EVENT_TYPE","type":"string"}],"version":"1.0"}`

const credentials = `[a]
aws_access_key_id = AKIAAAAAAAAAAAAAAAAA
aws_secret_access_key = secret-of-a
aws_account_id = 111111111111

[b]
aws_access_key_id = AKIABBBBBBBBBBBBBBBB
aws_secret_access_key = secret-of-b
aws_account_id = 222222222222
`

// server is perch's API and console over a real Pebble store, wired as
// perch serve wires them.
type server struct {
	ctx          context.Context
	cat          *catalog.Catalog
	store        perch.Store
	sols         *solutions.Service
	ingest       *ingest.Service
	api, console *httptest.Server
	trackingID   string // of account 111111111111's (or the default's) tracker
	groupARN     string
	datasetARN   string
	keys         *sigv4.Keyring
}

func newServer(t testing.TB, withAuth bool) *server {
	t.Helper()
	return newServerOn(t, withAuth, nil)
}

// newServerOn is newServer on the store open gives, a fresh Pebble store
// when it is nil.
func newServerOn(t testing.TB, withAuth bool, open func(perch.Scope) (context.Context, perch.Store, *catalog.Catalog)) *server {
	t.Helper()
	account := "000000000000"
	var verifier *sigv4.Verifier
	var keys *sigv4.Keyring
	if withAuth {
		var err error
		if keys, err = sigv4.ParseCredentials(strings.NewReader(credentials), "credentials"); err != nil {
			t.Fatal(err)
		}
		verifier = sigv4.NewVerifier(keys, "us-east-1", "personalize")
		account = "111111111111"
	}
	scope := perch.Scope{Region: "us-east-1", Account: account}
	var ctx context.Context
	var store perch.Store
	var cat *catalog.Catalog
	if open == nil {
		ctx, store, cat = fixture.Catalog(t, scope)
	} else {
		ctx, store, cat = open(scope)
	}
	hub := console.NewHub(store)
	t.Cleanup(hub.Close)
	refused := console.NewRefused(account, verifier)
	events := ingest.New(cat, store)
	events.AfterCommit(hub.Committed)
	trainer := training.Start(training.Config{Store: store, Catalog: cat, Poll: 50 * time.Millisecond, Schedule: -1})
	t.Cleanup(trainer.Close)
	sols := solutions.New(store.Resources(), scope, solutions.Options{Trained: trainer.Wake})
	rt := serving.New(serving.Config{Store: store, Catalog: cat})
	api := awsapi.New(awsapi.Config{Catalog: cat, Ingest: events, Store: store, Solutions: sols, Filters: sols, Recommenders: sols, Runtime: rt,
		Account: account, Verifier: verifier, Observe: refused.Observe})
	c := console.New(console.Config{Catalog: cat, Store: store, Solutions: sols, Filters: sols, Recommenders: sols, Runtime: rt, API: api,
		Verifier: verifier, Account: account, Region: "us-east-1", Hub: hub, Refused: refused})
	s := &server{ctx: ctx, cat: cat, store: store, sols: sols, ingest: events, api: httptest.NewServer(api), console: httptest.NewServer(c), keys: keys}
	t.Cleanup(s.api.Close)
	t.Cleanup(s.console.Close)

	schema, err := cat.CreateSchema(ctx, perch.CreateSchemaInput{Name: "s", Definition: interactionsSchema})
	if err != nil {
		t.Fatal(err)
	}
	g, err := cat.CreateDatasetGroup(ctx, perch.CreateDatasetGroupInput{Name: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := cat.CreateDataset(ctx, perch.CreateDatasetInput{Name: "clicks", SchemaARN: schema.ARN, GroupARN: g.ARN, Type: "Interactions"})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := cat.CreateEventTracker(ctx, perch.CreateEventTrackerInput{Name: "web", GroupARN: g.ARN})
	if err != nil {
		t.Fatal(err)
	}
	s.trackingID, s.groupARN, s.datasetARN = tr.TrackingID, g.ARN, d.ARN
	return s
}

// putEvents sends a PutEvents call as an SDK would, signed by key when
// given, and returns the status.
func (s *server) putEvents(t *testing.T, key string, body string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.api.URL+"/events", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		k := s.keys.Lookup(key)
		secret, _ := k.Secret()
		sum := "UNSIGNED-PAYLOAD"
		req.Header.Set("X-Amz-Content-Sha256", sum)
		if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}, req, sum,
			"personalize", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

func (s *server) events(user, session string, ids ...string) string {
	var list []string
	for _, id := range ids {
		list = append(list, fmt.Sprintf(`{"eventId":%q,"eventType":"click","itemId":"item-%s","sentAt":1700000000}`, id, id))
	}
	return fmt.Sprintf(`{"trackingId":%q,"userId":%q,"sessionId":%q,"eventList":[%s]}`, s.trackingID, user, session, strings.Join(list, ","))
}

// client is a browser: it keeps the session cookie.
type client struct {
	t      testing.TB
	base   string
	cookie *http.Cookie
}

func (c *client) do(method, path, body string, csrf bool) (int, map[string]any) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+console.Prefix+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if csrf {
		req.Header.Set("X-Perch-Console", "1")
	}
	if c.cookie != nil {
		req.AddCookie(c.cookie)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	for _, ck := range res.Cookies() {
		if ck.Name == "perch_console" {
			c.cookie = ck
		}
	}
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func (c *client) get(path string) (int, map[string]any) { return c.do(http.MethodGet, path, "", false) }

func TestConsoleWithoutAuth(t *testing.T) {
	s := newServer(t, false)
	c := &client{t: t, base: s.console.URL}

	if status, body := c.get("api/session"); status != 200 || body["account"] != "000000000000" || body["auth"] != "none" {
		t.Errorf("session = %d %v", status, body)
	}
	if status := s.putEvents(t, "", s.events("u1", "s1", "1", "2")); status != 200 {
		t.Fatalf("PutEvents = %d", status)
	}
	if status := s.putEvents(t, "", s.events("u1", "s1", "1")); status != 200 {
		t.Fatalf("PutEvents = %d", status)
	}

	status, body := c.get("api/groups")
	groups, _ := body["datasetGroups"].([]any)
	if status != 200 || len(groups) != 1 || groups[0].(map[string]any)["datasetGroupArn"] != s.groupARN {
		t.Errorf("groups = %d %v", status, body)
	}
	status, body = c.get("api/group?arn=" + s.groupARN)
	datasets, _ := body["datasets"].([]any)
	if status != 200 || len(datasets) != 1 || datasets[0].(map[string]any)["recordCount"] != 3.0 {
		t.Errorf("group = %d %v", status, body)
	}
	if trackers, _ := body["eventTrackers"].([]any); len(trackers) != 1 || trackers[0].(map[string]any)["trackingId"] != s.trackingID {
		t.Errorf("group's trackers = %v", body["eventTrackers"])
	}

	status, body = c.get("api/dataset?arn=" + s.datasetARN)
	perMinute, _ := body["eventsPerMinute"].([]any)
	if status != 200 || body["recordCount"] != 3.0 || len(perMinute) != 60 || perMinute[59] != 3.0 {
		t.Errorf("dataset = %d %v", status, body)
	}
	if top, _ := body["topItems"].([]any); len(top) != 2 || top[0].(map[string]any)["itemId"] != "item-1" || top[0].(map[string]any)["count"] != 2.0 {
		t.Errorf("top items = %v", body["topItems"])
	}
	if top, _ := body["topEventTypes"].([]any); len(top) != 1 || top[0].(map[string]any)["eventType"] != "click" {
		t.Errorf("top event types = %v", body["topEventTypes"])
	}

	if _, body := c.get("api/records?eventType=click&datasetArn=" + s.datasetARN); len(body["records"].([]any)) != 3 {
		t.Errorf("records of type click = %v", body)
	}
	if _, body := c.get("api/records?eventType=view&datasetArn=" + s.datasetARN); len(body["records"].([]any)) != 0 {
		t.Errorf("records of type view = %v", body)
	}
	status, body = c.get("api/records?limit=2&datasetArn=" + s.datasetARN)
	records, _ := body["records"].([]any)
	if status != 200 || len(records) != 2 {
		t.Fatalf("records = %d %v", status, body)
	}
	if newest := records[0].(map[string]any); newest["eventId"] != "1" || newest["duplicate"] != true {
		t.Errorf("the newest record = %v, want eventId 1 marked a duplicate", newest)
	}
	if next := records[1].(map[string]any); next["eventId"] != "2" || next["duplicate"] != nil {
		t.Errorf("the second newest record = %v, want eventId 2", next)
	}

	// A refused call shows, with the member at fault.
	bad := strings.Replace(s.events("u1", "s1", "9"), `"eventType":"click"`, `"eventType":""`, 1)
	if status := s.putEvents(t, "", bad); status != 400 {
		t.Fatalf("PutEvents of an empty eventType = %d", status)
	}
	status, body = c.get("api/refused")
	refused, _ := body["refused"].([]any)
	if status != 200 || len(refused) != 1 {
		t.Fatalf("refused = %d %v", status, body)
	}
	if r := refused[0].(map[string]any); r["operation"] != "PutEvents" || r["status"] != 400.0 || r["errorType"] == "" || r["message"] == "" {
		t.Errorf("refusal = %v", r)
	}

	// try it goes through the API, which refuses an unknown campaign as it
	// would any client's call.
	status, body = c.do(http.MethodPost, "api/try", `{"operation":"GetRecommendations","input":{"campaignArn":"arn:aws:personalize:us-east-1:000000000000:campaign/none","userId":"u1"}}`, true)
	if status != 200 || body["status"] == 200.0 || body["error"] == nil {
		t.Errorf("try = %d %v", status, body)
	}
	if status, _ := c.do(http.MethodPost, "api/try", `{"operation":"DeleteDataset","input":{}}`, true); status != 400 {
		t.Errorf("try of a control-plane operation = %d, want 400", status)
	}
	if status, body := c.get("api/group?arn=arn:aws:personalize:us-east-1:000000000000:dataset-group/none"); status != 404 {
		t.Errorf("unknown group = %d %v", status, body)
	}
}

func TestConsoleLoginAndScoping(t *testing.T) {
	s := newServer(t, true)
	c := &client{t: t, base: s.console.URL}
	if status, body := c.get("api/groups"); status != 401 || body["error"] != "login required" {
		t.Errorf("groups without a login = %d %v", status, body)
	}
	if status, _ := c.do(http.MethodPost, "api/login", `{"accessKeyId":"AKIAAAAAAAAAAAAAAAAA","secretAccessKey":"secret-of-a"}`, false); status != 403 {
		t.Errorf("login without the CSRF header = %d, want 403", status)
	}
	if status, _ := c.do(http.MethodPost, "api/login", `{"accessKeyId":"AKIAAAAAAAAAAAAAAAAA","secretAccessKey":"wrong"}`, true); status != 401 || c.cookie != nil {
		t.Errorf("login with a wrong secret = %d, cookie %v", status, c.cookie)
	}
	status, body := c.do(http.MethodPost, "api/login", `{"accessKeyId":"AKIAAAAAAAAAAAAAAAAA","secretAccessKey":"secret-of-a"}`, true)
	if status != 200 || body["account"] != "111111111111" || c.cookie == nil {
		t.Fatalf("login = %d %v", status, body)
	}
	if !c.cookie.HttpOnly || c.cookie.SameSite != http.SameSiteStrictMode || len(c.cookie.Value) != 64 {
		t.Errorf("cookie = %+v", c.cookie)
	}
	if status, body := c.get("api/groups"); status != 200 || len(body["datasetGroups"].([]any)) != 1 {
		t.Errorf("groups of account a = %d %v", status, body)
	}
	// Account a's refusals: a PutEvents signed by a with a bad member.
	bad := strings.Replace(s.events("u1", "s1", "9"), `"eventType":"click"`, `"eventType":""`, 1)
	if status := s.putEvents(t, "AKIAAAAAAAAAAAAAAAAA", bad); status != 400 {
		t.Fatalf("PutEvents = %d", status)
	}
	if _, body := c.get("api/refused"); len(body["refused"].([]any)) != 1 {
		t.Errorf("refused of account a = %v", body)
	}

	// try it is signed as the session's key: the API authenticates it and
	// answers for account a (an unknown campaign, not a refused signature).
	status, body = c.do(http.MethodPost, "api/try", `{"operation":"GetRecommendations","input":{"campaignArn":"arn:aws:personalize:us-east-1:111111111111:campaign/none","userId":"u1"}}`, true)
	if e, _ := body["error"].(map[string]any); status != 200 || body["status"] != 404.0 || e["type"] != "ResourceNotFoundException" {
		t.Errorf("try signed as a = %d %v", status, body)
	}

	// A session never authorises the API.
	req, _ := http.NewRequest(http.MethodPost, s.api.URL+"/events", strings.NewReader(s.events("u1", "s1", "5")))
	req.AddCookie(c.cookie)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 403 && res.StatusCode != 400 {
		t.Errorf("the API with a console cookie = %v, %v", res.StatusCode, err)
	}

	b := &client{t: t, base: s.console.URL}
	if status, _ := b.do(http.MethodPost, "api/login", `{"accessKeyId":"AKIABBBBBBBBBBBBBBBB","secretAccessKey":"secret-of-b"}`, true); status != 200 {
		t.Fatalf("login of b = %d", status)
	}
	if _, body := b.get("api/groups"); len(body["datasetGroups"].([]any)) != 0 {
		t.Errorf("account b sees a's groups: %v", body)
	}
	if status, _ := b.get("api/group?arn=" + s.groupARN); status != 404 {
		t.Errorf("account b's view of a's group = %d, want 404", status)
	}
	if status, _ := b.get("api/records?datasetArn=" + s.datasetARN); status != 404 {
		t.Errorf("account b's records of a's dataset = %d, want 404", status)
	}
	if status, _ := b.get("api/tail?datasetArn=" + s.datasetARN); status != 404 {
		t.Errorf("account b's tail of a's dataset = %d, want 404", status)
	}
	if _, body := b.get("api/refused"); len(body["refused"].([]any)) != 0 {
		t.Errorf("account b sees a's refusals: %v", body)
	}

	if status, _ := c.do(http.MethodPost, "api/logout", "", true); status != 204 {
		t.Errorf("logout = %d", status)
	}
	if status, _ := c.get("api/groups"); status != 401 {
		t.Errorf("groups after logout = %d, want 401", status)
	}
}

// TestTail: a record put through the API reaches a tail within a
// second, duplicates marked, filters applied; a tail that does not read
// never slows the ingest path.
func TestTail(t *testing.T) {
	s := newServer(t, false)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.console.URL+console.Prefix+"api/tail?userId=u1&datasetArn="+s.datasetARN, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("tail = %v %v", res, err)
	}
	defer res.Body.Close()
	records := make(chan map[string]any, 10)
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var r map[string]any
				_ = json.Unmarshal([]byte(data), &r)
				records <- r
			}
		}
	}()
	// Subscribed once the stream's first comment is flushed; give the
	// handler the moment to register.
	time.Sleep(50 * time.Millisecond)
	s.putEvents(t, "", s.events("u2", "s9", "x"))
	start := time.Now()
	s.putEvents(t, "", s.events("u1", "s1", "a", "a"))
	for i, wantDup := range []bool{false, true} {
		select {
		case r := <-records:
			if r["eventId"] != "a" || r["userId"] != "u1" || (r["duplicate"] == true) != wantDup {
				t.Errorf("tailed record %d = %v", i, r)
			}
		case <-time.After(time.Second):
			t.Fatalf("no record %d tailed within a second", i)
		}
	}
	t.Logf("tailed in %v", time.Since(start))
}

func TestSlowTailDoesNotBlockIngest(t *testing.T) {
	s := newServer(t, false)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.console.URL+console.Prefix+"api/tail?datasetArn="+s.datasetARN, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close() // never read: a browser that stopped
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	for i := range 400 {
		if status := s.putEvents(t, "", s.events("u", "s", fmt.Sprint(i*10), fmt.Sprint(i*10+1), fmt.Sprint(i*10+2), fmt.Sprint(i*10+3),
			fmt.Sprint(i*10+4), fmt.Sprint(i*10+5), fmt.Sprint(i*10+6), fmt.Sprint(i*10+7), fmt.Sprint(i*10+8), fmt.Sprint(i*10+9))); status != 200 {
			t.Fatalf("PutEvents %d = %d", i, status)
		}
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("4,000 events beside a stalled tail took %v", d)
	}
}

func TestAssets(t *testing.T) {
	s := newServer(t, false)
	res, err := http.Get(s.console.URL + console.Prefix)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "<html") {
		t.Errorf("index = %d %.100s", res.StatusCode, body)
	}
}

// train trains a solution of recipeName on what the group holds, and
// serves its version in a campaign.
func (s *server) train(t *testing.T, recipeName string) *perch.Campaign {
	t.Helper()
	no := false
	sol, err := s.sols.CreateSolution(s.ctx, perch.CreateSolutionInput{Name: recipeName, GroupARN: s.groupARN,
		RecipeARN: solutions.RecipeARN(recipeName), PerformAutoTraining: &no})
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.sols.CreateSolutionVersion(s.ctx, perch.CreateSolutionVersionInput{SolutionARN: sol.ARN})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for perch.Training(v.Status) {
		if time.Now().After(deadline) {
			t.Fatalf("%s still %s", v.ARN, v.Status)
		}
		time.Sleep(20 * time.Millisecond)
		if v, err = s.sols.DescribeSolutionVersion(s.ctx, v.ARN); err != nil {
			t.Fatal(err)
		}
	}
	if v.Status != perch.StatusActive {
		t.Fatalf("%s: %s %s", recipeName, v.Status, v.FailureReason)
	}
	c, err := s.sols.CreateCampaign(s.ctx, perch.CreateCampaignInput{Name: recipeName, SolutionVersionARN: v.ARN})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestUserAndMetrics: with two trained recipes, a user's page holds their
// interactions oldest first and each campaign's answer for them (or its
// error), the metrics page both versions' metrics, and try it the
// runtime API's own answer.
func TestUserAndMetrics(t *testing.T) {
	s := newServer(t, false)
	data := recipe.Synthetic(recipe.DefaultSynthetic(60, 120, 1500, 3))
	byUser := map[string][]perch.Event{}
	for _, in := range data.Interactions {
		u := data.Users[in.User]
		byUser[u] = append(byUser[u], perch.Event{EventType: "click", ItemID: data.Items[in.Item], UserID: u, SessionID: "s-" + u,
			SentAt: perch.Timestamp(in.Time)})
	}
	for _, events := range byUser {
		for len(events) > 0 {
			n := min(len(events), 10)
			if err := s.ingest.PutEvents(s.ctx, s.trackingID, events[:n]); err != nil {
				t.Fatal(err)
			}
			events = events[n:]
		}
	}
	popular := s.train(t, recipe.PopularityCount)
	sims := s.train(t, recipe.Sims)
	c := &client{t: t, base: s.console.URL}

	user := data.Users[0]
	status, body := c.get("api/user?datasetGroupArn=" + s.groupARN + "&userId=" + user)
	if status != 200 {
		t.Fatalf("user = %d %v", status, body)
	}
	interactions, _ := body["interactions"].([]any)
	if want := min(len(byUser[user]), 200); len(interactions) != want {
		t.Errorf("%d interactions of %s, want %d", len(interactions), user, want)
	}
	for i := 1; i < len(interactions); i++ {
		if interactions[i].(map[string]any)["userId"] != user {
			t.Fatalf("interaction %d is another user's: %v", i, interactions[i])
		}
	}
	recs, _ := body["recommendations"].([]any)
	if len(recs) != 2 {
		t.Fatalf("recommendations = %v", body["recommendations"])
	}
	for _, r := range recs {
		r := r.(map[string]any)
		items, _ := r["itemList"].([]any)
		switch r["campaignArn"] {
		case popular.ARN:
			if len(items) != 10 || r["error"] != nil {
				t.Errorf("popularity's answer = %v", r)
			}
		case sims.ARN:
			// SIMS needs an itemId: the campaign says so rather than
			// hiding the other.
			if len(items) != 0 || !strings.Contains(fmt.Sprint(r["error"]), "InvalidInput") {
				t.Errorf("SIMS's answer without an item = %v", r)
			}
		default:
			t.Errorf("an answer of no campaign: %v", r)
		}
	}

	status, body = c.get("api/metrics?datasetGroupArn=" + s.groupARN)
	versions, _ := body["solutionVersions"].([]any)
	if status != 200 || len(versions) != 2 {
		t.Fatalf("metrics = %d %v", status, body)
	}
	for _, v := range versions {
		v := v.(map[string]any)
		if m, _ := v["metrics"].(map[string]any); len(m) == 0 || v["status"] != perch.StatusActive || v["solutionName"] == "" {
			t.Errorf("metrics of a version = %v", v)
		}
	}

	status, body = c.do(http.MethodPost, "api/try", fmt.Sprintf(`{"operation":"GetRecommendations","input":{"campaignArn":%q,"userId":%q,"numResults":3}}`,
		popular.ARN, user), true)
	response, _ := body["response"].(map[string]any)
	if list, _ := response["itemList"].([]any); status != 200 || body["status"] != 200.0 || len(list) != 3 {
		t.Errorf("try = %d %v", status, body)
	}
	status, body = c.do(http.MethodPost, "api/try", fmt.Sprintf(`{"operation":"GetRecommendations","input":{"campaignArn":%q,"userId":%q,"numResults":1000}}`,
		popular.ARN, user), true)
	if e, _ := body["error"].(map[string]any); status != 200 || body["status"] != 400.0 || e["type"] != "InvalidInputException" {
		t.Errorf("try with numResults 1000 = %d %v", status, body)
	}
	if status, body := c.get("api/group?arn=" + s.groupARN); status != 200 || len(body["solutions"].([]any)) != 2 || len(body["campaigns"].([]any)) != 2 {
		t.Errorf("group = %d %v", status, body)
	}
}

// TestRefusals: each call refuses what it cannot answer with the status
// and {"error":...} the front end shows.
func TestRefusals(t *testing.T) {
	s := newServer(t, false)
	c := &client{t: t, base: s.console.URL}
	missing := "arn:aws:personalize:us-east-1:000000000000:dataset/none/INTERACTIONS"
	for _, tt := range []struct {
		method, path, body string
		csrf               bool
		want               int
	}{
		{"GET", "api/group", "", false, 400},
		{"GET", "api/group?arn=arn:aws:personalize:us-east-1:000000000000:dataset-group/none", "", false, 404},
		{"GET", "api/dataset", "", false, 400},
		{"GET", "api/dataset?arn=" + missing, "", false, 404},
		{"GET", "api/records?datasetArn=" + s.datasetARN + "&limit=0", "", false, 400},
		{"GET", "api/records?datasetArn=" + s.datasetARN + "&limit=x", "", false, 400},
		{"GET", "api/records?datasetArn=" + missing, "", false, 404},
		{"GET", "api/tail", "", false, 400},
		{"GET", "api/refused?limit=-1", "", false, 400},
		{"GET", "api/user?datasetGroupArn=" + s.groupARN, "", false, 400},
		{"GET", "api/metrics", "", false, 400},
		{"GET", "api/nothing", "", false, 404},
		{"POST", "api/groups", "", true, 405},
		{"GET", "api/try", "", false, 405},
		{"POST", "api/try", `{"operation":"GetRecommendations","input":{}}`, false, 403},
		{"POST", "api/try", `not json`, true, 400},
		{"POST", "api/try", `{"operation":"PutEvents","input":{}}`, true, 400},
		{"PUT", "", "", false, 405},
	} {
		status, body := c.do(tt.method, tt.path, tt.body, tt.csrf)
		if status != tt.want || (tt.path != "" && body["error"] == nil) {
			t.Errorf("%s %s = %d %v, want %d and an error", tt.method, tt.path, status, body, tt.want)
		}
	}
}

// TestOnPostgreSQL: the counts, the newest records and the tail's
// duplicate marks on the shared store, which settles duplicates as it
// writes.
func TestOnPostgreSQL(t *testing.T) {
	s := newServerOn(t, false, func(scope perch.Scope) (context.Context, perch.Store, *catalog.Catalog) {
		ctx := perch.WithAccount(t.Context(), scope.Account)
		store, err := postgres.Open(ctx, pgtest.Database(t), postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		cat, err := catalog.Open(ctx, store.Resources(), scope, catalog.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cat.Close)
		return ctx, store, cat
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.console.URL+console.Prefix+"api/tail?datasetArn="+s.datasetARN, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	records := make(chan map[string]any, 10)
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var r map[string]any
				_ = json.Unmarshal([]byte(data), &r)
				records <- r
			}
		}
	}()
	time.Sleep(50 * time.Millisecond)
	if status := s.putEvents(t, "", s.events("u1", "s1", "1", "2")); status != 200 {
		t.Fatalf("PutEvents = %d", status)
	}
	if status := s.putEvents(t, "", s.events("u1", "s1", "1")); status != 200 {
		t.Fatalf("PutEvents = %d", status)
	}
	for i, want := range []string{"1", "2", "1(dup)"} {
		select {
		case r := <-records:
			got := fmt.Sprint(r["eventId"])
			if r["duplicate"] == true {
				got += "(dup)"
			}
			if got != want {
				t.Errorf("tailed record %d = %s, want %s", i, got, want)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("no record %d tailed", i)
		}
	}
	c := &client{t: t, base: s.console.URL}
	if _, body := c.get("api/dataset?arn=" + s.datasetARN); body["recordCount"] != 3.0 {
		t.Errorf("dataset = %v", body)
	}
	_, body := c.get("api/records?datasetArn=" + s.datasetARN)
	if records, _ := body["records"].([]any); len(records) != 3 || records[0].(map[string]any)["duplicate"] != true {
		t.Errorf("records = %v", body)
	}
}
