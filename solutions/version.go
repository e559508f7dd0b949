package solutions

import (
	"context"
	"slices"

	"github.com/perchdev/perch"
)

// CreateSolutionVersion implements perch.Solutions: the version waits, CREATE
// PENDING, for a trainer to take it.
func (s *Service) CreateSolutionVersion(ctx context.Context, in perch.CreateSolutionVersionInput) (*perch.SolutionVersion, error) {
	sol, err := s.solution(ctx, in.SolutionARN)
	if err != nil {
		return nil, err
	}
	mode := in.TrainingMode
	if mode == "" {
		mode = perch.TrainingModeFull
	}
	if mode == perch.TrainingModeUpdate {
		if err := s.checkUpdateTraining(ctx, sol); err != nil {
			return nil, err
		}
	}
	v := NewVersion(sol, in.Name, mode, perch.TrainingTypeManual, s.stamp())
	v.Tags = slices.Clone(in.Tags)
	if err := s.rs.CreateSolutionVersion(ctx, v, s.opts.MaxTrainingVersions); err != nil {
		return nil, stored(err, "store solution version", v.ARN)
	}
	if s.opts.Trained != nil {
		s.opts.Trained()
	}
	return v, nil
}

// checkUpdateTraining allows trainingMode UPDATE only where AWS does: on
// aws-user-personalization (v1) with an ACTIVE FULL version to update.
func (s *Service) checkUpdateTraining(ctx context.Context, sol *perch.Solution) error {
	if sol.RecipeARN != RecipeARN("aws-user-personalization") {
		return perch.Errorf(perch.EInvalidInput,
			"trainingMode UPDATE is for solutions of aws-user-personalization only; %s uses %s.", sol.ARN, sol.RecipeARN)
	}
	versions, err := s.versionsOf(ctx, sol.ARN)
	if err != nil {
		return err
	}
	for _, v := range versions {
		if v.Status == perch.StatusActive && v.TrainingMode == perch.TrainingModeFull {
			return nil
		}
	}
	return perch.Errorf(perch.EInvalidInput,
		"trainingMode UPDATE needs an ACTIVE version of %s trained with trainingMode FULL; train one first.", sol.ARN)
}

// DescribeSolutionVersion implements perch.Solutions.
func (s *Service) DescribeSolutionVersion(ctx context.Context, arn string) (*perch.SolutionVersion, error) {
	return s.version(ctx, arn)
}

// version returns the solution version arn among the caller's; a
// recommender's trainings are none.
func (s *Service) version(ctx context.Context, arn string) (*perch.SolutionVersion, error) {
	if isRecommenders(arn) {
		return nil, perch.NotFound(arn)
	}
	return get(ctx, s.scopeOf(ctx), arn, s.rs.SolutionVersion)
}

// ListSolutionVersions implements perch.Solutions: the versions of one
// solution, or of every solution when solutionARN is "".
func (s *Service) ListSolutionVersions(ctx context.Context, solutionARN string, p perch.Page) ([]*perch.SolutionVersion, string, error) {
	sc := s.scopeOf(ctx)
	if solutionARN != "" {
		if _, err := s.solution(ctx, solutionARN); err != nil {
			return nil, "", err
		}
	}
	all, err := s.rs.SolutionVersions(ctx)
	if err != nil {
		return nil, "", err
	}
	list := owned(all, func(v *perch.SolutionVersion) string { return v.ARN }, sc,
		func(v *perch.SolutionVersion) bool {
			return !isRecommenders(v.ARN) && (solutionARN == "" || v.SolutionARN == solutionARN)
		})
	return perch.Paginate(list, func(v *perch.SolutionVersion) perch.Position { return newestFirst(v.Created, v.ARN) }, same,
		"solution-versions "+solutionARN, p)
}

// StopSolutionVersionCreation implements perch.Solutions: a version not yet
// training stops at once, one in training once its trainer notices.
func (s *Service) StopSolutionVersionCreation(ctx context.Context, arn string) error {
	if !s.scopeOf(ctx).Owns(arn) {
		return perch.NotFound(arn)
	}
	if err := s.rs.StopSolutionVersion(ctx, arn); err != nil {
		return stored(err, "stop solution version", arn)
	}
	return nil
}

// GetSolutionMetrics implements perch.Solutions: the metrics the training
// computed on AWS's holdout, for an ACTIVE version.
func (s *Service) GetSolutionMetrics(ctx context.Context, arn string) (map[string]float64, error) {
	v, err := s.version(ctx, arn)
	if err != nil {
		return nil, err
	}
	if v.Status != perch.StatusActive {
		return nil, perch.Errorf(perch.EResourceInUse, "Solution version %s is in status %s; its metrics exist once it is ACTIVE.", arn, v.Status)
	}
	metrics := v.Metrics
	if metrics == nil {
		metrics = map[string]float64{}
	}
	return metrics, nil
}

// NewVersion is a new version of solution sol, waiting for its training:
// the solution's configuration as it is now, a short random id, and
// unless name is given AWS's name for it, the solution's name and the id.
func NewVersion(sol *perch.Solution, name, mode, trainingType string, now perch.Timestamp) *perch.SolutionVersion {
	id := randomID()
	if name == "" {
		name = sol.Name + "/" + id
	}
	return &perch.SolutionVersion{
		ARN: sol.ARN + "/" + id, Name: name, SolutionARN: sol.ARN, GroupARN: sol.GroupARN, RecipeARN: sol.RecipeARN,
		EventType: sol.EventType, PerformHPO: sol.PerformHPO, PerformAutoML: sol.PerformAutoML,
		PerformIncrementalUpdate: sol.PerformIncrementalUpdate, Config: sol.Config, TrainingMode: mode,
		TrainingType: trainingType, Status: perch.StatusCreatePending, Created: now, Updated: now,
	}
}
