package main

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/perchdev/perch/recipe"
)

// The benchmark end to end on a small data set, perch's recipes and a
// sweep, without Gorse.
func TestRunPerchOnly(t *testing.T) {
	c := config{
		users: 2000, items: 600, interactions: 40000, seed: 1,
		recipes:     []string{recipe.UserPersonalizationV2, recipe.PopularityCount},
		sweeps:      []sweep{{"hidden_dimension", "32"}},
		sweepRecipe: recipe.UserPersonalizationV2,
	}
	var out, logs bytes.Buffer
	rows, err := run(c, &out, &logs)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, r := range rows {
		for k, v := range r.metrics {
			if !(v >= 0 && v <= 1) {
				t.Errorf("%s: %s = %v", r.name, k, v)
			}
		}
		if r.train <= 0 {
			t.Errorf("%s: training time %v", r.name, r.train)
		}
	}
	table := out.String()
	for _, want := range []string{
		"| recipe / peer | NDCG@10 |",
		"| perch aws-user-personalization-v2 |",
		"| perch aws-popularity-count |",
		"| perch aws-user-personalization-v2 hidden_dimension=32 |",
		"aws-user-personalization-v2 NDCG@10 / popularity-count's:",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("output lacks %q:\n%s", want, table)
		}
	}
	t.Log("\n" + table)
}

func TestParseSweeps(t *testing.T) {
	got, err := parseSweeps("hidden_dimension=32,128; regularization=2")
	if err != nil {
		t.Fatal(err)
	}
	want := []sweep{{"hidden_dimension", "32"}, {"hidden_dimension", "128"}, {"regularization", "2"}}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("sweep %d: %v, want %v", i, got[i], want[i])
		}
	}
	if _, err := parseSweeps("hidden_dimension"); err == nil {
		t.Error("a sweep without values parsed")
	}
}

// What Gorse is sent: one JSON line per interaction, its time in RFC
// 3339, an event without a value as 0 (JSON has no NaN).
func TestWriteFeedback(t *testing.T) {
	d := &recipe.Data{
		Users: []string{"u1"}, Items: []string{"i1", "i2"},
		Interactions: []recipe.Interaction{
			{User: 0, Item: 1, Time: 1717200000123, EventType: "click", Value: float32(math.NaN())},
			{User: 0, Item: 0, Time: 1717200000000, EventType: "watch", Value: 0.5},
		},
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if err := writeFeedback(mw, d); err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(&body, mw.Boundary())
	part, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	if part.FormName() != "file" {
		t.Errorf("form field %q", part.FormName())
	}
	data, _ := io.ReadAll(part)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines: %s", len(lines), data)
	}
	var f gorseFeedback
	if err := json.Unmarshal([]byte(lines[0]), &f); err != nil {
		t.Fatal(err)
	}
	want := gorseFeedback{FeedbackType: "click", UserId: "u1", ItemId: "i2", Value: 0, Timestamp: "2024-06-01T00:00:00.123Z"}
	if f != want {
		t.Errorf("line 1 is %+v, want %+v", f, want)
	}
}

func TestEmptyLists(t *testing.T) {
	users := []recipe.HeldOut{
		{User: "a", Input: []recipe.Event{{Item: "i1"}, {Item: "i1"}}},
		{User: "b", Input: []recipe.Event{{Item: "i1"}, {Item: "i2"}}},
		{User: "c", Input: []recipe.Event{{Item: "i3"}}},
	}
	empty, single := emptyLists([][]string{nil, {}, {"i4"}}, users)
	if empty != 2 || single != 1 {
		t.Errorf("%d empty, %d of them single, want 2 and 1", empty, single)
	}
}
