package serving

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/perchdev/perch"
)

// activeValid is how long Stats trusts its last count of the ACTIVE
// campaigns in the store, which reads every campaign.
const activeValid = 5 * time.Second

// stats is what Stats reports of the runtime's answers.
type stats struct {
	mu       sync.Mutex
	answers  map[perch.RuntimeKey]uint64
	items    map[perch.RuntimeKey]uint64
	filtered map[string]uint64
	// versions is the version each campaign or recommender served last.
	versions map[string]string

	updates, failedUpdates uint64

	active   int
	activeAt time.Time
}

// answered counts an answer of operation op by c, through filterARN when
// not "", that carried items.
func (st *stats) answered(op string, c *served, filterARN string, items int) {
	key := perch.RuntimeKey{Operation: op, ARN: c.campaign.ARN}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.answers == nil {
		st.answers, st.items, st.filtered, st.versions = map[perch.RuntimeKey]uint64{}, map[perch.RuntimeKey]uint64{}, map[string]uint64{}, map[string]string{}
	}
	st.answers[key]++
	st.items[key] += uint64(items)
	if filterARN != "" {
		st.filtered[filterARN]++
	}
	st.versions[c.campaign.ARN] = c.version
}

// updated counts an automatic update that ended, failed or not.
func (st *stats) updated(err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.updates++
	if err != nil {
		st.failedUpdates++
	}
}

// counted counts out, the answer of op by c, unless err says there is
// none, and returns both.
func (s *Service) counted(op string, c *served, filterARN string, out *perch.Recommendations, err error) (*perch.Recommendations, error) {
	if err == nil {
		s.stats.answered(op, c, filterARN, len(out.Items))
	}
	return out, err
}

// Stats returns what the runtime has answered since it started, the
// campaigns and recommenders it has served with the size of each one's
// model while loaded, and how many campaigns are ACTIVE in the store.
func (s *Service) Stats() perch.RuntimeStats {
	active := s.activeCampaigns()
	s.stats.mu.Lock()
	out := perch.RuntimeStats{
		Answers: maps.Clone(s.stats.answers), Items: maps.Clone(s.stats.items), Filtered: maps.Clone(s.stats.filtered),
		Active: active, Updates: s.stats.updates, FailedUpdates: s.stats.failedUpdates,
	}
	versions := maps.Clone(s.stats.versions)
	s.stats.mu.Unlock()

	s.mu.Lock()
	defer s.mu.Unlock()
	for _, arn := range slices.Sorted(maps.Keys(versions)) {
		c := perch.ServedCampaign{ARN: arn, Version: versions[arn]}
		// A model still loading is not counted: its once is running.
		if m := s.models[c.Version]; m != nil && m.bytes > 0 {
			c.Recipe, c.ModelBytes = m.model.Recipe(), m.bytes
		}
		out.Campaigns = append(out.Campaigns, c)
	}
	return out
}

// activeCampaigns counts the campaigns ACTIVE in the store, at most once
// per activeValid; -1 when the store cannot say.
func (s *Service) activeCampaigns() int {
	st := &s.stats
	st.mu.Lock()
	if !st.activeAt.IsZero() && time.Since(st.activeAt) < activeValid {
		defer st.mu.Unlock()
		return st.active
	}
	st.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	campaigns, err := s.rs.Campaigns(ctx)
	n := -1
	if err == nil {
		n = 0
		for _, c := range campaigns {
			if c.Status == perch.StatusActive {
				n++
			}
		}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.active, st.activeAt = n, time.Now()
	return n
}
