// Package leases keeps a job's lease while the job runs: the data jobs'
// worker and the trainer hold what they run the same way.
package leases

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/perchdev/perch"
)

// Hold renews owner's lease of the job arn every third of lease, from a
// goroutine of its own, until release is called. The context it returns
// ends when the lease is lost (another owner may take the job over) or
// when ctx ends: the job's work must stop then. release waits for the
// renewals to stop.
//
// When progress is not nil, each renewal also records how far it says
// the job has got (perch.ResourceStore.ReportJobProgress), so that a
// job's progress costs one write per renewal whatever its size.
func Hold(ctx context.Context, rs perch.ResourceStore, arn, owner string, lease time.Duration, log *slog.Logger, progress *Progress) (held context.Context, release func()) {
	held, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(lease / 3)
		defer tick.Stop()
		for {
			select {
			case <-held.Done():
				return
			case <-tick.C:
			}
			var err error
			if p, ok := progress.get(); ok {
				err = rs.ReportJobProgress(held, arn, owner, lease, p)
			} else {
				err = rs.RenewJobLease(held, arn, owner, lease)
			}
			switch {
			case errors.Is(err, perch.ErrLeaseLost):
				log.Warn("lost the lease of a running job; another process may take it over", "job", arn)
				stop()
				return
			case err != nil && held.Err() == nil:
				log.Warn("renewing a job's lease", "job", arn, "err", err)
			}
		}
	}()
	return held, func() {
		stop()
		<-done
	}
}

// Progress is how far a running job has got, counted by the job and read
// by Hold's renewals. The zero Progress has nothing to report until
// Start. Its methods may be called from several goroutines; Add, which a
// job may call for each record, is one atomic addition.
type Progress struct {
	done    atomic.Int64
	mu      sync.Mutex
	unit    string
	total   int64
	started bool
}

// Start begins a count in unit from zero, of total when it is known up
// front (0 when not): a job that works in passes starts each one.
func (g *Progress) Start(unit string, total int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.unit, g.total, g.started = unit, total, true
	g.done.Store(0)
}

// Add counts n more units done.
func (g *Progress) Add(n int64) { g.done.Add(n) }

// get returns the count so far; false before Start (or for a nil
// Progress).
func (g *Progress) get() (perch.JobProgress, bool) {
	if g == nil {
		return perch.JobProgress{}, false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return perch.JobProgress{Done: g.done.Load(), Unit: g.unit, Total: g.total}, g.started
}
