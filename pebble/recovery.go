package pebble

import (
	"errors"
	"fmt"
	"math"
	"syscall"
	"time"

	pdb "github.com/cockroachdb/pebble/v2"

	"github.com/perchdev/perch"
)

// What Pebble does when a write fails, and so what the store does.
//
// A failed write to the write-ahead log (no space left, an I/O error)
// leaves the log writer failed for good: Pebble reports the failed commit
// through its logger's Fatalf, and would panic on the next one. What the
// failed commit left in the log is unknown until the log is replayed. So
// the store never writes to a database after a failed write: it refuses
// every operation with ServiceUnavailable, closes the database, and opens
// it again (which replays the log and settles what is stored) as soon as
// there is room, retrying with backoff.
//
// Pebble's background work (flushes, compactions) fails more gently: a
// compaction or flush that cannot write is retried later. But a failed
// write of its MANIFEST is fatal in whichever goroutine it happens, and
// the process ends; the log keeps every acknowledged record for the next
// start. To keep the engine away from that edge, writes are refused while
// the file system has less than Options.MinFreeBytes free, which leaves
// room for the memtables to be flushed.

// engineFatal is the panic value of engineLogger.Fatalf. As an error, it
// prints as its message if the panic ends the process.
type engineFatal struct{ err error }

func (f engineFatal) Error() string { return f.err.Error() }

// recoverEngineFatal turns a panic of engineLogger.Fatalf in the calling
// goroutine into *err. Any other panic goes on.
func recoverEngineFatal(err *error) {
	if r := recover(); r != nil {
		f, ok := r.(engineFatal)
		if !ok {
			panic(r)
		}
		*err = f.err
	}
}

// errRecovering is what operations get while the store recovers.
var errRecovering = perch.Errorf(perch.EServiceUnavailable,
	"The store is recovering from a failed write and takes no requests for the moment; retry with backoff")

// checkSpace fails with ServiceUnavailable when the data directory's file
// system, or the log directory's, has less than MinFreeBytes free.
func (s *Store) checkSpace() error {
	if s.opts.MinFreeBytes < 0 {
		return nil
	}
	return s.checkDirs(func(dir, what string, _ *spaceLook) error {
		_, err := s.freeSpaceIn(dir, what)
		return err
	})
}

// checkDirs runs check on the data directory and then, if it has room, on
// the log's directory when it has one of its own, with each one's last
// look at its space; the outcome is what Stats reports as ShortOfSpace.
func (s *Store) checkDirs(check func(dir, what string, look *spaceLook) error) error {
	err := check(s.dir, "data directory", &s.dataSpace)
	if err == nil && s.walDir != "" {
		err = check(s.walDir, "write-ahead log directory", &s.walSpace)
	}
	s.counters.shortOfSpace.Store(err != nil)
	return err
}

// freeSpaceIn returns the free space of dir's file system and, when it is
// under MinFreeBytes, the error that refuses writes. A directory that
// cannot be looked at counts as having room but no bytes to spare: a store
// being created may not have its directory yet; Pebble makes it, so the
// check applies from the next write on.
func (s *Store) freeSpaceIn(dir, what string) (int64, error) {
	usage, err := s.diskUsage(dir)
	if err != nil {
		return 0, nil
	}
	free := int64(min(usage.AvailBytes, math.MaxInt64))
	if free < s.opts.MinFreeBytes {
		return free, perch.Errorf(perch.EServiceUnavailable,
			"Insufficient storage: the %s has %d bytes free, less than the %d the server keeps in reserve; writes are refused until space is freed",
			what, free, s.opts.MinFreeBytes)
	}
	return free, nil
}

// spaceLookValid is how long a look at a file system's free space may
// stand for the writes after it.
const spaceLookValid = 50 * time.Millisecond

// spaceLook is a file system's free space as last seen before a write,
// and the bytes written since.
type spaceLook struct {
	at      time.Time
	free    int64
	written int64
}

// checkSpaceToWrite is checkSpace before a write of n bytes, looking at a
// file system again only when its last look is older than spaceLookValid
// or the batches written since it could have taken a quarter of the space
// that was above the reserve (a quarter, as the engine writes each byte
// more than once: to the log, then to its tables): close to the reserve,
// every write looks again. A look (statfs) for every group commit was 1.5%
// of the server's CPU at half of its maximum rate, on the writer's serial
// path. Callers hold writeMu.
func (s *Store) checkSpaceToWrite(n int64) error {
	if s.opts.MinFreeBytes < 0 {
		return nil
	}
	now := time.Now()
	return s.checkDirs(func(dir, what string, look *spaceLook) error {
		return s.lookAtSpace(look, dir, what, now, n)
	})
}

func (s *Store) lookAtSpace(look *spaceLook, dir, what string, now time.Time, n int64) error {
	if now.Sub(look.at) < s.spaceLookFor && look.written+n <= (look.free-s.opts.MinFreeBytes)/4 {
		look.written += n
		return nil
	}
	free, err := s.freeSpaceIn(dir, what)
	if err != nil {
		*look = spaceLook{}
		return err
	}
	*look = spaceLook{at: now, free: free, written: n}
	return nil
}

// apply commits b with a sync, unless the store is recovering or, when
// needsSpace says the write adds data, the disk is short of space. before,
// if not nil, runs first and fails the commit with its error. A failed
// commit starts a recovery. Callers hold writeMu.
func (s *Store) apply(b *pdb.Batch, needsSpace bool, before func() error) (err error) {
	return s.applyWith(b, pdb.Sync, needsSpace, before)
}

// applyWith is apply with the given write options: pdb.NoSync for writes a
// later synced commit covers, such as an import's staged records.
// Batches given to it must not be bound to a database (make them with
// new(pdb.Batch)): the database is replaced when the store recovers.
func (s *Store) applyWith(b *pdb.Batch, opts *pdb.WriteOptions, needsSpace bool, before func() error) (err error) {
	if s.failed != nil {
		return s.failed
	}
	if needsSpace {
		if err := s.checkSpaceToWrite(int64(b.Len())); err != nil {
			return err
		}
	}
	if before != nil {
		err = before()
	}
	if err == nil {
		err = func() (err error) {
			defer recoverEngineFatal(&err)
			return s.db.Apply(b, opts)
		}()
	}
	if err != nil {
		s.log.Error("write failed; recovering the store", "err", err)
		// The failure may be a full disk that the last looks did not see
		// coming; the writes after the recovery look again.
		s.dataSpace, s.walSpace = spaceLook{}, spaceLook{}
		s.startRecovery()
		return writeFailure(err)
	}
	return nil
}

// writeFailure is what the client of a failed write is told: the kind of
// failure, without file names (the log has the whole error).
func writeFailure(err error) error {
	cause := "an I/O error"
	if errors.Is(err, syscall.ENOSPC) {
		cause = "no space left on the device"
	}
	return perch.Errorf(perch.EServiceUnavailable,
		"The write could not be completed (%s); it may or may not have been stored. Retry with backoff", cause)
}

// startRecovery refuses every write from now on and, unless the store is
// closing, starts the recovery. Callers hold writeMu.
func (s *Store) startRecovery() {
	if s.failed != nil {
		return
	}
	s.failed = errRecovering
	select {
	case <-s.stop:
		return // Close will close the database
	default:
	}
	done := make(chan struct{})
	s.recovered = done
	go func() {
		defer close(done)
		s.recover()
	}()
}

// recover closes the database and opens it again once there is room, until
// it succeeds or the store is closed.
func (s *Store) recover() {
	s.gate.pause(errRecovering)
	defer s.gate.resume()
	s.writeMu.Lock()
	old := s.db
	s.db = nil
	s.writeMu.Unlock()
	if err := closeDB(old); err != nil {
		s.log.Warn("closing the failed database", "err", err)
	}

	wait := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := s.checkSpace()
		if err == nil {
			err = s.reopen()
		}
		if err == nil {
			s.log.Info("store recovered", "attempts", attempt)
			return
		}
		if attempt == 1 || attempt%20 == 0 {
			s.log.Warn("store not recovered yet; retrying", "attempt", attempt, "err", err)
		}
		select {
		case <-s.stop:
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// reopen opens the database again and takes it into use. Sequence numbers
// handed out before the failure are never handed out again, stored or not.
func (s *Store) reopen() error {
	db, err := s.openDB()
	if err != nil {
		return err
	}
	seq, err := getUint64(db, keySeq)
	if err != nil && !errors.Is(err, pdb.ErrNotFound) {
		return errors.Join(fmt.Errorf("reading the sequence: %w", err), closeDB(db))
	}
	datasetID, err := getUint64(db, keyDatasetID)
	if err != nil && !errors.Is(err, pdb.ErrNotFound) {
		return errors.Join(fmt.Errorf("reading the dataset id: %w", err), closeDB(db))
	}
	gen, err := getUint64(db, keyGen)
	if err != nil && !errors.Is(err, pdb.ErrNotFound) {
		return errors.Join(fmt.Errorf("reading the bulk generation: %w", err), closeDB(db))
	}
	s.idMu.Lock()
	s.datasetID = max(s.datasetID, datasetID)
	s.gen = max(s.gen, gen)
	s.idMu.Unlock()
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.db = db
	s.seq = max(s.seq, seq)
	s.failed = nil
	return nil
}

// closeDB closes a database, which may have failed a write.
func closeDB(db *pdb.DB) (err error) {
	defer recoverEngineFatal(&err)
	return db.Close()
}
