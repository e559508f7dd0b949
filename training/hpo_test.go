package training

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/recipe"
)

func TestHPOPlan(t *testing.T) {
	for _, c := range []struct {
		config string
		want   string // a part of the error; "" for none
	}{
		{``, ""},
		{`{"hpoResourceConfig":{"maxNumberOfTrainingJobs":"12"}}`, ""},
		{`{"hpoResourceConfig":{"maxNumberOfTrainingJobs":"41"}}`, "maxNumberOfTrainingJobs"},
		{`{"hpoResourceConfig":{"maxNumberOfTrainingJobs":"many"}}`, "maxNumberOfTrainingJobs"},
		{`{"algorithmHyperParameterRanges":{"integerHyperParameterRanges":[{"name":"hidden_dimension","minValue":200,"maxValue":40}]}}`, "hidden_dimension: minValue 200"},
		{`{"algorithmHyperParameterRanges":{"continuousHyperParameterRanges":[{"name":"regularization","minValue":3,"maxValue":1}]}}`, "regularization"},
		{`{"algorithmHyperParameterRanges":{"categoricalHyperParameterRanges":[{"name":"recency_mask","values":[]}]}}`, "recency_mask has no values"},
	} {
		_, _, err := hpoPlan(recipe.UserPersonalization, json.RawMessage(c.config))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.config, err)
		case c.want != "" && (perch.ErrorCode(err) != perch.EInvalidInput || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want InvalidInput naming %q", c.config, err, c.want)
		}
	}
	s, jobs, _ := hpoPlan(recipe.Sims, nil)
	if jobs != DefaultHPOJobs || s["popularity_discount_factor"] == nil || s["min_cointeraction_count"] == nil {
		t.Errorf("sims' default plan: %d jobs, %v", jobs, s)
	}
	s, jobs, _ = hpoPlan(recipe.Sims, json.RawMessage(`{"hpoResourceConfig":{"maxNumberOfTrainingJobs":"3"},
		"algorithmHyperParameterRanges":{"integerHyperParameterRanges":[{"name":"min_cointeraction_count","minValue":1,"maxValue":2}]}}`))
	if jobs != 3 || len(s) != 1 || s["min_cointeraction_count"] == nil {
		t.Errorf("given ranges: %d jobs, %v", jobs, s)
	}
	if s, _, _ := hpoPlan(recipe.PopularityCount, nil); len(s) != 0 {
		t.Errorf("popularity-count tunes %v", s)
	}
}

// TestTuneFindsBetter starts HPO from a regularisation so strong that the
// model learns little: the search must find a setting that does better on
// the holdout, and report it.
func TestTuneFindsBetter(t *testing.T) {
	d := recipe.Synthetic(recipe.DefaultSynthetic(500, 1000, 10000, 11)).Data
	p := recipe.Params{Seed: 5, Hyper: map[string]string{"regularization": "3000"}}
	config := json.RawMessage(`{"hpoResourceConfig":{"maxNumberOfTrainingJobs":"4"},
		"algorithmHyperParameterRanges":{"continuousHyperParameterRanges":[{"name":"regularization","minValue":1,"maxValue":20}]}}`)
	base, err := recipe.Evaluate(recipe.UserPersonalizationV2, d, p)
	if err != nil {
		t.Fatal(err)
	}
	asked := 0
	tuned, metrics, chosen, err := tune(recipe.UserPersonalizationV2, d, p, config, func() error { asked++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("NDCG@10 %.4f with regularization 3000, %.4f with %s", base[HPOObjective], metrics[HPOObjective], chosen["regularization"])
	if metrics[HPOObjective] <= base[HPOObjective] || chosen["regularization"] == "3000" {
		t.Errorf("HPO kept regularization %s (NDCG@10 %.4f, start %.4f)", chosen["regularization"], metrics[HPOObjective], base[HPOObjective])
	}
	if tuned.Hyper["regularization"] != chosen["regularization"] || chosen["hidden_dimension"] == "" {
		t.Errorf("training parameters %v, reported %v: want the chosen value, and every hyperparameter reported", tuned.Hyper, chosen)
	}
	if asked != 3 {
		t.Errorf("asked whether stopped %d times, want before each of the 3 draws", asked)
	}

	stop := errors.New("stop")
	if _, _, _, err := tune(recipe.UserPersonalizationV2, d, p, config, func() error { return stop }); !errors.Is(err, stop) {
		t.Errorf("a stop during the search: %v", err)
	}
	// Nothing to tune: the solution's own training, no tunedHPOParams.
	if _, m, chosen, err := tune(recipe.PopularityCount, d, p, nil, func() error { return nil }); err != nil || chosen != nil || m == nil {
		t.Errorf("popularity-count: %v %v %v", m, chosen, err)
	}
}

// TestTuneSegmentation: a search of item-affinity maximises its recall of
// the top 1% of users, which a regularisation so strong that the model
// learns little loses.
func TestTuneSegmentation(t *testing.T) {
	d := recipe.Synthetic(recipe.DefaultSynthetic(500, 1000, 10000, 11)).Data
	p := recipe.Params{Seed: 5, Hyper: map[string]string{"regularization": "3000"}}
	config := json.RawMessage(`{"hpoResourceConfig":{"maxNumberOfTrainingJobs":"4"},
		"algorithmHyperParameterRanges":{"continuousHyperParameterRanges":[{"name":"regularization","minValue":1,"maxValue":20}]}}`)
	base, err := recipe.Evaluate(recipe.ItemAffinity, d, p)
	if err != nil {
		t.Fatal(err)
	}
	_, metrics, chosen, err := tune(recipe.ItemAffinity, d, p, config, func() error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	key := recipe.MetricRecall1Percent
	t.Logf("recall@1%% %.4f with regularization 3000, %.4f with %s", base[key], metrics[key], chosen["regularization"])
	if metrics[key] <= base[key] || chosen["regularization"] == "3000" {
		t.Errorf("HPO kept regularization %s (recall@1%% %.4f, start %.4f)", chosen["regularization"], metrics[key], base[key])
	}
}
