// Package pgtest gives tests a real PostgreSQL server: the one
// PERCH_TEST_POSTGRES names, or else a private, throwaway cluster that the
// first test asking for one starts for the whole test binary (initdb into
// a temporary directory, its own port on loopback, fsync left on) and that
// ends with it. initdb refuses to run as root, so as root the cluster runs
// as the unprivileged user "postgres" (Debian's package makes it) or
// "nobody".
//
// Each test gets a database of its own (Database), dropped when it ends.
// When PostgreSQL is not installed, the test is skipped, or failed under
// PERCH_TEST_ALL=1 (package testenv).
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/perchdev/perch/internal/testenv"
)

// EnvURL names a server to use instead of a private cluster: a URL whose
// user may create and drop databases.
const EnvURL = "PERCH_TEST_POSTGRES"

// Database creates an empty database for t and returns its URL. It is
// dropped, with any connection still open to it, when t ends.
func Database(t testing.TB) string {
	t.Helper()
	admin := serverURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: connecting to %s: %v", redact(admin), err)
	}
	defer conn.Close(ctx)
	name := "perch_test_" + randomHex(8)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: creating a database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("pgtest: dropping %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: dropping %s: %v", name, err)
		}
	})
	return withDatabase(admin, name)
}

// Missing reports why no PostgreSQL server can be had here, "" when one
// can: for callers that start something else that needs one.
func Missing() string {
	if os.Getenv(EnvURL) != "" {
		return ""
	}
	_, err := binaries()
	if err != nil {
		return err.Error()
	}
	return ""
}

// serverURL returns the URL of the server's maintenance database,
// starting the private cluster on first use.
func serverURL(t testing.TB) string {
	t.Helper()
	if url := os.Getenv(EnvURL); url != "" {
		return url
	}
	private.once.Do(func() { private.url, private.err = startCluster() })
	if private.err != nil {
		var missing *missingError
		if errors.As(private.err, &missing) {
			testenv.Missing(t, "pgtest: "+private.err.Error())
		}
		t.Fatalf("pgtest: %v", private.err)
	}
	return private.url
}

var private struct {
	once sync.Once
	url  string
	err  error
}

// missingError says that PostgreSQL is not installed.
type missingError struct{ why string }

func (e *missingError) Error() string { return e.why }

// binaries finds the directory of PostgreSQL's server programs: initdb on
// the PATH, or the newest of Debian's /usr/lib/postgresql/N/bin.
func binaries() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return version(b) - version(a) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", &missingError{"PostgreSQL's server programs (initdb, postgres) are not installed (Debian: apt-get install postgresql)"}
}

func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// startCluster initialises a cluster in a new temporary directory and
// starts its server on a free port, as a child that the kernel ends when
// the test binary ends.
func startCluster() (string, error) {
	c, err := initCluster()
	if err != nil {
		return "", err
	}
	if err := c.start(); err != nil {
		return "", err
	}
	return c.url("postgres"), nil
}

// cluster is a private cluster: its directory, programs and port, and its
// server while it runs.
type cluster struct {
	bin, dir, data string
	port           int
	cred           *syscall.Credential
	logFile        string
	server         *exec.Cmd
	exited         chan struct{} // closed when server has exited
}

// initCluster runs initdb into a new temporary directory and picks a
// port for the server.
func initCluster() (*cluster, error) {
	bin, err := binaries()
	if err != nil {
		return nil, err
	}
	removeAbandoned()
	dir, err := os.MkdirTemp("", "perch-pgtest")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	cred, err := unprivileged()
	if err != nil {
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	return &cluster{bin: bin, dir: dir, data: data, port: port, cred: cred, logFile: filepath.Join(dir, "server.log")}, nil
}

func (c *cluster) url(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, database)
}

// start starts the cluster's server and waits until it takes connections.
func (c *cluster) start() error {
	server := exec.Command(filepath.Join(c.bin, "postgres"), "-D", c.data, "-p", strconv.Itoa(c.port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+c.dir,
		"-c", "max_connections=300", "-c", "fsync=on", "-c", "synchronous_commit=on")
	server.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Pdeathsig: syscall.SIGQUIT, Setpgid: true}
	logFile, err := os.OpenFile(c.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	server.Stdout, server.Stderr = logFile, logFile
	// The kernel signals the server when the thread that started it ends,
	// not the process: start it from a thread kept for as long as it runs.
	started := make(chan error, 1)
	exited := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer close(exited)
		defer logFile.Close()
		err := server.Start()
		started <- err
		if err == nil {
			_ = server.Wait()
		}
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("starting postgres: %v", err)
	}
	c.server, c.exited = server, exited
	url := c.url("postgres")
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, url)
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(c.logFile)
			return fmt.Errorf("postgres did not accept connections within a minute: %v\n%s", err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop shuts the server down at once (immediate shutdown: what a crash
// or a lost machine looks like to clients) and waits for it to exit.
func (c *cluster) stop() error {
	if c.server == nil {
		return nil
	}
	if err := c.server.Process.Signal(syscall.SIGQUIT); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-c.exited:
	case <-time.After(time.Minute):
		return errors.New("postgres did not exit within a minute")
	}
	c.server = nil
	return nil
}

// Server is a private cluster of one test's own, which the test may stop
// and start again: to see what clients do while the database is down.
type Server struct {
	c *cluster
}

// NewServer initialises and starts a cluster of t's own, stopped and
// removed when t ends. It needs PostgreSQL's server programs even when
// PERCH_TEST_POSTGRES names a server: that one is not the test's to stop.
func NewServer(t testing.TB) *Server {
	t.Helper()
	c, err := initCluster()
	if err != nil {
		var missing *missingError
		if errors.As(err, &missing) {
			testenv.Missing(t, "pgtest: "+err.Error())
		}
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := c.stop(); err != nil {
			t.Errorf("pgtest: %v", err)
		}
		os.RemoveAll(c.dir)
	})
	if err := c.start(); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return &Server{c: c}
}

// URL is the URL of the server's maintenance database, postgres.
func (s *Server) URL() string { return s.c.url("postgres") }

// Database creates an empty database on the server and returns its URL.
// It goes with the server.
func (s *Server) Database(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL())
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer conn.Close(ctx)
	name := "perch_test_" + randomHex(8)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: creating a database: %v", err)
	}
	return s.c.url(name)
}

// Stop ends the server at once, as a crash would: clients' connections
// break and new ones are refused. What it committed stays.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if err := s.c.stop(); err != nil {
		t.Fatalf("pgtest: stopping the server: %v", err)
	}
}

// Start starts the stopped server again, on the same port, and waits
// until it takes connections (after its recovery).
func (s *Server) Start(t testing.TB) {
	t.Helper()
	if err := s.c.start(); err != nil {
		t.Fatalf("pgtest: starting the server again: %v", err)
	}
}

// ownerFile names, in a cluster's directory, the process of the test
// binary whose cluster it is.
const ownerFile = "owner.pid"

// removeAbandoned removes the clusters of test binaries that have ended:
// their servers ended with them, but nothing removed their directories.
func removeAbandoned() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "perch-pgtest*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(string(b))
		if err != nil {
			continue
		}
		if err := syscall.Kill(pid, 0); err == nil || errors.Is(err, syscall.EPERM) {
			continue // still running
		}
		os.RemoveAll(dir)
	}
}

// unprivileged returns the credentials to run PostgreSQL with: nil when
// the tests do not run as root, else those of the user "postgres" or
// "nobody".
func unprivileged() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root, and there is no user postgres or nobody to run PostgreSQL as (initdb refuses root)")
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// withDatabase returns the server URL (or key=value string) naming the
// database name instead of its own.
func withDatabase(server, name string) string {
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return server + " dbname=" + name
	}
	u.Path = "/" + name
	return u.String()
}

// redact leaves a URL's password out of messages.
func redact(server string) string {
	u, err := url.Parse(server)
	if err != nil || u.User == nil {
		return server
	}
	return u.Redacted()
}
