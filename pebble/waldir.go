package pebble

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	pdb "github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/wal"
)

// The write-ahead log may live in a directory of its own (Options.WALDir),
// typically on another disk: every commit waits for a sync of the log, and
// on one disk that sync also waits for whatever the engine's flushes and
// compactions are writing: with the log on another file system, the p99 at
// half load fell by two thirds in BENCHMARKS.md's runs.
//
// Pebble records the log directory it was opened with, and refuses to open
// with another unless the old one is listed for recovery, since it may hold
// acknowledged records not yet in any table. The store lists it itself, so
// that moving the log (or moving it back) needs nothing but the new option:
// the old logs are replayed, and as Pebble flushes what it replays to
// tables before Open returns, the old directory is no longer needed after
// that. An old log directory that is gone is an error, never a silent loss.

// walLockName is the lock file the store holds in a log directory of its
// own, so that two stores cannot write logs with the same names into one
// directory. (Pebble locks only the store's directory.)
const walLockName = "perch-wal.lock"

// resolveWALDir creates the log directory walDir of a store in dir if
// needed and returns its canonical path (absolute, without symbolic
// links), or "" when it is the store's directory. Pebble records the path
// it is given and compares paths as strings, so one directory must always
// be given by one name: by another, its logs would be found twice.
func resolveWALDir(dir, walDir string) (string, error) {
	if walDir == "" {
		return "", nil
	}
	if err := os.MkdirAll(walDir, 0o750); err != nil {
		return "", fmt.Errorf("creating the write-ahead log directory: %w", err)
	}
	canonical, err := canonicalPath(walDir)
	if err != nil {
		return "", fmt.Errorf("the write-ahead log directory %s: %w", walDir, err)
	}
	store, err := canonicalPath(dir)
	if errors.Is(err, fs.ErrNotExist) {
		store, err = filepath.Abs(dir) // a new store; Pebble creates it
	}
	if err != nil {
		return "", fmt.Errorf("the store directory %s: %w", dir, err)
	}
	if canonical == store {
		return "", nil
	}
	return canonical, nil
}

func canonicalPath(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// lockWALDir locks the log directory for this store until the returned
// closer is closed.
func lockWALDir(walDir string) (io.Closer, error) {
	lock, err := vfs.Default.Lock(filepath.Join(walDir, walLockName))
	if err != nil {
		return nil, fmt.Errorf("locking the write-ahead log directory %s (is another store using it?): %w", walDir, err)
	}
	return lock, nil
}

// walRecoveryDirs returns the directory that may still hold logs of the
// store in dir when it was last opened with another log directory than
// walDir ("" for the store's own), or nil.
func walRecoveryDirs(dir, walDir string) ([]wal.Dir, error) {
	previous, found, err := recordedWALDir(dir)
	if err != nil || !found {
		return nil, err
	}
	if previous == walDir {
		return nil, nil
	}
	old := previous
	if old == "" {
		old = dir
	}
	if _, err := os.Stat(old); err != nil {
		return nil, fmt.Errorf("the store's write-ahead log was last kept in %s, which may hold acknowledged records not yet in the store's tables: %w", old, err)
	}
	return []wal.Dir{{FS: vfs.Default, Dirname: old}}, nil
}

// recordedWALDir returns the log directory Pebble recorded in the store's
// latest OPTIONS file, "" for the store's own; found is false for a new
// store.
func recordedWALDir(dir string) (walDir string, found bool, err error) {
	desc, err := pdb.Peek(dir, vfs.Default)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("reading the store's options: %w", err)
	}
	if desc.OptionsFilename == "" {
		return "", false, nil
	}
	text, err := os.ReadFile(desc.OptionsFilename)
	if err != nil {
		return "", false, fmt.Errorf("reading the store's options: %w", err)
	}
	var recorded pdb.Options
	if err := recorded.Parse(string(text), nil); err != nil {
		return "", false, fmt.Errorf("reading the store's options %s: %w", desc.OptionsFilename, err)
	}
	return recorded.WALDir, true, nil
}
