// Package serving answers the personalize-runtime API: GetRecommendations
// and GetPersonalizedRanking against a campaign's model. It keeps the
// models it serves decoded in memory, and reads each request's user
// history from the store at request time, so that events sent after
// training change that user's next recommendations at once.
package serving

import (
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/recipe"
	"github.com/perchdev/perch/solutions"
)

// Defaults of Config.
const (
	// DefaultHistory is how many of a user's newest interactions a
	// request folds in: enough to describe a taste, few enough to read
	// within the runtime's latency.
	DefaultHistory = 200
	// DefaultCampaignTTL is how long a campaign read from the store is
	// trusted: an UpdateCampaign, on this node or another, takes effect
	// within it.
	DefaultCampaignTTL = time.Second
	// DefaultModels is how many models stay decoded at once.
	DefaultModels = 16
	// DefaultAutoUpdate is how often a user-personalization model learns
	// the items added since it was trained, as AWS updates the campaigns
	// of those recipes every two hours.
	DefaultAutoUpdate = 2 * time.Hour
)

// Config is what a Service needs.
type Config struct {
	Store   perch.Store
	Catalog perch.Catalog
	Logger  *slog.Logger
	Now     func() time.Time
	// History, CampaignTTL and Models default to the constants above.
	History     int
	CampaignTTL time.Duration
	Models      int
	// AutoUpdate is how often a served user-personalization model is
	// updated with the items added since; 0 means DefaultAutoUpdate, a
	// negative value never.
	AutoUpdate time.Duration
}

// Service implements perch.Runtime.
type Service struct {
	cfg Config
	rs  perch.ResourceStore

	mu        sync.Mutex
	campaigns map[string]*served
	filters   map[string]*aFilter
	models    map[string]*loaded
	tick      uint64 // orders the models' uses, for eviction

	stats stats
}

var _ perch.Runtime = (*Service)(nil)

// served is a campaign as a request needs it, read from the store at
// most CampaignTTL ago.
type served struct {
	campaign *perch.Campaign
	version  string // the version served: $LATEST resolved
	read     time.Time
	// unscored is set for a domain recommender, whose answers have no
	// scores.
	unscored bool
}

// loaded is a decoded model and, for trending-now, its refreshed trend.
type loaded struct {
	once    sync.Once
	model   recipe.Model
	err     error
	used    uint64
	refresh sync.Mutex // one trend refresh at a time
	trend   *recipe.Trending
	trendAt int64 // when trend was computed, ms
	update  autoUpdate
	// bytes is the size of the model's serialized form, set under the
	// Service's mu once it is loaded: Stats reports it as the model's
	// size in memory.
	bytes int
}

// New returns the runtime over the store's campaigns and models.
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.History <= 0 {
		cfg.History = DefaultHistory
	}
	if cfg.CampaignTTL <= 0 {
		cfg.CampaignTTL = DefaultCampaignTTL
	}
	if cfg.AutoUpdate == 0 {
		cfg.AutoUpdate = DefaultAutoUpdate
	}
	if cfg.Models <= 0 {
		cfg.Models = DefaultModels
	}
	return &Service{cfg: cfg, rs: cfg.Store.Resources(), campaigns: map[string]*served{}, filters: map[string]*aFilter{}, models: map[string]*loaded{}}
}

// campaign returns the campaign arn and the version it serves.
func (s *Service) campaign(ctx context.Context, arn string) (*served, error) {
	a, ok := perch.ParseARN(arn)
	if !ok || a.Account != accountOf(ctx, a.Account) {
		return nil, perch.NotFound(arn)
	}
	now := s.cfg.Now()
	s.mu.Lock()
	c := s.campaigns[arn]
	s.mu.Unlock()
	if c != nil && now.Sub(c.read) < s.cfg.CampaignTTL {
		return c, nil
	}
	if c != nil {
		// The other requests keep the entry while this one reads the
		// campaign again, so that they never wait for the store, nor for
		// a new version's model to load.
		s.mu.Lock()
		if s.campaigns[arn] == c {
			s.campaigns[arn] = &served{campaign: c.campaign, version: c.version, read: now}
		}
		s.mu.Unlock()
	}
	campaign, err := s.rs.Campaign(ctx, arn)
	if err != nil {
		if perch.ErrorCode(err) == perch.EResourceNotFound {
			s.mu.Lock()
			delete(s.campaigns, arn)
			s.mu.Unlock()
		}
		return nil, err
	}
	version := campaign.SolutionVersionARN
	if strings.HasSuffix(version, "/$LATEST") {
		latest, err := solutions.Latest(ctx, s.rs, solutions.SolutionOfVersion(version))
		if err != nil {
			return nil, err
		}
		if latest == nil {
			return nil, perch.Errorf(perch.EInvalidInput, "Campaign %s serves its solution's latest version, and none is ACTIVE.", arn)
		}
		version = latest.ARN
	}
	if c != nil && c.version != version {
		// As on AWS, the old version serves until the new one is ready: its
		// model loads before the campaign switches to it. A model that
		// fails to load fails the requests that reach it, and is tried
		// again by the next.
		_, _ = s.model(ctx, version)
	}
	c = &served{campaign: campaign, version: version, read: now}
	s.mu.Lock()
	s.campaigns[arn] = c
	s.mu.Unlock()
	return c, nil
}

// accountOf is the account a request acts for: its context's, or, without
// one, the account the ARN names.
func accountOf(ctx context.Context, named string) string {
	if a := perch.AccountFrom(ctx); a != "" {
		return a
	}
	return named
}

// model returns the decoded model of the version arn, loading it once.
func (s *Service) model(ctx context.Context, arn string) (*loaded, error) {
	s.mu.Lock()
	m := s.models[arn]
	if m == nil {
		m = &loaded{}
		s.models[arn] = m
		s.evict()
	}
	s.tick++
	m.used = s.tick
	s.mu.Unlock()
	m.once.Do(func() {
		b, err := s.rs.Model(ctx, arn)
		if err != nil {
			m.err = err
			return
		}
		m.model, m.err = recipe.Load(b)
		if t, ok := m.model.(*recipe.Trending); ok {
			m.trend, m.trendAt = t, t.Until()
		}
		if m.err == nil {
			s.mu.Lock()
			m.bytes = len(b)
			s.mu.Unlock()
		}
	})
	if m.err != nil {
		// A failed load is tried again by the next request.
		s.mu.Lock()
		if s.models[arn] == m {
			delete(s.models, arn)
		}
		s.mu.Unlock()
		return nil, m.err
	}
	return m, nil
}

// evict drops the least recently used models past the bound; the caller
// holds mu.
func (s *Service) evict() {
	for len(s.models) > s.cfg.Models {
		var oldest string
		var used uint64 = math.MaxUint64
		for arn, m := range s.models {
			if m.used < used {
				oldest, used = arn, m.used
			}
		}
		delete(s.models, oldest)
	}
}

// recipeOf names the recipe and type of a campaign's model.
func recipeOf(m recipe.Model) (string, string) {
	_, recipeType, _ := solutions.RecipeOf(solutions.RecipeARN(m.Recipe()))
	return m.Recipe(), recipeType
}

// history reads the newest interactions of user from the group's
// Interactions dataset: the user's own, and the anonymous ones (sent with
// a sessionId and no userId) of the user's newest sessions, which the
// events with both ids link to the user. A user with no events of its own
// is taken for a session, as AWS serves anonymous visitors. AWS links a
// session's anonymous events to its user at the next training; perch
// does it at once, as it reads every other new event.
func (s *Service) history(ctx context.Context, groupARN, user string) ([]recipe.Event, error) {
	if user == "" {
		return nil, nil
	}
	d, _, err := s.cfg.Catalog.DatasetSchema(ctx, interactionsOf(groupARN))
	if perch.ErrorCode(err) == perch.EResourceNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	h := newHistory(s.cfg.History)
	if err := s.cfg.Store.Events(ctx, d.ID, perch.RecordQuery{UserID: user}, h.add); err != nil {
		return nil, err
	}
	if h.empty() {
		err = s.cfg.Store.Events(ctx, d.ID, perch.RecordQuery{SessionID: user}, h.add)
		return h.events(), err
	}
	for _, session := range h.newestSessions(linkedSessions) {
		err := s.cfg.Store.Events(ctx, d.ID, perch.RecordQuery{SessionID: session}, func(e *perch.Event) error {
			if e.UserID != "" {
				return nil
			}
			return h.add(e)
		})
		if err != nil {
			return nil, err
		}
	}
	return h.events(), nil
}

// linkedSessions is how many of a user's newest sessions lend the user
// their anonymous events: a visitor's browsing before signing in is in
// the session of the first events sent with both ids.
const linkedSessions = 3

// historyReader keeps the newest events it is given, and the sessions of
// the newest.
type historyReader struct {
	limit    int
	list     []recipe.Event
	sessions map[string]int64 // sessionId -> its newest event's time
}

func newHistory(limit int) *historyReader { return &historyReader{limit: limit} }

func (h *historyReader) add(e *perch.Event) error {
	if e.Duplicate || e.ItemID == "" {
		return nil
	}
	h.list = append(h.list, eventOf(e))
	if e.SessionID != "" {
		if h.sessions == nil {
			h.sessions = map[string]int64{}
		}
		h.sessions[e.SessionID] = max(h.sessions[e.SessionID], int64(e.SentAt))
	}
	if len(h.list) >= 2*h.limit {
		h.trim()
	}
	return nil
}

func (h *historyReader) empty() bool { return len(h.list) == 0 }

// trim keeps the newest limit events, oldest first; of events at the
// same time, the one read first stays first.
func (h *historyReader) trim() {
	slices.SortStableFunc(h.list, func(a, b recipe.Event) int { return cmp.Compare(a.Time, b.Time) })
	if n := len(h.list) - h.limit; n > 0 {
		h.list = slices.Delete(h.list, 0, n)
	}
}

func (h *historyReader) events() []recipe.Event {
	h.trim()
	return h.list
}

// newestSessions names up to n sessions, newest first.
func (h *historyReader) newestSessions(n int) []string {
	ids := slices.Collect(maps.Keys(h.sessions))
	slices.SortFunc(ids, func(a, b string) int { return cmp.Or(cmp.Compare(h.sessions[b], h.sessions[a]), cmp.Compare(a, b)) })
	return ids[:min(n, len(ids))]
}

// eventOf is a stored event as a recipe reads it: NaN for no value.
func eventOf(e *perch.Event) recipe.Event {
	value := float32(math.NaN())
	if e.EventValue != nil {
		value = float32(*e.EventValue)
	}
	return recipe.Event{Item: e.ItemID, Time: int64(e.SentAt), EventType: e.EventType, Value: value}
}

// interactionsOf is the ARN of the Interactions dataset of a group.
func interactionsOf(groupARN string) string {
	a, _ := perch.ParseARN(groupARN)
	name := strings.TrimPrefix(a.Resource, perch.KindDatasetGroup+"/")
	return perch.Scope{Region: a.Region, Account: a.Account}.DatasetARN(name, perch.Interactions)
}

// itemsOf is the ARN of the Items dataset of a group.
func itemsOf(groupARN string) string {
	a, _ := perch.ParseARN(groupARN)
	name := strings.TrimPrefix(a.Resource, perch.KindDatasetGroup+"/")
	return perch.Scope{Region: a.Region, Account: a.Account}.DatasetARN(name, perch.Items)
}

// score rounds a score as AWS shows them: seven decimals.
func score(s recipe.Scored) *float64 {
	if !s.HasScore {
		return nil
	}
	v := math.Round(s.Score*1e7) / 1e7
	return &v
}

// metadata returns, for each item, the requested columns of its Items
// record: the schema's field names, as GetRecommendations' metadataColumns
// name them.
func (s *Service) metadata(ctx context.Context, groupARN string, columns []string, items []string) (map[string]map[string]string, error) {
	d, schema, err := s.cfg.Catalog.DatasetSchema(ctx, itemsOf(groupARN))
	if err != nil {
		return nil, perch.Errorf(perch.EInvalidInput, "metadataColumns names Items columns, and the campaign's dataset group has no Items dataset.")
	}
	keys := map[string]string{}
	for _, c := range columns {
		found := false
		for _, f := range schema.Fields {
			if f.Name == c {
				keys[perch.CamelCase(f.Name)] = c
				found = true
			}
		}
		if !found {
			return nil, perch.Errorf(perch.EInvalidInput, "metadataColumns: the Items dataset's schema has no column %s.", c)
		}
	}
	out := map[string]map[string]string{}
	for _, item := range items {
		values := map[string]string{}
		err := s.cfg.Store.Entities(ctx, d.ID, perch.RecordQuery{ID: item}, func(e *perch.Entity) error {
			var props map[string]json.RawMessage
			if json.Unmarshal([]byte(e.Properties), &props) != nil {
				return nil
			}
			for key, column := range keys {
				raw, ok := props[key]
				if !ok {
					continue
				}
				var str string
				if json.Unmarshal(raw, &str) == nil {
					values[column] = str
				} else {
					values[column] = string(raw)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		out[item] = values
	}
	return out, nil
}
