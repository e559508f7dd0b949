// Command perch is a self-hosted server for the Amazon Personalize event
// APIs.
//
//	perch serve [flags]            serve the control plane and events API
//	perch records DATASET_ARN      print a dataset's stored records as JSON Lines
//	perch export GROUP_ARN         write a dataset group's training data to files
//
// The load generator is a command of its own, cmd/perch-bench, so that
// this binary carries only the server and its clients.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `perch serves the Amazon Personalize control plane and events API.

Usage:
  perch serve [--addr HOST:PORT] [--data DIR] [--region R] [--account-id N] [--quickstart]
              [--auth none|sigv4 --credentials FILE] [--tls-cert FILE --tls-key FILE]
  perch records DATASET_ARN [--endpoint URL] [--profile P] [--user-id U] [--session-id S] [--limit N]
  perch export DATASET_GROUP_ARN --out DIR [--format csv|jsonl|parquet] [--since T] [--until T] [--endpoint URL]

Run "perch COMMAND --help" for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if err != errUsage {
			fmt.Fprintln(os.Stderr, "perch:", err)
		}
		os.Exit(2)
	}
}

// errUsage means the usage was already printed.
var errUsage = fmt.Errorf("usage")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	err := runCommand(ctx, args, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the command printed its help
	}
	return err
}

func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], stdout, stderr)
	case "records":
		return runRecords(ctx, args[1:], stdout, stderr)
	case "export":
		return runExport(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "perch: unknown command %q\n\n%s", args[0], usage)
	return errUsage
}

// parseFlags parses the flags of a command that takes no other arguments.
// It returns flag.ErrHelp after -h, which run answers with success, and
// errUsage for anything it cannot parse.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return errUsage
	}
	return nil
}
