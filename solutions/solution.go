package solutions

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/perchdev/perch"
)

// CreateSolution implements perch.Solutions. Solutions are ACTIVE at once.
func (s *Service) CreateSolution(ctx context.Context, in perch.CreateSolutionInput) (*perch.Solution, error) {
	if in.PerformAutoML {
		return nil, perch.Errorf(perch.EInvalidInput,
			"performAutoML is not supported: AutoML chose among recipes AWS no longer offers. Name a recipe with recipeArn.")
	}
	if in.RecipeARN == "" {
		return nil, perch.Errorf(perch.EInvalidInput, "recipeArn is required when performAutoML is false.")
	}
	r, ok := recipeByARN(in.RecipeARN)
	if !ok {
		return nil, perch.NotFound(in.RecipeARN)
	}
	if err := checkRecipe(r, in); err != nil {
		return nil, err
	}
	if err := checkConfig(r, in.Config); err != nil {
		return nil, err
	}
	sc := s.scopeOf(ctx)
	g, err := get(ctx, sc, in.GroupARN, s.rs.DatasetGroup)
	if err != nil {
		return nil, err
	}
	autoTraining := in.PerformAutoTraining == nil || *in.PerformAutoTraining
	config := in.Config
	if autoTraining && config.AutoTrainingConfig == nil {
		config.AutoTrainingConfig = &perch.AutoTrainingConfig{SchedulingExpression: DefaultAutoTraining}
	}
	now := s.stamp()
	sol := &perch.Solution{
		ARN: arnOf(sc, perch.KindSolution, in.Name), Name: in.Name, GroupARN: g.ARN, RecipeARN: in.RecipeARN,
		EventType: in.EventType, PerformHPO: in.PerformHPO, PerformAutoTraining: autoTraining,
		PerformIncrementalUpdate: in.PerformIncrementalUpdate, Config: config, Status: perch.StatusActive,
		Tags: slices.Clone(in.Tags), Created: now, Updated: now,
	}
	if err := s.rs.CreateSolution(ctx, sol, s.opts.MaxSolutionsPerGroup); err != nil {
		return nil, stored(err, "store solution", sol.ARN)
	}
	return sol, nil
}

// checkRecipe refuses a recipe perch does not train, or that does not
// train into solutions.
func checkRecipe(r *recipeSpec, in perch.CreateSolutionInput) error {
	switch {
	case r.domain != "":
		return perch.Errorf(perch.EInvalidInput,
			"Recipe %s is a %s use case: use it with CreateRecommender in a domain dataset group, not in a solution.", RecipeARN(r.name), r.domain)
	case !r.trains:
		var trained []string
		for _, c := range catalogue {
			if c.trains {
				trained = append(trained, c.name)
			}
		}
		return perch.Errorf(perch.EInvalidInput, "perch does not train recipe %s yet; it trains %s.", RecipeARN(r.name), strings.Join(trained, ", "))
	case in.PerformIncrementalUpdate && r.name != "aws-semantic-similarity":
		return perch.Errorf(perch.EInvalidInput, "performIncrementalUpdate is for aws-semantic-similarity only.")
	}
	return nil
}

var schedulingExpression = regexp.MustCompile(`^rate\((\d+) days?\)$`)

// checkConfig checks what perch reads of a solution's configuration.
func checkConfig(r *recipeSpec, c perch.SolutionConfig) error {
	if c.EventValueThreshold != "" {
		if _, err := strconv.ParseFloat(c.EventValueThreshold, 64); err != nil {
			return perch.Errorf(perch.EInvalidInput, "solutionConfig.eventValueThreshold %q is not a number.", c.EventValueThreshold)
		}
	}
	if c.EventsConfig != nil {
		if !r.v2 {
			return perch.Errorf(perch.EInvalidInput,
				"solutionConfig.eventsConfig is for aws-user-personalization-v2 and aws-personalized-ranking-v2 only, not %s.", r.name)
		}
		if err := checkEventsConfig(c.EventsConfig); err != nil {
			return err
		}
	}
	if c.OptimizationObjective != nil && !r.v1 {
		return perch.Errorf(perch.EInvalidInput,
			"solutionConfig.optimizationObjective is for aws-user-personalization and aws-personalized-ranking only, not %s.", r.name)
	}
	if c.AutoTrainingConfig != nil {
		if err := checkSchedule(c.AutoTrainingConfig.SchedulingExpression); err != nil {
			return err
		}
	}
	return nil
}

func checkEventsConfig(e *perch.EventsConfig) error {
	if len(e.EventParametersList) > 10 {
		return perch.Errorf(perch.EInvalidInput, "eventsConfig weighs at most 10 event types; it has %d.", len(e.EventParametersList))
	}
	for _, p := range e.EventParametersList {
		if p.Weight != nil && (*p.Weight < 0 || *p.Weight > 1) {
			return perch.Errorf(perch.EInvalidInput, "eventsConfig weight %v of event type %s is outside 0..1.", *p.Weight, p.EventType)
		}
	}
	return nil
}

func checkSchedule(expr string) error {
	if _, ok := Period(expr); !ok {
		return perch.Errorf(perch.EInvalidInput, "schedulingExpression %q is not rate(N days), N from 1 to 30.", expr)
	}
	return nil
}

// Period is the time between a solution's automatic trainings that a
// schedulingExpression, rate(N days) with N from 1 to 30, names.
func Period(expr string) (time.Duration, bool) {
	m := schedulingExpression.FindStringSubmatch(expr)
	if m == nil {
		return 0, false
	}
	n, _ := strconv.Atoi(m[1])
	if n < 1 || n > 30 {
		return 0, false
	}
	return time.Duration(n) * 24 * time.Hour, true
}

// DescribeSolution implements perch.Solutions.
func (s *Service) DescribeSolution(ctx context.Context, arn string) (*perch.Solution, *perch.SolutionVersion, error) {
	sol, err := s.solution(ctx, arn)
	if err != nil {
		return nil, nil, err
	}
	versions, err := s.versionsOf(ctx, arn)
	if err != nil {
		return nil, nil, err
	}
	var latest *perch.SolutionVersion
	if len(versions) > 0 {
		latest = versions[0]
	}
	return sol, latest, nil
}

// ListSolutions implements perch.Solutions.
func (s *Service) ListSolutions(ctx context.Context, groupARN string, p perch.Page) ([]*perch.Solution, string, error) {
	all, err := s.rs.Solutions(ctx)
	if err != nil {
		return nil, "", err
	}
	list := owned(all, func(v *perch.Solution) string { return v.ARN }, s.scopeOf(ctx),
		func(v *perch.Solution) bool { return !v.IsRecommender() && (groupARN == "" || v.GroupARN == groupARN) })
	return perch.Paginate(list, func(v *perch.Solution) perch.Position { return newestFirst(v.Created, v.ARN) }, same, "solutions "+groupARN, p)
}

// UpdateSolution implements perch.Solutions: auto-training, its schedule,
// the events config and incremental updates; the update applies at once.
func (s *Service) UpdateSolution(ctx context.Context, in perch.UpdateSolutionInput) (*perch.Solution, error) {
	sol, err := s.solution(ctx, in.SolutionARN)
	if err != nil {
		return nil, err
	}
	r, ok := recipeByARN(sol.RecipeARN)
	if !ok {
		return nil, perch.NotFound(sol.RecipeARN)
	}
	if in.EventsConfig != nil {
		if !r.v2 {
			return nil, perch.Errorf(perch.EInvalidInput,
				"eventsConfig is for aws-user-personalization-v2 and aws-personalized-ranking-v2 only, not %s.", r.name)
		}
		if err := checkEventsConfig(in.EventsConfig); err != nil {
			return nil, err
		}
		sol.Config.EventsConfig = in.EventsConfig
	}
	if in.PerformIncrementalUpdate != nil {
		if *in.PerformIncrementalUpdate && r.name != "aws-semantic-similarity" {
			return nil, perch.Errorf(perch.EInvalidInput, "performIncrementalUpdate is for aws-semantic-similarity only.")
		}
		sol.PerformIncrementalUpdate = *in.PerformIncrementalUpdate
	}
	if in.PerformAutoTraining != nil {
		sol.PerformAutoTraining = *in.PerformAutoTraining
	}
	if in.AutoTrainingConfig != nil {
		if err := checkSchedule(in.AutoTrainingConfig.SchedulingExpression); err != nil {
			return nil, err
		}
		sol.Config.AutoTrainingConfig = in.AutoTrainingConfig
	}
	if sol.PerformAutoTraining && sol.Config.AutoTrainingConfig == nil {
		sol.Config.AutoTrainingConfig = &perch.AutoTrainingConfig{SchedulingExpression: DefaultAutoTraining}
	}
	now := s.stamp()
	sol.Updated = now
	sol.LatestUpdate = &perch.SolutionUpdate{
		AutoTrainingConfig: in.AutoTrainingConfig, EventsConfig: in.EventsConfig,
		PerformAutoTraining: sol.PerformAutoTraining, PerformIncrementalUpdate: sol.PerformIncrementalUpdate,
		Status: perch.StatusActive, Created: now, Updated: now,
	}
	if err := s.rs.UpdateSolution(ctx, sol); err != nil {
		return nil, stored(err, "store solution", sol.ARN)
	}
	return sol, nil
}

// DeleteSolution implements perch.Solutions. The store refuses while a
// campaign serves the solution or a version of it trains.
func (s *Service) DeleteSolution(ctx context.Context, arn string) error {
	if _, err := s.solution(ctx, arn); err != nil {
		return err
	}
	if err := s.rs.DeleteSolution(ctx, arn); err != nil {
		return stored(err, "delete solution", arn)
	}
	return nil
}
