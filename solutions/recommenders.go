package solutions

import (
	"context"
	"slices"
	"strings"

	"github.com/perchdev/perch"
)

// A domain recommender is kept as a solution of its own ARN, hidden from
// the solutions' API (perch.Solution.Recommender set), whose versions the
// trainer trains as any other: its use case is trained as the recipe
// perch has for it, on the event type the use case reads.

// useCase is what perch trains for a domain recipe.
type useCase struct {
	recipe    string // the trained recipe
	eventType string // "" for every event
}

// useCases are the domain recipes perch serves, by name.
var useCases = map[string]useCase{
	"aws-ecomm-customers-who-viewed-x-also-viewed": {"aws-sims", "View"},
	"aws-ecomm-frequently-bought-together":         {"aws-sims", "Purchase"},
	"aws-ecomm-popular-items-by-purchases":         {"aws-popularity-count", "Purchase"},
	"aws-ecomm-popular-items-by-views":             {"aws-popularity-count", "View"},
	"aws-ecomm-recommended-for-you":                {"aws-user-personalization-v2", ""},
	"aws-vod-because-you-watched-x":                {"aws-sims", "Watch"},
	"aws-vod-more-like-x":                          {"aws-similar-items", "Watch"},
	"aws-vod-most-popular":                         {"aws-popularity-count", "Watch"},
	"aws-vod-top-picks":                            {"aws-user-personalization-v2", ""},
	"aws-vod-trending-now":                         {"aws-trending-now", ""},
}

// DefaultMaxRecommendersPerGroup is AWS's quota of recommenders in a
// dataset group (RUNTIME.md 10).
const DefaultMaxRecommendersPerGroup = 5

var _ perch.Recommenders = (*Service)(nil)

// CreateRecommender implements perch.Recommenders: the recommender's first
// training waits, CREATE PENDING, for a trainer, and the recommender is
// ACTIVE when it is.
func (s *Service) CreateRecommender(ctx context.Context, in perch.CreateRecommenderInput) (*perch.Recommender, error) {
	r, ok := recipeByARN(in.RecipeARN)
	if !ok {
		return nil, perch.NotFound(in.RecipeARN)
	}
	uc, ok := useCases[r.name]
	if !ok {
		return nil, perch.Errorf(perch.EInvalidInput,
			"Recipe %s is no domain use case: train it with CreateSolution in a custom dataset group.", in.RecipeARN)
	}
	sc := s.scopeOf(ctx)
	g, err := get(ctx, sc, in.GroupARN, s.rs.DatasetGroup)
	if err != nil {
		return nil, err
	}
	if g.Domain != r.domain {
		return nil, perch.Errorf(perch.EInvalidInput, "Recipe %s is a %s use case; dataset group %s is %s.",
			in.RecipeARN, r.domain, g.ARN, domainOf(g))
	}
	config := perch.RecommenderConfig{}
	if in.Config != nil {
		config = *in.Config
	}
	now := s.stamp()
	sol := &perch.Solution{
		ARN: arnOf(sc, perch.KindRecommender, in.Name), Name: in.Name, GroupARN: g.ARN, RecipeARN: RecipeARN(uc.recipe),
		EventType: uc.eventType, Status: perch.StatusActive, Tags: slices.Clone(in.Tags), Created: now, Updated: now,
		Recommender: &perch.RecommenderState{RecipeARN: in.RecipeARN, Config: config},
	}
	if err := s.rs.CreateSolution(ctx, sol, s.opts.MaxRecommendersPerGroup); err != nil {
		return nil, stored(err, "store recommender", sol.ARN)
	}
	v := NewVersion(sol, "", perch.TrainingModeFull, perch.TrainingTypeManual, now)
	if err := s.rs.CreateSolutionVersion(ctx, v, s.opts.MaxTrainingVersions); err != nil {
		// Without its training the recommender would never be ACTIVE.
		_ = s.rs.DeleteSolution(context.WithoutCancel(ctx), sol.ARN)
		return nil, stored(err, "store recommender's training", v.ARN)
	}
	if s.opts.Trained != nil {
		s.opts.Trained()
	}
	return s.recommenderOf(ctx, sol)
}

func domainOf(g *perch.DatasetGroup) string {
	if g.Domain == "" {
		return "a custom group"
	}
	return g.Domain
}

// recommender returns the stored recommender arn, among the caller's.
func (s *Service) recommender(ctx context.Context, arn string) (*perch.Solution, error) {
	sol, err := get(ctx, s.scopeOf(ctx), arn, s.rs.Solution)
	if err != nil {
		return nil, err
	}
	if !sol.IsRecommender() {
		return nil, perch.NotFound(arn)
	}
	return sol, nil
}

// recommenderOf is the recommender sol keeps, with the status of its
// newest training: CREATE PENDING, CREATE IN_PROGRESS, ACTIVE (INACTIVE
// once stopped) or CREATE FAILED with the training's reason.
func (s *Service) recommenderOf(ctx context.Context, sol *perch.Solution) (*perch.Recommender, error) {
	versions, err := s.versionsOf(ctx, sol.ARN)
	if err != nil {
		return nil, err
	}
	st := sol.Recommender
	r := &perch.Recommender{ARN: sol.ARN, Name: sol.Name, GroupARN: sol.GroupARN, RecipeARN: st.RecipeARN, Config: st.Config,
		LatestUpdate: st.LatestUpdate, Created: sol.Created, Updated: sol.Updated, Status: perch.StatusCreatePending}
	var active *perch.SolutionVersion
	for _, v := range versions {
		if v.Status == perch.StatusActive {
			active = v
			break
		}
	}
	switch {
	case active != nil:
		r.Status, r.ModelMetrics = perch.StatusActive, active.Metrics
	case len(versions) > 0:
		r.Status, r.FailureReason = versions[0].Status, versions[0].FailureReason
	}
	if st.Stopped && active != nil {
		r.Status = perch.StatusInactive
	}
	return r, nil
}

// ServedRecommender returns, for the runtime, the version whose model
// the recommender arn serves: its newest ACTIVE training. A recommender
// that is not ACTIVE is InvalidInputException.
func ServedRecommender(ctx context.Context, rs perch.ResourceStore, arn string) (*perch.Solution, *perch.SolutionVersion, error) {
	sol, err := rs.Solution(ctx, arn)
	if err == nil && !sol.IsRecommender() {
		err = perch.NotFound(arn)
	}
	if err != nil {
		return nil, nil, err
	}
	v, err := Latest(ctx, rs, arn)
	switch {
	case err != nil:
		return nil, nil, err
	case v == nil:
		return nil, nil, perch.Errorf(perch.EInvalidInput, "Recommender %s is not ACTIVE yet: its training has not finished.", arn)
	case sol.Recommender.Stopped:
		return nil, nil, perch.Errorf(perch.EInvalidInput, "Recommender %s is INACTIVE: start it with StartRecommender.", arn)
	}
	return sol, v, nil
}

// DescribeRecommender implements perch.Recommenders.
func (s *Service) DescribeRecommender(ctx context.Context, arn string) (*perch.Recommender, error) {
	sol, err := s.recommender(ctx, arn)
	if err != nil {
		return nil, err
	}
	return s.recommenderOf(ctx, sol)
}

// ListRecommenders implements perch.Recommenders: those of one group, or
// of every group when groupARN is "".
func (s *Service) ListRecommenders(ctx context.Context, groupARN string, p perch.Page) ([]*perch.Recommender, string, error) {
	all, err := s.rs.Solutions(ctx)
	if err != nil {
		return nil, "", err
	}
	list := owned(all, func(v *perch.Solution) string { return v.ARN }, s.scopeOf(ctx),
		func(v *perch.Solution) bool { return v.IsRecommender() && (groupARN == "" || v.GroupARN == groupARN) })
	page, next, err := perch.Paginate(list, func(v *perch.Solution) perch.Position { return newestFirst(v.Created, v.ARN) }, same,
		"recommenders "+groupARN, p)
	if err != nil {
		return nil, "", err
	}
	out := make([]*perch.Recommender, len(page))
	for i, sol := range page {
		if out[i], err = s.recommenderOf(ctx, sol); err != nil {
			return nil, "", err
		}
	}
	return out, next, nil
}

// UpdateRecommender implements perch.Recommenders: the configuration
// applies at once.
func (s *Service) UpdateRecommender(ctx context.Context, arn string, config perch.RecommenderConfig) (*perch.Recommender, error) {
	return s.changeRecommender(ctx, arn, func(st *perch.RecommenderState, now perch.Timestamp) error {
		st.Config = config
		st.LatestUpdate = &perch.RecommenderUpdate{Config: config, Status: perch.StatusActive, Created: now, Updated: now}
		return nil
	})
}

// StartRecommender implements perch.Recommenders.
func (s *Service) StartRecommender(ctx context.Context, arn string) (*perch.Recommender, error) {
	return s.changeRecommender(ctx, arn, func(st *perch.RecommenderState, _ perch.Timestamp) error {
		if !st.Stopped {
			return perch.Errorf(perch.EInvalidInput, "Recommender %s is not INACTIVE; only a stopped recommender starts.", arn)
		}
		st.Stopped = false
		return nil
	})
}

// StopRecommender implements perch.Recommenders: a stopped recommender
// answers no requests until it is started again.
func (s *Service) StopRecommender(ctx context.Context, arn string) (*perch.Recommender, error) {
	return s.changeRecommender(ctx, arn, func(st *perch.RecommenderState, _ perch.Timestamp) error {
		if st.Stopped {
			return perch.Errorf(perch.EInvalidInput, "Recommender %s is INACTIVE already.", arn)
		}
		st.Stopped = true
		return nil
	})
}

func (s *Service) changeRecommender(ctx context.Context, arn string, change func(*perch.RecommenderState, perch.Timestamp) error) (*perch.Recommender, error) {
	sol, err := s.recommender(ctx, arn)
	if err != nil {
		return nil, err
	}
	next := *sol
	st := *sol.Recommender
	now := s.stamp()
	if err := change(&st, now); err != nil {
		return nil, err
	}
	next.Recommender, next.Updated = &st, now
	if err := s.rs.UpdateSolution(ctx, &next); err != nil {
		return nil, stored(err, "store recommender", arn)
	}
	return s.recommenderOf(ctx, &next)
}

// DeleteRecommender implements perch.Recommenders: the recommender and its
// trainings, unless one is training.
func (s *Service) DeleteRecommender(ctx context.Context, arn string) error {
	if _, err := s.recommender(ctx, arn); err != nil {
		return err
	}
	if err := s.rs.DeleteSolution(ctx, arn); err != nil {
		if perch.ErrorCode(err) == perch.EResourceInUse {
			return perch.Errorf(perch.EResourceInUse, "Recommender %s is training; delete it once it is ACTIVE or CREATE FAILED.", arn)
		}
		return stored(err, "delete recommender", arn)
	}
	return nil
}

// solution returns the solution arn among the caller's; a recommender's
// is none.
func (s *Service) solution(ctx context.Context, arn string) (*perch.Solution, error) {
	sol, err := get(ctx, s.scopeOf(ctx), arn, s.rs.Solution)
	if err != nil {
		return nil, err
	}
	if sol.IsRecommender() {
		return nil, perch.NotFound(arn)
	}
	return sol, nil
}

// isRecommenders says whether a version ARN is a recommender's training.
func isRecommenders(versionARN string) bool {
	a, ok := perch.ParseARN(versionARN)
	return ok && strings.HasPrefix(a.Resource, perch.KindRecommender+"/")
}
