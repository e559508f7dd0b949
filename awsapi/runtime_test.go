package awsapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents"
	etypes "github.com/aws/aws-sdk-go-v2/service/personalizeevents/types"
	"github.com/aws/aws-sdk-go-v2/service/personalizeruntime"
	rtypes "github.com/aws/aws-sdk-go-v2/service/personalizeruntime/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/perchdev/perch"
)

var ridPattern = regexp.MustCompile(`^RID-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// wantItems checks, member by member, the items the SDK read against the
// recommender's.
func wantItems(t *testing.T, got []rtypes.PredictedItem, want []perch.RecommendedItem) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d items, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if aws.ToString(g.ItemId) != w.ItemID || (g.Score == nil) != (w.Score == nil) || g.Score != nil && *g.Score != *w.Score ||
			aws.ToString(g.PromotionName) != w.PromotionName || (g.PromotionName == nil) != (w.PromotionName == "") {
			t.Errorf("item %d = %+v, want %+v", i, g, w)
		}
		wantEqual(t, fmt.Sprintf("item %d metadata", i), g.Metadata, w.Metadata)
		wantEqual(t, fmt.Sprintf("item %d reason", i), g.Reason, w.Reason)
	}
}

func TestRuntimeThroughTheSDK(t *testing.T) {
	e, r := newRecommenderEnv(t)
	ctx := context.Background()
	s := aws.String

	out, err := e.runtime.GetRecommendations(ctx, &personalizeruntime.GetRecommendationsInput{
		CampaignArn: s(campaignARN), RecommenderArn: s("arn:aws:personalize:us-west-2:123456789012:recommender/r"),
		UserId: s("u1"), ItemId: s("i9"), NumResults: 7,
		Context:         map[string]string{"DEVICE": "mobile phone", "TIME_OF_DAY": "noon"},
		FilterArn:       s(filterARN),
		FilterValues:    map[string]string{"GENRES": `"drama","comedy"`},
		MetadataColumns: map[string][]string{"ITEMS": {"GENRE", "PRICE"}},
		Promotions: []rtypes.Promotion{{
			Name: s("summer"), PercentPromotedItems: aws.Int32(20), FilterArn: s(filterARN + "-2"),
			FilterValues: map[string]string{"SEASON": `"summer"`},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantArgs(t, r, "GetRecommendations", perch.RecommendationsInput{
		CampaignARN: campaignARN, RecommenderARN: "arn:aws:personalize:us-west-2:123456789012:recommender/r",
		UserID: "u1", ItemID: "i9", NumResults: 7,
		Context:         map[string]string{"DEVICE": "mobile phone", "TIME_OF_DAY": "noon"},
		FilterARN:       filterARN,
		FilterValues:    map[string]string{"GENRES": `"drama","comedy"`},
		MetadataColumns: map[string][]string{"ITEMS": {"GENRE", "PRICE"}},
		Promotions: []perch.Promotion{{
			Name: "summer", PercentPromotedItems: 20, FilterARN: filterARN + "-2", FilterValues: map[string]string{"SEASON": `"summer"`},
		}},
	})
	wantItems(t, out.ItemList, r.recommendations.Items)
	if aws.ToString(out.RecommendationId) != r.recommendations.RecommendationID {
		t.Errorf("recommendationId = %v", out.RecommendationId)
	}

	// What is absent reaches the runtime as absent: numResults 0, for its
	// default.
	if _, err := e.runtime.GetRecommendations(ctx, &personalizeruntime.GetRecommendationsInput{CampaignArn: s(campaignARN), UserId: s("u1")}); err != nil {
		t.Fatal(err)
	}
	wantArgs(t, r, "GetRecommendations", perch.RecommendationsInput{CampaignARN: campaignARN, UserID: "u1"})

	ranked, err := e.runtime.GetPersonalizedRanking(ctx, &personalizeruntime.GetPersonalizedRankingInput{
		CampaignArn: s(campaignARN), UserId: s("u2"), InputList: []string{"i3", "i1", "i2"},
		Context: map[string]string{"DEVICE": "tv"}, FilterArn: s(filterARN), FilterValues: map[string]string{"X": "1"},
		MetadataColumns: map[string][]string{"ITEMS": {"GENRE"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantArgs(t, r, "GetPersonalizedRanking", perch.RankingInput{
		CampaignARN: campaignARN, UserID: "u2", InputList: []string{"i3", "i1", "i2"},
		Context: map[string]string{"DEVICE": "tv"}, FilterARN: filterARN, FilterValues: map[string]string{"X": "1"},
		MetadataColumns: map[string][]string{"ITEMS": {"GENRE"}},
	})
	wantItems(t, ranked.PersonalizedRanking, r.recommendations.Items)
	if aws.ToString(ranked.RecommendationId) != r.recommendations.RecommendationID {
		t.Errorf("recommendationId = %v", ranked.RecommendationId)
	}
	if _, err := e.runtime.GetPersonalizedRanking(ctx, &personalizeruntime.GetPersonalizedRankingInput{
		CampaignArn: s(campaignARN), UserId: s("u2"), InputList: []string{},
	}); err != nil {
		t.Fatal(err)
	}
	wantArgs(t, r, "GetPersonalizedRanking", perch.RankingInput{CampaignARN: campaignARN, UserID: "u2", InputList: []string{}})

	// Scores JSON has no number for still reach the SDK.
	nan, inf := math.NaN(), math.Inf(-1)
	r.recommendations.Items = []perch.RecommendedItem{{ItemID: "n", Score: &nan}, {ItemID: "i", Score: &inf}}
	out, err = e.runtime.GetRecommendations(ctx, &personalizeruntime.GetRecommendationsInput{CampaignArn: s(campaignARN), UserId: s("u1")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ItemList) != 2 || !math.IsNaN(aws.ToFloat64(out.ItemList[0].Score)) || !math.IsInf(aws.ToFloat64(out.ItemList[1].Score), -1) {
		t.Errorf("non-finite scores read as %+v", out.ItemList)
	}
}

// postRuntime sends a runtime request as is and returns the answer.
func postRuntime(t *testing.T, url, path, body string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Post(url+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, raw
}

// TestRuntimeAnswerJSON checks the answer's bytes: AWS's members in AWS's
// order, score only where the runtime gives one, the other members only
// when set, a recommendation id always.
func TestRuntimeAnswerJSON(t *testing.T) {
	e, r := newRecommenderEnv(t)
	body := `{"campaignArn":"` + campaignARN + `","userId":"u1","inputList":["i1"]}`
	items := `[{"itemId":"i1","score":0.1730128,"promotionName":"promo","metadata":{"GENRE":"drama","PRICE":"9.5"},"reason":["Promoted item"]},` +
		`{"itemId":"i2","score":0.0152238},{"itemId":"i3"}]`
	for path, want := range map[string]string{
		"/recommendations":     `{"itemList":` + items + `,"recommendationId":"RID-279bc670-9f3a-4633-b670-1183fd50c323"}`,
		"/personalize-ranking": `{"personalizedRanking":` + items + `,"recommendationId":"RID-279bc670-9f3a-4633-b670-1183fd50c323"}`,
	} {
		resp, raw := postRuntime(t, e.url, path, body)
		if resp.StatusCode != http.StatusOK || string(raw) != want {
			t.Errorf("%s: %s\n%s\nwant\n%s", path, resp.Status, raw, want)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", path, ct)
		}
		if resp.Header.Get("x-amzn-RequestId") == "" {
			t.Errorf("%s: no request id", path)
		}
	}
	shapes := loadShapes(t, "model/personalize-runtime.json")
	for op, path := range map[string]string{"GetRecommendations": "/recommendations", "GetPersonalizedRanking": "/personalize-ranking"} {
		_, raw := postRuntime(t, e.url, path, body)
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var answer any
		if err := dec.Decode(&answer); err != nil {
			t.Fatal(err)
		}
		shapes.conforms(t, shapes.output(t, op), answer, op)
	}

	// An empty answer is an empty list; a runtime that gives no id gets
	// one.
	r.recommendations = perch.Recommendations{}
	resp, raw := postRuntime(t, e.url, "/recommendations", body)
	var answer struct {
		ItemList         []any   `json:"itemList"`
		RecommendationID string  `json:"recommendationId"`
		Other            *string `json:"personalizedRanking"`
	}
	if err := json.Unmarshal(raw, &answer); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %v", resp.Status, raw, err)
	}
	if !strings.HasPrefix(string(raw), `{"itemList":[],"recommendationId":"RID-`) || !ridPattern.MatchString(answer.RecommendationID) {
		t.Errorf("empty answer %s", raw)
	}

	// Whatever the strings, the answer is JSON that reads back as them.
	odd := []string{"quote\" backslash\\ slash/", "\x00\x01\x1f\x7f\t\n\r", "é中\U0001F600\u2028", "<html>&amp;", "bad \xff\xfe utf-8"}
	r.recommendations = perch.Recommendations{RecommendationID: odd[0]}
	for _, s := range odd {
		r.recommendations.Items = append(r.recommendations.Items, perch.RecommendedItem{
			ItemID: s, PromotionName: s, Metadata: map[string]string{s: s}, Reason: []string{s, s},
		})
	}
	_, raw = postRuntime(t, e.url, "/recommendations", body)
	var back struct {
		ItemList []struct {
			ItemID        string            `json:"itemId"`
			PromotionName string            `json:"promotionName"`
			Metadata      map[string]string `json:"metadata"`
			Reason        []string          `json:"reason"`
		} `json:"itemList"`
		RecommendationID string `json:"recommendationId"`
	}
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatalf("answer %q: %v", raw, err)
	}
	for i, s := range odd {
		want := s
		if i == 4 {
			want = "bad \ufffd\ufffd utf-8"
		}
		it := back.ItemList[i]
		if it.ItemID != want || it.PromotionName != want || it.Metadata[want] != want || len(it.Reason) != 2 || it.Reason[1] != want {
			t.Errorf("item %d read back as %+v, want %q", i, it, want)
		}
	}
	if back.RecommendationID != odd[0] {
		t.Errorf("recommendationId read back as %q", back.RecommendationID)
	}
}

// TestRuntimeValidationThroughTheSDK checks the runtime requests' model
// violations as the SDK sees them: InvalidInputException, 400, worded as
// AWS words them, and the runtime not called.
func TestRuntimeValidationThroughTheSDK(t *testing.T) {
	e, r := newRecommenderEnv(t)
	ctx := context.Background()
	s := aws.String
	// Without the SDK's check of required members, where an operation
	// has any, so that what a client without one sends reaches the server.
	rt := e.runtimeClient(testKey, func(o *personalizeruntime.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			stack.Initialize.Remove("OperationInputValidation")
			return nil
		})
	})
	for _, c := range []struct {
		name string
		call func() error
		want string
	}{
		{"required members of GetPersonalizedRanking", func() error {
			_, err := rt.GetPersonalizedRanking(ctx, &personalizeruntime.GetPersonalizedRankingInput{})
			return err
		}, "3 validation errors detected: Value null at 'campaignArn' failed to satisfy constraint: Member must not be null; " +
			"Value null at 'inputList' failed to satisfy constraint: Member must not be null; " +
			"Value null at 'userId' failed to satisfy constraint: Member must not be null"},
		{"numResults", func() error {
			_, err := rt.GetRecommendations(ctx, &personalizeruntime.GetRecommendationsInput{CampaignArn: s(campaignARN), UserId: s("u"), NumResults: -1})
			return err
		}, "1 validation error detected: Value '-1' at 'numResults' failed to satisfy constraint: Member must have value greater than or equal to 0"},
		{"campaignArn pattern", func() error {
			_, err := rt.GetRecommendations(ctx, &personalizeruntime.GetRecommendationsInput{CampaignArn: s("campaign/shop-live"), UserId: s("u")})
			return err
		}, `1 validation error detected: Value 'campaign/shop-live' at 'campaignArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:([a-z\d-]+):personalize:.*:.*:.+`},
		{"too many promotions", func() error {
			_, err := rt.GetRecommendations(ctx, &personalizeruntime.GetRecommendationsInput{CampaignArn: s(campaignARN), UserId: s("u"),
				Promotions: []rtypes.Promotion{{Name: s("a")}, {Name: s("b")}}})
			return err
		}, "1 validation error detected: Value at 'promotions' failed to satisfy constraint: Member must have length less than or equal to 1"},
		{"promotion", func() error {
			_, err := rt.GetRecommendations(ctx, &personalizeruntime.GetRecommendationsInput{CampaignArn: s(campaignARN), UserId: s("u"),
				Promotions: []rtypes.Promotion{{Name: s("_summer"), PercentPromotedItems: aws.Int32(0)}}})
			return err
		}, `2 validation errors detected: Value '_summer' at 'promotions.1.member.name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9][a-zA-Z0-9\-_]*; ` +
			"Value '0' at 'promotions.1.member.percentPromotedItems' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"context keys, values withheld", func() error {
			_, err := rt.GetPersonalizedRanking(ctx, &personalizeruntime.GetPersonalizedRankingInput{CampaignArn: s(campaignARN), UserId: s("u"),
				InputList: []string{"i"}, Context: map[string]string{"DEVICE TYPE": "secret"}})
			return err
		}, `1 validation error detected: Value at 'context' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 150, Member must satisfy regular expression pattern: [A-Za-z\d_]+]`},
		{"filter values withheld", func() error {
			_, err := rt.GetRecommendations(ctx, &personalizeruntime.GetRecommendationsInput{CampaignArn: s(campaignARN), UserId: s("u"),
				FilterValues: map[string]string{"GENRE": strings.Repeat("x", 1001)}})
			return err
		}, "1 validation error detected: Value at 'filterValues' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 1000]"},
		{"metadata columns", func() error {
			_, err := rt.GetRecommendations(ctx, &personalizeruntime.GetRecommendationsInput{CampaignArn: s(campaignARN), UserId: s("u"),
				MetadataColumns: map[string][]string{"ITEMS": {"A"}, "USERS": {"B"}}})
			return err
		}, "1 validation error detected: Value '{ITEMS=[A], USERS=[B]}' at 'metadataColumns' failed to satisfy constraint: Member must have length less than or equal to 1"},
		{"inputList elements", func() error {
			_, err := rt.GetPersonalizedRanking(ctx, &personalizeruntime.GetPersonalizedRankingInput{CampaignArn: s(campaignARN), UserId: s("u"),
				InputList: []string{"i1", strings.Repeat("i", 257)}})
			return err
		}, "1 validation error detected: Value '" + strings.Repeat("i", 257) + "' at 'inputList.2.member' failed to satisfy constraint: Member must have length less than or equal to 256"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r.mu.Lock()
			clear(r.calls)
			r.mu.Unlock()
			err := c.call()
			wantAPIError(t, err, "InvalidInputException", http.StatusBadRequest)
			var iie *rtypes.InvalidInputException
			if !errors.As(err, &iie) {
				t.Fatalf("the SDK did not type %v", err)
			}
			// A map is printed in the order of the body, and the Go SDK
			// sends a map's entries in Go's random order.
			want := []string{c.want, strings.Replace(c.want, "{ITEMS=[A], USERS=[B]}", "{USERS=[B], ITEMS=[A]}", 1)}
			if !slices.Contains(want, iie.ErrorMessage()) {
				t.Errorf("message\n%s\nwant\n%s", iie.ErrorMessage(), c.want)
			}
			for _, op := range []string{"GetRecommendations", "GetPersonalizedRanking"} {
				if c, ok := r.last(op); ok {
					t.Errorf("the runtime was called: %s%v", op, c.args)
				}
			}
		})
	}

	// A body of the wrong JSON types is a SerializationException.
	resp, raw := postRuntime(t, e.url, "/recommendations", `{"campaignArn":"`+campaignARN+`","numResults":"25"}`)
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Amzn-ErrorType") != "SerializationException" ||
		string(raw) != `{"__type":"SerializationException","message":"Unexpected JSON string at 'numResults', expected an integer"}`+"\n" {
		t.Errorf("%s %v %s", resp.Status, resp.Header, raw)
	}
}

// TestRuntimeErrors checks the runtime's errors as clients see them: a
// ResourceNotFoundException is 404 on the runtime, as its model says.
func TestRuntimeErrors(t *testing.T) {
	e, r := newRecommenderEnv(t)
	ctx := context.Background()
	in := &personalizeruntime.GetRecommendationsInput{CampaignArn: aws.String(campaignARN), UserId: aws.String("u")}

	r.failWith("GetRecommendations", perch.Errorf(perch.EResourceNotFound, "Campaign %s does not exist.", campaignARN))
	_, err := e.runtime.GetRecommendations(ctx, in)
	wantAPIError(t, err, "ResourceNotFoundException", http.StatusNotFound, "does not exist")
	var rnf *rtypes.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Errorf("the SDK did not type %v", err)
	}
	r.failWith("GetPersonalizedRanking", perch.Errorf(perch.EResourceNotFound, "Filter %s does not exist.", filterARN))
	_, err = e.runtime.GetPersonalizedRanking(ctx, &personalizeruntime.GetPersonalizedRankingInput{
		CampaignArn: aws.String(campaignARN), UserId: aws.String("u"), InputList: []string{"i"}})
	wantAPIError(t, err, "ResourceNotFoundException", http.StatusNotFound, filterARN)

	r.failWith("GetRecommendations", perch.Errorf(perch.EInvalidInput, "Campaign %s is not ACTIVE.", campaignARN))
	_, err = e.runtime.GetRecommendations(ctx, in)
	wantAPIError(t, err, "InvalidInputException", http.StatusBadRequest, "is not ACTIVE")
	var iie *rtypes.InvalidInputException
	if !errors.As(err, &iie) {
		t.Errorf("the SDK did not type %v", err)
	}

	// The raw envelope is rest-json's: the code in the header and the body.
	resp, raw := postRuntime(t, e.url, "/recommendations", `{"campaignArn":"`+campaignARN+`"}`)
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Amzn-ErrorType") != "InvalidInputException" ||
		resp.Header.Get("Content-Type") != "application/json" ||
		string(raw) != `{"__type":"InvalidInputException","message":"Campaign `+campaignARN+` is not ACTIVE."}`+"\n" {
		t.Errorf("%s %v %s", resp.Status, resp.Header, raw)
	}

	r.failWith("GetRecommendations", errors.New("disk on fire"))
	_, err = e.runtime.GetRecommendations(ctx, in)
	wantAPIError(t, err, "InternalFailure", http.StatusInternalServerError)
	if strings.Contains(err.Error(), "fire") {
		t.Errorf("an internal error's detail reached the client: %v", err)
	}
}

// TestRuntimeRoutes checks what is not served: GetActionRecommendations
// by a runtime that does not recommend actions (serving's does), other
// methods, and the whole runtime API of a server without a runtime.
func TestRuntimeRoutes(t *testing.T) {
	e, _ := newRecommenderEnv(t)
	ctx := context.Background()
	_, err := e.runtime.GetActionRecommendations(ctx, &personalizeruntime.GetActionRecommendationsInput{
		CampaignArn: aws.String(campaignARN), UserId: aws.String("u")})
	wantAPIError(t, err, "UnknownOperationException", http.StatusBadRequest,
		"Operation GetActionRecommendations (POST /action-recommendations) is not supported by this endpoint")

	for _, method := range []string{http.MethodGet, http.MethodPut} {
		req, _ := http.NewRequest(method, e.url+"/recommendations", strings.NewReader("{}"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("X-Amzn-ErrorType") != "UnknownOperationException" {
			t.Errorf("%s /recommendations: %s %s", method, resp.Status, resp.Header.Get("X-Amzn-ErrorType"))
		}
	}

	bare := newEnv(t)
	_, err = bare.runtime.GetRecommendations(ctx, &personalizeruntime.GetRecommendationsInput{CampaignArn: aws.String(campaignARN)})
	wantAPIError(t, err, "UnknownOperationException", http.StatusNotFound, "POST /recommendations is not an operation of this endpoint")
	_, err = bare.runtime.GetPersonalizedRanking(ctx, &personalizeruntime.GetPersonalizedRankingInput{
		CampaignArn: aws.String(campaignARN), UserId: aws.String("u"), InputList: []string{"i"}})
	wantAPIError(t, err, "UnknownOperationException", http.StatusNotFound)
}

// TestRuntimeAuthentication checks that the runtime's calls are signed
// like every other: refused without a valid signature, in the runtime's
// envelope, and served for the account of the key that signed them.
func TestRuntimeAuthentication(t *testing.T) {
	e, _ := newSignedEnv(t)
	e.recommender = newRecommender()
	e.restart()
	r := e.recommender
	ctx := context.Background()
	in := &personalizeruntime.GetRecommendationsInput{CampaignArn: aws.String(campaignARN), UserId: aws.String("u")}

	_, err := e.runtimeClient(aws.Credentials{AccessKeyID: "AKIDNOBODY", SecretAccessKey: "x"}).GetRecommendations(ctx, in)
	wantAPIError(t, err, "UnrecognizedClientException", http.StatusForbidden)
	_, err = e.runtimeClient(aws.Credentials{AccessKeyID: testKey.AccessKeyID, SecretAccessKey: "wrong"}).GetRecommendations(ctx, in)
	wantAPIError(t, err, "InvalidSignatureException", http.StatusForbidden)
	if _, ok := r.last("GetRecommendations"); ok {
		t.Fatal("the runtime was called for a request refused")
	}

	// Every runtime path, served or not, needs a signature before it says
	// anything else.
	for _, path := range []string{"/recommendations", "/personalize-ranking", "/action-recommendations"} {
		resp, raw := postRuntime(t, e.url, path, `{}`)
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-ErrorType") != "MissingAuthenticationTokenException" ||
			resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("unsigned %s: %s %v %s", path, resp.Status, resp.Header, raw)
		}
	}

	if _, err := e.runtimeClient(otherKey).GetRecommendations(ctx, in); err != nil {
		t.Fatal(err)
	}
	if c, _ := r.last("GetRecommendations"); c.account != otherAccount {
		t.Errorf("a call signed by the other account's key acted for %q", c.account)
	}
	if _, err := e.runtime.GetRecommendations(ctx, in); err != nil {
		t.Fatal(err)
	}
	if c, _ := r.last("GetRecommendations"); c.account != testAccount {
		t.Errorf("a call signed by testKey acted for %q", c.account)
	}
}

// TestRuntimeAdmission checks the admission of runtime calls: the checks
// of the header section apply to them as to every call, and the in-flight
// bound of events calls does not: with every place taken by events calls,
// recommendations are still served.
func TestRuntimeAdmission(t *testing.T) {
	e := newEnv(t)
	e.maxInFlight = 1
	e.recommender = newRecommender()
	e.restart()
	g := e.makeGroup("admission")
	ctx := context.Background()

	req, _ := http.NewRequest(http.MethodPost, e.url+"/recommendations", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType || resp.Header.Get("X-Amzn-ErrorType") != "UnsupportedMediaTypeException" {
		t.Errorf("a text body: %s %s", resp.Status, resp.Header.Get("X-Amzn-ErrorType"))
	}

	// One events call holds the only place: its headers and half its body
	// are sent.
	body := fmt.Sprintf(`{"trackingId":%q,"sessionId":"s","eventList":[{"eventType":"click","sentAt":1700000000}]}`, g.trackingID)
	addr := strings.TrimPrefix(e.url, "http://")
	held, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	fmt.Fprintf(held, "POST /events HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", addr, len(body), body[:len(body)/2])
	events := personalizeevents.New(personalizeevents.Options{
		Region: testRegion, BaseEndpoint: aws.String(e.url), Retryer: aws.NopRetryer{},
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return testKey, nil }),
	})
	eventually(t, "the events call to hold the place", func() bool {
		_, err := events.PutEvents(ctx, &personalizeevents.PutEventsInput{
			TrackingId: aws.String("00000000-0000-0000-0000-000000000000"), SessionId: aws.String("s"),
			EventList: []etypes.Event{{EventType: aws.String("click"), SentAt: aws.Time(time.Unix(1700000000, 0))}},
		})
		var apiErr smithy.APIError
		return errors.As(err, &apiErr) && apiErr.ErrorCode() == "ThrottlingException"
	})

	for range 3 {
		if _, err := e.runtime.GetRecommendations(ctx, &personalizeruntime.GetRecommendationsInput{
			CampaignArn: aws.String(campaignARN), UserId: aws.String("u")}); err != nil {
			t.Fatalf("a runtime call while events calls hold every place: %v", err)
		}
	}

	if _, err := io.WriteString(held, body[len(body)/2:]); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(held), nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("the held call: HTTP %d", res.StatusCode)
	}
}

// TestRuntimeWireVariants sends a runtime call in each of the wire forms
// clients use.
func TestRuntimeWireVariants(t *testing.T) {
	e, _ := newRecommenderEnv(t)
	for _, v := range wireVariants {
		resp := v.send(t, e.url+"/recommendations", http.Header{"Content-Type": {"application/json"}},
			[]byte(`{"campaignArn":"`+campaignARN+`","userId":"u"}`))
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(raw, []byte(`{"itemList":[{"itemId":"i1"`)) {
			t.Errorf("%s: %s %s", v.name, resp.Status, raw)
		}
	}
}
