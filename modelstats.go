package perch

import (
	"slices"
	"time"
)

// TrainingStats is what a process's trainer does and has done, for the
// metrics, which read it at each scrape without the trainer depending on
// them. Counts start at zero when the process starts.
type TrainingStats struct {
	// Running is how many solution versions this process trains now.
	Running int
	// Waiting is how many solution versions wait in the store for a
	// trainer, every process's (CREATE PENDING); -1 when the store could
	// not say.
	Waiting int
	// Finished counts the trainings this process finished, by the status
	// they ended in: ACTIVE, CREATE FAILED or CREATE STOPPED.
	Finished map[string]uint64
	// Durations is how long this process's ACTIVE trainings took, by
	// recipe name (aws-user-personalization-v2, ...).
	Durations map[string]TrainingHistogram
}

// TrainingBounds are the upper bounds of the buckets of training
// durations: from the seconds a small dataset takes to the hours of a
// large one.
var TrainingBounds = [...]time.Duration{
	time.Second, 5 * time.Second, 15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute,
	5 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour, 3 * time.Hour, 12 * time.Hour,
}

// TrainingHistogram counts durations in the buckets of TrainingBounds, as
// Histogram does in those of LatencyBounds.
type TrainingHistogram struct {
	Counts [len(TrainingBounds) + 1]uint64
	Sum    time.Duration
}

// Observe counts d.
func (h *TrainingHistogram) Observe(d time.Duration) {
	i, _ := slices.BinarySearch(TrainingBounds[:], d)
	h.Counts[i]++
	h.Sum += d
}

// RuntimeStats is what a process's runtime API has answered, and what it
// serves now, for the metrics. Counts start at zero when the process
// starts.
type RuntimeStats struct {
	// Answers counts the runtime's successful answers, by operation and
	// the campaign or recommender ARN that served each.
	Answers map[RuntimeKey]uint64
	// Items counts the items (or actions) those answers carried, each
	// scored and placed by the model.
	Items map[RuntimeKey]uint64
	// Filtered counts the successful answers that applied a filter, by
	// the filter's ARN.
	Filtered map[string]uint64
	// Campaigns are the campaigns and recommenders this process has
	// served, each with its model when loaded.
	Campaigns []ServedCampaign
	// Active is how many campaigns are ACTIVE in the store, every
	// account's; -1 when the store could not say.
	Active int
	// Updates and FailedUpdates count the automatic updates of served
	// models (AWS's two-hourly ones) that ended, and those that failed.
	Updates, FailedUpdates uint64
}

// RuntimeKey names what served runtime answers: the operation
// (GetRecommendations, GetPersonalizedRanking, GetActionRecommendations)
// and the campaign's or recommender's ARN.
type RuntimeKey struct {
	Operation string
	ARN       string
}

// ServedCampaign is a campaign (or recommender) a process serves: the
// version it serves, that version's recipe and the size of its model
// while loaded, 0 when not.
type ServedCampaign struct {
	ARN        string
	Version    string
	Recipe     string
	ModelBytes int
}
