package serving

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/recipe"
	"github.com/perchdev/perch/training"
)

// autoUpdate is AWS's automatic update of a user-personalization model
// served by a campaign: every AutoUpdate, the model learns the items
// added since its training (recipe.Update, as trainingMode UPDATE does)
// without a new solution version and without new metrics. The update
// runs in the background; requests keep the model they have until it is
// done.
type autoUpdate struct {
	mu       sync.Mutex
	model    recipe.ForUser // the newest update; nil before the first
	last     time.Time      // when the model was loaded or last updated
	updating bool
}

// updated returns the newest automatic update of model m, starting the
// next one when it is due; nil for models AWS does not update, and
// before the first update.
func (s *Service) updated(ctx context.Context, m *loaded, groupARN string) recipe.ForUser {
	if s.cfg.AutoUpdate < 0 {
		return nil
	}
	if name := m.model.Recipe(); name != recipe.UserPersonalization && name != recipe.UserPersonalizationV2 {
		return nil
	}
	now := s.cfg.Now()
	u := &m.update
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.last.IsZero() {
		u.last = now
	}
	if !u.updating && now.Sub(u.last) >= s.cfg.AutoUpdate {
		u.updating = true
		// The update outlives the request that started it, and acts for
		// the group's account.
		a, _ := perch.ParseARN(groupARN)
		go s.runUpdate(perch.WithAccount(context.WithoutCancel(ctx), a.Account), m, groupARN)
	}
	return u.model
}

func (s *Service) runUpdate(ctx context.Context, m *loaded, groupARN string) {
	next, err := s.update(ctx, m, groupARN)
	s.stats.updated(err)
	u := &m.update
	u.mu.Lock()
	defer u.mu.Unlock()
	u.updating, u.last = false, s.cfg.Now()
	if err != nil {
		s.cfg.Logger.Warn("updating a campaign's model with new items", "group", groupARN, "err", fmt.Sprint(err))
		return
	}
	u.model = next
}

func (s *Service) update(ctx context.Context, m *loaded, groupARN string) (recipe.ForUser, error) {
	d, err := training.ReadData(ctx, s.cfg.Store, s.cfg.Catalog, groupARN)
	if err != nil {
		return nil, err
	}
	next, err := recipe.Update(m.model, d, recipe.Params{})
	if err != nil {
		return nil, err
	}
	f, ok := next.(recipe.ForUser)
	if !ok {
		return nil, fmt.Errorf("the update of a %s model does not recommend for users", m.model.Recipe())
	}
	return f, nil
}
