package compat_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Paws, the AWS SDK for Perl, runs in the suite twice. The client "paws"
// is Paws itself (drivers/paws_driver.pl), when PAWS_LIB names a directory
// holding it (see compat/README.md): CPAN is out of reach of CI, so there
// it is skipped. The client "paws-wire" always runs: it sends, over raw
// HTTP, the requests Paws 0.46 was seen to send to perch, byte for byte
// but for ids, signatures and member order (Perl orders a hash's members
// at random in each process):
//
//	POST /events
//	Authorization: AWS4-HMAC-SHA256 Credential=.../personalize/aws4_request,SignedHeaders=date;host;x-amz-content-sha256;x-amz-date,Signature=...
//	X-Amz-Content-Sha256: <hex SHA-256 of the body>
//	User-Agent: AWS Perl SDK 0.46
//	X-Amz-Date: 20261207T040042Z
//	Content-Type: application/octet-stream
//	Date: 20261207T040042Z
//
//	{"trackingId":"...","eventList":[{"impression":[...],"properties":"{...}","itemId":"...","eventValue":4.5,
//	 "eventType":"click","sentAt":"2023-11-14T22:13:20.125","recommendationId":"...","eventId":"..."},
//	 {"itemId":"...","eventId":"...","sentAt":"1700000001","eventType":"view"}],"sessionId":"...","userId":"..."}
//
// Paws types timestamps as strings and sends its caller's text: the
// ISO 8601 form of its documentation, or Unix time in digits. Both
// clients send the first record of a list in the first form and the
// others in the second.

// pawsLacks are the operations Paws 0.46 has no method for: AWS added them
// after its release.
var pawsLacks = []string{"PutActions", "PutActionInteractions"}

// pawsMissing says why real Paws cannot run: PAWS_LIB does not name a
// directory with Paws in it.
func pawsMissing() string {
	lib := os.Getenv("PAWS_LIB")
	if lib == "" {
		return "PAWS_LIB is not set: Paws is on CPAN only, out of reach here; compat/README.md says how to assemble it and run it"
	}
	if _, err := os.Stat(lib + "/Paws.pm"); err != nil {
		return fmt.Sprintf("PAWS_LIB=%s has no Paws.pm: %v", lib, err)
	}
	return ""
}

// runPaws runs the Perl driver with Paws from PAWS_LIB.
func runPaws(ctx context.Context, p *plan) (string, []result, error) {
	return script("perl", "-I"+os.Getenv("PAWS_LIB"), "drivers/paws_driver.pl")(ctx, p)
}

// pawsAdapt drops metricAttribution, which Paws 0.46's Event does not have:
// Paws refuses the argument before sending anything.
func pawsAdapt(s *step) string {
	events, _ := s.Input["eventList"].([]any)
	changed := false
	for _, e := range events {
		if m, ok := e.(map[string]any); ok && m["metricAttribution"] != nil {
			delete(m, "metricAttribution")
			changed = true
		}
	}
	if !changed {
		return ""
	}
	return "events sent without metricAttribution: Paws 0.46's Event has no such member (AWS added it later)"
}

// pawsSteps are the calls only Paws makes: the seed document's PutEvents
// example as it is written, and, for the wire client, a request sent
// without a signature, which Paws sends with its anonymous credentials.
func pawsSteps(n names) []*step {
	seed := &step{ID: "put-events-paws-seed", API: apiEvents, Op: "PutEvents", Case: "happy", Variant: "seed",
		marker: n.id("paws-seed-session"), only: []string{"paws", "paws-wire"},
		Input: map[string]any{"trackingId": "${trackingId}", "sessionId": n.id("paws-seed-session"), "userId": n.id("paws-seed-user"),
			"eventList": []any{map[string]any{
				"eventType": "click", "sentAt": 3600.0, "eventId": n.id("paws-seed-event"), "eventValue": 1.0,
				"impression": []any{n.id("paws-seed-item")}, "itemId": n.id("paws-seed-item"),
				"properties": `{"device": "phone"}`, "recommendationId": n.id("paws-seed-rec"),
			}}}}
	unsigned := &step{ID: "put-events-paws-unsigned", API: apiEvents, Op: "PutEvents", Case: "happy", Variant: "unsigned",
		marker: n.id("paws-unsigned-session"), only: []string{"paws-wire"},
		Input: map[string]any{"trackingId": "${trackingId}", "sessionId": n.id("paws-unsigned-session"), "userId": n.id("paws-unsigned-user"),
			"eventList": []any{
				map[string]any{"eventType": "click", "sentAt": 1700000000.5, "eventId": n.id("paws-unsigned-1"), "itemId": n.id("item-1")},
				map[string]any{"eventType": "view", "sentAt": 1700000001.0, "eventId": n.id("paws-unsigned-2"), "itemId": n.id("item-2")},
			}}}
	return []*step{seed, unsigned}
}

// runPawsWire sends each step as Paws sends it and reads the answer as
// Paws reads it.
func runPawsWire(ctx context.Context, p *plan) (string, []result, error) {
	var results []result
	for _, s := range p.Steps {
		r := result{ID: s.ID}
		path := ""
		for p, op := range restPaths {
			if op == s.Op {
				path = p
			}
		}
		input, err := substitute(clone(s.Input), p.Vars)
		switch {
		case err != nil:
			r.Status, r.Detail = "fail", err.Error()
		case slices.Contains(pawsLacks, s.Op):
			r.Status, r.Detail = "lacks", "Paws 0.46 has no "+s.Op+" method: Paws::PersonalizeEvents->operations is PutEvents, PutItems, PutUsers"
		default:
			body := pawsBody(input)
			status, respBody, header, err := pawsSend(ctx, p.Endpoint+path, p.Region, body, s.Variant != "unsigned")
			switch {
			case err != nil:
				r.Status, r.Detail = "fail", err.Error()
			case status == http.StatusOK:
				r.Status = "ok"
			default:
				r.Status, r.Error, r.Detail = "error", pawsError(status, header, respBody), string(respBody)
			}
		}
		results = append(results, r)
	}
	return "AWS Perl SDK 0.46 requests (raw HTTP)", results, nil
}

// pawsOrder is the member order of the requests seen from Paws; members
// not listed follow in name order.
var pawsOrder = []string{
	"trackingId", "datasetArn", "eventList", "items", "users", "sessionId", "userId",
	"impression", "properties", "itemId", "eventValue", "eventType", "sentAt", "recommendationId", "eventId",
}

// pawsBody writes a step's input as Paws's JSON: members in Paws's order
// and timestamps as strings, the first of each list in ISO 8601 and the
// others in decimal digits.
func pawsBody(input map[string]any) []byte {
	var b bytes.Buffer
	writePawsJSON(&b, input, "")
	return b.Bytes()
}

func writePawsJSON(b *bytes.Buffer, v any, list string) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, c string) int {
			ia, ic := slices.Index(pawsOrder, a), slices.Index(pawsOrder, c)
			switch {
			case ia >= 0 && ic >= 0:
				return ia - ic
			case ia >= 0:
				return -1
			case ic >= 0:
				return 1
			}
			return strings.Compare(a, c)
		})
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			name, _ := json.Marshal(k)
			b.Write(name)
			b.WriteByte(':')
			writePawsJSON(b, x[k], k)
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if m, ok := e.(map[string]any); ok && (list == "eventList" || list == "actionInteractions") {
				e = pawsTimestamps(m, i == 0)
			}
			writePawsJSON(b, e, "")
		}
		b.WriteByte(']')
	default:
		enc, _ := json.Marshal(x)
		b.Write(enc)
	}
}

// pawsTimestamps returns a copy of record with its timestamp as the text a
// Paws caller writes: ISO 8601 in UTC without a zone (the form of Paws's
// documentation), or the epoch seconds in digits.
func pawsTimestamps(record map[string]any, iso bool) map[string]any {
	out := clone(record)
	for _, k := range []string{"sentAt", "timestamp"} {
		sec, ok := out[k].(float64)
		if !ok {
			continue
		}
		digits := strconv.FormatFloat(sec, 'f', -1, 64)
		if !iso {
			out[k] = digits
			continue
		}
		text := epochTime(sec).Format("2006-01-02T15:04:05")
		if _, frac, ok := strings.Cut(digits, "."); ok {
			text += "." + frac
		}
		out[k] = text
	}
	return out
}

// pawsSend posts body with Paws's headers, signed as Paws signs (only
// date, host, x-amz-content-sha256 and x-amz-date), or with no signature.
func pawsSend(ctx context.Context, url, region string, body []byte, signed bool) (int, []byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	now := time.Now().UTC()
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("User-Agent", "AWS Perl SDK 0.46")
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Date", now.Format("20060102T150405Z"))
	if signed {
		req.Header.Set("X-Amz-Content-Sha256", hash)
		// Sign a copy carrying only the headers Paws signs: the SDK's
		// signer signs every header it is given.
		only, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
		if err != nil {
			return 0, nil, nil, err
		}
		only.Header.Set("Date", req.Header.Get("Date"))
		only.Header.Set("X-Amz-Content-Sha256", hash)
		creds := aws.Credentials{AccessKeyID: "perch-compat", SecretAccessKey: "perch-compat-secret"}
		if err := v4.NewSigner().SignHTTP(ctx, creds, only, hash, "personalize", region, now); err != nil {
			return 0, nil, nil, err
		}
		if auth := only.Header.Get("Authorization"); !strings.Contains(auth, "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date,") {
			return 0, nil, nil, fmt.Errorf("signed %q, not the headers Paws signs", auth)
		}
		req.Header.Set("Authorization", only.Header.Get("Authorization"))
		req.Header.Set("X-Amz-Date", only.Header.Get("X-Amz-Date"))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header, err
}

// pawsError reads an error as Paws::Net::RestJsonResponse does: the code
// from X-Amzn-ErrorType up to a ':', else from the body's code member; it
// throws every error as a Paws::Exception carrying that code.
func pawsError(status int, header http.Header, body []byte) *clientError {
	var e struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(body, &e)
	code := header.Get("X-Amzn-ErrorType")
	if code == "" {
		code = e.Code
	}
	if code == "" {
		code = "InvalidContent"
	}
	code, _, _ = strings.Cut(code, ":")
	return &clientError{Code: code, Class: code, Message: e.Message, HTTPStatus: status}
}
