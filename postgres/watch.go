package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Backoff of WatchResources' reconnections.
const (
	watchRetryMin = 100 * time.Millisecond
	watchRetryMax = 5 * time.Second
)

// WatchResources implements perch.SharedResources. It LISTENs on a
// connection of its own, outside the pool, so that a long wait never
// holds a connection the writer or the readers need. The first connection
// is made before it returns, so that a change committed after the call is
// heard of; when it fails, or later drops, the watcher reconnects with
// backoff and calls changed once connected again, for what it may have
// missed meanwhile.
func (r resources) WatchResources(ctx context.Context, changed func()) error {
	s := r.s
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	// The watch ends with ctx or with the store.
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, cancel)
	conn, err := s.listen(ctx)
	if err != nil {
		s.log.Warn("postgres: listening for changes of resources; retrying", "err", err)
	}
	go func() {
		defer stop()
		defer cancel()
		s.watch(ctx, conn, changed)
	}()
	return nil
}

// listen connects and LISTENs for changes of resources.
func (s *Store) listen(ctx context.Context) (*pgx.Conn, error) {
	cctx, cancel := context.WithTimeout(ctx, s.opts.ConnectTimeout+s.opts.StatementTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, s.listenConfig)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(cctx, "LISTEN "+notifyChannel); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	return conn, nil
}

// watch calls changed for each notification on conn (nil if it has
// none yet) until ctx ends, reconnecting whenever conn is lost.
func (s *Store) watch(ctx context.Context, conn *pgx.Conn, changed func()) {
	retry := watchRetryMin
	for {
		if conn == nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(retry):
			}
			var err error
			if conn, err = s.listen(ctx); err != nil {
				retry = min(2*retry, watchRetryMax)
				continue
			}
			retry = watchRetryMin
			s.log.Info("postgres: listening for changes of resources again")
			changed()
		}
		_, err := conn.WaitForNotification(ctx)
		if err == nil {
			changed()
			continue
		}
		conn.Close(context.Background())
		conn = nil
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("postgres: lost the connection that listens for changes of resources", "err", err)
	}
}
