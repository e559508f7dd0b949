package compat_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
)

// readbackRow is the table row of the stored-records checks: happy means
// every record a client sent was stored as sent; error means rejected
// requests stored nothing.
const readbackRow = "records (perch records)"

// recordKeys are, per Put operation, the dataset type it writes, the list
// member holding its records and the member identifying a record.
var recordKeys = map[string]struct{ datasetType, list, key string }{
	"PutEvents":             {"Interactions", "eventList", "eventId"},
	"PutItems":              {"Items", "items", "itemId"},
	"PutUsers":              {"Users", "users", "userId"},
	"PutActions":            {"Actions", "actions", "actionId"},
	"PutActionInteractions": {"Action_Interactions", "actionInteractions", "eventId"},
}

// expectation is a record a client sent and the step that sent it.
type expectation struct {
	step   *step
	record map[string]any
}

// checkReadback reads back every dataset of the client's group with
// `perch records` and compares it, field by field, with what the
// client's successful Put calls sent.
func checkReadback(ctx context.Context, rep *clientReport, c *client, endpoint string, n names, steps []*step, results map[string]result) {
	want := map[string]map[string]expectation{} // dataset ARN -> record id -> expectation
	for _, s := range steps {
		rk, ok := recordKeys[s.Op]
		if !ok || s.Case != "happy" || results[s.ID].Status != "ok" {
			continue
		}
		ds := n.datasetARN(rk.datasetType)
		if want[ds] == nil {
			want[ds] = map[string]expectation{}
		}
		list, _ := s.Input[rk.list].([]any)
		for _, item := range list {
			rec := expectedRecord(c, s, item.(map[string]any))
			want[ds][fmt.Sprint(rec[rk.key])] = expectation{s, rec}
		}
	}
	for _, sch := range schemas {
		ds := n.datasetARN(sch.datasetType)
		key := ""
		for _, rk := range recordKeys {
			if rk.datasetType == sch.datasetType {
				key = rk.key
			}
		}
		got, err := records(ctx, endpoint, ds)
		if err != nil {
			rep.fail(readbackRow, "happy", "%v", err)
			continue
		}
		seen := map[string]bool{}
		for _, rec := range got {
			id := fmt.Sprint(rec[key])
			exp, ok := want[ds][id]
			if !ok {
				rep.fail(readbackRow, "error", "%s holds a record no successful call sent: %v", ds, rec)
				continue
			}
			seen[id] = true
			if diffs := compareRecord(exp.record, rec); len(diffs) > 0 {
				rep.fail(readbackRow, "happy", "%s (%s) record %s: %s", exp.step.ID, exp.step.Op, id, strings.Join(diffs, "; "))
				rep.fail(exp.step.Op, "happy", "%s: stored record %s differs from what was sent: %s", exp.step.ID, id, strings.Join(diffs, "; "))
			}
		}
		for id, exp := range want[ds] {
			if !seen[id] {
				rep.fail(readbackRow, "happy", "%s: record %s was acknowledged but is not stored", exp.step.ID, id)
			}
		}
		if len(want[ds]) > 0 {
			rep.pass(readbackRow, "happy")
		}
	}
	rep.pass(readbackRow, "error")
}

// expectedRecord is what `perch records` must show for one record of a
// Put call: the API's members, with the request-level userId and
// sessionId of PutEvents, and timestamps as the client sends them.
func expectedRecord(c *client, s *step, item map[string]any) map[string]any {
	rec := map[string]any{}
	for k, v := range item {
		rec[k] = v
	}
	if s.Op == "PutEvents" {
		for _, k := range []string{"userId", "sessionId"} {
			if v, ok := s.Input[k]; ok {
				rec[k] = v
			}
		}
	}
	for _, k := range []string{"sentAt", "timestamp"} {
		if v, ok := rec[k].(float64); ok && c.wholeSeconds {
			rec[k] = math.Floor(v)
		}
	}
	return rec
}

// compareRecord lists the differences between a sent and a stored record.
// properties compare as JSON values: clients may re-serialise the text.
func compareRecord(want, got map[string]any) []string {
	var diffs []string
	keys := map[string]bool{}
	for k := range want {
		keys[k] = true
	}
	for k := range got {
		switch k {
		case "duplicate", "updatedAt", "updated":
			continue
		}
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		w, g := want[k], got[k]
		if k == "properties" {
			if !sameJSONText(w, g) {
				diffs = append(diffs, fmt.Sprintf("properties %v, sent %v", g, w))
			}
			continue
		}
		if !sameValue(w, g) {
			diffs = append(diffs, fmt.Sprintf("%s %v, sent %v", k, g, w))
		}
	}
	return diffs
}

func sameJSONText(a, b any) bool {
	as, aok := a.(string)
	bs, bok := b.(string)
	if !aok || !bok {
		return a == nil && b == nil
	}
	var av, bv any
	if json.Unmarshal([]byte(as), &av) != nil || json.Unmarshal([]byte(bs), &bv) != nil {
		return as == bs
	}
	return reflect.DeepEqual(av, bv)
}

// sameValue compares decoded JSON, numbers by value.
func sameValue(a, b any) bool {
	norm := func(v any) any {
		bs, _ := json.Marshal(v)
		var out any
		_ = json.Unmarshal(bs, &out)
		return out
	}
	return reflect.DeepEqual(norm(a), norm(b))
}
