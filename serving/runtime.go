package serving

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/recipe"
)

// GetRecommendations implements perch.Runtime.
func (s *Service) GetRecommendations(ctx context.Context, in perch.RecommendationsInput) (*perch.Recommendations, error) {
	var (
		c       *served
		subject string
		err     error
	)
	switch {
	case in.CampaignARN != "" && in.RecommenderARN != "":
		return nil, perch.Errorf(perch.EInvalidInput, "Give either campaignArn or recommenderArn, not both.")
	case in.RecommenderARN != "":
		c, err = s.recommender(ctx, in.RecommenderARN, in.UserID)
		subject = "Recommender " + in.RecommenderARN
	case in.CampaignARN == "":
		return nil, perch.Errorf(perch.EInvalidInput, "Give a campaignArn (or a recommenderArn).")
	default:
		c, err = s.campaign(ctx, in.CampaignARN)
		subject = "Campaign " + in.CampaignARN
	}
	if err != nil {
		return nil, err
	}
	n, err := resultCount(in.NumResults, len(in.MetadataColumns) > 0)
	if err != nil {
		return nil, err
	}
	m, err := s.model(ctx, c.version)
	if err != nil {
		return nil, err
	}
	name, _ := recipeOf(m.model)
	if err := s.checkMetadata(c, name, in.MetadataColumns); err != nil {
		return nil, err
	}
	keep, err := s.keeper(ctx, c.campaign.GroupARN, in.FilterARN, in.FilterValues, in.UserID, in.ItemID)
	if err != nil {
		return nil, err
	}
	pick, err := s.picker(ctx, m, subject, c.campaign.GroupARN, in.UserID, in.ItemID)
	if err != nil {
		return nil, err
	}
	if c.unscored {
		pick = unscored(pick)
	}
	if len(in.Promotions) == 0 {
		out, err := s.answer(ctx, c, name, pick(n, keep), nil, in.MetadataColumns)
		return s.counted("GetRecommendations", c, in.FilterARN, out, err)
	}
	p := in.Promotions[0]
	promote, err := s.keeper(ctx, c.campaign.GroupARN, p.FilterARN, p.FilterValues, in.UserID, in.ItemID)
	if err != nil {
		return nil, err
	}
	items, promoted := promotions(n, p.PercentPromotedItems, pick, keep, promote)
	out, err := s.answer(ctx, c, name, items, func(i int) string {
		if promoted[i] {
			return p.Name
		}
		return ""
	}, in.MetadataColumns)
	return s.counted("GetRecommendations", c, in.FilterARN, out, err)
}

// promotions fills n slots as a promotion asks (RUNTIME.md 6.3): percent
// of them, rounded up, with the best items promote keeps, at random
// places but in their own order, and the others with the best items keep
// keeps among the rest. Fewer promoted items qualify, fewer are promoted.
// promoted says which places hold promoted items.
func promotions(n, percent int, pick func(int, func(string) bool) []recipe.Scored, keep, promote func(string) bool) ([]recipe.Scored, []bool) {
	if percent <= 0 {
		// Not given: AWS's model has no default; the whole answer is the
		// promotion's to fill.
		percent = 100
	}
	promotedItems := pick((n*percent+99)/100, promote)
	taken := make(map[string]bool, len(promotedItems))
	for _, it := range promotedItems {
		taken[it.Item] = true
	}
	rest := pick(n-len(promotedItems), func(id string) bool { return !taken[id] && (keep == nil || keep(id)) })
	total := len(promotedItems) + len(rest)
	places := rand.Perm(total)[:len(promotedItems)]
	slices.Sort(places)
	out := make([]recipe.Scored, 0, total)
	promoted := make([]bool, total)
	for i := range total {
		if len(places) > 0 && places[0] == i {
			out = append(out, promotedItems[0])
			promotedItems, places = promotedItems[1:], places[1:]
			promoted[i] = true
			continue
		}
		out = append(out, rest[0])
		rest = rest[1:]
	}
	return out, promoted
}

// GetPersonalizedRanking implements perch.Runtime. Items the filter
// removes are left out of the ranking.
func (s *Service) GetPersonalizedRanking(ctx context.Context, in perch.RankingInput) (*perch.Recommendations, error) {
	limit := perch.MaxRecommendations
	if len(in.MetadataColumns) > 0 {
		limit = perch.MaxRecommendationsMetadata
	}
	if len(in.InputList) > limit {
		return nil, perch.Errorf(perch.EInvalidInput, "inputList has %d items; at most %d may be ranked%s.", len(in.InputList), limit,
			map[bool]string{true: " with metadataColumns", false: ""}[limit == perch.MaxRecommendationsMetadata])
	}
	c, err := s.campaign(ctx, in.CampaignARN)
	if err != nil {
		return nil, err
	}
	m, err := s.model(ctx, c.version)
	if err != nil {
		return nil, err
	}
	name, _ := recipeOf(m.model)
	r, err := ranker(m, "Campaign "+c.campaign.ARN)
	if err != nil {
		return nil, err
	}
	if err := s.checkMetadata(c, name, in.MetadataColumns); err != nil {
		return nil, err
	}
	keep, err := s.keeper(ctx, c.campaign.GroupARN, in.FilterARN, in.FilterValues, in.UserID, "")
	if err != nil {
		return nil, err
	}
	ranked, err := s.rank(ctx, r, c.campaign.GroupARN, in.UserID, in.InputList, keep)
	if err != nil {
		return nil, err
	}
	out, err := s.answer(ctx, c, name, ranked, nil, in.MetadataColumns)
	return s.counted("GetPersonalizedRanking", c, in.FilterARN, out, err)
}

// resultCount applies numResults' rules: 25 by default, 500 at most, 50
// with metadata.
func resultCount(n int, metadata bool) (int, error) {
	if n == 0 {
		n = perch.DefaultRecommendations
	}
	limit := perch.MaxRecommendations
	if metadata {
		limit = perch.MaxRecommendationsMetadata
	}
	if n > limit {
		return 0, perch.Errorf(perch.EInvalidInput, "numResults %d is more than the %d a request may ask for%s.", n, limit,
			map[bool]string{true: " with metadataColumns", false: ""}[metadata])
	}
	return n, nil
}

// checkMetadata allows metadataColumns where AWS does: campaigns that
// enable it, and the v2 recipes, whose metadata is always available.
func (s *Service) checkMetadata(c *served, name string, columns map[string][]string) error {
	if len(columns) == 0 {
		return nil
	}
	if !c.campaign.Config.EnableMetadataWithRecommendations && name != recipe.UserPersonalizationV2 && name != recipe.PersonalizedRankingV2 {
		return perch.Errorf(perch.EInvalidInput,
			"Campaign %s does not return metadata: create it with campaignConfig.enableMetadataWithRecommendations true.", c.campaign.ARN)
	}
	for key := range columns {
		if key != "ITEMS" {
			return perch.Errorf(perch.EInvalidInput, "metadataColumns takes ITEMS columns only, not %s.", key)
		}
	}
	return nil
}

// answer makes the runtime's answer from a model's items; promotion,
// when set, names the promotion of each place that holds a promoted item.
func (s *Service) answer(ctx context.Context, c *served, name string, items []recipe.Scored, promotion func(int) string, columns map[string][]string) (*perch.Recommendations, error) {
	out := &perch.Recommendations{RecommendationID: perch.NewRecommendationID(c.campaign.ARN), Items: make([]perch.RecommendedItem, len(items))}
	ids := make([]string, len(items))
	for i, it := range items {
		out.Items[i] = perch.RecommendedItem{ItemID: it.Item, Score: score(it)}
		if promotion != nil {
			out.Items[i].PromotionName = promotion(i)
		}
		switch {
		case name != recipe.UserPersonalizationV2:
		case out.Items[i].PromotionName != "":
			out.Items[i].Reason = []string{"Promoted item"}
		case it.Popular:
			out.Items[i].Reason = []string{"Popular item"}
		}
		ids[i] = it.Item
	}
	if cols := columns["ITEMS"]; len(cols) > 0 {
		meta, err := s.metadata(ctx, c.campaign.GroupARN, cols, ids)
		if err != nil {
			return nil, err
		}
		for i := range out.Items {
			out.Items[i].Metadata = meta[ids[i]]
		}
	}
	return out, nil
}

// trending returns the trend of a trending-now model as of now, refreshed
// from the events that arrived since training once per interval; nil for
// other models.
func (s *Service) trending(ctx context.Context, m *loaded, groupARN string) *recipe.Trending {
	if m.trend == nil {
		return nil
	}
	now := s.cfg.Now().UnixMilli()
	m.refresh.Lock()
	defer m.refresh.Unlock()
	if now-m.trendAt < m.trend.Interval() {
		return m.trend
	}
	d, _, err := s.cfg.Catalog.DatasetSchema(ctx, interactionsOf(groupARN))
	if err != nil {
		return m.trend
	}
	var events []recipe.Event
	since := perch.Timestamp(m.trend.Until() + 1)
	err = s.cfg.Store.Events(ctx, d.ID, perch.RecordQuery{Time: &perch.TimeRange{From: since, To: perch.Timestamp(now + 1)}}, func(e *perch.Event) error {
		if !e.Duplicate && e.ItemID != "" {
			events = append(events, eventOf(e))
		}
		return nil
	})
	if err != nil {
		s.cfg.Logger.Warn("refreshing a trend", "err", fmt.Sprint(err))
		return m.trend
	}
	m.trend, m.trendAt = m.trend.Refresh(events, now), now
	return m.trend
}
