// Package leases keeps a job's lease while the job runs: the data jobs'
// worker and the trainer hold what they run the same way.
package leases

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/perchdev/perch"
)

// Hold renews owner's lease of the job arn every third of lease, from a
// goroutine of its own, until release is called. The context it returns
// ends when the lease is lost (another owner may take the job over) or
// when ctx ends: the job's work must stop then. release waits for the
// renewals to stop.
func Hold(ctx context.Context, rs perch.ResourceStore, arn, owner string, lease time.Duration, log *slog.Logger) (held context.Context, release func()) {
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
			err := rs.RenewJobLease(held, arn, owner, lease)
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
