// Package connlimit bounds the connections an HTTP server holds open.
//
// Up to Max connections are served normally. The next ones, up to a small
// overflow, are still accepted, but every request on them is answered by
// a refusal handler (perch answers 503 ServiceUnavailable in AWS's
// envelope, which SDKs retry with backoff) and the connection is closed.
// Past the overflow, Accept waits for a connection to close, so further
// clients wait in the kernel's accept queue instead of costing memory.
package connlimit

import (
	"context"
	"net"
	"net/http"
	"sync"
)

// Listener is a net.Listener that counts its open connections.
type Listener struct {
	net.Listener
	max   int
	slots chan struct{} // one per open connection, up to max + overflow

	closeOnce sync.Once
	closed    chan struct{}

	mu   sync.Mutex
	open int
}

// Overflow returns how many connections past max are accepted only to be
// refused.
func Overflow(max int) int { return max/8 + 8 }

// NewListener limits ln to max connections served at once.
func NewListener(ln net.Listener, max int) *Listener {
	return &Listener{Listener: ln, max: max, slots: make(chan struct{}, max+Overflow(max)), closed: make(chan struct{})}
}

// Accept waits for a free slot, then for a connection.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.closed:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	l.mu.Lock()
	l.open++
	over := l.open > l.max
	l.mu.Unlock()
	return &conn{Conn: c, l: l, over: over}, nil
}

// Close closes the listener; an Accept waiting for a slot returns.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// Open returns the number of connections open now.
func (l *Listener) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open
}

func (l *Listener) release() {
	l.mu.Lock()
	l.open--
	l.mu.Unlock()
	<-l.slots
}

type conn struct {
	net.Conn
	l    *Listener
	over bool
	once sync.Once
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.l.release)
	return err
}

type overKey struct{}

// ConnContext is for http.Server.ConnContext: it marks the context of
// requests on a connection accepted past the limit.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if lc, ok := c.(*conn); ok && lc.over {
		return context.WithValue(ctx, overKey{}, true)
	}
	return ctx
}

// Handler serves requests with next, except those on connections accepted
// past the limit, which refuse answers and whose connection is then closed.
func Handler(next http.Handler, refuse http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if over, _ := r.Context().Value(overKey{}).(bool); over {
			w.Header().Set("Connection", "close")
			refuse(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
