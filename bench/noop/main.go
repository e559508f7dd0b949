// Command noop serves the baselines perch's figures are measured against:
// a server that reads each events API body and answers 200, and, with
// --log, one that first syncs each body to a log with group commit, the
// least a durable server does. perch-bench loads it as it loads perch.
//
//	go run ./bench/noop [--addr HOST:PORT] [--decode] [--log DIR] [--http net/http|fasthttp]
//
// It logs `msg="noop ready" endpoint=URL` once it listens, and stops on
// SIGINT or SIGTERM.
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
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stderr)
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "noop:", err)
		os.Exit(2)
	}
}

// errUsage means the flag package has said what was wrong already.
var errUsage = errors.New("usage")

// run serves until ctx ends.
func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("noop", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8081", "`HOST:PORT` to listen on (port 0 picks a free one)")
	decode := fs.Bool("decode", false, "also decode each body as a PutEvents request with encoding/json")
	logDir := fs.String("log", "", "also append each body to a log in `DIR` and answer only once it is synced (group commit): the least a durable server does")
	server := fs.String("http", "net/http", "the HTTP `server`: net/http (perch's) or fasthttp (a lighter one, to see the HTTP server's share of a floor)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *server != "net/http" && *server != "fasthttp" {
		return fmt.Errorf("--http %q: net/http or fasthttp", *server)
	}
	var log *ringLog
	if *logDir != "" {
		var err error
		if log, err = openRingLog(*logDir, ringLogBytes); err != nil {
			return fmt.Errorf("--log: %w", err)
		}
		defer log.Close()
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	var serve func(net.Listener) error
	var shutdown func(context.Context) error
	if *server == "fasthttp" {
		srv := fastServer(*decode, log)
		serve, shutdown = srv.Serve, srv.ShutdownWithContext
	} else {
		srv := &http.Server{Handler: handler(*decode, log), ReadHeaderTimeout: 10 * time.Second}
		serve, shutdown = srv.Serve, srv.Shutdown
	}
	errc := make(chan error, 1)
	go func() { errc <- serve(ln) }()
	slog.New(slog.NewTextHandler(stderr, nil)).Info("noop ready",
		"endpoint", "http://"+ln.Addr().String(), "http", *server, "decode", *decode, "log", *logDir)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return shutdown(shutdownCtx)
}
