// Package catalog is the control plane: it validates what each operation
// is given, builds the resource with its ARN and status, and leaves the
// rest to the perch.ResourceStore, which keeps every resource and holds
// the rules between them in its own atomic steps. The catalog keeps only
// what the events API reads on every call (routes.go) and the parsed form
// of each schema.
//
// perch creates resources directly in the ACTIVE status, so SDK waiters and
// scripts that poll for ACTIVE return at once.
package catalog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/perchdev/perch"
)

// Default quotas per account and region.
const (
	DefaultMaxSchemas       = 500
	DefaultMaxDatasetGroups = 500
)

// Options tunes a Catalog. The zero value is ready to use.
type Options struct {
	// Now is the clock that stamps creation and update times; time.Now
	// when nil.
	Now func() time.Time
	// MaxDatasetGroups and MaxSchemas are the per-account quotas beyond
	// which creation fails with LimitExceededException; 0 means the
	// default.
	MaxDatasetGroups int
	MaxSchemas       int
	// Resync is how often the routes are rebuilt from a store several
	// processes share even when no change was announced: the safety net
	// of WatchResources. DefaultResync when 0.
	Resync time.Duration
	// Logger reports failures of the background refresh.
	Logger *slog.Logger
}

// DefaultResync is how often the catalog of a shared store rebuilds its
// routes without being told of a change.
const DefaultResync = 10 * time.Second

// Catalog implements perch.Catalog over a perch.ResourceStore.
type Catalog struct {
	rs               perch.ResourceStore
	scope            perch.Scope
	now              func() time.Time
	maxSchemas       int
	maxDatasetGroups int

	// parsedMu guards parsed, the parsed form of each schema by ARN, with
	// the definition it was parsed from: the write path never parses a
	// schema twice.
	parsedMu sync.Mutex
	parsed   map[string]parsedSchema

	// routes is what the events API resolves on every call, published
	// whole after each change (routes.go); publishMu orders the
	// publications.
	routes    atomic.Pointer[routes]
	publishMu sync.Mutex

	// shared is rs when other processes share it; their changes arrive
	// through WatchResources and the lookups' misses.
	shared perch.SharedResources
	log    *slog.Logger
	stop   context.CancelFunc
	done   chan struct{}
}

// parsedSchema is a schema's parsed form, or why a schema stored by an
// earlier version no longer parses.
type parsedSchema struct {
	definition string
	avro       *perch.AvroSchema
	err        error
}

var _ perch.Catalog = (*Catalog)(nil)

// Open opens the catalog of the resources rs keeps. scope gives the
// region of the ARNs the catalog creates and the account of requests
// whose context carries none.
func Open(ctx context.Context, rs perch.ResourceStore, scope perch.Scope, opts Options) (*Catalog, error) {
	c := &Catalog{
		rs:               rs,
		scope:            scope,
		now:              opts.Now,
		maxSchemas:       opts.MaxSchemas,
		maxDatasetGroups: opts.MaxDatasetGroups,
		parsed:           map[string]parsedSchema{},
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.maxSchemas <= 0 {
		c.maxSchemas = DefaultMaxSchemas
	}
	if c.maxDatasetGroups <= 0 {
		c.maxDatasetGroups = DefaultMaxDatasetGroups
	}
	c.log = opts.Logger
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if err := c.publishRoutes(ctx); err != nil {
		return nil, fmt.Errorf("catalog: loading resources: %w", err)
	}
	c.done = make(chan struct{})
	if shared, ok := rs.(perch.SharedResources); ok {
		c.shared = shared
		resync := opts.Resync
		if resync <= 0 {
			resync = DefaultResync
		}
		var watchCtx context.Context
		watchCtx, c.stop = context.WithCancel(context.Background())
		go c.follow(watchCtx, resync)
	} else {
		close(c.done)
	}
	return c, nil
}

// Close stops following the changes other processes make to a shared
// store.
func (c *Catalog) Close() {
	if c.stop != nil {
		c.stop()
	}
	<-c.done
}

// follow rebuilds the routes after each change another process announces,
// and every resync in case an announcement was lost.
func (c *Catalog) follow(ctx context.Context, resync time.Duration) {
	defer close(c.done)
	changed := make(chan struct{}, 1)
	go func() {
		err := c.shared.WatchResources(ctx, func() {
			select {
			case changed <- struct{}{}:
			default:
			}
		})
		if err != nil && ctx.Err() == nil {
			c.log.Error("watching the store for changes of resources; the routes are rebuilt every resync only", "err", err)
		}
	}()
	tick := time.NewTicker(resync)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-tick.C:
		}
		if err := c.publishRoutes(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn("rebuilding the routes from the store", "err", err)
		}
	}
}

// scopeOf returns the region and account a request acts in.
func (c *Catalog) scopeOf(ctx context.Context) perch.Scope {
	s := c.scope
	if a := perch.AccountFrom(ctx); a != "" {
		s.Account = a
	}
	return s
}

func (c *Catalog) stamp() perch.Timestamp { return perch.TimestampOf(c.now()) }

// get reads the resource arn with read, but only when it belongs to
// scope: resources of other accounts do not exist for the caller.
func get[T any](ctx context.Context, s perch.Scope, arn string, read func(context.Context, string) (*T, error)) (*T, error) {
	if !s.Owns(arn) {
		return nil, perch.NotFound(arn)
	}
	return read(ctx, arn)
}

// owned returns the resources of list that belong to s and satisfy keep.
func owned[T any](list []*T, arnOf func(*T) string, s perch.Scope, keep func(*T) bool) []*T {
	var out []*T
	for _, v := range list {
		if s.Owns(arnOf(v)) && keep(v) {
			out = append(out, v)
		}
	}
	return out
}

func all[T any](*T) bool { return true }

// same is the clone Paginate asks for, for lists the store made fresh.
func same[T any](v *T) *T { return v }

// schemaOf returns the parsed form of schema s, parsing it only when its
// definition is new to the catalog.
func (c *Catalog) schemaOf(s *perch.Schema) (*perch.AvroSchema, error) {
	c.parsedMu.Lock()
	p, ok := c.parsed[s.ARN]
	c.parsedMu.Unlock()
	if !ok || p.definition != s.Definition {
		// A schema the current rules reject stays listed and deletable;
		// only uses of it report the problem.
		avro, err := perch.ParseSchema(s.Definition)
		p = parsedSchema{s.Definition, avro, err}
		c.parsedMu.Lock()
		c.parsed[s.ARN] = p
		c.parsedMu.Unlock()
	}
	if p.err != nil {
		return nil, perch.Errorf(perch.EInvalidInput, "Schema %s is no longer valid: %s", s.ARN, p.err)
	}
	return p.avro, nil
}

func checkDomain(domain string) error {
	switch domain {
	case "", perch.DomainEcommerce, perch.DomainVideoOnDemand:
		return nil
	}
	return perch.Errorf(perch.EInvalidInput, "Domain %s is not supported. Valid domains: %s, %s.",
		domain, perch.DomainEcommerce, perch.DomainVideoOnDemand)
}

// invalidInput reports a rule failure as InvalidInputException, keeping
// the code of failures that already carry one.
func invalidInput(err error) error {
	var e *perch.Error
	if errors.As(err, &e) {
		return e
	}
	return perch.Errorf(perch.EInvalidInput, "%s", err)
}

// stored passes on the store's refusals, which carry AWS's codes, and
// wraps any other failure with what was being written.
func stored(err error, what, arn string) error {
	var e *perch.Error
	if errors.As(err, &e) {
		return err
	}
	return fmt.Errorf("catalog: %s %s: %w", what, arn, err)
}
