package serving_test

import (
	"maps"
	"regexp"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/attribution"
	"github.com/perchdev/perch/recipe"
)

// ridShape is AWS's recommendationId: "RID-" and a version 4 UUID.
var ridShape = regexp.MustCompile(`^RID-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// sourceOf is the campaign or recommender a recommendationId names.
func sourceOf(t *testing.T, id string, arns ...string) string {
	t.Helper()
	if !ridShape.MatchString(id) {
		t.Fatalf("recommendationId %q is not of AWS's shape", id)
	}
	tag, _ := perch.RecommendationSourceTag(id)
	for _, arn := range arns {
		if perch.SourceTag(arn) == tag {
			return arn
		}
	}
	return ""
}

// The recommendationId of each answer names the campaign that made it,
// and a metric attribution credits the events that carry it to that
// campaign, in its report and in the tally of its figures: on this node
// or, as the id alone carries the campaign, on any other.
func TestAttributionByRecommendationID(t *testing.T) {
	t.Parallel()
	w := newWorld(t, config())
	popular := w.serve("popular", recipe.PopularityCount, perch.CreateSolutionInput{}, nil)

	attributions := attribution.New(w.store, w.cat, scope, func() perch.Timestamp { return perch.TimestampOf(time.Now().Add(-time.Minute)) })
	const refresh = 50 * time.Millisecond
	tally := attribution.StartTally(attribution.TallyConfig{Attributions: attributions, Refresh: refresh})
	t.Cleanup(tally.Close)
	w.ingest.AfterCommit(tally.Committed)
	m := must(attributions.CreateMetricAttribution(w.ctx, perch.CreateMetricAttributionInput{Name: "impact", GroupARN: w.group.ARN,
		OutputConfig: perch.MetricAttributionOutput{RoleARN: "arn:aws:iam::111122223333:role/metrics"},
		Metrics:      []perch.MetricAttribute{{EventType: "watch", MetricName: "watches", Expression: "SAMPLECOUNT()"}}}))(t)
	// Made after the attribution: the tally learns of it from its ids.
	ranking := w.serve("ranking", recipe.PersonalizedRankingV2, perch.CreateSolutionInput{}, nil)
	campaigns := []string{popular.ARN, ranking.ARN}

	user := w.data.Users[0]
	first := w.recommend(perch.RecommendationsInput{CampaignARN: popular.ARN, UserID: user})
	again := w.recommend(perch.RecommendationsInput{CampaignARN: popular.ARN, UserID: user})
	ranked := must(w.rt.GetPersonalizedRanking(w.ctx, perch.RankingInput{CampaignARN: ranking.ARN, UserID: user,
		InputList: []string{first.Items[0].ItemID, first.Items[1].ItemID}}))(t)
	if got := sourceOf(t, first.RecommendationID, campaigns...); got != popular.ARN {
		t.Errorf("GetRecommendations' id %s names %q, want %s", first.RecommendationID, got, popular.ARN)
	}
	if first.RecommendationID == again.RecommendationID {
		t.Errorf("two answers share the recommendationId %s", first.RecommendationID)
	}
	if got := sourceOf(t, ranked.RecommendationID, campaigns...); got != ranking.ARN {
		t.Errorf("GetPersonalizedRanking's id %s names %q, want %s", ranked.RecommendationID, got, ranking.ARN)
	}

	watch := func(rid, source string) perch.Event {
		e := perch.Event{EventType: "watch", ItemID: first.Items[0].ItemID, UserID: user, SentAt: perch.TimestampOf(time.Now()), RecommendationID: rid}
		if source != "" {
			e.MetricAttribution = &perch.MetricAttribution{EventAttributionSource: source}
		}
		return e
	}
	if err := w.ingest.PutEvents(w.ctx, w.tracker, []perch.Event{
		watch(first.RecommendationID, ""),
		watch(again.RecommendationID, ""),
		watch(ranked.RecommendationID, ""),
		watch(ranked.RecommendationID, "newsletter"), // an explicit source wins
		watch("RID-"+uuid.NewString(), ""),           // an id perch did not make
		watch("not-a-recommendation", ""),
		watch("", ""),
	}); err != nil {
		t.Fatal(err)
	}
	report := func() map[string]float64 {
		t.Helper()
		return bySource(must(attributions.MetricAttributionReport(w.ctx, m.ARN))(t))
	}
	tallied := func(want map[string]float64) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			got := bySource(tally.Figures()[m.ARN])
			if maps.Equal(got, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("tally by source:\n%v\nwant\n%v", got, want)
			}
		}
	}
	want := map[string]float64{popular.ARN: 2, ranking.ARN: 1, "newsletter": 1, perch.UndefinedSource: 3}
	if got := report(); !maps.Equal(got, want) {
		t.Errorf("report by source:\n%v\nwant\n%v", got, want)
	}
	tallied(want)

	// The answers of a deleted campaign count as undefined: all of them in
	// the report, in the tally those that arrive once it has read the
	// campaigns again.
	if err := w.sols.DeleteCampaign(w.ctx, ranking.ARN); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * refresh)
	if err := w.ingest.PutEvents(w.ctx, w.tracker, []perch.Event{watch(ranked.RecommendationID, "")}); err != nil {
		t.Fatal(err)
	}
	want = map[string]float64{popular.ARN: 2, "newsletter": 1, perch.UndefinedSource: 5}
	if got := report(); !maps.Equal(got, want) {
		t.Errorf("report after the ranking campaign's deletion:\n%v\nwant\n%v", got, want)
	}
	tallied(map[string]float64{popular.ARN: 2, ranking.ARN: 1, "newsletter": 1, perch.UndefinedSource: 4})
}

func bySource(values []perch.MetricValue) map[string]float64 {
	out := map[string]float64{}
	for _, v := range values {
		out[v.Source] = v.Value
	}
	return out
}
