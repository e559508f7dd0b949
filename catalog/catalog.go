// Package catalog is the control plane: it keeps every schema, dataset
// group, dataset and event tracker in memory, enforces the rules between
// them, and persists each change through a perch.ResourceStore before it
// becomes visible.
//
// perch creates resources directly in the ACTIVE status, so SDK waiters and
// scripts that poll for ACTIVE return at once.
package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
}

// Catalog implements perch.Catalog over a perch.ResourceStore.
//
// Every mutation checks the rules against memory, writes through the store
// and only then changes memory, all under one lock, so a failed write
// leaves the catalog as it was.
type Catalog struct {
	rs               perch.ResourceStore
	scope            perch.Scope
	now              func() time.Time
	maxSchemas       int
	maxDatasetGroups int

	mu       sync.RWMutex
	schemas  map[string]*perch.Schema // by ARN
	groups   map[string]*perch.DatasetGroup
	datasets map[string]*perch.Dataset
	trackers map[string]*perch.EventTracker
	// parsed caches the parsed form of each schema by ARN, so the write
	// path never parses a schema twice.
	parsed map[string]parsedSchema
	// holds lists, per dataset ARN, the jobs that keep it from deletion.
	holds map[string]map[string]bool

	// routes is published by every change of datasets and trackers, for
	// the events API to read without mu (see routes.go).
	routes atomic.Pointer[routes]
}

// parsedSchema is a schema's parsed form, or why a schema stored by an
// earlier version no longer parses.
type parsedSchema struct {
	avro *perch.AvroSchema
	err  error
}

var _ perch.Catalog = (*Catalog)(nil)

// Open loads every resource of rs. scope gives the region of the ARNs the
// catalog creates and the account of requests whose context carries none.
func Open(ctx context.Context, rs perch.ResourceStore, scope perch.Scope, opts Options) (*Catalog, error) {
	c := &Catalog{
		rs:               rs,
		scope:            scope,
		now:              opts.Now,
		maxSchemas:       opts.MaxSchemas,
		maxDatasetGroups: opts.MaxDatasetGroups,
		schemas:          map[string]*perch.Schema{},
		groups:           map[string]*perch.DatasetGroup{},
		datasets:         map[string]*perch.Dataset{},
		trackers:         map[string]*perch.EventTracker{},
		parsed:           map[string]parsedSchema{},
		holds:            map[string]map[string]bool{},
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

	schemas, err := rs.Schemas(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: load schemas: %w", err)
	}
	for _, s := range schemas {
		c.schemas[s.ARN] = s
		// A schema the current rules reject stays listed and deletable;
		// only uses of it report the problem.
		avro, err := perch.ParseSchema(s.Definition)
		c.parsed[s.ARN] = parsedSchema{avro, err}
	}
	groups, err := rs.DatasetGroups(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: load dataset groups: %w", err)
	}
	for _, g := range groups {
		c.groups[g.ARN] = g
	}
	datasets, err := rs.Datasets(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: load datasets: %w", err)
	}
	for _, d := range datasets {
		c.datasets[d.ARN] = d
	}
	trackers, err := rs.EventTrackers(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: load event trackers: %w", err)
	}
	for _, t := range trackers {
		c.trackers[t.ARN] = t
	}
	c.publishRoutes()
	return c, nil
}

// scopeOf returns the region and account a request acts in.
func (c *Catalog) scopeOf(ctx context.Context) perch.Scope {
	s := c.scope
	if a := perch.AccountFrom(ctx); a != "" {
		s.Account = a
	}
	return s
}

// lookup finds the resource arn names in m, but only when it belongs to
// scope: resources of other accounts do not exist for the caller.
func lookup[T any](m map[string]*T, s perch.Scope, arn string) (*T, error) {
	if v, ok := m[arn]; ok && s.Owns(arn) {
		return v, nil
	}
	return nil, notFound(arn)
}

// inScope returns the resources of m that belong to s and satisfy keep.
func inScope[T any](m map[string]*T, s perch.Scope, keep func(*T) bool) []*T {
	var out []*T
	for arn, v := range m {
		if s.Owns(arn) && keep(v) {
			out = append(out, v)
		}
	}
	return out
}

func all[T any](*T) bool { return true }

func notFound(arn string) *perch.Error {
	return perch.Errorf(perch.EResourceNotFound, "Resource Arn %s does not exist.", arn)
}

func alreadyExists(arn string) *perch.Error {
	return perch.Errorf(perch.EResourceAlreadyExists, "Resource Arn %s already exists.", arn)
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

// stored wraps a store failure with what was being written.
func stored(err error, what, arn string) error {
	return fmt.Errorf("catalog: %s %s: %w", what, arn, err)
}

func cloneSchema(s *perch.Schema) *perch.Schema {
	c := *s
	return &c
}

func cloneGroup(g *perch.DatasetGroup) *perch.DatasetGroup {
	c := *g
	c.Tags = slices.Clone(g.Tags)
	return &c
}

func cloneDataset(d *perch.Dataset) *perch.Dataset {
	c := *d
	c.Tags = slices.Clone(d.Tags)
	if d.LatestUpdate != nil {
		u := *d.LatestUpdate
		c.LatestUpdate = &u
	}
	return &c
}

func cloneTracker(t *perch.EventTracker) *perch.EventTracker {
	c := *t
	c.Tags = slices.Clone(t.Tags)
	return &c
}
