package serving

import (
	"cmp"
	"context"
	"encoding/json"
	"math"
	"slices"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/filter"
	"github.com/perchdev/perch/recipe"
)

var _ perch.ActionRuntime = (*Service)(nil)

// GetActionRecommendations implements perch.ActionRuntime: the actions a
// campaign of aws-next-best-action finds the user likeliest to take, with
// the user's action interactions and the Actions dataset's records read
// at request time, so that a PutActionInteractions or PutActions counts
// at once (an action expired, or taken within its REPEAT_FREQUENCY, is
// left out).
func (s *Service) GetActionRecommendations(ctx context.Context, in perch.ActionRecommendationsInput) (*perch.Recommendations, error) {
	if in.CampaignARN == "" {
		return nil, perch.Errorf(perch.EInvalidInput, "Give a campaignArn.")
	}
	n := in.NumResults
	if n == 0 {
		n = perch.DefaultActionRecommendations
	}
	if n < 0 || n > perch.MaxActionRecommendations {
		return nil, perch.Errorf(perch.EInvalidInput, "numResults %d is more than the %d actions a request may ask for.", n, perch.MaxActionRecommendations)
	}
	c, err := s.campaign(ctx, in.CampaignARN)
	if err != nil {
		return nil, err
	}
	m, err := s.model(ctx, c.version)
	if err != nil {
		return nil, err
	}
	rec, ok := m.model.(recipe.ActionRecommender)
	if !ok {
		name, recipeType := recipeOf(m.model)
		call := "GetRecommendations"
		if recipeType == perch.RecipePersonalizedRanking {
			call = "GetPersonalizedRanking"
		}
		return nil, perch.Errorf(perch.EInvalidInput, "Campaign %s serves %s, which recommends items, not actions: call %s.", c.campaign.ARN, name, call)
	}
	if in.UserID == "" {
		return nil, perch.Errorf(perch.EInvalidInput, "Campaign %s recommends actions to a user: give a userId.", c.campaign.ARN)
	}
	group := c.campaign.GroupARN
	keep, err := s.keeperOf(ctx, filter.TargetAction, group, in.FilterARN, in.FilterValues, in.UserID, "")
	if err != nil {
		return nil, err
	}
	history, err := s.actionHistory(ctx, group, in.UserID)
	if err != nil {
		return nil, err
	}
	states, err := s.actionStates(ctx, group)
	if err != nil {
		return nil, err
	}
	state := func(id string) (recipe.ActionState, bool) {
		st, ok := states[id]
		return st, ok
	}
	actions := rec.RecommendActions(history, s.cfg.Now().UnixMilli(), state, n, keep)
	out := &perch.Recommendations{RecommendationID: perch.NewRecommendationID(c.campaign.ARN), Items: make([]perch.RecommendedItem, len(actions))}
	for i, a := range actions {
		out.Items[i] = perch.RecommendedItem{ItemID: a.Item, Score: score(a)}
	}
	return s.counted("GetActionRecommendations", c, in.FilterARN, out, nil)
}

// actionHistory reads the newest action interactions of user from the
// group's Action_Interactions dataset, oldest first; none when the group
// has no such dataset.
func (s *Service) actionHistory(ctx context.Context, groupARN, user string) ([]recipe.ActionEvent, error) {
	d, _, err := s.cfg.Catalog.DatasetSchema(ctx, datasetOf(groupARN, perch.ActionInteractions))
	if perch.ErrorCode(err) == perch.EResourceNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []recipe.ActionEvent
	err = s.cfg.Store.ActionInteractions(ctx, d.ID, perch.RecordQuery{UserID: user}, func(a *perch.ActionInteraction) error {
		if !a.Duplicate {
			out = append(out, recipe.ActionEvent{Action: a.ActionID, Time: int64(a.Timestamp), EventType: a.EventType})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b recipe.ActionEvent) int { return cmp.Compare(a.Time, b.Time) })
	if extra := len(out) - s.cfg.History; extra > 0 {
		out = out[extra:]
	}
	return out, nil
}

// actionStates reads what the Actions dataset says of each action now:
// VALUE, EXPIRATION_TIMESTAMP (epoch seconds) and REPEAT_FREQUENCY
// (days). AWS allows 1000 actions, so one pass per request is cheap.
func (s *Service) actionStates(ctx context.Context, groupARN string) (map[string]recipe.ActionState, error) {
	d, _, err := s.cfg.Catalog.DatasetSchema(ctx, datasetOf(groupARN, perch.Actions))
	if perch.ErrorCode(err) == perch.EResourceNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[string]recipe.ActionState{}
	err = s.cfg.Store.Entities(ctx, d.ID, perch.RecordQuery{}, func(e *perch.Entity) error {
		var p struct {
			Value      *float64 `json:"value"`
			Expiration *float64 `json:"expirationTimestamp"`
			Repeat     *float64 `json:"repeatFrequency"`
		}
		st := recipe.ActionState{Value: math.NaN()}
		if e.Properties != "" && json.Unmarshal([]byte(e.Properties), &p) == nil {
			if p.Value != nil {
				st.Value = *p.Value
			}
			if p.Expiration != nil {
				st.Expires = int64(*p.Expiration * 1000)
			}
			if p.Repeat != nil && *p.Repeat > 0 {
				st.RepeatDays = int64(*p.Repeat)
			}
		}
		out[e.ID] = st
		return nil
	})
	return out, err
}

// actionInteractions returns user's action interactions, newest first, as
// an ActionID filter reads them.
func (f *requestFacts) actionInteractions(user string) []filter.Interaction {
	d, _, err := f.s.cfg.Catalog.DatasetSchema(f.ctx, datasetOf(f.group, perch.ActionInteractions))
	if perch.ErrorCode(err) == perch.EResourceNotFound {
		return nil
	}
	if err != nil {
		f.fail(err)
		return nil
	}
	var out []filter.Interaction
	err = f.s.cfg.Store.ActionInteractions(f.ctx, d.ID, perch.RecordQuery{UserID: user}, func(a *perch.ActionInteraction) error {
		if !a.Duplicate {
			out = append(out, filter.Interaction{ID: a.ActionID, EventType: a.EventType, Time: int64(a.Timestamp)})
		}
		return nil
	})
	if err != nil {
		f.fail(err)
		return nil
	}
	slices.SortStableFunc(out, func(a, b filter.Interaction) int { return cmp.Compare(b.Time, a.Time) })
	return out
}
