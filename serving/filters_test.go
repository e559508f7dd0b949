package serving_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/recipe"
)

// feature is the value of field (GENRE, BRAND, PRICE) of a planted item.
func (w *world) feature(item, field string) string {
	for _, f := range w.data.ItemFeatures[slices.Index(w.data.Items, item)] {
		if name, value, _ := strings.Cut(f, "="); name == field {
			return value
		}
	}
	return ""
}

func (w *world) createFilter(name, expression string) *perch.Filter {
	w.t.Helper()
	return must(w.sols.CreateFilter(w.ctx, perch.CreateFilterInput{Name: name, GroupARN: w.group.ARN, Expression: expression}))(w.t)
}

func ids(r *perch.Recommendations) []string {
	var out []string
	for _, it := range r.Items {
		out = append(out, it.ItemID)
	}
	return out
}

// Filters on item metadata, with values given per request, keep exactly
// the items they select, filled up to numResults.
func TestFilterOnItemMetadata(t *testing.T) {
	t.Parallel()
	w := newWorld(t, config())
	personal := w.serve("personal", recipe.UserPersonalizationV2, perch.CreateSolutionInput{}, nil)
	genre := w.createFilter("genre", `INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)`)
	noHigh := w.createFilter("no-high", `EXCLUDE ItemID WHERE Items.PRICE IN ("high")`)

	for _, user := range w.data.Users[:20] {
		got := w.recommend(perch.RecommendationsInput{CampaignARN: personal.ARN, UserID: user,
			FilterARN: genre.ARN, FilterValues: map[string]string{"GENRE": `"g03","g07"`}})
		if len(got.Items) != 25 {
			t.Fatalf("%s: %d items with the genre filter, want 25", user, len(got.Items))
		}
		for _, id := range ids(got) {
			if g := w.feature(id, "GENRE"); g != "g03" && g != "g07" {
				t.Fatalf("%s: item %s of genre %s kept by a filter of g03 and g07", user, id, g)
			}
		}
		got = w.recommend(perch.RecommendationsInput{CampaignARN: personal.ARN, UserID: user, FilterARN: noHigh.ARN})
		for _, id := range ids(got) {
			if w.feature(id, "PRICE") == "high" {
				t.Fatalf("%s: high-priced item %s kept by a filter excluding them", user, id)
			}
		}
	}

	_, err := w.rt.GetRecommendations(w.ctx, perch.RecommendationsInput{CampaignARN: personal.ARN, UserID: w.data.Users[0], FilterARN: genre.ARN})
	if perch.ErrorCode(err) != perch.EInvalidInput || !strings.Contains(err.Error(), "GENRE") {
		t.Errorf("an INCLUDE filter without its value: %v, want InvalidInputException naming GENRE", err)
	}
	missing := strings.Replace(genre.ARN, "genre", "missing", 1)
	_, err = w.rt.GetRecommendations(w.ctx, perch.RecommendationsInput{CampaignARN: personal.ARN, UserID: w.data.Users[0], FilterARN: missing})
	if perch.ErrorCode(err) != perch.EResourceNotFound {
		t.Errorf("an unknown filter: %v, want ResourceNotFoundException", err)
	}

	// Ranking leaves out what the filter removes.
	var list, wanted []string
	for _, id := range w.data.Items {
		if len(list) == 12 {
			break
		}
		list = append(list, id)
		if w.feature(id, "GENRE") == "g03" {
			wanted = append(wanted, id)
		}
	}
	ranking := w.serve("ranking", recipe.PersonalizedRankingV2, perch.CreateSolutionInput{}, nil)
	ranked := must(w.rt.GetPersonalizedRanking(w.ctx, perch.RankingInput{CampaignARN: ranking.ARN, UserID: w.data.Users[1], InputList: list,
		FilterARN: genre.ARN, FilterValues: map[string]string{"GENRE": `"g03"`}}))(t)
	got := ids(ranked)
	slices.Sort(got)
	slices.Sort(wanted)
	if !slices.Equal(got, wanted) {
		t.Errorf("ranking with a filter of g03 kept %v, want %v", got, wanted)
	}
}

// A filter on the user's interactions sees events sent a moment ago.
func TestFilterOnInteractionsSeesNewEvents(t *testing.T) {
	t.Parallel()
	w := newWorld(t, config())
	popular := w.serve("popular", recipe.PopularityCount, perch.CreateSolutionInput{}, nil)
	bought := w.createFilter("not-bought", `EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")`)

	const user = "new-visitor"
	before := ids(w.recommend(perch.RecommendationsInput{CampaignARN: popular.ARN, UserID: user, FilterARN: bought.ARN}))
	buy := before[:3]
	var events []perch.Event
	for _, id := range buy {
		events = append(events, perch.Event{EventType: "PURCHASE", ItemID: id, UserID: user, SessionID: "s", SentAt: perch.Timestamp(config().End)})
	}
	events = append(events, perch.Event{EventType: "click", ItemID: before[3], UserID: user, SessionID: "s", SentAt: perch.Timestamp(config().End)})
	if err := w.ingest.PutEvents(w.ctx, w.tracker, events); err != nil {
		t.Fatal(err)
	}
	after := ids(w.recommend(perch.RecommendationsInput{CampaignARN: popular.ARN, UserID: user, FilterARN: bought.ARN}))
	for _, id := range buy {
		if slices.Contains(after, id) {
			t.Errorf("item %s, just bought, is still recommended: %v", id, after)
		}
	}
	if !slices.Contains(after, before[3]) || len(after) != len(before) {
		t.Errorf("after three purchases: %v, want the clicked %s kept and %d items", after, before[3], len(before))
	}
}

// A promotion fills its share of the answer with the items its filter
// selects, named by the promotion, and the request's filter the rest.
func TestPromotion(t *testing.T) {
	t.Parallel()
	w := newWorld(t, config())
	personal := w.serve("personal", recipe.UserPersonalizationV2, perch.CreateSolutionInput{}, nil)
	genre := w.createFilter("genre", `INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)`)
	noHigh := w.createFilter("no-high", `EXCLUDE ItemID WHERE Items.PRICE IN ("high")`)
	got := w.recommend(perch.RecommendationsInput{CampaignARN: personal.ARN, UserID: w.data.Users[5], NumResults: 20,
		FilterARN: noHigh.ARN,
		Promotions: []perch.Promotion{{Name: "deals", PercentPromotedItems: 25, FilterARN: genre.ARN,
			FilterValues: map[string]string{"GENRE": `"g11"`}}}})
	if len(got.Items) != 20 {
		t.Fatalf("%d items, want 20", len(got.Items))
	}
	promoted := 0
	for _, it := range got.Items {
		switch {
		case it.PromotionName == "deals":
			promoted++
			if w.feature(it.ItemID, "GENRE") != "g11" {
				t.Errorf("promoted item %s is of genre %s", it.ItemID, w.feature(it.ItemID, "GENRE"))
			}
			if !slices.Equal(it.Reason, []string{"Promoted item"}) {
				t.Errorf("promoted item %s: reason %v", it.ItemID, it.Reason)
			}
		case it.PromotionName != "":
			t.Errorf("item %s promoted by %q", it.ItemID, it.PromotionName)
		case w.feature(it.ItemID, "PRICE") == "high":
			t.Errorf("item %s, not promoted, is high-priced: the request's filter excludes it", it.ItemID)
		}
	}
	if promoted != 5 {
		t.Errorf("%d promoted items, want 5 (25%% of 20)", promoted)
	}
}
