package awsapi

import (
	"context"
	"math"
	"net/http"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/awsapi/model"
)

// The runtime API's requests are read from the validator's document, as
// the events API's are: the body is parsed once, and every member read
// here has been checked against the model.

// runtimeOp serves one runtime operation: call reads the request from the
// validated body and asks the runtime; list is the member of the answer
// that holds the items, id the member of each that names it ("" for
// itemId).
type runtimeOp struct {
	call func(context.Context, model.Value) (*perch.Recommendations, error)
	list string
	id   string
}

func (s *Server) runtimeOperations() map[string]runtimeOp {
	ops := map[string]runtimeOp{
		"GetRecommendations":     {call: s.getRecommendations, list: "itemList"},
		"GetPersonalizedRanking": {call: s.getPersonalizedRanking, list: "personalizedRanking"},
	}
	if op, ok := s.actionOperation(); ok {
		ops["GetActionRecommendations"] = op
	}
	return ops
}

func (s *Server) serveRuntime(w http.ResponseWriter, r *http.Request, op *model.Operation, raw []byte) {
	fail := func(e apiError) { writeError(w, contentTypeJSON, e) }
	body, apiErr := decodeContent(r, raw)
	if apiErr != nil {
		fail(*apiErr)
		return
	}
	doc, err := op.Parse(body)
	if err != nil {
		fail(toAPIError(model.Runtime, err, s.log))
		return
	}
	rop := s.runtimeOps[op.Name]
	recs, err := rop.call(r.Context(), doc.Root())
	doc.Close()
	if err != nil {
		fail(toAPIError(model.Runtime, err, s.log))
		return
	}
	out := appendRecommendations(nil, rop.list, rop.id, recs)
	h := w.Header()
	h.Set("Content-Type", contentTypeJSON)
	h.Set("Content-Length", strconv.Itoa(len(out)))
	if _, err := w.Write(out); err != nil {
		s.log.Debug("writing response", "op", op.Name, "err", err)
	}
}

func (s *Server) getRecommendations(ctx context.Context, body model.Value) (*perch.Recommendations, error) {
	return s.runtime.GetRecommendations(ctx, readRecommendationsInput(body))
}

func (s *Server) getPersonalizedRanking(ctx context.Context, body model.Value) (*perch.Recommendations, error) {
	return s.runtime.GetPersonalizedRanking(ctx, readRankingInput(body))
}

// readRecommendationsInput reads a GetRecommendations request. An absent
// numResults reads as 0, which the runtime takes for its default.
func readRecommendationsInput(body model.Value) perch.RecommendationsInput {
	var in perch.RecommendationsInput
	for name, v := range body.Members() {
		switch string(name) {
		case "campaignArn":
			in.CampaignARN = v.String()
		case "recommenderArn":
			in.RecommenderARN = v.String()
		case "userId":
			in.UserID = v.String()
		case "itemId":
			in.ItemID = v.String()
		case "numResults":
			in.NumResults = integer(v)
		case "context":
			in.Context = stringMap(v)
		case "filterArn":
			in.FilterARN = v.String()
		case "filterValues":
			in.FilterValues = stringMap(v)
		case "metadataColumns":
			in.MetadataColumns = listMap(v)
		case "promotions":
			in.Promotions = make([]perch.Promotion, 0, v.Len())
			for e := range v.Elements() {
				in.Promotions = append(in.Promotions, readPromotion(e))
			}
		}
	}
	return in
}

func readPromotion(v model.Value) perch.Promotion {
	var p perch.Promotion
	for name, v := range v.Members() {
		switch string(name) {
		case "name":
			p.Name = v.String()
		case "percentPromotedItems":
			p.PercentPromotedItems = integer(v)
		case "filterArn":
			p.FilterARN = v.String()
		case "filterValues":
			p.FilterValues = stringMap(v)
		}
	}
	return p
}

// readRankingInput reads a GetPersonalizedRanking request.
func readRankingInput(body model.Value) perch.RankingInput {
	var in perch.RankingInput
	for name, v := range body.Members() {
		switch string(name) {
		case "campaignArn":
			in.CampaignARN = v.String()
		case "userId":
			in.UserID = v.String()
		case "inputList":
			in.InputList = stringList(v)
		case "context":
			in.Context = stringMap(v)
		case "filterArn":
			in.FilterARN = v.String()
		case "filterValues":
			in.FilterValues = stringMap(v)
		case "metadataColumns":
			in.MetadataColumns = listMap(v)
		}
	}
	return in
}

// integer reads a 32-bit integer, which the validator has checked is one.
func integer(v model.Value) int {
	n, _ := strconv.Atoi(v.Number())
	return n
}

// stringMap reads a map of strings. The validator has left out null
// values, which the model counts as no entry.
func stringMap(v model.Value) map[string]string {
	m := make(map[string]string, v.Len())
	for key, val := range v.Members() {
		m[string(key)] = val.String()
	}
	return m
}

// listMap reads a map of lists of strings.
func listMap(v model.Value) map[string][]string {
	m := make(map[string][]string, v.Len())
	for key, val := range v.Members() {
		m[string(key)] = stringList(val)
	}
	return m
}

// appendRecommendations appends the answer to a runtime call, its items
// under list, each named by its id member (itemId when ""), as AWS
// writes it: every member of an item only when the
// runtime set it (no score where the recipe gives none), and a
// recommendation id always, since clients pass it on to PutEvents.
func appendRecommendations(b []byte, list, id string, recs *perch.Recommendations) []byte {
	if id == "" {
		id = "itemId"
	}
	if recs == nil {
		recs = &perch.Recommendations{}
	}
	if b == nil {
		b = make([]byte, 0, 64+64*len(recs.Items))
	}
	b = append(b, `{"`...)
	b = append(b, list...)
	b = append(b, `":[`...)
	for i, it := range recs.Items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"`...)
		b = append(b, id...)
		b = append(b, `":`...)
		b = appendString(b, it.ItemID)
		if it.Score != nil {
			b = append(b, `,"score":`...)
			b = appendDouble(b, *it.Score)
		}
		if it.PromotionName != "" {
			b = append(b, `,"promotionName":`...)
			b = appendString(b, it.PromotionName)
		}
		if it.Metadata != nil {
			b = append(b, `,"metadata":{`...)
			// In key order, so that an answer is the same bytes each time.
			keys := make([]string, 0, len(it.Metadata))
			for k := range it.Metadata {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for j, k := range keys {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendString(b, k)
				b = append(b, ':')
				b = appendString(b, it.Metadata[k])
			}
			b = append(b, '}')
		}
		if it.Reason != nil {
			b = append(b, `,"reason":[`...)
			for j, r := range it.Reason {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendString(b, r)
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	rid := recs.RecommendationID
	if rid == "" {
		rid = "RID-" + uuid.NewString()
	}
	b = append(b, `],"recommendationId":`...)
	b = appendString(b, rid)
	return append(b, '}')
}

// appendDouble appends a Smithy double: a JSON number as encoding/json
// writes one, or for the values JSON cannot hold the strings "NaN",
// "Infinity" and "-Infinity", which every SDK reads back.
func appendDouble(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Infinity"`...)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(b, f, format, -1, 64)
}

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD,
// as encoding/json writes it, so that the answer is always valid JSON.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
