package serving_test

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/catalog"
	"github.com/perchdev/perch/ingest"
	"github.com/perchdev/perch/internal/fixture"
	"github.com/perchdev/perch/pebble"
	"github.com/perchdev/perch/recipe"
	"github.com/perchdev/perch/serving"
	"github.com/perchdev/perch/solutions"
	"github.com/perchdev/perch/training"
)

var scope = perch.Scope{Region: "us-east-1", Account: "111122223333"}

const (
	interactionsSchema = `{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[` +
		`{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},` +
		`{"name":"EVENT_VALUE","type":["null","float"]},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}`
	itemsSchema = `{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[` +
		`{"name":"ITEM_ID","type":"string"},{"name":"GENRE","type":["null","string"],"categorical":true},` +
		`{"name":"BRAND","type":["null","string"],"categorical":true},{"name":"PRICE","type":["null","string"],"categorical":true},` +
		`{"name":"CREATION_TIMESTAMP","type":"long"}],"version":"1.0"}`
)

// world is the whole recommendation side over a real store on disk: the
// control plane, a trainer and the runtime, with a dataset group holding
// synthetic interactions whose planted tastes the tests check answers
// against.
type world struct {
	t       *testing.T
	ctx     context.Context
	store   *pebble.Store
	cat     *catalog.Catalog
	ingest  *ingest.Service
	sols    *solutions.Service
	trainer *training.Trainer
	rt      *serving.Service
	group   *perch.DatasetGroup
	items   *perch.Dataset
	tracker string
	data    *recipe.SyntheticData
}

// config is the synthetic data the tests share: small enough to train
// in seconds under the race detector, with twenty planted tastes.
func config() recipe.SyntheticConfig {
	return recipe.DefaultSynthetic(400, 2000, 8000, 7)
}

func newWorld(t *testing.T, c recipe.SyntheticConfig) *world {
	t.Helper()
	ctx, store, cat := fixture.Catalog(t, scope)
	w := &world{t: t, ctx: ctx, store: store, cat: cat, ingest: ingest.New(cat, store)}
	w.group = must(cat.CreateDatasetGroup(ctx, perch.CreateDatasetGroupInput{Name: "shop"}))(t)
	is := must(cat.CreateSchema(ctx, perch.CreateSchemaInput{Name: "interactions", Definition: interactionsSchema}))(t)
	must(cat.CreateDataset(ctx, perch.CreateDatasetInput{Name: "i", SchemaARN: is.ARN, GroupARN: w.group.ARN, Type: "Interactions"}))(t)
	ts := must(cat.CreateSchema(ctx, perch.CreateSchemaInput{Name: "items", Definition: itemsSchema}))(t)
	w.items = must(cat.CreateDataset(ctx, perch.CreateDatasetInput{Name: "items", SchemaARN: ts.ARN, GroupARN: w.group.ARN, Type: "Items"}))(t)
	w.tracker = must(cat.CreateEventTracker(ctx, perch.CreateEventTrackerInput{Name: "web", GroupARN: w.group.ARN}))(t).TrackingID

	w.trainer = training.Start(training.Config{Store: store, Catalog: cat, Poll: 50 * time.Millisecond, Schedule: -1})
	t.Cleanup(w.trainer.Close)
	w.sols = solutions.New(store.Resources(), scope, solutions.Options{Trained: w.trainer.Wake})
	w.rt = serving.New(serving.Config{Store: store, Catalog: cat})

	if c.Users > 0 {
		w.data = recipe.Synthetic(c)
		w.load(w.data.Data)
	}
	return w
}

func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// load sends d's interactions through PutEvents and its items' metadata
// through PutItems.
func (w *world) load(d *recipe.Data) {
	w.t.Helper()
	events := make([]perch.Event, len(d.Interactions))
	for i, in := range d.Interactions {
		e := perch.Event{EventType: in.EventType, SentAt: perch.Timestamp(in.Time), ItemID: d.Items[in.Item], UserID: d.Users[in.User]}
		if !math.IsNaN(float64(in.Value)) {
			v := float64(in.Value)
			e.EventValue = &v
		}
		events[i] = e
	}
	for len(events) > 0 {
		n := min(len(events), 500)
		if err := w.ingest.PutEvents(w.ctx, w.tracker, events[:n]); err != nil {
			w.t.Fatal(err)
		}
		events = events[n:]
	}
	var entities []perch.Entity
	for i, id := range d.Items {
		props := map[string]any{"creationTimestamp": d.ItemCreated[i] / 1000}
		for _, f := range d.ItemFeatures[i] {
			field, value, _ := strings.Cut(f, "=")
			props[strings.ToLower(field)] = value
		}
		text, _ := json.Marshal(props)
		entities = append(entities, perch.Entity{ID: id, Properties: string(text)})
	}
	if err := w.ingest.PutEntities(w.ctx, w.items.ARN, perch.Items, entities); err != nil {
		w.t.Fatal(err)
	}
}

// train creates a solution of recipe and a version of it, and waits for
// the version's training to end.
func (w *world) train(name, recipeName string, in perch.CreateSolutionInput) *perch.SolutionVersion {
	w.t.Helper()
	no := false
	in.Name, in.GroupARN, in.RecipeARN, in.PerformAutoTraining = name, w.group.ARN, solutions.RecipeARN(recipeName), &no
	sol := must(w.sols.CreateSolution(w.ctx, in))(w.t)
	v := must(w.sols.CreateSolutionVersion(w.ctx, perch.CreateSolutionVersionInput{SolutionARN: sol.ARN}))(w.t)
	return w.wait(v.ARN)
}

// wait waits for version arn's training to end.
func (w *world) wait(arn string) *perch.SolutionVersion {
	w.t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		v := must(w.sols.DescribeSolutionVersion(w.ctx, arn))(w.t)
		if !perch.Training(v.Status) && v.Status != perch.StatusCreateStopping {
			return v
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("version %s still %s after 3 minutes", arn, v.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// serve trains recipe and creates a campaign of the version.
func (w *world) serve(name, recipeName string, in perch.CreateSolutionInput, config *perch.CampaignConfig) *perch.Campaign {
	w.t.Helper()
	v := w.train(name, recipeName, in)
	if v.Status != perch.StatusActive {
		w.t.Fatalf("%s: version %s, %s", recipeName, v.Status, v.FailureReason)
	}
	return must(w.sols.CreateCampaign(w.ctx, perch.CreateCampaignInput{Name: name, SolutionVersionARN: v.ARN, Config: config}))(w.t)
}

func (w *world) recommend(in perch.RecommendationsInput) *perch.Recommendations {
	w.t.Helper()
	return must(w.rt.GetRecommendations(w.ctx, in))(w.t)
}

// inTaste is the share of items, over the answers to every user, that
// come from the clusters the user's newest interactions come from.
func (w *world) inTaste(campaign string) float64 {
	w.t.Helper()
	hits, total := 0, 0
	for u, user := range w.data.Users {
		if u%3 != 0 {
			continue
		}
		for _, it := range w.recommend(perch.RecommendationsInput{CampaignARN: campaign, UserID: user}).Items {
			total++
			if slices.Contains(w.data.Tastes[u], w.cluster(it.ItemID)) {
				hits++
			}
		}
	}
	return float64(hits) / float64(total)
}

// byPopularity lists the items by their number of interactions, most
// first.
func (w *world) byPopularity() []string {
	counts := make([]int, len(w.data.Items))
	for _, in := range w.data.Interactions {
		counts[in.Item]++
	}
	list := slices.Clone(w.data.Items)
	slices.SortStableFunc(list, func(a, b string) int {
		return counts[slices.Index(w.data.Items, b)] - counts[slices.Index(w.data.Items, a)]
	})
	return list
}

func (w *world) cluster(item string) int32 {
	return w.data.ItemCluster[slices.Index(w.data.Items, item)]
}

func TestUserPersonalization(t *testing.T) {
	t.Parallel()
	w := newWorld(t, config())
	personal := w.serve("personal", recipe.UserPersonalizationV2, perch.CreateSolutionInput{}, nil)
	popular := w.serve("popular", recipe.PopularityCount, perch.CreateSolutionInput{}, nil)

	v := must(w.sols.DescribeSolutionVersion(w.ctx, personal.SolutionVersionARN))(t)
	if v.TrainingHours == nil || *v.TrainingHours <= 0 {
		t.Errorf("trainingHours %v, want a positive figure", v.TrainingHours)
	}
	metrics := must(w.sols.GetSolutionMetrics(w.ctx, v.ARN))(t)
	for _, name := range []string{"coverage", "mean_reciprocal_rank_at_25", "normalized_discounted_cumulative_gain_at_5",
		"normalized_discounted_cumulative_gain_at_10", "normalized_discounted_cumulative_gain_at_25", "precision_at_5",
		"precision_at_10", "precision_at_25"} {
		if m, ok := metrics[name]; !ok || m < 0 || m > 1 {
			t.Errorf("metric %s: %v (present %v), want a figure in [0, 1]", name, m, ok)
		}
	}
	popMetrics := must(w.sols.GetSolutionMetrics(w.ctx, popular.SolutionVersionARN))(t)
	if metrics["normalized_discounted_cumulative_gain_at_25"] <= popMetrics["normalized_discounted_cumulative_gain_at_25"] {
		t.Errorf("NDCG@25 of %s %.4f, of popularity %.4f: personalization does not beat popularity on the holdout",
			recipe.UserPersonalizationV2, metrics["normalized_discounted_cumulative_gain_at_25"], popMetrics["normalized_discounted_cumulative_gain_at_25"])
	}

	// The planted tastes: a user's recommendations come from the clusters
	// the user likes now, far more than the popular items do.
	p, b := w.inTaste(personal.ARN), w.inTaste(popular.ARN)
	t.Logf("share of recommendations in the user's tastes: personalized %.3f, popular %.3f", p, b)
	if p < 0.6 || p < 2*b {
		t.Errorf("share in taste: personalized %.3f, popular %.3f; want at least 0.6 and twice popularity's", p, b)
	}

	one := w.recommend(perch.RecommendationsInput{CampaignARN: personal.ARN, UserID: w.data.Users[0], NumResults: 7})
	if len(one.Items) != 7 || !strings.HasPrefix(one.RecommendationID, "RID-") {
		t.Errorf("numResults 7: %d items, recommendationId %q", len(one.Items), one.RecommendationID)
	}
	for i, it := range one.Items {
		if it.Score == nil || *it.Score != math.Round(*it.Score*1e7)/1e7 {
			t.Errorf("item %d: score %v, want one rounded to 7 decimals", i, it.Score)
		}
		if i > 0 && *it.Score > *one.Items[i-1].Score {
			t.Errorf("item %d scores %v, more than the one before it", i, *it.Score)
		}
	}
	if got := w.recommend(perch.RecommendationsInput{CampaignARN: personal.ARN, UserID: "u00001"}).Items; len(got) != perch.DefaultRecommendations {
		t.Errorf("default numResults: %d items, want %d", len(got), perch.DefaultRecommendations)
	}

	// A visitor the model has never seen gets popular items, then items
	// of the cluster it takes to, as soon as its events are stored.
	cold := w.recommend(perch.RecommendationsInput{CampaignARN: personal.ARN, UserID: "visitor"})
	if len(cold.Items) == 0 || !slices.Equal(cold.Items[0].Reason, []string{"Popular item"}) {
		t.Fatalf("a new user's first item: %+v, want the reason Popular item", cold.Items)
	}
	const taste = 3
	var events []perch.Event
	for i, id := range w.data.Items {
		if w.data.ItemCluster[i] == taste && len(events) < 8 && !slices.Contains(w.data.Cold, int32(i)) {
			events = append(events, perch.Event{EventType: "click", ItemID: id, UserID: "visitor", SentAt: perch.TimestampOf(time.Now())})
		}
	}
	if err := w.ingest.PutEvents(w.ctx, w.tracker, events); err != nil {
		t.Fatal(err)
	}
	warm := w.recommend(perch.RecommendationsInput{CampaignARN: personal.ARN, UserID: "visitor"})
	in := 0
	for _, it := range warm.Items {
		if w.cluster(it.ItemID) == taste {
			in++
		}
		if slices.ContainsFunc(events, func(e perch.Event) bool { return e.ItemID == it.ItemID }) {
			t.Errorf("item %s the visitor has just clicked is recommended to it", it.ItemID)
		}
	}
	if in < len(warm.Items)/2 {
		t.Errorf("after 8 clicks in cluster %d, %d of %d recommendations are in it", taste, in, len(warm.Items))
	}

	// Popularity-count gives everyone the same list, the items most
	// users interacted with first, with or without a user.
	anyone := w.recommend(perch.RecommendationsInput{CampaignARN: popular.ARN})
	users := map[string]map[int32]bool{}
	for _, in := range w.data.Interactions {
		id := w.data.Items[in.Item]
		if users[id] == nil {
			users[id] = map[int32]bool{}
		}
		users[id][in.User] = true
	}
	counts := map[string]int{}
	for id, u := range users {
		counts[id] = len(u)
	}
	for i := 1; i < len(anyone.Items); i++ {
		if counts[anyone.Items[i].ItemID] > counts[anyone.Items[i-1].ItemID] {
			t.Errorf("popularity-count: %s (%d users) after %s (%d)", anyone.Items[i].ItemID,
				counts[anyone.Items[i].ItemID], anyone.Items[i-1].ItemID, counts[anyone.Items[i-1].ItemID])
		}
		if anyone.Items[i].Score != nil {
			t.Errorf("popularity-count item %d has a score", i)
		}
	}
}

func TestRequestErrors(t *testing.T) {
	t.Parallel()
	w := newWorld(t, config())
	personal := w.serve("personal", recipe.UserPersonalization, perch.CreateSolutionInput{}, nil)
	ranking := w.serve("ranking", recipe.PersonalizedRanking, perch.CreateSolutionInput{}, nil)
	sims := w.serve("sims", recipe.Sims, perch.CreateSolutionInput{}, nil)
	for _, c := range []struct {
		what  string
		call  func() error
		code  string
		parts []string
	}{
		{"no campaign", rec(w, perch.RecommendationsInput{UserID: "u1"}), perch.EInvalidInput, []string{"campaignArn"}},
		{"both arns", rec(w, perch.RecommendationsInput{CampaignARN: personal.ARN, RecommenderARN: "arn:aws:personalize:us-east-1:111122223333:recommender/r", UserID: "u1"}),
			perch.EInvalidInput, []string{"not both"}},
		{"unknown campaign", rec(w, perch.RecommendationsInput{CampaignARN: personal.ARN + "x", UserID: "u1"}), perch.EResourceNotFound, []string{personal.ARN + "x"}},
		{"other account", rec(w, perch.RecommendationsInput{CampaignARN: strings.Replace(personal.ARN, scope.Account, "999999999999", 1), UserID: "u1"}),
			perch.EResourceNotFound, nil},
		{"no user", rec(w, perch.RecommendationsInput{CampaignARN: personal.ARN}), perch.EInvalidInput, []string{"userId"}},
		{"no item", rec(w, perch.RecommendationsInput{CampaignARN: sims.ARN, UserID: "u1"}), perch.EInvalidInput, []string{"itemId"}},
		{"ranker", rec(w, perch.RecommendationsInput{CampaignARN: ranking.ARN, UserID: "u1"}), perch.EInvalidInput, []string{"GetPersonalizedRanking"}},
		{"too many", rec(w, perch.RecommendationsInput{CampaignARN: personal.ARN, UserID: "u1", NumResults: 501}), perch.EInvalidInput, []string{"501", "500"}},
		{"metadata not enabled", rec(w, perch.RecommendationsInput{CampaignARN: personal.ARN, UserID: "u1", MetadataColumns: map[string][]string{"ITEMS": {"GENRE"}}}),
			perch.EInvalidInput, []string{"enableMetadataWithRecommendations"}},
		{"not a ranker", rank(w, perch.RankingInput{CampaignARN: personal.ARN, UserID: "u1", InputList: []string{"i00001"}}),
			perch.EInvalidInput, []string{"GetRecommendations"}},
		{"long list", rank(w, perch.RankingInput{CampaignARN: ranking.ARN, UserID: "u1", InputList: make([]string, 501)}),
			perch.EInvalidInput, []string{"501", "500"}},
	} {
		err := c.call()
		if perch.ErrorCode(err) != c.code {
			t.Errorf("%s: %v, want %s", c.what, err, c.code)
			continue
		}
		for _, p := range c.parts {
			if !strings.Contains(err.Error(), p) {
				t.Errorf("%s: %q does not say %q", c.what, err, p)
			}
		}
	}
}

func rec(w *world, in perch.RecommendationsInput) func() error {
	return func() error { _, err := w.rt.GetRecommendations(w.ctx, in); return err }
}

func rank(w *world, in perch.RankingInput) func() error {
	return func() error { _, err := w.rt.GetPersonalizedRanking(w.ctx, in); return err }
}

func TestPersonalizedRanking(t *testing.T) {
	t.Parallel()
	w := newWorld(t, config())
	c := w.serve("ranking", recipe.PersonalizedRankingV2, perch.CreateSolutionInput{}, nil)
	// Each user ranks the ten most popular items of a cluster it likes
	// and of one it never liked: the liked ones should come first, far
	// more often than by popularity alone.
	byPopularity := w.byPopularity()
	count := map[string]int{}
	for _, in := range w.data.Interactions {
		count[w.data.Items[in.Item]]++
	}
	better, byCount, pairs := 0, 0, 0
	for u, user := range w.data.Users {
		if u%5 != 0 {
			continue
		}
		likedCluster, otherCluster := w.data.Tastes[u][0], int32(-1)
		for cl := range int32(20) {
			if !slices.Contains(w.data.Tastes[u], cl) && !slices.Contains(w.data.Early[u], cl) {
				otherCluster = cl
				break
			}
		}
		var liked, other []string
		for _, id := range byPopularity {
			switch cl := w.cluster(id); {
			case cl == likedCluster && len(liked) < 10:
				liked = append(liked, id)
			case cl == otherCluster && len(other) < 10:
				other = append(other, id)
			}
		}
		list := append(append([]string{"no-such-item"}, other...), liked...)
		got := must(w.rt.GetPersonalizedRanking(w.ctx, perch.RankingInput{CampaignARN: c.ARN, UserID: user, InputList: list}))(t)
		if len(got.Items) != len(list) {
			t.Fatalf("%d items ranked of %d", len(got.Items), len(list))
		}
		if last := got.Items[len(got.Items)-1]; last.ItemID != "no-such-item" || last.Score == nil || *last.Score != 0 {
			t.Errorf("an item the model does not know: %+v last, want it last with score 0", last)
		}
		pos := map[string]int{}
		for i, it := range got.Items {
			pos[it.ItemID] = i
		}
		for _, l := range liked {
			for _, o := range other {
				pairs++
				if pos[l] < pos[o] {
					better++
				}
				if count[l] > count[o] {
					byCount++
				}
			}
		}
	}
	popular := float64(byCount) / float64(pairs)
	auc := float64(better) / float64(pairs)
	t.Logf("share of (liked, other) pairs ranked in that order: %.3f, by popularity %.3f", auc, popular)
	if auc < 0.8 || auc < popular+0.2 {
		t.Errorf("liked items ranked before others in %.3f of pairs (by popularity %.3f), want at least 0.8 and popularity's + 0.2", auc, popular)
	}

	// The v2 recipes return metadata without the campaign enabling it.
	got := must(w.rt.GetPersonalizedRanking(w.ctx, perch.RankingInput{CampaignARN: c.ARN, UserID: "u00003",
		InputList: []string{"i00001", "i00002"}, MetadataColumns: map[string][]string{"ITEMS": {"GENRE", "PRICE"}}}))(t)
	for _, it := range got.Items {
		if it.Metadata["GENRE"] == "" || it.Metadata["PRICE"] == "" {
			t.Errorf("item %s metadata %v, want GENRE and PRICE", it.ItemID, it.Metadata)
		}
	}
}

func TestRelatedItems(t *testing.T) {
	t.Parallel()
	// Co-occurrence needs items that several users share: fewer items
	// than the other tests.
	c := config()
	c.Items = 400
	w := newWorld(t, c)
	for _, name := range []string{recipe.Sims, recipe.SimilarItems} {
		c := w.serve(name, name, perch.CreateSolutionInput{}, &perch.CampaignConfig{EnableMetadataWithRecommendations: true})
		same, total := 0, 0
		for i, id := range w.data.Items {
			if i%7 != 0 || slices.Contains(w.data.Cold, int32(i)) {
				continue
			}
			for _, it := range w.recommend(perch.RecommendationsInput{CampaignARN: c.ARN, ItemID: id, NumResults: 10}).Items {
				if it.ItemID == id {
					t.Errorf("%s: item %s related to itself", name, id)
				}
				total++
				if w.cluster(it.ItemID) == w.data.ItemCluster[i] {
					same++
				}
			}
		}
		share := float64(same) / float64(total)
		t.Logf("%s: share of related items in the item's cluster: %.3f", name, share)
		if share < 0.6 {
			t.Errorf("%s: %.3f of related items share the item's cluster, want at least 0.6", name, share)
		}
		got := w.recommend(perch.RecommendationsInput{CampaignARN: c.ARN, ItemID: "i00004", NumResults: 3,
			MetadataColumns: map[string][]string{"ITEMS": {"BRAND"}}})
		for _, it := range got.Items {
			if !strings.HasPrefix(it.Metadata["BRAND"], "b") {
				t.Errorf("%s: item %s metadata %v, want its BRAND", name, it.ItemID, it.Metadata)
			}
		}
	}
}

func TestTrendingNow(t *testing.T) {
	t.Parallel()
	sc := config()
	sc.Surge = 300
	w := newWorld(t, sc)
	c := w.serve("trending", recipe.TrendingNow, perch.CreateSolutionInput{}, nil)
	surge := w.data.Items[w.data.SurgeItem]
	got := w.recommend(perch.RecommendationsInput{CampaignARN: c.ARN, UserID: "u00002", NumResults: 5})
	if len(got.Items) == 0 || got.Items[0].ItemID != surge {
		t.Errorf("trending: %+v, want the surging item %s first", got.Items, surge)
	}
}

func TestTrainingFailures(t *testing.T) {
	t.Parallel()
	small := recipe.DefaultSynthetic(100, 50, 600, 3)
	w := newWorld(t, small)
	v := w.train("small", recipe.UserPersonalizationV2, perch.CreateSolutionInput{})
	if v.Status != perch.StatusCreateFailed || v.FailureReason != "Create failed. Dataset has fewer than 1000 interactions." {
		t.Errorf("600 interactions: %s %q, want CREATE FAILED with AWS's reason", v.Status, v.FailureReason)
	}
	v = w.train("purchases", recipe.UserPersonalization, perch.CreateSolutionInput{EventType: "purchase"})
	if v.Status != perch.StatusCreateFailed || !strings.Contains(v.FailureReason, "fewer than 1000 interactions after filtering by event type: purchase") {
		t.Errorf("few purchases: %s %q", v.Status, v.FailureReason)
	}
	if _, err := w.sols.GetSolutionMetrics(w.ctx, v.ARN); perch.ErrorCode(err) == "" {
		t.Errorf("metrics of a failed version: no error")
	}
	// A bad hyperparameter fails the training with the parameter named.
	w2 := newWorld(t, config())
	v = w2.train("bad", recipe.UserPersonalization, perch.CreateSolutionInput{Config: perch.SolutionConfig{
		AlgorithmHyperParameters: map[string]string{"hidden_dimension": "lots"}}})
	if v.Status != perch.StatusCreateFailed || !strings.Contains(v.FailureReason, "hidden_dimension") {
		t.Errorf("bad hidden_dimension: %s %q, want CREATE FAILED naming it", v.Status, v.FailureReason)
	}
}

func TestStopAndTakeover(t *testing.T) {
	t.Parallel()
	w := newWorld(t, config())
	w.trainer.Close() // this test trains by hand

	no := false
	sol := must(w.sols.CreateSolution(w.ctx, perch.CreateSolutionInput{Name: "s", GroupARN: w.group.ARN,
		RecipeARN: solutions.RecipeARN(recipe.PopularityCount), PerformAutoTraining: &no}))(t)

	// Stopped before any trainer took it: it ends CREATE STOPPED.
	stopped := must(w.sols.CreateSolutionVersion(w.ctx, perch.CreateSolutionVersionInput{SolutionARN: sol.ARN}))(t)
	if err := w.sols.StopSolutionVersionCreation(w.ctx, stopped.ARN); err != nil {
		t.Fatal(err)
	}

	// A trainer that claimed a version and died: the next one takes it
	// once the lease runs out.
	orphan := must(w.sols.CreateSolutionVersion(w.ctx, perch.CreateSolutionVersionInput{SolutionARN: sol.ARN}))(t)
	claimed := map[string]bool{}
	for {
		arn := must(w.store.Resources().ClaimJob(w.ctx, "dead", 500*time.Millisecond, perch.KindSolutionVersion))(t)
		if arn == "" {
			break
		}
		claimed[arn] = true
	}
	if !claimed[orphan.ARN] {
		t.Fatalf("the dead trainer did not claim %s: %v", orphan.ARN, claimed)
	}
	next := training.Start(training.Config{Store: w.store, Catalog: w.cat, Poll: 50 * time.Millisecond, Lease: time.Second, Schedule: -1})
	defer next.Close()
	if v := w.wait(stopped.ARN); v.Status != perch.StatusCreateStopped {
		t.Errorf("stopped version: %s", v.Status)
	}
	if v := w.wait(orphan.ARN); v.Status != perch.StatusActive {
		t.Errorf("orphaned version: %s %q, want ACTIVE", v.Status, v.FailureReason)
	}
	if _, err := w.store.Resources().Model(w.ctx, orphan.ARN); err != nil {
		t.Errorf("model of the version taken over: %v", err)
	}
}

// TestAutoTraining checks that a solution with automatic training gets a
// version an hour after its creation, and the next one once its period
// has passed and only if interactions arrived meanwhile.
func TestAutoTraining(t *testing.T) {
	t.Parallel()
	w := newWorld(t, config())
	w.trainer.Close()
	yes := true
	sol := must(w.sols.CreateSolution(w.ctx, perch.CreateSolutionInput{Name: "auto", GroupARN: w.group.ARN,
		RecipeARN: solutions.RecipeARN(recipe.PopularityCount), PerformAutoTraining: &yes,
		Config: perch.SolutionConfig{AutoTrainingConfig: &perch.AutoTrainingConfig{SchedulingExpression: "rate(2 days)"}}}))(t)
	start := time.Now()
	var ahead atomic.Int64 // how far the trainer's clock runs ahead
	now := func() time.Time { return start.Add(time.Duration(ahead.Load())) }
	auto := training.Start(training.Config{Store: w.store, Catalog: w.cat, Poll: 50 * time.Millisecond, Schedule: 20 * time.Millisecond, Now: now})
	defer auto.Close()
	// versions lists the solution's versions once they are want, or
	// after within.
	versions := func(want int, within time.Duration) []*perch.SolutionVersion {
		t.Helper()
		deadline := time.Now().Add(within)
		for {
			list, _, err := w.sols.ListSolutionVersions(w.ctx, sol.ARN, perch.Page{})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) >= want || time.Now().After(deadline) {
				return list
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	ahead.Store(int64(50 * time.Minute))
	if list := versions(1, 300*time.Millisecond); len(list) != 0 {
		t.Fatalf("%d versions within the first hour, want none", len(list))
	}
	ahead.Store(int64(61 * time.Minute))
	list := versions(1, time.Minute)
	if len(list) != 1 {
		t.Fatalf("%d versions after an hour, want 1", len(list))
	}
	if v := w.wait(list[0].ARN); v.TrainingType != perch.TrainingTypeAutomatic || v.Status != perch.StatusActive {
		t.Errorf("automatic version: %s %s %q", v.TrainingType, v.Status, v.FailureReason)
	}

	// Two days on, nothing new: no version.
	ahead.Store(int64(61*time.Minute + 49*time.Hour))
	if list := versions(2, 300*time.Millisecond); len(list) != 1 {
		t.Fatalf("%d versions without new interactions, want 1", len(list))
	}
	// An interaction since: a new version.
	if err := w.ingest.PutEvents(w.ctx, w.tracker, []perch.Event{{EventType: "click", UserID: "u00001", ItemID: "i00001",
		SentAt: perch.TimestampOf(now())}}); err != nil {
		t.Fatal(err)
	}
	if list := versions(2, time.Minute); len(list) != 2 {
		t.Fatalf("%d versions after new interactions, want 2", len(list))
	}
}
