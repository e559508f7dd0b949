package serving_test

import (
	"cmp"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/recipe"
	"github.com/perchdev/perch/serving"
)

// lateItems is a world whose planted data comes in two parts: before,
// without the items ranking 3rd to 5th by use in each cluster (fresh),
// and after, their interactions, which arrive late. Neither is loaded.
func lateItems(t *testing.T) (w *world, fresh map[string]bool, before, after recipe.Data) {
	w = newWorld(t, recipe.SyntheticConfig{})
	w.data = recipe.Synthetic(config())
	counts := make([]int, len(w.data.Items))
	for _, in := range w.data.Interactions {
		counts[in.Item]++
	}
	byCluster := map[int32][]int32{}
	for i, c := range w.data.ItemCluster {
		byCluster[c] = append(byCluster[c], int32(i))
	}
	fresh = map[string]bool{}
	for _, its := range byCluster {
		slices.SortFunc(its, func(a, b int32) int { return cmp.Or(counts[b]-counts[a], cmp.Compare(a, b)) })
		for _, it := range its[3:6] {
			fresh[w.data.Items[it]] = true
		}
	}
	before, after = *w.data.Data, *w.data.Data
	before.Interactions, after.Interactions = nil, nil
	for _, in := range w.data.Interactions {
		if fresh[w.data.Items[in.Item]] {
			after.Interactions = append(after.Interactions, in)
		} else {
			before.Interactions = append(before.Interactions, in)
		}
	}
	return w, fresh, before, after
}

// shownFresh counts how often campaign, asked through rt for every
// fourth user, shows items of fresh, and how often to a user whose taste
// is the item's cluster.
func (w *world) shownFresh(rt *serving.Service, campaign string, fresh map[string]bool) (n, inTaste int) {
	for u, user := range w.data.Users {
		if u%4 != 0 {
			continue
		}
		got := must(rt.GetRecommendations(w.ctx, perch.RecommendationsInput{CampaignARN: campaign, UserID: user}))(w.t)
		for _, it := range got.Items {
			if fresh[it.ItemID] {
				n++
				if slices.Contains(w.data.Tastes[u], w.cluster(it.ItemID)) {
					inTaste++
				}
			}
		}
	}
	return n, inTaste
}

// An UPDATE version learns the items that arrived after the FULL version
// it updates, keeps that version's metrics, and a campaign serving it
// recommends the new items to the users of their cluster.
func TestUpdateTraining(t *testing.T) {
	t.Parallel()
	w, fresh, before, after := lateItems(t)
	w.load(&before)
	full := w.serve("full", recipe.UserPersonalization, perch.CreateSolutionInput{}, nil)
	fullVersion := must(w.sols.DescribeSolutionVersion(w.ctx, full.SolutionVersionARN))(t)
	w.load(&after)

	v := must(w.sols.CreateSolutionVersion(w.ctx, perch.CreateSolutionVersionInput{
		SolutionARN: fullVersion.SolutionARN, TrainingMode: perch.TrainingModeUpdate}))(t)
	v = w.wait(v.ARN)
	if v.Status != perch.StatusActive || v.TrainingMode != perch.TrainingModeUpdate {
		t.Fatalf("update version %s, mode %s: %s", v.Status, v.TrainingMode, v.FailureReason)
	}
	if !maps.Equal(v.Metrics, fullVersion.Metrics) || len(v.Metrics) == 0 {
		t.Errorf("update version's metrics %v, the full version's %v", v.Metrics, fullVersion.Metrics)
	}
	updated := must(w.sols.CreateCampaign(w.ctx, perch.CreateCampaignInput{Name: "updated", SolutionVersionARN: v.ARN}))(t)

	shown := func(campaign string) (n, inTaste int) { return w.shownFresh(w.rt, campaign, fresh) }
	nFull, _ := shown(full.ARN)
	n, inTaste := shown(updated.ARN)
	t.Logf("new items shown %d times by the full version, %d by the update, %d of them to users of their cluster", nFull, n, inTaste)
	if n < 100 || n < 10*nFull {
		t.Errorf("the update showed new items %d times, the full version %d", n, nFull)
	}
	if float64(inTaste) < 0.6*float64(n) {
		t.Errorf("only %d of %d new items shown went to users of their cluster", inTaste, n)
	}
}

// A performHPO version searches the ranges the solution gives, says what
// it chose in tunedHPOParams and reports the chosen setting's metrics.
func TestHyperparameterSearch(t *testing.T) {
	t.Parallel()
	w := newWorld(t, config())
	hpo := json.RawMessage(`{"hpoResourceConfig": {"maxNumberOfTrainingJobs": "4"},
		"algorithmHyperParameterRanges": {"integerHyperParameterRanges": [{"name": "hidden_dimension", "minValue": 32, "maxValue": 64}]}}`)
	v := w.train("tuned", recipe.UserPersonalizationV2, perch.CreateSolutionInput{PerformHPO: true,
		Config: perch.SolutionConfig{HPOConfig: hpo}})
	if v.Status != perch.StatusActive {
		t.Fatalf("version %s: %s", v.Status, v.FailureReason)
	}
	dim, err := strconv.Atoi(v.TunedHPOParams["hidden_dimension"])
	if err != nil || dim < 32 || dim > 64 && v.TunedHPOParams["hidden_dimension"] != recipe.Defaults(recipe.UserPersonalizationV2)["hidden_dimension"] {
		t.Errorf("tunedHPOParams %v: hidden_dimension not in the range searched", v.TunedHPOParams)
	}
	if len(v.TunedHPOParams) < 2 || v.Metrics["normalized_discounted_cumulative_gain_at_10"] <= 0 {
		t.Errorf("tunedHPOParams %v, metrics %v", v.TunedHPOParams, v.Metrics)
	}
	if plain := w.train("plain", recipe.UserPersonalizationV2, perch.CreateSolutionInput{}); plain.TunedHPOParams != nil {
		t.Errorf("a version without performHPO has tunedHPOParams %v", plain.TunedHPOParams)
	}
}

// A visitor's anonymous events count at once: under its sessionId before
// it signs in, and as the signed-in user's once an event carries both
// ids, without a new training.
func TestAnonymousSessions(t *testing.T) {
	t.Parallel()
	w := newWorld(t, config())
	campaign := w.serve("personal", recipe.UserPersonalizationV2, perch.CreateSolutionInput{}, nil)

	// Six items of one cluster to browse, and one of another to sign in
	// with.
	counts := make([]int, len(w.data.Items))
	for _, in := range w.data.Interactions {
		counts[in.Item]++
	}
	const browsed, other = 3, 11
	var browse []string
	var signIn string
	for i, id := range w.data.Items {
		switch {
		case counts[i] < 5:
		case w.data.ItemCluster[i] == browsed && len(browse) < 6:
			browse = append(browse, id)
		case w.data.ItemCluster[i] == other && signIn == "":
			signIn = id
		}
	}
	at := config().End
	put := func(user, session string, items ...string) {
		t.Helper()
		var events []perch.Event
		for _, it := range items {
			at += 60e3
			events = append(events, perch.Event{EventType: "click", ItemID: it, UserID: user, SessionID: session, SentAt: perch.Timestamp(at)})
		}
		if err := w.ingest.PutEvents(w.ctx, w.tracker, events); err != nil {
			t.Fatal(err)
		}
	}
	inCluster := func(user string, cluster int32) int {
		n := 0
		for _, it := range w.recommend(perch.RecommendationsInput{CampaignARN: campaign.ARN, UserID: user}).Items {
			if w.cluster(it.ItemID) == cluster {
				n++
			}
		}
		return n
	}

	put("", "visit-1", browse...)
	if n := inCluster("visit-1", browsed); n < 15 {
		t.Errorf("the anonymous visitor's recommendations: %d of 25 from the cluster it browsed", n)
	}
	put("member-1", "visit-1", signIn)
	put("member-2", "visit-2", signIn) // the same sign-in, after no browsing
	linked, alone := inCluster("member-1", browsed), inCluster("member-2", browsed)
	t.Logf("signed in after browsing: %d of 25 from the browsed cluster; without browsing: %d", linked, alone)
	if linked < 10 || linked < 3*max(alone, 1) {
		t.Errorf("signed in after browsing, %d of 25 from the browsed cluster (%d without browsing)", linked, alone)
	}
}

// A campaign of user-personalization learns the items added since its
// version was trained, by itself, as AWS's automatic updates do, without
// a new version.
func TestAutomaticUpdate(t *testing.T) {
	t.Parallel()
	w, fresh, before, after := lateItems(t)
	w.load(&before)
	campaign := w.serve("personal", recipe.UserPersonalizationV2, perch.CreateSolutionInput{}, nil)
	w.load(&after)

	auto := serving.New(serving.Config{Store: w.store, Catalog: w.cat, AutoUpdate: 50 * time.Millisecond})
	shown := func(rt *serving.Service) (n, inTaste int) { return w.shownFresh(rt, campaign.ARN, fresh) }
	// The first request loads the model; an update is due 50 ms later.
	shown(auto)
	deadline := time.Now().Add(time.Minute)
	for n, _ := shown(auto); n == 0 && time.Now().Before(deadline); n, _ = shown(auto) {
		time.Sleep(50 * time.Millisecond)
	}
	// The pass that saw the update may have begun before it: count again,
	// all of it with the updated model.
	n, inTaste := shown(auto)
	nDefault, _ := shown(w.rt)
	t.Logf("new items shown %d times after an automatic update (%d to users of their cluster); %d times without", n, inTaste, nDefault)
	if n < 100 || nDefault != 0 {
		t.Errorf("new items shown %d times after an automatic update, %d by a campaign not yet updated", n, nDefault)
	}
	if float64(inTaste) < 0.6*float64(n) {
		t.Errorf("only %d of %d new items shown went to users of their cluster", inTaste, n)
	}
	versions, _, err := w.sols.ListSolutionVersions(w.ctx, "", perch.Page{})
	if err != nil || len(versions) != 1 {
		t.Errorf("solution versions after an automatic update: %d, %v; want the one trained", len(versions), err)
	}
	if st := auto.Stats(); st.Updates == 0 || st.FailedUpdates != 0 {
		t.Errorf("automatic updates counted: %d, %d failed; want some, none failed", st.Updates, st.FailedUpdates)
	}
}
