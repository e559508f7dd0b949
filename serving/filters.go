package serving

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/filter"
	"github.com/perchdev/perch/solutions"
)

// aFilter is a filter as requests use it: parsed against its group's
// schemas when first used.
type aFilter struct {
	filter *perch.Filter
	parsed *filter.Filter
}

// keeper returns what a request's filterArn and filterValues keep of the
// items a campaign of group groupARN recommends, for the request's user
// and item: nil when the request names no filter.
func (s *Service) keeper(ctx context.Context, groupARN, filterARN string, values map[string]string, user, item string) (func(string) bool, error) {
	return s.keeperOf(ctx, filter.TargetItem, groupARN, filterARN, values, user, item)
}

// keeperOf is keeper for candidates of target: ItemID for items, ActionID
// for GetActionRecommendations' actions, whose filters read the
// Action_Interactions dataset.
func (s *Service) keeperOf(ctx context.Context, target, groupARN, filterARN string, values map[string]string, user, item string) (func(string) bool, error) {
	if filterARN == "" {
		return nil, nil
	}
	f, err := s.filter(ctx, filterARN)
	if err != nil {
		return nil, err
	}
	if f.filter.GroupARN != groupARN {
		return nil, perch.Errorf(perch.EInvalidInput, "Filter %s belongs to dataset group %s, not to %s, whose campaign serves this request.",
			filterARN, f.filter.GroupARN, groupARN)
	}
	if t := f.parsed.Target(); t != target {
		if target == filter.TargetAction {
			return nil, perch.Errorf(perch.EInvalidInput, "Filter %s filters %s values; action recommendations take an ActionID filter.", filterARN, t)
		}
		if target == filter.TargetUser {
			return nil, perch.Errorf(perch.EInvalidInput, "Filter %s filters %s values; user segments take a UserID filter.", filterARN, t)
		}
		return nil, perch.Errorf(perch.EInvalidInput, "Filter %s filters %s values; recommendations of items take an ItemID filter.", filterARN, t)
	}
	switch {
	case f.parsed.NeedsUser() && user == "":
		return nil, perch.Errorf(perch.EInvalidInput, "Filter %s reads the requesting user's data: give a userId.", filterARN)
	case f.parsed.NeedsCurrentItem() && item == "":
		return nil, perch.Errorf(perch.EInvalidInput, "Filter %s compares items with CurrentItem: give an itemId.", filterARN)
	}
	bound, err := f.parsed.Bind(values)
	if err != nil {
		return nil, err
	}
	facts := &requestFacts{s: s, ctx: ctx, group: groupARN, records: map[recordKey]map[string]any{}, actions: target == filter.TargetAction}
	m := bound.Prepare(filter.Facts{Record: facts.record, Interactions: facts.interactions, CurrentUser: user, CurrentItem: item})
	if facts.err != nil {
		return nil, facts.err
	}
	return func(id string) bool {
		// A lookup that failed keeps nothing rather than what the
		// filter may exclude.
		return facts.err == nil && m.Keep(id)
	}, nil
}

// filter returns the filter arn. It is read from the store by every
// request, so that a deletion, on any node, takes effect at once; its
// parsed form is kept while the stored filter stays the same.
func (s *Service) filter(ctx context.Context, arn string) (*aFilter, error) {
	a, ok := perch.ParseARN(arn)
	if !ok || a.Account != accountOf(ctx, a.Account) {
		return nil, perch.NotFound(arn)
	}
	stored, err := s.rs.Filter(ctx, arn)
	if err != nil {
		if perch.ErrorCode(err) == perch.EResourceNotFound {
			s.mu.Lock()
			delete(s.filters, arn)
			s.mu.Unlock()
		}
		return nil, err
	}
	s.mu.Lock()
	f := s.filters[arn]
	s.mu.Unlock()
	if f != nil && f.filter.Expression == stored.Expression && f.filter.Created == stored.Created {
		return f, nil
	}
	schemas, err := solutions.GroupSchemas(ctx, s.rs, stored.GroupARN)
	if err != nil {
		return nil, err
	}
	parsed, err := filter.Parse(stored.Expression, schemas)
	if err != nil {
		// The group's schemas changed under the filter since it was
		// created.
		var e *perch.Error
		if errors.As(err, &e) {
			return nil, perch.Errorf(perch.EInvalidInput, "Filter %s no longer applies to its dataset group: %s", arn, e.Message)
		}
		return nil, err
	}
	f = &aFilter{filter: stored, parsed: parsed}
	s.mu.Lock()
	s.filters[arn] = f
	s.mu.Unlock()
	return f, nil
}

// requestFacts reads, for one request, what its filter asks of the
// store: records by id, each read once, and a user's interactions. The
// first error stops the filtering and fails the request.
type requestFacts struct {
	s       *Service
	ctx     context.Context
	group   string
	records map[recordKey]map[string]any
	err     error
	// actions: the user's interactions are those of the Action_Interactions
	// dataset.
	actions bool
}

type recordKey struct {
	t  perch.DatasetType
	id string
}

func (f *requestFacts) record(t perch.DatasetType, id string) (map[string]any, bool) {
	k := recordKey{t, id}
	if r, ok := f.records[k]; ok {
		return r, r != nil
	}
	r, err := f.read(t, id)
	if err != nil {
		if f.err == nil {
			f.err = err
		}
		return nil, false
	}
	f.records[k] = r
	return r, r != nil
}

// read returns the newest record of id in the group's dataset of type t,
// keyed by the schema's field names; nil when there is none.
func (f *requestFacts) read(t perch.DatasetType, id string) (map[string]any, error) {
	d, schema, err := f.s.cfg.Catalog.DatasetSchema(f.ctx, datasetOf(f.group, t))
	if perch.ErrorCode(err) == perch.EResourceNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var newest *perch.Entity
	err = f.s.cfg.Store.Entities(f.ctx, d.ID, perch.RecordQuery{ID: id}, func(e *perch.Entity) error {
		if newest == nil || e.Updated > newest.Updated {
			c := *e
			newest = &c
		}
		return nil
	})
	if err != nil || newest == nil {
		return nil, err
	}
	var props map[string]any
	if newest.Properties != "" {
		if err := json.Unmarshal([]byte(newest.Properties), &props); err != nil {
			return nil, nil
		}
	}
	out := make(map[string]any, len(props))
	for _, field := range schema.Fields {
		if v, ok := props[perch.CamelCase(field.Name)]; ok {
			out[field.Name] = v
		}
	}
	return out, nil
}

// interactions returns user's interactions, newest first, as the filter
// reads them.
func (f *requestFacts) interactions(user string) []filter.Interaction {
	if f.actions {
		return f.actionInteractions(user)
	}
	d, _, err := f.s.cfg.Catalog.DatasetSchema(f.ctx, interactionsOf(f.group))
	if perch.ErrorCode(err) == perch.EResourceNotFound {
		return nil
	}
	if err != nil {
		f.fail(err)
		return nil
	}
	var out []filter.Interaction
	err = f.s.cfg.Store.Events(f.ctx, d.ID, perch.RecordQuery{UserID: user}, func(e *perch.Event) error {
		if !e.Duplicate && e.ItemID != "" {
			out = append(out, filter.Interaction{ID: e.ItemID, EventType: e.EventType, Time: int64(e.SentAt)})
		}
		return nil
	})
	if err != nil {
		f.fail(err)
		return nil
	}
	slices.SortStableFunc(out, func(a, b filter.Interaction) int { return cmp.Compare(b.Time, a.Time) })
	return out
}

func (f *requestFacts) fail(err error) {
	if f.err == nil {
		f.err = err
	}
}

// datasetOf is the ARN of the dataset of type t of a group.
func datasetOf(groupARN string, t perch.DatasetType) string {
	a, _ := perch.ParseARN(groupARN)
	name := strings.TrimPrefix(a.Resource, perch.KindDatasetGroup+"/")
	return perch.Scope{Region: a.Region, Account: a.Account}.DatasetARN(name, t)
}
