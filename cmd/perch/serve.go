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
	"github.com/perchdev/perch/ingest"
	"github.com/perchdev/perch/jobs"
	"github.com/perchdev/perch/pebble"
	"github.com/perchdev/perch/s3loc"
)

type serveConfig struct {
	addr       string
	data       string
	region     string
	account    string
	quickstart bool
	logLevel   string
	s3Root     string
	s3Endpoint string
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
	fs.StringVar(&cfg.s3Root, "s3-root", "", "serve the s3://bucket/key locations of jobs from `DIR`/bucket/key")
	fs.StringVar(&cfg.s3Endpoint, "s3-endpoint", "", "serve the s3:// locations of jobs from the S3-compatible service at `URL` (credentials from the AWS SDK's usual sources)")
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
	if cfg.s3Root != "" && cfg.s3Endpoint != "" {
		return fmt.Errorf("--s3-root and --s3-endpoint exclude each other")
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
		Catalog: cat,
		Ingest:  ingest.New(cat, store),
		Store:   store,
		Jobs:    jobService,
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
