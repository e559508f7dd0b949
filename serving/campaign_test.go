package serving_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/recipe"
)

// craze makes item the one most users interacted with: n users who
// interacted with nothing else.
func (w *world) craze(item string, n int) {
	w.t.Helper()
	var events []perch.Event
	for u := range n {
		events = append(events, perch.Event{EventType: "click", ItemID: item, UserID: fmt.Sprintf("fan-%s-%d", item, u),
			SentAt: perch.TimestampOf(time.Now())})
	}
	if err := w.ingest.PutEvents(w.ctx, w.tracker, events); err != nil {
		w.t.Fatal(err)
	}
}

// TestCampaignSwitchesVersions checks that UpdateCampaign, and a new
// version behind $LATEST, change what a campaign serves within its cache
// time, without a request failing meanwhile.
func TestCampaignSwitchesVersions(t *testing.T) {
	t.Parallel()
	w := newWorld(t, config())
	no := false
	sol := must(w.sols.CreateSolution(w.ctx, perch.CreateSolutionInput{Name: "popular", GroupARN: w.group.ARN,
		RecipeARN: "arn:aws:personalize:::recipe/" + recipe.PopularityCount, PerformAutoTraining: &no}))(t)
	version := func() *perch.SolutionVersion {
		t.Helper()
		v := w.wait(must(w.sols.CreateSolutionVersion(w.ctx, perch.CreateSolutionVersionInput{SolutionARN: sol.ARN}))(t).ARN)
		if v.Status != perch.StatusActive {
			t.Fatalf("version %s: %s", v.Status, v.FailureReason)
		}
		return v
	}
	first := version()
	w.craze("i01999", 500)
	second := version()
	pinned := must(w.sols.CreateCampaign(w.ctx, perch.CreateCampaignInput{Name: "pinned", SolutionVersionARN: first.ARN}))(t)
	latest := must(w.sols.CreateCampaign(w.ctx, perch.CreateCampaignInput{Name: "latest", SolutionVersionARN: sol.ARN + "/$LATEST",
		Config: &perch.CampaignConfig{SyncWithLatestSolutionVersion: true}}))(t)

	// Callers keep asking both campaigns throughout; none may fail.
	var failures atomic.Int64
	var top sync.Map // campaign ARN -> its latest first item
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, c := range []string{pinned.ARN, latest.ARN} {
		for range 3 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					got, err := w.rt.GetRecommendations(w.ctx, perch.RecommendationsInput{CampaignARN: c, NumResults: 3})
					if err != nil {
						failures.Add(1)
						t.Errorf("%s: %v", c, err)
						continue
					}
					top.Store(c, got.Items[0].ItemID)
				}
			})
		}
	}
	defer func() {
		close(stop)
		wg.Wait()
	}()
	serves := func(campaign, item string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			if got, ok := top.Load(campaign); ok && got == item {
				return
			}
			if time.Now().After(deadline) {
				got, _ := top.Load(campaign)
				t.Fatalf("campaign %s still serves %v first, want %s", campaign, got, item)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	serves(latest.ARN, "i01999")
	time.Sleep(200 * time.Millisecond)
	if got, _ := top.Load(pinned.ARN); got == "i01999" {
		t.Fatalf("the campaign on the first version serves the second's list")
	}

	if _, err := w.sols.UpdateCampaign(w.ctx, perch.UpdateCampaignInput{CampaignARN: pinned.ARN, SolutionVersionARN: second.ARN}); err != nil {
		t.Fatal(err)
	}
	serves(pinned.ARN, "i01999")

	// A new version behind $LATEST is served without any update.
	w.craze("i01998", 900)
	version()
	serves(latest.ARN, "i01998")
	if got, _ := top.Load(pinned.ARN); got != "i01999" {
		t.Errorf("the campaign pinned to the second version serves %v first", got)
	}
	if n := failures.Load(); n > 0 {
		t.Errorf("%d requests failed while campaigns switched versions", n)
	}
}

// TestDeletedCampaign checks that a deleted campaign's requests are
// refused once its cache time has passed.
func TestDeletedCampaign(t *testing.T) {
	t.Parallel()
	w := newWorld(t, config())
	c := w.serve("popular", recipe.PopularityCount, perch.CreateSolutionInput{}, nil)
	w.recommend(perch.RecommendationsInput{CampaignARN: c.ARN})
	if err := w.sols.DeleteCampaign(w.ctx, c.ARN); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := w.rt.GetRecommendations(w.ctx, perch.RecommendationsInput{CampaignARN: c.ARN})
		if perch.ErrorCode(err) == perch.EResourceNotFound {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("a deleted campaign still answers: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
