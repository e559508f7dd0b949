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
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/attribution"
	"github.com/perchdev/perch/awsapi"
	"github.com/perchdev/perch/batch"
	"github.com/perchdev/perch/catalog"
	"github.com/perchdev/perch/connlimit"
	"github.com/perchdev/perch/console"
	"github.com/perchdev/perch/ingest"
	"github.com/perchdev/perch/jobs"
	"github.com/perchdev/perch/metrics"
	"github.com/perchdev/perch/pebble"
	"github.com/perchdev/perch/postgres"
	"github.com/perchdev/perch/s3loc"
	"github.com/perchdev/perch/serving"
	"github.com/perchdev/perch/sigv4"
	"github.com/perchdev/perch/solutions"
	"github.com/perchdev/perch/tagging"
	"github.com/perchdev/perch/training"
)

type serveConfig struct {
	addr         string
	data         string
	store        string
	region       string
	account      string
	quickstart   bool
	logLevel     string
	logFormat    string
	maxConns     int
	maxInFlight  int
	trainings    int
	batchWorkers int
	autoUpdate   time.Duration
	minFreeMB    int64
	walDir       string
	minSync      time.Duration
	auth         string
	credentials  string
	tlsCert      string
	tlsKey       string
	s3Root       string
	s3Endpoint   string
	pprof        string
	metrics      string
	tune         string
	console      bool
	consoleAddr  string
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
	fs.StringVar(&cfg.logFormat, "log-format", "text", requestLogFlagHelp)
	fs.IntVar(&cfg.maxConns, "max-connections", 1024, "connections served at once; a few more are answered 503 ServiceUnavailable, the rest wait")
	fs.IntVar(&cfg.maxInFlight, "max-in-flight", 256, "events API calls served at once; more are answered ThrottlingException at once (0: no bound)")
	fs.IntVar(&cfg.trainings, "trainings", training.DefaultWorkers, "solution versions this process trains at once (each takes the CPUs it can)")
	fs.IntVar(&cfg.batchWorkers, "batch-workers", 0, "lines of a batch inference job answered at once (0: one per CPU); fewer leave CPUs to the runtime API while a job runs")
	fs.DurationVar(&cfg.autoUpdate, "auto-update", serving.DefaultAutoUpdate,
		"how often a campaign of user-personalization learns the items added since its training, as AWS's automatic updates (0: never)")
	fs.Int64Var(&cfg.minFreeMB, "min-free-mb", 128, "free space (MiB) the data directory (and --wal-dir) keeps; writes are refused with 503 below it (0: no check)")
	fs.StringVar(&cfg.store, "store", "", "keep everything in the PostgreSQL database at `URL` (postgres://USER:PASS@HOST:PORT/DB?sslmode=...),\nwhich any number of perch nodes may share; PERCH_STORE in the environment when not given;\nwithout either, the embedded store in --data")
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
	fs.BoolVar(&cfg.console, "console", true, "serve the web console at "+console.Prefix+" (on the API's port, or on --console-addr)")
	fs.StringVar(&cfg.consoleAddr, "console-addr", "", "serve the console on a listener of its own at `HOST:PORT` instead of the API's port")
	fs.StringVar(&cfg.tune, "tune", tuneAuto, "tuning `mode`: auto (the collector's pace, GOMAXPROCS and the storage engine's compactions as measured in\nBENCHMARKS.md; GOGC, GOMEMLIMIT and GOMAXPROCS in the environment still win) or off (Go's and the engine's defaults)")
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if cfg.maxConns < 1 || cfg.minFreeMB < 0 || cfg.maxInFlight < 0 || cfg.minSync < 0 || cfg.trainings < 1 || cfg.autoUpdate < 0 || cfg.batchWorkers < 0 {
		return fmt.Errorf("--max-connections and --trainings must be positive, --min-free-mb, --max-in-flight, --wal-min-sync, --auto-update and --batch-workers not negative")
	}
	if !cfg.console && cfg.consoleAddr != "" {
		return fmt.Errorf("--console-addr serves the console, which --console=false turns off")
	}
	if cfg.s3Root != "" && cfg.s3Endpoint != "" {
		return fmt.Errorf("--s3-root and --s3-endpoint exclude each other")
	}
	if err := checkTune(cfg.tune); err != nil {
		return err
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
	if cfg.store == "" {
		cfg.store = os.Getenv("PERCH_STORE")
	}
	if cfg.store != "" && !isPostgresURL(cfg.store) {
		return fmt.Errorf("--store must be a postgres:// or postgresql:// URL, got %q", redactURL(cfg.store))
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %v", err)
	}
	log, err := newLogger(stderr, cfg.logFormat, level)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, log, stdout)
}

// serve runs the server until ctx ends, in three steps: open checks the
// configuration and loads the store, run serves, and shutDown drains and
// closes.
func serve(ctx context.Context, cfg serveConfig, log *slog.Logger, stdout io.Writer) error {
	tuneProcess(cfg.tune)
	in, err := open(ctx, cfg, log)
	if err != nil {
		return err
	}
	err = in.run(ctx, stdout)
	return errors.Join(err, in.shutDown())
}

// instance is one server: what open made of the configuration, and the
// listeners run started, for shutDown.
type instance struct {
	cfg      serveConfig
	log      *slog.Logger
	verifier *sigv4.Verifier   // nil with --auth none
	cert     *certificateFiles // nil without --tls-cert
	// demoAccount is the account --quickstart makes its resources in.
	demoAccount string

	store   backend
	catalog *catalog.Catalog
	jobs    *jobs.Service
	trainer *training.Trainer
	batch   *batch.Service
	runtime *serving.Service
	tally   *attribution.Tally // with --metrics
	api     *awsapi.Server
	// observers are given each request's outcome; they are all added
	// before the API serves.
	observers []func(*awsapi.Outcome)

	// hub and refused feed the console, which is nil with --console=false.
	hub     *console.Hub
	refused *console.Refused
	console *console.Console

	http      *http.Server // nil until run serves the API
	stopApart []func()     // the listeners of --pprof and --metrics
}

// backend is what the server needs of a store: the domain's Store, and
// the figures --metrics exports.
type backend interface {
	perch.Store
	Stats() perch.StoreStats
}

// open checks what the configuration names (credentials, certificate),
// before anything is opened or created, then opens the store and loads
// the resources and jobs in it.
func open(ctx context.Context, cfg serveConfig, log *slog.Logger) (*instance, error) {
	in := &instance{cfg: cfg, log: log, demoAccount: cfg.account}
	if cfg.auth == "sigv4" {
		keys, err := sigv4.LoadCredentials(cfg.credentials)
		if err != nil {
			return nil, fmt.Errorf("--credentials: %w", err)
		}
		in.verifier = sigv4.NewVerifier(keys, cfg.region, "personalize")
		if fi, err := os.Stat(cfg.credentials); err == nil && fi.Mode().Perm()&0o077 != 0 {
			log.Warn("the credentials file is readable by other users; chmod 600 it", "file", cfg.credentials, "mode", fi.Mode().Perm())
		}
		// The demo resources go to the first profile's account, whose
		// key can then reach them.
		in.demoAccount = keys.Keys()[0].Account
	}
	if cfg.tlsCert != "" {
		in.cert = &certificateFiles{certFile: cfg.tlsCert, keyFile: cfg.tlsKey}
		if err := in.cert.load(); err != nil {
			return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
	}
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	in.store = store
	if err := in.load(ctx); err != nil {
		in.close()
		return nil, err
	}
	return in, nil
}

// openStore opens the store the configuration names: the PostgreSQL
// database of --store, or the embedded Pebble store in --data/store,
// created if missing.
func openStore(ctx context.Context, cfg serveConfig, log *slog.Logger) (backend, error) {
	if cfg.store != "" {
		store, err := postgres.Open(ctx, cfg.store, postgres.Options{Logger: log})
		if err != nil {
			return nil, fmt.Errorf("opening the store at %s: %w", redactURL(cfg.store), err)
		}
		return store, nil
	}
	if err := os.MkdirAll(cfg.data, 0o750); err != nil {
		return nil, fmt.Errorf("creating the data directory: %w", err)
	}
	store, err := pebble.Open(filepath.Join(cfg.data, "store"), pebble.Options{Logger: log, WALDir: cfg.walDir, Tuning: engineTuning(cfg.tune),
		MinFreeBytes: zeroMeansNone(cfg.minFreeMB << 20), MinSyncInterval: zeroMeansNone(cfg.minSync)})
	if err != nil {
		return nil, fmt.Errorf("opening the store in %s: %w", cfg.data, err)
	}
	return store, nil
}

// load reads the resources and the jobs from the store and puts the API
// over them. Jobs interrupted by the last shutdown or crash start again.
func (in *instance) load(ctx context.Context) error {
	scope := perch.Scope{Region: in.cfg.region, Account: in.cfg.account}
	cat, err := catalog.Open(ctx, in.store.Resources(), scope, catalog.Options{Logger: in.log})
	if err != nil {
		return fmt.Errorf("loading resources: %w", err)
	}
	in.catalog = cat
	objects, err := openObjects(ctx, in.cfg)
	if err != nil {
		return err
	}
	attributions := attribution.New(in.store, cat, scope, func() perch.Timestamp { return perch.TimestampOf(time.Now()) })
	jobService, err := jobs.Open(ctx, jobs.Config{Catalog: cat, Store: in.store, Objects: objects, Attributions: attributions, Scope: scope, Logger: in.log})
	if err != nil {
		return fmt.Errorf("loading jobs: %w", err)
	}
	in.jobs = jobService
	in.trainer = training.Start(training.Config{Store: in.store, Catalog: cat, Logger: in.log, Workers: in.cfg.trainings})
	sols := solutions.New(in.store.Resources(), scope, solutions.Options{Trained: in.trainer.Wake})
	autoUpdate := in.cfg.autoUpdate
	if autoUpdate == 0 {
		autoUpdate = -1 // serving's "never"
	}
	rt := serving.New(serving.Config{Store: in.store, Catalog: cat, Logger: in.log, AutoUpdate: autoUpdate})
	in.runtime = rt
	in.batch = batch.Open(batch.Config{Store: in.store, Runtime: rt, Objects: objects, Scope: scope, Logger: in.log, Workers: in.cfg.batchWorkers})
	events := ingest.New(cat, in.store)
	if in.cfg.metrics != "" {
		// The attributions' figures --metrics shows are kept as events
		// arrive, not read from the store at each scrape.
		in.tally = attribution.StartTally(attribution.TallyConfig{Attributions: attributions, Logger: in.log})
		events.AfterCommit(in.tally.Committed)
	}
	in.api = awsapi.New(awsapi.Config{
		Solutions:    sols,
		Filters:      sols,
		Recommenders: sols,
		Tagging:      tagging.New(in.store.Resources(), scope),
		Attributions: attributions,
		Runtime:      rt,
		Catalog:      cat,
		Ingest:       events,
		Store:        in.store,
		Jobs:         jobService,
		Batch:        in.batch,
		Segments:     in.batch,
		Account:      in.cfg.account,
		Verifier:     in.verifier,
		MaxInFlight:  in.cfg.maxInFlight,
		Logger:       in.log,
		Observe:      in.observe,
	})
	in.observers = append(in.observers, logRequests(in.log))
	if in.cfg.console {
		in.hub = console.NewHub(in.store)
		events.AfterCommit(in.hub.Committed)
		in.refused = console.NewRefused(in.cfg.account, in.verifier)
		in.observers = append(in.observers, in.refused.Observe)
		in.console = console.New(console.Config{Catalog: cat, Store: in.store, Solutions: sols, Filters: sols, Recommenders: sols,
			Jobs: jobService, Batch: in.batch, Segments: in.batch, Attributions: attributions, Runtime: rt, API: in.api,
			Verifier: in.verifier, Account: in.cfg.account, Region: in.cfg.region, Hub: in.hub, Refused: in.refused, Logger: in.log})
	}
	return nil
}

// observe hands a request's outcome to every observer.
func (in *instance) observe(o *awsapi.Outcome) {
	for _, observe := range in.observers {
		observe(o)
	}
}

// run listens on --addr (and on --pprof and --metrics, apart), makes the
// --quickstart resources, serves, logs the ready line and returns when ctx
// ends or the API's server fails. A listener that cannot be opened fails
// it before anything is served.
func (in *instance) run(ctx context.Context, stdout io.Writer) error {
	tcp, err := net.Listen("tcp", in.cfg.addr)
	if err != nil {
		return err
	}
	ln := connlimit.NewListener(tcp, in.cfg.maxConns)
	endpoint := "http://" + ln.Addr().String()
	if in.cert != nil {
		endpoint = "https://" + ln.Addr().String()
	}
	if in.cfg.quickstart {
		hint := "any credentials work"
		if in.verifier != nil {
			hint = fmt.Sprintf("sign with profile [%s] of %s", in.verifier.Keys().Keys()[0].Profile, in.cfg.credentials)
		}
		if err := quickstart(perch.WithAccount(ctx, in.demoAccount), in.catalog, endpoint, in.cfg.region, hint, stdout); err != nil {
			ln.Close()
			return fmt.Errorf("quickstart: %w", err)
		}
	}
	handler, err := in.handler()
	if err != nil {
		ln.Close()
		return err
	}
	srv := in.httpServer(handler)
	reloadOnHangup(ctx, in.reloads())
	in.http = srv
	errc := make(chan error, 1)
	go func() {
		if srv.TLSConfig != nil {
			errc <- srv.ServeTLS(ln, "", "")
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	who := []any{"account", in.cfg.account}
	if in.verifier != nil {
		who = []any{"keys", len(in.verifier.Keys().Keys())}
	}
	where := []any{"data", in.cfg.data}
	if in.cfg.store != "" {
		where = []any{"store", redactURL(in.cfg.store)}
	}
	in.log.Info("perch ready", append(append([]any{"endpoint", endpoint}, where...), append([]any{"region", in.cfg.region, "auth", in.cfg.auth}, append(who,
		"procs", runtime.GOMAXPROCS(0), "tune", in.cfg.tune)...)...)...)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return nil
	}
}

// handler is the API behind the bound on connections and, with --metrics,
// counted and timed. It opens the listeners of --pprof and --metrics.
func (in *instance) handler() (http.Handler, error) {
	tooMany := perch.Errorf(perch.EServiceUnavailable, "The server has too many open connections; retry with backoff")
	var api http.Handler = in.api
	if in.console != nil && in.cfg.consoleAddr == "" {
		// The console answers its own paths before the API sees them: its
		// session, not a signature, admits a browser, and it never admits
		// an API call. A prefix test, not a ServeMux, which would redirect
		// the API's unclean paths rather than let the API refuse them.
		api = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, console.Prefix) || r.URL.Path == strings.TrimSuffix(console.Prefix, "/") {
				in.console.ServeHTTP(w, r)
				return
			}
			in.api.ServeHTTP(w, r)
		})
	}
	handler := connlimit.Handler(api, func(w http.ResponseWriter, r *http.Request) {
		awsapi.WriteError(w, r, tooMany)
	})
	if in.console != nil && in.cfg.consoleAddr != "" {
		// The console carries logins: over TLS too when the API is.
		var tlsConfig *tls.Config
		if in.cert != nil {
			tlsConfig = &tls.Config{GetCertificate: in.cert.get, MinVersion: tls.VersionTLS12}
		}
		stop, err := serveApartTLS("--console-addr", in.cfg.consoleAddr, in.console, "serving the console", console.Prefix, in.log, tlsConfig)
		if err != nil {
			return nil, err
		}
		in.stopApart = append(in.stopApart, stop)
	}
	if in.cfg.pprof != "" {
		stop, err := serveApart("--pprof", in.cfg.pprof, profiles(), "serving profiles", "/debug/pprof/", in.log)
		if err != nil {
			return nil, err
		}
		in.stopApart = append(in.stopApart, stop)
	}
	if in.cfg.metrics != "" {
		meters := metrics.New()
		meters.WatchStore(in.store.Stats)
		meters.WatchTraining(in.trainer.Stats)
		meters.WatchRuntime(in.runtime.Stats)
		meters.WatchAttributions(in.tally)
		handler = meters.Instrument(handler, awsapi.OperationName)
		mux := http.NewServeMux()
		mux.Handle("/metrics", meters.Handler())
		stop, err := serveApart("--metrics", in.cfg.metrics, mux, "serving metrics", "/metrics", in.log)
		if err != nil {
			return nil, err
		}
		in.stopApart = append(in.stopApart, stop)
	}
	return handler, nil
}

// httpServer serves handler, over TLS with --tls-cert.
func (in *instance) httpServer(handler http.Handler) *http.Server {
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
		ErrorLog:       slog.NewLogLogger(in.log.Handler(), slog.LevelDebug),
	}
	if in.cert != nil {
		srv.TLSConfig = &tls.Config{GetCertificate: in.cert.get, MinVersion: tls.VersionTLS12}
	}
	return srv
}

// reloads are what SIGHUP re-reads: the credentials file and the
// certificate, when the server has them.
func (in *instance) reloads() []func() {
	var reloads []func()
	if in.verifier != nil {
		reloads = append(reloads, func() { reloadCredentials(in.verifier, in.cfg.credentials, in.log) })
	}
	if in.cert != nil {
		reloads = append(reloads, func() { in.cert.reload(in.log) })
	}
	return reloads
}

// shutDown stops accepting connections and finishes the requests in
// flight (30 s at most), then closes the listeners apart, stops the job
// worker and closes the store, which commits what is queued.
func (in *instance) shutDown() error {
	var err error
	if in.http != nil {
		in.log.Info("shutting down: finishing in-flight requests")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if e := in.http.Shutdown(ctx); e != nil {
			err = fmt.Errorf("shutting down: %w", e)
		}
		cancel()
	}
	for _, stop := range in.stopApart {
		stop()
	}
	in.close()
	return err
}

// close stops the job worker and the catalog, if they run, and closes
// the store.
func (in *instance) close() {
	if in.jobs != nil {
		in.jobs.Close()
	}
	if in.trainer != nil {
		in.trainer.Close()
	}
	if in.batch != nil {
		in.batch.Close()
	}
	if in.tally != nil {
		in.tally.Close()
	}
	if in.hub != nil {
		in.hub.Close()
	}
	if in.catalog != nil {
		in.catalog.Close()
	}
	if err := in.store.Close(); err != nil {
		in.log.Error("closing the store", "err", err)
	}
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
	return serveApartTLS(flag, addr, handler, message, path, log, nil)
}

// serveApartTLS is serveApart over TLS with tlsConfig, when it is not nil.
func serveApartTLS(flag, addr string, handler http.Handler, message, path string, log *slog.Logger, tlsConfig *tls.Config) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, TLSConfig: tlsConfig}
	scheme := "http://"
	if tlsConfig != nil {
		scheme = "https://"
		go func() { _ = srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { _ = srv.Serve(ln) }()
	}
	log.Info(message, "endpoint", scheme+ln.Addr().String()+path)
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

// zeroMeansNone maps a flag's 0 ("none") to the store's negative "none";
// the store takes 0 as "its default".
func zeroMeansNone[T int64 | time.Duration](v T) T {
	if v == 0 {
		return -1
	}
	return v
}

// isPostgresURL reports whether s names a PostgreSQL database by URL.
func isPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// redactURL leaves a URL's password out of messages and logs.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(a URL that does not parse)"
	}
	return u.Redacted()
}
