package compat_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/perchdev/perch/recipe"
)

// The recommendation loop: each client that has the control plane and
// the runtime builds a dataset group from nothing, fills it with planted
// interactions, trains, deploys, asks for recommendations and a ranking,
// then sends a new user's events and checks that the user's next answers
// follow them.

// loopConfig is the planted data of the loop: 300 users whose tastes lie
// in ten clusters of 30 items, 4,000 interactions. Trained on it with
// recipe.Train, a new user's eight clicks in one cluster brought 7 to 10
// of ten recommendations from that cluster, whichever the cluster, and
// the ranking put that cluster's items before another's in 19 to 25 of
// 25 pairs; the checks below ask for 6 and 18 (and the clusters chosen
// measured 8 and 25).
func loopConfig() recipe.SyntheticConfig {
	c := recipe.DefaultSynthetic(300, 300, 4000, 2)
	c.Clusters = 10
	return c
}

// loopData is the loop's data, the same for every client.
var loopData = sync.OnceValue(func() *recipe.SyntheticData { return recipe.Synthetic(loopConfig()) })

const (
	// loopTaste is the cluster of the new user's clicks; loopOther one it
	// never touches, whose items the ranking must put after loopTaste's.
	loopTaste, loopOther = 4, 9

	loopRecipe        = "arn:aws:personalize:::recipe/aws-user-personalization-v2"
	loopRankingRecipe = "arn:aws:personalize:::recipe/aws-personalized-ranking-v2"
	// The import's location under perch's --s3-root.
	loopBucket, loopKey = "loop", "interactions.csv"
	loopRole            = "arn:aws:iam::" + perchAccount + ":role/perch-import"

	// The batch inference job's input, in the import's bucket.
	loopBatchKey = "batch/users.json"
	// The batch segment job's input, and the item-affinity recipe of its
	// version.
	loopSegmentKey    = "segments/items.json"
	loopSegmentRecipe = "arn:aws:personalize:::recipe/aws-item-affinity"

	// changedRow is the table row of the check that a new user's events
	// change that user's next recommendations and ranking.
	changedRow = "new events -> recommendations"
)

const loopSchema = `{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[` +
	`{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"},` +
	`{"name":"EVENT_TYPE","type":"string"},{"name":"EVENT_VALUE","type":["null","float"]}],"version":"1.0"}`

// loopMetrics are the metrics AWS reports for a user-personalization
// version.
var loopMetrics = []string{"coverage", "mean_reciprocal_rank_at_25",
	"normalized_discounted_cumulative_gain_at_5", "normalized_discounted_cumulative_gain_at_10",
	"normalized_discounted_cumulative_gain_at_25", "precision_at_5", "precision_at_10", "precision_at_25"}

// eventValue is an EVENT_VALUE as its shortest decimal, so that the CSV
// and PutEvents carry the same number.
func eventValue(v float32) (float64, bool) {
	if math.IsNaN(float64(v)) {
		return 0, false
	}
	f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(v), 'f', -1, 32), 64)
	return f, true
}

// writeLoopCSV writes the loop's interactions where an import job from
// s3://loopBucket/loopKey reads them, perch's --s3-root being root.
func writeLoopCSV(root string) error {
	d := loopData()
	var b bytes.Buffer
	b.WriteString("USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\n")
	for _, in := range d.Interactions {
		value := ""
		if v, ok := eventValue(in.Value); ok {
			value = strconv.FormatFloat(v, 'f', -1, 64)
		}
		fmt.Fprintf(&b, "%s,%s,%d,%s,%s\n", d.Users[in.User], d.Items[in.Item], in.Time/1000, in.EventType, value)
	}
	dir := filepath.Join(root, loopBucket)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, loopKey), b.Bytes(), 0o644)
}

// loopItems are the items of the new user's story: the eight it clicks
// and, for its ranking, five more of the same cluster and five of
// another, all items with interactions (known to the model).
func loopItems() (clicks, liked, other []string) {
	d := loopData()
	count := make([]int, len(d.Items))
	for _, in := range d.Interactions {
		count[in.Item]++
	}
	for i, id := range d.Items {
		switch {
		case count[i] == 0:
		case d.ItemCluster[i] == loopTaste && len(clicks) < 8:
			clicks = append(clicks, id)
		case d.ItemCluster[i] == loopTaste && len(liked) < 5:
			liked = append(liked, id)
		case d.ItemCluster[i] == loopOther && len(other) < 5:
			other = append(other, id)
		}
	}
	return clicks, liked, other
}

// filterUser is a user of the planted data whose rankings the loop
// filters, and an item it clicked.
func filterUser() (user, clicked string) {
	d := loopData()
	for _, in := range d.Interactions {
		if in.User == 4 && in.EventType == recipe.SyntheticClick {
			return d.Users[4], d.Items[in.Item]
		}
	}
	panic("the loop's fifth user has no click")
}

func (n names) loopARN(kind, name string) string { return arn(kind + "/" + n.id(name)) }

// loopSteps are one client's loop. A client that imports sends the
// interactions with a dataset import job, the others with PutEvents.
// root is perch's --s3-root, where the batch inference job's output is
// read back.
func loopSteps(n names, imports bool, root string) []*step {
	d := loopData()
	var steps []*step
	add := func(api string, s *step) { s.API = api; steps = append(steps, s) }
	waitFor := func(path string) *poll {
		return &poll{Path: path, Until: []string{"ACTIVE", "CREATE FAILED"}, Interval: 0.5, Timeout: 300}
	}

	add(apiControl, &step{ID: "create-schema", Op: "CreateSchema", Case: "happy", marker: n.id("interactions"),
		Input: map[string]any{"name": n.id("interactions"), "schema": loopSchema},
		Save:  map[string]string{"schemaArn": "schemaArn"}})
	add(apiControl, &step{ID: "create-dataset-group", Op: "CreateDatasetGroup", Case: "happy", marker: n.group(),
		Input: map[string]any{"name": n.group()}, Save: map[string]string{"groupArn": "datasetGroupArn"}})
	add(apiControl, &step{ID: "create-dataset", Op: "CreateDataset", Case: "happy", marker: n.id("interactions"),
		Input: map[string]any{"name": n.id("interactions"), "datasetGroupArn": "${groupArn}", "schemaArn": "${schemaArn}", "datasetType": "Interactions"},
		Save:  map[string]string{"datasetArn": "datasetArn"}})
	add(apiControl, &step{ID: "create-event-tracker", Op: "CreateEventTracker", Case: "happy", marker: n.id("tracker"),
		Input: map[string]any{"name": n.id("tracker"), "datasetGroupArn": "${groupArn}"},
		Save:  map[string]string{"trackingId": "trackingId"}})

	if imports {
		add(apiControl, &step{ID: "create-dataset-import-job", Op: "CreateDatasetImportJob", Case: "happy", marker: n.id("history"),
			Input: map[string]any{"jobName": n.id("history"), "datasetArn": "${datasetArn}", "roleArn": loopRole,
				"dataSource": map[string]any{"dataLocation": "s3://" + loopBucket + "/" + loopKey}},
			Save: map[string]string{"importJobArn": "datasetImportJobArn"}})
		add(apiControl, &step{ID: "describe-dataset-import-job", Op: "DescribeDatasetImportJob", Case: "happy",
			marker: n.loopARN("dataset-import-job", "history"), Poll: waitFor("datasetImportJob.status"),
			Input:       map[string]any{"datasetImportJobArn": "${importJobArn}"},
			checkOutput: wantOutput("datasetImportJob.status", "ACTIVE")})
	} else {
		// One user's events a call, at most ten: PutEvents' limit.
		var batch []any
		flush := func(user string) {
			if len(batch) == 0 {
				return
			}
			session := n.id(fmt.Sprintf("session-%04d", len(steps)))
			add(apiEvents, &step{ID: fmt.Sprintf("put-events-%04d", len(steps)), Op: "PutEvents", Case: "happy", marker: session,
				Input: map[string]any{"trackingId": "${trackingId}", "userId": user, "sessionId": session, "eventList": batch}})
			batch = nil
		}
		for i, in := range d.Interactions {
			if i > 0 && (in.User != d.Interactions[i-1].User || len(batch) == 10) {
				flush(d.Users[d.Interactions[i-1].User])
			}
			e := map[string]any{"eventType": in.EventType, "itemId": d.Items[in.Item], "sentAt": float64(in.Time / 1000)}
			if v, ok := eventValue(in.Value); ok {
				e["eventValue"] = v
			}
			batch = append(batch, e)
		}
		flush(d.Users[d.Interactions[len(d.Interactions)-1].User])
	}

	// A user-personalization solution and a ranking one, each trained and
	// deployed.
	solution := func(name string) string { return n.loopARN("solution", name) }
	for _, sol := range []struct{ name, recipe string }{{"personal", loopRecipe}, {"ranking", loopRankingRecipe}} {
		solution := solution(sol.name)
		add(apiControl, &step{ID: "create-solution-" + sol.name, Op: "CreateSolution", Case: "happy", marker: n.id(sol.name),
			Input:       map[string]any{"name": n.id(sol.name), "datasetGroupArn": "${groupArn}", "recipeArn": sol.recipe},
			Save:        map[string]string{sol.name + "Solution": "solutionArn"},
			checkOutput: wantOutput("solutionArn", solution)})
		add(apiControl, &step{ID: "create-solution-version-" + sol.name, Op: "CreateSolutionVersion", Case: "happy", marker: solution,
			Input: map[string]any{"solutionArn": "${" + sol.name + "Solution}"},
			Save:  map[string]string{sol.name + "Version": "solutionVersionArn"},
			checkOutput: func(out map[string]any) error {
				if v, _ := lookup(out, "solutionVersionArn").(string); !strings.HasPrefix(v, solution+"/") {
					return fmt.Errorf("solutionVersionArn = %q, want one under %s", v, solution)
				}
				return nil
			}})
		add(apiControl, &step{ID: "describe-solution-version-" + sol.name, Op: "DescribeSolutionVersion", Case: "happy",
			marker: solution + "/", Poll: waitFor("solutionVersion.status"),
			Input: map[string]any{"solutionVersionArn": "${" + sol.name + "Version}"},
			checkOutput: func(out map[string]any) error {
				if err := wantOutput("solutionVersion.status", "ACTIVE")(out); err != nil {
					return fmt.Errorf("%v (failureReason %v)", err, lookup(out, "solutionVersion.failureReason"))
				}
				return nil
			}})
		if sol.name == "personal" {
			add(apiControl, &step{ID: "get-solution-metrics", Op: "GetSolutionMetrics", Case: "happy", marker: solution + "/",
				Input: map[string]any{"solutionVersionArn": "${personalVersion}"}, checkOutput: checkMetrics})
		}
		campaign := n.loopARN("campaign", sol.name)
		add(apiControl, &step{ID: "create-campaign-" + sol.name, Op: "CreateCampaign", Case: "happy", marker: n.id(sol.name),
			Input:       map[string]any{"name": n.id(sol.name), "solutionVersionArn": "${" + sol.name + "Version}"},
			Save:        map[string]string{sol.name + "Campaign": "campaignArn"},
			checkOutput: wantOutput("campaignArn", campaign)})
		add(apiControl, &step{ID: "describe-campaign-" + sol.name, Op: "DescribeCampaign", Case: "happy",
			marker: campaign, Poll: waitFor("campaign.status"),
			Input:       map[string]any{"campaignArn": "${" + sol.name + "Campaign}"},
			checkOutput: wantOutput("campaign.status", "ACTIVE")})
	}

	// A batch inference job of the personal version over the users of
	// loopBatchKey, polled until ACTIVE; its output is read back.
	batchJob := n.loopARN("batch-inference-job", "batch")
	batchOut := "s3://" + loopBucket + "/out/" + n.id("batch") + "/"
	add(apiControl, &step{ID: "create-batch-inference-job", Op: "CreateBatchInferenceJob", Case: "happy", marker: n.id("batch"),
		Input: map[string]any{"jobName": n.id("batch"), "solutionVersionArn": "${personalVersion}", "numResults": loopBatchResults,
			"roleArn":   loopRole,
			"jobInput":  map[string]any{"s3DataSource": map[string]any{"path": "s3://" + loopBucket + "/" + loopBatchKey}},
			"jobOutput": map[string]any{"s3DataDestination": map[string]any{"path": batchOut}}},
		Save: map[string]string{"batchJobArn": "batchInferenceJobArn"}, checkOutput: wantOutput("batchInferenceJobArn", batchJob)})
	add(apiControl, &step{ID: "describe-batch-inference-job", Op: "DescribeBatchInferenceJob", Case: "happy", marker: batchJob,
		Poll: waitFor("batchInferenceJob.status"), Input: map[string]any{"batchInferenceJobArn": "${batchJobArn}"},
		checkOutput: func(out map[string]any) error {
			if err := wantOutput("batchInferenceJob.status", "ACTIVE")(out); err != nil {
				return fmt.Errorf("%v (failureReason %v)", err, lookup(out, "batchInferenceJob.failureReason"))
			}
			return checkBatchOutput(root, strings.TrimPrefix(batchOut, "s3://")+path.Base(loopBatchKey)+".out")
		}})
	add(apiControl, &step{ID: "list-batch-inference-jobs", Op: "ListBatchInferenceJobs", Case: "happy", marker: solution("personal") + "/",
		Input: map[string]any{"solutionVersionArn": "${personalVersion}"},
		checkOutput: func(out map[string]any) error {
			list, _ := lookup(out, "batchInferenceJobs").([]any)
			if len(list) != 1 || lookup(list[0], "batchInferenceJobArn") != batchJob || lookup(list[0], "status") != "ACTIVE" {
				return fmt.Errorf("batchInferenceJobs = %v, want %s, ACTIVE", lookup(out, "batchInferenceJobs"), batchJob)
			}
			return nil
		}})

	// An item-affinity version, and a batch segment job of it over the
	// items of loopSegmentKey, polled until ACTIVE; its output is read
	// back.
	segments := solution("segments")
	add(apiControl, &step{ID: "create-solution-segments", Op: "CreateSolution", Case: "happy", marker: n.id("segments"),
		Input:       map[string]any{"name": n.id("segments"), "datasetGroupArn": "${groupArn}", "recipeArn": loopSegmentRecipe},
		Save:        map[string]string{"segmentsSolution": "solutionArn"},
		checkOutput: wantOutput("solutionArn", segments)})
	add(apiControl, &step{ID: "create-solution-version-segments", Op: "CreateSolutionVersion", Case: "happy", marker: segments,
		Input: map[string]any{"solutionArn": "${segmentsSolution}"},
		Save:  map[string]string{"segmentsVersion": "solutionVersionArn"}})
	add(apiControl, &step{ID: "describe-solution-version-segments", Op: "DescribeSolutionVersion", Case: "happy",
		marker: segments + "/", Poll: waitFor("solutionVersion.status"),
		Input: map[string]any{"solutionVersionArn": "${segmentsVersion}"},
		checkOutput: func(out map[string]any) error {
			if err := wantOutput("solutionVersion.status", "ACTIVE")(out); err != nil {
				return fmt.Errorf("%v (failureReason %v)", err, lookup(out, "solutionVersion.failureReason"))
			}
			return nil
		}})
	segmentJob := n.loopARN("batch-segment-job", "segments")
	segmentOut := "s3://" + loopBucket + "/out/" + n.id("segments") + "/"
	add(apiControl, &step{ID: "create-batch-segment-job", Op: "CreateBatchSegmentJob", Case: "happy", marker: n.id("segments"),
		Input: map[string]any{"jobName": n.id("segments"), "solutionVersionArn": "${segmentsVersion}", "numResults": loopSegmentUsers,
			"roleArn":   loopRole,
			"jobInput":  map[string]any{"s3DataSource": map[string]any{"path": "s3://" + loopBucket + "/" + loopSegmentKey}},
			"jobOutput": map[string]any{"s3DataDestination": map[string]any{"path": segmentOut}}},
		Save: map[string]string{"segmentJobArn": "batchSegmentJobArn"}, checkOutput: wantOutput("batchSegmentJobArn", segmentJob)})
	add(apiControl, &step{ID: "describe-batch-segment-job", Op: "DescribeBatchSegmentJob", Case: "happy", marker: segmentJob,
		Poll: waitFor("batchSegmentJob.status"), Input: map[string]any{"batchSegmentJobArn": "${segmentJobArn}"},
		checkOutput: func(out map[string]any) error {
			if err := wantOutput("batchSegmentJob.status", "ACTIVE")(out); err != nil {
				return fmt.Errorf("%v (failureReason %v)", err, lookup(out, "batchSegmentJob.failureReason"))
			}
			return checkSegmentOutput(root, strings.TrimPrefix(segmentOut, "s3://")+path.Base(loopSegmentKey)+".out")
		}})
	add(apiControl, &step{ID: "list-batch-segment-jobs", Op: "ListBatchSegmentJobs", Case: "happy", marker: segments + "/",
		Input: map[string]any{"solutionVersionArn": "${segmentsVersion}"},
		checkOutput: func(out map[string]any) error {
			list, _ := lookup(out, "batchSegmentJobs").([]any)
			if len(list) != 1 || lookup(list[0], "batchSegmentJobArn") != segmentJob || lookup(list[0], "status") != "ACTIVE" {
				return fmt.Errorf("batchSegmentJobs = %v, want %s, ACTIVE", lookup(out, "batchSegmentJobs"), segmentJob)
			}
			return nil
		}})

	loopActionSteps(n, imports, add, waitFor)

	known := d.Users[0]
	add(apiRuntime, &step{ID: "get-recommendations", Op: "GetRecommendations", Case: "happy", marker: known,
		Input:       map[string]any{"campaignArn": "${personalCampaign}", "userId": known, "numResults": 10},
		checkOutput: checkRecommendations("itemList", 10, true)})

	// The new user: recommendations before its events, its clicks in one
	// cluster, then its recommendations and a ranking again.
	visitor := n.id("visitor")
	clicks, liked, other := loopItems()
	var before []string
	add(apiRuntime, &step{ID: "get-recommendations-new-user", Op: "GetRecommendations", Case: "happy", marker: visitor,
		Input: map[string]any{"campaignArn": "${personalCampaign}", "userId": visitor, "numResults": 10},
		checkOutput: func(out map[string]any) error {
			// Popular items, given to a user without history, have no score.
			if err := checkRecommendations("itemList", 10, false)(out); err != nil {
				return err
			}
			before = itemIDs(out, "itemList")
			return nil
		}})
	var events []any
	for i, id := range clicks {
		// After the planted data's last day.
		events = append(events, map[string]any{"eventType": "click", "itemId": id, "sentAt": float64(loopConfig().End/1000 + 86400 + int64(i))})
	}
	add(apiEvents, &step{ID: "put-events-new-user", Op: "PutEvents", Case: "happy", marker: n.id("visitor-session"),
		Input: map[string]any{"trackingId": "${trackingId}", "userId": visitor, "sessionId": n.id("visitor-session"), "eventList": events}})
	add(apiRuntime, &step{ID: "get-recommendations-after-events", Op: "GetRecommendations", Case: "happy", marker: visitor, report: changedRow,
		Input: map[string]any{"campaignArn": "${personalCampaign}", "userId": visitor, "numResults": 10},
		checkOutput: func(out map[string]any) error {
			if err := checkRecommendations("itemList", 10, true)(out); err != nil {
				return err
			}
			after := itemIDs(out, "itemList")
			in, was := inCluster(after, loopTaste), inCluster(before, loopTaste)
			for _, id := range after {
				if slices.Contains(clicks, id) {
					return fmt.Errorf("item %s, which the user has just clicked, is recommended to it", id)
				}
			}
			if in < 6 || in <= was {
				return fmt.Errorf("after 8 clicks in cluster %d, %d of 10 recommendations are in it (%d before the clicks): %v",
					loopTaste, in, was, after)
			}
			return nil
		}})
	var list []any
	for i := range liked {
		list = append(list, other[i], liked[i])
	}
	list = append(list, "no-such-item")
	add(apiRuntime, &step{ID: "get-personalized-ranking", Op: "GetPersonalizedRanking", Case: "happy", marker: visitor, report: changedRow,
		Input: map[string]any{"campaignArn": "${rankingCampaign}", "userId": visitor, "inputList": list},
		checkOutput: func(out map[string]any) error {
			if err := checkRecommendations("personalizedRanking", len(list), true)(out); err != nil {
				return err
			}
			ranked := itemIDs(out, "personalizedRanking")
			if last := ranked[len(ranked)-1]; last != "no-such-item" {
				return fmt.Errorf("ranked last %s, want no-such-item, an item the model does not know: %v", last, ranked)
			}
			for _, id := range list {
				if !slices.Contains(ranked, id.(string)) {
					return fmt.Errorf("%s was not ranked: %v", id, ranked)
				}
			}
			ordered := 0
			for _, l := range liked {
				for _, o := range other {
					if slices.Index(ranked, l) < slices.Index(ranked, o) {
						ordered++
					}
				}
			}
			if ordered < 18 {
				return fmt.Errorf("items of the clicked cluster %d ranked before those of cluster %d in %d of 25 pairs, want at least 18: %v",
					loopTaste, loopOther, ordered, ranked)
			}
			return nil
		}})

	// A filter whose event types each request gives: the visitor's clicks
	// leave a ranking that has them.
	filterName := n.id("not-clicked")
	filterARN := n.loopARN("filter", "not-clicked")
	const expression = `EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($TYPES)`
	add(apiControl, &step{ID: "create-filter", Op: "CreateFilter", Case: "happy", marker: filterName,
		Input: map[string]any{"name": filterName, "datasetGroupArn": "${groupArn}", "filterExpression": expression},
		Save:  map[string]string{"filterArn": "filterArn"}, checkOutput: wantOutput("filterArn", filterARN)})
	add(apiControl, &step{ID: "describe-filter", Op: "DescribeFilter", Case: "happy", marker: filterARN, Poll: waitFor("filter.status"),
		Input: map[string]any{"filterArn": "${filterArn}"},
		checkOutput: func(out map[string]any) error {
			if err := wantOutput("filter.status", "ACTIVE")(out); err != nil {
				return err
			}
			return wantOutput("filter.filterExpression", expression)(out)
		}})
	add(apiControl, &step{ID: "list-filters", Op: "ListFilters", Case: "happy", marker: arn("dataset-group/" + n.group()),
		Input: map[string]any{"datasetGroupArn": "${groupArn}"},
		checkOutput: func(out map[string]any) error {
			list, _ := lookup(out, "Filters").([]any)
			if len(list) != 1 || lookup(list[0], "filterArn") != filterARN {
				return fmt.Errorf("Filters = %v, want the one filter %s", lookup(out, "Filters"), filterARN)
			}
			return nil
		}})
	ranked, clicked := filterUser()
	filtered := []any{clicked, liked[0], other[0]}
	add(apiRuntime, &step{ID: "get-personalized-ranking-filtered", Op: "GetPersonalizedRanking", Case: "happy", marker: filterARN,
		Input: map[string]any{"campaignArn": "${rankingCampaign}", "userId": ranked, "inputList": filtered,
			"filterArn": "${filterArn}", "filterValues": map[string]any{"TYPES": `"click"`}},
		checkOutput: func(out map[string]any) error {
			if err := checkRecommendations("personalizedRanking", 2, true)(out); err != nil {
				return err
			}
			if list := itemIDs(out, "personalizedRanking"); slices.Contains(list, clicked) {
				return fmt.Errorf("ranked %v: %s, which %s clicked, passed a filter of its clicks", list, clicked, ranked)
			}
			return nil
		}})
	add(apiRuntime, &step{ID: "get-personalized-ranking-filter-without-values", Op: "GetPersonalizedRanking", Case: "happy", marker: filterARN,
		Input: map[string]any{"campaignArn": "${rankingCampaign}", "userId": ranked, "inputList": filtered, "filterArn": "${filterArn}",
			"filterValues": map[string]any{"OTHER": `"click"`}},
		checkOutput: func(out map[string]any) error {
			// An EXCLUDE expression without its value is left out, as on
			// AWS: the whole list is ranked.
			return checkRecommendations("personalizedRanking", 3, true)(out)
		}})
	add(apiControl, &step{ID: "delete-filter", Op: "DeleteFilter", Case: "happy", marker: filterARN,
		Input: map[string]any{"filterArn": "${filterArn}"}})
	add(apiRuntime, &step{ID: "get-recommendations-deleted-filter", Op: "GetRecommendations", Case: "error", marker: filterARN,
		Input: map[string]any{"campaignArn": "${personalCampaign}", "userId": d.Users[5], "filterArn": filterARN},
		want:  &wantError{code: "ResourceNotFoundException", status: 404, message: []string{filterARN}}})

	// Tags on the campaign, beside those it was created without.
	personal := n.loopARN("campaign", "personal")
	add(apiControl, &step{ID: "tag-resource", Op: "TagResource", Case: "happy", marker: personal,
		Input: map[string]any{"resourceArn": "${personalCampaign}", "tags": []any{
			map[string]any{"tagKey": "team", "tagValue": "shop"}, map[string]any{"tagKey": "env", "tagValue": "test"}}}})
	add(apiControl, &step{ID: "list-tags-for-resource", Op: "ListTagsForResource", Case: "happy", marker: personal,
		Input: map[string]any{"resourceArn": "${personalCampaign}"},
		checkOutput: func(out map[string]any) error {
			tags, _ := lookup(out, "tags").([]any)
			if len(tags) != 2 || lookup(tags[0], "tagKey") != "team" || lookup(tags[0], "tagValue") != "shop" || lookup(tags[1], "tagKey") != "env" {
				return fmt.Errorf("tags = %v, want team=shop and env=test", lookup(out, "tags"))
			}
			return nil
		}})
	add(apiControl, &step{ID: "untag-resource", Op: "UntagResource", Case: "happy", marker: personal,
		Input: map[string]any{"resourceArn": "${personalCampaign}", "tagKeys": []any{"env"}}})

	// A metric attribution of the group's clicks, its metrics listed,
	// one added, then deleted.
	attributionName := n.id("metrics")
	attributionARN := n.loopARN("metric-attribution", "metrics")
	add(apiControl, &step{ID: "create-metric-attribution", Op: "CreateMetricAttribution", Case: "happy", marker: attributionName,
		Input: map[string]any{"name": attributionName, "datasetGroupArn": "${groupArn}",
			"metrics":             []any{map[string]any{"eventType": "click", "metricName": "clicks", "expression": "SAMPLECOUNT()"}},
			"metricsOutputConfig": map[string]any{"roleArn": loopRole}},
		Save: map[string]string{"attributionArn": "metricAttributionArn"}, checkOutput: wantOutput("metricAttributionArn", attributionARN)})
	add(apiControl, &step{ID: "describe-metric-attribution", Op: "DescribeMetricAttribution", Case: "happy", marker: attributionARN,
		Poll: waitFor("metricAttribution.status"), Input: map[string]any{"metricAttributionArn": "${attributionArn}"},
		checkOutput: func(out map[string]any) error {
			if err := wantOutput("metricAttribution.status", "ACTIVE")(out); err != nil {
				return err
			}
			return wantOutput("metricAttribution.metricsOutputConfig.roleArn", loopRole)(out)
		}})
	add(apiControl, &step{ID: "update-metric-attribution", Op: "UpdateMetricAttribution", Case: "happy", marker: attributionARN,
		Input: map[string]any{"metricAttributionArn": "${attributionArn}",
			"addMetrics": []any{map[string]any{"eventType": "watch", "metricName": "watched", "expression": "SUM(Interactions.EVENT_VALUE)"}}},
		checkOutput: wantOutput("metricAttributionArn", attributionARN)})
	add(apiControl, &step{ID: "list-metric-attribution-metrics", Op: "ListMetricAttributionMetrics", Case: "happy", marker: attributionARN,
		Input: map[string]any{"metricAttributionArn": "${attributionArn}"},
		checkOutput: func(out map[string]any) error {
			metrics, _ := lookup(out, "metrics").([]any)
			if len(metrics) != 2 || lookup(metrics[1], "metricName") != "watched" || lookup(metrics[1], "expression") != "SUM(Interactions.EVENT_VALUE)" {
				return fmt.Errorf("metrics = %v, want clicks and watched", lookup(out, "metrics"))
			}
			return nil
		}})
	add(apiControl, &step{ID: "list-metric-attributions", Op: "ListMetricAttributions", Case: "happy", marker: arn("dataset-group/" + n.group()),
		Input: map[string]any{"datasetGroupArn": "${groupArn}"},
		checkOutput: func(out map[string]any) error {
			list, _ := lookup(out, "metricAttributions").([]any)
			if len(list) != 1 || lookup(list[0], "metricAttributionArn") != attributionARN {
				return fmt.Errorf("metricAttributions = %v, want %s", lookup(out, "metricAttributions"), attributionARN)
			}
			return nil
		}})
	// A second attribution of the group is LimitExceededException, which
	// aws-sdk-go-v2, the JavaScript SDK v3 and AWS CLI v2 retry as
	// throttling: the suite's one-request-per-call check cannot hold for
	// it, so the attribution package's tests check that refusal.
	add(apiControl, &step{ID: "delete-metric-attribution", Op: "DeleteMetricAttribution", Case: "happy", marker: attributionARN,
		Input: map[string]any{"metricAttributionArn": "${attributionArn}"}})

	// Bad input through the runtime and the control plane.
	missingCampaign := n.loopARN("campaign", "missing")
	add(apiRuntime, &step{ID: "get-recommendations-unknown-campaign", Op: "GetRecommendations", Case: "error", marker: missingCampaign,
		Input: map[string]any{"campaignArn": missingCampaign, "userId": d.Users[1]},
		want:  &wantError{code: "ResourceNotFoundException", status: 404, message: []string{missingCampaign, "does not exist"}}})
	add(apiRuntime, &step{ID: "get-recommendations-no-user", Op: "GetRecommendations", Case: "error", marker: n.id("an-item"),
		Input: map[string]any{"campaignArn": "${personalCampaign}", "itemId": n.id("an-item")},
		want:  &wantError{code: "InvalidInputException", status: 400, message: []string{"userId"}}})
	add(apiRuntime, &step{ID: "get-personalized-ranking-not-a-ranker", Op: "GetPersonalizedRanking", Case: "error", marker: d.Users[2],
		Input: map[string]any{"campaignArn": "${personalCampaign}", "userId": d.Users[2], "inputList": []any{liked[0], other[0]}},
		want:  &wantError{code: "InvalidInputException", status: 400, message: []string{"GetRecommendations"}}})
	missingVersion := n.loopARN("solution", "missing") + "/00000000"
	add(apiControl, &step{ID: "describe-solution-version-missing", Op: "DescribeSolutionVersion", Case: "error", marker: missingVersion,
		Input: map[string]any{"solutionVersionArn": missingVersion},
		want:  &wantError{code: "ResourceNotFoundException", status: 400, message: []string{missingVersion, "does not exist"}}})

	// The algorithm and feature transformation of a recipe, and domain
	// recommenders, which a custom group such as the loop's cannot take.
	const algorithm = "arn:aws:personalize:::algorithm/aws-user-personalization"
	const transformation = "arn:aws:personalize:::feature-transformation/JSON-percentile-filtering"
	add(apiControl, &step{ID: "describe-algorithm", Op: "DescribeAlgorithm", Case: "happy", marker: algorithm,
		Input: map[string]any{"algorithmArn": algorithm},
		checkOutput: func(out map[string]any) error {
			ranges, _ := lookup(out, "algorithm.defaultHyperParameterRanges.integerHyperParameterRanges").([]any)
			if err := wantOutput("algorithm.algorithmArn", algorithm)(out); err != nil {
				return err
			}
			if len(ranges) == 0 || lookup(out, "algorithm.defaultHyperParameters.hidden_dimension") == nil {
				return fmt.Errorf("algorithm without its defaults and ranges: %v", lookup(out, "algorithm"))
			}
			return nil
		}})
	add(apiControl, &step{ID: "describe-feature-transformation", Op: "DescribeFeatureTransformation", Case: "happy", marker: transformation,
		Input:       map[string]any{"featureTransformationArn": transformation},
		checkOutput: wantOutput("featureTransformation.status", "ACTIVE")})
	recommender := n.id("for-you")
	add(apiControl, &step{ID: "create-recommender-custom-group", Op: "CreateRecommender", Case: "error", marker: recommender,
		Input: map[string]any{"name": recommender, "datasetGroupArn": "${groupArn}", "recipeArn": "arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you"},
		want:  &wantError{code: "InvalidInputException", status: 400, message: []string{"ECOMMERCE"}}})
	add(apiControl, &step{ID: "list-recommenders", Op: "ListRecommenders", Case: "happy", marker: arn("dataset-group/" + n.group()),
		Input: map[string]any{"datasetGroupArn": "${groupArn}"},
		checkOutput: func(out map[string]any) error {
			if list, ok := lookup(out, "recommenders").([]any); !ok || len(list) != 0 {
				return fmt.Errorf("recommenders = %v, want an empty list", lookup(out, "recommenders"))
			}
			return nil
		}})
	missingRecommender := n.loopARN("recommender", "missing")
	add(apiControl, &step{ID: "describe-recommender-missing", Op: "DescribeRecommender", Case: "error", marker: missingRecommender,
		Input: map[string]any{"recommenderArn": missingRecommender},
		want:  &wantError{code: "ResourceNotFoundException", status: 400, message: []string{missingRecommender}}})

	// A domain group of the same interactions, imported, and a recommender
	// of it through its whole life.
	store := n.id("store")
	add(apiControl, &step{ID: "create-domain-dataset-group", Op: "CreateDatasetGroup", Case: "happy", marker: store,
		Input: map[string]any{"name": store, "domain": "ECOMMERCE"}, Save: map[string]string{"storeGroupArn": "datasetGroupArn"}})
	add(apiControl, &step{ID: "create-domain-schema", Op: "CreateSchema", Case: "happy", marker: n.id("store-interactions"),
		Input: map[string]any{"name": n.id("store-interactions"), "schema": loopSchema, "domain": "ECOMMERCE"},
		Save:  map[string]string{"storeSchemaArn": "schemaArn"}})
	add(apiControl, &step{ID: "create-domain-dataset", Op: "CreateDataset", Case: "happy", marker: n.id("store-interactions"),
		Input: map[string]any{"name": n.id("store-interactions"), "datasetGroupArn": "${storeGroupArn}", "schemaArn": "${storeSchemaArn}",
			"datasetType": "Interactions"},
		Save: map[string]string{"storeDatasetArn": "datasetArn"}})
	add(apiControl, &step{ID: "create-domain-import-job", Op: "CreateDatasetImportJob", Case: "happy", marker: n.id("store-history"),
		Input: map[string]any{"jobName": n.id("store-history"), "datasetArn": "${storeDatasetArn}", "roleArn": loopRole,
			"dataSource": map[string]any{"dataLocation": "s3://" + loopBucket + "/" + loopKey}},
		Save: map[string]string{"storeImportArn": "datasetImportJobArn"}})
	add(apiControl, &step{ID: "describe-domain-import-job", Op: "DescribeDatasetImportJob", Case: "happy",
		marker: n.loopARN("dataset-import-job", "store-history"), Poll: waitFor("datasetImportJob.status"),
		Input:       map[string]any{"datasetImportJobArn": "${storeImportArn}"},
		checkOutput: wantOutput("datasetImportJob.status", "ACTIVE")})
	forYou := n.id("store-for-you")
	forYouARN := n.loopARN("recommender", "store-for-you")
	add(apiControl, &step{ID: "create-recommender", Op: "CreateRecommender", Case: "happy", marker: forYou,
		Input: map[string]any{"name": forYou, "datasetGroupArn": "${storeGroupArn}",
			"recipeArn":         "arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you",
			"recommenderConfig": map[string]any{"minRecommendationRequestsPerSecond": 1}},
		Save: map[string]string{"recommenderArn": "recommenderArn"}, checkOutput: wantOutput("recommenderArn", forYouARN)})
	add(apiControl, &step{ID: "describe-recommender", Op: "DescribeRecommender", Case: "happy", marker: forYouARN,
		Poll:  waitFor("recommender.status"),
		Input: map[string]any{"recommenderArn": "${recommenderArn}"},
		checkOutput: func(out map[string]any) error {
			if err := wantOutput("recommender.status", "ACTIVE")(out); err != nil {
				return fmt.Errorf("%v (failureReason %v)", err, lookup(out, "recommender.failureReason"))
			}
			return nil
		}})
	add(apiRuntime, &step{ID: "get-recommendations-recommender", Op: "GetRecommendations", Case: "happy", marker: d.Users[6],
		Input:       map[string]any{"recommenderArn": "${recommenderArn}", "userId": d.Users[6], "numResults": 10},
		checkOutput: checkRecommendations("itemList", 10, false)})
	add(apiControl, &step{ID: "update-recommender", Op: "UpdateRecommender", Case: "happy", marker: forYouARN,
		Input:       map[string]any{"recommenderArn": "${recommenderArn}", "recommenderConfig": map[string]any{"minRecommendationRequestsPerSecond": 2}},
		checkOutput: wantOutput("recommenderArn", forYouARN)})
	add(apiControl, &step{ID: "stop-recommender", Op: "StopRecommender", Case: "happy", marker: forYouARN,
		Input: map[string]any{"recommenderArn": "${recommenderArn}"}, checkOutput: wantOutput("recommenderArn", forYouARN)})
	add(apiControl, &step{ID: "start-recommender", Op: "StartRecommender", Case: "happy", marker: forYouARN,
		Input: map[string]any{"recommenderArn": "${recommenderArn}"}, checkOutput: wantOutput("recommenderArn", forYouARN)})
	add(apiControl, &step{ID: "list-domain-recommenders", Op: "ListRecommenders", Case: "happy", marker: arn("dataset-group/" + store),
		Input: map[string]any{"datasetGroupArn": "${storeGroupArn}"},
		checkOutput: func(out map[string]any) error {
			list, _ := lookup(out, "recommenders").([]any)
			if len(list) != 1 || lookup(list[0], "recommenderArn") != forYouARN || lookup(list[0], "status") != "ACTIVE" {
				return fmt.Errorf("recommenders = %v, want %s ACTIVE", lookup(out, "recommenders"), forYouARN)
			}
			return nil
		}})
	add(apiControl, &step{ID: "delete-recommender", Op: "DeleteRecommender", Case: "happy", marker: forYouARN,
		Input: map[string]any{"recommenderArn": "${recommenderArn}"}})
	return steps
}

// loopBatchUsers are the users of the batch inference job's input, one a
// line; loopBatchResults is how many items it asks for each.
const loopBatchUsers, loopBatchResults = 5, 5

// writeLoopBatchInput writes the batch inference job's input, JSON Lines
// of users, at s3://loopBucket/loopBatchKey.
func writeLoopBatchInput(root string) error {
	var b bytes.Buffer
	for _, user := range loopData().Users[:loopBatchUsers] {
		fmt.Fprintf(&b, "{\"userId\": %q}\n", user)
	}
	name := filepath.Join(root, loopBucket, filepath.FromSlash(loopBatchKey))
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	return os.WriteFile(name, b.Bytes(), 0o644)
}

// loopSegmentItems are the items of the batch segment job's input, one a
// line; loopSegmentUsers is how many users it asks for each.
const loopSegmentItems, loopSegmentUsers = 3, 4

// writeLoopSegmentInput writes the batch segment job's input, JSON Lines
// of items, at s3://loopBucket/loopSegmentKey.
func writeLoopSegmentInput(root string) error {
	var b bytes.Buffer
	for _, item := range loopData().Items[:loopSegmentItems] {
		fmt.Fprintf(&b, "{\"itemId\": %q}\n", item)
	}
	name := filepath.Join(root, loopBucket, filepath.FromSlash(loopSegmentKey))
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	return os.WriteFile(name, b.Bytes(), 0o644)
}

// checkSegmentOutput checks the batch segment job's output, the file key
// under root: a line for each item of the input, in its order, with
// loopSegmentUsers users as "usersList" and "error":null, as AWS writes
// item-affinity's.
func checkSegmentOutput(root, key string) error {
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(key)))
	if err != nil {
		return fmt.Errorf("the job's output: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != loopSegmentItems {
		return fmt.Errorf("the job's output has %d lines, want %d: %q", len(lines), loopSegmentItems, lines)
	}
	for i, line := range lines {
		var out struct {
			Input struct {
				ItemID string `json:"itemId"`
			} `json:"input"`
			Output struct {
				UsersList []string `json:"usersList"`
			} `json:"output"`
		}
		if err := json.Unmarshal([]byte(line), &out); err != nil || !strings.HasSuffix(line, `"error":null}`) ||
			out.Input.ItemID != loopData().Items[i] || len(out.Output.UsersList) != loopSegmentUsers {
			return fmt.Errorf("output line %d: %s, want %d users of item %s and \"error\":null", i+1, line, loopSegmentUsers, loopData().Items[i])
		}
	}
	return nil
}

// checkBatchOutput checks the batch inference job's output, the file key
// under root: a line for each user of the input, in its order, with
// loopBatchResults items and their scores, best first, and "error":null,
// as AWS writes user-personalization's.
func checkBatchOutput(root, key string) error {
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(key)))
	if err != nil {
		return fmt.Errorf("the job's output: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != loopBatchUsers {
		return fmt.Errorf("the job's output has %d lines, want %d: %q", len(lines), loopBatchUsers, lines)
	}
	for i, line := range lines {
		var out struct {
			Input  struct{ UserID string }
			Output struct {
				RecommendedItems []string
				Scores           []float64
			}
			Error *string
		}
		if err := json.Unmarshal([]byte(line), &out); err != nil || !strings.Contains(line, `"error":null`) {
			return fmt.Errorf("output line %d, %s: %v; want a JSON object with \"error\":null", i+1, line, err)
		}
		if user := loopData().Users[i]; out.Input.UserID != user || len(out.Output.RecommendedItems) != loopBatchResults ||
			len(out.Output.Scores) != loopBatchResults || !slices.IsSortedFunc(out.Output.Scores, func(a, b float64) int { return cmp.Compare(b, a) }) {
			return fmt.Errorf("output line %d, %s: want %s's %d items with their scores, best first", i+1, line, user, loopBatchResults)
		}
	}
	return nil
}

// checkMetrics checks GetSolutionMetrics' answer: AWS's metric names,
// each a share.
func checkMetrics(out map[string]any) error {
	metrics, _ := lookup(out, "metrics").(map[string]any)
	for _, name := range loopMetrics {
		v, ok := metrics[name].(float64)
		if !ok || v < 0 || v > 1 {
			return fmt.Errorf("metric %s = %v, want a number in [0, 1]; metrics %v", name, metrics[name], metrics)
		}
	}
	return nil
}

// checkRecommendations checks the form of a GetRecommendations answer
// (items in itemList) or a GetPersonalizedRanking one (in
// personalizedRanking): n items, each scored when scored is set (seven
// decimals, best first), and a recommendationId of AWS's form.
func checkRecommendations(key string, n int, scored bool) func(map[string]any) error {
	return func(out map[string]any) error {
		if id, _ := lookup(out, "recommendationId").(string); !strings.HasPrefix(id, "RID-") || len(id) != 40 {
			return fmt.Errorf("recommendationId %q, want RID- and a UUID", id)
		}
		list, _ := lookup(out, key).([]any)
		if len(list) != n {
			return fmt.Errorf("%d items, want %d: %v", len(list), n, list)
		}
		last := math.Inf(1)
		for i, it := range list {
			id, _ := lookup(it, "itemId").(string)
			score, ok := lookup(it, "score").(float64)
			switch {
			case id == "":
				return fmt.Errorf("item %d has no itemId: %v", i, it)
			case !scored:
			case !ok || score != math.Round(score*1e7)/1e7:
				return fmt.Errorf("item %d (%s) scores %v, want a number with at most seven decimals", i, id, lookup(it, "score"))
			case score > last:
				return fmt.Errorf("item %d (%s) scores %v, more than the one before it (%v)", i, id, score, last)
			}
			last = score
		}
		return nil
	}
}

func itemIDs(out map[string]any, key string) []string {
	var ids []string
	list, _ := lookup(out, key).([]any)
	for _, it := range list {
		id, _ := lookup(it, "itemId").(string)
		ids = append(ids, id)
	}
	return ids
}

// inCluster counts the items of cluster among ids.
func inCluster(ids []string, cluster int32) int {
	d := loopData()
	n := 0
	for _, id := range ids {
		if i := slices.Index(d.Items, id); i >= 0 && d.ItemCluster[i] == cluster {
			n++
		}
	}
	return n
}

// TestRecommendationLoop drives every client with a runtime through the
// loop against one perch, which imports from a directory of buckets.
func TestRecommendationLoop(t *testing.T) {
	root := t.TempDir()
	if err := writeLoopCSV(root); err != nil {
		t.Fatal(err)
	}
	if err := writeLoopSegmentInput(root); err != nil {
		t.Fatal(err)
	}
	if err := writeLoopBatchInput(root); err != nil {
		t.Fatal(err)
	}
	if err := writeLoopActionCSVs(root); err != nil {
		t.Fatal(err)
	}
	endpoint := startPerch(t, "--s3-root", root)
	for _, c := range clients() {
		rep := report.client(c.name)
		t.Run(c.id, func(t *testing.T) {
			t.Parallel()
			if c.noLoop != "" {
				rep.note("recommendation loop not run: %s", c.noLoop)
				t.Skip(c.noLoop)
			}
			defer reportNewFailures(t, rep, rep.failures())
			requireClient(t, c, rep)
			n := names{p: c.id + "-loop"}
			px := startProxy(t, endpoint)
			p := &plan{Endpoint: px.url, Region: c.region, Vars: map[string]string{}, Steps: loopSteps(n, c.loopImports != "", root)}
			if c.loopImports != "" {
				rep.note("%s", c.loopImports)
			}
			rep.note("the loop polls DescribeDatasetImportJob, DescribeSolutionVersion, DescribeCampaign, DescribeBatchInferenceJob and DescribeBatchSegmentJob every 0.5 s: %s has no waiter for Personalize", c.name)
			runPlan(t, c, rep, px, p)
		})
	}
}
