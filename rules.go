package perch

import (
	"errors"
	"slices"
	"strings"
)

// The rules between resources, as pure functions of the resources they
// concern. A catalog calls them with what it holds in memory, a store
// with what it reads inside its own transaction; either way a rule is
// decided, and worded, in one place. Callers pass the resources of the
// request's account and region only.

// CheckQuota fails with ELimitExceeded when an account that already has
// n resources of a kind ("schema", "dataset group") may have at most max,
// so that name cannot be created.
func CheckQuota(kind, name string, n, max int) error {
	if n < max {
		return nil
	}
	return Errorf(ELimitExceeded,
		"Cannot create %s %s. The account already has %d %ss, the most allowed. Please delete some and try again.", kind, name, n, kind)
}

// CheckGroupActive fails with EResourceInUse unless the group can take new
// datasets and event trackers.
func CheckGroupActive(g *DatasetGroup) error {
	if g.Status == StatusActive {
		return nil
	}
	return Errorf(EResourceInUse, "Dataset group %s is in status %s; it must be ACTIVE.", g.ARN, g.Status)
}

// CheckNewDataset checks that group g can take a dataset of type t, given
// the datasets it has: one of each type, and no action datasets in a
// domain dataset group.
func CheckNewDataset(g *DatasetGroup, t DatasetType, datasets []*Dataset) error {
	if err := CheckGroupActive(g); err != nil {
		return err
	}
	if g.Domain != "" && (t == Actions || t == ActionInteractions) {
		return Errorf(EInvalidInput,
			"Dataset group %s is a %s domain dataset group; %s datasets can only be created in custom dataset groups.",
			g.ARN, g.Domain, t)
	}
	for _, d := range datasets {
		if d.GroupARN == g.ARN && d.Type == t {
			return Errorf(EResourceAlreadyExists, "Dataset group %s already has a dataset of type %s: %s", g.ARN, t, d.ARN)
		}
	}
	return nil
}

// CheckSchemaFits checks that schema s, parsed as avro, can back a dataset
// of type t in group g: the same domain, and the type's required and
// reserved fields.
func CheckSchemaFits(s *Schema, avro *AvroSchema, t DatasetType, g *DatasetGroup) error {
	if s.Domain != g.Domain {
		return Errorf(EInvalidInput,
			"Schema %s has domain %s but dataset group %s has domain %s; they must match.",
			s.ARN, domainName(s.Domain), g.ARN, domainName(g.Domain))
	}
	if err := avro.CheckDatasetType(t, g.Domain); err != nil {
		var e *Error
		if errors.As(err, &e) {
			return e
		}
		return Errorf(EInvalidInput, "%s", err)
	}
	return nil
}

// domainName spells a domain for messages, where "" would read as nothing.
func domainName(domain string) string {
	if domain == "" {
		return "none (custom)"
	}
	return domain
}

// CheckNewEventTracker checks that group g can take an event tracker
// named name, given the account's trackers: one per group, and names
// unique in the account.
func CheckNewEventTracker(g *DatasetGroup, name string, trackers []*EventTracker) error {
	if err := CheckGroupActive(g); err != nil {
		return err
	}
	for _, t := range trackers {
		if t.GroupARN == g.ARN {
			return Errorf(EResourceAlreadyExists, "Dataset group %s already has an event tracker: %s", g.ARN, t.ARN)
		}
	}
	for _, t := range trackers {
		if t.Name == name {
			return Errorf(EResourceAlreadyExists, "An event tracker named %s already exists: %s", name, t.ARN)
		}
	}
	return nil
}

// CheckSchemaUnused fails with EResourceInUse when any of the account's
// datasets uses the schema arn, or is being updated to it.
func CheckSchemaUnused(arn string, datasets []*Dataset) error {
	var users []string
	for _, d := range datasets {
		if d.SchemaARN == arn || d.LatestUpdate != nil && d.LatestUpdate.SchemaARN == arn {
			users = append(users, d.ARN)
		}
	}
	if len(users) == 0 {
		return nil
	}
	slices.Sort(users)
	return Errorf(EResourceInUse,
		"Schema %s is in use by dataset %s. Delete the dataset or update it to another schema first.",
		arn, strings.Join(users, ", "))
}

// CheckGroupEmpty fails with EResourceInUse while the group arn has
// datasets, an event tracker or solutions among the account's (a campaign
// belongs to a solution).
func CheckGroupEmpty(arn string, datasets []*Dataset, trackers []*EventTracker, solutions []*Solution) error {
	var dependents []string
	for _, s := range solutions {
		if s.GroupARN == arn {
			kind := "solution "
			if s.IsRecommender() {
				kind = "recommender "
			}
			dependents = append(dependents, kind+s.ARN)
		}
	}
	for _, d := range datasets {
		if d.GroupARN == arn {
			dependents = append(dependents, "dataset "+d.ARN)
		}
	}
	for _, t := range trackers {
		if t.GroupARN == arn {
			dependents = append(dependents, "event tracker "+t.ARN)
		}
	}
	if len(dependents) == 0 {
		return nil
	}
	slices.Sort(dependents)
	return Errorf(EResourceInUse,
		"Dataset group %s still has resources: %s. Delete them first.", arn, strings.Join(dependents, ", "))
}

// CheckDatasetUnheld fails with EResourceInUse while jobs (named by
// holders, such as "dataset import job ARN") work on the dataset arn.
func CheckDatasetUnheld(arn string, holders []string) error {
	if len(holders) == 0 {
		return nil
	}
	names := slices.Sorted(slices.Values(holders))
	return Errorf(EResourceInUse,
		"Dataset %s is in use by %s; delete it once the job is done.", arn, strings.Join(names, ", "))
}

// NotFound is the error for a resource arn that does not exist, or not
// for the caller.
func NotFound(arn string) *Error {
	return Errorf(EResourceNotFound, "Resource Arn %s does not exist.", arn)
}

// AlreadyExists is the error for creating a resource whose ARN is taken.
func AlreadyExists(arn string) *Error {
	return Errorf(EResourceAlreadyExists, "Resource Arn %s already exists.", arn)
}

// JobFinished reports whether a job in status has ended, well or not.
func JobFinished(status string) bool {
	switch status {
	case StatusActive, StatusCreateFailed, StatusCompleted, StatusFailed:
		return true
	}
	return false
}

// JobsHolding names the jobs, among the given ones, that have not
// finished and work on dataset d: its imports and exports, data deletions
// from its group, and the trainings of its group's solutions, which read
// it. CheckDatasetUnheld refuses to delete d while there are any.
func JobsHolding(d *Dataset, exports []*DatasetExportJob, imports []*DatasetImportJob, deletions []*DataDeletionJob,
	versions []*SolutionVersion) []string {
	var holders []string
	for _, j := range exports {
		if j.DatasetARN == d.ARN && !JobFinished(j.Status) {
			holders = append(holders, "dataset export job "+j.ARN)
		}
	}
	for _, j := range imports {
		if j.DatasetARN == d.ARN && !JobFinished(j.Status) {
			holders = append(holders, "dataset import job "+j.ARN)
		}
	}
	for _, j := range deletions {
		if j.GroupARN == d.GroupARN && !JobFinished(j.Status) {
			holders = append(holders, "data deletion job "+j.ARN)
		}
	}
	for _, v := range versions {
		if v.GroupARN == d.GroupARN && Training(v.Status) {
			holders = append(holders, "solution version "+v.ARN)
		}
	}
	return holders
}

// CheckNewImportJob checks import job j beside the account's import jobs:
// at most max of them unfinished, and INCREMENTAL only onto a dataset
// that an earlier import, not failed, has loaded.
func CheckNewImportJob(j *DatasetImportJob, jobs []*DatasetImportJob, max int) error {
	unfinished, imported := 0, false
	for _, other := range jobs {
		if !JobFinished(other.Status) {
			unfinished++
		}
		if other.DatasetARN == j.DatasetARN && other.Status != StatusCreateFailed {
			imported = true
		}
	}
	if unfinished >= max {
		return Errorf(ELimitExceeded, "More than %d resources with PENDING or IN_PROGRESS status.", max)
	}
	if j.ImportMode == ImportIncremental && !imported {
		return Errorf(EInvalidInput,
			"Import mode INCREMENTAL adds to bulk data imported before, and dataset %s has none; use FULL for its first import.", j.DatasetARN)
	}
	return nil
}

// CheckNewDeletionJob checks data deletion job j beside the jobs given:
// at most max unfinished ones per dataset group.
func CheckNewDeletionJob(j *DataDeletionJob, jobs []*DataDeletionJob, max int) error {
	unfinished := 0
	for _, other := range jobs {
		if other.GroupARN == j.GroupARN && !JobFinished(other.Status) {
			unfinished++
		}
	}
	if unfinished >= max {
		return Errorf(ELimitExceeded,
			"Dataset group %s already has %d data deletion jobs PENDING or IN_PROGRESS, the most allowed.", j.GroupARN, unfinished)
	}
	return nil
}

// CheckDatasetUpdate refuses an update of dataset old to next that would
// change what the rules were checked against or where its records are
// kept: its group, type, store id or tracking id.
func CheckDatasetUpdate(old, next *Dataset) error {
	if old.GroupARN != next.GroupARN || old.Type != next.Type || old.ID != next.ID || old.TrackingID != next.TrackingID {
		return Errorf(EInvalidInput, "Dataset %s cannot change its dataset group, type, store id or tracking id.", old.ARN)
	}
	return nil
}

// CheckJobUpdate refuses an update that points the job arn at another
// dataset or dataset group (target) than the one it was created for.
func CheckJobUpdate(arn, created, target string) error {
	if created != target {
		return Errorf(EInvalidInput, "Job %s works on %s and cannot be moved to %s.", arn, created, target)
	}
	return nil
}

// CheckNewSolution checks that group g can take solution s beside the
// solutions the account has: at most quota of them in a group, solutions
// and recommenders each counted on their own.
func CheckNewSolution(g *DatasetGroup, s *Solution, solutions []*Solution, quota int) error {
	if err := CheckGroupActive(g); err != nil {
		return err
	}
	n := 0
	for _, other := range solutions {
		if other.GroupARN == g.ARN && other.IsRecommender() == s.IsRecommender() {
			n++
		}
	}
	if n >= quota {
		kind := "solution"
		if s.IsRecommender() {
			kind = "recommender"
		}
		return Errorf(ELimitExceeded,
			"Cannot create %s %s. Dataset group %s already has %d %ss, the most allowed. Please delete some and try again.",
			kind, s.Name, g.ARN, n, kind)
	}
	return nil
}

// CheckSolutionUpdate refuses an update of solution old to next that would
// move it to another dataset group or recipe.
func CheckSolutionUpdate(old, next *Solution) error {
	if old.GroupARN != next.GroupARN || old.RecipeARN != next.RecipeARN {
		return Errorf(EInvalidInput, "Solution %s cannot change its dataset group or recipe.", old.ARN)
	}
	return nil
}

// Training reports whether a solution version in status is waiting for,
// or in, its training.
func Training(status string) bool {
	switch status {
	case StatusCreatePending, StatusCreateInProgress, StatusCreateStopping:
		return true
	}
	return false
}

// CheckNewSolutionVersion checks that solution s can train a version
// beside the account's versions: s must be ACTIVE, and at most quota
// versions may wait for or be in training at once.
func CheckNewSolutionVersion(s *Solution, versions []*SolutionVersion, quota int) error {
	if s.Status != StatusActive {
		return Errorf(EResourceInUse, "Solution %s is in status %s; it must be ACTIVE.", s.ARN, s.Status)
	}
	n := 0
	for _, v := range versions {
		if Training(v.Status) {
			n++
		}
	}
	if n >= quota {
		return Errorf(ELimitExceeded,
			"Cannot create a solution version. More than %d resources in CREATE PENDING or CREATE IN_PROGRESS state. Please wait and try again.", quota)
	}
	return nil
}

// StopTraining returns the status a StopSolutionVersionCreation moves
// version v to: a version not yet training stops at once, one in training
// stops once its training notices; any other is ResourceInUse.
func StopTraining(v *SolutionVersion) (string, error) {
	switch v.Status {
	case StatusCreatePending:
		return StatusCreateStopped, nil
	case StatusCreateInProgress:
		return StatusCreateStopping, nil
	}
	return "", Errorf(EResourceInUse,
		"Solution version %s is in status %s; only a version in CREATE PENDING or CREATE IN_PROGRESS can be stopped.", v.ARN, v.Status)
}

// CheckNewCampaign checks that version v can be served by a new campaign
// beside the account's campaigns: v must be ACTIVE, and a dataset group
// may have at most quota campaigns.
func CheckNewCampaign(v *SolutionVersion, campaigns []*Campaign, quota int) error {
	if err := CheckVersionServable(v); err != nil {
		return err
	}
	n := 0
	for _, c := range campaigns {
		if c.GroupARN == v.GroupARN {
			n++
		}
	}
	if n >= quota {
		return Errorf(ELimitExceeded,
			"Cannot create a campaign. More than %d resources in ACTIVE state. Please delete some and try again.", quota)
	}
	return nil
}

// CheckVersionServable fails with EResourceInUse unless version v is
// ACTIVE, the only status a campaign may serve.
func CheckVersionServable(v *SolutionVersion) error {
	if v.Status != StatusActive {
		return Errorf(EResourceInUse, "Solution version %s is in status %s; it must be ACTIVE.", v.ARN, v.Status)
	}
	return nil
}

// CheckCampaignUpdate checks that campaign c may be updated: only from
// ACTIVE or CREATE FAILED, and not to another dataset group's version.
func CheckCampaignUpdate(c, next *Campaign) error {
	if c.Status != StatusActive && c.Status != StatusCreateFailed {
		return Errorf(EResourceInUse, "Campaign %s is in status %s; it must be ACTIVE or CREATE FAILED.", c.ARN, c.Status)
	}
	if next.GroupARN != c.GroupARN {
		return Errorf(EInvalidInput, "Campaign %s cannot serve a solution version of another dataset group.", c.ARN)
	}
	return nil
}

// CheckSolutionUnused fails with EResourceInUse while a campaign serves a
// version of the solution arn, or one of its versions trains.
func CheckSolutionUnused(arn string, campaigns []*Campaign, versions []*SolutionVersion) error {
	var users []string
	for _, c := range campaigns {
		if c.SolutionARN == arn {
			users = append(users, "campaign "+c.ARN)
		}
	}
	for _, v := range versions {
		if v.SolutionARN == arn && Training(v.Status) {
			users = append(users, "solution version "+v.ARN+" ("+v.Status+")")
		}
	}
	if len(users) == 0 {
		return nil
	}
	slices.Sort(users)
	return Errorf(EResourceInUse, "Solution %s is in use by %s. Delete or stop them first.", arn, strings.Join(users, ", "))
}

// CheckVersionUpdate refuses an update of solution version old to next
// that would undo a stop or reopen a training that is over: a version
// being stopped moves only to CREATE STOPPED or CREATE FAILED, and one
// whose training ended does not change. Nor may it move to another
// solution or group (CheckJobUpdate).
func CheckVersionUpdate(old, next *SolutionVersion) error {
	switch {
	case !Training(old.Status):
		return Errorf(EResourceInUse, "Solution version %s is %s: its training is over.", old.ARN, old.Status)
	case old.Status == StatusCreateStopping && next.Status != StatusCreateStopping &&
		next.Status != StatusCreateStopped && next.Status != StatusCreateFailed:
		return Errorf(EResourceInUse, "Solution version %s is being stopped: its training can only end stopped.", old.ARN)
	}
	if err := CheckJobUpdate(old.ARN, old.SolutionARN, next.SolutionARN); err != nil {
		return err
	}
	return CheckJobUpdate(old.ARN, old.GroupARN, next.GroupARN)
}
