package pebble

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	pdb "github.com/cockroachdb/pebble/v2"

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
}

// Store is a perch.Store kept in a Pebble database in one directory.
type Store struct {
	db   *pdb.DB
	opts Options
	log  *slog.Logger
	gate gate

	// queue carries batches from Commit to the writer goroutine, which
	// closes done when queue is closed and drained.
	queue chan *commitRequest
	done  chan struct{}

	// writeMu orders the writer's commits with DeleteDataset, so that no
	// commit lands records in a dataset after its deletion.
	writeMu sync.Mutex
	deleted map[uint64]bool // datasets deleted since Open; guarded by writeMu
	failed  error           // why commits are refused since one failed; guarded by writeMu
	seq     uint64          // last sequence number assigned; owned by the writer

	idMu      sync.Mutex
	datasetID uint64 // last dataset id handed out; guarded by idMu
	gen       uint64 // last bulk generation handed out; guarded by idMu
}

var _ perch.Store = (*Store)(nil)

// Open opens the store in dir, creating it if needed, and starts its
// writer. Open refuses a directory that holds another kind of Pebble
// database or a store in an unknown format version.
func Open(dir string, opts Options) (*Store, error) {
	opts.setDefaults()
	db, err := pdb.Open(dir, &pdb.Options{
		MemTableSize:       opts.MemTableSize,
		CacheSize:          opts.CacheSize,
		FormatMajorVersion: pdb.FormatNewest,
		Logger:             engineLogger{opts.Logger.With("component", "pebble")},
	})
	if err != nil {
		return nil, fmt.Errorf("pebble: opening %s: %w", dir, err)
	}
	s := &Store{
		db:      db,
		opts:    opts,
		log:     opts.Logger,
		queue:   make(chan *commitRequest, opts.QueueDepth),
		done:    make(chan struct{}),
		deleted: make(map[uint64]bool),
	}
	if err := s.load(); err != nil {
		db.Close()
		return nil, fmt.Errorf("pebble: opening %s: %w", dir, err)
	}
	go s.write()
	return s, nil
}

// load checks the format version, writing it into a new store, and reads
// the counters.
func (s *Store) load() error {
	version, err := s.getUint64(keyVersion)
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
	case version == formatVersionNoBulk:
		if err := s.db.Set(keyVersion, encodeUint64(formatVersion), pdb.Sync); err != nil {
			return err
		}
	case version != formatVersion:
		return fmt.Errorf("the store is in format version %d; this build reads versions %d and %d",
			version, formatVersionNoBulk, formatVersion)
	}
	if s.seq, err = s.getUint64(keySeq); err != nil && !errors.Is(err, pdb.ErrNotFound) {
		return err
	}
	if s.datasetID, err = s.getUint64(keyDatasetID); err != nil && !errors.Is(err, pdb.ErrNotFound) {
		return err
	}
	if s.gen, err = s.getUint64(keyGen); err != nil && !errors.Is(err, pdb.ErrNotFound) {
		return err
	}
	return s.dropStaging()
}

func (s *Store) getUint64(key []byte) (uint64, error) {
	v, closer, err := s.db.Get(key)
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
	close(s.queue)
	<-s.done
	return s.db.Close()
}

// gate counts the operations in progress so that Close can wait for them.
// Unlike a sync.RWMutex it lets an operation start another (a read callback
// that reads again) while Close waits: the inner one fails with ErrClosed
// instead of deadlocking.
type gate struct {
	mu     sync.Mutex
	idle   *sync.Cond // made by close; signalled when active drops to zero
	closed bool
	active int
}

func (g *gate) enter() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return ErrClosed
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
	g.idle = sync.NewCond(&g.mu)
	for g.active > 0 {
		g.idle.Wait()
	}
	return true
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
func (l engineLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.log.Error(msg)
	panic("pebble: " + msg)
}
