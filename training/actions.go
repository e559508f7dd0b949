package training

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/recipe"
)

// ReadActions adds to d what aws-next-best-action trains on: the group's
// Actions dataset (required: the actions to recommend, with their VALUE)
// and its Action_Interactions dataset (optional: AWS sets no minimum for
// it). Action interactions of actions the Actions dataset does not hold,
// and duplicates, are left out; one sent with a sessionId and no userId
// trains as a user named by the sessionId. Users join d's.
func ReadActions(ctx context.Context, store perch.Store, cat perch.Catalog, groupARN string, d *recipe.Data) error {
	datasets, err := groupDatasets(ctx, cat, groupARN)
	if err != nil {
		return err
	}
	var actions, interactions *perch.Dataset
	for _, ds := range datasets {
		switch ds.Type {
		case perch.Actions:
			actions = ds
		case perch.ActionInteractions:
			interactions = ds
		}
	}
	if actions == nil {
		return perch.Errorf(perch.EInvalidInput,
			"Create failed. Dataset group %s has no Actions dataset: aws-next-best-action recommends the actions of one.", groupARN)
	}
	index := map[string]int32{}
	d.Actions, d.ActionValue = nil, nil
	err = store.Entities(ctx, actions.ID, perch.RecordQuery{}, func(e *perch.Entity) error {
		if _, dup := index[e.ID]; dup {
			return nil
		}
		index[e.ID] = int32(len(d.Actions))
		d.Actions = append(d.Actions, e.ID)
		d.ActionValue = append(d.ActionValue, actionValue(e.Properties))
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading actions: %w", err)
	}
	if len(d.Actions) == 0 {
		return perch.Errorf(perch.EInvalidInput, "Create failed. The Actions dataset of %s has no actions.", groupARN)
	}
	if interactions == nil {
		return nil
	}
	users := make(map[string]int32, len(d.Users))
	for i, u := range d.Users {
		users[u] = int32(i)
	}
	d.ActionInteractions = nil
	err = store.ActionInteractions(ctx, interactions.ID, perch.RecordQuery{}, func(a *perch.ActionInteraction) error {
		action, ok := index[a.ActionID]
		user := a.UserID
		if user == "" {
			user = a.SessionID
		}
		if a.Duplicate || !ok || user == "" {
			return nil
		}
		u, ok := users[user]
		if !ok {
			u = int32(len(d.Users))
			users[user] = u
			d.Users = append(d.Users, user)
		}
		d.ActionInteractions = append(d.ActionInteractions, recipe.ActionInteraction{User: u, Action: action, Time: int64(a.Timestamp), EventType: a.EventType})
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading action interactions: %w", err)
	}
	return nil
}

// actionValue reads an action record's VALUE; NaN when it has none.
func actionValue(properties string) float64 {
	if properties == "" {
		return math.NaN()
	}
	var p struct {
		Value *float64 `json:"value"`
	}
	if json.Unmarshal([]byte(properties), &p) != nil || p.Value == nil {
		return math.NaN()
	}
	return *p.Value
}

// groupDatasets lists every dataset of the group.
func groupDatasets(ctx context.Context, cat perch.Catalog, groupARN string) ([]*perch.Dataset, error) {
	var datasets []*perch.Dataset
	for p := (perch.Page{}); ; {
		page, next, err := cat.ListDatasets(ctx, groupARN, p)
		if err != nil {
			return nil, err
		}
		datasets = append(datasets, page...)
		if next == "" {
			return datasets, nil
		}
		p.NextToken = next
	}
}
