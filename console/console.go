// Package console serves perch's web console: the assets embedded from
// assets/ and a JSON API under /_perch/console/api/ (see API.md). It reads
// through the same services the AWS API serves, each call scoped to the
// account of the console's session, and writes nothing but what its
// "try it" calls send through the API itself.
package console

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/sigv4"
)

// assets are the console's page, scripts and styles, built into the
// binary so users need no separate build step.
//
//go:embed assets
var assets embed.FS

// Prefix is where the console lives. AWS uses no path under /_perch/, so
// it cannot collide with a Personalize route.
const Prefix = "/_perch/console/"

// Config is what the console reads from: the services perch serve builds
// for the AWS API, and the figures only the console keeps.
type Config struct {
	Catalog      perch.Catalog
	Store        perch.Store
	Solutions    perch.Solutions
	Filters      perch.Filters
	Recommenders perch.Recommenders
	Jobs         perch.Jobs
	Batch        perch.BatchJobs
	Segments     perch.SegmentJobs
	Attributions perch.MetricAttributions
	Runtime      perch.Runtime
	// API is the AWS API's handler, which "try it" calls go through.
	API http.Handler
	// Verifier holds the keys a login may use; nil with --auth none, when
	// every call acts for Account.
	Verifier *sigv4.Verifier
	Account  string
	Region   string
	// Hub tails and counts the records the ingest path accepts (see
	// Hub.Committed); Refused keeps the API's refused requests (see
	// Refused.Observe). Both are required: the console does not feed
	// them itself.
	Hub     *Hub
	Refused *Refused
	Logger  *slog.Logger
}

// Console is the console's http.Handler, for the paths under Prefix.
type Console struct {
	cfg      Config
	log      *slog.Logger
	sessions *sessions
	static   http.Handler
	api      map[string]endpoint
}

// endpoint serves one call of the JSON API for the account ctx carries.
type endpoint struct {
	method string
	serve  func(c *Console, ctx context.Context, w http.ResponseWriter, r *http.Request, s *session) error
}

// New returns the console over cfg's services.
func New(cfg Config) *Console {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Hub == nil || cfg.Refused == nil {
		panic("console: Config.Hub and Config.Refused are required")
	}
	files, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree always has assets/
	}
	c := &Console{cfg: cfg, log: cfg.Logger, sessions: newSessions(), static: http.StripPrefix(strings.TrimSuffix(Prefix, "/"), http.FileServerFS(files))}
	c.api = map[string]endpoint{
		"session": {http.MethodGet, (*Console).serveSession},
		"groups":  {http.MethodGet, (*Console).serveGroups},
		"group":   {http.MethodGet, (*Console).serveGroup},
		"dataset": {http.MethodGet, (*Console).serveDataset},
		"records": {http.MethodGet, (*Console).serveRecords},
		"tail":    {http.MethodGet, (*Console).serveTail},
		"refused": {http.MethodGet, (*Console).serveRefused},
		"user":    {http.MethodGet, (*Console).serveUser},
		"metrics": {http.MethodGet, (*Console).serveMetrics},
		"try":     {http.MethodPost, (*Console).serveTry},
		"logout":  {http.MethodPost, (*Console).serveLogout},
	}
	return c
}

// ServeHTTP serves the assets and the JSON API under Prefix.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == strings.TrimSuffix(Prefix, "/") {
		http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
		return
	}
	name, isAPI := strings.CutPrefix(r.URL.Path, Prefix+"api/")
	if !isAPI {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeError(w, http.StatusMethodNotAllowed, "the console's pages are read with GET")
			return
		}
		// The page holds no secret, but it must not be framed by another
		// site (clickjacking), nor sniffed into another type.
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		c.static.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if r.Method == http.MethodPost && r.Header.Get("X-Perch-Console") != "1" {
		// A form or an image on another site cannot set this header, and a
		// script there cannot without a CORS preflight, which the console
		// never grants.
		writeError(w, http.StatusForbidden, "missing X-Perch-Console header")
		return
	}
	if name == "login" {
		if r.Method != http.MethodPost {
			writeError(w, http.StatusMethodNotAllowed, "login is a POST")
			return
		}
		c.serveLogin(w, r)
		return
	}
	ep, ok := c.api[name]
	if !ok {
		writeError(w, http.StatusNotFound, "no console API call "+name)
		return
	}
	if r.Method != ep.method && !(ep.method == http.MethodGet && r.Method == http.MethodHead) {
		writeError(w, http.StatusMethodNotAllowed, name+" is a "+ep.method)
		return
	}
	s := c.session(r)
	if s == nil {
		writeError(w, http.StatusUnauthorized, "login required")
		return
	}
	ctx := perch.WithAccount(r.Context(), s.account)
	if err := ep.serve(c, ctx, w, r, s); err != nil {
		c.fail(w, name, err)
	}
}

// fail answers err: AWS's not-found and bad-input errors as 404 and 400,
// anything else as 500 (and logged).
func (c *Console) fail(w http.ResponseWriter, name string, err error) {
	var pe *perch.Error
	var bad badRequest
	switch {
	case errors.As(err, &bad):
		writeError(w, http.StatusBadRequest, string(bad))
	case errors.As(err, &pe) && pe.Code == perch.EResourceNotFound:
		writeError(w, http.StatusNotFound, pe.Message)
	case errors.As(err, &pe) && pe.Code == perch.EInvalidInput:
		writeError(w, http.StatusBadRequest, pe.Message)
	case errors.Is(err, context.Canceled):
		// The browser went away; nothing to answer.
	default:
		c.log.Warn("console call failed", "call", name, "err", err)
		writeError(w, http.StatusInternalServerError, err.Error())
	}
}

// badRequest is a console call's own refusal of its parameters.
type badRequest string

func (b badRequest) Error() string { return string(b) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]string{"error": message})
}

// rfc3339 writes a resource's time as the console's API gives times; the
// zero time is left out.
func rfc3339(t perch.Timestamp) string {
	if t == 0 {
		return ""
	}
	return t.Time().Format(time.RFC3339Nano)
}
