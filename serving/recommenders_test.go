package serving_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/recipe"
	"github.com/perchdev/perch/solutions"
)

// A domain recommender trains its use case on the event type it reads,
// answers GetRecommendations by its ARN without scores, and stops and
// starts; it is no solution to the solutions' API.
func TestDomainRecommenders(t *testing.T) {
	t.Parallel()
	w := newWorld(t, recipe.SyntheticConfig{})
	w.data = recipe.Synthetic(config())
	g := must(w.cat.CreateDatasetGroup(w.ctx, perch.CreateDatasetGroupInput{Name: "store", Domain: perch.DomainEcommerce}))(t)
	schema := must(w.cat.CreateSchema(w.ctx, perch.CreateSchemaInput{Name: "store-interactions", Domain: perch.DomainEcommerce,
		Definition: `{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[` +
			`{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},` +
			`{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}`}))(t)
	must(w.cat.CreateDataset(w.ctx, perch.CreateDatasetInput{Name: "store-interactions", SchemaARN: schema.ARN, GroupARN: g.ARN, Type: "Interactions"}))(t)
	tracker := must(w.cat.CreateEventTracker(w.ctx, perch.CreateEventTrackerInput{Name: "store-web", GroupARN: g.ARN}))(t)
	// The planted clicks are the store's views, its purchases purchases.
	var events []perch.Event
	for _, in := range w.data.Interactions {
		kind := "View"
		if in.EventType == recipe.SyntheticPurchase {
			kind = "Purchase"
		}
		events = append(events, perch.Event{EventType: kind, ItemID: w.data.Items[in.Item], UserID: w.data.Users[in.User], SentAt: perch.Timestamp(in.Time)})
	}
	for len(events) > 0 {
		n := min(len(events), 500)
		if err := w.ingest.PutEvents(w.ctx, tracker.TrackingID, events[:n]); err != nil {
			t.Fatal(err)
		}
		events = events[n:]
	}

	_, err := w.sols.CreateRecommender(w.ctx, perch.CreateRecommenderInput{Name: "wrong", GroupARN: w.group.ARN,
		RecipeARN: solutions.RecipeARN("aws-ecomm-recommended-for-you")})
	if perch.ErrorCode(err) != perch.EInvalidInput {
		t.Errorf("a use case in a custom group: %v, want InvalidInputException", err)
	}
	create := func(name, useCase string) *perch.Recommender {
		t.Helper()
		r := must(w.sols.CreateRecommender(w.ctx, perch.CreateRecommenderInput{Name: name, GroupARN: g.ARN, RecipeARN: solutions.RecipeARN(useCase)}))(t)
		deadline := time.Now().Add(3 * time.Minute)
		for r.Status != perch.StatusActive {
			if r.Status == perch.StatusCreateFailed || time.Now().After(deadline) {
				t.Fatalf("recommender %s: %s %s", name, r.Status, r.FailureReason)
			}
			time.Sleep(20 * time.Millisecond)
			r = must(w.sols.DescribeRecommender(w.ctx, r.ARN))(t)
		}
		return r
	}
	forYou := create("for-you", "aws-ecomm-recommended-for-you")
	views := create("most-viewed", "aws-ecomm-popular-items-by-views")
	if len(forYou.ModelMetrics) == 0 || !strings.HasSuffix(forYou.ARN, ":recommender/for-you") {
		t.Errorf("recommender %+v: want its ARN and the model's metrics", forYou)
	}

	hits, total := 0, 0
	for u, user := range w.data.Users[:40] {
		got := w.recommend(perch.RecommendationsInput{RecommenderARN: forYou.ARN, UserID: user})
		for _, it := range got.Items {
			if it.Score != nil {
				t.Fatalf("recommender answer with a score: %+v", it)
			}
			total++
			if slices.Contains(w.data.Tastes[u], w.cluster(it.ItemID)) {
				hits++
			}
		}
	}
	if total != 40*25 || float64(hits) < 0.5*float64(total) {
		t.Errorf("recommended for you: %d of %d items in the users' tastes", hits, total)
	}
	popular := w.recommend(perch.RecommendationsInput{RecommenderARN: views.ARN})
	if len(popular.Items) != 25 {
		t.Errorf("most viewed: %d items", len(popular.Items))
	}
	if got := sourceOf(t, popular.RecommendationID, forYou.ARN, views.ARN); got != views.ARN {
		t.Errorf("the recommender's recommendationId %s names %q, want %s", popular.RecommendationID, got, views.ARN)
	}

	must(w.sols.StopRecommender(w.ctx, views.ARN))(t)
	if r := must(w.sols.DescribeRecommender(w.ctx, views.ARN))(t); r.Status != perch.StatusInactive {
		t.Errorf("a stopped recommender is %s", r.Status)
	}
	if _, err := w.rt.GetRecommendations(w.ctx, perch.RecommendationsInput{RecommenderARN: views.ARN}); perch.ErrorCode(err) != perch.EInvalidInput {
		t.Errorf("a stopped recommender answers: %v", err)
	}
	must(w.sols.StartRecommender(w.ctx, views.ARN))(t)
	w.recommend(perch.RecommendationsInput{RecommenderARN: views.ARN})

	list, _ := must2(w.sols.ListRecommenders(w.ctx, g.ARN, perch.Page{}))(t)
	if len(list) != 2 {
		t.Errorf("ListRecommenders: %d", len(list))
	}
	sols, _ := must2(w.sols.ListSolutions(w.ctx, "", perch.Page{}))(t)
	if len(sols) != 0 {
		t.Errorf("ListSolutions lists recommenders: %v", sols)
	}
	if _, _, err := w.sols.DescribeSolution(w.ctx, forYou.ARN); perch.ErrorCode(err) != perch.EResourceNotFound {
		t.Errorf("DescribeSolution of a recommender: %v", err)
	}
	if err := w.sols.DeleteRecommender(w.ctx, views.ARN); err != nil {
		t.Fatal(err)
	}
	if _, err := w.rt.GetRecommendations(w.ctx, perch.RecommendationsInput{RecommenderARN: views.ARN}); perch.ErrorCode(err) != perch.EResourceNotFound {
		t.Errorf("a deleted recommender: %v", err)
	}
}

func must2[T, U any](a T, b U, err error) func(t *testing.T) (T, U) {
	return func(t *testing.T) (T, U) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	}
}
