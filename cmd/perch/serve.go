package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/awsapi"
	"github.com/perchdev/perch/catalog"
	"github.com/perchdev/perch/connlimit"
	"github.com/perchdev/perch/ingest"
	"github.com/perchdev/perch/pebble"
)

type serveConfig struct {
	addr       string
	data       string
	region     string
	account    string
	quickstart bool
	logLevel   string
	maxConns   int
	minFreeMB  int64
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
	fs.Int64Var(&cfg.minFreeMB, "min-free-mb", 128, "free space (MiB) the data directory keeps; writes are refused with 503 below it (0: no check)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "perch serve: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	if cfg.maxConns < 1 || cfg.minFreeMB < 0 {
		return fmt.Errorf("--max-connections must be positive and --min-free-mb not negative")
	}
	if !regexp.MustCompile(`^\d{12}$`).MatchString(cfg.account) {
		return fmt.Errorf("--account-id must be 12 digits, got %q", cfg.account)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %v", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	return serve(ctx, cfg, log, stdout)
}

func serve(ctx context.Context, cfg serveConfig, log *slog.Logger, stdout io.Writer) error {
	if err := os.MkdirAll(cfg.data, 0o750); err != nil {
		return fmt.Errorf("creating the data directory: %w", err)
	}
	minFree := cfg.minFreeMB << 20
	if minFree == 0 {
		minFree = -1 // the store's "no check"
	}
	store, err := pebble.Open(filepath.Join(cfg.data, "store"), pebble.Options{Logger: log, MinFreeBytes: minFree})
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
	api := awsapi.New(awsapi.Config{
		Catalog: cat,
		Ingest:  ingest.New(cat, store),
		Store:   store,
		Account: cfg.account,
		Logger:  log,
	})

	tcp, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	ln := connlimit.NewListener(tcp, cfg.maxConns)
	endpoint := "http://" + ln.Addr().String()
	if cfg.quickstart {
		if err := quickstart(perch.WithAccount(ctx, cfg.account), cat, endpoint, cfg.region, stdout); err != nil {
			ln.Close()
			return fmt.Errorf("quickstart: %w", err)
		}
	}

	tooMany := perch.Errorf(perch.EServiceUnavailable, "The server has too many open connections; retry with backoff")
	srv := &http.Server{
		Handler: connlimit.Handler(api, func(w http.ResponseWriter, r *http.Request) {
			awsapi.WriteError(w, r, tooMany)
		}),
		ConnContext:       connlimit.ConnContext,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      10 * time.Minute, // record reads stream large datasets
		IdleTimeout:       2 * time.Minute,
		// Larger than the API's own limit, so that headers between the two
		// are refused in AWS's envelope; past it net/http answers 431.
		MaxHeaderBytes: 4 * awsapi.MaxHeaderBytes,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("perch ready", "endpoint", endpoint, "data", cfg.data, "region", cfg.region, "account", cfg.account)

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
