package pebble

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	pdb "github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/perchdev/perch"
)

// ErrClosed is returned by every method of a closed store.
var ErrClosed = perch.Errorf(perch.EServiceUnavailable, "The store is closed")

// Options tune a store. Zero values take the defaults.
type Options struct {
	// QueueDepth is how many batches may wait for the writer before Commit
	// answers perch.ErrBusy. Default 4096.
	QueueDepth int
	// MaxBatchRecords caps the records the writer gathers into one synced
	// commit. A single larger batch is still committed whole. Default 20000.
	MaxBatchRecords int
	// Logger receives the engine's messages: informational ones at debug
	// level, errors at error level. Default: discard.
	Logger *slog.Logger
	// MemTableSize is the size of each of the engine's memtables. Default
	// 64 MiB.
	MemTableSize uint64
	// CacheSize is the size of the engine's block cache. Default 128 MiB.
	CacheSize int64
	// MinFreeBytes is the free space the data directory's file system must
	// keep: while less is free, writes are refused with ServiceUnavailable
	// instead of letting the engine run out of space mid-write. The engine
	// needs room to flush its memtables, so the default is twice
	// MemTableSize. A negative value turns the check off.
	MinFreeBytes int64
	// WALDir is the directory of the engine's write-ahead log, created if
	// missing. Default: the store's directory. Every commit waits for a
	// sync of the log; on a disk of its own, that sync no longer waits
	// behind the tables the engine writes. The store may be reopened with
	// another WALDir (or none): it replays the logs left in the old one.
	// MinFreeBytes applies to this directory's file system too.
	WALDir string
	// MinSyncInterval is the least time from the end of one sync of the
	// write-ahead log to the start of the next: commits that come sooner
	// wait for the next sync together. A commit after a quiet spell
	// waits for nothing. Default DefaultMinSyncInterval; a negative value
	// syncs as soon as a commit asks.
	MinSyncInterval time.Duration
	// Tuning shapes the engine's compactions and value separation. The
	// zero value is Pebble's own defaults; MeasuredTuning is what perch
	// serves with.
	Tuning Tuning

	// beforeApply, when set, runs in the writer before each group is applied;
	// an error fails the group as a failed commit would. Tests use it to hold
	// the writer still and to fail commits.
	beforeApply func() error
}

func (o *Options) setDefaults() {
	if o.QueueDepth <= 0 {
		o.QueueDepth = 4096
	}
	if o.MaxBatchRecords <= 0 {
		o.MaxBatchRecords = 20000
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MemTableSize == 0 {
		o.MemTableSize = 64 << 20
	}
	if o.CacheSize <= 0 {
		o.CacheSize = 128 << 20
	}
	if o.MinFreeBytes == 0 {
		o.MinFreeBytes = 2 * int64(o.MemTableSize)
	}
	if o.MinSyncInterval == 0 {
		o.MinSyncInterval = DefaultMinSyncInterval
	}
}

// DefaultMinSyncInterval spaces the log's syncs by a quarter of a
// millisecond: at 4,000 calls/s on the machine of BENCHMARKS.md (runs in
// docs/bench/history.md) it made commit groups a third larger and took
// 10% of the server's CPU per call off (the syncs and the wake-ups around
// them), and the median p99 of twelve runs went from 14.6 to 13.4 ms for
// 0.4 ms more at the p50. At full load the syncs take longer than that
// anyway.
const DefaultMinSyncInterval = 250 * time.Microsecond

// Store is a perch.Store kept in a Pebble database in one directory (its
// write-ahead log possibly in another).
type Store struct {
	dir string
	// walDir is the absolute log directory, or "" for dir; walLock holds
	// it for this store.
	walDir  string
	walLock io.Closer
	db      *pdb.DB // replaced only while the gate is paused and idle, under writeMu
	opts    Options
	log     *slog.Logger
	gate    gate

	// queue carries batches from Commit to the writer goroutine, which
	// closes done when queue is closed and drained.
	queue chan *commitRequest
	done  chan struct{}

	// resMu makes each change of resources, with the reads its rules
	// need, one step that no other change of resources comes into. It is
	// taken before writeMu, never while holding it.
	resMu sync.Mutex
	// leases are the leases of jobs and of solution versions in training
	// (ClaimJob), by ARN; guarded by resMu. They live in memory: only
	// this process uses the store, and when it ends every lease ends with
	// it.
	leases map[string]jobLease
	// writeMu orders the writer's commits with DeleteDataset, so that no
	// commit lands records in a dataset after its deletion.
	writeMu sync.Mutex
	deleted map[uint64]bool // datasets deleted since Open; guarded by writeMu
	failed  error           // why writes are refused while the store recovers; guarded by writeMu
	seq     uint64          // last sequence number assigned; owned by the writer
	// dataSpace and walSpace are the last looks at the free space of the
	// data and log directories' file systems before a write; guarded by
	// writeMu.
	dataSpace, walSpace spaceLook
	// diskUsage reads a file system's free space, and a look stands for
	// spaceLookFor (vfs.Default's and spaceLookValid, but for tests).
	diskUsage    func(dir string) (vfs.DiskUsage, error)
	spaceLookFor time.Duration

	// stop is closed by Close to end a recovery in progress; recovered is
	// closed when no recovery runs any more.
	stop      chan struct{}
	recovered chan struct{}

	counters counters // for Stats

	idMu      sync.Mutex
	datasetID uint64 // last dataset id handed out; guarded by idMu
	gen       uint64 // last bulk generation handed out; guarded by idMu
}

var _ perch.Store = (*Store)(nil)

// Open opens the store in dir, creating it if needed, and starts its
// writer. Open refuses a directory that holds another kind of Pebble
// database or a store in another format version than this build's.
func Open(dir string, opts Options) (*Store, error) {
	opts.setDefaults()
	s := &Store{
		dir:          dir,
		opts:         opts,
		log:          opts.Logger,
		queue:        make(chan *commitRequest, opts.QueueDepth),
		done:         make(chan struct{}),
		deleted:      make(map[uint64]bool),
		leases:       make(map[string]jobLease),
		stop:         make(chan struct{}),
		recovered:    make(chan struct{}),
		diskUsage:    vfs.Default.GetDiskUsage,
		spaceLookFor: spaceLookValid,
	}
	close(s.recovered)
	db, err := s.open()
	if err != nil {
		return nil, fmt.Errorf("pebble: opening %s: %w", dir, err)
	}
	s.db = db
	if err := s.load(); err != nil {
		return nil, fmt.Errorf("pebble: opening %s: %w", dir, errors.Join(err, s.closeFiles()))
	}
	go s.write()
	return s, nil
}

// open locks the log directory, if the store has one of its own, and
// opens the database.
func (s *Store) open() (*pdb.DB, error) {
	walDir, err := resolveWALDir(s.dir, s.opts.WALDir)
	if err != nil {
		return nil, err
	}
	if walDir != "" {
		if s.walLock, err = lockWALDir(walDir); err != nil {
			return nil, err
		}
		s.walDir = walDir
	}
	if err := s.checkSpace(); err != nil {
		return nil, errors.Join(err, s.closeFiles())
	}
	db, err := s.openDB()
	if err != nil {
		return nil, errors.Join(err, s.closeFiles())
	}
	return db, nil
}

// closeFiles closes the database, if open, and releases the log
// directory.
func (s *Store) closeFiles() error {
	var err error
	if s.db != nil {
		err = closeDB(s.db)
	}
	if s.walLock != nil {
		err = errors.Join(err, s.walLock.Close())
	}
	return err
}

// openDB opens the Pebble database. The engine reports some write failures
// by calling its logger's Fatalf, which panics; that panic is an error here.
func (s *Store) openDB() (db *pdb.DB, err error) {
	defer recoverEngineFatal(&err)
	logger := engineLogger{s.opts.Logger.With("component", "pebble")}
	opts := &pdb.Options{
		MemTableSize:       s.opts.MemTableSize,
		CacheSize:          s.opts.CacheSize,
		FormatMajorVersion: pdb.FormatNewest,
		Logger:             logger,
		EventListener:      engineEvents(logger, &s.counters),
		FS:                 walFS{vfs.Default},
		WALDir:             s.walDir,
	}
	if interval := s.opts.MinSyncInterval; interval > 0 {
		opts.WALMinSyncInterval = func() time.Duration { return interval }
	}
	recovery, err := walRecoveryDirs(s.dir, s.walDir)
	if err != nil {
		return nil, err
	}
	opts.WALRecoveryDirs = recovery
	s.opts.Tuning.apply(opts)
	if db, err = pdb.Open(s.dir, opts); err == nil && len(recovery) > 0 {
		s.log.Info("write-ahead log moved; the old one was replayed", "from", recovery[0].Dirname, "to", cmp.Or(s.walDir, s.dir))
	}
	return db, err
}

// engineEvents logs the engine's flushes, compactions and files at debug
// level, where they explain a latency timeline (perch-bench --timeline),
// and its write stalls, during which every commit waits, as warnings; it
// counts the stalls in c.
func engineEvents(l engineLogger, c *counters) *pdb.EventListener {
	events := pdb.MakeLoggingEventListener(l)
	events.WriteStallBegin = func(info pdb.WriteStallBeginInfo) {
		c.stallBegan()
		l.log.Warn("writes stall until the engine's background work catches up", "reason", info.Reason)
	}
	events.WriteStallEnd = func() {
		c.stallEnded()
		l.log.Info("writes no longer stall")
	}
	return &events
}

// load checks the format version, writing it into a new store, and reads
// the counters. It runs before the store is shared.
func (s *Store) load() error {
	version, err := getUint64(s.db, keyVersion)
	switch {
	case errors.Is(err, pdb.ErrNotFound):
		empty, err := s.isEmpty()
		if err != nil {
			return err
		}
		if !empty {
			return errors.New("the directory holds a database that is not a perch store")
		}
		if err := s.db.Set(keyVersion, encodeUint64(formatVersion), pdb.Sync); err != nil {
			return err
		}
	case err != nil:
		return err
	case version != formatVersion:
		return fmt.Errorf("the store is in format version %d; this build reads only version %d", version, formatVersion)
	}
	if s.seq, err = getUint64(s.db, keySeq); err != nil && !errors.Is(err, pdb.ErrNotFound) {
		return err
	}
	if s.datasetID, err = getUint64(s.db, keyDatasetID); err != nil && !errors.Is(err, pdb.ErrNotFound) {
		return err
	}
	if s.gen, err = getUint64(s.db, keyGen); err != nil && !errors.Is(err, pdb.ErrNotFound) {
		return err
	}
	if err := s.dropStaging(); err != nil {
		return err
	}
	return s.backfillCounts()
}

func getUint64(db *pdb.DB, key []byte) (uint64, error) {
	v, closer, err := db.Get(key)
	if err != nil {
		return 0, err
	}
	defer closer.Close()
	return decodeUint64(v)
}

func (s *Store) isEmpty() (bool, error) {
	it, err := s.db.NewIter(nil)
	if err != nil {
		return false, err
	}
	empty := !it.First()
	return empty, errors.Join(it.Error(), it.Close())
}

// closeKeepingError closes c and reports its error in *err, unless *err
// already holds one (which callers compare, such as a read callback's).
func closeKeepingError(c io.Closer, err *error) {
	if cerr := c.Close(); *err == nil {
		*err = cerr
	}
}

// Resources returns the catalog of resources, kept in the same database.
func (s *Store) Resources() perch.ResourceStore { return resources{s} }

// Close waits for the operations in progress, including every commit
// already queued, refuses new ones with ErrClosed, and closes the database.
// Closing a closed store returns ErrClosed.
func (s *Store) Close() error {
	if !s.gate.close() {
		return ErrClosed
	}
	s.writeMu.Lock()
	close(s.stop)
	recovering := s.recovered
	s.writeMu.Unlock()
	<-recovering
	close(s.queue)
	<-s.done
	// s.db is nil if a recovery was stopped before it could reopen.
	return s.closeFiles()
}

// gate counts the operations in progress so that Close can wait for them.
// Unlike a sync.RWMutex it lets an operation start another (a read callback
// that reads again) while Close waits: the inner one fails with ErrClosed
// instead of deadlocking.
//
// While the store recovers from a failed write the gate is paused: new
// operations are refused with the pause's error, and long reads notice
// (interrupted) and stop, so that the recovery need not wait for a slow
// client.
type gate struct {
	mu     sync.Mutex
	idle   *sync.Cond // signalled when active drops to zero
	closed bool
	paused error // why operations are refused for now, if they are
	active int

	interrupt atomic.Bool // paused, for reads to poll without the lock
}

func (g *gate) enter() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return ErrClosed
	}
	if g.paused != nil {
		return g.paused
	}
	g.active++
	return nil
}

func (g *gate) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.active--
	if g.active == 0 && g.idle != nil {
		g.idle.Broadcast()
	}
}

// close refuses new operations and waits for the active ones to leave. It
// reports false if the gate was already closed.
func (g *gate) close() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.closed = true
	g.waitIdle()
	return true
}

// pause refuses new operations with why, asks long reads to stop, and
// waits for the active operations to leave.
func (g *gate) pause(why error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.paused = why
	g.interrupt.Store(true)
	g.waitIdle()
}

// resume lets operations in again after a pause.
func (g *gate) resume() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.paused = nil
	g.interrupt.Store(false)
}

// interrupted reports whether a pause asks long operations to stop.
func (g *gate) interrupted() bool { return g.interrupt.Load() }

// waitIdle waits, with g.mu held, until no operation is active.
func (g *gate) waitIdle() {
	if g.idle == nil {
		g.idle = sync.NewCond(&g.mu)
	}
	for g.active > 0 {
		g.idle.Wait()
	}
}

// engineLogger routes Pebble's log into slog. Pebble reports routine
// activity (flushes, compactions) as information, which a server's log
// wants only when debugging.
type engineLogger struct{ log *slog.Logger }

func (l engineLogger) Infof(format string, args ...any) {
	if l.log.Enabled(context.Background(), slog.LevelDebug) {
		l.log.Debug(fmt.Sprintf(format, args...))
	}
}

func (l engineLogger) Errorf(format string, args ...any) {
	l.log.Error(fmt.Sprintf(format, args...))
}

// Fatalf reports an error Pebble cannot continue from; it must not return.
// Pebble calls it for a failed WAL write in the goroutine that committed,
// where the store recovers the panic (see recoverEngineFatal); from its own
// background goroutines it ends the process.
func (l engineLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.log.Error(msg)
	panic(engineFatal{errors.New("pebble: " + msg)})
}
