package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzValidate feeds arbitrary bodies to every operation's validator. It
// must not panic, must answer with one of its three outcomes, must refuse
// whatever encoding/json cannot read (the handlers decode with it after
// validation), and must not accept a key that names a member in another
// case (encoding/json would take its value unchecked).
func FuzzValidate(f *testing.F) {
	var ops []*Operation
	for _, svc := range []*Service{Personalize, Events, Runtime} {
		ops = append(ops, svc.Operations()...)
	}
	index := func(name string) uint16 {
		for i, op := range ops {
			if op.Name == name {
				return uint16(i)
			}
		}
		f.Fatalf("no operation %s", name)
		return 0
	}
	for _, seed := range []struct {
		op   string
		body string
	}{
		{"PutEvents", `{"trackingId":"t","userId":"u","sessionId":"s","eventList":[{"eventId":"e","eventType":"click","eventValue":1.5,"itemId":"i","sentAt":1700000000.123,"properties":"{\"a\":1}","recommendationId":"r","impression":["a","b"],"metricAttribution":{"eventAttributionSource":"x"}}]}`},
		{"PutEvents", `{"trackingId":"t","sessionId":"s","eventList":[{"eventType":"click","sentAt":1,"eventValue":"NaN"}]}`},
		{"PutEvents", `{"trackingId":"t","sessionId":"s","eventList":[null,{"eventType":"","sentAt":-1e400}]}`},
		{"PutEvents", `{"trackingId":"t","sessionId":"s","eventList":[],"EventList":[{}]}`},
		{"PutItems", `{"datasetArn":"arn:aws:personalize:us-east-1:000000000000:dataset/g/ITEMS","items":[{"itemId":"i","properties":"{}"}]}`},
		{"PutUsers", `{"datasetArn":"x","users":[{"userId":"\u0000\ud800"}]}`},
		{"PutActionInteractions", `{"trackingId":"t","actionInteractions":[{"actionId":"a","sessionId":"s","timestamp":1,"eventType":"x"}]}`},
		{"PutEvents", `{"trackingId":"t","sessionId":"s","eventList":[{"eventType":"click","sentAt":"1970-01-01T01:00:00"},{"eventType":"click","sentAt":"1700000100"}]}`},
		{"PutActionInteractions", `{"trackingId":"t","actionInteractions":[{"actionId":"a","sessionId":"s","timestamp":"2023-11-14T22:13:20.5+01:00","eventType":"x"}]}`},
		{"CreateSchema", `{"name":"s","schema":"{}","domain":"ECOMMERCE"}`},
		{"CreateDatasetGroup", `{"name":"g","tags":[{"tagKey":"k","tagValue":"v"}]}`},
		{"ListSchemas", `{"maxResults":100,"nextToken":"x"}`},
		{"ListSchemas", `{"maxResults":2147483648}`},
		{"DescribeDataset", `{"datasetArn":"a","datasetArn":"b"}`},
		{"DescribeDataset", ``},
		{"DescribeDataset", `[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`},
		{"DescribeDataset", "{\"datasetArn\":\"\xff\"}"},
		{"GetRecommendations", `{"campaignArn":"arn:aws:personalize:us-east-1:000000000000:campaign/c","userId":"u","numResults":5,"context":{"DEVICE":"phone"},"filterArn":"arn:aws:personalize:us-east-1:000000000000:filter/f","filterValues":{"G":"\"a\""},"promotions":[{"name":"p","percentPromotedItems":50,"filterValues":{"X":"1"}}],"metadataColumns":{"ITEMS":["GENRE"]}}`},
		{"GetRecommendations", `{"recommenderArn":"arn:aws:personalize:us-east-1:000000000000:recommender/r","itemId":"i","numResults":-1,"promotions":[{},{}],"Context":{}}`},
		{"GetPersonalizedRanking", `{"campaignArn":"arn:aws:personalize:us-east-1:000000000000:campaign/c","userId":"u","inputList":["a","b",null],"metadataColumns":{"ITEMS":[],"USERS":[]}}`},
		{"GetActionRecommendations", `{"campaignArn":"c","userId":"u","numResults":5}`},
	} {
		f.Add(index(seed.op), []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, which uint16, body []byte) {
		op := ops[int(which)%len(ops)]
		err := op.Validate(body)
		var ser *SerializationError
		var vs Violations
		switch {
		case err == nil, errors.As(err, &vs):
			if len(vs) == 0 && err != nil {
				t.Fatalf("%s: empty Violations", op.Name)
			}
		case errors.As(err, &ser):
			return
		default:
			t.Fatalf("%s: Validate returned %T %v", op.Name, err, err)
		}
		decoded := body
		if len(bytes.TrimSpace(body)) == 0 {
			decoded = []byte(`{}`)
		}
		var v map[string]any
		dec := json.NewDecoder(bytes.NewReader(decoded))
		dec.UseNumber() // the handlers read numbers as the model types them, not all as float64
		if jerr := dec.Decode(&v); jerr != nil {
			t.Fatalf("%s: Validate read %q, which encoding/json cannot: %v", op.Name, body, jerr)
		}
		if err == nil {
			for key := range v {
				for _, m := range op.input.members {
					if key != m.name && bytes.EqualFold([]byte(key), []byte(m.name)) {
						t.Fatalf("%s: accepted key %q for member %q", op.Name, key, m.name)
					}
				}
			}
		}
	})
}
