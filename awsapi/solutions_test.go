package awsapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/personalize"
	ptypes "github.com/aws/aws-sdk-go-v2/service/personalize/types"

	"github.com/perchdev/perch"
)

// newRecommenderEnv starts a server whose recommendation side is a
// recommender.
func newRecommenderEnv(t *testing.T) (*env, *recommender) {
	t.Helper()
	e := newEnv(t)
	e.recommender = newRecommender()
	e.restart()
	return e, e.recommender
}

// lastCall returns the arguments of the last call of method, which must
// have been made for the test's account.
func lastCall(t *testing.T, r *recommender, method string) []any {
	t.Helper()
	c, ok := r.last(method)
	if !ok {
		t.Fatalf("%s was not called", method)
	}
	if c.account != testAccount {
		t.Errorf("%s was called for account %q, want %s", method, c.account, testAccount)
	}
	return c.args
}

// wantArgs checks the arguments of the last call of method.
func wantArgs(t *testing.T, r *recommender, method string, want ...any) {
	t.Helper()
	got := lastCall(t, r, method)
	for i := range got {
		if cfg, ok := got[i].(perch.CreateSolutionInput); ok {
			cfg.Config = canonicalConfig(t, cfg.Config)
			got[i] = cfg
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s was given\n%#v\nwant\n%#v", method, got, want)
	}
}

// canonicalConfig rewrites the members a SolutionConfig keeps as raw JSON
// in one spelling, so that configurations compare by their meaning.
func canonicalConfig(t *testing.T, c perch.SolutionConfig) perch.SolutionConfig {
	t.Helper()
	for _, raw := range []*json.RawMessage{&c.HPOConfig, &c.AutoMLConfig} {
		if *raw == nil {
			continue
		}
		var v any
		if err := json.Unmarshal(*raw, &v); err != nil {
			t.Fatalf("raw member %s: %v", *raw, err)
		}
		b, _ := json.Marshal(v)
		*raw = b
	}
	return c
}

// wantTime checks a timestamp the SDK read.
func wantTime(t *testing.T, what string, got *time.Time, want perch.Timestamp) {
	t.Helper()
	if got == nil || got.UnixMilli() != int64(want) {
		t.Errorf("%s = %v, want %v", what, got, want.Time())
	}
}

func wantEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

// sdkConfig is a solution configuration with every member, as a client
// sends it, and solutionConfig what the service is given of it.
func sdkConfig() *ptypes.SolutionConfig {
	s := aws.String
	return &ptypes.SolutionConfig{
		EventValueThreshold: s("0.5"),
		HpoConfig: &ptypes.HPOConfig{
			HpoObjective:      &ptypes.HPOObjective{Type: s("Maximize"), MetricName: s("precision_at_25"), MetricRegex: s(".*")},
			HpoResourceConfig: &ptypes.HPOResourceConfig{MaxNumberOfTrainingJobs: s("4"), MaxParallelTrainingJobs: s("2")},
			AlgorithmHyperParameterRanges: &ptypes.HyperParameterRanges{
				IntegerHyperParameterRanges:     []ptypes.IntegerHyperParameterRange{{Name: s("bptt"), MinValue: 2, MaxValue: 32}},
				ContinuousHyperParameterRanges:  []ptypes.ContinuousHyperParameterRange{{Name: s("min_user_history_length_percentile"), MinValue: 0.1, MaxValue: 0.5}},
				CategoricalHyperParameterRanges: []ptypes.CategoricalHyperParameterRange{{Name: s("recency_mask"), Values: []string{"true", "false"}}},
			},
		},
		AlgorithmHyperParameters:        map[string]string{"hidden_dimension": "149"},
		FeatureTransformationParameters: map[string]string{"max_user_history_length_percentile": "0.99"},
		AutoMLConfig:                    &ptypes.AutoMLConfig{MetricName: s("precision_at_25"), RecipeList: []string{recipeARN}},
		EventsConfig: &ptypes.EventsConfig{EventParametersList: []ptypes.EventParameters{
			{EventType: s("click"), EventValueThreshold: aws.Float64(1.5), Weight: aws.Float64(0.3)},
			{EventType: s("purchase"), Weight: aws.Float64(1)},
		}},
		OptimizationObjective: &ptypes.OptimizationObjective{ItemAttribute: s("PRICE"), ObjectiveSensitivity: ptypes.ObjectiveSensitivityHigh},
		TrainingDataConfig: &ptypes.TrainingDataConfig{
			ExcludedDatasetColumns: map[string][]string{"ITEMS": {"GENRE"}},
			IncludedDatasetColumns: map[string][]string{"USERS": {"AGE", "GENDER"}},
		},
		AutoTrainingConfig: &ptypes.AutoTrainingConfig{SchedulingExpression: s("rate(3 days)")},
	}
}

func solutionConfig(t *testing.T) perch.SolutionConfig {
	threshold, weight, one := 1.5, 0.3, 1.0
	return canonicalConfig(t, perch.SolutionConfig{
		EventValueThreshold: "0.5",
		HPOConfig: json.RawMessage(`{"hpoObjective":{"type":"Maximize","metricName":"precision_at_25","metricRegex":".*"},` +
			`"hpoResourceConfig":{"maxNumberOfTrainingJobs":"4","maxParallelTrainingJobs":"2"},` +
			`"algorithmHyperParameterRanges":{"integerHyperParameterRanges":[{"name":"bptt","minValue":2,"maxValue":32}],` +
			`"continuousHyperParameterRanges":[{"name":"min_user_history_length_percentile","minValue":0.1,"maxValue":0.5}],` +
			`"categoricalHyperParameterRanges":[{"name":"recency_mask","values":["true","false"]}]}}`),
		AlgorithmHyperParameters:        map[string]string{"hidden_dimension": "149"},
		FeatureTransformationParameters: map[string]string{"max_user_history_length_percentile": "0.99"},
		AutoMLConfig:                    json.RawMessage(`{"metricName":"precision_at_25","recipeList":["` + recipeARN + `"]}`),
		EventsConfig: &perch.EventsConfig{EventParametersList: []perch.EventParameters{
			{EventType: "click", EventValueThreshold: &threshold, Weight: &weight},
			{EventType: "purchase", Weight: &one},
		}},
		OptimizationObjective: &perch.OptimizationObjective{ItemAttribute: "PRICE", ObjectiveSensitivity: "HIGH"},
		TrainingDataConfig: &perch.TrainingDataConfig{
			ExcludedDatasetColumns: map[string][]string{"ITEMS": {"GENRE"}},
			IncludedDatasetColumns: map[string][]string{"USERS": {"AGE", "GENDER"}},
		},
		AutoTrainingConfig: &perch.AutoTrainingConfig{SchedulingExpression: "rate(3 days)"},
	})
}

// wantSDKConfig checks, member by member, the configuration the SDK read
// of a resource that has the recommender's.
func wantSDKConfig(t *testing.T, what string, c *ptypes.SolutionConfig) {
	t.Helper()
	if c == nil {
		t.Fatalf("%s is missing", what)
	}
	if aws.ToString(c.EventValueThreshold) != "0.5" {
		t.Errorf("%s.eventValueThreshold = %v", what, c.EventValueThreshold)
	}
	wantEqual(t, what+".algorithmHyperParameters", c.AlgorithmHyperParameters, map[string]string{"hidden_dimension": "149"})
	wantEqual(t, what+".featureTransformationParameters", c.FeatureTransformationParameters, map[string]string{"max_user_history_length_percentile": "0.99"})
	if h := c.HpoConfig; h == nil || h.HpoResourceConfig == nil || aws.ToString(h.HpoResourceConfig.MaxNumberOfTrainingJobs) != "4" ||
		aws.ToString(h.HpoResourceConfig.MaxParallelTrainingJobs) != "2" || h.HpoObjective != nil || h.AlgorithmHyperParameterRanges != nil {
		t.Errorf("%s.hpoConfig = %+v", what, h)
	}
	if a := c.AutoMLConfig; a == nil || aws.ToString(a.MetricName) != "precision_at_25" || !slices.Equal(a.RecipeList, []string{recipeARN}) {
		t.Errorf("%s.autoMLConfig = %+v", what, a)
	}
	if ev := c.EventsConfig; ev == nil || len(ev.EventParametersList) != 1 || aws.ToString(ev.EventParametersList[0].EventType) != "click" ||
		aws.ToFloat64(ev.EventParametersList[0].EventValueThreshold) != 1.5 || aws.ToFloat64(ev.EventParametersList[0].Weight) != 0.3 {
		t.Errorf("%s.eventsConfig = %+v", what, ev)
	}
	if o := c.OptimizationObjective; o == nil || aws.ToString(o.ItemAttribute) != "PRICE" || o.ObjectiveSensitivity != ptypes.ObjectiveSensitivityHigh {
		t.Errorf("%s.optimizationObjective = %+v", what, o)
	}
	if d := c.TrainingDataConfig; d == nil || !reflect.DeepEqual(d.ExcludedDatasetColumns, map[string][]string{"ITEMS": {"GENRE"}}) || d.IncludedDatasetColumns != nil {
		t.Errorf("%s.trainingDataConfig = %+v", what, d)
	}
	if a := c.AutoTrainingConfig; a == nil || aws.ToString(a.SchedulingExpression) != "rate(7 days)" {
		t.Errorf("%s.autoTrainingConfig = %+v", what, a)
	}
}

func TestRecipeOperationsThroughTheSDK(t *testing.T) {
	e, r := newRecommenderEnv(t)
	ctx := context.Background()

	list, err := e.cp.ListRecipes(ctx, &personalize.ListRecipesInput{
		Domain: ptypes.DomainEcommerce, RecipeProvider: ptypes.RecipeProviderService, MaxResults: aws.Int32(10), NextToken: aws.String("tok"),
	})
	if err != nil {
		t.Fatal(err)
	}
	wantArgs(t, r, "ListRecipes", "ECOMMERCE", perch.Page{NextToken: "tok", MaxResults: 10})
	if len(list.Recipes) != 2 || aws.ToString(list.NextToken) != "next-page" {
		t.Fatalf("ListRecipes = %d recipes, next %v", len(list.Recipes), list.NextToken)
	}
	sum := list.Recipes[0]
	if aws.ToString(sum.Name) != r.recipe.Name || aws.ToString(sum.RecipeArn) != recipeARN ||
		aws.ToString(sum.Status) != "ACTIVE" || sum.Domain != ptypes.DomainEcommerce {
		t.Errorf("recipe summary = %+v", sum)
	}
	wantTime(t, "creationDateTime", sum.CreationDateTime, created)
	wantTime(t, "lastUpdatedDateTime", sum.LastUpdatedDateTime, updated)

	r.recipes, r.next = 0, ""
	list, err = e.cp.ListRecipes(ctx, &personalize.ListRecipesInput{})
	if err != nil {
		t.Fatal(err)
	}
	wantArgs(t, r, "ListRecipes", "", perch.Page{})
	if list.Recipes == nil || len(list.Recipes) != 0 || list.NextToken != nil {
		t.Errorf("an empty ListRecipes = %+v", list)
	}

	desc, err := e.cp.DescribeRecipe(ctx, &personalize.DescribeRecipeInput{RecipeArn: aws.String(recipeARN)})
	if err != nil {
		t.Fatal(err)
	}
	wantArgs(t, r, "DescribeRecipe", recipeARN)
	rec := desc.Recipe
	if aws.ToString(rec.Name) != r.recipe.Name || aws.ToString(rec.RecipeArn) != recipeARN ||
		aws.ToString(rec.AlgorithmArn) != r.recipe.AlgorithmARN || aws.ToString(rec.FeatureTransformationArn) != r.recipe.FeatureTransformationARN ||
		aws.ToString(rec.Status) != "ACTIVE" || aws.ToString(rec.Description) != r.recipe.Description ||
		aws.ToString(rec.RecipeType) != "USER_PERSONALIZATION" {
		t.Errorf("DescribeRecipe = %+v", rec)
	}
	wantTime(t, "creationDateTime", rec.CreationDateTime, created)
	wantTime(t, "lastUpdatedDateTime", rec.LastUpdatedDateTime, updated)
}

func TestAlgorithmOperationsThroughTheSDK(t *testing.T) {
	e, r := newRecommenderEnv(t)
	ctx := context.Background()

	out, err := e.cp.DescribeAlgorithm(ctx, &personalize.DescribeAlgorithmInput{AlgorithmArn: aws.String(algorithmARN)})
	if err != nil {
		t.Fatal(err)
	}
	wantArgs(t, r, "DescribeAlgorithm", algorithmARN)
	a := out.Algorithm
	if aws.ToString(a.Name) != "aws-user-personalization" || aws.ToString(a.AlgorithmArn) != algorithmARN ||
		a.DefaultHyperParameters["hidden_dimension"] != "64" || a.DefaultResourceConfig["maxNumberOfTrainingJobs"] != "8" || a.AlgorithmImage != nil {
		t.Errorf("DescribeAlgorithm = %+v", a)
	}
	ranges := a.DefaultHyperParameterRanges
	if ranges == nil || len(ranges.IntegerHyperParameterRanges) != 1 || len(ranges.ContinuousHyperParameterRanges) != 1 ||
		len(ranges.CategoricalHyperParameterRanges) != 1 {
		t.Fatalf("defaultHyperParameterRanges = %+v", ranges)
	}
	if i := ranges.IntegerHyperParameterRanges[0]; aws.ToString(i.Name) != "hidden_dimension" || i.MinValue != 32 || i.MaxValue != 256 || !i.IsTunable {
		t.Errorf("integer range = %+v", i)
	}
	if c := ranges.ContinuousHyperParameterRanges[0]; aws.ToString(c.Name) != "regularization" || c.MinValue != 1 || c.MaxValue != 30 || !c.IsTunable {
		t.Errorf("continuous range = %+v", c)
	}
	if c := ranges.CategoricalHyperParameterRanges[0]; aws.ToString(c.Name) != "recency_mask" || len(c.Values) != 2 || c.IsTunable {
		t.Errorf("categorical range = %+v", c)
	}
	wantTime(t, "creationDateTime", a.CreationDateTime, created)

	ft, err := e.cp.DescribeFeatureTransformation(ctx, &personalize.DescribeFeatureTransformationInput{FeatureTransformationArn: aws.String(transformationARN)})
	if err != nil {
		t.Fatal(err)
	}
	wantArgs(t, r, "DescribeFeatureTransformation", transformationARN)
	f := ft.FeatureTransformation
	if aws.ToString(f.Name) != "JSON-percentile-filtering" || aws.ToString(f.FeatureTransformationArn) != transformationARN ||
		aws.ToString(f.Status) != "ACTIVE" || f.DefaultParameters["max_user_history_length_percentile"] != "0.99" {
		t.Errorf("DescribeFeatureTransformation = %+v", f)
	}
	wantTime(t, "lastUpdatedDateTime", f.LastUpdatedDateTime, updated)
}

func TestSolutionOperationsThroughTheSDK(t *testing.T) {
	e, r := newRecommenderEnv(t)
	ctx := context.Background()
	s := aws.String
	tags := []ptypes.Tag{{TagKey: s("team"), TagValue: s("recs")}}

	created1, err := e.cp.CreateSolution(ctx, &personalize.CreateSolutionInput{
		Name: s("shop-recs"), DatasetGroupArn: s(groupARN), RecipeArn: s(recipeARN), EventType: s("click"),
		PerformHPO: aws.Bool(true), PerformAutoML: false, PerformAutoTraining: aws.Bool(false), PerformIncrementalUpdate: aws.Bool(true),
		SolutionConfig: sdkConfig(), Tags: tags,
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(created1.SolutionArn) != solutionARN {
		t.Errorf("solutionArn = %v", created1.SolutionArn)
	}
	wantArgs(t, r, "CreateSolution", perch.CreateSolutionInput{
		Name: "shop-recs", GroupARN: groupARN, RecipeARN: recipeARN, EventType: "click",
		PerformHPO: true, PerformAutoTraining: aws.Bool(false), PerformIncrementalUpdate: true,
		Config: solutionConfig(t), Tags: []perch.Tag{{Key: "team", Value: "recs"}},
	})

	// What is absent reaches the service as absent: performAutoTraining
	// nil, for the service to apply AWS's default.
	if _, err := e.cp.CreateSolution(ctx, &personalize.CreateSolutionInput{Name: s("bare"), DatasetGroupArn: s(groupARN)}); err != nil {
		t.Fatal(err)
	}
	wantArgs(t, r, "CreateSolution", perch.CreateSolutionInput{Name: "bare", GroupARN: groupARN})
	// null is absent too, even where the service keeps raw JSON.
	status, _ := postControl(t, e.url, "CreateSolution", `{"name":"nulls","datasetGroupArn":"`+groupARN+
		`","performAutoTraining":null,"solutionConfig":{"hpoConfig":null,"autoMLConfig":null,"eventsConfig":null}}`)
	if status != http.StatusOK {
		t.Fatalf("CreateSolution with nulls: HTTP %d", status)
	}
	wantArgs(t, r, "CreateSolution", perch.CreateSolutionInput{Name: "nulls", GroupARN: groupARN})

	desc, err := e.cp.DescribeSolution(ctx, &personalize.DescribeSolutionInput{SolutionArn: s(solutionARN)})
	if err != nil {
		t.Fatal(err)
	}
	wantArgs(t, r, "DescribeSolution", solutionARN)
	sol := desc.Solution
	if aws.ToString(sol.Name) != "shop-recs" || aws.ToString(sol.SolutionArn) != solutionARN || !sol.PerformHPO || sol.PerformAutoML ||
		!aws.ToBool(sol.PerformAutoTraining) || sol.PerformIncrementalUpdate == nil || *sol.PerformIncrementalUpdate ||
		aws.ToString(sol.RecipeArn) != recipeARN || aws.ToString(sol.DatasetGroupArn) != groupARN || aws.ToString(sol.EventType) != "click" ||
		aws.ToString(sol.Status) != "ACTIVE" || sol.AutoMLResult != nil {
		t.Errorf("DescribeSolution = %+v", sol)
	}
	wantTime(t, "creationDateTime", sol.CreationDateTime, created)
	wantTime(t, "lastUpdatedDateTime", sol.LastUpdatedDateTime, updated)
	wantSDKConfig(t, "solutionConfig", sol.SolutionConfig)
	latest := sol.LatestSolutionVersion
	if latest == nil || aws.ToString(latest.SolutionVersionArn) != r.latest.ARN || aws.ToString(latest.Status) != "CREATE FAILED" ||
		latest.TrainingMode != ptypes.TrainingModeFull || latest.TrainingType != ptypes.TrainingTypeManual ||
		aws.ToString(latest.FailureReason) != r.latest.FailureReason {
		t.Fatalf("latestSolutionVersion = %+v", latest)
	}
	wantTime(t, "latestSolutionVersion.creationDateTime", latest.CreationDateTime, created)
	wantTime(t, "latestSolutionVersion.lastUpdatedDateTime", latest.LastUpdatedDateTime, updated)
	update := sol.LatestSolutionUpdate
	if update == nil || update.SolutionUpdateConfig == nil || update.SolutionUpdateConfig.AutoTrainingConfig == nil ||
		aws.ToString(update.SolutionUpdateConfig.AutoTrainingConfig.SchedulingExpression) != "rate(3 days)" ||
		update.SolutionUpdateConfig.EventsConfig == nil || len(update.SolutionUpdateConfig.EventsConfig.EventParametersList) != 1 ||
		aws.ToFloat64(update.SolutionUpdateConfig.EventsConfig.EventParametersList[0].Weight) != 0.3 ||
		aws.ToString(update.Status) != "CREATE FAILED" || !aws.ToBool(update.PerformAutoTraining) || !aws.ToBool(update.PerformIncrementalUpdate) ||
		aws.ToString(update.FailureReason) != "update failed" {
		t.Fatalf("latestSolutionUpdate = %+v", update)
	}
	wantTime(t, "latestSolutionUpdate.creationDateTime", update.CreationDateTime, created)
	wantTime(t, "latestSolutionUpdate.lastUpdatedDateTime", update.LastUpdatedDateTime, updated)

	// A solution that has no version and was never updated has neither.
	r.latest, r.solution.LatestUpdate = nil, nil
	desc, err = e.cp.DescribeSolution(ctx, &personalize.DescribeSolutionInput{SolutionArn: s(solutionARN)})
	if err != nil {
		t.Fatal(err)
	}
	if desc.Solution.LatestSolutionVersion != nil || desc.Solution.LatestSolutionUpdate != nil {
		t.Errorf("a new solution's latest version %+v and update %+v", desc.Solution.LatestSolutionVersion, desc.Solution.LatestSolutionUpdate)
	}

	list, err := e.cp.ListSolutions(ctx, &personalize.ListSolutionsInput{DatasetGroupArn: s(groupARN), MaxResults: aws.Int32(5), NextToken: s("tok")})
	if err != nil {
		t.Fatal(err)
	}
	wantArgs(t, r, "ListSolutions", groupARN, perch.Page{NextToken: "tok", MaxResults: 5})
	if len(list.Solutions) != 1 || aws.ToString(list.NextToken) != "next-page" {
		t.Fatalf("ListSolutions = %+v", list)
	}
	if sum := list.Solutions[0]; aws.ToString(sum.Name) != "shop-recs" || aws.ToString(sum.SolutionArn) != solutionARN ||
		aws.ToString(sum.Status) != "ACTIVE" || aws.ToString(sum.RecipeArn) != recipeARN {
		t.Errorf("solution summary = %+v", sum)
	} else {
		wantTime(t, "creationDateTime", sum.CreationDateTime, created)
		wantTime(t, "lastUpdatedDateTime", sum.LastUpdatedDateTime, updated)
	}

	if _, err := e.cp.UpdateSolution(ctx, &personalize.UpdateSolutionInput{
		SolutionArn: s(solutionARN), PerformAutoTraining: aws.Bool(false), PerformIncrementalUpdate: aws.Bool(true),
		SolutionUpdateConfig: &ptypes.SolutionUpdateConfig{
			AutoTrainingConfig: &ptypes.AutoTrainingConfig{SchedulingExpression: s("rate(30 days)")},
			EventsConfig:       &ptypes.EventsConfig{EventParametersList: []ptypes.EventParameters{{EventType: s("view"), Weight: aws.Float64(0.5)}}},
		},
	}); err != nil {
		t.Fatal(err)
	}
	half := 0.5
	wantArgs(t, r, "UpdateSolution", perch.UpdateSolutionInput{
		SolutionARN: solutionARN, PerformAutoTraining: aws.Bool(false), PerformIncrementalUpdate: aws.Bool(true),
		AutoTrainingConfig: &perch.AutoTrainingConfig{SchedulingExpression: "rate(30 days)"},
		EventsConfig:       &perch.EventsConfig{EventParametersList: []perch.EventParameters{{EventType: "view", Weight: &half}}},
	})
	updated1, err := e.cp.UpdateSolution(ctx, &personalize.UpdateSolutionInput{SolutionArn: s(solutionARN)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(updated1.SolutionArn) != solutionARN {
		t.Errorf("UpdateSolution's solutionArn = %v", updated1.SolutionArn)
	}
	wantArgs(t, r, "UpdateSolution", perch.UpdateSolutionInput{SolutionARN: solutionARN})

	if _, err := e.cp.DeleteSolution(ctx, &personalize.DeleteSolutionInput{SolutionArn: s(solutionARN)}); err != nil {
		t.Fatal(err)
	}
	wantArgs(t, r, "DeleteSolution", solutionARN)

	// The service's errors reach the client with their codes.
	r.failWith("DeleteSolution", perch.Errorf(perch.EResourceInUse, "Solution %s is in use by campaign %s.", solutionARN, campaignARN))
	_, err = e.cp.DeleteSolution(ctx, &personalize.DeleteSolutionInput{SolutionArn: s(solutionARN)})
	wantAPIError(t, err, "ResourceInUseException", http.StatusBadRequest, "is in use by campaign")
	var inUse *ptypes.ResourceInUseException
	if !errors.As(err, &inUse) {
		t.Errorf("the SDK did not type %v", err)
	}
}

func TestSolutionVersionOperationsThroughTheSDK(t *testing.T) {
	e, r := newRecommenderEnv(t)
	ctx := context.Background()
	s := aws.String

	out, err := e.cp.CreateSolutionVersion(ctx, &personalize.CreateSolutionVersionInput{
		Name: s("v1"), SolutionArn: s(solutionARN), TrainingMode: ptypes.TrainingModeUpdate,
		Tags: []ptypes.Tag{{TagKey: s("k"), TagValue: s("v")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.SolutionVersionArn) != versionARN {
		t.Errorf("solutionVersionArn = %v", out.SolutionVersionArn)
	}
	wantArgs(t, r, "CreateSolutionVersion", perch.CreateSolutionVersionInput{
		Name: "v1", SolutionARN: solutionARN, TrainingMode: "UPDATE", Tags: []perch.Tag{{Key: "k", Value: "v"}},
	})
	if _, err := e.cp.CreateSolutionVersion(ctx, &personalize.CreateSolutionVersionInput{SolutionArn: s(solutionARN)}); err != nil {
		t.Fatal(err)
	}
	wantArgs(t, r, "CreateSolutionVersion", perch.CreateSolutionVersionInput{SolutionARN: solutionARN})

	desc, err := e.cp.DescribeSolutionVersion(ctx, &personalize.DescribeSolutionVersionInput{SolutionVersionArn: s(versionARN)})
	if err != nil {
		t.Fatal(err)
	}
	wantArgs(t, r, "DescribeSolutionVersion", versionARN)
	v := desc.SolutionVersion
	if aws.ToString(v.Name) != "shop-recs-v1" || aws.ToString(v.SolutionVersionArn) != versionARN || aws.ToString(v.SolutionArn) != solutionARN ||
		!v.PerformHPO || v.PerformAutoML || !aws.ToBool(v.PerformIncrementalUpdate) || aws.ToString(v.RecipeArn) != recipeARN ||
		aws.ToString(v.EventType) != "click" || aws.ToString(v.DatasetGroupArn) != groupARN || aws.ToFloat64(v.TrainingHours) != 1.073 ||
		v.TrainingMode != ptypes.TrainingModeFull || v.TunedHPOParams != nil || aws.ToString(v.Status) != "ACTIVE" ||
		aws.ToString(v.FailureReason) != "none really" || v.TrainingType != ptypes.TrainingTypeManual {
		t.Errorf("DescribeSolutionVersion = %+v", v)
	}
	wantTime(t, "creationDateTime", v.CreationDateTime, created)
	wantTime(t, "lastUpdatedDateTime", v.LastUpdatedDateTime, updated)
	wantSDKConfig(t, "solutionConfig", v.SolutionConfig)

	// A version not yet trained has no training hours.
	r.version.TrainingHours = nil
	desc, err = e.cp.DescribeSolutionVersion(ctx, &personalize.DescribeSolutionVersionInput{SolutionVersionArn: s(versionARN)})
	if err != nil {
		t.Fatal(err)
	}
	if desc.SolutionVersion.TrainingHours != nil {
		t.Errorf("trainingHours = %v, want none", *desc.SolutionVersion.TrainingHours)
	}

	list, err := e.cp.ListSolutionVersions(ctx, &personalize.ListSolutionVersionsInput{SolutionArn: s(solutionARN), MaxResults: aws.Int32(2), NextToken: s("tok")})
	if err != nil {
		t.Fatal(err)
	}
	wantArgs(t, r, "ListSolutionVersions", solutionARN, perch.Page{NextToken: "tok", MaxResults: 2})
	if len(list.SolutionVersions) != 2 || aws.ToString(list.NextToken) != "next-page" {
		t.Fatalf("ListSolutionVersions = %+v", list)
	}
	if sum := list.SolutionVersions[0]; aws.ToString(sum.SolutionVersionArn) != versionARN || aws.ToString(sum.Status) != "ACTIVE" ||
		sum.TrainingMode != ptypes.TrainingModeFull || sum.TrainingType != ptypes.TrainingTypeManual || aws.ToString(sum.FailureReason) != "none really" {
		t.Errorf("version summary = %+v", sum)
	} else {
		wantTime(t, "creationDateTime", sum.CreationDateTime, created)
		wantTime(t, "lastUpdatedDateTime", sum.LastUpdatedDateTime, updated)
	}
	if _, err := e.cp.ListSolutionVersions(ctx, &personalize.ListSolutionVersionsInput{}); err != nil {
		t.Fatal(err)
	}
	wantArgs(t, r, "ListSolutionVersions", "", perch.Page{})

	if _, err := e.cp.StopSolutionVersionCreation(ctx, &personalize.StopSolutionVersionCreationInput{SolutionVersionArn: s(versionARN)}); err != nil {
		t.Fatal(err)
	}
	wantArgs(t, r, "StopSolutionVersionCreation", versionARN)

	metrics, err := e.cp.GetSolutionMetrics(ctx, &personalize.GetSolutionMetricsInput{SolutionVersionArn: s(versionARN)})
	if err != nil {
		t.Fatal(err)
	}
	wantArgs(t, r, "GetSolutionMetrics", versionARN)
	if aws.ToString(metrics.SolutionVersionArn) != versionARN {
		t.Errorf("GetSolutionMetrics' solutionVersionArn = %v", metrics.SolutionVersionArn)
	}
	wantEqual(t, "metrics", metrics.Metrics, r.metrics)

	r.failWith("GetSolutionMetrics", perch.Errorf(perch.EResourceNotFound, "Could not find solution version %s.", versionARN))
	_, err = e.cp.GetSolutionMetrics(ctx, &personalize.GetSolutionMetricsInput{SolutionVersionArn: s(versionARN)})
	wantAPIError(t, err, "ResourceNotFoundException", http.StatusBadRequest, "Could not find solution version")
}

func TestCampaignOperationsThroughTheSDK(t *testing.T) {
	e, r := newRecommenderEnv(t)
	ctx := context.Background()
	s := aws.String

	out, err := e.cp.CreateCampaign(ctx, &personalize.CreateCampaignInput{
		Name: s("shop-live"), SolutionVersionArn: s(versionARN), MinProvisionedTPS: aws.Int32(2),
		CampaignConfig: &ptypes.CampaignConfig{
			ItemExplorationConfig:             map[string]string{"explorationWeight": "0.5"},
			EnableMetadataWithRecommendations: aws.Bool(true), SyncWithLatestSolutionVersion: aws.Bool(true),
			RankingInfluence: map[string]float64{"FRESHNESS": 0.75},
		},
		Tags: []ptypes.Tag{{TagKey: s("k"), TagValue: s("v")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.CampaignArn) != campaignARN {
		t.Errorf("campaignArn = %v", out.CampaignArn)
	}
	wantArgs(t, r, "CreateCampaign", perch.CreateCampaignInput{
		Name: "shop-live", SolutionVersionARN: versionARN, MinProvisionedTPS: 2,
		Config: &perch.CampaignConfig{
			ItemExplorationConfig:             map[string]string{"explorationWeight": "0.5"},
			EnableMetadataWithRecommendations: true, SyncWithLatestSolutionVersion: true,
			RankingInfluence: map[string]float64{"FRESHNESS": 0.75},
		},
		Tags: []perch.Tag{{Key: "k", Value: "v"}},
	})
	if _, err := e.cp.CreateCampaign(ctx, &personalize.CreateCampaignInput{Name: s("bare"), SolutionVersionArn: s(versionARN)}); err != nil {
		t.Fatal(err)
	}
	wantArgs(t, r, "CreateCampaign", perch.CreateCampaignInput{Name: "bare", SolutionVersionARN: versionARN})

	desc, err := e.cp.DescribeCampaign(ctx, &personalize.DescribeCampaignInput{CampaignArn: s(campaignARN)})
	if err != nil {
		t.Fatal(err)
	}
	wantArgs(t, r, "DescribeCampaign", campaignARN)
	c := desc.Campaign
	if aws.ToString(c.Name) != "shop-live" || aws.ToString(c.CampaignArn) != campaignARN || aws.ToString(c.SolutionVersionArn) != versionARN ||
		aws.ToInt32(c.MinProvisionedTPS) != 3 || aws.ToString(c.Status) != "ACTIVE" || aws.ToString(c.FailureReason) != "earlier failure" {
		t.Errorf("DescribeCampaign = %+v", c)
	}
	wantTime(t, "creationDateTime", c.CreationDateTime, created)
	wantTime(t, "lastUpdatedDateTime", c.LastUpdatedDateTime, updated)
	cfg := c.CampaignConfig
	if cfg == nil || !aws.ToBool(cfg.EnableMetadataWithRecommendations) || cfg.SyncWithLatestSolutionVersion == nil || *cfg.SyncWithLatestSolutionVersion {
		t.Fatalf("campaignConfig = %+v", cfg)
	}
	wantEqual(t, "itemExplorationConfig", cfg.ItemExplorationConfig, r.campaign.Config.ItemExplorationConfig)
	wantEqual(t, "rankingInfluence", cfg.RankingInfluence, r.campaign.Config.RankingInfluence)
	u := c.LatestCampaignUpdate
	if u == nil || aws.ToString(u.SolutionVersionArn) != solutionARN+"/$LATEST" || aws.ToInt32(u.MinProvisionedTPS) != 5 ||
		u.CampaignConfig == nil || !aws.ToBool(u.CampaignConfig.SyncWithLatestSolutionVersion) || aws.ToString(u.Status) != "CREATE IN_PROGRESS" ||
		u.FailureReason != nil {
		t.Fatalf("latestCampaignUpdate = %+v", u)
	}
	wantTime(t, "latestCampaignUpdate.creationDateTime", u.CreationDateTime, created)
	wantTime(t, "latestCampaignUpdate.lastUpdatedDateTime", u.LastUpdatedDateTime, updated)

	list, err := e.cp.ListCampaigns(ctx, &personalize.ListCampaignsInput{SolutionArn: s(solutionARN), MaxResults: aws.Int32(100), NextToken: s("tok")})
	if err != nil {
		t.Fatal(err)
	}
	wantArgs(t, r, "ListCampaigns", solutionARN, perch.Page{NextToken: "tok", MaxResults: 100})
	if len(list.Campaigns) != 1 || aws.ToString(list.NextToken) != "next-page" {
		t.Fatalf("ListCampaigns = %+v", list)
	}
	if sum := list.Campaigns[0]; aws.ToString(sum.Name) != "shop-live" || aws.ToString(sum.CampaignArn) != campaignARN ||
		aws.ToString(sum.Status) != "ACTIVE" || aws.ToString(sum.FailureReason) != "earlier failure" {
		t.Errorf("campaign summary = %+v", sum)
	} else {
		wantTime(t, "creationDateTime", sum.CreationDateTime, created)
		wantTime(t, "lastUpdatedDateTime", sum.LastUpdatedDateTime, updated)
	}

	if _, err := e.cp.UpdateCampaign(ctx, &personalize.UpdateCampaignInput{
		CampaignArn: s(campaignARN), SolutionVersionArn: s(solutionARN + "/$LATEST"), MinProvisionedTPS: aws.Int32(4),
		CampaignConfig: &ptypes.CampaignConfig{SyncWithLatestSolutionVersion: aws.Bool(true)},
	}); err != nil {
		t.Fatal(err)
	}
	wantArgs(t, r, "UpdateCampaign", perch.UpdateCampaignInput{
		CampaignARN: campaignARN, SolutionVersionARN: solutionARN + "/$LATEST", MinProvisionedTPS: aws.Int(4),
		Config: &perch.CampaignConfig{SyncWithLatestSolutionVersion: true},
	})
	updated1, err := e.cp.UpdateCampaign(ctx, &personalize.UpdateCampaignInput{CampaignArn: s(campaignARN)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(updated1.CampaignArn) != campaignARN {
		t.Errorf("UpdateCampaign's campaignArn = %v", updated1.CampaignArn)
	}
	wantArgs(t, r, "UpdateCampaign", perch.UpdateCampaignInput{CampaignARN: campaignARN})

	if _, err := e.cp.DeleteCampaign(ctx, &personalize.DeleteCampaignInput{CampaignArn: s(campaignARN)}); err != nil {
		t.Fatal(err)
	}
	wantArgs(t, r, "DeleteCampaign", campaignARN)
}

// TestRecommendationAnswersAreTheModelsShapes checks the raw answers of
// the recommendation side's control plane against the model: every member
// written is one of the output shape's, of its type, and what perch keeps
// for itself or does not compute is left out.
func TestRecommendationAnswersAreTheModelsShapes(t *testing.T) {
	e, _ := newRecommenderEnv(t)
	shapes := loadShapes(t, "model/personalize.json")
	for _, c := range []struct {
		op, body string
		// members the answer's resource must have, and must not have.
		resource     string
		want, absent []string
	}{
		{"ListRecipes", `{}`, "recipes.0", []string{"name", "recipeArn", "status", "creationDateTime", "lastUpdatedDateTime", "domain"}, nil},
		{"DescribeRecipe", `{"recipeArn":"` + recipeARN + `"}`, "recipe",
			[]string{"name", "recipeArn", "algorithmArn", "featureTransformationArn", "status", "description", "creationDateTime", "recipeType", "lastUpdatedDateTime"},
			[]string{"domain"}},
		{"DescribeSolution", `{"solutionArn":"` + solutionARN + `"}`, "solution",
			[]string{"name", "solutionArn", "performHPO", "performAutoML", "performAutoTraining", "performIncrementalUpdate", "recipeArn",
				"datasetGroupArn", "eventType", "solutionConfig", "status", "creationDateTime", "lastUpdatedDateTime", "latestSolutionVersion", "latestSolutionUpdate"},
			[]string{"autoMLResult", "tags"}},
		{"ListSolutions", `{}`, "solutions.0", []string{"name", "solutionArn", "status", "creationDateTime", "lastUpdatedDateTime", "recipeArn"}, nil},
		{"DescribeSolutionVersion", `{"solutionVersionArn":"` + versionARN + `"}`, "solutionVersion",
			[]string{"name", "solutionVersionArn", "solutionArn", "performHPO", "performAutoML", "performIncrementalUpdate", "recipeArn", "eventType",
				"datasetGroupArn", "solutionConfig", "trainingHours", "trainingMode", "status", "failureReason", "creationDateTime", "lastUpdatedDateTime", "trainingType"},
			[]string{"tunedHPOParams", "metrics", "tags"}},
		{"ListSolutionVersions", `{}`, "solutionVersions.0",
			[]string{"solutionVersionArn", "status", "trainingMode", "trainingType", "creationDateTime", "lastUpdatedDateTime", "failureReason"}, nil},
		{"GetSolutionMetrics", `{"solutionVersionArn":"` + versionARN + `"}`, "", []string{"solutionVersionArn", "metrics"}, nil},
		{"DescribeCampaign", `{"campaignArn":"` + campaignARN + `"}`, "campaign",
			[]string{"name", "campaignArn", "solutionVersionArn", "minProvisionedTPS", "campaignConfig", "status", "failureReason",
				"creationDateTime", "lastUpdatedDateTime", "latestCampaignUpdate"},
			[]string{"perchSolutionArn", "perchDatasetGroupArn", "tags"}},
		{"ListCampaigns", `{}`, "campaigns.0", []string{"name", "campaignArn", "status", "creationDateTime", "lastUpdatedDateTime", "failureReason"}, nil},
		{"CreateSolution", `{"name":"s","datasetGroupArn":"` + groupARN + `"}`, "", []string{"solutionArn"}, nil},
		{"UpdateSolution", `{"solutionArn":"` + solutionARN + `"}`, "", []string{"solutionArn"}, nil},
		{"CreateSolutionVersion", `{"solutionArn":"` + solutionARN + `"}`, "", []string{"solutionVersionArn"}, nil},
		{"CreateCampaign", `{"name":"c","solutionVersionArn":"` + versionARN + `"}`, "", []string{"campaignArn"}, nil},
		{"UpdateCampaign", `{"campaignArn":"` + campaignARN + `"}`, "", []string{"campaignArn"}, nil},
		{"DeleteSolution", `{"solutionArn":"` + solutionARN + `"}`, "", nil, nil},
		{"StopSolutionVersionCreation", `{"solutionVersionArn":"` + versionARN + `"}`, "", nil, nil},
		{"DeleteCampaign", `{"campaignArn":"` + campaignARN + `"}`, "", nil, nil},
	} {
		t.Run(c.op, func(t *testing.T) {
			status, answer := postControl(t, e.url, c.op, c.body)
			if status != http.StatusOK {
				t.Fatalf("HTTP %d: %v", status, answer)
			}
			shapes.conforms(t, shapes.output(t, c.op), answer, c.op)
			resource := answer
			if c.resource != "" {
				resource = pick(t, answer, c.resource)
			}
			m, _ := resource.(map[string]any)
			if got := slices.Sorted(maps.Keys(m)); !reflect.DeepEqual(got, slices.Sorted(slices.Values(c.want))) && c.want != nil {
				t.Errorf("members %v, want %v", got, slices.Sorted(slices.Values(c.want)))
			}
			for _, name := range c.absent {
				if _, ok := m[name]; ok {
					t.Errorf("%s is in the answer", name)
				}
			}
			if c.want == nil && len(m) != 0 {
				t.Errorf("answer %v, want {}", m)
			}
		})
	}
}

// TestRecommendationOperationsNeedTheService checks that without a
// service behind them the recommendation side's operations are unknown,
// as every operation perch does not serve is.
func TestRecommendationOperationsNeedTheService(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, err := e.cp.ListRecipes(ctx, &personalize.ListRecipesInput{})
	wantAPIError(t, err, "UnknownOperationException", http.StatusBadRequest, "AmazonPersonalize.ListRecipes is not supported")
	_, err = e.cp.CreateCampaign(ctx, &personalize.CreateCampaignInput{Name: aws.String("c"), SolutionVersionArn: aws.String(versionARN)})
	wantAPIError(t, err, "UnknownOperationException", http.StatusBadRequest)
}

// postControl sends a control-plane request as is and returns the status
// and the decoded answer.
func postControl(t *testing.T, url, op, body string) (int, any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "AmazonPersonalize."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var answer any
	if err := dec.Decode(&answer); err != nil {
		t.Fatalf("%s answered %q: %v", op, raw, err)
	}
	return resp.StatusCode, answer
}

// pick follows a dotted path of member names and list indices.
func pick(t *testing.T, v any, path string) any {
	t.Helper()
	for _, step := range strings.Split(path, ".") {
		switch c := v.(type) {
		case map[string]any:
			v = c[step]
		case []any:
			var i int
			fmt.Sscan(step, &i)
			if i >= len(c) {
				t.Fatalf("%s: no element %d", path, i)
			}
			v = c[i]
		default:
			t.Fatalf("%s: %T has no %s", path, v, step)
		}
	}
	return v
}

// modelShapes is what the tests read of a service model: its operations'
// outputs and its shapes.
type modelShapes struct {
	Operations map[string]struct {
		Output *struct{ Shape string }
	}
	Shapes map[string]struct {
		Type               string
		Members            map[string]struct{ Shape string }
		Member, Key, Value *struct{ Shape string }
		Enum               []string
	}
}

func loadShapes(t *testing.T, file string) *modelShapes {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var m modelShapes
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

// output returns the output shape of op, "" for none.
func (m *modelShapes) output(t *testing.T, op string) string {
	t.Helper()
	o, ok := m.Operations[op]
	if !ok {
		t.Fatalf("the model has no operation %s", op)
	}
	if o.Output == nil {
		return ""
	}
	return o.Output.Shape
}

// conforms checks that v, decoded with UseNumber, is a value of shape as
// an SDK reads it: members the shape has, of their types; timestamps as
// epoch seconds; doubles as numbers or the strings of non-finite values.
func (m *modelShapes) conforms(t *testing.T, shape string, v any, path string) {
	t.Helper()
	if shape == "" {
		if o, ok := v.(map[string]any); !ok || len(o) != 0 {
			t.Errorf("%s: %v for an operation without output, want {}", path, v)
		}
		return
	}
	s, ok := m.Shapes[shape]
	if !ok {
		t.Fatalf("%s: no shape %s", path, shape)
	}
	wrong := func() { t.Errorf("%s: %T %v is not a %s (%s)", path, v, v, s.Type, shape) }
	switch s.Type {
	case "structure":
		o, ok := v.(map[string]any)
		if !ok {
			wrong()
			return
		}
		for name, val := range o {
			mem, ok := s.Members[name]
			if !ok {
				t.Errorf("%s: %s has no member %q", path, shape, name)
				continue
			}
			m.conforms(t, mem.Shape, val, path+"."+name)
		}
	case "list":
		l, ok := v.([]any)
		if !ok {
			wrong()
			return
		}
		for i, e := range l {
			m.conforms(t, s.Member.Shape, e, fmt.Sprintf("%s.%d", path, i))
		}
	case "map":
		o, ok := v.(map[string]any)
		if !ok {
			wrong()
			return
		}
		for k, e := range o {
			m.conforms(t, s.Key.Shape, k, path+"{key}")
			m.conforms(t, s.Value.Shape, e, path+"."+k)
		}
	case "string":
		str, ok := v.(string)
		if !ok || len(s.Enum) > 0 && !slices.Contains(s.Enum, str) {
			wrong()
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			wrong()
		}
	case "integer", "long":
		n, ok := v.(json.Number)
		if _, err := n.Int64(); !ok || err != nil {
			wrong()
		}
	case "float", "double":
		switch n := v.(type) {
		case json.Number:
		case string:
			if n != "NaN" && n != "Infinity" && n != "-Infinity" {
				wrong()
			}
		default:
			wrong()
		}
	case "timestamp":
		if _, ok := v.(json.Number); !ok {
			wrong()
		}
	default:
		t.Errorf("%s: shape type %s is not checked", path, s.Type)
	}
}
