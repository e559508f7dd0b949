package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/awsapi"
	"github.com/perchdev/perch/catalog"
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
	pprof      string
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
	fs.StringVar(&cfg.pprof, "pprof", "", "serve Go's runtime profiles (net/http/pprof) on `HOST:PORT`, apart from the APIs; off by default")
	if err := parseFlags(fs, args); err != nil {
		return err
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
	store, err := pebble.Open(filepath.Join(cfg.data, "store"), pebble.Options{Logger: log})
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

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	endpoint := "http://" + ln.Addr().String()
	if cfg.quickstart {
		if err := quickstart(perch.WithAccount(ctx, cfg.account), cat, endpoint, cfg.region, stdout); err != nil {
			ln.Close()
			return fmt.Errorf("quickstart: %w", err)
		}
	}

	srv := &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      10 * time.Minute, // record reads stream large datasets
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if cfg.pprof != "" {
		stop, err := serveProfiles(cfg.pprof, log)
		if err != nil {
			srv.Close()
			return err
		}
		defer stop()
	}
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

// serveProfiles serves the runtime's profiles on their own listener, so
// that they are never reachable through the API's address.
func serveProfiles(addr string, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--pprof: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	log.Info("serving profiles", "endpoint", "http://"+ln.Addr().String()+"/debug/pprof/")
	return func() { srv.Close() }, nil
}
