package solutions_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/catalog"
	"github.com/perchdev/perch/internal/fixture"
	"github.com/perchdev/perch/pebble"
	"github.com/perchdev/perch/solutions"
)

var scope = perch.Scope{Region: "us-east-1", Account: "111122223333"}

const interactionsSchema = `{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[` +
	`{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},` +
	`{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}`

// env is the control plane of the recommendation side over a real store
// on disk, with a dataset group to work in.
type env struct {
	t     *testing.T
	ctx   context.Context
	store *pebble.Store
	cat   *catalog.Catalog
	s     *solutions.Service
	group *perch.DatasetGroup
}

func newEnv(t *testing.T, opts solutions.Options) *env {
	t.Helper()
	ctx, store, cat := fixture.Catalog(t, scope)
	g, err := cat.CreateDatasetGroup(ctx, perch.CreateDatasetGroupInput{Name: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := cat.CreateSchema(ctx, perch.CreateSchemaInput{Name: "interactions", Definition: interactionsSchema})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cat.CreateDataset(ctx, perch.CreateDatasetInput{Name: "i", SchemaARN: sc.ARN, GroupARN: g.ARN, Type: "Interactions"}); err != nil {
		t.Fatal(err)
	}
	if opts.Now == nil {
		// Each reading a second after the last, so that lists have one
		// order.
		clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		opts.Now = func() time.Time {
			clock = clock.Add(time.Second)
			return clock
		}
	}
	return &env{t: t, ctx: ctx, store: store, cat: cat, s: solutions.New(store.Resources(), scope, opts), group: g}
}

func wantCode(t *testing.T, what string, err error, code string, parts ...string) {
	t.Helper()
	if got := perch.ErrorCode(err); got != code {
		t.Errorf("%s: %v, want %s", what, err, code)
		return
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %q does not name %q", what, err, p)
		}
	}
}

func (e *env) solution(name, recipe string) *perch.Solution {
	e.t.Helper()
	s, err := e.s.CreateSolution(e.ctx, perch.CreateSolutionInput{Name: name, GroupARN: e.group.ARN, RecipeARN: solutions.RecipeARN(recipe)})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// trained makes version v ACTIVE, as a trainer that claimed it would.
func (e *env) trained(v *perch.SolutionVersion) *perch.SolutionVersion {
	e.t.Helper()
	rs := e.store.Resources()
	for {
		arn, err := rs.ClaimJob(e.ctx, "test", time.Minute, perch.KindSolutionVersion)
		if err != nil {
			e.t.Fatal(err)
		}
		if arn == v.ARN || arn == "" {
			break
		}
	}
	got, err := rs.SolutionVersion(e.ctx, v.ARN)
	if err != nil {
		e.t.Fatal(err)
	}
	got.Status, got.Metrics = perch.StatusActive, map[string]float64{"coverage": 0.5}
	if err := rs.UpdateSolutionVersion(e.ctx, got, "test"); err != nil {
		e.t.Fatal(err)
	}
	return got
}

func TestRecipes(t *testing.T) {
	e := newEnv(t, solutions.Options{})
	all, next, err := e.s.ListRecipes(e.ctx, "", perch.Page{})
	if err != nil || next != "" {
		t.Fatalf("ListRecipes: %v %q", err, next)
	}
	for i := 1; i < len(all); i++ {
		if all[i-1].Name >= all[i].Name {
			t.Errorf("recipes out of name order: %s before %s", all[i-1].Name, all[i].Name)
		}
	}
	page, next, err := e.s.ListRecipes(e.ctx, "", perch.Page{MaxResults: 3})
	if err != nil || len(page) != 3 || next == "" {
		t.Fatalf("a page of 3: %d recipes, next %q, %v", len(page), next, err)
	}
	rest, _, err := e.s.ListRecipes(e.ctx, "", perch.Page{NextToken: next, MaxResults: 100})
	if err != nil || len(rest)+3 != len(all) || rest[0].Name != all[3].Name {
		t.Errorf("the pages after the first: %d recipes, %v", len(rest), err)
	}
	ecomm, _, err := e.s.ListRecipes(e.ctx, perch.DomainEcommerce, perch.Page{})
	if err != nil || len(ecomm) != 5 {
		t.Errorf("ECOMMERCE recipes: %d, %v; want 5", len(ecomm), err)
	}
	r, err := e.s.DescribeRecipe(e.ctx, "arn:aws:personalize:::recipe/aws-user-personalization-v2")
	if err != nil || r.RecipeType != perch.RecipeUserPersonalization || r.Status != perch.StatusActive {
		t.Errorf("DescribeRecipe: %+v, %v", r, err)
	}
	_, err = e.s.DescribeRecipe(e.ctx, "arn:aws:personalize:::recipe/aws-hrnn")
	wantCode(t, "DescribeRecipe of a recipe AWS retired", err, perch.EResourceNotFound, "aws-hrnn")
}

func TestCreateSolution(t *testing.T) {
	e := newEnv(t, solutions.Options{MaxSolutionsPerGroup: 3})
	s := e.solution("up", "aws-user-personalization-v2")
	if s.Status != perch.StatusActive || !s.PerformAutoTraining || s.Config.AutoTrainingConfig == nil ||
		s.Config.AutoTrainingConfig.SchedulingExpression != "rate(7 days)" {
		t.Errorf("a new solution: %+v", s)
	}
	if s.ARN != "arn:aws:personalize:us-east-1:111122223333:solution/up" {
		t.Errorf("solution ARN %s", s.ARN)
	}
	got, latest, err := e.s.DescribeSolution(e.ctx, s.ARN)
	if err != nil || got.Name != "up" || latest != nil {
		t.Errorf("DescribeSolution: %+v, %+v, %v", got, latest, err)
	}
	off := false
	weight := 2.0
	for _, c := range []struct {
		what string
		in   perch.CreateSolutionInput
		code string
		name string
	}{
		{"AutoML", perch.CreateSolutionInput{Name: "a", GroupARN: e.group.ARN, PerformAutoML: true}, perch.EInvalidInput, "performAutoML"},
		{"no recipe", perch.CreateSolutionInput{Name: "a", GroupARN: e.group.ARN}, perch.EInvalidInput, "recipeArn"},
		{"unknown recipe", perch.CreateSolutionInput{Name: "a", GroupARN: e.group.ARN, RecipeARN: solutions.RecipeARN("aws-hrnn")},
			perch.EResourceNotFound, "aws-hrnn"},
		{"domain recipe", perch.CreateSolutionInput{Name: "a", GroupARN: e.group.ARN, RecipeARN: solutions.RecipeARN("aws-vod-top-picks")},
			perch.EInvalidInput, "CreateRecommender"},
		{"recipe perch does not train", perch.CreateSolutionInput{Name: "a", GroupARN: e.group.ARN,
			RecipeARN: solutions.RecipeARN("aws-semantic-similarity")}, perch.EInvalidInput, "aws-semantic-similarity"},
		{"eventsConfig on v1", perch.CreateSolutionInput{Name: "a", GroupARN: e.group.ARN, RecipeARN: solutions.RecipeARN("aws-user-personalization"),
			Config: perch.SolutionConfig{EventsConfig: &perch.EventsConfig{}}}, perch.EInvalidInput, "eventsConfig"},
		{"weight above 1", perch.CreateSolutionInput{Name: "a", GroupARN: e.group.ARN, RecipeARN: solutions.RecipeARN("aws-user-personalization-v2"),
			Config: perch.SolutionConfig{EventsConfig: &perch.EventsConfig{EventParametersList: []perch.EventParameters{{EventType: "click", Weight: &weight}}}}},
			perch.EInvalidInput, "weight"},
		{"schedule", perch.CreateSolutionInput{Name: "a", GroupARN: e.group.ARN, RecipeARN: solutions.RecipeARN("aws-sims"), PerformAutoTraining: &off,
			Config: perch.SolutionConfig{AutoTrainingConfig: &perch.AutoTrainingConfig{SchedulingExpression: "rate(31 days)"}}}, perch.EInvalidInput, "rate(31 days)"},
		{"unknown group", perch.CreateSolutionInput{Name: "a", GroupARN: e.group.ARN + "-gone", RecipeARN: solutions.RecipeARN("aws-sims")},
			perch.EResourceNotFound, e.group.ARN + "-gone"},
		{"another account's group", perch.CreateSolutionInput{Name: "a", GroupARN: strings.Replace(e.group.ARN, "111122223333", "444455556666", 1),
			RecipeARN: solutions.RecipeARN("aws-sims")}, perch.EResourceNotFound, "444455556666"},
		{"taken name", perch.CreateSolutionInput{Name: "up", GroupARN: e.group.ARN, RecipeARN: solutions.RecipeARN("aws-sims")},
			perch.EResourceAlreadyExists, s.ARN},
	} {
		_, err := e.s.CreateSolution(e.ctx, c.in)
		wantCode(t, c.what, err, c.code, c.name)
	}
	e.solution("two", "aws-sims")
	e.solution("three", "aws-popularity-count")
	_, err = e.s.CreateSolution(e.ctx, perch.CreateSolutionInput{Name: "four", GroupARN: e.group.ARN, RecipeARN: solutions.RecipeARN("aws-sims")})
	wantCode(t, "a solution past the quota", err, perch.ELimitExceeded, "four")

	list, _, err := e.s.ListSolutions(e.ctx, e.group.ARN, perch.Page{})
	if err != nil || len(list) != 3 {
		t.Errorf("ListSolutions: %d, %v", len(list), err)
	}
	if err := e.cat.DeleteDatasetGroup(e.ctx, e.group.ARN); perch.ErrorCode(err) != perch.EResourceInUse {
		t.Errorf("DeleteDatasetGroup of a group with solutions: %v, want ResourceInUseException", err)
	}

	on := true
	updated, err := e.s.UpdateSolution(e.ctx, perch.UpdateSolutionInput{SolutionARN: s.ARN, PerformAutoTraining: &off,
		AutoTrainingConfig: &perch.AutoTrainingConfig{SchedulingExpression: "rate(1 day)"}})
	if err != nil || updated.PerformAutoTraining || updated.LatestUpdate == nil || updated.LatestUpdate.Status != perch.StatusActive ||
		updated.Config.AutoTrainingConfig.SchedulingExpression != "rate(1 day)" {
		t.Errorf("UpdateSolution: %+v, %v", updated, err)
	}
	_, err = e.s.UpdateSolution(e.ctx, perch.UpdateSolutionInput{SolutionARN: s.ARN, PerformIncrementalUpdate: &on})
	wantCode(t, "incremental updates of user-personalization", err, perch.EInvalidInput, "performIncrementalUpdate")
	if err := e.s.DeleteSolution(e.ctx, s.ARN); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.s.DescribeSolution(e.ctx, s.ARN)
	wantCode(t, "DescribeSolution after DeleteSolution", err, perch.EResourceNotFound, s.ARN)
}

func TestSolutionVersions(t *testing.T) {
	e := newEnv(t, solutions.Options{MaxTrainingVersions: 2})
	s := e.solution("up", "aws-user-personalization")
	v, err := e.s.CreateSolutionVersion(e.ctx, perch.CreateSolutionVersionInput{SolutionARN: s.ARN})
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != perch.StatusCreatePending || v.TrainingMode != perch.TrainingModeFull || v.TrainingType != perch.TrainingTypeManual ||
		!strings.HasPrefix(v.ARN, s.ARN+"/") || len(v.ARN) != len(s.ARN)+9 || v.Name != "up/"+v.ARN[len(s.ARN)+1:] {
		t.Errorf("a new version: %+v", v)
	}
	_, err = e.s.GetSolutionMetrics(e.ctx, v.ARN)
	wantCode(t, "metrics of a version in training", err, perch.EResourceInUse, v.ARN)
	_, err = e.s.CreateSolutionVersion(e.ctx, perch.CreateSolutionVersionInput{SolutionARN: s.ARN, TrainingMode: perch.TrainingModeUpdate})
	wantCode(t, "UPDATE without an ACTIVE FULL version", err, perch.EInvalidInput, "FULL")
	second, err := e.s.CreateSolutionVersion(e.ctx, perch.CreateSolutionVersionInput{SolutionARN: s.ARN, Name: "second"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.s.CreateSolutionVersion(e.ctx, perch.CreateSolutionVersionInput{SolutionARN: s.ARN})
	wantCode(t, "a version past the quota of versions in training", err, perch.ELimitExceeded)

	if err := e.s.StopSolutionVersionCreation(e.ctx, second.ARN); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.s.DescribeSolutionVersion(e.ctx, second.ARN); got.Status != perch.StatusCreateStopped {
		t.Errorf("a pending version after a stop: %s", got.Status)
	}
	err = e.s.StopSolutionVersionCreation(e.ctx, second.ARN)
	wantCode(t, "stopping a stopped version", err, perch.EResourceInUse, second.ARN)
	err = e.s.DeleteSolution(e.ctx, s.ARN)
	wantCode(t, "DeleteSolution while a version trains", err, perch.EResourceInUse, v.ARN)

	active := e.trained(v)
	metrics, err := e.s.GetSolutionMetrics(e.ctx, v.ARN)
	if err != nil || metrics["coverage"] != 0.5 {
		t.Errorf("GetSolutionMetrics: %v, %v", metrics, err)
	}
	if _, err := e.s.CreateSolutionVersion(e.ctx, perch.CreateSolutionVersionInput{SolutionARN: s.ARN, TrainingMode: perch.TrainingModeUpdate}); err != nil {
		t.Errorf("UPDATE with an ACTIVE FULL version: %v", err)
	}
	list, _, err := e.s.ListSolutionVersions(e.ctx, s.ARN, perch.Page{})
	if err != nil || len(list) != 3 || list[2].ARN != active.ARN {
		t.Errorf("ListSolutionVersions, newest first: %d, %v", len(list), err)
	}
	_, latest, err := e.s.DescribeSolution(e.ctx, s.ARN)
	if err != nil || latest == nil || latest.ARN != list[0].ARN {
		t.Errorf("the solution's latest version: %+v, %v", latest, err)
	}
	other, err := e.s.CreateSolution(e.ctx, perch.CreateSolutionInput{Name: "other", GroupARN: e.group.ARN,
		RecipeARN: solutions.RecipeARN("aws-personalized-ranking")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.s.CreateSolutionVersion(e.ctx, perch.CreateSolutionVersionInput{SolutionARN: other.ARN, TrainingMode: perch.TrainingModeUpdate})
	wantCode(t, "UPDATE of personalized-ranking", err, perch.EInvalidInput, "aws-user-personalization")
}

func TestCampaigns(t *testing.T) {
	e := newEnv(t, solutions.Options{MaxCampaignsPerGroup: 2})
	s := e.solution("up", "aws-user-personalization-v2")
	pending, err := e.s.CreateSolutionVersion(e.ctx, perch.CreateSolutionVersionInput{SolutionARN: s.ARN})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.s.CreateCampaign(e.ctx, perch.CreateCampaignInput{Name: "c", SolutionVersionARN: pending.ARN})
	wantCode(t, "a campaign of a version in training", err, perch.EResourceInUse, pending.ARN)
	_, err = e.s.CreateCampaign(e.ctx, perch.CreateCampaignInput{Name: "c", SolutionVersionARN: s.ARN})
	wantCode(t, "a campaign of a bare solution ARN", err, perch.EResourceNotFound, s.ARN)
	sync := &perch.CampaignConfig{SyncWithLatestSolutionVersion: true}
	_, err = e.s.CreateCampaign(e.ctx, perch.CreateCampaignInput{Name: "c", SolutionVersionARN: s.ARN + "/$LATEST", Config: sync})
	wantCode(t, "$LATEST of a solution without an ACTIVE version", err, perch.EResourceInUse, s.ARN)
	v := e.trained(pending)
	_, err = e.s.CreateCampaign(e.ctx, perch.CreateCampaignInput{Name: "c", SolutionVersionARN: s.ARN + "/$LATEST"})
	wantCode(t, "$LATEST without syncWithLatestSolutionVersion", err, perch.EInvalidInput, "syncWithLatestSolutionVersion")
	_, err = e.s.CreateCampaign(e.ctx, perch.CreateCampaignInput{Name: "c", SolutionVersionARN: v.ARN, Config: sync})
	wantCode(t, "sync with a version's ARN", err, perch.EInvalidInput, "$LATEST")

	c, err := e.s.CreateCampaign(e.ctx, perch.CreateCampaignInput{Name: "c", SolutionVersionARN: v.ARN})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != perch.StatusActive || c.MinProvisionedTPS != 1 || c.ARN != "arn:aws:personalize:us-east-1:111122223333:campaign/c" {
		t.Errorf("a new campaign: %+v", c)
	}
	latest, err := e.s.CreateCampaign(e.ctx, perch.CreateCampaignInput{Name: "latest", SolutionVersionARN: s.ARN + "/$LATEST", Config: sync})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.s.CreateCampaign(e.ctx, perch.CreateCampaignInput{Name: "third", SolutionVersionARN: v.ARN})
	wantCode(t, "a campaign past the quota", err, perch.ELimitExceeded)
	_, err = e.s.CreateCampaign(e.ctx, perch.CreateCampaignInput{Name: "c", SolutionVersionARN: v.ARN})
	wantCode(t, "a taken campaign name", err, perch.EResourceAlreadyExists, c.ARN)

	tps := 3
	updated, err := e.s.UpdateCampaign(e.ctx, perch.UpdateCampaignInput{CampaignARN: c.ARN, MinProvisionedTPS: &tps})
	if err != nil || updated.MinProvisionedTPS != 3 || updated.LatestUpdate == nil || updated.LatestUpdate.Status != perch.StatusActive {
		t.Errorf("UpdateCampaign: %+v, %v", updated, err)
	}
	_, err = e.s.UpdateCampaign(e.ctx, perch.UpdateCampaignInput{CampaignARN: c.ARN, SolutionVersionARN: pending.ARN + "-gone"})
	if err == nil {
		t.Error("UpdateCampaign to a version that does not exist succeeded")
	}
	err = e.s.DeleteSolution(e.ctx, s.ARN)
	wantCode(t, "DeleteSolution while campaigns serve it", err, perch.EResourceInUse, c.ARN, latest.ARN)
	list, _, err := e.s.ListCampaigns(e.ctx, s.ARN, perch.Page{})
	if err != nil || len(list) != 2 || list[0].ARN != latest.ARN {
		t.Errorf("ListCampaigns, newest first: %+v, %v", list, err)
	}
	for _, arn := range []string{c.ARN, latest.ARN} {
		if err := e.s.DeleteCampaign(e.ctx, arn); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.s.DeleteSolution(e.ctx, s.ARN); err != nil {
		t.Errorf("DeleteSolution once no campaign serves it: %v", err)
	}
	if _, err := e.store.Resources().SolutionVersion(e.ctx, v.ARN); perch.ErrorCode(err) != perch.EResourceNotFound {
		t.Errorf("the deleted solution's version: %v, want ResourceNotFoundException", err)
	}
}

// Every recipe's algorithm and feature transformation answer, with the
// defaults and ranges perch trains and tunes with.
func TestAlgorithmsAndTransformations(t *testing.T) {
	e := newEnv(t, solutions.Options{})
	recipes, _, err := e.s.ListRecipes(e.ctx, "", perch.Page{MaxResults: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recipes {
		a, err := e.s.DescribeAlgorithm(e.ctx, r.AlgorithmARN)
		if err != nil {
			t.Errorf("%s: DescribeAlgorithm %s: %v", r.Name, r.AlgorithmARN, err)
			continue
		}
		if a.ARN != r.AlgorithmARN || !strings.HasSuffix(a.ARN, "/"+a.Name) {
			t.Errorf("%s: algorithm %s named %s", r.Name, a.ARN, a.Name)
		}
		if r.FeatureTransformationARN != "" {
			if f, err := e.s.DescribeFeatureTransformation(e.ctx, r.FeatureTransformationARN); err != nil || f.Status != perch.StatusActive {
				t.Errorf("%s: DescribeFeatureTransformation %s = %+v, %v", r.Name, r.FeatureTransformationARN, f, err)
			}
		}
	}
	a, err := e.s.DescribeAlgorithm(e.ctx, "arn:aws:personalize:::algorithm/aws-user-personalization")
	if err != nil {
		t.Fatal(err)
	}
	tunable := map[string]bool{}
	for _, r := range a.DefaultRanges {
		tunable[r.Name] = r.Tunable
	}
	if a.DefaultHyperParameters["hidden_dimension"] == "" || !tunable["hidden_dimension"] || tunable["bptt"] || a.DefaultResourceConfig["maxNumberOfTrainingJobs"] != "8" {
		t.Errorf("aws-user-personalization's algorithm: %+v", a)
	}
	for _, arn := range []string{"arn:aws:personalize:::algorithm/nonesuch", "arn:aws:personalize:::recipe/aws-sims"} {
		_, err := e.s.DescribeAlgorithm(e.ctx, arn)
		wantCode(t, "DescribeAlgorithm "+arn, err, perch.EResourceNotFound, arn)
	}
	_, err = e.s.DescribeFeatureTransformation(e.ctx, "arn:aws:personalize:::feature-transformation/nonesuch")
	wantCode(t, "an unknown feature transformation", err, perch.EResourceNotFound, "nonesuch")
}
