package recipe

import (
	"fmt"
	"maps"
	"math"
	"testing"
)

// list is a recommendation list of n items whose relevant ones are at the
// given 1-based positions, and its relevant set.
func list(n int, relevantAt ...int) ([]string, map[string]bool) {
	l := make([]string, n)
	rel := make(map[string]bool)
	for i := range l {
		l[i] = fmt.Sprint("item", i+1)
	}
	for _, p := range relevantAt {
		rel[l[p-1]] = true
	}
	return l, rel
}

// RUNTIME.md §3's worked examples.
func TestMetricsWorkedExamples(t *testing.T) {
	sum := 0.0
	for _, ranks := range [][]int{{4, 10}, {2, 4, 12}, {6}} {
		l, rel := list(25, ranks...)
		sum += ReciprocalRank(l, rel, 25)
	}
	if got := sum / 3; math.Abs(got-0.3056) > 5e-5 {
		t.Errorf("MRR %v, want 0.3056", got)
	}
	l, rel := list(25, 2, 5)
	if got := NDCG(l, rel, 5); math.Abs(got-0.6241) > 5e-5 {
		t.Errorf("NDCG@5 %v, want 0.6241", got)
	}
	want := (1/math.Log(3) + 1/math.Log(6)) / (1/math.Log(2) + 1/math.Log(3))
	if got := NDCG(l, rel, 5); math.Abs(got-want) > 1e-12 {
		t.Errorf("NDCG@5 %v, want %v", got, want)
	}
	if got := Precision(l, rel, 5); got != 0.4 {
		t.Errorf("precision@5 %v, want 0.4", got)
	}
	// Hits past K do not count, a short list is still divided by K, and
	// the ideal list has at most K relevant items.
	l, rel = list(3, 1, 2, 3)
	if got := Precision(l, rel, 5); got != 0.6 {
		t.Errorf("precision@5 of 3 hits in 3 items %v", got)
	}
	l, rel = list(25, 1, 2, 3, 4, 5, 6)
	if got := NDCG(l, rel, 5); got != 1 {
		t.Errorf("NDCG@5 of a perfect list %v", got)
	}
	l, rel = list(25, 12)
	if ReciprocalRank(l, rel, 10) != 0 || NDCG(l, rel, 10) != 0 || ReciprocalRank(l, rel, 25) != 1.0/12 {
		t.Error("a hit at 12")
	}
}

func TestSplit(t *testing.T) {
	s := planted()
	r := eventRule{threshold: math.NaN()}
	train, users := split(s.Data, &r, 1)
	held := len(s.Interactions) - len(train.Interactions)
	if len(users) < 250 || len(users) > 310 {
		t.Errorf("%d held-out users of 3000", len(users))
	}
	relevant := 0
	for _, u := range users {
		relevant += len(u.relevant)
		for _, e := range u.history {
			if u.relevant[e.Item] {
				t.Fatal("a relevant item is in the input history")
			}
		}
	}
	// About a tenth of a tenth of the interactions are held out.
	if f := float64(held) / float64(len(s.Interactions)); f < 0.005 || f > 0.02 {
		t.Errorf("%.4f of interactions held out", f)
	}
	if relevant == 0 || relevant > held {
		t.Errorf("%d relevant items of %d held out interactions", relevant, held)
	}
}

func TestEvaluate(t *testing.T) {
	s := planted()
	results := map[string]map[string]float64{}
	for _, r := range []string{PopularityCount, UserPersonalizationV2, Sims, SimilarItems, TrendingNow} {
		m, err := Evaluate(r, s.Data, Params{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(m) != 8 {
			t.Errorf("%s: %d metrics", r, len(m))
		}
		for k, v := range m {
			if !(v >= 0 && v <= 1) {
				t.Errorf("%s: %s = %v", r, k, v)
			}
		}
		results[r] = m
		t.Logf("%-28s NDCG@10 %.4f  MRR@25 %.4f  P@10 %.4f  coverage %.4f", r, m[MetricNDCG10], m[MetricMRR25], m[MetricPrec10], m[MetricCoverage])
	}
	up, pop := results[UserPersonalizationV2][MetricNDCG10], results[PopularityCount][MetricNDCG10]
	if up < 1.5*pop {
		t.Errorf("user-personalization NDCG@10 %.4f is not 1.5 times popularity's %.4f", up, pop)
	}
	for _, r := range []string{Sims, SimilarItems} {
		if results[r][MetricNDCG10] <= pop {
			t.Errorf("%s NDCG@10 %.4f below popularity's %.4f", r, results[r][MetricNDCG10], pop)
		}
	}
	again, _ := Evaluate(UserPersonalizationV2, s.Data, Params{Seed: 1})
	if !maps.Equal(again, results[UserPersonalizationV2]) {
		t.Error("Evaluate is not deterministic for a seed")
	}
}
