package postgres

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/perchdev/perch"
)

// readyPingValid is how long a successful ping of the database stands for
// Ready, so that probes from several load balancers cost the database one
// round trip a second at most.
const readyPingValid = time.Second

// readiness is Ready's last successful ping.
type readiness struct {
	mu     sync.Mutex
	pinged time.Time
}

// Ready reports whether the store can serve now: nil, or why not (closed,
// or the database unavailable). The store otherwise learns that the
// database is down only when a call fails, so Ready pings it when its
// last ping is older than readyPingValid; a lost database trips the same
// breaker a failed call does, so that Stats and every call see it too.
func (s *Store) Ready(ctx context.Context) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	s.ready.mu.Lock()
	defer s.ready.mu.Unlock()
	if time.Since(s.ready.pinged) < readyPingValid {
		return nil
	}
	pctx, cancel := context.WithTimeout(ctx, s.opts.ConnectTimeout)
	defer cancel()
	if err := s.pool.Ping(pctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, context.DeadlineExceeded) && !pgconn.Timeout(err) {
			// Every connection of the pool is taken: the database answers,
			// but this node cannot reach it now (as failure says).
			return perch.Errorf(perch.EServiceUnavailable, "All of the store's connections to the database are busy: %v", err)
		}
		if connectionLost(err) {
			s.breaker.trip(err)
		}
		return unavailable(err)
	}
	s.ready.pinged = time.Now()
	return nil
}
