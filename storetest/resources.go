package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perchdev/perch"
)

// resourceKind is one kind of resource and the ResourceStore calls that
// keep it, so that a test goes over every kind alike. A test of a new
// ResourceStore call adds a member here and sets it in kindOf.
type resourceKind struct {
	name string
	// sample is a resource of the kind with every member set, named name;
	// the resources it refers to (its group, schema, dataset) are those
	// needs makes for the same name.
	sample func(name string) any
	needs  func(s *store, name string)
	// change changes members of v other than its ARN; changed does so to
	// a copy.
	change  func(v any)
	changed func(v any) any
	arn     func(v any) string
	create  func(ctx context.Context, r perch.ResourceStore, v any) error
	list    func(ctx context.Context, r perch.ResourceStore) (map[string]any, error)
	// get is nil for a kind that has no lookup by ARN, replace for
	// one that is never replaced, del for one that is never deleted.
	get     func(ctx context.Context, r perch.ResourceStore, arn string) (any, error)
	replace func(ctx context.Context, r perch.ResourceStore, v any) error
	del     func(ctx context.Context, r perch.ResourceStore, arn string) error
}

// typedKind is a resourceKind's calls in the kind's own type.
type typedKind[T any] struct {
	name    string
	sample  func(name string) *T
	needs   func(s *store, name string)
	change  func(v *T) // changes members other than the ARN
	arn     func(*T) string
	create  func(perch.ResourceStore, context.Context, *T) error
	get     func(perch.ResourceStore, context.Context, string) (*T, error)
	list    func(perch.ResourceStore, context.Context) ([]*T, error)
	replace func(perch.ResourceStore, context.Context, *T) error
	del     func(perch.ResourceStore, context.Context, string) error
}

func kindOf[T any](k typedKind[T]) resourceKind {
	rk := resourceKind{
		name:   k.name,
		sample: func(name string) any { return k.sample(name) },
		needs:  k.needs,
		change: func(v any) { k.change(v.(*T)) },
		changed: func(v any) any {
			c := *v.(*T)
			k.change(&c)
			return &c
		},
		arn:    func(v any) string { return k.arn(v.(*T)) },
		create: func(ctx context.Context, r perch.ResourceStore, v any) error { return k.create(r, ctx, v.(*T)) },
		list: func(ctx context.Context, r perch.ResourceStore) (map[string]any, error) {
			l, err := k.list(r, ctx)
			byARN := map[string]any{}
			for _, v := range l {
				byARN[k.arn(v)] = v
			}
			return byARN, err
		},
	}
	if rk.needs == nil {
		rk.needs = func(*store, string) {}
	}
	if k.get != nil {
		rk.get = func(ctx context.Context, r perch.ResourceStore, arn string) (any, error) {
			v, err := k.get(r, ctx, arn)
			if v == nil {
				return nil, err // not a nil *T in an any
			}
			return v, err
		}
	}
	if k.replace != nil {
		rk.replace = func(ctx context.Context, r perch.ResourceStore, v any) error { return k.replace(r, ctx, v.(*T)) }
	}
	if k.del != nil {
		rk.del = func(ctx context.Context, r perch.ResourceStore, arn string) error { return k.del(r, ctx, arn) }
	}
	return rk
}

var tags = []perch.Tag{{Key: "team", Value: "search"}, {Key: "cost-center", Value: "42"}}

const role = "arn:aws:iam::000000000000:role/r"

// needsGroup makes the custom dataset group a sample refers to.
func needsGroup(s *store, name string) { s.group(account, name, "") }

// needsDataset makes the Interactions dataset a job's sample refers to.
func needsDataset(s *store, name string) {
	s.datasetIn(s.group(account, name, ""), s.schema(name), perch.Interactions)
}

// resourceKinds lists every kind a ResourceStore keeps.
var resourceKinds = []resourceKind{
	kindOf(typedKind[perch.Schema]{
		name: "schemas",
		sample: func(name string) *perch.Schema {
			return &perch.Schema{ARN: arn("schema/" + name), Name: name, Definition: `{"type": "record", "name": "` + name + `"}`,
				Domain: perch.DomainEcommerce, Created: 1700000000000, Updated: 1700000001000}
		},
		change: func(v *perch.Schema) { v.Definition, v.Updated = `{"type": "record", "name": "changed"}`, v.Updated+1 },
		arn:    func(v *perch.Schema) string { return v.ARN },
		create: func(r perch.ResourceStore, ctx context.Context, v *perch.Schema) error {
			return r.CreateSchema(ctx, v, roomy)
		},
		get:  perch.ResourceStore.Schema,
		list: perch.ResourceStore.Schemas,
		del:  perch.ResourceStore.DeleteSchema,
	}),
	kindOf(typedKind[perch.DatasetGroup]{
		name: "dataset groups",
		sample: func(name string) *perch.DatasetGroup {
			return &perch.DatasetGroup{ARN: arn("dataset-group/" + name), Name: name, Status: perch.StatusActive, RoleARN: role,
				KMSKeyARN: "arn:aws:kms:us-east-1:000000000000:key/k", Domain: perch.DomainVideoOnDemand, FailureReason: "none",
				Tags: tags, Created: 1700000000000, Updated: 1700000001000}
		},
		change: func(v *perch.DatasetGroup) { v.RoleARN, v.Updated = role+"-changed", v.Updated+1 },
		arn:    func(v *perch.DatasetGroup) string { return v.ARN },
		create: func(r perch.ResourceStore, ctx context.Context, v *perch.DatasetGroup) error {
			return r.CreateDatasetGroup(ctx, v, roomy)
		},
		get:  perch.ResourceStore.DatasetGroup,
		list: perch.ResourceStore.DatasetGroups,
		del:  perch.ResourceStore.DeleteDatasetGroup,
	}),
	kindOf(typedKind[perch.Dataset]{
		name: "datasets",
		// Action interactions, the type with every member (its tracking
		// id), in a custom group, the only kind that may have one; its
		// latest update is to a second schema.
		sample: func(name string) *perch.Dataset {
			return &perch.Dataset{ARN: arn("dataset/" + name + "/ACTION_INTERACTIONS"), Name: name,
				GroupARN: arn("dataset-group/" + name), Type: perch.ActionInteractions,
				SchemaARN: arn("schema/" + name), Status: perch.StatusActive, TrackingID: "tracking-" + name,
				LatestUpdate: &perch.DatasetUpdate{SchemaARN: arn("schema/" + name + "-next"), Status: perch.StatusCreatePending,
					FailureReason: "none", Created: 1700000002000, Updated: 1700000003000},
				Tags: tags, Created: 1700000000000, Updated: 1700000001000, ID: sampleID(name)}
		},
		needs: func(s *store, name string) {
			needsGroup(s, name)
			s.schema(name)
			s.schema(name + "-next")
		},
		change: func(v *perch.Dataset) {
			u := *v.LatestUpdate
			u.Status = perch.StatusActive
			v.SchemaARN, v.LatestUpdate, v.Updated = u.SchemaARN, &u, v.Updated+1
		},
		arn:     func(v *perch.Dataset) string { return v.ARN },
		create:  perch.ResourceStore.CreateDataset,
		get:     perch.ResourceStore.Dataset,
		list:    perch.ResourceStore.Datasets,
		replace: perch.ResourceStore.UpdateDataset,
		del:     perch.ResourceStore.DeleteDataset,
	}),
	kindOf(typedKind[perch.EventTracker]{
		name: "event trackers",
		sample: func(name string) *perch.EventTracker {
			return &perch.EventTracker{ARN: arn("event-tracker/" + name), Name: name, AccountID: account, TrackingID: "tracking-" + name,
				GroupARN: arn("dataset-group/" + name), Status: perch.StatusActive, Tags: tags, Created: 1700000000000, Updated: 1700000001000}
		},
		needs:  needsGroup,
		change: func(v *perch.EventTracker) { v.TrackingID, v.Updated = v.TrackingID+"-changed", v.Updated+1 },
		arn:    func(v *perch.EventTracker) string { return v.ARN },
		create: perch.ResourceStore.CreateEventTracker,
		get:    perch.ResourceStore.EventTracker,
		list:   perch.ResourceStore.EventTrackers,
		del:    perch.ResourceStore.DeleteEventTracker,
	}),
	kindOf(typedKind[perch.DatasetExportJob]{
		name: "dataset export jobs",
		sample: func(name string) *perch.DatasetExportJob {
			return &perch.DatasetExportJob{ARN: arn("dataset-export-job/" + name), Name: name, DatasetARN: arn("dataset/" + name + "/INTERACTIONS"),
				IngestionMode: perch.IngestAll, RoleARN: role, Status: perch.StatusCreateInProgress,
				Output:        perch.S3DataConfig{Path: "s3://bucket/" + name + "/", KMSKeyARN: "arn:aws:kms:us-east-1:000000000000:key/k"},
				FailureReason: "none", Tags: tags, Created: 1700000000000, Updated: 1700000001000}
		},
		needs: needsDataset,
		change: func(v *perch.DatasetExportJob) {
			v.Status, v.FailureReason, v.Updated = perch.StatusActive, "", v.Updated+1
		},
		arn:    func(v *perch.DatasetExportJob) string { return v.ARN },
		create: perch.ResourceStore.CreateDatasetExportJob,
		get:    perch.ResourceStore.DatasetExportJob,
		list:   perch.ResourceStore.DatasetExportJobs,
		replace: func(r perch.ResourceStore, ctx context.Context, v *perch.DatasetExportJob) error {
			return r.UpdateDatasetExportJob(ctx, v, lease(ctx, r, v.ARN))
		},
	}),
	kindOf(typedKind[perch.DatasetImportJob]{
		name: "dataset import jobs",
		sample: func(name string) *perch.DatasetImportJob {
			return &perch.DatasetImportJob{ARN: arn("dataset-import-job/" + name), Name: name, DatasetARN: arn("dataset/" + name + "/INTERACTIONS"),
				DataLocation: "s3://bucket/" + name + ".csv", RoleARN: role, ImportMode: perch.ImportFull, PublishToS3: true,
				Status: perch.StatusCreatePending, FailureReason: "none", Tags: tags, Created: 1700000000000, Updated: 1700000001000}
		},
		needs: needsDataset,
		change: func(v *perch.DatasetImportJob) {
			v.Status, v.FailureReason, v.Updated = perch.StatusCreateFailed, "line 2", v.Updated+1
		},
		arn: func(v *perch.DatasetImportJob) string { return v.ARN },
		create: func(r perch.ResourceStore, ctx context.Context, v *perch.DatasetImportJob) error {
			return r.CreateDatasetImportJob(ctx, v, roomy)
		},
		get:  perch.ResourceStore.DatasetImportJob,
		list: perch.ResourceStore.DatasetImportJobs,
		replace: func(r perch.ResourceStore, ctx context.Context, v *perch.DatasetImportJob) error {
			return r.UpdateDatasetImportJob(ctx, v, lease(ctx, r, v.ARN))
		},
	}),
	kindOf(typedKind[perch.DataDeletionJob]{
		name: "data deletion jobs",
		sample: func(name string) *perch.DataDeletionJob {
			return &perch.DataDeletionJob{ARN: arn("data-deletion-job/" + name), Name: name, GroupARN: arn("dataset-group/" + name),
				DataLocation: "s3://bucket/" + name + ".csv", RoleARN: role, Status: perch.StatusPending, FailureReason: "none",
				Tags: tags, Created: 1700000000000, Updated: 1700000001000}
		},
		needs: needsGroup,
		change: func(v *perch.DataDeletionJob) {
			v.Status, v.NumDeleted, v.FailureReason, v.Updated = perch.StatusCompleted, 12, "", v.Updated+1
		},
		arn: func(v *perch.DataDeletionJob) string { return v.ARN },
		create: func(r perch.ResourceStore, ctx context.Context, v *perch.DataDeletionJob) error {
			return r.CreateDataDeletionJob(ctx, v, roomy)
		},
		get:  perch.ResourceStore.DataDeletionJob,
		list: perch.ResourceStore.DataDeletionJobs,
		replace: func(r perch.ResourceStore, ctx context.Context, v *perch.DataDeletionJob) error {
			return r.UpdateDataDeletionJob(ctx, v, lease(ctx, r, v.ARN))
		},
	}),
	kindOf(typedKind[perch.Solution]{
		name: "solutions",
		sample: func(name string) *perch.Solution {
			return &perch.Solution{ARN: arn("solution/" + name), Name: name, GroupARN: arn("dataset-group/" + name), RecipeARN: recipeARN,
				EventType: "click", PerformHPO: true, PerformAutoML: true, PerformAutoTraining: true, PerformIncrementalUpdate: true,
				Config: solutionConfig(), Status: perch.StatusActive,
				LatestUpdate: &perch.SolutionUpdate{AutoTrainingConfig: &perch.AutoTrainingConfig{SchedulingExpression: "rate(3 days)"},
					EventsConfig:        &perch.EventsConfig{EventParametersList: []perch.EventParameters{{EventType: "view", Weight: ptr(0.5)}}},
					PerformAutoTraining: true, PerformIncrementalUpdate: true, Status: perch.StatusActive, FailureReason: "none",
					Created: 1700000002000, Updated: 1700000003000},
				Tags: tags, Created: 1700000000000, Updated: 1700000001000}
		},
		needs: needsGroup,
		change: func(v *perch.Solution) {
			v.PerformAutoTraining, v.Updated = false, v.Updated+1
			v.LatestUpdate = &perch.SolutionUpdate{Status: perch.StatusCreateInProgress, Created: v.Updated, Updated: v.Updated}
		},
		arn: func(v *perch.Solution) string { return v.ARN },
		create: func(r perch.ResourceStore, ctx context.Context, v *perch.Solution) error {
			return r.CreateSolution(ctx, v, roomy)
		},
		get:     perch.ResourceStore.Solution,
		list:    perch.ResourceStore.Solutions,
		replace: perch.ResourceStore.UpdateSolution,
		del:     perch.ResourceStore.DeleteSolution,
	}),
	// A version in training, which the suite leases to replace it; versions
	// go only with their solution.
	kindOf(typedKind[perch.SolutionVersion]{
		name: "solution versions",
		sample: func(name string) *perch.SolutionVersion {
			solution := arn("solution/" + name)
			return &perch.SolutionVersion{ARN: versionARN(solution, name), Name: name, SolutionARN: solution,
				GroupARN: arn("dataset-group/" + name), RecipeARN: recipeARN, EventType: "click", PerformHPO: true, PerformAutoML: true,
				PerformIncrementalUpdate: true, Config: solutionConfig(), TrainingMode: perch.TrainingModeFull,
				TrainingType: perch.TrainingTypeManual, TrainingHours: ptr(0.25), Status: perch.StatusCreateInProgress,
				FailureReason: "none", Metrics: map[string]float64{"coverage": 0.5, "precision_at_25": 0.125},
				Tags: tags, Created: 1700000000000, Updated: 1700000001000}
		},
		needs: needsSolution,
		change: func(v *perch.SolutionVersion) {
			v.Status, v.FailureReason, v.TrainingHours, v.Updated = perch.StatusActive, "", ptr(1.5), v.Updated+1
			v.Metrics = map[string]float64{"coverage": 0.75, "normalized_discounted_cumulative_gain_at_10": 0.375}
		},
		arn: func(v *perch.SolutionVersion) string { return v.ARN },
		create: func(r perch.ResourceStore, ctx context.Context, v *perch.SolutionVersion) error {
			return r.CreateSolutionVersion(ctx, v, roomy)
		},
		get:  perch.ResourceStore.SolutionVersion,
		list: perch.ResourceStore.SolutionVersions,
		replace: func(r perch.ResourceStore, ctx context.Context, v *perch.SolutionVersion) error {
			return r.UpdateSolutionVersion(ctx, v, lease(ctx, r, v.ARN))
		},
	}),
	kindOf(typedKind[perch.Campaign]{
		name: "campaigns",
		sample: func(name string) *perch.Campaign {
			solution := arn("solution/" + name)
			version := versionARN(solution, name)
			return &perch.Campaign{ARN: arn("campaign/" + name), Name: name, SolutionVersionARN: version, MinProvisionedTPS: 2,
				Config: campaignConfig(), Status: perch.StatusActive, FailureReason: "none",
				LatestUpdate: &perch.CampaignUpdate{SolutionVersionARN: version, MinProvisionedTPS: 3, Config: campaignConfig(),
					Status: perch.StatusActive, FailureReason: "none", Created: 1700000002000, Updated: 1700000003000},
				Tags: tags, Created: 1700000000000, Updated: 1700000001000, SolutionARN: solution, GroupARN: arn("dataset-group/" + name)}
		},
		needs: needsServableVersion,
		change: func(v *perch.Campaign) {
			v.MinProvisionedTPS, v.Updated = v.MinProvisionedTPS+1, v.Updated+1
			v.Config = perch.CampaignConfig{RankingInfluence: map[string]float64{"FRESHNESS": 1}}
		},
		arn: func(v *perch.Campaign) string { return v.ARN },
		create: func(r perch.ResourceStore, ctx context.Context, v *perch.Campaign) error {
			return r.CreateCampaign(ctx, v, v.SolutionVersionARN, roomy)
		},
		get:  perch.ResourceStore.Campaign,
		list: perch.ResourceStore.Campaigns,
		replace: func(r perch.ResourceStore, ctx context.Context, v *perch.Campaign) error {
			return r.UpdateCampaign(ctx, v, v.SolutionVersionARN)
		},
		del: perch.ResourceStore.DeleteCampaign,
	}),
}

// recipeARN is the recipe of the suite's solutions.
const recipeARN = "arn:aws:personalize:::recipe/aws-user-personalization"

// versionARN is the ARN of the version named name of the solution
// solutionARN: the solution's ARN and an id of 8 lowercase hexadecimal
// digits, here made of the name.
func versionARN(solutionARN, name string) string {
	h := fnv.New32a()
	h.Write([]byte(name))
	return fmt.Sprintf("%s/%08x", solutionARN, h.Sum32())
}

func ptr[T any](v T) *T { return &v }

// solutionConfig is a configuration with every member set. Its raw JSON
// members are compact (as encoding/json writes them) with their keys out
// of order, so that a store that reformats JSON, rather than keeping it
// as given, fails to read them back.
func solutionConfig() perch.SolutionConfig {
	return perch.SolutionConfig{
		EventValueThreshold: "0.5",
		HPOConfig: json.RawMessage(`{"hpoResourceConfig":{"maxNumberOfTrainingJobs":"4"},` +
			`"hpoObjective":{"type":"Maximize","metricName":"precision_at_25"}}`),
		AlgorithmHyperParameters:        map[string]string{"hidden_dimension": "64", "bptt": "32"},
		FeatureTransformationParameters: map[string]string{"max_user_history_length_percentile": "0.99"},
		AutoMLConfig:                    json.RawMessage(`{"recipeList":["arn:aws:personalize:::recipe/aws-hrnn"],"metricName":"coverage"}`),
		EventsConfig: &perch.EventsConfig{EventParametersList: []perch.EventParameters{
			{EventType: "click", EventValueThreshold: ptr(0.5), Weight: ptr(0.75)}, {EventType: "buy", Weight: ptr(1.0)}}},
		OptimizationObjective: &perch.OptimizationObjective{ItemAttribute: "PRICE", ObjectiveSensitivity: "HIGH"},
		TrainingDataConfig: &perch.TrainingDataConfig{ExcludedDatasetColumns: map[string][]string{"ITEMS": {"COLOR", "SIZE"}},
			IncludedDatasetColumns: map[string][]string{"USERS": {"AGE"}}},
		AutoTrainingConfig: &perch.AutoTrainingConfig{SchedulingExpression: "rate(7 days)"},
	}
}

func campaignConfig() perch.CampaignConfig {
	return perch.CampaignConfig{ItemExplorationConfig: map[string]string{"explorationWeight": "0.3", "explorationItemAgeCutOff": "30"},
		EnableMetadataWithRecommendations: true, SyncWithLatestSolutionVersion: true,
		RankingInfluence: map[string]float64{"POPULARITY": 0.5, "FRESHNESS": 0.25}}
}

// needsSolution makes the group and the ACTIVE solution a version's
// sample refers to.
func needsSolution(s *store, name string) {
	s.solution(s.group(account, name, ""), name)
}

// needsServableVersion makes the group, solution and ACTIVE version a
// campaign's sample serves.
func needsServableVersion(s *store, name string) {
	s.version(s.solution(s.group(account, name, ""), name), name, perch.StatusActive, 1600000000000)
}

// allKinds names every kind of job ClaimJob hands out.
var allKinds = []string{perch.KindDatasetExportJob, perch.KindDatasetImportJob, perch.KindDataDeletionJob, perch.KindSolutionVersion}

// suiteOwner is the owner of the leases the suite takes to update jobs.
const suiteOwner = "storetest"

// lease makes sure suiteOwner holds the lease of the job arn (or of the
// solution version in training), if it is stored and has not finished:
// it claims jobs until it gets that one or there is none left to claim
// (the suite's earlier lease still holds), and returns the owner to
// update the job as.
func lease(ctx context.Context, r perch.ResourceStore, arn string) string {
	for {
		got, err := r.ClaimJob(ctx, suiteOwner, time.Hour, allKinds...)
		if err != nil || got == "" || got == arn {
			return suiteOwner
		}
	}
}

// forEachKind runs f for every resource kind, each as a subtest with a
// fresh store.
func forEachKind(t *testing.T, h Harness, f func(t *testing.T, s *store, k resourceKind)) {
	for _, k := range resourceKinds {
		t.Run(k.name, func(t *testing.T) { f(t, openFresh(t, h), k) })
	}
}

// wantResources checks that k's list is exactly want, member for member.
func wantResources(t *testing.T, s *store, k resourceKind, want ...any) {
	t.Helper()
	got, err := k.list(t.Context(), s.Resources())
	if err != nil {
		t.Fatalf("listing %s: %v", k.name, err)
	}
	byARN := map[string]any{}
	for _, v := range want {
		byARN[k.arn(v)] = v
	}
	if !reflect.DeepEqual(got, byARN) {
		t.Errorf("%s listed:\n%s\nwant\n%s", k.name, describe(got), describe(byARN))
	}
}

func describe(byARN map[string]any) string {
	var lines []string
	for arn, v := range byARN {
		lines = append(lines, fmt.Sprintf("  %s: %+v", arn, v))
	}
	slices.Sort(lines)
	if len(lines) == 0 {
		return "  nothing"
	}
	return strings.Join(lines, "\n")
}

// sampleOf makes what the sample named name needs and returns the sample.
// sampleID is a store id for the sample dataset of name: a store hands
// out each id once (NextDatasetID), so no two samples share one.
func sampleID(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()>>1 + 1
}

func sampleOf(s *store, k resourceKind, name string) any {
	s.t.Helper()
	k.needs(s, name)
	return k.sample(name)
}

func create(t *testing.T, s *store, k resourceKind, v any) {
	t.Helper()
	if err := k.create(t.Context(), s.Resources(), v); err != nil {
		t.Fatalf("creating %s %s: %v", k.name, k.arn(v), err)
	}
}

func replace(t *testing.T, s *store, k resourceKind, v any) {
	t.Helper()
	if err := k.replace(t.Context(), s.Resources(), v); err != nil {
		t.Fatalf("replacing %s %s: %v", k.name, k.arn(v), err)
	}
}

func del(t *testing.T, s *store, k resourceKind, arn string) {
	t.Helper()
	if err := k.del(t.Context(), s.Resources(), arn); err != nil {
		t.Fatalf("deleting %s %s: %v", k.name, arn, err)
	}
}

// wantError checks that err is a *perch.Error of the code whose message
// names every one of names (ARNs, names of resources).
func wantError(t *testing.T, what string, err error, code string, names ...string) {
	t.Helper()
	var e *perch.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Errorf("%s = %v, want %s", what, err, code)
		return
	}
	for _, name := range names {
		if !strings.Contains(e.Message, name) {
			t.Errorf("%s: the message %q does not name %s", what, e.Message, name)
		}
	}
}

// testResources: of each kind, a created resource is listed with every
// member as created; a replacement (UpdateDataset, Update*Job) replaces it
// whole; a deleted one is no longer listed.
func testResources(t *testing.T, h Harness) {
	forEachKind(t, h, func(t *testing.T, s *store, k resourceKind) {
		wantResources(t, s, k)
		one, two := sampleOf(s, k, "one"), sampleOf(s, k, "two")
		create(t, s, k, one)
		create(t, s, k, two)
		wantResources(t, s, k, one, two)
		if k.replace != nil {
			one = k.changed(one)
			replace(t, s, k, one)
			wantResources(t, s, k, one, two)
		}
		if k.del != nil {
			del(t, s, k, k.arn(one))
			wantResources(t, s, k, two)
		}
	})
}

// testResourcesSurviveReopen: every create, replacement and deletion of
// each kind is there after the store is closed and opened again.
func testResourcesSurviveReopen(t *testing.T, h Harness) {
	forEachKind(t, h, func(t *testing.T, s *store, k resourceKind) {
		one, two, three := sampleOf(s, k, "one"), sampleOf(s, k, "two"), sampleOf(s, k, "three")
		create(t, s, k, one)
		create(t, s, k, two)
		s.reopen()
		wantResources(t, s, k, one, two)
		create(t, s, k, three)
		want := []any{one, two, three}
		if k.replace != nil {
			one = k.changed(one)
			replace(t, s, k, one)
			want[0] = one
		}
		if k.del != nil {
			del(t, s, k, k.arn(two))
			want = []any{one, three}
		}
		s.reopen()
		wantResources(t, s, k, want...)
	})
}

// testCreateTakenARN: a create of an ARN that a resource of the kind has
// fails with ResourceAlreadyExistsException naming the ARN, and the
// stored resource stays as it was.
func testCreateTakenARN(t *testing.T, h Harness) {
	forEachKind(t, h, func(t *testing.T, s *store, k resourceKind) {
		one := sampleOf(s, k, "one")
		create(t, s, k, one)
		err := k.create(t.Context(), s.Resources(), k.changed(one))
		wantError(t, "create of a taken ARN", err, perch.EResourceAlreadyExists, k.arn(one))
		wantResources(t, s, k, one)
	})
}

// testResourceLookups: a lookup by ARN returns the resource as stored,
// for the caller to change without changing what is stored; the lookup
// of an ARN not stored is ResourceNotFoundException naming it.
func testResourceLookups(t *testing.T, h Harness) {
	forEachKind(t, h, func(t *testing.T, s *store, k resourceKind) {
		if k.get == nil {
			t.Skipf("%s have no lookup by ARN", k.name)
		}
		ctx, r := t.Context(), s.Resources()
		one, two := sampleOf(s, k, "one"), sampleOf(s, k, "two")
		create(t, s, k, one)
		create(t, s, k, two)
		for _, want := range []any{one, two} {
			got, err := k.get(ctx, r, k.arn(want))
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("lookup of %s = %+v, %v; want %+v", k.arn(want), got, err, want)
			}
			k.change(got)
			if again, err := k.get(ctx, r, k.arn(want)); err != nil || !reflect.DeepEqual(again, want) {
				t.Errorf("lookup of %s after the caller changed what it got = %+v, %v; want %+v", k.arn(want), again, err, want)
			}
		}
		missing := k.arn(k.sample("missing"))
		got, err := k.get(ctx, r, missing)
		wantError(t, "lookup of a missing ARN", err, perch.EResourceNotFound, missing)
		if got != nil {
			t.Errorf("lookup of a missing ARN returned %+v", got)
		}
	})
}

// testMissingResources: a delete or a replacement of an ARN that no
// resource of the kind has fails with ResourceNotFoundException naming
// it, and stores nothing.
func testMissingResources(t *testing.T, h Harness) {
	forEachKind(t, h, func(t *testing.T, s *store, k resourceKind) {
		if k.del == nil && k.replace == nil {
			t.Skipf("%s are neither replaced nor deleted", k.name)
		}
		ctx, r := t.Context(), s.Resources()
		one, missing := sampleOf(s, k, "one"), sampleOf(s, k, "missing")
		create(t, s, k, one)
		if k.del != nil {
			err := k.del(ctx, r, k.arn(missing))
			wantError(t, "delete of a missing ARN", err, perch.EResourceNotFound, k.arn(missing))
			del(t, s, k, k.arn(one))
			err = k.del(ctx, r, k.arn(one))
			wantError(t, "delete of a deleted ARN", err, perch.EResourceNotFound, k.arn(one))
			wantResources(t, s, k)
		}
		if k.replace != nil {
			err := k.replace(ctx, r, missing)
			wantError(t, "replacement of a missing ARN", err, perch.EResourceNotFound, k.arn(missing))
		}
		if k.del != nil {
			wantResources(t, s, k)
		} else {
			wantResources(t, s, k, one)
		}
	})
}

// testNextDatasetID: NextDatasetID never returns an id twice, nor 0, in
// one opening or across reopens.
func testNextDatasetID(t *testing.T, h Harness) {
	s := openFresh(t, h)
	seen := map[uint64]bool{}
	for opening := range 3 {
		if opening > 0 {
			s.reopen()
		}
		for range 3 {
			id, err := s.Resources().NextDatasetID(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if id == 0 || seen[id] {
				t.Fatalf("opening %d: NextDatasetID = %d, after %v", opening, id, seen)
			}
			seen[id] = true
		}
	}
}

// testDeleteDataset: deleting a dataset deletes every record of it (put
// and imported, events and entities) and leaves other datasets' records
// and duplicates alone; a dataset created afterwards with the same ARN
// sees none of the deleted one's records or eventIds.
func testDeleteDataset(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx := t.Context()
	r := s.Resources()
	doomed, kept, items := s.dataset(perch.Interactions), s.dataset(perch.Interactions), s.dataset(perch.Items)
	for _, d := range []*perch.Dataset{doomed, kept} {
		s.commit(&perch.Batch{Dataset: d, Events: []perch.Event{event("e1", "u", "s"), event("e1", "u", "s")}})
	}
	s.load(perch.ImportFull, &perch.Batch{Dataset: doomed, Events: []perch.Event{bulkEvent("u", "a")}})
	s.commit(&perch.Batch{Dataset: items, Entities: []perch.Entity{{ID: "i1"}}})
	s.load(perch.ImportFull, &perch.Batch{Dataset: items, Entities: []perch.Entity{{ID: "i2"}}})

	for _, d := range []*perch.Dataset{doomed, items} {
		if err := r.DeleteDataset(ctx, d.ARN); err != nil {
			t.Fatalf("DeleteDataset: %v", err)
		}
	}
	for _, q := range []perch.RecordQuery{{}, {UserID: "u"}, {SessionID: "s"}, {Source: perch.IngestBulk}} {
		if got := s.events(doomed, q); len(got) != 0 {
			t.Errorf("events of the deleted dataset (%+v): %q", q, marked(got, bySource))
		}
	}
	for _, q := range []perch.RecordQuery{{}, {ID: "i1"}, {ID: "i2"}} {
		if got := s.entities(items, q); len(got) != 0 {
			t.Errorf("entities of the deleted dataset (%+v): %+v", q, got)
		}
	}
	if got, want := marked(s.events(kept, perch.RecordQuery{}), byEventID), "e1 e1(dup)"; got != want {
		t.Errorf("events of the other dataset: %q, want %q", got, want)
	}
	list, err := r.Datasets(ctx)
	if err != nil || len(list) != 1 || list[0].ARN != kept.ARN {
		t.Errorf("Datasets = %+v, %v; want only %s", list, err, kept.ARN)
	}

	again := *doomed
	if again.ID, err = r.NextDatasetID(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.CreateDataset(ctx, &again); err != nil {
		t.Fatal(err)
	}
	if got := s.events(&again, perch.RecordQuery{}); len(got) != 0 {
		t.Errorf("a new dataset of the deleted one's ARN reads %q", marked(got, bySource))
	}
	s.commit(&perch.Batch{Dataset: &again, Events: []perch.Event{event("e1", "u", "s")}})
	if got, want := marked(s.events(&again, perch.RecordQuery{}), byEventID), "e1"; got != want {
		t.Errorf("events of the new dataset: %q, want %q: an original", got, want)
	}
}
