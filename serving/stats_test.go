package serving_test

import (
	"testing"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/recipe"
)

// The trainer's and the runtime's figures, as the metrics read them: the
// trainings finished by status and their durations by recipe, the answers
// by campaign with their items and filters, the model each campaign
// serves with its size, and the ACTIVE campaigns.
func TestStats(t *testing.T) {
	t.Parallel()
	w := newWorld(t, config())
	if st := w.trainer.Stats(); st.Running != 0 || st.Waiting != 0 || len(st.Finished) != 0 {
		t.Errorf("a new trainer's stats: %+v", st)
	}
	campaign := w.serve("popular", recipe.PopularityCount, perch.CreateSolutionInput{}, nil)
	failed := w.train("bad", recipe.UserPersonalization, perch.CreateSolutionInput{Config: perch.SolutionConfig{
		AlgorithmHyperParameters: map[string]string{"hidden_dimension": "lots"}}})
	if failed.Status != perch.StatusCreateFailed {
		t.Fatalf("a bad hyperparameter: %s", failed.Status)
	}

	// A worker lets its training go just after recording its outcome.
	st := w.trainer.Stats()
	for deadline := time.Now().Add(10 * time.Second); st.Running != 0 && time.Now().Before(deadline); st = w.trainer.Stats() {
		time.Sleep(10 * time.Millisecond)
	}
	if st.Running != 0 || st.Waiting != 0 || st.Finished[perch.StatusActive] != 1 || st.Finished[perch.StatusCreateFailed] != 1 {
		t.Errorf("trainer's stats after one ACTIVE and one failed training: %+v", st)
	}
	var trained uint64
	for _, c := range st.Durations[recipe.PopularityCount].Counts {
		trained += c
	}
	if trained != 1 || st.Durations[recipe.PopularityCount].Sum <= 0 || len(st.Durations) != 1 {
		t.Errorf("training durations: %+v, want one of %s", st.Durations, recipe.PopularityCount)
	}

	rst := w.rt.Stats()
	if rst.Active != 1 || len(rst.Answers) != 0 || len(rst.Campaigns) != 0 {
		t.Errorf("runtime's stats before any request: %+v", rst)
	}
	f := w.createFilter("not-genre", `EXCLUDE ItemID WHERE Items.GENRE IN ("`+w.feature(w.data.Items[0], "GENRE")+`")`)
	for _, filterARN := range []string{"", "", f.ARN} {
		w.recommend(perch.RecommendationsInput{CampaignARN: campaign.ARN, UserID: w.data.Users[0], NumResults: 5, FilterARN: filterARN})
	}
	if _, err := w.rt.GetRecommendations(w.ctx, perch.RecommendationsInput{CampaignARN: campaign.ARN + "-gone", NumResults: 5}); err == nil {
		t.Fatal("a campaign that does not exist answered")
	}

	rst = w.rt.Stats()
	key := perch.RuntimeKey{Operation: "GetRecommendations", ARN: campaign.ARN}
	if rst.Answers[key] != 3 || rst.Items[key] != 15 || len(rst.Answers) != 1 {
		t.Errorf("answers %v, items %v; want 3 answers of 5 items by %s", rst.Answers, rst.Items, campaign.ARN)
	}
	if rst.Filtered[f.ARN] != 1 || len(rst.Filtered) != 1 {
		t.Errorf("filtered answers: %v, want one through %s", rst.Filtered, f.ARN)
	}
	if len(rst.Campaigns) != 1 {
		t.Fatalf("campaigns served: %+v", rst.Campaigns)
	}
	c := rst.Campaigns[0]
	if c.ARN != campaign.ARN || c.Version != campaign.SolutionVersionARN || c.Recipe != recipe.PopularityCount || c.ModelBytes <= 0 {
		t.Errorf("campaign served: %+v", c)
	}
}
