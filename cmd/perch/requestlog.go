package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/perchdev/perch/awsapi"
)

// newLogger is the server's logger: slog's text or JSON lines on w.
func newLogger(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format must be text or json, got %q", format)
}

// requestLogFlagHelp is --log-format's help, which says what a request's
// line holds and at which level it is logged.
const requestLogFlagHelp = "log `format`: text or json (slog's); one line per request answered, with its request id, account,\n" +
	"access key id, operation, status, AWS error code, message and member, and latency in ms; at info, but successful\n" +
	"events API calls and health and readiness probes at debug, since apps send thousands a second and probes never stop"

// logRequests returns an awsapi.Config.Observe that logs each request's
// outcome to log, at the level requestLevel gives it.
func logRequests(log *slog.Logger) func(*awsapi.Outcome) {
	return func(o *awsapi.Outcome) {
		level := requestLevel(o)
		ctx := context.Background()
		// Checked first so that a request's line costs nothing when its
		// level is off, as successful events calls' usually is.
		if !log.Enabled(ctx, level) {
			return
		}
		attrs := make([]slog.Attr, 0, 12)
		attrs = append(attrs,
			slog.String("requestId", o.RequestID),
			slog.String("api", o.API),
			slog.String("operation", o.Operation),
			slog.Int("status", o.Status),
			slog.Float64("latencyMs", float64(o.Latency.Microseconds())/1000),
			slog.String("account", o.Account))
		if o.AccessKeyID != "" {
			attrs = append(attrs, slog.String("accessKeyId", o.AccessKeyID))
		}
		if o.ErrorType != "" {
			attrs = append(attrs, slog.String("error", o.ErrorType), slog.String("message", o.Message))
		}
		if o.Member != "" {
			attrs = append(attrs, slog.String("member", o.Member))
		}
		log.LogAttrs(ctx, level, "request", attrs...)
	}
}

// requestLevel is the level of a request's line: debug for the successful
// events calls and probes that would flood the log at info, warn for the
// server's own failures, info for everything else, refusals included.
func requestLevel(o *awsapi.Outcome) slog.Level {
	switch {
	case o.Status >= http.StatusInternalServerError:
		return slog.LevelWarn
	case o.Status >= http.StatusBadRequest:
		return slog.LevelInfo
	case o.API == "events", o.Operation == "read/health", o.Operation == "read/ready":
		return slog.LevelDebug
	}
	return slog.LevelInfo
}
