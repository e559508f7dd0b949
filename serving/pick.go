package serving

import (
	"context"
	"fmt"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/recipe"
)

// What GetRecommendations, GetPersonalizedRanking and the lines of a
// batch inference job share: how a model of each recipe type is asked,
// with what it needs of the request.

// picker returns how model m picks the best n items that keep keeps for
// a request of user and item, by the model's recipe type: related items
// for an item, or items for a user (a user history read from the
// store). subject names what serves the model (a campaign, or a
// solution version for a batch job) in the errors that say what the
// request lacks.
func (s *Service) picker(ctx context.Context, m *loaded, subject, groupARN, user, item string) (func(n int, keep func(string) bool) []recipe.Scored, error) {
	name, recipeType := recipeOf(m.model)
	// The recipe's type, not the model's interfaces, says what a model
	// answers: one model may serve both user-personalization and ranking.
	switch recipeType {
	case perch.RecipeRelatedItems:
		related, ok := m.model.(recipe.Related)
		if !ok {
			return nil, fmt.Errorf("model of %s does not recommend related items", name)
		}
		if item == "" {
			return nil, perch.Errorf(perch.EInvalidInput, "%s recommends items related to an item (%s): give an itemId.", subject, name)
		}
		return func(n int, keep func(string) bool) []recipe.Scored {
			return related.RecommendRelated(item, n, keep)
		}, nil
	case perch.RecipeUserPersonalization, perch.RecipePopularItems:
		model, ok := m.model.(recipe.ForUser)
		if !ok {
			return nil, fmt.Errorf("model of %s does not recommend for users", name)
		}
		if recipeType == perch.RecipeUserPersonalization && name != recipe.PopularityCount && user == "" {
			return nil, perch.Errorf(perch.EInvalidInput, "%s personalizes for a user (%s): give a userId.", subject, name)
		}
		if t := s.trending(ctx, m, groupARN); t != nil {
			model = t
		}
		if u := s.updated(ctx, m, groupARN); u != nil {
			model = u
		}
		history, err := s.history(ctx, groupARN, user)
		if err != nil {
			return nil, err
		}
		return func(n int, keep func(string) bool) []recipe.Scored { return model.RecommendForUser(history, n, keep) }, nil
	case perch.RecipePersonalizedActions:
		return nil, perch.Errorf(perch.EInvalidInput,
			"%s recommends actions (%s): call GetActionRecommendations.", subject, name)
	default:
		return nil, perch.Errorf(perch.EInvalidInput,
			"%s ranks a list of items (%s): call GetPersonalizedRanking with its inputList.", subject, name)
	}
}

// ranker returns model m as a ranker, or an error when m does not rank.
func ranker(m *loaded, subject string) (recipe.Ranker, error) {
	name, recipeType := recipeOf(m.model)
	r, ok := m.model.(recipe.Ranker)
	if !ok || recipeType != perch.RecipePersonalizedRanking {
		call := "GetRecommendations"
		if recipeType == perch.RecipePersonalizedActions {
			call = "GetActionRecommendations"
		}
		return nil, perch.Errorf(perch.EInvalidInput, "%s serves %s, which does not rank: call %s.", subject, name, call)
	}
	return r, nil
}

// rank ranks the items of list that keep keeps for user, best first;
// the items keep drops are left out.
func (s *Service) rank(ctx context.Context, r recipe.Ranker, groupARN, user string, list []string, keep func(string) bool) ([]recipe.Scored, error) {
	if keep != nil {
		kept := make([]string, 0, len(list))
		for _, id := range list {
			if keep(id) {
				kept = append(kept, id)
			}
		}
		list = kept
	}
	history, err := s.history(ctx, groupARN, user)
	if err != nil {
		return nil, err
	}
	return r.Rank(history, list), nil
}
