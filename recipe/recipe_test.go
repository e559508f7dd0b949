package recipe

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
)

// The planted data most tests share: 20 clusters, so that one cluster's
// share of the catalogue, the chance of a random recommendation being in
// it, is 5%.
var planted = sync.OnceValue(func() *SyntheticData {
	c := DefaultSynthetic(3000, 1200, 60000, 7)
	c.Surge = 60
	return Synthetic(c)
})

// trained caches one model per recipe on planted data.
var trained sync.Map

func model(t testing.TB, recipe string) Model {
	t.Helper()
	if m, ok := trained.Load(recipe); ok {
		return m.(Model)
	}
	m, err := Train(recipe, planted().Data, Params{Seed: 1})
	if err != nil {
		t.Fatalf("Train(%s): %v", recipe, err)
	}
	trained.Store(recipe, m)
	return m
}

// historyOf is user u's interactions as the runtime would read them.
func historyOf(d *Data, u int32) []Event {
	var h []Event
	for _, x := range d.Interactions {
		if x.User == u {
			h = append(h, Event{Item: d.Items[x.Item], Time: x.Time, EventType: x.EventType, Value: x.Value})
		}
	}
	return h
}

func itemIndex(s *SyntheticData, id string) int32 {
	i := slices.Index(s.Items, id)
	if i < 0 {
		panic("unknown item " + id)
	}
	return int32(i)
}

// clusterShare is the share of items that are in one of clusters.
func clusterShare(s *SyntheticData, items []Scored, clusters []int32) float64 {
	in := 0
	for _, it := range items {
		if slices.Contains(clusters, s.ItemCluster[itemIndex(s, it.Item)]) {
			in++
		}
	}
	return float64(in) / float64(max(len(items), 1))
}

func TestPopularityCountsDistinctUsers(t *testing.T) {
	d := &Data{
		Users: []string{"u0", "u1", "u2", "u3"},
		Items: []string{"a", "b", "c", "d"},
	}
	add := func(u, i int32, typ string) {
		d.Interactions = append(d.Interactions, Interaction{User: u, Item: i, Time: int64(len(d.Interactions)), EventType: typ, Value: float32(math.NaN())})
	}
	// a: one user, many times; b: three users; c: two users; d: none.
	for range 10 {
		add(0, 0, "click")
	}
	add(0, 1, "click")
	add(1, 1, "click")
	add(2, 1, "buy")
	add(1, 2, "buy")
	add(3, 2, "buy")
	m, err := Train(PopularityCount, d, Params{})
	if err != nil {
		t.Fatal(err)
	}
	got := m.(ForUser).RecommendForUser(nil, 10, nil)
	if want := []Scored{{Item: "b"}, {Item: "c"}, {Item: "a"}}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if du := m.(*Popularity).DistinctUsers(); du["a"] != 1 || du["b"] != 3 || du["c"] != 2 {
		t.Errorf("distinct users %v", du)
	}
	// One event type: c has two buyers, b one.
	m, err = Train(PopularityCount, d, Params{EventType: "buy"})
	if err != nil {
		t.Fatal(err)
	}
	got = m.(ForUser).RecommendForUser(nil, 10, func(id string) bool { return id != "zzz" })
	if want := []Scored{{Item: "c"}, {Item: "b"}}; !slices.Equal(got, want) {
		t.Errorf("buy: got %v, want %v", got, want)
	}
	if _, err := Train(PopularityCount, d, Params{EventType: "rate"}); !errors.Is(err, ErrNoInteractions) {
		t.Errorf("no events of the type: %v", err)
	}
}

func TestPopularityOnPlantedData(t *testing.T) {
	s := planted()
	m := model(t, PopularityCount).(ForUser)
	users := make([]map[int32]bool, len(s.Items))
	for _, x := range s.Interactions {
		if users[x.Item] == nil {
			users[x.Item] = map[int32]bool{}
		}
		users[x.Item][x.User] = true
	}
	got := m.RecommendForUser(nil, 500, nil)
	for i := 1; i < len(got); i++ {
		a, b := len(users[itemIndex(s, got[i-1].Item)]), len(users[itemIndex(s, got[i].Item)])
		if a < b || (a == b && got[i-1].Item > got[i].Item) {
			t.Fatalf("%s (%d users) before %s (%d users)", got[i-1].Item, a, got[i].Item, b)
		}
	}
	if got[0].HasScore {
		t.Error("popularity-count scores")
	}
}

func TestTrendingFindsTheSurge(t *testing.T) {
	s := planted()
	m := model(t, TrendingNow).(*Trending)
	got := m.RecommendForUser(nil, 10, nil)
	if want := s.Items[s.SurgeItem]; got[0].Item != want {
		t.Fatalf("trending %v, want %s first", got, want)
	}
	if got[0].HasScore {
		t.Error("trending-now scores")
	}

	// Without retraining: a new item surges after training, and an old one.
	now := m.Until() + 3*3600e3
	var events []Event
	for i := range 50 {
		events = append(events, Event{Item: "brand-new", Time: now - int64(i)*60e3, EventType: SyntheticClick})
	}
	for i := range 30 {
		events = append(events, Event{Item: s.Items[5], Time: now - int64(i)*60e3, EventType: SyntheticClick})
	}
	r := m.Refresh(events, now)
	got = r.RecommendForUser(nil, 3, nil)
	if got[0].Item != "brand-new" || got[1].Item != s.Items[5] {
		t.Errorf("after refresh: %v", got)
	}
	if !slices.Contains(r.Items(), "brand-new") || slices.Contains(m.Items(), "brand-new") {
		t.Error("the refreshed model should know the new item, the old one not")
	}
	if m.RecommendForUser(nil, 1, nil)[0].Item != s.Items[s.SurgeItem] {
		t.Error("Refresh changed the model it was called on")
	}

	// No interactions in the last two intervals: popular items.
	quiet := m.Refresh(nil, m.Until()+10*m.Interval())
	pop := model(t, PopularityCount).(ForUser).RecommendForUser(nil, 20, nil)
	if got := quiet.RecommendForUser(nil, 20, nil); !slices.EqualFunc(got, pop, func(a, b Scored) bool { return a.Item == b.Item }) {
		t.Errorf("quiet trend %v, want the popular items %v", got, pop)
	}
}

func TestTrendingFrequency(t *testing.T) {
	s := planted()
	for f, ms := range trendFrequencies {
		m, err := Train(TrendingNow, s.Data, Params{Features: map[string]string{"trend_discovery_frequency": f}})
		if err != nil {
			t.Fatal(err)
		}
		if m.(*Trending).Interval() != ms {
			t.Errorf("%s: interval %d", f, m.(*Trending).Interval())
		}
	}
	_, err := Train(TrendingNow, s.Data, Params{Features: map[string]string{"trend_discovery_frequency": "5 hours"}})
	var pe *ParamError
	if !errors.As(err, &pe) || pe.Name != "trend_discovery_frequency" {
		t.Errorf("5 hours: %v", err)
	}
}

// relatedShare is, over the most popular items, the share of their
// first 10 neighbours in their own cluster.
func relatedShare(t *testing.T, s *SyntheticData, m Related, items []Scored) float64 {
	t.Helper()
	sum := 0.0
	for _, it := range items {
		cl := s.ItemCluster[itemIndex(s, it.Item)]
		nb := m.RecommendRelated(it.Item, 10, nil)
		if slices.ContainsFunc(nb, func(x Scored) bool { return x.Item == it.Item || x.HasScore }) {
			t.Fatalf("%s: %v", it.Item, nb)
		}
		sum += clusterShare(s, nb, []int32{cl})
	}
	return sum / float64(len(items))
}

func TestRelatedItemsShareTheirCluster(t *testing.T) {
	s := planted()
	top := model(t, PopularityCount).(ForUser).RecommendForUser(nil, 200, nil)
	for _, r := range []string{Sims, SimilarItems} {
		share := relatedShare(t, s, model(t, r).(Related), top)
		t.Logf("%s: %.2f of neighbours in the item's cluster (chance 0.05)", r, share)
		if share < 0.6 {
			t.Errorf("%s: only %.2f of neighbours in the item's cluster", r, share)
		}
	}
}

func TestRelatedUnknownItemGetsPopular(t *testing.T) {
	pop := model(t, PopularityCount).(ForUser).RecommendForUser(nil, 10, nil)
	for _, r := range []string{Sims, SimilarItems} {
		got := model(t, r).(Related).RecommendRelated("no-such-item", 10, nil)
		if !slices.EqualFunc(got, pop, func(a, b Scored) bool { return a.Item == b.Item && b.Popular != a.Popular }) {
			t.Errorf("%s: %v, want popular %v", r, got, pop)
		}
	}
}

func TestSimsParameters(t *testing.T) {
	s := planted()
	// min_cointeraction_count 10 leaves fewer neighbours than 3 does.
	strict, err := Train(Sims, s.Data, Params{Hyper: map[string]string{"min_cointeraction_count": "10"}})
	if err != nil {
		t.Fatal(err)
	}
	loose := model(t, Sims).(*Neighbours)
	if len(strict.(*Neighbours).nbr) >= len(loose.nbr) {
		t.Errorf("min_cointeraction_count 10 kept %d pairs, 3 kept %d", len(strict.(*Neighbours).nbr), len(loose.nbr))
	}
	// The discount trades popularity for correlation: the less of it,
	// the more popular the neighbours.
	users := model(t, PopularityCount).(*Popularity).DistinctUsers()
	top := model(t, PopularityCount).(ForUser).RecommendForUser(nil, 200, nil)
	neighbourUsers := func(f string) float64 {
		m, err := Train(Sims, s.Data, Params{Hyper: map[string]string{"popularity_discount_factor": f}})
		if err != nil {
			t.Fatal(err)
		}
		sum, n := 0, 0
		for _, it := range top {
			for _, x := range m.(Related).RecommendRelated(it.Item, 10, nil) {
				sum += users[x.Item]
				n++
			}
		}
		return float64(sum) / float64(n)
	}
	f0, f5, f1 := neighbourUsers("0"), neighbourUsers("0.5"), neighbourUsers("1")
	t.Logf("mean distinct users of neighbours: %.1f (discount 0), %.1f (0.5), %.1f (1)", f0, f5, f1)
	if !(f0 > f5 && f5 > f1) {
		t.Errorf("mean distinct users of neighbours: %.1f (discount 0), %.1f (0.5), %.1f (1)", f0, f5, f1)
	}
	for name, v := range map[string]string{"popularity_discount_factor": "1.5", "min_cointeraction_count": "x"} {
		_, err := Train(Sims, s.Data, Params{Hyper: map[string]string{name: v}})
		var pe *ParamError
		if !errors.As(err, &pe) || pe.Name != name || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: %v", name, v, err)
		}
	}
}

func TestSimilarItemsColdItemsByMetadata(t *testing.T) {
	s := planted()
	m := model(t, SimilarItems).(Related)
	if len(s.Cold) < 10 {
		t.Fatalf("only %d cold items", len(s.Cold))
	}
	genre := func(i int32) string { return s.ItemFeatures[i][0] }
	sum := 0.0
	for _, c := range s.Cold {
		nb := m.RecommendRelated(s.Items[c], 10, nil)
		same := 0
		for _, x := range nb {
			if genre(itemIndex(s, x.Item)) == genre(c) {
				same++
			}
		}
		sum += float64(same) / float64(len(nb))
	}
	share := sum / float64(len(s.Cold))
	t.Logf("cold items: %.2f of neighbours share their GENRE (chance 0.05)", share)
	if share < 0.9 {
		t.Errorf("cold items: only %.2f of neighbours share their GENRE", share)
	}
	// sims knows nothing of metadata: a cold item gets popular items.
	got := model(t, Sims).(Related).RecommendRelated(s.Items[s.Cold[0]], 5, nil)
	if !got[0].Popular {
		t.Errorf("sims on a cold item: %v", got)
	}
}

func TestUserPersonalizationRecommendsTheUsersClusters(t *testing.T) {
	s := planted()
	m := model(t, UserPersonalizationV2).(ForUser)
	share, chance := 0.0, 0.0
	users := 0
	for u := int32(0); u < int32(len(s.Users)); u += 10 {
		h := historyOf(s.Data, u)
		got := m.RecommendForUser(h, 25, nil)
		if len(got) != 25 {
			t.Fatalf("user %d: %d items", u, len(got))
		}
		for _, x := range got {
			if slices.ContainsFunc(h, func(e Event) bool { return e.Item == x.Item }) {
				t.Fatalf("user %d: %s was in the history", u, x.Item)
			}
			if !x.HasScore || x.Popular {
				t.Fatalf("user %d: %+v", u, x)
			}
		}
		for i := 1; i < len(got); i++ {
			if got[i].Score > got[i-1].Score {
				t.Fatalf("user %d: not in descending order: %v", u, got)
			}
		}
		share += clusterShare(s, got, s.Tastes[u])
		chance += float64(len(s.Tastes[u])) / 20
		users++
	}
	share /= float64(users)
	chance /= float64(users)
	t.Logf("%.2f of recommendations in the user's current clusters (chance %.3f)", share, chance)
	if share < 3*chance || share < 0.5 {
		t.Errorf("only %.2f of recommendations in the user's clusters (chance %.3f)", share, chance)
	}
}

func TestUserPersonalizationScoresSumToOne(t *testing.T) {
	s := planted()
	m, err := Train(UserPersonalization, s.Data, Params{Seed: 1, Hyper: map[string]string{"exclude_interacted_items": "false"}})
	if err != nil {
		t.Fatal(err)
	}
	got := m.(ForUser).RecommendForUser(historyOf(s.Data, 3), len(s.Items), nil)
	sum := 0.0
	for _, x := range got {
		sum += x.Score
	}
	if len(got) != len(s.Items) || math.Abs(sum-1) > 1e-6 {
		t.Errorf("%d items, scores sum to %v", len(got), sum)
	}
	if beta := m.(*Personalized).beta; beta <= 1 {
		t.Errorf("beta %v: scores nearly uniform", beta)
	}
	t.Logf("first scores %.7f %.7f %.7f; beta %.2f", got[0].Score, got[1].Score, got[2].Score, m.(*Personalized).beta)
}

func TestUserPersonalizationColdUserGetsPopular(t *testing.T) {
	m := model(t, UserPersonalizationV2).(ForUser)
	pop := model(t, PopularityCount).(ForUser).RecommendForUser(nil, 10, nil)
	for _, h := range [][]Event{nil, {{Item: "unknown", EventType: SyntheticClick}}} {
		got := m.RecommendForUser(h, 10, nil)
		if !slices.EqualFunc(got, pop, func(a, b Scored) bool { return a.Item == b.Item && a.Popular && !a.HasScore }) {
			t.Errorf("history %v: %v, want popular %v", h, got, pop)
		}
	}
}

func TestRealTimeEventsShiftRecommendations(t *testing.T) {
	s := planted()
	m := model(t, UserPersonalizationV2).(ForUser)
	var u int32
	for u = 0; len(s.Tastes[u]) != 1 || !slices.Equal(s.Tastes[u], s.Early[u]); u++ {
	}
	h := historyOf(s.Data, u)
	other := (s.Tastes[u][0] + 7) % 20
	before := m.RecommendForUser(h, 25, nil)
	newest := slices.MaxFunc(h, func(a, b Event) int { return int(a.Time - b.Time) }).Time
	// The user takes up another cluster's popular items after training.
	pop := model(t, PopularityCount).(ForUser).RecommendForUser(nil, 1000, nil)
	added := 0
	for _, x := range pop {
		if s.ItemCluster[itemIndex(s, x.Item)] == other && added < 8 {
			added++
			h = append(h, Event{Item: x.Item, Time: newest + int64(added)*60e3, EventType: SyntheticClick, Value: float32(math.NaN())})
		}
	}
	after := m.RecommendForUser(h, 25, nil)
	b, a := clusterShare(s, before, []int32{other}), clusterShare(s, after, []int32{other})
	t.Logf("cluster %d's share: %.2f before, %.2f after 8 new events", other, b, a)
	if a < b+0.3 {
		t.Errorf("cluster %d's share went from %.2f to %.2f", other, b, a)
	}
}

func TestRankerPutsTheUsersClusterFirst(t *testing.T) {
	s := planted()
	m := model(t, PersonalizedRankingV2).(Ranker)
	if _, ok := m.(ForUser); !ok {
		t.Error("the ranking model should recommend too")
	}
	wins, users := 0, 0
	for u := int32(1); u < int32(len(s.Users)); u += 37 {
		mine := s.Tastes[u]
		var list []string
		for i := range s.Items {
			if len(list) == 20 {
				break
			}
			cl := s.ItemCluster[i]
			nMine := 0
			for _, id := range list {
				if slices.Contains(mine, s.ItemCluster[itemIndex(s, id)]) {
					nMine++
				}
			}
			if slices.Contains(mine, cl) && nMine < 10 || !slices.Contains(mine, cl) && len(list)-nMine < 10 && !slices.Contains(s.Early[u], cl) {
				list = append(list, s.Items[i])
			}
		}
		list = append(list, "unknown-1", "unknown-2", list[0])
		got := m.Rank(historyOf(s.Data, u), list)
		if len(got) != 22 || got[20].Item != "unknown-1" || got[21].Item != "unknown-2" || got[21].Score != 0 || !got[21].HasScore {
			t.Fatalf("user %d: %v", u, got)
		}
		sum := 0.0
		for _, x := range got {
			sum += x.Score
		}
		if math.Abs(sum-1) > 1e-6 {
			t.Errorf("user %d: scores sum to %v", u, sum)
		}
		if clusterShare(s, got[:10], mine) >= 0.8 {
			wins++
		}
		users++
	}
	t.Logf("%d of %d users had at least 8 of their 10 items first", wins, users)
	if wins < users*8/10 {
		t.Errorf("only %d of %d users had their clusters first", wins, users)
	}
	// A user with no history: by popularity, scores summing to one.
	got := m.Rank(nil, []string{s.Items[0], s.Items[1], "x"})
	if got[2].Item != "x" || math.Abs(got[0].Score+got[1].Score-1) > 1e-9 || !got[0].Popular {
		t.Errorf("cold user: %v", got)
	}
}

func TestEventTypeWeightsAndThresholds(t *testing.T) {
	s := planted()
	// Purchases only, and only the dearer ones.
	th := 40.0
	m, err := Train(UserPersonalizationV2, s.Data, Params{Seed: 1, EventType: SyntheticPurchase, EventValueThreshold: &th})
	if err != nil {
		t.Fatal(err)
	}
	p := m.(*Personalized)
	if p.rule.weight(SyntheticClick, 100) != 0 || p.rule.weight(SyntheticPurchase, 39) != 0 || p.rule.weight(SyntheticPurchase, float32(math.NaN())) != 0 || p.rule.weight(SyntheticPurchase, 40) != 1 {
		t.Error("event type or threshold not applied")
	}
	// A history of clicks alone is no history for it.
	h := []Event{{Item: s.Items[1], EventType: SyntheticClick, Time: 1}}
	if got := m.(ForUser).RecommendForUser(h, 3, nil); !got[0].Popular {
		t.Errorf("clicks counted: %v", got)
	}
	r, err := newEventRule(Params{EventWeights: map[string]float64{"click": 0.1, "purchase": 0.5, "watch": 0}, EventThresholds: map[string]float64{"purchase": 10}})
	if err != nil {
		t.Fatal(err)
	}
	if r.weight("click", 0) != 0.2 || r.weight("purchase", 10) != 1 || r.weight("purchase", 9) != 0 || r.weight("watch", 1) != 0 || r.weight("rate", 1) != 0 {
		t.Errorf("weights: %v", r)
	}
	if _, err := newEventRule(Params{EventWeights: map[string]float64{"click": 2}}); err == nil {
		t.Error("weight 2 accepted")
	}
}

func TestHyperparameterErrors(t *testing.T) {
	s := planted()
	for _, c := range []struct{ recipe, name, value string }{
		{UserPersonalizationV2, "hidden_dimension", "abc"},
		{UserPersonalizationV2, "hidden_dimension", "8"},
		{UserPersonalizationV2, "apply_recency_bias", "maybe"},
		{UserPersonalization, "recency_mask", "1"},
		{UserPersonalization, "bptt", "64"},
		{PersonalizedRanking, "num_iterations", "0"},
		{PersonalizedRankingV2, "regularization", "-1"},
		{UserPersonalizationV2, "confidence_alpha", "NaN"},
		{SimilarItems, "item_id_hidden_dim", "500"},
	} {
		_, err := Train(c.recipe, s.Data, Params{Hyper: map[string]string{c.name: c.value}})
		var pe *ParamError
		if !errors.As(err, &pe) || pe.Name != c.name || !strings.Contains(err.Error(), c.name) {
			t.Errorf("%s %s=%q: %v", c.recipe, c.name, c.value, err)
		}
	}
	if _, err := Train("aws-hrnn", s.Data, Params{}); err == nil {
		t.Error("aws-hrnn trained")
	}
	if _, err := Train(Sims, &Data{Items: []string{"a"}, Users: []string{"u"}, Interactions: []Interaction{{User: 0, Item: 1}}}, Params{}); err == nil {
		t.Error("an interaction out of range trained")
	}
}

func TestTrainingIsDeterministic(t *testing.T) {
	s := planted()
	for _, r := range []string{UserPersonalizationV2, Sims} {
		a, err := Train(r, s.Data, Params{Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Train(r, s.Data, Params{Seed: 3})
		ab, _ := a.MarshalBinary()
		bb, _ := b.MarshalBinary()
		if !bytes.Equal(ab, bb) {
			t.Errorf("%s: two trainings with one seed differ", r)
		}
	}
}

func TestMarshalLoadRoundTrip(t *testing.T) {
	s := planted()
	trend := model(t, TrendingNow).(*Trending)
	refreshed := trend.Refresh([]Event{{Item: "new", Time: trend.Until() + 1, EventType: SyntheticClick}}, trend.Until()+2)
	models := []Model{refreshed}
	for _, r := range Names() {
		models = append(models, model(t, r))
	}
	keep := func(id string) bool { return !strings.HasSuffix(id, "3") }
	answers := func(m Model) string {
		var b strings.Builder
		for u := int32(0); u < 50; u++ {
			h := historyOf(s.Data, u)
			switch m := m.(type) {
			case ForUser:
				fmt.Fprint(&b, m.RecommendForUser(h, 20, keep))
			case Related:
				fmt.Fprint(&b, m.RecommendRelated(s.Items[u], 20, keep))
			}
			if r, ok := m.(Ranker); ok {
				fmt.Fprint(&b, r.Rank(h, s.Items[u:u+30]))
			}
		}
		return b.String()
	}
	for _, m := range models {
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		l, err := Load(b)
		if err != nil {
			t.Fatalf("%s: %v", m.Recipe(), err)
		}
		if l.Recipe() != m.Recipe() || !slices.Equal(l.Items(), m.Items()) || answers(l) != answers(m) {
			t.Errorf("%s: loaded model answers differently", m.Recipe())
		}
		b2, _ := l.MarshalBinary()
		if !bytes.Equal(b, b2) {
			t.Errorf("%s: marshalled again, the bytes differ", m.Recipe())
		}
		// Damaged bytes are an error, never a panic.
		for _, n := range []int{0, 5, len(magic) + 2, len(b) / 3, len(b) / 2, len(b) - 1} {
			if _, err := Load(b[:n]); err == nil {
				t.Errorf("%s: %d of %d bytes loaded", m.Recipe(), n, len(b))
			}
		}
		if _, err := Load(append(slices.Clone(b), 0)); err == nil {
			t.Errorf("%s: trailing byte loaded", m.Recipe())
		}
	}
}

func TestKeepFilters(t *testing.T) {
	s := planted()
	onlyEven := func(id string) bool { return (id[len(id)-1]-'0')%2 == 0 }
	h := historyOf(s.Data, 11)
	for _, r := range Names() {
		var got []Scored
		switch m := model(t, r).(type) {
		case ForUser:
			got = m.RecommendForUser(h, 300, onlyEven)
		case Related:
			got = m.RecommendRelated(s.Items[2], 300, onlyEven)
		default:
			continue // next-best-action: TestActionsColdExpiryRepeat
		}
		if len(got) != 300 {
			t.Errorf("%s: %d items", r, len(got))
		}
		seen := map[string]bool{}
		for _, x := range got {
			if !onlyEven(x.Item) || seen[x.Item] {
				t.Fatalf("%s: %v", r, got)
			}
			seen[x.Item] = true
		}
	}
}

func TestUserUnseenAtTrainingIsServedAlike(t *testing.T) {
	s := planted()
	// Train without a tenth of the users; they then arrive with their
	// whole history.
	without := *s.Data
	without.Interactions = nil
	for _, x := range s.Interactions {
		if x.User%10 != 4 {
			without.Interactions = append(without.Interactions, x)
		}
	}
	m, err := Train(UserPersonalizationV2, &without, Params{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	seen := model(t, UserPersonalizationV2).(ForUser)
	unseen, both, users := 0.0, 0.0, 0
	for u := int32(4); u < int32(len(s.Users)); u += 40 {
		h := historyOf(s.Data, u)
		a, b := seen.RecommendForUser(h, 25, nil), m.(ForUser).RecommendForUser(h, 25, nil)
		unseen += clusterShare(s, b, s.Tastes[u])
		common := 0
		for _, x := range a {
			if slices.ContainsFunc(b, func(y Scored) bool { return y.Item == x.Item }) {
				common++
			}
		}
		both += float64(common) / 25
		users++
	}
	unseen /= float64(users)
	both /= float64(users)
	t.Logf("users unseen at training: %.2f of recommendations in their clusters; %.2f in common with the model that saw them", unseen, both)
	if unseen < 0.5 || both < 0.5 {
		t.Errorf("users unseen at training: %.2f in their clusters, %.2f in common", unseen, both)
	}
}

func TestRecencySwitches(t *testing.T) {
	s := planted()
	for _, c := range []struct {
		recipe, name, value string
		on                  bool
	}{
		{UserPersonalizationV2, "", "", true},
		{UserPersonalizationV2, "apply_recency_bias", "false", false},
		{PersonalizedRanking, "recency_mask", "False", false},
		{UserPersonalization, "recency_mask", "True", true},
		{UserPersonalization, "recency_half_life_days", "2", true},
	} {
		m, err := Train(c.recipe, s.Data, Params{Seed: 1, Hyper: map[string]string{c.name: c.value}})
		if err != nil {
			t.Fatal(err)
		}
		hl := m.(*Personalized).halfLife
		if (hl > 0) != c.on || (c.name == "recency_half_life_days" && hl != 2*86400e3) {
			t.Errorf("%s %s=%s: half-life %v ms", c.recipe, c.name, c.value, hl)
		}
	}
}
