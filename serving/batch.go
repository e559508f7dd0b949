package serving

import (
	"context"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/filter"
	"github.com/perchdev/perch/recipe"
)

// Version is a solution version's model as a batch inference job asks
// it, line after line, with the same code the runtime answers with.
type Version struct {
	arn, group string
	model      *loaded
}

// Version returns the model of the solution version arn, whose dataset
// group is groupARN, decoded once and kept with the runtime's models.
func (s *Service) Version(ctx context.Context, arn, groupARN string) (*Version, error) {
	m, err := s.model(ctx, arn)
	if err != nil {
		return nil, err
	}
	return &Version{arn: arn, group: groupARN, model: m}, nil
}

// Recipe names the version's recipe and its type.
func (v *Version) Recipe() (name, recipeType string) { return recipeOf(v.model.model) }

// Query is one line of a batch inference job: what GetRecommendations
// or GetPersonalizedRanking would be asked.
type Query struct {
	UserID       string
	ItemID       string
	ItemList     []string // the items to rank, for ranking recipes
	NumResults   int      // 0: perch.DefaultRecommendations; ignored by rankings, which rank the whole list
	FilterARN    string
	FilterValues map[string]string
}

// Answer answers q with the version's model, as the runtime would answer
// a campaign of it: related items for an itemId, a ranking of itemList
// for a userId, or items for a userId, filtered. Scores are rounded as
// the runtime rounds them, and nil where the recipe gives none. Errors
// are *perch.Error values that say what the query lacks, or the store's.
func (s *Service) Answer(ctx context.Context, v *Version, q Query) ([]perch.RecommendedItem, error) {
	subject := "Solution version " + v.arn
	n := q.NumResults
	if n <= 0 {
		n = perch.DefaultRecommendations
	}
	var items []recipe.Scored
	if _, recipeType := v.Recipe(); recipeType == perch.RecipePersonalizedRanking {
		r, err := ranker(v.model, subject)
		if err != nil {
			return nil, err
		}
		if q.UserID == "" || len(q.ItemList) == 0 {
			return nil, perch.Errorf(perch.EInvalidInput, "%s ranks a list of items for a user: give a userId and an itemList.", subject)
		}
		keep, err := s.keeper(ctx, v.group, q.FilterARN, q.FilterValues, q.UserID, "")
		if err != nil {
			return nil, err
		}
		if items, err = s.rank(ctx, r, v.group, q.UserID, q.ItemList, keep); err != nil {
			return nil, err
		}
	} else {
		keep, err := s.keeper(ctx, v.group, q.FilterARN, q.FilterValues, q.UserID, q.ItemID)
		if err != nil {
			return nil, err
		}
		pick, err := s.picker(ctx, v.model, subject, v.group, q.UserID, q.ItemID)
		if err != nil {
			return nil, err
		}
		items = pick(n, keep)
	}
	out := make([]perch.RecommendedItem, len(items))
	for i, it := range items {
		out[i] = perch.RecommendedItem{ItemID: it.Item, Score: score(it)}
	}
	return out, nil
}

// SegmentQuery is one line of a batch segment job: an item
// (item-affinity) or an attribute query (item-attribute-affinity).
type SegmentQuery struct {
	ItemID         string
	ItemAttributes string
	NumResults     int    // 0: perch.DefaultSegmentUsers
	FilterARN      string // a UserID filter
	FilterValues   map[string]string
}

// Segment answers q with the version's USER_SEGMENTATION model: the
// users most likely to interact with the item, or with the items of the
// attributes, most likely first, that the filter keeps. Errors are
// *perch.Error values that say what the line lacks, or the store's.
func (s *Service) Segment(ctx context.Context, v *Version, q SegmentQuery) ([]recipe.ScoredUser, error) {
	seg, ok := v.model.model.(recipe.Segmenter)
	if !ok {
		return nil, perch.Errorf(perch.EInvalidInput, "Solution version %s is not of a USER_SEGMENTATION recipe.", v.arn)
	}
	n := q.NumResults
	if n <= 0 {
		n = perch.DefaultSegmentUsers
	}
	keep, err := s.keeperOf(ctx, filter.TargetUser, v.group, q.FilterARN, q.FilterValues, "", "")
	if err != nil {
		return nil, err
	}
	var users []recipe.ScoredUser
	switch name, _ := v.Recipe(); {
	case name == recipe.ItemAffinity && q.ItemID != "":
		users, err = seg.UsersForItem(q.ItemID, n, keep)
	case name == recipe.ItemAttributeAffinity && q.ItemAttributes != "":
		users, err = seg.UsersForAttributes(q.ItemAttributes, n, keep)
	case name == recipe.ItemAffinity:
		return nil, perch.Errorf(perch.EInvalidInput, `Solution version %s is of %s: a line gives an item, {"itemId": "..."}.`, v.arn, name)
	default:
		return nil, perch.Errorf(perch.EInvalidInput, `Solution version %s is of %s: a line gives item attributes, {"itemAttributes": "ITEMS.FIELD = \"value\""}.`, v.arn, name)
	}
	if err != nil {
		return nil, perch.Errorf(perch.EInvalidInput, "%s", err.Error())
	}
	return users, nil
}
