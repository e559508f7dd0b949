package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/awsapi"
	"github.com/perchdev/perch/catalog"
	"github.com/perchdev/perch/connlimit"
	"github.com/perchdev/perch/ingest"
	"github.com/perchdev/perch/jobs"
	"github.com/perchdev/perch/metrics"
	"github.com/perchdev/perch/pebble"
	"github.com/perchdev/perch/s3loc"
	"github.com/perchdev/perch/sigv4"
)

type serveConfig struct {
	addr        string
	data        string
	region      string
	account     string
	quickstart  bool
	logLevel    string
	maxConns    int
	maxInFlight int
	minFreeMB   int64
	walDir      string
	minSync     time.Duration
	auth        string
	credentials string
	tlsCert     string
	tlsKey      string
	s3Root      string
	s3Endpoint  string
	pprof       string
	metrics     string
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg serveConfig
	fs := flag.NewFlagSet("perch serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "`HOST:PORT` to listen on (port 0 picks a free one)")
	fs.StringVar(&cfg.data, "data", "perch-data", "`DIR`ectory of the embedded store; created if missing")
	fs.StringVar(&cfg.region, "region", "us-east-1", "AWS `region` written into ARNs")
	fs.StringVar(&cfg.account, "account-id", "000000000000", "12-digit AWS `account` id written into ARNs")
	fs.BoolVar(&cfg.quickstart, "quickstart", false, "make sure a demo dataset group, datasets and event tracker exist, and print how to use them")
	fs.StringVar(&cfg.logLevel, "log-level", "info", "log `level`: debug, info, warn or error")
	fs.IntVar(&cfg.maxConns, "max-connections", 1024, "connections served at once; a few more are answered 503 ServiceUnavailable, the rest wait")
	fs.IntVar(&cfg.maxInFlight, "max-in-flight", 256, "events API calls served at once; more are answered ThrottlingException at once (0: no bound)")
	fs.Int64Var(&cfg.minFreeMB, "min-free-mb", 128, "free space (MiB) the data directory (and --wal-dir) keeps; writes are refused with 503 below it (0: no check)")
	fs.StringVar(&cfg.walDir, "wal-dir", "", "`DIR`ectory of the store's write-ahead log, created if missing (default: in --data); on a disk of its own,\ncommits no longer wait behind the store's table writes; it may change between runs (the old log is replayed)")
	fs.DurationVar(&cfg.minSync, "wal-min-sync", pebble.DefaultMinSyncInterval, "least time between two syncs of the write-ahead log; commits that come sooner share the next (0: none)")
	fs.StringVar(&cfg.auth, "auth", "none", "authentication `mode`: none (accept any credentials; requests act for --account-id)\nor sigv4 (verify SigV4 signatures; requests act for the signing key's account)")
	fs.StringVar(&cfg.credentials, "credentials", "", "AWS shared-credentials `FILE` of the keys --auth sigv4 accepts; each profile needs aws_access_key_id,\naws_secret_access_key and aws_account_id; re-read on SIGHUP")
	fs.StringVar(&cfg.tlsCert, "tls-cert", "", "serve HTTPS with this PEM certificate `FILE` (and --tls-key); both re-read on SIGHUP")
	fs.StringVar(&cfg.tlsKey, "tls-key", "", "PEM private key `FILE` of --tls-cert")
	fs.StringVar(&cfg.s3Root, "s3-root", "", "serve the s3://bucket/key locations of jobs from `DIR`/bucket/key")
	fs.StringVar(&cfg.s3Endpoint, "s3-endpoint", "", "serve the s3:// locations of jobs from the S3-compatible service at `URL` (credentials from the AWS SDK's usual sources)")
	fs.StringVar(&cfg.pprof, "pprof", "", "serve Go's runtime profiles (net/http/pprof) on `HOST:PORT`, apart from the APIs; off by default")
	fs.StringVar(&cfg.metrics, "metrics", "", "serve Prometheus metrics at /metrics on `HOST:PORT`, apart from the APIs; off by default")
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if cfg.maxConns < 1 || cfg.minFreeMB < 0 || cfg.maxInFlight < 0 || cfg.minSync < 0 {
		return fmt.Errorf("--max-connections must be positive, --min-free-mb, --max-in-flight and --wal-min-sync not negative")
	}
	if cfg.s3Root != "" && cfg.s3Endpoint != "" {
		return fmt.Errorf("--s3-root and --s3-endpoint exclude each other")
	}
	if !sigv4.ValidAccountID(cfg.account) {
		return fmt.Errorf("--account-id must be 12 digits, got %q", cfg.account)
	}
	switch {
	case cfg.auth != "none" && cfg.auth != "sigv4":
		return fmt.Errorf("--auth must be none or sigv4, got %q", cfg.auth)
	case cfg.auth == "sigv4" && cfg.credentials == "":
		return fmt.Errorf("--auth sigv4 needs --credentials FILE")
	case cfg.auth == "none" && cfg.credentials != "":
		return fmt.Errorf("--credentials is only read with --auth sigv4; without it perch accepts any credentials")
	case (cfg.tlsCert == "") != (cfg.tlsKey == ""):
		return fmt.Errorf("--tls-cert and --tls-key go together")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %v", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	return serve(ctx, cfg, log, stdout)
}

func serve(ctx context.Context, cfg serveConfig, log *slog.Logger, stdout io.Writer) error {
	tuneGC()
	tuneScheduler()
	// Configuration errors come before anything is opened or created.
	var verifier *sigv4.Verifier
	account := cfg.account
	if cfg.auth == "sigv4" {
		keys, err := sigv4.LoadCredentials(cfg.credentials)
		if err != nil {
			return fmt.Errorf("--credentials: %w", err)
		}
		verifier = sigv4.NewVerifier(keys, cfg.region, "personalize")
		if fi, err := os.Stat(cfg.credentials); err == nil && fi.Mode().Perm()&0o077 != 0 {
			log.Warn("the credentials file is readable by other users; chmod 600 it", "file", cfg.credentials, "mode", fi.Mode().Perm())
		}
		// The demo resources go to the first profile's account, whose
		// key can then reach them.
		account = keys.Keys()[0].Account
	}
	var tlsConfig *tls.Config
	var cert *certificateFiles
	if cfg.tlsCert != "" {
		cert = &certificateFiles{certFile: cfg.tlsCert, keyFile: cfg.tlsKey}
		if err := cert.load(); err != nil {
			return fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		tlsConfig = &tls.Config{GetCertificate: cert.get, MinVersion: tls.VersionTLS12}
	}

	if err := os.MkdirAll(cfg.data, 0o750); err != nil {
		return fmt.Errorf("creating the data directory: %w", err)
	}
	store, err := pebble.Open(filepath.Join(cfg.data, "store"), pebble.Options{Logger: log, WALDir: cfg.walDir, Tuning: pebble.MeasuredTuning(),
		MinFreeBytes: zeroMeansNone(cfg.minFreeMB << 20), MinSyncInterval: zeroMeansNone(cfg.minSync)})
	if err != nil {
		return fmt.Errorf("opening the store in %s: %w", cfg.data, err)
	}
	defer func() {
		if err := store.Close(); err != nil {
			log.Error("closing the store", "err", err)
		}
	}()
	scope := perch.Scope{Region: cfg.region, Account: cfg.account}
	cat, err := catalog.Open(ctx, store.Resources(), scope, catalog.Options{})
	if err != nil {
		return fmt.Errorf("loading resources: %w", err)
	}
	objects, err := openObjects(ctx, cfg)
	if err != nil {
		return err
	}
	jobService, err := jobs.Open(ctx, jobs.Config{Catalog: cat, Store: store, Objects: objects, Scope: scope, Logger: log})
	if err != nil {
		return fmt.Errorf("loading jobs: %w", err)
	}
	defer jobService.Close()
	api := awsapi.New(awsapi.Config{
		Catalog:     cat,
		Ingest:      ingest.New(cat, store),
		Store:       store,
		Jobs:        jobService,
		Account:     cfg.account,
		Verifier:    verifier,
		MaxInFlight: cfg.maxInFlight,
		Logger:      log,
	})

	tcp, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	ln := connlimit.NewListener(tcp, cfg.maxConns)
	endpoint := "http://" + ln.Addr().String()
	if tlsConfig != nil {
		endpoint = "https://" + ln.Addr().String()
	}
	if cfg.quickstart {
		hint := "any credentials work"
		if verifier != nil {
			hint = fmt.Sprintf("sign with profile [%s] of %s", verifier.Keys().Keys()[0].Profile, cfg.credentials)
		}
		if err := quickstart(perch.WithAccount(ctx, account), cat, endpoint, cfg.region, hint, stdout); err != nil {
			ln.Close()
			return fmt.Errorf("quickstart: %w", err)
		}
	}

	tooMany := perch.Errorf(perch.EServiceUnavailable, "The server has too many open connections; retry with backoff")
	handler := connlimit.Handler(api, func(w http.ResponseWriter, r *http.Request) {
		awsapi.WriteError(w, r, tooMany)
	})
	var meters *metrics.Metrics
	if cfg.metrics != "" {
		meters = metrics.New()
		meters.WatchStore(store.Stats)
		handler = meters.Instrument(handler, awsapi.OperationName)
	}
	srv := &http.Server{
		Handler:           handler,
		ConnContext:       connlimit.ConnContext,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      10 * time.Minute, // record reads stream large datasets
		IdleTimeout:       2 * time.Minute,
		// Larger than the API's own limit, so that headers between the two
		// are refused in AWS's envelope; past it net/http answers 431.
		MaxHeaderBytes: 4 * awsapi.MaxHeaderBytes,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		TLSConfig:      tlsConfig,
	}
	var reloads []func()
	if verifier != nil {
		reloads = append(reloads, func() { reloadCredentials(verifier, cfg.credentials, log) })
	}
	if cert != nil {
		reloads = append(reloads, func() { cert.reload(log) })
	}
	reloadOnHangup(ctx, reloads)
	errc := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			errc <- srv.ServeTLS(ln, "", "")
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	if cfg.pprof != "" {
		stop, err := serveApart("--pprof", cfg.pprof, profiles(), "serving profiles", "/debug/pprof/", log)
		if err != nil {
			srv.Close()
			return err
		}
		defer stop()
	}
	if meters != nil {
		mux := http.NewServeMux()
		mux.Handle("/metrics", meters.Handler())
		stop, err := serveApart("--metrics", cfg.metrics, mux, "serving metrics", "/metrics", log)
		if err != nil {
			srv.Close()
			return err
		}
		defer stop()
	}
	who := []any{"account", cfg.account}
	if verifier != nil {
		who = []any{"keys", len(verifier.Keys().Keys())}
	}
	log.Info("perch ready", append([]any{"endpoint", endpoint, "data", cfg.data, "region", cfg.region, "auth", cfg.auth}, append(who,
		"procs", runtime.GOMAXPROCS(0))...)...)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}

// reloadOnHangup runs every reload on each SIGHUP until ctx ends, so
// keys and certificates can be rotated without a restart.
func reloadOnHangup(ctx context.Context, reloads []func()) {
	if len(reloads) == 0 {
		return
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				for _, reload := range reloads {
					reload()
				}
			}
		}
	}()
}

// reloadCredentials re-reads the credentials file, so keys can be added,
// rotated and revoked. A file that no longer parses is reported and the
// keys in use are kept.
func reloadCredentials(v *sigv4.Verifier, path string, log *slog.Logger) {
	keys, err := sigv4.LoadCredentials(path)
	if err != nil {
		log.Error("reloading credentials failed; the previous keys stay in use", "err", err)
		return
	}
	v.SetKeys(keys)
	log.Info("credentials reloaded", "file", path, "keys", len(keys.Keys()))
}

// certificateFiles serves the certificate of --tls-cert and --tls-key,
// read again on reload: connections made after a reload get the new one,
// those already open keep theirs.
type certificateFiles struct {
	certFile, keyFile string
	current           atomic.Pointer[tls.Certificate]
}

func (c *certificateFiles) load() error {
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return err
	}
	c.current.Store(&cert)
	return nil
}

func (c *certificateFiles) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return c.current.Load(), nil
}

// reload reads the files again. A pair that does not load (say, the
// certificate replaced before its key) is reported and the certificate in
// use is kept.
func (c *certificateFiles) reload(log *slog.Logger) {
	if err := c.load(); err != nil {
		log.Error("reloading the TLS certificate failed; the previous certificate stays in use", "err", err)
		return
	}
	log.Info("TLS certificate reloaded", "file", c.certFile)
}

// openObjects returns where jobs read and write s3:// locations, nil when
// neither flag names a place.
func openObjects(ctx context.Context, cfg serveConfig) (perch.Objects, error) {
	switch {
	case cfg.s3Root != "":
		if fi, err := os.Stat(cfg.s3Root); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("--s3-root %s is not a directory", cfg.s3Root)
		}
		return s3loc.NewDir(cfg.s3Root), nil
	case cfg.s3Endpoint != "":
		return s3loc.Connect(ctx, cfg.s3Endpoint, cfg.region)
	}
	return nil, nil
}

// serveApart serves handler on a listener of its own at addr (the value
// of flag), so that what it serves is never reachable through the API's
// address; it logs message with the endpoint of path.
func serveApart(flag, addr string, handler http.Handler, message, path string, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	log.Info(message, "endpoint", "http://"+ln.Addr().String()+path)
	return func() { srv.Close() }, nil
}

// profiles serves the runtime's profiles (net/http/pprof).
func profiles() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// tuneScheduler gives Go's scheduler one more P than it takes by default
// (one per CPU, or per CPU of the container's quota). The storage engine's
// flushes and compactions run for hundreds of milliseconds at a time, and
// the scheduler makes a running goroutine give up its P only after 10 ms;
// with a P per CPU, the requests and commits woken by the network or a
// sync of the log wait behind that work whenever it holds every P. With
// one more P than CPUs, the kernel shares the CPUs among the threads
// instead, at a much finer grain. On the machine of BENCHMARKS.md (round
// 8) this took the p99.9 latency at half of the maximum rate and at full
// load down by half or more, and the full-load rate up a little.
// GOMAXPROCS in the environment takes precedence, as usual. Setting it
// stops the runtime from following a container's CPU quota if the quota
// changes while the server runs; the next start takes the new quota.
func tuneScheduler() {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 1)
	}
}

// zeroMeansNone maps a flag's 0 ("none") to the store's negative "none";
// the store takes 0 as "its default".
func zeroMeansNone[T int64 | time.Duration](v T) T {
	if v == 0 {
		return -1
	}
	return v
}
