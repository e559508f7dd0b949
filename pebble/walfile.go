package pebble

import (
	"sync"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// walCategory is the write category Pebble creates its write-ahead logs
// with.
const walCategory vfs.DiskWriteCategory = "pebble-wal"

const (
	// walFillChunk is how much of a log the filler writes and syncs at a
	// time.
	walFillChunk = 1 << 20
	// walFillAhead is how far past the log's end the filler keeps the file
	// written: at the highest rates measured the log grows by about 20 MB/s,
	// so this is about 200 ms of writes.
	walFillAhead = 4 << 20
)

// walFS is the engine's file system with write-ahead logs whose blocks are
// written, and synced, before the log reaches them.
//
// Every commit syncs the log. Syncing a write to blocks the file already
// owns, inside its size, writes the data and nothing else; syncing a write
// that allocates blocks or grows the file also commits the file system's
// metadata. On the machine of BENCHMARKS.md the second kind took twice as
// long (0.5 ms against 0.25) and 1.7 times the CPU. Pebble gets the first kind for the logs
// it recycles, but a store's first logs after every start are new files,
// which it preallocates with fallocate: that reserves blocks but leaves them
// unwritten, so each sync still commits metadata. A goroutine per new log
// therefore writes zeros ahead of it instead, a chunk and one sync at a
// time. Zeros past the log's end read as its end, as in a preallocated or
// recycled log (the reader tells a zeroed tail from corruption).
type walFS struct{ vfs.FS }

func (fs walFS) Create(name string, category vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, category)
	if err != nil || category != walCategory {
		return f, err
	}
	return newFilledFile(f, 0, walFillChunk, walFillAhead), nil
}

func (fs walFS) ReuseForWrite(oldname, newname string, category vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(oldname, newname, category)
	if err != nil || category != walCategory {
		return f, err
	}
	// A recycled log is written up to its size already.
	info, err := f.Stat()
	if err != nil {
		return f, nil // written as Pebble writes it, without a filler
	}
	return newFilledFile(f, info.Size(), walFillChunk, walFillAhead), nil
}

// filledFile is a log file written sequentially by the engine (Write)
// while its filler writes zeros ahead of it (WriteAt). A Write waits until
// the filler has passed the bytes it is about to write, so the filler never
// writes where the log has. If the filler fails, the log is written as
// though there were no filler.
type filledFile struct {
	vfs.File
	chunk, ahead int64 // walFillChunk and walFillAhead, or less for tests

	mu      sync.Mutex
	changed sync.Cond // the log grew, the filler advanced or stopped, or Close began
	end     int64     // the log's end: bytes written by Write
	need    int64     // the end a waiting Write will make
	filled  int64     // bytes from 0 up to here are written and synced
	stopped bool      // the filler has returned
	closing bool
	// syncErr is the filler's failed sync. Its sync and the log's share
	// the open file, whose write-back error Linux reports to one sync
	// only, so every later sync of the log fails with it.
	syncErr error
}

func newFilledFile(f vfs.File, filled, chunk, ahead int64) *filledFile {
	ff := &filledFile{File: f, filled: filled, chunk: chunk, ahead: ahead}
	ff.changed.L = &ff.mu
	go ff.fill()
	return ff
}

// walZeros is what fillers write. It is never written to, so all of its
// pages stay the kernel's shared zero page: a buffer made per log cost a
// page fault per 4 KiB.
var walZeros [walFillChunk]byte

// fill writes zeros from filled, a chunk at a time, while the log's end,
// or the end a waiting Write will make, is within f.ahead of it.
func (f *filledFile) fill() {
	zeros := walZeros[:f.chunk]
	f.mu.Lock()
	defer f.mu.Unlock()
	defer f.changed.Broadcast()
	defer func() { f.stopped = true }()
	for {
		for !f.closing && f.filled >= max(f.end, f.need)+f.ahead {
			f.changed.Wait()
		}
		if f.closing {
			return
		}
		from := f.filled
		f.mu.Unlock()
		_, err := f.File.WriteAt(zeros, from)
		var syncErr error
		if err == nil {
			syncErr = f.File.SyncData()
		}
		f.mu.Lock()
		if syncErr != nil {
			f.syncErr = syncErr
		}
		if err != nil || syncErr != nil {
			return
		}
		f.filled = from + f.chunk
		f.changed.Broadcast()
	}
}

func (f *filledFile) Write(p []byte) (int, error) {
	f.mu.Lock()
	end := f.end + int64(len(p))
	f.need = end
	if f.filled < end+f.ahead {
		f.changed.Broadcast()
	}
	for f.filled < end && !f.stopped {
		f.changed.Wait()
	}
	f.mu.Unlock()
	n, err := f.File.Write(p)
	f.mu.Lock()
	f.end += int64(n)
	f.mu.Unlock()
	return n, err
}

func (f *filledFile) SyncData() error { return f.afterSync(f.File.SyncData()) }

func (f *filledFile) Sync() error { return f.afterSync(f.File.Sync()) }

func (f *filledFile) afterSync(err error) error {
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.syncErr
}

// Preallocate does nothing: the filler allocates the file's blocks.
func (f *filledFile) Preallocate(offset, length int64) error { return nil }

func (f *filledFile) Close() error {
	f.mu.Lock()
	f.closing = true
	f.changed.Broadcast()
	for !f.stopped {
		f.changed.Wait()
	}
	f.mu.Unlock()
	return f.File.Close()
}
