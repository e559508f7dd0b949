package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/perchdev/perch"
)

// ErrClosed is returned by every method of a closed store.
var ErrClosed = perch.Errorf(perch.EServiceUnavailable, "The store is closed")

// Options tune a store. Zero values take the defaults.
type Options struct {
	// Logger receives the store's messages. Default: discard.
	Logger *slog.Logger
	// MaxConns is the size of the connection pool. Default: the URL's
	// pool_max_conns, else 16. The readers, the resource changes and the
	// bulk loads share it; the writer and each WatchResources have a
	// connection of their own besides.
	MaxConns int32
	// QueueDepth is how many batches may wait for the writer before Commit
	// answers perch.ErrBusy. Default 4096.
	QueueDepth int
	// MaxBatchRecords caps the records the writer gathers into one
	// transaction. A single larger batch is still committed whole.
	// Default 20000.
	MaxBatchRecords int
	// StatementTimeout bounds each statement of a write, on the server
	// (statement_timeout) and in the client, so that a write never hangs
	// on a database that stopped answering. Reads, which stream for as
	// long as their caller reads, are bounded by their context alone.
	// Default 10 s.
	StatementTimeout time.Duration
	// ConnectTimeout bounds each connection attempt, unless the URL sets
	// connect_timeout. Default 2 s.
	ConnectTimeout time.Duration
	// ProbeInterval is how often the store tries the database while it
	// knows it down. Default 250 ms.
	ProbeInterval time.Duration
}

func (o *Options) setDefaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.QueueDepth <= 0 {
		o.QueueDepth = 4096
	}
	if o.MaxBatchRecords <= 0 {
		o.MaxBatchRecords = 20000
	}
	o.MaxBatchRecords = min(o.MaxBatchRecords, maxGroupRecords)
	if o.StatementTimeout <= 0 {
		o.StatementTimeout = 10 * time.Second
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 2 * time.Second
	}
	if o.ProbeInterval <= 0 {
		o.ProbeInterval = 250 * time.Millisecond
	}
}

// defaultMaxConns is the pool's size unless the URL or Options say.
const defaultMaxConns = 16

// Store is a perch.Store kept in a PostgreSQL database, which several
// perch processes may share.
type Store struct {
	pool *pgxpool.Pool
	// writerPool is the writer's single connection.
	writerPool *pgxpool.Pool
	// listenConfig is what WatchResources connects with.
	listenConfig *pgx.ConnConfig
	opts         Options
	log          *slog.Logger

	// mu is held for reading by every operation in progress and for
	// writing by Close, which so waits for them.
	mu     sync.RWMutex
	closed bool
	// ctx ends when the store closes, ending watchers and probes.
	ctx    context.Context
	cancel context.CancelFunc

	queue chan *commitRequest
	done  chan struct{} // closed by the writer once the queue is drained

	breaker  breaker
	counters counters
	ready    readiness

	// countShard is the row of record_counts this writer adds to
	// (migration 8): another node's writer most likely has another, so
	// their commits do not queue on one row.
	countShard int16
}

var (
	_ perch.Store           = (*Store)(nil)
	_ perch.SharedResources = resources{}
)

//go:embed migrations/*.sql
var migrations embed.FS

// versionTable is the table where goose records the schema's version.
const versionTable = "perch_schema_version"

// Open connects to the database at url (postgres:// or postgresql://, as
// pgx reads it, pool settings such as pool_max_conns included), brings its
// schema up to this build's version and starts the store's writer. Several
// processes may open one database at once: the migrations run under an
// advisory lock. A database whose schema is newer than this build knows
// is refused.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	opts.setDefaults()
	if !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") {
		return nil, errors.New("postgres: the database URL must start with postgres:// or postgresql://")
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	switch {
	case opts.MaxConns > 0:
		cfg.MaxConns = opts.MaxConns
	case !strings.Contains(url, "pool_max_conns"):
		cfg.MaxConns = defaultMaxConns
	}
	if !strings.Contains(url, "connect_timeout") {
		cfg.ConnConfig.ConnectTimeout = opts.ConnectTimeout
	}
	params := cfg.ConnConfig.RuntimeParams
	// Every commit waits for its WAL to be flushed, whatever the server's
	// default: a nil error from a write means durable.
	params["synchronous_commit"] = "on"
	params["statement_timeout"] = fmt.Sprint(opts.StatementTimeout.Milliseconds())
	if params["application_name"] == "" {
		params["application_name"] = "perch"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	// The writer has a connection of its own, so that reads holding every
	// connection of the pool (exports streaming for minutes) never hold
	// the events API's commits back.
	writerConfig := cfg.Copy()
	writerConfig.MaxConns, writerConfig.MinConns = 1, 0
	writerPool, err := pgxpool.NewWithConfig(ctx, writerConfig)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	listenConfig := cfg.ConnConfig.Copy()
	// The listening connection idles for as long as nothing changes: the
	// kernel's keepalives find out soon when the database is gone.
	listenConfig.DialFunc = (&net.Dialer{KeepAliveConfig: net.KeepAliveConfig{
		Enable: true, Idle: 15 * time.Second, Interval: 5 * time.Second, Count: 3}}).DialContext
	s := &Store{
		pool:         pool,
		writerPool:   writerPool,
		listenConfig: listenConfig,
		opts:         opts,
		log:          opts.Logger,
		queue:        make(chan *commitRequest, opts.QueueDepth),
		done:         make(chan struct{}),
		countShard:   int16(1 + rand.IntN(63)),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.breaker.init(s)
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		writerPool.Close()
		s.cancel()
		return nil, err
	}
	s.dropAbandonedGenerations(ctx)
	go s.write()
	return s, nil
}

// migrate applies the migrations this build has and the database lacks,
// under goose's session advisory lock, so that nodes starting together
// apply each once.
func (s *Store) migrate(ctx context.Context) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return err
	}
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithSessionLocker(locker), goose.WithTableName(versionTable), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	var newest int64
	for _, src := range provider.ListSources() {
		newest = max(newest, src.Version)
	}
	// Before and after: a node of a newer build may migrate between the
	// look and our own run, which would then apply nothing.
	if err := s.refuseNewer(ctx, newest); err != nil {
		return err
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("postgres: applying migrations: %w", err)
	}
	return s.refuseNewer(ctx, newest)
}

// refuseNewer fails when the database's schema is of a version newer than
// newest, this build's.
func (s *Store) refuseNewer(ctx context.Context, newest int64) error {
	var exists bool
	if err := s.pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", versionTable).Scan(&exists); err != nil {
		return fmt.Errorf("postgres: reading the schema's version: %w", err)
	}
	if !exists {
		return nil
	}
	var version *int64
	if err := s.pool.QueryRow(ctx, "SELECT max(version_id) FROM "+versionTable+" WHERE is_applied").Scan(&version); err != nil {
		return fmt.Errorf("postgres: reading the schema's version: %w", err)
	}
	if version != nil && *version > newest {
		return fmt.Errorf("postgres: the database's schema is at version %d, newer than this build's newest, %d: run a newer perch", *version, newest)
	}
	return nil
}

// abandonedAfter is how long a staged generation goes untouched before it
// counts as abandoned: its import's process died. Imports add to their
// generation every few seconds at most.
const abandonedAfter = 24 * time.Hour

// dropAbandonedGenerations deletes the rows of generations that a FULL
// import dropped (whose deletion was cut short) and of imports abandoned
// long ago. Readers never see either, so a failure here only leaves
// garbage for the next opening.
func (s *Store) dropAbandonedGenerations(ctx context.Context) {
	rows, err := s.pool.Query(ctx, `SELECT dataset_id, gen FROM bulk_generations
		WHERE state = 'dropped' OR (state = 'staged' AND touched < now() - $1::interval)`,
		fmt.Sprintf("%d seconds", int(abandonedAfter.Seconds())))
	if err != nil {
		s.log.Warn("postgres: looking for abandoned bulk generations", "err", err)
		return
	}
	type generation struct{ dataset, gen int64 }
	gens, err := pgx.CollectRows(rows, pgx.RowToStructByPos[generation])
	if err != nil {
		s.log.Warn("postgres: looking for abandoned bulk generations", "err", err)
		return
	}
	for _, g := range gens {
		if err := s.deleteGenerations(ctx, g.dataset, []int64{g.gen}); err != nil {
			s.log.Warn("postgres: deleting an abandoned bulk generation", "dataset", g.dataset, "gen", g.gen, "err", err)
		}
	}
}

// Close refuses new operations, waits for those in progress, commits what
// is queued and closes the pool.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	close(s.queue)
	<-s.done
	s.cancel()
	s.breaker.wait()
	s.pool.Close()
	s.writerPool.Close()
	return nil
}

// enter admits an operation, unless the store is closed or knows the
// database down; leave ends it.
func (s *Store) enter() error {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	if err := s.breaker.refusal(); err != nil {
		s.mu.RUnlock()
		return err
	}
	return nil
}

func (s *Store) leave() { s.mu.RUnlock() }

// writeContext bounds a write by the statement timeout (and a little, for
// the round trips around the statements), within ctx.
func (s *Store) writeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.opts.StatementTimeout+time.Second)
}

// Resources implements perch.Store.
func (s *Store) Resources() perch.ResourceStore { return resources{s} }

// Shared is the store's resources as perch.SharedResources.
func (s *Store) Shared() perch.SharedResources { return resources{s} }

// counters are the writer's tallies behind Stats; atomic so that Stats
// reads them while the writer runs.
type counters struct {
	groups, failedGroups, batches, records atomic.Uint64
	queueWait, groupCommit                 perch.LatencyCounter
}

// Stats returns what the writer has done since Open and the store's state
// now. It does not touch the database.
func (s *Store) Stats() perch.StoreStats {
	c := &s.counters
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	return perch.StoreStats{
		Commits:        c.groups.Load(),
		FailedCommits:  c.failedGroups.Load(),
		Batches:        c.batches.Load(),
		Records:        c.records.Load(),
		QueueWait:      c.queueWait.Load(),
		CommitDuration: c.groupCommit.Load(),
		Queued:         len(s.queue),
		QueueCapacity:  cap(s.queue),
		Available:      !closed && s.breaker.refusal() == nil,
	}
}
