// Package training trains solution versions. Each process's trainer takes
// the versions waiting in the store (ClaimJob under perch.KindSolutionVersion),
// a bounded number at a time, under a lease it renews while it trains: a
// version trains in one process at a time, and when a process dies another
// takes its trainings over once the lease runs out, so no version is left
// in training for ever. A training reads the dataset group's datasets
// through the store, computes the metrics of GetSolutionMetrics on AWS's
// holdout, trains the recipe on everything, keeps the model in the store
// and makes the version ACTIVE; or CREATE FAILED with AWS's reason.
package training

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/internal/leases"
	"github.com/perchdev/perch/recipe"
	"github.com/perchdev/perch/solutions"
)

// Defaults of Config.
const (
	DefaultLease   = 15 * time.Second
	DefaultPoll    = time.Second
	DefaultWorkers = 1
	// DefaultSchedule is how often auto-training looks for solutions due.
	DefaultSchedule = time.Minute
)

// AWS's minimums for training.
const (
	MinInteractions = 1000
	MinActiveUsers  = 25 // users with at least 2 interactions
)

// Config is what a Trainer needs.
type Config struct {
	Store   perch.Store
	Catalog perch.Catalog
	Logger  *slog.Logger
	// Owner names this process in leases; Lease, Poll and Workers (the
	// trainings run at once) default to the constants above.
	Owner   string
	Lease   time.Duration
	Poll    time.Duration
	Workers int
	// Schedule is how often auto-training looks for solutions due; 0:
	// DefaultSchedule, negative: never.
	Schedule time.Duration
	Now      func() time.Time
}

// Trainer runs the trainings of one process.
type Trainer struct {
	cfg  Config
	rs   perch.ResourceStore
	wake chan struct{}

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	tally tally
}

// Start starts the trainer's workers and its auto-training schedule.
func Start(cfg Config) *Trainer {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Owner == "" {
		host, _ := os.Hostname()
		cfg.Owner = fmt.Sprintf("%s/%d/trainer", host, os.Getpid())
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.Schedule == 0 {
		cfg.Schedule = DefaultSchedule
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	t := &Trainer{cfg: cfg, rs: cfg.Store.Resources(), wake: make(chan struct{}, cfg.Workers)}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	for range cfg.Workers {
		t.wg.Go(t.work)
	}
	if cfg.Schedule > 0 {
		t.wg.Go(t.schedule)
	}
	return t
}

// Wake tells the workers that a version waits, so that one starts on it
// without waiting for its poll.
func (t *Trainer) Wake() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// Close stops the trainer. A training it interrupts runs again, here or in
// another process, once its lease runs out.
func (t *Trainer) Close() {
	t.cancel()
	t.wg.Wait()
}

func (t *Trainer) work() {
	for {
		arn, err := t.rs.ClaimJob(t.ctx, t.cfg.Owner, t.cfg.Lease, perch.KindSolutionVersion)
		if t.ctx.Err() != nil {
			return
		}
		if err != nil {
			t.cfg.Logger.Warn("looking for solution versions to train", "err", err)
		}
		if arn != "" {
			t.run(arn)
			continue
		}
		select {
		case <-t.ctx.Done():
			return
		case <-t.wake:
		case <-time.After(t.cfg.Poll):
		}
	}
}

// run trains the version arn under its lease, in the account its ARN
// names.
func (t *Trainer) run(arn string) {
	t.tally.running.Add(1)
	defer t.tally.running.Add(-1)
	a, _ := perch.ParseARN(arn)
	ctx, release := leases.Hold(perch.WithAccount(t.ctx, a.Account), t.rs, arn, t.cfg.Owner, t.cfg.Lease, t.cfg.Logger, nil)
	defer release()
	if err := t.train(ctx, arn); err != nil && ctx.Err() == nil {
		t.cfg.Logger.Error("recording a training's outcome", "version", arn, "err", err)
	}
}

// errStopped ends a training that StopSolutionVersionCreation stopped.
var errStopped = errors.New("stopped")

// train takes the version arn through its training. A failure to read
// data or train fails the version with its reason; a lost lease or the
// trainer's closing leaves it as it is, to run again.
func (t *Trainer) train(ctx context.Context, arn string) error {
	v, err := t.rs.SolutionVersion(ctx, arn)
	if err != nil {
		return err
	}
	switch {
	case v.Status == perch.StatusCreateStopping:
		return t.set(ctx, v, perch.StatusCreateStopped, "", nil, 0)
	case !perch.Training(v.Status):
		return nil
	}
	started := t.cfg.Now()
	if err := t.set(ctx, v, perch.StatusCreateInProgress, "", nil, 0); err != nil {
		return err
	}
	out, err := t.fit(ctx, v)
	if ctx.Err() != nil {
		return nil
	}
	if errors.Is(err, errStopped) {
		return t.set(ctx, v, perch.StatusCreateStopped, "", nil, 0)
	}
	if err != nil {
		return t.set(ctx, v, perch.StatusCreateFailed, failureReason(err), nil, 0)
	}
	if err := t.rs.PutModel(context.WithoutCancel(ctx), arn, out.model, t.cfg.Owner); err != nil {
		return err
	}
	hours := t.cfg.Now().Sub(started).Hours()
	return t.set(ctx, v, perch.StatusActive, "", &out, hours)
}

// set records the version's new status as the holder of its lease, even
// when ctx has ended, so that a last status is not lost to a shutdown.
func (t *Trainer) set(ctx context.Context, v *perch.SolutionVersion, status, reason string, out *fitted, hours float64) error {
	ctx = context.WithoutCancel(ctx)
	current, err := t.rs.SolutionVersion(ctx, v.ARN)
	if err != nil {
		return err
	}
	if current.Status == perch.StatusCreateStopping && status != perch.StatusCreateStopped {
		// A stop came in meanwhile: it wins over the training's outcome.
		status, reason, out = perch.StatusCreateStopped, "", nil
	}
	current.Status, current.FailureReason, current.Updated = status, reason, perch.TimestampOf(t.cfg.Now())
	if out != nil {
		current.Metrics, current.TunedHPOParams = out.metrics, out.tuned
	}
	if status == perch.StatusActive {
		h := math.Round(hours*1e6) / 1e6
		current.TrainingHours = &h
	}
	*v = *current
	if err := t.rs.UpdateSolutionVersion(ctx, current, t.cfg.Owner); err != nil {
		return err
	}
	if finalStatus(status) {
		t.tally.finish(current.RecipeARN, status, time.Duration(hours*float64(time.Hour)))
	}
	return nil
}

// fitted is what a training leaves: the holdout's metrics, the model and,
// after a hyperparameter search, the values it chose.
type fitted struct {
	metrics map[string]float64
	model   []byte
	tuned   map[string]string
}

// fit reads the training data and trains the version as its mode says; it
// stops early, with errStopped, when the version is stopped meanwhile.
func (t *Trainer) fit(ctx context.Context, v *perch.SolutionVersion) (fitted, error) {
	name, _, ok := solutions.RecipeOf(v.RecipeARN)
	if !ok || !recipe.Supports(name) {
		return fitted{}, perch.Errorf(perch.EInvalidInput, "perch cannot train recipe %s.", v.RecipeARN)
	}
	params, err := paramsOf(v)
	if err != nil {
		return fitted{}, err
	}
	data, err := ReadData(ctx, t.cfg.Store, t.cfg.Catalog, v.GroupARN)
	if err != nil {
		return fitted{}, err
	}
	if name == recipe.NextBestAction {
		if err := ReadActions(ctx, t.cfg.Store, t.cfg.Catalog, v.GroupARN, data); err != nil {
			return fitted{}, err
		}
	}
	if err := checkMinimums(data, params); err != nil {
		return fitted{}, err
	}
	if err := t.stopped(ctx, v.ARN); err != nil {
		return fitted{}, err
	}
	var out fitted
	if v.TrainingMode == perch.TrainingModeUpdate {
		out, err = t.update(ctx, v, data, params)
	} else {
		out, err = t.full(ctx, v, name, data, params)
	}
	if err != nil {
		return fitted{}, err
	}
	return out, t.stopped(ctx, v.ARN)
}

// full evaluates the recipe on AWS's holdout, searching its
// hyperparameters first when the solution asks for it, and trains it on
// everything.
func (t *Trainer) full(ctx context.Context, v *perch.SolutionVersion, name string, data *recipe.Data, params recipe.Params) (fitted, error) {
	var (
		out fitted
		err error
	)
	if v.PerformHPO {
		params, out.metrics, out.tuned, err = tune(name, data, params, v.Config.HPOConfig, func() error { return t.stopped(ctx, v.ARN) })
	} else {
		out.metrics, err = recipe.Evaluate(name, data, params)
	}
	if err != nil {
		return fitted{}, err
	}
	if err := t.stopped(ctx, v.ARN); err != nil {
		return fitted{}, err
	}
	model, err := recipe.Train(name, data, params)
	if err != nil {
		return fitted{}, err
	}
	out.model, err = model.MarshalBinary()
	return out, err
}

// update is trainingMode UPDATE: the newest ACTIVE FULL version's model
// learns the items added since, without a training of its own. The
// metrics are the FULL version's, since its factors, which they measure,
// are kept as they were.
func (t *Trainer) update(ctx context.Context, v *perch.SolutionVersion, data *recipe.Data, params recipe.Params) (fitted, error) {
	all, err := t.rs.SolutionVersions(ctx)
	if err != nil {
		return fitted{}, err
	}
	var base *perch.SolutionVersion
	for _, o := range all {
		if o.SolutionARN == v.SolutionARN && o.Status == perch.StatusActive && o.TrainingMode == perch.TrainingModeFull &&
			(base == nil || o.Created > base.Created || o.Created == base.Created && o.ARN > base.ARN) {
			base = o
		}
	}
	if base == nil {
		return fitted{}, perch.Errorf(perch.EInvalidInput,
			"trainingMode UPDATE needs an ACTIVE version of %s trained with trainingMode FULL; there is none any more.", v.SolutionARN)
	}
	blob, err := t.rs.Model(ctx, base.ARN)
	if err != nil {
		return fitted{}, err
	}
	m, err := recipe.Load(blob)
	if err != nil {
		return fitted{}, fmt.Errorf("loading the model of %s: %w", base.ARN, err)
	}
	u, err := recipe.Update(m, data, params)
	if err != nil {
		return fitted{}, err
	}
	out := fitted{metrics: base.Metrics}
	out.model, err = u.MarshalBinary()
	return out, err
}

// stopped says errStopped once the version has been asked to stop.
func (t *Trainer) stopped(ctx context.Context, arn string) error {
	v, err := t.rs.SolutionVersion(ctx, arn)
	if err != nil {
		return err
	}
	if v.Status == perch.StatusCreateStopping {
		return errStopped
	}
	return nil
}

// paramsOf reads the version's configuration into the recipe's terms.
func paramsOf(v *perch.SolutionVersion) (recipe.Params, error) {
	p := recipe.Params{
		Hyper: v.Config.AlgorithmHyperParameters, Features: v.Config.FeatureTransformationParameters,
		EventType: v.EventType, Seed: seedOf(v.ARN),
	}
	if s := v.Config.EventValueThreshold; s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return p, perch.Errorf(perch.EInvalidInput, "solutionConfig.eventValueThreshold %q is not a number.", s)
		}
		p.EventValueThreshold = &f
	}
	if ec := v.Config.EventsConfig; ec != nil && len(ec.EventParametersList) > 0 {
		p.EventWeights, p.EventThresholds = map[string]float64{}, map[string]float64{}
		for _, e := range ec.EventParametersList {
			w := 1.0
			if e.Weight != nil {
				w = *e.Weight
			}
			p.EventWeights[e.EventType] = w
			if e.EventValueThreshold != nil {
				p.EventThresholds[e.EventType] = *e.EventValueThreshold
			}
		}
	}
	return p, nil
}

// seedOf makes a version's training repeatable.
func seedOf(arn string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(arn))
	return h.Sum64()
}

// checkMinimums fails a training AWS would refuse for too little data,
// with AWS's reasons.
func checkMinimums(d *recipe.Data, p recipe.Params) error {
	n := 0
	perUser := make([]int, len(d.Users))
	for _, in := range d.Interactions {
		if p.EventType != "" && !strings.EqualFold(in.EventType, p.EventType) {
			continue
		}
		n++
		perUser[in.User]++
	}
	if n < MinInteractions {
		if p.EventType != "" {
			return perch.Errorf(perch.EInvalidInput, "Dataset has fewer than %d interactions after filtering by event type: %s", MinInteractions, p.EventType)
		}
		return perch.Errorf(perch.EInvalidInput, "Create failed. Dataset has fewer than %d interactions.", MinInteractions)
	}
	active := 0
	for _, c := range perUser {
		if c >= 2 {
			active++
		}
	}
	if active < MinActiveUsers {
		return perch.Errorf(perch.EInvalidInput, "Create failed. Dataset has fewer than %d users with at least 2 interactions each.", MinActiveUsers)
	}
	return nil
}

// failureReason is what a failed training tells the caller.
func failureReason(err error) string {
	var e *perch.Error
	if errors.As(err, &e) {
		return e.Message
	}
	var pe *recipe.ParamError
	if errors.As(err, &pe) {
		return pe.Error()
	}
	return "Create failed: " + err.Error()
}

// ReadData reads the dataset group's Interactions dataset (required) and
// Items dataset (optional: item metadata) through the store.
func ReadData(ctx context.Context, store perch.Store, cat perch.Catalog, groupARN string) (*recipe.Data, error) {
	var datasets []*perch.Dataset
	for p := (perch.Page{}); ; {
		page, next, err := cat.ListDatasets(ctx, groupARN, p)
		if err != nil {
			return nil, err
		}
		datasets = append(datasets, page...)
		if next == "" {
			break
		}
		p.NextToken = next
	}
	var interactions, items *perch.Dataset
	for _, d := range datasets {
		switch d.Type {
		case perch.Interactions:
			interactions = d
		case perch.Items:
			items = d
		}
	}
	if interactions == nil {
		return nil, perch.Errorf(perch.EInvalidInput, "Create failed. Dataset group %s has no Interactions dataset.", groupARN)
	}
	d := &recipe.Data{}
	users, itemIndex := map[string]int32{}, map[string]int32{}
	index := func(m map[string]int32, list *[]string, id string) int32 {
		i, ok := m[id]
		if !ok {
			i = int32(len(*list))
			m[id] = i
			*list = append(*list, id)
		}
		return i
	}
	// An anonymous event (a sessionId and no userId) is trained as the
	// user's whom an event with both ids links its session to, wherever
	// that event comes in the dataset, and otherwise as a user whose id
	// is the sessionId, which is how the runtime serves that visitor.
	// AWS links anonymous histories the same way, at the next training.
	var (
		links     = map[string]string{} // sessionId -> the first userId sent with it
		anonymous []anonymousEvent
	)
	err := store.Events(ctx, interactions.ID, perch.RecordQuery{}, func(e *perch.Event) error {
		// Duplicates stay out of training, as they stay out of exports;
		// so do events without an item, or with neither a user nor a
		// session.
		if e.Duplicate || e.ItemID == "" || e.UserID == "" && e.SessionID == "" {
			return nil
		}
		if e.UserID != "" && e.SessionID != "" {
			if _, ok := links[e.SessionID]; !ok {
				links[e.SessionID] = e.UserID
			}
		}
		value := float32(math.NaN())
		if e.EventValue != nil {
			value = float32(*e.EventValue)
		}
		in := recipe.Interaction{Item: index(itemIndex, &d.Items, e.ItemID), Time: int64(e.SentAt), EventType: e.EventType, Value: value}
		if e.UserID == "" {
			anonymous = append(anonymous, anonymousEvent{at: len(d.Interactions), session: e.SessionID})
		} else {
			in.User = index(users, &d.Users, e.UserID)
		}
		d.Interactions = append(d.Interactions, in)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading interactions: %w", err)
	}
	for _, a := range anonymous {
		user, ok := links[a.session]
		if !ok {
			user = a.session
		}
		d.Interactions[a.at].User = index(users, &d.Users, user)
	}
	if items != nil {
		if err := readItems(ctx, store, cat, items, d, itemIndex); err != nil {
			return nil, fmt.Errorf("reading items: %w", err)
		}
	}
	return d, nil
}

// anonymousEvent is an interaction of ReadData's sent without a userId:
// its place among the interactions and its session.
type anonymousEvent struct {
	at      int
	session string
}

// readItems adds the Items dataset's categorical fields as item features,
// and CREATION_TIMESTAMP as item creation times: items only the Items
// dataset knows join the data, so that similar-items finds neighbours for
// them.
func readItems(ctx context.Context, store perch.Store, cat perch.Catalog, items *perch.Dataset, d *recipe.Data, index map[string]int32) error {
	_, schema, err := cat.DatasetSchema(ctx, items.ARN)
	if err != nil {
		return err
	}
	categorical := map[string]string{} // properties key -> field name
	for _, f := range schema.Fields {
		if f.Categorical {
			categorical[perch.CamelCase(f.Name)] = f.Name
		}
	}
	features := map[int32][]string{}
	created := map[int32]int64{}
	err = store.Entities(ctx, items.ID, perch.RecordQuery{}, func(e *perch.Entity) error {
		i, ok := index[e.ID]
		if !ok {
			i = int32(len(d.Items))
			index[e.ID] = i
			d.Items = append(d.Items, e.ID)
		}
		if e.Properties == "" {
			return nil
		}
		var props map[string]any
		if json.Unmarshal([]byte(e.Properties), &props) != nil {
			return nil
		}
		for key, v := range props {
			if key == "creationTimestamp" {
				if f, ok := v.(float64); ok {
					created[i] = int64(f * 1000)
				}
				continue
			}
			field, ok := categorical[key]
			s, isString := v.(string)
			if !ok || !isString {
				continue
			}
			for _, value := range strings.Split(s, "|") {
				features[i] = append(features[i], field+"="+value)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	d.ItemFeatures = make([][]string, len(d.Items))
	d.ItemCreated = make([]int64, len(d.Items))
	for i, f := range features {
		d.ItemFeatures[i] = f
	}
	for i, c := range created {
		d.ItemCreated[i] = c
	}
	return nil
}
