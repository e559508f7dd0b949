package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sync"
)

// ringLogBytes is the size of the durable no-op server's log file.
const ringLogBytes = 64 << 20

// ringLog is the log of the durable no-op server: the least a server does
// whose 200 means "on disk". Each body is appended as a record (length,
// CRC-32C, bytes) and its caller waits until an fdatasync has covered it;
// one goroutine writes and syncs whatever arrived while the last sync ran
// (group commit), as perch's store does.
//
// The file is written full of zeros when the log opens and then written
// over as a ring, so that each sync carries data only, never a change of
// the file's size or of its blocks' allocation: the cheapest sync there
// is. The ring makes it a baseline of the cost of durability, not a store:
// nothing reads it back.
type ringLog struct {
	f        *os.File
	size     int64
	datasync func(*os.File) error

	mu      sync.Mutex
	pending []byte    // records not yet written
	group   *logGroup // the group pending belongs to; nil while pending is empty
	err     error     // the first failed write or sync; every append fails after it
	closed  bool

	kick chan struct{} // the writer has work (buffered, at most one token)
	stop chan struct{}
	done chan struct{}
	off  int64 // where the writer writes next; the writer's own
}

// logGroup is the records of one write and sync; done is closed when err
// says how it went.
type logGroup struct {
	done chan struct{}
	err  error
}

var (
	errLogClosed = errors.New("the log is closed")
	castagnoli   = crc32.MakeTable(crc32.Castagnoli)
)

// openRingLog creates (or starts afresh) the log noop.log of size bytes in
// dir.
func openRingLog(dir string, size int64) (*ringLog, error) {
	f, err := os.OpenFile(filepath.Join(dir, "noop.log"), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := fillZeros(f, size); err != nil {
		f.Close()
		return nil, fmt.Errorf("writing the log full of zeros: %w", err)
	}
	if err := syncDir(dir); err != nil {
		f.Close()
		return nil, err
	}
	l := &ringLog{f: f, size: size, datasync: datasync,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go l.write()
	return l, nil
}

// fillZeros writes size bytes of zeros to f and syncs them with its size.
func fillZeros(f *os.File, size int64) error {
	zeros := make([]byte, min(size, 1<<20))
	for off := int64(0); off < size; off += int64(len(zeros)) {
		if _, err := f.WriteAt(zeros[:min(int64(len(zeros)), size-off)], off); err != nil {
			return err
		}
	}
	return f.Sync()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Append adds body to the log and returns once it is synced, or the error
// that kept it from being synced.
func (l *ringLog) Append(body []byte) error {
	l.mu.Lock()
	switch {
	case l.closed:
		l.mu.Unlock()
		return errLogClosed
	case l.err != nil:
		err := l.err
		l.mu.Unlock()
		return err
	}
	if l.group == nil {
		l.group = &logGroup{done: make(chan struct{})}
	}
	g := l.group
	l.pending = binary.LittleEndian.AppendUint32(l.pending, uint32(len(body)))
	l.pending = binary.LittleEndian.AppendUint32(l.pending, crc32.Checksum(body, castagnoli))
	l.pending = append(l.pending, body...)
	l.mu.Unlock()
	select {
	case l.kick <- struct{}{}:
	default: // the writer has a token already and will find this record
	}
	<-g.done
	return g.err
}

// write is the writer goroutine. After Close it commits what is pending,
// so that no caller of Append is left waiting.
func (l *ringLog) write() {
	defer close(l.done)
	var spare []byte
	for {
		select {
		case <-l.kick:
			spare = l.commit(spare)
		case <-l.stop:
			l.commit(spare)
			return
		}
	}
}

// commit writes and syncs the pending group, and returns its buffer for
// reuse.
func (l *ringLog) commit(spare []byte) []byte {
	l.mu.Lock()
	records, g := l.pending, l.group
	l.pending, l.group = spare[:0], nil
	failed := l.err
	l.mu.Unlock()
	if g == nil {
		return records
	}
	g.err = failed
	if g.err == nil {
		g.err = l.writeRecords(records)
	}
	if g.err != nil {
		// After a failed sync Linux reports the lost write-back to no
		// later sync, so nothing after it may be answered as durable.
		l.mu.Lock()
		if l.err == nil {
			l.err = g.err
		}
		l.mu.Unlock()
	}
	close(g.done)
	return records
}

// writeRecords writes b at the ring's next offset, going round past its
// end, and syncs it.
func (l *ringLog) writeRecords(b []byte) error {
	for len(b) > 0 {
		n := min(int64(len(b)), l.size-l.off)
		if _, err := l.f.WriteAt(b[:n], l.off); err != nil {
			return err
		}
		l.off = (l.off + n) % l.size
		b = b[n:]
	}
	return l.datasync(l.f)
}

// Close waits for the appends under way and closes the file; later appends
// fail.
func (l *ringLog) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return errLogClosed
	}
	l.closed = true
	l.mu.Unlock()
	close(l.stop)
	<-l.done
	return l.f.Close()
}
