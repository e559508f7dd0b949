package training

import (
	"context"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/recipe"
	"github.com/perchdev/perch/solutions"
)

// firstAutoTraining is how long after its creation a solution that trains
// by itself first does, unless a version was made meanwhile: AWS's hour.
const firstAutoTraining = time.Hour

// schedule makes, every Schedule, a version of each solution whose
// auto-training is due (autoTrain).
func (t *Trainer) schedule() {
	tick := time.NewTicker(t.cfg.Schedule)
	defer tick.Stop()
	for {
		select {
		case <-t.ctx.Done():
			return
		case <-tick.C:
		}
		if err := t.autoTrain(t.ctx); err != nil && t.ctx.Err() == nil {
			t.cfg.Logger.Warn("auto-training", "err", err)
		}
	}
}

// autoTrain creates an AUTOMATIC version of each solution that trains by
// itself and is due, as AWS schedules them: the first within an hour of
// the solution's creation unless a version was made meanwhile, the next
// once its period (rate(N days)) has passed since the solution's newest
// version, and only when interactions arrived since that version. Nodes
// sharing a store each look; a node creates a version only after reading
// that none was made since, so two nodes rarely both create one.
func (t *Trainer) autoTrain(ctx context.Context) error {
	sols, err := t.rs.Solutions(ctx)
	if err != nil {
		return err
	}
	now := t.cfg.Now()
	for _, sol := range sols {
		if !sol.PerformAutoTraining || sol.Status != perch.StatusActive {
			continue
		}
		a, _ := perch.ParseARN(sol.ARN)
		actx := perch.WithAccount(ctx, a.Account)
		due, err := t.due(actx, sol, now)
		if err != nil || !due {
			if err != nil {
				t.cfg.Logger.Warn("auto-training", "solution", sol.ARN, "err", err)
			}
			continue
		}
		v := solutions.NewVersion(sol, "", perch.TrainingModeFull, perch.TrainingTypeAutomatic, perch.TimestampOf(now))
		if err := t.rs.CreateSolutionVersion(actx, v, solutions.DefaultMaxTrainingVersions); err != nil {
			t.cfg.Logger.Warn("auto-training", "solution", sol.ARN, "err", err)
			continue
		}
		t.cfg.Logger.Info("auto-training a solution", "solution", sol.ARN, "version", v.ARN)
		t.Wake()
	}
	return nil
}

// due says whether sol's auto-training should make a version at now.
func (t *Trainer) due(ctx context.Context, sol *perch.Solution, now time.Time) (bool, error) {
	versions, err := t.rs.SolutionVersions(ctx)
	if err != nil {
		return false, err
	}
	var newest *perch.SolutionVersion
	for _, v := range versions {
		if v.SolutionARN != sol.ARN {
			continue
		}
		if perch.Training(v.Status) {
			return false, nil
		}
		if newest == nil || v.Created > newest.Created {
			newest = v
		}
	}
	if newest == nil {
		return now.Sub(sol.Created.Time()) >= firstAutoTraining, nil
	}
	if now.Sub(newest.Created.Time()) < period(sol) {
		return false, nil
	}
	// AWS retrains next-best-action when action interactions arrived,
	// the other recipes when interactions did.
	watched := perch.Interactions
	if name, _, _ := solutions.RecipeOf(sol.RecipeARN); name == recipe.NextBestAction {
		watched = perch.ActionInteractions
	}
	return t.interactedSince(ctx, sol.GroupARN, newest.Created, watched)
}

// period is a solution's auto-training period: its schedule's, else
// AWS's default of 7 days.
func period(sol *perch.Solution) time.Duration {
	if c := sol.Config.AutoTrainingConfig; c != nil {
		if d, ok := solutions.Period(c.SchedulingExpression); ok {
			return d
		}
	}
	d, _ := solutions.Period(solutions.DefaultAutoTraining)
	return d
}

// interactedSince says whether the group's dataset of type watched
// (Interactions or Action_Interactions) holds an interaction sent at or
// after since.
func (t *Trainer) interactedSince(ctx context.Context, groupARN string, since perch.Timestamp, watched perch.DatasetType) (bool, error) {
	datasets, _, err := t.cfg.Catalog.ListDatasets(ctx, groupARN, perch.Page{})
	if err != nil {
		return false, err
	}
	for _, d := range datasets {
		if d.Type != watched {
			continue
		}
		found := false
		q := perch.RecordQuery{Limit: 1, Time: &perch.TimeRange{From: since, To: perch.Timestamp(1<<62 - 1)}}
		if watched == perch.ActionInteractions {
			err = t.cfg.Store.ActionInteractions(ctx, d.ID, q, func(*perch.ActionInteraction) error { found = true; return nil })
		} else {
			err = t.cfg.Store.Events(ctx, d.ID, q, func(*perch.Event) error { found = true; return nil })
		}
		return found, err
	}
	return false, nil
}
