package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/perchdev/perch"
)

// unavailable is the error of a call refused or failed because the
// database cannot be reached.
func unavailable(cause error) *perch.Error {
	return perch.Errorf(perch.EServiceUnavailable, "The database is unavailable: %v", cause)
}

// unknownOutcome is the error of a commit whose connection was lost after
// it was sent: the database may have committed it or not.
func unknownOutcome(cause error) *perch.Error {
	return perch.Errorf(perch.EServiceUnavailable,
		"The database is unavailable; what this call wrote may or may not have been stored: %v", cause)
}

// connectionLost reports whether err says that the database could not be
// reached or the connection to it broke, rather than that it refused a
// statement.
func connectionLost(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"), // connection exception
			pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03", // shutdown, crash, starting up
			pgErr.Code == "53300": // too many connections
			return true
		}
		return false
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		pgconn.Timeout(err) ||
		strings.Contains(err.Error(), "conn closed") || strings.Contains(err.Error(), "unexpected EOF")
}

// pgCode returns the SQLSTATE of err, "" when it is not the server's.
func pgCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// constraintOf returns the constraint err violated, "" when none.
func constraintOf(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.ConstraintName
	}
	return ""
}

// failure turns err, from an operation under ctx (the caller's), into
// what the store answers: the caller's own context error, an error the
// store made itself, or for a lost database ServiceUnavailable, after
// which the store refuses every call until a probe finds it again. sent
// says whether a write may have reached the database: then a lost
// connection leaves the outcome unknown.
func (s *Store) failure(ctx context.Context, err error, sent bool) error {
	if err == nil {
		return nil
	}
	var pe *perch.Error
	if errors.As(err, &pe) || errors.Is(err, perch.ErrLeaseLost) {
		return err
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	if errors.Is(err, context.DeadlineExceeded) && !pgconn.Timeout(err) {
		// Out of time waiting for a connection of the pool: the
		// database answers, but every connection is taken.
		return perch.Errorf(perch.EServiceUnavailable, "All of the store's connections to the database are busy; retry later: %v", err)
	}
	if connectionLost(err) {
		s.breaker.trip(err)
		if sent && !pgconn.SafeToRetry(err) {
			return unknownOutcome(err)
		}
		return unavailable(err)
	}
	if s.isClosed() {
		return ErrClosed
	}
	return err
}

func (s *Store) isClosed() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closed
}

// breaker refuses every call at once while the database is known down,
// so that callers get their ServiceUnavailable in microseconds instead of
// each waiting out a connection attempt; a goroutine probes the database
// meanwhile and closes the breaker when a connection succeeds.
type breaker struct {
	s     *Store
	open  atomic.Pointer[perch.Error] // the refusal while down, nil while up
	mu    sync.Mutex
	probe sync.WaitGroup
	// probing is whether a probe goroutine runs; guarded by mu.
	probing bool
}

func (b *breaker) init(s *Store) { b.s = s }

// refusal returns the error to answer with while the database is down.
func (b *breaker) refusal() error {
	if e := b.open.Load(); e != nil {
		return e
	}
	return nil
}

// trip opens the breaker for cause and starts probing.
func (b *breaker) trip(cause error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.open.Store(unavailable(cause))
	if b.probing || b.s.ctx.Err() != nil {
		return
	}
	b.probing = true
	b.s.log.Error("postgres: the database is unavailable; refusing calls until it answers again", "err", cause)
	// Connections that were open when it went away are dead.
	b.s.pool.Reset()
	b.s.writerPool.Reset()
	b.probe.Go(b.probeUntilUp)
}

// probeUntilUp pings the database until it answers or the store closes.
func (b *breaker) probeUntilUp() {
	s := b.s
	tick := time.NewTicker(s.opts.ProbeInterval)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(s.ctx, s.opts.ConnectTimeout+time.Second)
		err := s.pool.Ping(ctx)
		cancel()
		if err == nil {
			b.mu.Lock()
			b.open.Store(nil)
			b.probing = false
			b.mu.Unlock()
			s.log.Info("postgres: the database answers again")
			return
		}
		b.open.Store(unavailable(err))
		select {
		case <-s.ctx.Done():
			b.mu.Lock()
			b.probing = false
			b.mu.Unlock()
			return
		case <-tick.C:
		}
	}
}

// wait waits for the probe to end, once the store's context has ended.
func (b *breaker) wait() { b.probe.Wait() }
