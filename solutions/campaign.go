package solutions

import (
	"context"
	"slices"
	"strings"

	"github.com/perchdev/perch"
)

// CreateCampaign implements perch.Solutions. A campaign serves its version
// as soon as it is created, so it is ACTIVE at once.
func (s *Service) CreateCampaign(ctx context.Context, in perch.CreateCampaignInput) (*perch.Campaign, error) {
	sc := s.scopeOf(ctx)
	config := perch.CampaignConfig{}
	if in.Config != nil {
		config = *in.Config
	}
	served, err := s.servable(ctx, sc, in.SolutionVersionARN, config)
	if err != nil {
		return nil, err
	}
	tps := in.MinProvisionedTPS
	if tps == 0 {
		tps = 1
	}
	now := s.stamp()
	c := &perch.Campaign{
		ARN: arnOf(sc, perch.KindCampaign, in.Name), Name: in.Name, SolutionVersionARN: in.SolutionVersionARN,
		MinProvisionedTPS: tps, Config: config, Status: perch.StatusActive, Tags: slices.Clone(in.Tags),
		Created: now, Updated: now, SolutionARN: served.SolutionARN, GroupARN: served.GroupARN,
	}
	if err := s.rs.CreateCampaign(ctx, c, served.ARN, s.opts.MaxCampaignsPerGroup); err != nil {
		return nil, stored(err, "store campaign", c.ARN)
	}
	return c, nil
}

// servable returns the version a campaign of versionARN would serve: that
// version, or for a solution's $LATEST its newest ACTIVE version. It
// checks what AWS checks of the pair of version and configuration.
func (s *Service) servable(ctx context.Context, sc perch.Scope, versionARN string, config perch.CampaignConfig) (*perch.SolutionVersion, error) {
	latest := strings.HasSuffix(versionARN, latestSuffix)
	switch {
	case latest && !config.SyncWithLatestSolutionVersion:
		return nil, perch.Errorf(perch.EInvalidInput,
			"Solution version %s names the solution's latest version, which a campaign serves only with syncWithLatestSolutionVersion true.", versionARN)
	case !latest && config.SyncWithLatestSolutionVersion:
		return nil, perch.Errorf(perch.EInvalidInput,
			"syncWithLatestSolutionVersion needs solutionVersionArn to be the solution's latest version, SOLUTION_ARN%s.", latestSuffix)
	}
	var v *perch.SolutionVersion
	if latest {
		solution := strings.TrimSuffix(versionARN, latestSuffix)
		if _, err := s.solution(ctx, solution); err != nil {
			return nil, err
		}
		var err error
		if v, err = Latest(ctx, s.rs, solution); err != nil {
			return nil, err
		}
		if v == nil {
			return nil, perch.Errorf(perch.EResourceInUse, "Solution %s has no ACTIVE version to serve yet.", solution)
		}
	} else {
		var err error
		if v, err = s.version(ctx, versionARN); err != nil {
			return nil, err
		}
	}
	if _, recipeType, ok := RecipeOf(v.RecipeARN); ok && recipeType == perch.RecipeUserSegmentation {
		return nil, perch.Errorf(perch.EInvalidInput,
			"Solution version %s is of a USER_SEGMENTATION recipe, which serves batch segment jobs only, not campaigns.", v.ARN)
	}
	if err := perch.CheckVersionServable(v); err != nil {
		return nil, err
	}
	return v, nil
}

// DescribeCampaign implements perch.Solutions.
func (s *Service) DescribeCampaign(ctx context.Context, arn string) (*perch.Campaign, error) {
	return get(ctx, s.scopeOf(ctx), arn, s.rs.Campaign)
}

// ListCampaigns implements perch.Solutions: the campaigns of one solution,
// or of every solution when solutionARN is "".
func (s *Service) ListCampaigns(ctx context.Context, solutionARN string, p perch.Page) ([]*perch.Campaign, string, error) {
	all, err := s.rs.Campaigns(ctx)
	if err != nil {
		return nil, "", err
	}
	list := owned(all, func(c *perch.Campaign) string { return c.ARN }, s.scopeOf(ctx),
		func(c *perch.Campaign) bool { return solutionARN == "" || c.SolutionARN == solutionARN })
	return perch.Paginate(list, func(c *perch.Campaign) perch.Position { return newestFirst(c.Created, c.ARN) }, same, "campaigns "+solutionARN, p)
}

// UpdateCampaign implements perch.Solutions: the new version and
// configuration apply at once, and the runtime switches to them between
// two requests.
func (s *Service) UpdateCampaign(ctx context.Context, in perch.UpdateCampaignInput) (*perch.Campaign, error) {
	sc := s.scopeOf(ctx)
	c, err := get(ctx, sc, in.CampaignARN, s.rs.Campaign)
	if err != nil {
		return nil, err
	}
	next := *c
	if in.SolutionVersionARN != "" {
		next.SolutionVersionARN = in.SolutionVersionARN
	}
	if in.MinProvisionedTPS != nil {
		next.MinProvisionedTPS = *in.MinProvisionedTPS
	}
	if in.Config != nil {
		next.Config = *in.Config
	}
	served, err := s.servable(ctx, sc, next.SolutionVersionARN, next.Config)
	if err != nil {
		return nil, err
	}
	next.SolutionARN, next.GroupARN = served.SolutionARN, served.GroupARN
	if err := perch.CheckCampaignUpdate(c, &next); err != nil {
		return nil, err
	}
	now := s.stamp()
	next.Updated = now
	next.LatestUpdate = &perch.CampaignUpdate{
		SolutionVersionARN: in.SolutionVersionARN, Config: next.Config, Status: perch.StatusActive,
		Created: now, Updated: now,
	}
	if in.MinProvisionedTPS != nil {
		next.LatestUpdate.MinProvisionedTPS = *in.MinProvisionedTPS
	}
	if err := s.rs.UpdateCampaign(ctx, &next, served.ARN); err != nil {
		return nil, stored(err, "store campaign", c.ARN)
	}
	return &next, nil
}

// DeleteCampaign implements perch.Solutions.
func (s *Service) DeleteCampaign(ctx context.Context, arn string) error {
	if !s.scopeOf(ctx).Owns(arn) {
		return perch.NotFound(arn)
	}
	if err := s.rs.DeleteCampaign(ctx, arn); err != nil {
		return stored(err, "delete campaign", arn)
	}
	return nil
}
