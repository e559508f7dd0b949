package serving

import (
	"context"
	"slices"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/recipe"
	"github.com/perchdev/perch/solutions"
)

// usersRequired are the use cases that need a userId besides the itemId
// their recipe type asks for (RUNTIME.md 6.1).
var usersRequired = []string{
	"aws-ecomm-customers-who-viewed-x-also-viewed", "aws-vod-because-you-watched-x", "aws-vod-more-like-x",
}

// recommender returns a domain recommender as the runtime serves it: like
// a campaign of its newest training, its answers unscored, as AWS's
// recommenders give none. A recommender is read from the store by every
// request, so that a stop counts at once.
func (s *Service) recommender(ctx context.Context, arn, user string) (*served, error) {
	a, ok := perch.ParseARN(arn)
	if !ok || a.Account != accountOf(ctx, a.Account) {
		return nil, perch.NotFound(arn)
	}
	sol, v, err := solutions.ServedRecommender(ctx, s.rs, arn)
	if err != nil {
		return nil, err
	}
	useCase, _, _ := solutions.RecipeOf(sol.Recommender.RecipeARN)
	if user == "" && slices.Contains(usersRequired, useCase) {
		return nil, perch.Errorf(perch.EInvalidInput, "Recommender %s (%s) needs a userId.", arn, useCase)
	}
	c := &perch.Campaign{ARN: arn, GroupARN: sol.GroupARN,
		Config: perch.CampaignConfig{EnableMetadataWithRecommendations: sol.Recommender.Config.EnableMetadataWithRecommendations}}
	return &served{campaign: c, version: v.ARN, unscored: true}, nil
}

// unscored is pick without scores.
func unscored(pick func(int, func(string) bool) []recipe.Scored) func(int, func(string) bool) []recipe.Scored {
	return func(n int, keep func(string) bool) []recipe.Scored {
		items := pick(n, keep)
		for i := range items {
			items[i].HasScore = false
		}
		return items
	}
}
