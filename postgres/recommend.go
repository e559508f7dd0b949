package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/perchdev/perch"
)

// The recommendation side's resources: solutions, their versions
// (trainings, leased like jobs, each with its model) and campaigns. Each
// change is a transaction under its account's advisory lock, as every
// change of resources is, but PutModel's (below).

func (r resources) CreateSolution(ctx context.Context, v *perch.Solution, quota int) error {
	return r.s.change(ctx, v.ARN, false, func(tx pgx.Tx) error {
		g, err := mustDoc[perch.DatasetGroup](ctx, tx, v.GroupARN, "SELECT doc FROM dataset_groups WHERE arn = $1", v.GroupARN)
		if err != nil {
			return err
		}
		if err := notTaken(ctx, tx, "solutions", v.ARN); err != nil {
			return err
		}
		solutions, err := docs[perch.Solution](ctx, tx, "SELECT doc FROM solutions WHERE group_arn = $1", g.ARN)
		if err != nil {
			return err
		}
		if err := perch.CheckNewSolution(g, v, solutions, quota); err != nil {
			return err
		}
		scope, err := scopeOf(v.ARN)
		if err != nil {
			return err
		}
		js, err := jsonOf(v)
		if err != nil {
			return err
		}
		return insert(ctx, tx, v.ARN, "INSERT INTO solutions (arn, scope, group_arn, created, doc) VALUES ($1, $2, $3, $4, $5)",
			v.ARN, scope, v.GroupARN, int64(v.Created), js)
	})
}

func (r resources) Solution(ctx context.Context, arn string) (v *perch.Solution, err error) {
	err = r.s.lookup(ctx, func(ctx context.Context) error {
		v, err = mustDoc[perch.Solution](ctx, r.s.pool, arn, "SELECT doc FROM solutions WHERE arn = $1", arn)
		return err
	})
	return v, err
}

func (r resources) Solutions(ctx context.Context) (list []*perch.Solution, err error) {
	err = r.s.lookup(ctx, func(ctx context.Context) error {
		list, err = docs[perch.Solution](ctx, r.s.pool, "SELECT doc FROM solutions")
		return err
	})
	return list, err
}

func (r resources) UpdateSolution(ctx context.Context, v *perch.Solution) error {
	return r.s.change(ctx, v.ARN, false, func(tx pgx.Tx) error {
		old, err := mustDoc[perch.Solution](ctx, tx, v.ARN, "SELECT doc FROM solutions WHERE arn = $1 FOR UPDATE", v.ARN)
		if err != nil {
			return err
		}
		if err := perch.CheckSolutionUpdate(old, v); err != nil {
			return err
		}
		js, err := jsonOf(v)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE solutions SET doc = $2 WHERE arn = $1", v.ARN, js)
		return err
	})
}

// DeleteSolution, unless a campaign or a training holds the solution,
// deletes it, its versions and their models in one transaction. Its
// versions are read FOR UPDATE: a PutModel in flight, which holds its
// version's row but not the account's lock, commits first, and its model
// is deleted with the others.
func (r resources) DeleteSolution(ctx context.Context, arn string) error {
	return r.s.change(ctx, arn, false, func(tx pgx.Tx) error {
		if err := mustExist(ctx, tx, "solutions", arn); err != nil {
			return err
		}
		campaigns, err := docs[perch.Campaign](ctx, tx, "SELECT doc FROM campaigns WHERE solution_arn = $1", arn)
		if err != nil {
			return err
		}
		versions, err := docs[perch.SolutionVersion](ctx, tx, "SELECT doc FROM solution_versions WHERE solution_arn = $1 FOR UPDATE", arn)
		if err != nil {
			return err
		}
		if err := perch.CheckSolutionUnused(arn, campaigns, versions); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM models WHERE version_arn IN (SELECT arn FROM solution_versions WHERE solution_arn = $1)",
			arn); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM solution_versions WHERE solution_arn = $1", arn); err != nil {
			return inUse(arn, err)
		}
		return remove(ctx, tx, "solutions", arn)
	})
}

// checkVersionOf refuses version v unless its ARN is its solution's and an
// id, and its group its solution's: the campaign rules count by a
// version's group. (The table's check backs the first up.)
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
	return r.s.change(ctx, v.ARN, false, func(tx pgx.Tx) error {
		sol, err := mustDoc[perch.Solution](ctx, tx, v.SolutionARN, "SELECT doc FROM solutions WHERE arn = $1 FOR SHARE", v.SolutionARN)
		if err != nil {
			return err
		}
		if err := notTaken(ctx, tx, "solution_versions", v.ARN); err != nil {
			return err
		}
		if err := checkVersionOf(v, sol); err != nil {
			return err
		}
		scope, err := scopeOf(v.ARN)
		if err != nil {
			return err
		}
		training, err := docs[perch.SolutionVersion](ctx, tx, "SELECT doc FROM solution_versions WHERE scope = $1 AND training", scope)
		if err != nil {
			return err
		}
		if err := perch.CheckNewSolutionVersion(sol, training, quota); err != nil {
			return err
		}
		js, err := jsonOf(v)
		if err != nil {
			return err
		}
		return insert(ctx, tx, v.ARN, `INSERT INTO solution_versions (arn, scope, solution_arn, training, created, doc)
			VALUES ($1, $2, $3, $4, $5, $6)`, v.ARN, scope, v.SolutionARN, perch.Training(v.Status), int64(v.Created), js)
	})
}

func (r resources) SolutionVersion(ctx context.Context, arn string) (v *perch.SolutionVersion, err error) {
	err = r.s.lookup(ctx, func(ctx context.Context) error {
		v, err = mustDoc[perch.SolutionVersion](ctx, r.s.pool, arn, "SELECT doc FROM solution_versions WHERE arn = $1", arn)
		return err
	})
	return v, err
}

func (r resources) SolutionVersions(ctx context.Context) (list []*perch.SolutionVersion, err error) {
	err = r.s.lookup(ctx, func(ctx context.Context) error {
		list, err = docs[perch.SolutionVersion](ctx, r.s.pool, "SELECT doc FROM solution_versions")
		return err
	})
	return list, err
}

// writeVersion replaces the row of v; a version no longer in training
// lets its lease go.
func writeVersion(ctx context.Context, tx pgx.Tx, v *perch.SolutionVersion) error {
	js, err := jsonOf(v)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE solution_versions SET doc = $2, training = $3,
		lease_owner = CASE WHEN $3 THEN lease_owner END,
		lease_until = CASE WHEN $3 THEN lease_until END
		WHERE arn = $1`, v.ARN, js, perch.Training(v.Status))
	return err
}

// UpdateSolutionVersion is a job's update (on the database's clock): the
// version is its solution's, and so its group's, for good.
func (r resources) UpdateSolutionVersion(ctx context.Context, v *perch.SolutionVersion, owner string) error {
	return r.s.change(ctx, v.ARN, false, func(tx pgx.Tx) error {
		var js []byte
		var held bool
		err := tx.QueryRow(ctx, `SELECT doc, coalesce(lease_owner = $2 AND lease_until > now(), false)
			FROM solution_versions WHERE arn = $1 FOR UPDATE`, v.ARN, owner).Scan(&js, &held)
		if errors.Is(err, pgx.ErrNoRows) {
			return perch.NotFound(v.ARN)
		}
		if err != nil {
			return err
		}
		if !held {
			return perch.ErrLeaseLost
		}
		old := new(perch.SolutionVersion)
		if err := json.Unmarshal(js, old); err != nil {
			return fmt.Errorf("postgres: decoding solution version %s: %w", v.ARN, err)
		}
		if err := perch.CheckVersionUpdate(old, v); err != nil {
			return err
		}
		return writeVersion(ctx, tx, v)
	})
}

// StopSolutionVersion moves the version to the status StopTraining gives;
// one that no longer trains lets its lease go, so that its worker's next
// update finds it lost.
func (r resources) StopSolutionVersion(ctx context.Context, arn string) error {
	return r.s.change(ctx, arn, false, func(tx pgx.Tx) error {
		v, err := mustDoc[perch.SolutionVersion](ctx, tx, arn, "SELECT doc FROM solution_versions WHERE arn = $1 FOR UPDATE", arn)
		if err != nil {
			return err
		}
		status, err := perch.StopTraining(v)
		if err != nil {
			return err
		}
		v.Status, v.Updated = status, max(v.Updated, perch.TimestampOf(time.Now()))
		return writeVersion(ctx, tx, v)
	})
}

// PutModel keeps the model in one row, replacing the version's earlier
// one, for the owner of the version's live lease. No rule looks at
// models, so it does without the account's lock, which would hold the
// account's other changes back while a large model is written: the
// version's row, read FOR SHARE, fences it against a claim, an update or
// a deletion of the version until it commits. It runs without the
// statement timeout, under ctx alone, as a model may be large.
func (r resources) PutModel(ctx context.Context, versionARN string, model []byte, owner string) error {
	if model == nil {
		model = []byte{} // nil would be NULL
	}
	return r.s.transact(ctx, versionARN, false, true, func(tx pgx.Tx) error {
		var held bool
		err := tx.QueryRow(ctx, `SELECT coalesce(lease_owner = $2 AND lease_until > now(), false)
			FROM solution_versions WHERE arn = $1 FOR SHARE`, versionARN, owner).Scan(&held)
		if errors.Is(err, pgx.ErrNoRows) {
			return perch.NotFound(versionARN)
		}
		if err != nil {
			return err
		}
		if !held {
			return perch.ErrLeaseLost
		}
		_, err = tx.Exec(ctx, `INSERT INTO models (version_arn, model) VALUES ($1, $2)
			ON CONFLICT (version_arn) DO UPDATE SET model = excluded.model`, versionARN, model)
		return err
	})
}

func (r resources) Model(ctx context.Context, versionARN string) (model []byte, err error) {
	err = r.s.lookup(ctx, func(ctx context.Context) error {
		err := r.s.pool.QueryRow(ctx, "SELECT model FROM models WHERE version_arn = $1", versionARN).Scan(&model)
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		var stored bool
		if err := r.s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT FROM solution_versions WHERE arn = $1)", versionARN).Scan(&stored); err != nil {
			return err
		}
		if !stored {
			return perch.NotFound(versionARN)
		}
		return perch.Errorf(perch.EResourceNotFound, "Solution version %s has no model.", versionARN)
	})
	if err != nil {
		return nil, err
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

// servedVersion reads the version served, FOR SHARE: its status cannot
// change, nor the version go, before the campaign that it serves commits.
func servedVersion(ctx context.Context, tx pgx.Tx, served string) (*perch.SolutionVersion, error) {
	return mustDoc[perch.SolutionVersion](ctx, tx, served, "SELECT doc FROM solution_versions WHERE arn = $1 FOR SHARE", served)
}

// CreateCampaign looks for the version served, then at the ARN, then at
// the rule, as the job creates do.
func (r resources) CreateCampaign(ctx context.Context, c *perch.Campaign, served string, quota int) error {
	return r.s.change(ctx, c.ARN, false, func(tx pgx.Tx) error {
		v, err := servedVersion(ctx, tx, served)
		if err != nil {
			return err
		}
		if err := notTaken(ctx, tx, "campaigns", c.ARN); err != nil {
			return err
		}
		if err := checkServed(c, v); err != nil {
			return err
		}
		campaigns, err := docs[perch.Campaign](ctx, tx, "SELECT doc FROM campaigns WHERE group_arn = $1", v.GroupARN)
		if err != nil {
			return err
		}
		if err := perch.CheckNewCampaign(v, campaigns, quota); err != nil {
			return err
		}
		scope, err := scopeOf(c.ARN)
		if err != nil {
			return err
		}
		js, err := jsonOf(c)
		if err != nil {
			return err
		}
		return insert(ctx, tx, c.ARN, `INSERT INTO campaigns (arn, scope, group_arn, solution_arn, served_arn, created, doc)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, c.ARN, scope, c.GroupARN, c.SolutionARN, v.ARN, int64(c.Created), js)
	})
}

func (r resources) Campaign(ctx context.Context, arn string) (v *perch.Campaign, err error) {
	err = r.s.lookup(ctx, func(ctx context.Context) error {
		v, err = mustDoc[perch.Campaign](ctx, r.s.pool, arn, "SELECT doc FROM campaigns WHERE arn = $1", arn)
		return err
	})
	return v, err
}

func (r resources) Campaigns(ctx context.Context) (list []*perch.Campaign, err error) {
	err = r.s.lookup(ctx, func(ctx context.Context) error {
		list, err = docs[perch.Campaign](ctx, r.s.pool, "SELECT doc FROM campaigns")
		return err
	})
	return list, err
}

func (r resources) UpdateCampaign(ctx context.Context, c *perch.Campaign, served string) error {
	return r.s.change(ctx, c.ARN, false, func(tx pgx.Tx) error {
		old, err := mustDoc[perch.Campaign](ctx, tx, c.ARN, "SELECT doc FROM campaigns WHERE arn = $1 FOR UPDATE", c.ARN)
		if err != nil {
			return err
		}
		v, err := servedVersion(ctx, tx, served)
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
		js, err := jsonOf(c)
		if err != nil {
			return err
		}
		// Through insert, for its wording of what the constraints refuse.
		return insert(ctx, tx, c.ARN, "UPDATE campaigns SET group_arn = $2, solution_arn = $3, served_arn = $4, doc = $5 WHERE arn = $1",
			c.ARN, c.GroupARN, c.SolutionARN, v.ARN, js)
	})
}

func (r resources) DeleteCampaign(ctx context.Context, arn string) error {
	return r.s.change(ctx, arn, false, func(tx pgx.Tx) error {
		if err := mustExist(ctx, tx, "campaigns", arn); err != nil {
			return err
		}
		return remove(ctx, tx, "campaigns", arn)
	})
}
