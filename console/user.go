package console

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/perchdev/perch"
)

// Bounds of api/user.
const (
	timelineRecords    = 200
	recommendationSize = 10
)

// serveUser answers a user's newest interactions, oldest first, beside
// what every ACTIVE campaign and recommender of the group recommends them
// now.
func (c *Console) serveUser(ctx context.Context, w http.ResponseWriter, r *http.Request, _ *session) error {
	q := r.URL.Query()
	groupARN, userID := q.Get("datasetGroupArn"), q.Get("userId")
	if groupARN == "" || userID == "" {
		return badRequest("the datasetGroupArn and userId parameters are required")
	}
	if _, err := c.cfg.Catalog.DescribeDatasetGroup(ctx, groupARN); err != nil {
		return err
	}
	interactions := []any{}
	datasets, err := listAll(func(p perch.Page) ([]*perch.Dataset, string, error) {
		return c.cfg.Catalog.ListDatasets(ctx, groupARN, p)
	})
	if err != nil {
		return err
	}
	for _, d := range datasets {
		if d.Type != perch.Interactions {
			continue
		}
		full, err := c.cfg.Catalog.DescribeDataset(ctx, d.ARN)
		if err != nil {
			return err
		}
		if interactions, err = c.newest(ctx, full, userID, "", "", timelineRecords); err != nil {
			return err
		}
		slices.Reverse(interactions)
	}

	recs := []map[string]any{}
	if c.cfg.Runtime != nil && c.cfg.Solutions != nil {
		sols, err := listAll(func(p perch.Page) ([]*perch.Solution, string, error) {
			return c.cfg.Solutions.ListSolutions(ctx, groupARN, p)
		})
		if err != nil {
			return err
		}
		for _, s := range sols {
			camps, err := c.campaigns(ctx, s.ARN)
			if err != nil {
				return err
			}
			for _, cp := range camps {
				if cp.Status != perch.StatusActive {
					continue
				}
				rec := map[string]any{"campaignArn": cp.ARN, "name": cp.Name}
				c.recommend(ctx, rec, perch.RecommendationsInput{CampaignARN: cp.ARN, UserID: userID, NumResults: recommendationSize})
				recs = append(recs, rec)
			}
		}
	}
	if c.cfg.Runtime != nil {
		recommenders, err := c.recommenders(ctx, groupARN)
		if err != nil {
			return err
		}
		for _, rc := range recommenders {
			if rc.Status != perch.StatusActive {
				continue
			}
			rec := map[string]any{"recommenderArn": rc.ARN, "name": rc.Name}
			c.recommend(ctx, rec, perch.RecommendationsInput{RecommenderARN: rc.ARN, UserID: userID, NumResults: recommendationSize})
			recs = append(recs, rec)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"interactions": interactions, "recommendations": recs})
	return nil
}

// recommend fills rec with the items in's campaign or recommender gives,
// or with the error it answers (a version still loading, a recipe that
// needs an itemId): one failing campaign must not hide the others.
func (c *Console) recommend(ctx context.Context, rec map[string]any, in perch.RecommendationsInput) {
	items := []map[string]any{}
	got, err := c.cfg.Runtime.GetRecommendations(ctx, in)
	if err != nil {
		var pe *perch.Error
		if errors.As(err, &pe) {
			rec["error"] = pe.Code + ": " + pe.Message
		} else {
			rec["error"] = err.Error()
		}
	} else {
		for _, it := range got.Items {
			item := map[string]any{"itemId": it.ItemID}
			if it.Score != nil {
				item["score"] = *it.Score
			}
			items = append(items, item)
		}
	}
	rec["itemList"] = items
}

// serveMetrics answers every solution version of a group with its
// metrics, so recipes can be compared side by side.
func (c *Console) serveMetrics(ctx context.Context, w http.ResponseWriter, r *http.Request, _ *session) error {
	groupARN := r.URL.Query().Get("datasetGroupArn")
	if groupARN == "" {
		return badRequest("the datasetGroupArn parameter is required")
	}
	if _, err := c.cfg.Catalog.DescribeDatasetGroup(ctx, groupARN); err != nil {
		return err
	}
	out := []map[string]any{}
	if c.cfg.Solutions != nil {
		sols, err := listAll(func(p perch.Page) ([]*perch.Solution, string, error) {
			return c.cfg.Solutions.ListSolutions(ctx, groupARN, p)
		})
		if err != nil {
			return err
		}
		for _, s := range sols {
			vs, err := c.versions(ctx, s.ARN)
			if err != nil {
				return err
			}
			for _, v := range vs {
				metrics := map[string]float64{}
				if v.Status == perch.StatusActive {
					if m, err := c.cfg.Solutions.GetSolutionMetrics(ctx, v.ARN); err == nil && m != nil {
						metrics = m
					}
				}
				out = append(out, map[string]any{"solutionVersionArn": v.ARN, "solutionName": s.Name, "recipeArn": v.RecipeARN,
					"status": v.Status, "metrics": metrics})
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"solutionVersions": out})
	return nil
}
