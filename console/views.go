package console

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"strconv"

	"github.com/perchdev/perch"
)

// listAll reads every page of a List call.
func listAll[T any](list func(perch.Page) ([]*T, string, error)) ([]*T, error) {
	var out []*T
	p := perch.Page{}
	for {
		items, next, err := list(p)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if next == "" {
			return out, nil
		}
		p.NextToken = next
	}
}

// dataset returns the dataset arn of the caller's account.
func (c *Console) dataset(ctx context.Context, arn string) (*perch.Dataset, error) {
	if arn == "" {
		return nil, badRequest("the datasetArn parameter is required")
	}
	return c.cfg.Catalog.DescribeDataset(ctx, arn)
}

func (c *Console) serveGroups(ctx context.Context, w http.ResponseWriter, _ *http.Request, _ *session) error {
	groups, err := listAll(func(p perch.Page) ([]*perch.DatasetGroup, string, error) {
		return c.cfg.Catalog.ListDatasetGroups(ctx, p)
	})
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(groups))
	for _, g := range groups {
		out = append(out, map[string]any{"name": g.Name, "datasetGroupArn": g.ARN, "status": g.Status, "domain": g.Domain, "creationDateTime": rfc3339(g.Created)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"datasetGroups": out})
	return nil
}

func groupView(g *perch.DatasetGroup) map[string]any {
	v := map[string]any{"name": g.Name, "datasetGroupArn": g.ARN, "status": g.Status, "domain": g.Domain,
		"creationDateTime": rfc3339(g.Created), "lastUpdatedDateTime": rfc3339(g.Updated)}
	if g.FailureReason != "" {
		v["failureReason"] = g.FailureReason
	}
	return v
}

func datasetView(d *perch.Dataset) map[string]any {
	v := map[string]any{"name": d.Name, "datasetArn": d.ARN, "datasetGroupArn": d.GroupARN, "datasetType": d.Type, "schemaArn": d.SchemaARN,
		"status": d.Status, "creationDateTime": rfc3339(d.Created), "lastUpdatedDateTime": rfc3339(d.Updated)}
	if d.TrackingID != "" {
		v["trackingId"] = d.TrackingID
	}
	return v
}

// recordCount is the number of records the store keeps for d, from the
// count the store maintains as it writes (no scan).
func (c *Console) recordCount(ctx context.Context, d *perch.Dataset) (int64, error) {
	return c.cfg.Store.RecordCount(ctx, d.ID)
}

func (c *Console) serveGroup(ctx context.Context, w http.ResponseWriter, r *http.Request, _ *session) error {
	arn := r.URL.Query().Get("arn")
	if arn == "" {
		return badRequest("the arn parameter is required")
	}
	g, err := c.cfg.Catalog.DescribeDatasetGroup(ctx, arn)
	if err != nil {
		return err
	}
	out := map[string]any{"datasetGroup": groupView(g)}

	datasets, err := listAll(func(p perch.Page) ([]*perch.Dataset, string, error) { return c.cfg.Catalog.ListDatasets(ctx, arn, p) })
	if err != nil {
		return err
	}
	dsOut := make([]map[string]any, 0, len(datasets))
	for _, d := range datasets {
		// A list names datasets; their ids come with Describe.
		full, err := c.cfg.Catalog.DescribeDataset(ctx, d.ARN)
		if err != nil {
			return err
		}
		n, err := c.recordCount(ctx, full)
		if err != nil {
			return err
		}
		dsOut = append(dsOut, map[string]any{"name": full.Name, "datasetArn": full.ARN, "datasetType": full.Type, "status": full.Status,
			"schemaArn": full.SchemaARN, "recordCount": n})
	}
	out["datasets"] = dsOut

	trackers, err := listAll(func(p perch.Page) ([]*perch.EventTracker, string, error) {
		return c.cfg.Catalog.ListEventTrackers(ctx, arn, p)
	})
	if err != nil {
		return err
	}
	trOut := make([]map[string]any, 0, len(trackers))
	for _, t := range trackers {
		full, err := c.cfg.Catalog.DescribeEventTracker(ctx, t.ARN)
		if err != nil {
			return err
		}
		trOut = append(trOut, map[string]any{"name": full.Name, "eventTrackerArn": full.ARN, "trackingId": full.TrackingID, "status": full.Status})
	}
	out["eventTrackers"] = trOut

	solOut, campOut, versions := []map[string]any{}, []map[string]any{}, []*perch.SolutionVersion{}
	if c.cfg.Solutions != nil {
		sols, err := listAll(func(p perch.Page) ([]*perch.Solution, string, error) {
			return c.cfg.Solutions.ListSolutions(ctx, arn, p)
		})
		if err != nil {
			return err
		}
		for _, s := range sols {
			full, _, err := c.cfg.Solutions.DescribeSolution(ctx, s.ARN)
			if err != nil {
				return err
			}
			vs, err := c.versions(ctx, s.ARN)
			if err != nil {
				return err
			}
			versions = append(versions, vs...)
			vOut := make([]map[string]any, 0, len(vs))
			for _, v := range vs {
				vOut = append(vOut, map[string]any{"solutionVersionArn": v.ARN, "status": v.Status, "trainingMode": v.TrainingMode, "creationDateTime": rfc3339(v.Created)})
			}
			solOut = append(solOut, map[string]any{"name": full.Name, "solutionArn": full.ARN, "recipeArn": full.RecipeARN, "status": full.Status, "versions": vOut})
			camps, err := c.campaigns(ctx, s.ARN)
			if err != nil {
				return err
			}
			for _, cp := range camps {
				campOut = append(campOut, map[string]any{"name": cp.Name, "campaignArn": cp.ARN, "solutionVersionArn": cp.SolutionVersionARN, "status": cp.Status})
			}
		}
	}
	out["solutions"], out["campaigns"] = solOut, campOut

	filOut := []map[string]any{}
	if c.cfg.Filters != nil {
		filters, err := listAll(func(p perch.Page) ([]*perch.Filter, string, error) { return c.cfg.Filters.ListFilters(ctx, arn, p) })
		if err != nil {
			return err
		}
		for _, f := range filters {
			full, err := c.cfg.Filters.DescribeFilter(ctx, f.ARN)
			if err != nil {
				return err
			}
			filOut = append(filOut, map[string]any{"name": full.Name, "filterArn": full.ARN, "filterExpression": full.Expression, "status": full.Status})
		}
	}
	out["filters"] = filOut

	recOut := []map[string]any{}
	recs, err := c.recommenders(ctx, arn)
	if err != nil {
		return err
	}
	for _, rc := range recs {
		recOut = append(recOut, map[string]any{"name": rc.Name, "recommenderArn": rc.ARN, "recipeArn": rc.RecipeARN, "status": rc.Status})
	}
	out["recommenders"] = recOut

	attOut := []map[string]any{}
	if c.cfg.Attributions != nil {
		atts, err := listAll(func(p perch.Page) ([]*perch.Attribution, string, error) {
			return c.cfg.Attributions.ListMetricAttributions(ctx, arn, p)
		})
		if err != nil {
			return err
		}
		for _, a := range atts {
			attOut = append(attOut, map[string]any{"name": a.Name, "metricAttributionArn": a.ARN, "status": a.Status})
		}
	}
	out["metricAttributions"] = attOut

	jobs, err := c.jobs(ctx, g.ARN, datasets, versions)
	if err != nil {
		return err
	}
	out["jobs"] = jobs
	writeJSON(w, http.StatusOK, out)
	return nil
}

// versions returns a solution's versions, described in full.
func (c *Console) versions(ctx context.Context, solutionARN string) ([]*perch.SolutionVersion, error) {
	list, err := listAll(func(p perch.Page) ([]*perch.SolutionVersion, string, error) {
		return c.cfg.Solutions.ListSolutionVersions(ctx, solutionARN, p)
	})
	if err != nil {
		return nil, err
	}
	out := make([]*perch.SolutionVersion, 0, len(list))
	for _, v := range list {
		full, err := c.cfg.Solutions.DescribeSolutionVersion(ctx, v.ARN)
		if err != nil {
			return nil, err
		}
		out = append(out, full)
	}
	return out, nil
}

// campaigns returns a solution's campaigns, described in full.
func (c *Console) campaigns(ctx context.Context, solutionARN string) ([]*perch.Campaign, error) {
	list, err := listAll(func(p perch.Page) ([]*perch.Campaign, string, error) {
		return c.cfg.Solutions.ListCampaigns(ctx, solutionARN, p)
	})
	if err != nil {
		return nil, err
	}
	out := make([]*perch.Campaign, 0, len(list))
	for _, cp := range list {
		full, err := c.cfg.Solutions.DescribeCampaign(ctx, cp.ARN)
		if err != nil {
			return nil, err
		}
		out = append(out, full)
	}
	return out, nil
}

// recommenders returns a group's recommenders, described in full.
func (c *Console) recommenders(ctx context.Context, groupARN string) ([]*perch.Recommender, error) {
	if c.cfg.Recommenders == nil {
		return nil, nil
	}
	list, err := listAll(func(p perch.Page) ([]*perch.Recommender, string, error) {
		return c.cfg.Recommenders.ListRecommenders(ctx, groupARN, p)
	})
	if err != nil {
		return nil, err
	}
	out := make([]*perch.Recommender, 0, len(list))
	for _, rc := range list {
		full, err := c.cfg.Recommenders.DescribeRecommender(ctx, rc.ARN)
		if err != nil {
			return nil, err
		}
		out = append(out, full)
	}
	return out, nil
}

// job is one row of the jobs lists.
type job struct {
	Kind          string `json:"kind"`
	Name          string `json:"name"`
	ARN           string `json:"arn"`
	Status        string `json:"status"`
	Created       string `json:"creationDateTime"`
	Updated       string `json:"lastUpdatedDateTime"`
	FailureReason string `json:"failureReason,omitempty"`
	// Progress is how far the job has got while it runs, as its owner
	// last reported it with its lease, from whichever node runs it.
	Progress *perch.JobProgress `json:"progress,omitempty"`
	created  perch.Timestamp
}

// withProgress adds their progress to the jobs that have not finished,
// in one read of the store.
func (c *Console) withProgress(ctx context.Context, js []job) error {
	var running []string
	for _, j := range js {
		if !perch.JobFinished(j.Status) {
			running = append(running, j.ARN)
		}
	}
	if len(running) == 0 {
		return nil
	}
	progress, err := c.cfg.Store.Resources().JobProgress(ctx, running)
	if err != nil {
		return err
	}
	for i := range js {
		if p, ok := progress[js[i].ARN]; ok {
			js[i].Progress = &p
		}
	}
	return nil
}

func newJob(kind, name, arn, status, failure string, created, updated perch.Timestamp) job {
	return job{Kind: kind, Name: name, ARN: arn, Status: status, Created: rfc3339(created), Updated: rfc3339(updated), FailureReason: failure, created: created}
}

// jobs returns the jobs of a group's datasets (import, export), of the
// group (deletion) and of its solution versions (batch inference and
// segment), newest first.
func (c *Console) jobs(ctx context.Context, groupARN string, datasets []*perch.Dataset, versions []*perch.SolutionVersion) ([]job, error) {
	out := []job{}
	for _, d := range datasets {
		js, err := c.datasetJobs(ctx, d.ARN)
		if err != nil {
			return nil, err
		}
		out = append(out, js...)
	}
	if c.cfg.Jobs != nil {
		dels, err := listAll(func(p perch.Page) ([]*perch.DataDeletionJob, string, error) {
			return c.cfg.Jobs.ListDataDeletionJobs(ctx, groupARN, p)
		})
		if err != nil {
			return nil, err
		}
		for _, j := range dels {
			if full, err := c.cfg.Jobs.DescribeDataDeletionJob(ctx, j.ARN); err == nil {
				j = full
			}
			out = append(out, newJob("deletion", j.Name, j.ARN, j.Status, j.FailureReason, j.Created, j.Updated))
		}
	}
	for _, v := range versions {
		if c.cfg.Batch != nil {
			bs, err := listAll(func(p perch.Page) ([]*perch.BatchInferenceJob, string, error) {
				return c.cfg.Batch.ListBatchInferenceJobs(ctx, v.ARN, p)
			})
			if err != nil {
				return nil, err
			}
			for _, j := range bs {
				out = append(out, newJob("batchInference", j.Name, j.ARN, j.Status, j.FailureReason, j.Created, j.Updated))
			}
		}
		if c.cfg.Segments != nil {
			ss, err := listAll(func(p perch.Page) ([]*perch.BatchSegmentJob, string, error) {
				return c.cfg.Segments.ListBatchSegmentJobs(ctx, v.ARN, p)
			})
			if err != nil {
				return nil, err
			}
			for _, j := range ss {
				out = append(out, newJob("batchSegment", j.Name, j.ARN, j.Status, j.FailureReason, j.Created, j.Updated))
			}
		}
	}
	slices.SortStableFunc(out, func(a, b job) int { return cmp.Compare(b.created, a.created) })
	if err := c.withProgress(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// datasetJobs returns the import and export jobs of one dataset.
func (c *Console) datasetJobs(ctx context.Context, datasetARN string) ([]job, error) {
	out := []job{}
	if c.cfg.Jobs == nil {
		return out, nil
	}
	imports, err := listAll(func(p perch.Page) ([]*perch.DatasetImportJob, string, error) {
		return c.cfg.Jobs.ListDatasetImportJobs(ctx, datasetARN, p)
	})
	if err != nil {
		return nil, err
	}
	for _, j := range imports {
		if full, err := c.cfg.Jobs.DescribeDatasetImportJob(ctx, j.ARN); err == nil {
			j = full
		}
		out = append(out, newJob("import", j.Name, j.ARN, j.Status, j.FailureReason, j.Created, j.Updated))
	}
	exports, err := listAll(func(p perch.Page) ([]*perch.DatasetExportJob, string, error) {
		return c.cfg.Jobs.ListDatasetExportJobs(ctx, datasetARN, p)
	})
	if err != nil {
		return nil, err
	}
	for _, j := range exports {
		if full, err := c.cfg.Jobs.DescribeDatasetExportJob(ctx, j.ARN); err == nil {
			j = full
		}
		out = append(out, newJob("export", j.Name, j.ARN, j.Status, j.FailureReason, j.Created, j.Updated))
	}
	return out, nil
}

func (c *Console) serveDataset(ctx context.Context, w http.ResponseWriter, r *http.Request, _ *session) error {
	d, err := c.dataset(ctx, r.URL.Query().Get("arn"))
	if err != nil {
		return err
	}
	n, err := c.recordCount(ctx, d)
	if err != nil {
		return err
	}
	stats := c.cfg.Hub.statsOf(d.ID)
	eventTypes, items := stats.top()
	topTypes := make([]map[string]any, 0, len(eventTypes))
	for _, t := range eventTypes {
		topTypes = append(topTypes, map[string]any{"eventType": t.value, "count": t.count})
	}
	topItems := make([]map[string]any, 0, len(items))
	for _, t := range items {
		topItems = append(topItems, map[string]any{"itemId": t.value, "count": t.count})
	}
	jobs, err := c.datasetJobs(ctx, d.ARN)
	if err != nil {
		return err
	}
	slices.SortStableFunc(jobs, func(a, b job) int { return cmp.Compare(b.created, a.created) })
	if err := c.withProgress(ctx, jobs); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"dataset": datasetView(d), "recordCount": n, "eventsPerMinute": stats.perMinute(c.cfg.Hub.now()),
		"topEventTypes": topTypes, "topItems": topItems, "jobs": jobs,
	})
	return nil
}

// Bounds of api/records.
const (
	defaultRecords = 50
	maxRecords     = 500
)

func (c *Console) serveRecords(ctx context.Context, w http.ResponseWriter, r *http.Request, _ *session) error {
	q := r.URL.Query()
	d, err := c.dataset(ctx, q.Get("datasetArn"))
	if err != nil {
		return err
	}
	limit := defaultRecords
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return badRequest("limit must be a positive integer, got " + strconv.Quote(l))
		}
		limit = min(n, maxRecords)
	}
	records, err := c.newest(ctx, d, q.Get("userId"), q.Get("sessionId"), q.Get("eventType"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"records": records})
	return nil
}

// newest returns the newest limit records of d that match the filters,
// newest first, read from the newest end of the store's order so that a
// page costs the records it shows. The store reads by user and session
// but not by event type: with one, the newest eventTypeScan records are
// searched, so that a rare type never walks the whole dataset.
func (c *Console) newest(ctx context.Context, d *perch.Dataset, userID, sessionID, eventType string, limit int) ([]any, error) {
	out := []any{}
	q := perch.RecordQuery{UserID: userID, SessionID: sessionID, Newest: true, Limit: limit}
	if eventType != "" {
		q.Limit = eventTypeScan
	}
	// The read runs to its limit rather than being stopped: a stopped
	// PostgreSQL read gives up its connection.
	var err error
	switch d.Type {
	case perch.Interactions:
		err = c.cfg.Store.Events(ctx, d.ID, q, func(e *perch.Event) error {
			if len(out) < limit && (eventType == "" || e.EventType == eventType) {
				out = append(out, e)
			}
			return nil
		})
	case perch.ActionInteractions:
		err = c.cfg.Store.ActionInteractions(ctx, d.ID, q, func(a *perch.ActionInteraction) error {
			if len(out) < limit && (eventType == "" || a.EventType == eventType) {
				out = append(out, a)
			}
			return nil
		})
	default:
		// Entities read by id; "newest" for them is the ids' order, which
		// the page shows as the dataset's first records.
		eq := perch.RecordQuery{Limit: limit}
		if d.Type == perch.Users {
			eq.ID = userID
		}
		err = c.cfg.Store.Entities(ctx, d.ID, eq, func(e *perch.Entity) error {
			out = append(out, entityRecord(d.Type, e))
			return nil
		})
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eventTypeScan bounds the records api/records searches for an event
// type.
const eventTypeScan = 10000
