package pebble

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	pdb "github.com/cockroachdb/pebble/v2"

	"github.com/perchdev/perch"
)

// The recommendation side's resources: solutions, their versions (each a
// training, leased like a job, with its model under o/) and campaigns.
// Each change runs under resMu like every other change of resources.

func (r resources) CreateSolution(ctx context.Context, v *perch.Solution, quota int) error {
	s := r.s
	return s.changeResources(ctx, func(w *resourceWrite) error {
		g, err := mustExist[perch.DatasetGroup](s, kindDatasetGroup, v.GroupARN)
		if err != nil {
			return err
		}
		if err := s.notTaken(kindSolution, v.ARN); err != nil {
			return err
		}
		solutions, err := accountResources[perch.Solution](ctx, s, kindSolution, v.ARN)
		if err != nil {
			return err
		}
		if err := perch.CheckNewSolution(g, v, solutions, quota); err != nil {
			return err
		}
		return w.set(kindSolution, v.ARN, v)
	})
}

func (r resources) Solution(ctx context.Context, arn string) (*perch.Solution, error) {
	return getResource[perch.Solution](r.s, kindSolution, arn)
}

func (r resources) Solutions(ctx context.Context) ([]*perch.Solution, error) {
	return listResources[perch.Solution](ctx, r.s, kindSolution)
}

func (r resources) UpdateSolution(ctx context.Context, v *perch.Solution) error {
	s := r.s
	return s.changeResources(ctx, func(w *resourceWrite) error {
		old, err := mustExist[perch.Solution](s, kindSolution, v.ARN)
		if err != nil {
			return err
		}
		if err := perch.CheckSolutionUpdate(old, v); err != nil {
			return err
		}
		return w.set(kindSolution, v.ARN, v)
	})
}

// DeleteSolution, unless a campaign or a training holds the solution,
// deletes it, its versions and their models in one synced commit.
func (r resources) DeleteSolution(ctx context.Context, arn string) error {
	s := r.s
	return s.changeResources(ctx, func(w *resourceWrite) error {
		if _, err := mustExist[perch.Solution](s, kindSolution, arn); err != nil {
			return err
		}
		campaigns, err := accountResources[perch.Campaign](ctx, s, kindCampaign, arn)
		if err != nil {
			return err
		}
		versions, err := solutionVersions(ctx, s, arn)
		if err != nil {
			return err
		}
		if err := perch.CheckSolutionUnused(arn, campaigns, versions); err != nil {
			return err
		}
		w.delete(kindSolution, arn)
		b := w.batch()
		for _, v := range versions {
			w.delete(kindVersion, v.ARN)
			prefix := modelPrefix(v.ARN)
			_ = b.DeleteRange(prefix, prefixEnd(prefix), nil)
		}
		return nil
	})
}

// solutionVersions reads the versions of the solution arn: the range of
// its ARN's keys, less the versions of any other solution whose ARN
// starts with it and a slash. Callers are inside the gate.
func solutionVersions(ctx context.Context, s *Store, arn string) ([]*perch.SolutionVersion, error) {
	list, err := scanResources[perch.SolutionVersion](ctx, s, kindVersion, arn+"/")
	if err != nil {
		return nil, err
	}
	var versions []*perch.SolutionVersion
	for _, v := range list {
		if v.SolutionARN == arn {
			versions = append(versions, v)
		}
	}
	return versions, nil
}

// checkVersionOf refuses version v unless its ARN is its solution's and an
// id, and its group its solution's: DeleteSolution finds a solution's
// versions by their ARNs, and the campaign rules count by a version's
// group.
func checkVersionOf(v *perch.SolutionVersion, sol *perch.Solution) error {
	id, ok := strings.CutPrefix(v.ARN, sol.ARN+"/")
	if !ok || len(id) != 8 || strings.Trim(id, "0123456789abcdef") != "" {
		return perch.Errorf(perch.EInvalidInput,
			"Solution version %s is not named by its solution's ARN, %s, and an id of 8 lowercase hexadecimal digits.", v.ARN, sol.ARN)
	}
	if v.GroupARN != sol.GroupARN {
		return perch.Errorf(perch.EInvalidInput,
			"Solution version %s names dataset group %s, but its solution %s is in %s.", v.ARN, v.GroupARN, sol.ARN, sol.GroupARN)
	}
	return nil
}

// CreateSolutionVersion looks for the solution, then at the ARN, then at
// the quota, as the job creates do.
func (r resources) CreateSolutionVersion(ctx context.Context, v *perch.SolutionVersion, quota int) error {
	s := r.s
	return s.changeResources(ctx, func(w *resourceWrite) error {
		sol, err := mustExist[perch.Solution](s, kindSolution, v.SolutionARN)
		if err != nil {
			return err
		}
		if err := s.notTaken(kindVersion, v.ARN); err != nil {
			return err
		}
		if err := checkVersionOf(v, sol); err != nil {
			return err
		}
		versions, err := accountResources[perch.SolutionVersion](ctx, s, kindVersion, v.ARN)
		if err != nil {
			return err
		}
		if err := perch.CheckNewSolutionVersion(sol, versions, quota); err != nil {
			return err
		}
		return w.set(kindVersion, v.ARN, v)
	})
}

func (r resources) SolutionVersion(ctx context.Context, arn string) (*perch.SolutionVersion, error) {
	return getResource[perch.SolutionVersion](r.s, kindVersion, arn)
}

func (r resources) SolutionVersions(ctx context.Context) ([]*perch.SolutionVersion, error) {
	return listResources[perch.SolutionVersion](ctx, r.s, kindVersion)
}

// UpdateSolutionVersion is a job's update: the version is its solution's
// (and so its group's) for good.
func (r resources) UpdateSolutionVersion(ctx context.Context, v *perch.SolutionVersion, owner string) error {
	return updateLeased(ctx, r.s, kindVersion, v.ARN, v, owner, !perch.Training(v.Status),
		func(old *perch.SolutionVersion) error { return perch.CheckVersionUpdate(old, v) })
}

// StopSolutionVersion moves the version to the status StopTraining gives;
// one that no longer trains lets its lease go, so that its worker's next
// update finds it lost.
func (r resources) StopSolutionVersion(ctx context.Context, arn string) error {
	s := r.s
	return s.changeResources(ctx, func(w *resourceWrite) error {
		v, err := mustExist[perch.SolutionVersion](s, kindVersion, arn)
		if err != nil {
			return err
		}
		status, err := perch.StopTraining(v)
		if err != nil {
			return err
		}
		v.Status, v.Updated = status, max(v.Updated, perch.TimestampOf(time.Now()))
		if !perch.Training(status) {
			delete(s.leases, arn)
		}
		return w.set(kindVersion, arn, v)
	})
}

// PutModel replaces the version's model with model, in chunks, in one
// synced commit: a reader's iterator sees the old chunks or the new ones,
// never a mix.
func (r resources) PutModel(ctx context.Context, versionARN string, model []byte, owner string) error {
	s := r.s
	return s.changeResources(ctx, func(w *resourceWrite) error {
		if _, err := mustExist[perch.SolutionVersion](s, kindVersion, versionARN); err != nil {
			return err
		}
		if !s.leaseHeld(versionARN, owner) {
			return perch.ErrLeaseLost
		}
		prefix := modelPrefix(versionARN)
		b := w.batch()
		_ = b.DeleteRange(prefix, prefixEnd(prefix), nil)
		for i := 0; i == 0 || i*modelChunk < len(model); i++ {
			chunk := model[i*modelChunk : min((i+1)*modelChunk, len(model))]
			_ = b.Set(binary.BigEndian.AppendUint64(prefix[:len(prefix):len(prefix)], uint64(i)), chunk, nil)
		}
		w.adds = true
		return nil
	})
}

// Model reads a model's chunks through one iterator, one consistent view
// of the store.
func (r resources) Model(ctx context.Context, versionARN string) (_ []byte, err error) {
	s := r.s
	if err := s.gate.enter(); err != nil {
		return nil, err
	}
	defer s.gate.leave()
	prefix := modelPrefix(versionARN)
	it, err := s.db.NewIterWithContext(ctx, &pdb.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, err
	}
	defer closeKeepingError(it, &err)
	var model []byte
	found := false
	n := uint64(0)
	for it.First(); it.Valid(); it.Next() {
		key := it.Key()
		if len(key) != len(prefix)+8 || binary.BigEndian.Uint64(key[len(prefix):]) != n {
			return nil, fmt.Errorf("pebble: the model of %s has chunk key %q where chunk %d belongs", versionARN, key, n)
		}
		chunk, err := it.ValueAndErr()
		if err != nil {
			return nil, err
		}
		model = append(model, chunk...)
		found = true
		n++
	}
	if err := it.Error(); err != nil {
		return nil, err
	}
	if !found {
		if _, err := mustExist[perch.SolutionVersion](s, kindVersion, versionARN); err != nil {
			return nil, err
		}
		return nil, perch.Errorf(perch.EResourceNotFound, "Solution version %s has no model.", versionARN)
	}
	if model == nil {
		model = []byte{}
	}
	return model, nil
}

// checkServed refuses campaign c served by version v unless v is the
// version c names or, when c names its solution's $LATEST, one of its
// solution's; and v is of c's solution and group, which the rules count
// c by.
func checkServed(c *perch.Campaign, v *perch.SolutionVersion) error {
	if v.SolutionARN == c.SolutionARN && v.GroupARN == c.GroupARN &&
		(c.SolutionVersionARN == v.ARN || c.SolutionVersionARN == c.SolutionARN+"/$LATEST") {
		return nil
	}
	return perch.Errorf(perch.EInvalidInput,
		"Campaign %s names solution version %s of solution %s in dataset group %s; solution version %s of solution %s in %s cannot serve it.",
		c.ARN, c.SolutionVersionARN, c.SolutionARN, c.GroupARN, v.ARN, v.SolutionARN, v.GroupARN)
}

// CreateCampaign looks for the version served, then at the ARN, then at
// the rule, as the job creates do.
func (r resources) CreateCampaign(ctx context.Context, c *perch.Campaign, served string, quota int) error {
	s := r.s
	return s.changeResources(ctx, func(w *resourceWrite) error {
		v, err := mustExist[perch.SolutionVersion](s, kindVersion, served)
		if err != nil {
			return err
		}
		if err := s.notTaken(kindCampaign, c.ARN); err != nil {
			return err
		}
		if err := checkServed(c, v); err != nil {
			return err
		}
		campaigns, err := accountResources[perch.Campaign](ctx, s, kindCampaign, c.ARN)
		if err != nil {
			return err
		}
		if err := perch.CheckNewCampaign(v, campaigns, quota); err != nil {
			return err
		}
		return w.set(kindCampaign, c.ARN, c)
	})
}

func (r resources) Campaign(ctx context.Context, arn string) (*perch.Campaign, error) {
	return getResource[perch.Campaign](r.s, kindCampaign, arn)
}

func (r resources) Campaigns(ctx context.Context) ([]*perch.Campaign, error) {
	return listResources[perch.Campaign](ctx, r.s, kindCampaign)
}

func (r resources) UpdateCampaign(ctx context.Context, c *perch.Campaign, served string) error {
	s := r.s
	return s.changeResources(ctx, func(w *resourceWrite) error {
		old, err := mustExist[perch.Campaign](s, kindCampaign, c.ARN)
		if err != nil {
			return err
		}
		v, err := mustExist[perch.SolutionVersion](s, kindVersion, served)
		if err != nil {
			return err
		}
		if err := checkServed(c, v); err != nil {
			return err
		}
		if err := perch.CheckVersionServable(v); err != nil {
			return err
		}
		if err := perch.CheckCampaignUpdate(old, c); err != nil {
			return err
		}
		return w.set(kindCampaign, c.ARN, c)
	})
}

func (r resources) DeleteCampaign(ctx context.Context, arn string) error {
	s := r.s
	return s.changeResources(ctx, func(w *resourceWrite) error {
		if _, err := mustExist[perch.Campaign](s, kindCampaign, arn); err != nil {
			return err
		}
		w.delete(kindCampaign, arn)
		return nil
	})
}
