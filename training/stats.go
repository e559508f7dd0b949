package training

import (
	"context"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/solutions"
)

// waitingValid is how long Stats trusts its last count of the versions
// waiting in the store: a count reads every version, which a scrape every
// few seconds need not repeat each time.
const waitingValid = 5 * time.Second

// tally is what Stats reports of the trainer's work.
type tally struct {
	running atomic.Int64

	mu        sync.Mutex
	finished  map[string]uint64
	durations map[string]perch.TrainingHistogram
	waiting   int
	waitingAt time.Time
}

// finish counts a training that ended in status after took; an ACTIVE
// one's duration is counted under its recipe.
func (t *tally) finish(recipeARN, status string, took time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.finished == nil {
		t.finished, t.durations = map[string]uint64{}, map[string]perch.TrainingHistogram{}
	}
	t.finished[status]++
	if status != perch.StatusActive {
		return
	}
	name, _, _ := solutions.RecipeOf(recipeARN)
	h := t.durations[name]
	h.Observe(took)
	t.durations[name] = h
}

// finalStatus reports whether a version in status has finished training.
func finalStatus(status string) bool {
	return status == perch.StatusActive || status == perch.StatusCreateFailed || status == perch.StatusCreateStopped
}

// Stats returns what the trainer runs now and has finished since it
// started, and how many versions wait in the store for any trainer.
func (t *Trainer) Stats() perch.TrainingStats {
	waiting := t.waiting()
	t.tally.mu.Lock()
	defer t.tally.mu.Unlock()
	return perch.TrainingStats{
		Running:   int(t.tally.running.Load()),
		Waiting:   waiting,
		Finished:  maps.Clone(t.tally.finished),
		Durations: maps.Clone(t.tally.durations),
	}
}

// waiting counts the versions CREATE PENDING in the store, at most once
// per waitingValid; -1 when the store cannot say.
func (t *Trainer) waiting() int {
	t.tally.mu.Lock()
	if time.Since(t.tally.waitingAt) < waitingValid {
		defer t.tally.mu.Unlock()
		return t.tally.waiting
	}
	t.tally.mu.Unlock()
	ctx, cancel := context.WithTimeout(t.ctx, 2*time.Second)
	defer cancel()
	versions, err := t.rs.SolutionVersions(ctx)
	n := -1
	if err == nil {
		n = 0
		for _, v := range versions {
			if v.Status == perch.StatusCreatePending {
				n++
			}
		}
	}
	t.tally.mu.Lock()
	defer t.tally.mu.Unlock()
	t.tally.waiting, t.tally.waitingAt = n, time.Now()
	return n
}
