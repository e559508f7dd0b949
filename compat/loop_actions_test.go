package compat_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/perchdev/perch/recipe"
)

// The loop's next-best-action part: Actions and Action_Interactions
// datasets beside the loop's Interactions, filled with planted action
// interactions (PutActions and PutActionInteractions, or import jobs for
// the clients that import), a solution of aws-next-best-action trained and
// deployed, and GetActionRecommendations.

// loopActionData is 150 users taking 6 actions in two planted segments,
// about 1,600 action interactions within six weeks, so that every action
// has AWS's 50 TAKEN and 50 others to be scored.
var loopActionData = sync.OnceValue(func() *recipe.SyntheticActionsData {
	return recipe.SyntheticActions(recipe.SyntheticActionsConfig{Users: 150, Actions: 6, Segments: 2, Exposures: 10,
		TakeIn: 0.6, TakeOut: 0.05, Days: 40, End: loopConfig().End, Seed: 5})
})

const (
	loopActionsSchema = `{"type":"record","name":"Actions","namespace":"com.amazonaws.personalize.schema","fields":[` +
		`{"name":"ACTION_ID","type":"string"},{"name":"VALUE","type":["null","long"]}],"version":"1.0"}`
	loopActionInteractionsSchema = `{"type":"record","name":"ActionInteractions","namespace":"com.amazonaws.personalize.schema","fields":[` +
		`{"name":"USER_ID","type":"string"},{"name":"ACTION_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},` +
		`{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}`
	loopActionsKey, loopActionInteractionsKey = "actions.csv", "action-interactions.csv"
	loopNBARecipe                             = "arn:aws:personalize:::recipe/aws-next-best-action"
)

// writeLoopActionCSVs writes the actions and action interactions where
// the import jobs read them.
func writeLoopActionCSVs(root string) error {
	d := loopActionData()
	var actions, interactions bytes.Buffer
	actions.WriteString("ACTION_ID,VALUE\n")
	for a, id := range d.Actions {
		fmt.Fprintf(&actions, "%s,%g\n", id, d.ActionValue[a])
	}
	interactions.WriteString("USER_ID,ACTION_ID,EVENT_TYPE,TIMESTAMP\n")
	for _, x := range d.ActionInteractions {
		fmt.Fprintf(&interactions, "%s,%s,%s,%d\n", d.Users[x.User], d.Actions[x.Action], x.EventType, x.Time/1000)
	}
	dir := filepath.Join(root, loopBucket)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, loopActionsKey), actions.Bytes(), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, loopActionInteractionsKey), interactions.Bytes(), 0o644)
}

// loopActionSteps are the loop's next-best-action steps.
func loopActionSteps(n names, imports bool, add func(api string, s *step), waitFor func(path string) *poll) {
	d := loopActionData()
	datasets := map[string]string{"Actions": loopActionsSchema, "Action_Interactions": loopActionInteractionsSchema}
	for _, typ := range []string{"Actions", "Action_Interactions"} {
		name := n.id(strings.ToLower(strings.ReplaceAll(typ, "_", "-")))
		add(apiControl, &step{ID: "create-schema-" + typ, Op: "CreateSchema", Case: "happy", marker: name,
			Input: map[string]any{"name": name, "schema": datasets[typ]},
			Save:  map[string]string{typ + "Schema": "schemaArn"}})
		add(apiControl, &step{ID: "create-dataset-" + typ, Op: "CreateDataset", Case: "happy", marker: name,
			Input: map[string]any{"name": name, "datasetGroupArn": "${groupArn}", "schemaArn": "${" + typ + "Schema}", "datasetType": typ},
			Save:  map[string]string{typ + "Dataset": "datasetArn"}})
	}
	aiARN := arn("dataset/" + n.group() + "/ACTION_INTERACTIONS")
	add(apiControl, &step{ID: "describe-dataset-Action_Interactions", Op: "DescribeDataset", Case: "happy", marker: aiARN,
		Input: map[string]any{"datasetArn": "${Action_InteractionsDataset}"}, Save: map[string]string{"actionTrackingId": "dataset.trackingId"}})

	if imports {
		for _, imp := range []struct{ typ, key string }{{"Actions", loopActionsKey}, {"Action_Interactions", loopActionInteractionsKey}} {
			job := n.id("import-" + strings.ToLower(strings.ReplaceAll(imp.typ, "_", "-")))
			add(apiControl, &step{ID: "create-dataset-import-job-" + imp.typ, Op: "CreateDatasetImportJob", Case: "happy", marker: job,
				Input: map[string]any{"jobName": job, "datasetArn": "${" + imp.typ + "Dataset}", "roleArn": loopRole,
					"dataSource": map[string]any{"dataLocation": "s3://" + loopBucket + "/" + imp.key}},
				Save: map[string]string{imp.typ + "Import": "datasetImportJobArn"}})
			add(apiControl, &step{ID: "describe-dataset-import-job-" + imp.typ, Op: "DescribeDatasetImportJob", Case: "happy",
				marker: n.loopARN("dataset-import-job", "import-"+strings.ToLower(strings.ReplaceAll(imp.typ, "_", "-"))),
				Poll:   waitFor("datasetImportJob.status"), Input: map[string]any{"datasetImportJobArn": "${" + imp.typ + "Import}"},
				checkOutput: wantOutput("datasetImportJob.status", "ACTIVE")})
		}
	} else {
		var actions []any
		for a, id := range d.Actions {
			actions = append(actions, map[string]any{"actionId": id, "properties": fmt.Sprintf(`{"value": %g}`, d.ActionValue[a])})
		}
		add(apiEvents, &step{ID: "put-actions-nba", Op: "PutActions", Case: "happy", marker: arn("dataset/" + n.group() + "/ACTIONS"),
			Input: map[string]any{"datasetArn": "${ActionsDataset}", "actions": actions}})
		// At most ten a call, each call a session of its own.
		var batch []any
		for i, x := range d.ActionInteractions {
			batch = append(batch, map[string]any{"actionId": d.Actions[x.Action], "userId": d.Users[x.User],
				"eventType": x.EventType, "timestamp": float64(x.Time / 1000)})
			if len(batch) < 10 && i < len(d.ActionInteractions)-1 {
				continue
			}
			session := n.id(fmt.Sprintf("nba-session-%04d", i))
			for _, x := range batch {
				x.(map[string]any)["sessionId"] = session
			}
			add(apiEvents, &step{ID: "put-action-interactions-" + session, Op: "PutActionInteractions", Case: "happy", marker: session,
				Input: map[string]any{"trackingId": "${actionTrackingId}", "actionInteractions": batch}})
			batch = nil
		}
	}

	solution := n.loopARN("solution", "nba")
	add(apiControl, &step{ID: "create-solution-nba", Op: "CreateSolution", Case: "happy", marker: n.id("nba"),
		Input:       map[string]any{"name": n.id("nba"), "datasetGroupArn": "${groupArn}", "recipeArn": loopNBARecipe},
		Save:        map[string]string{"nbaSolution": "solutionArn"},
		checkOutput: wantOutput("solutionArn", solution)})
	add(apiControl, &step{ID: "create-solution-version-nba", Op: "CreateSolutionVersion", Case: "happy", marker: solution,
		Input: map[string]any{"solutionArn": "${nbaSolution}"}, Save: map[string]string{"nbaVersion": "solutionVersionArn"}})
	add(apiControl, &step{ID: "describe-solution-version-nba", Op: "DescribeSolutionVersion", Case: "happy",
		marker: solution + "/", Poll: waitFor("solutionVersion.status"), Input: map[string]any{"solutionVersionArn": "${nbaVersion}"},
		checkOutput: func(out map[string]any) error {
			if err := wantOutput("solutionVersion.status", "ACTIVE")(out); err != nil {
				return fmt.Errorf("%v (failureReason %v)", err, lookup(out, "solutionVersion.failureReason"))
			}
			return nil
		}})
	add(apiControl, &step{ID: "get-solution-metrics-nba", Op: "GetSolutionMetrics", Case: "happy", marker: solution + "/",
		Input: map[string]any{"solutionVersionArn": "${nbaVersion}"},
		checkOutput: func(out map[string]any) error {
			for _, key := range []string{recipe.MetricActionPrecision, recipe.MetricActionRecall, recipe.MetricActionAUC, recipe.MetricActionCoverage} {
				if _, ok := lookup(out, "metrics."+key).(float64); !ok {
					return fmt.Errorf("metrics = %v, want %s", lookup(out, "metrics"), key)
				}
			}
			return nil
		}})
	campaign := n.loopARN("campaign", "nba")
	add(apiControl, &step{ID: "create-campaign-nba", Op: "CreateCampaign", Case: "happy", marker: n.id("nba"),
		Input:       map[string]any{"name": n.id("nba"), "solutionVersionArn": "${nbaVersion}"},
		Save:        map[string]string{"nbaCampaign": "campaignArn"},
		checkOutput: wantOutput("campaignArn", campaign)})
	add(apiControl, &step{ID: "describe-campaign-nba", Op: "DescribeCampaign", Case: "happy", marker: campaign, Poll: waitFor("campaign.status"),
		Input: map[string]any{"campaignArn": "${nbaCampaign}"}, checkOutput: wantOutput("campaign.status", "ACTIVE")})

	user := d.Users[1]
	add(apiRuntime, &step{ID: "get-action-recommendations", Op: "GetActionRecommendations", Case: "happy", marker: user,
		Input: map[string]any{"campaignArn": "${nbaCampaign}", "userId": user},
		checkOutput: func(out map[string]any) error {
			if id, _ := lookup(out, "recommendationId").(string); !strings.HasPrefix(id, "RID-") || len(id) != 40 {
				return fmt.Errorf("recommendationId %q, want RID- and a UUID", id)
			}
			list, _ := lookup(out, "actionList").([]any)
			if len(list) != 5 {
				return fmt.Errorf("%d actions, want numResults' default 5: %v", len(list), list)
			}
			last, inSegment := 2.0, 0
			for i, a := range list {
				id, _ := lookup(a, "actionId").(string)
				score, ok := lookup(a, "score").(float64)
				at := slices.Index(d.Actions, id)
				switch {
				case at < 0:
					return fmt.Errorf("action %d is %q, not an action of the Actions dataset", i, id)
				case !ok || score < 0 || score > 1 || score > last:
					return fmt.Errorf("action %d (%s) scores %v: want propensities in [0, 1], best first", i, id, lookup(a, "score"))
				}
				last = score
				if i < 3 && d.ActionSegment[at] == d.UserSegment[1] {
					inSegment++
				}
			}
			if inSegment < 2 {
				return fmt.Errorf("%d of the first three actions are of the user's planted segment, want at least 2: %v", inSegment, list)
			}
			return nil
		}})
	add(apiRuntime, &step{ID: "get-recommendations-nba-campaign", Op: "GetRecommendations", Case: "error", marker: campaign,
		Input: map[string]any{"campaignArn": "${nbaCampaign}", "userId": user},
		want:  &wantError{code: "InvalidInputException", status: 400, message: []string{"call GetActionRecommendations"}}})
}
