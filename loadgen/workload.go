package loadgen

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Kind is an operation of the events API the generator calls.
type Kind int

const (
	PutEvents Kind = iota
	PutItems
	PutUsers
	numKinds
)

var kindNames = [numKinds]string{"PutEvents", "PutItems", "PutUsers"}

// mixNames are the words --mix uses for each kind.
var mixNames = [numKinds]string{"events", "items", "users"}

var kindPaths = [numKinds]string{"/events", "/items", "/users"}

func (k Kind) String() string { return kindNames[k] }

// Path is the HTTP path of the operation.
func (k Kind) Path() string { return kindPaths[k] }

// Mix weighs the kinds of request against each other.
type Mix [numKinds]int

// ParseMix reads "events=90,items=5,users=5". Kinds left out weigh 0.
func ParseMix(s string) (Mix, error) {
	var m Mix
	for part := range strings.SplitSeq(s, ",") {
		name, weight, ok := strings.Cut(strings.TrimSpace(part), "=")
		w, err := strconv.Atoi(weight)
		if !ok || err != nil || w < 0 {
			return m, fmt.Errorf("mix %q: want kind=weight, e.g. events=90,items=5,users=5", s)
		}
		k := indexOf(mixNames[:], name)
		if k < 0 {
			return m, fmt.Errorf("mix %q: unknown kind %q; kinds are events, items and users", s, name)
		}
		m[k] = w
	}
	if m.total() == 0 {
		return m, fmt.Errorf("mix %q: every weight is 0", s)
	}
	return m, nil
}

func (m Mix) total() int { return m[PutEvents] + m[PutItems] + m[PutUsers] }

func (m Mix) String() string {
	var parts []string
	for k, w := range m {
		if w > 0 {
			parts = append(parts, mixNames[k]+"="+strconv.Itoa(w))
		}
	}
	return strings.Join(parts, ",")
}

// operations names the operations the mix sends (PutEvents, ...).
func (m Mix) operations() []string {
	var ops []string
	for k, w := range m {
		if w > 0 {
			ops = append(ops, Kind(k).String())
		}
	}
	return ops
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// MaxBatch is the most records one events API call may carry.
const MaxBatch = 10

// ParseBatch reads a batch size, "10", or a range, "1-10", drawn from
// uniformly.
func ParseBatch(s string) (lo, hi int, err error) {
	a, b, isRange := strings.Cut(s, "-")
	lo, err1 := strconv.Atoi(a)
	hi, err2 := lo, error(nil)
	if isRange {
		hi, err2 = strconv.Atoi(b)
	}
	if err1 != nil || err2 != nil || lo < 1 || hi < lo || hi > MaxBatch {
		return 0, 0, fmt.Errorf("batch %q: want a size or a range of sizes within 1-%d, e.g. 10 or 1-10", s, MaxBatch)
	}
	return lo, hi, nil
}

// Workload describes the records sent and where they go.
type Workload struct {
	Mix      Mix
	BatchMin int // records per request, drawn uniformly from BatchMin..BatchMax
	BatchMax int

	Users           int     // distinct user ids
	Items           int     // distinct item ids
	SessionsPerUser int     // distinct sessions of each user
	Zipf            float64 // exponent (> 1) of the Zipf choice of users and items
	Impressions     int     // item ids in each event's impression list; 0 for none
	// DuplicateRate is the fraction of events that repeat an eventId the
	// same worker sent shortly before.
	DuplicateRate float64
	// AnonymousRate is the fraction of PutEvents calls without a userId,
	// keyed by session only.
	AnonymousRate float64
	// Properties sends properties that fit the schemas Setup creates.
	Properties bool

	TrackingID   string
	ItemsDataset string // dataset ARNs, for PutItems and PutUsers
	UsersDataset string
}

// DefaultWorkload is a PutEvents-only workload of full batches whose
// bodies are about 2.7 KB, the size the speed targets are stated for.
func DefaultWorkload() Workload {
	return Workload{
		Mix:             Mix{PutEvents: 1},
		BatchMin:        MaxBatch,
		BatchMax:        MaxBatch,
		Users:           100_000,
		Items:           10_000,
		SessionsPerUser: 4,
		Zipf:            1.1,
		Impressions:     3,
		DuplicateRate:   0.01,
		AnonymousRate:   0.05,
		Properties:      true,
	}
}

func (w *Workload) check() error {
	switch {
	case w.Mix.total() <= 0:
		return fmt.Errorf("the mix sends nothing")
	case w.BatchMin < 1 || w.BatchMax < w.BatchMin || w.BatchMax > MaxBatch:
		return fmt.Errorf("batch sizes %d-%d are not within 1-%d", w.BatchMin, w.BatchMax, MaxBatch)
	case w.Users < 1 || w.Items < 1 || w.SessionsPerUser < 1:
		return fmt.Errorf("users, items and sessions per user must be at least 1")
	case w.Zipf <= 1:
		return fmt.Errorf("the Zipf exponent must be greater than 1, got %g", w.Zipf)
	case w.Impressions < 0 || w.Impressions > 25:
		return fmt.Errorf("impressions must be within 0-25 (the model's limit), got %d", w.Impressions)
	case w.DuplicateRate < 0 || w.DuplicateRate > 1 || w.AnonymousRate < 0 || w.AnonymousRate > 1:
		return fmt.Errorf("rates must be within 0-1")
	case w.Mix[PutEvents] > 0 && w.TrackingID == "":
		return fmt.Errorf("PutEvents needs a tracking id")
	case w.Mix[PutItems] > 0 && w.ItemsDataset == "":
		return fmt.Errorf("PutItems needs an Items dataset ARN")
	case w.Mix[PutUsers] > 0 && w.UsersDataset == "":
		return fmt.Errorf("PutUsers needs a Users dataset ARN")
	}
	return nil
}

// recentIDs is how many of its latest fresh eventIds a generator keeps to
// repeat as duplicates.
const recentIDs = 1024

// A generator makes request bodies for one worker. It is not safe for
// concurrent use; each worker has its own, seeded apart.
type generator struct {
	w     *Workload
	rng   *rand.Rand
	users *rand.Zipf
	items *rand.Zipf

	// Fresh eventIds are idPrefix followed by a counter; recent holds the
	// counters of the latest ones.
	idPrefix string
	fresh    uint64
	recent   [recentIDs]uint64

	events     int64 // events generated
	duplicates int64 // of which repeat an earlier eventId

	body []byte
}

// request is one generated call.
type request struct {
	kind    Kind
	body    []byte // valid until the generator's next call
	records int
}

// newGenerator returns the generator of one worker. Fresh eventIds are
// unique to runID and worker; the seed makes the choices repeatable.
func newGenerator(w *Workload, runID string, worker int, seed uint64) *generator {
	rng := rand.New(rand.NewPCG(seed, uint64(worker)))
	return &generator{
		w:        w,
		rng:      rng,
		users:    rand.NewZipf(rng, w.Zipf, 1, uint64(w.Users-1)),
		items:    rand.NewZipf(rng, w.Zipf, 1, uint64(w.Items-1)),
		idPrefix: runID + "-" + strconv.Itoa(worker) + "-",
		body:     make([]byte, 0, 4096),
	}
}

// next returns the next request, sent at now.
func (g *generator) next(now time.Time) request {
	kind := g.kind()
	n := g.w.BatchMin
	if g.w.BatchMax > n {
		n += g.rng.IntN(g.w.BatchMax - n + 1)
	}
	switch kind {
	case PutItems:
		g.body = g.appendItems(g.body[:0], n, now)
	case PutUsers:
		g.body = g.appendUsers(g.body[:0], n)
	default:
		g.body = g.appendEvents(g.body[:0], n, now)
	}
	return request{kind: kind, body: g.body, records: n}
}

func (g *generator) kind() Kind {
	m := g.w.Mix
	r := g.rng.IntN(m.total())
	for k := range numKinds {
		if r < m[k] {
			return k
		}
		r -= m[k]
	}
	return PutEvents
}

var (
	eventTypes = []string{"click", "click", "click", "view", "view", "purchase"}
	devices    = []string{"mobile", "mobile", "desktop", "tablet", "tv"}
	channels   = []string{"web", "app", "email", "push"}
	categories = []string{"books", "music", "garden", "toys", "kitchen", "sports", "outdoor"}
	brands     = []string{"acme", "globex", "initech", "umbrella", "hooli"}
	tiers      = []string{"free", "free", "free", "plus", "pro"}
	countries  = []string{"US", "DE", "FR", "JP", "BR", "IN", "GB"}
)

func (g *generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

// appendEvents appends a PutEvents body with n events, its members in the order
// aws-sdk-go-v2 writes them.
func (g *generator) appendEvents(b []byte, n int, now time.Time) []byte {
	user := g.users.Uint64()
	b = append(b, `{"eventList":[`...)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = g.event(b, now)
	}
	b = append(b, `],"sessionId":"session-`...)
	b = strconv.AppendUint(b, user, 10)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(g.rng.IntN(g.w.SessionsPerUser)), 10)
	b = append(b, `","trackingId":`...)
	b = appendString(b, g.w.TrackingID)
	if g.rng.Float64() >= g.w.AnonymousRate {
		b = append(b, `,"userId":"user-`...)
		b = strconv.AppendUint(b, user, 10)
		b = append(b, '"')
	}
	return append(b, '}')
}

func (g *generator) event(b []byte, now time.Time) []byte {
	b = append(b, `{"eventId":`...)
	b = appendString(b, g.eventID())
	eventType := g.pick(eventTypes)
	b = append(b, `,"eventType":"`...)
	b = append(b, eventType...)
	b = append(b, '"')
	if eventType == "purchase" {
		b = append(b, `,"eventValue":`...)
		b = g.appendPrice(b)
	}
	item := g.items.Uint64()
	if g.w.Impressions > 0 {
		b = append(b, `,"impression":[`...)
		shown := g.rng.IntN(g.w.Impressions)
		for j := range g.w.Impressions {
			if j > 0 {
				b = append(b, ',')
			}
			id := g.items.Uint64()
			if j == shown {
				id = item
			}
			b = appendItemID(b, id)
		}
		b = append(b, ']')
	}
	b = append(b, `,"itemId":`...)
	b = appendItemID(b, item)
	if g.w.Properties {
		b = append(b, `,"properties":`...)
		b = appendString(b, g.eventProperties())
	}
	if g.w.Impressions > 0 {
		b = append(b, `,"recommendationId":"RID-`...)
		b = strconv.AppendUint(b, g.rng.Uint64(), 36)
		b = append(b, '"')
	}
	b = append(b, `,"sentAt":`...)
	return append(appendEpochSeconds(b, now), '}')
}

// eventID returns a fresh eventId or, at the duplicate rate, one of the
// worker's recent ones again.
func (g *generator) eventID() string {
	g.events++
	n := g.fresh
	if n > 0 && g.rng.Float64() < g.w.DuplicateRate {
		g.duplicates++
		return g.idPrefix + strconv.FormatUint(g.recent[g.rng.IntN(int(min(n, recentIDs)))], 36)
	}
	g.fresh++
	g.recent[n%recentIDs] = n
	return g.idPrefix + strconv.FormatUint(n, 36)
}

// eventProperties fit the Interactions schema Setup creates.
func (g *generator) eventProperties() string {
	b := make([]byte, 0, 80)
	b = append(b, `{"device":"`...)
	b = append(b, g.pick(devices)...)
	b = append(b, `","channel":"`...)
	b = append(b, g.pick(channels)...)
	b = append(b, `","dwellSeconds":`...)
	b = strconv.AppendInt(b, int64(g.rng.IntN(600)), 10)
	return string(append(b, '}'))
}

func (g *generator) appendItems(b []byte, n int, now time.Time) []byte {
	return appendEntities(b, g.w.ItemsDataset, "items", n, func(b []byte) []byte {
		b = append(b, `{"itemId":`...)
		b = appendItemID(b, g.items.Uint64())
		if g.w.Properties {
			p := make([]byte, 0, 100)
			p = append(p, `{"category":"`...)
			p = append(p, g.pick(categories)...)
			p = append(p, '|')
			p = append(p, g.pick(categories)...)
			p = append(p, `","brand":"`...)
			p = append(p, g.pick(brands)...)
			p = append(p, `","price":`...)
			p = g.appendPrice(p)
			p = append(p, `,"creationTimestamp":`...)
			p = strconv.AppendInt(p, now.Unix()-int64(g.rng.IntN(365*86400)), 10)
			b = append(b, `,"properties":`...)
			b = appendString(b, string(append(p, '}')))
		}
		return append(b, '}')
	})
}

func (g *generator) appendUsers(b []byte, n int) []byte {
	return appendEntities(b, g.w.UsersDataset, "users", n, func(b []byte) []byte {
		b = append(b, '{')
		if g.w.Properties {
			p := make([]byte, 0, 60)
			p = append(p, `{"age":`...)
			p = strconv.AppendInt(p, int64(16+g.rng.IntN(70)), 10)
			p = append(p, `,"tier":"`...)
			p = append(p, g.pick(tiers)...)
			p = append(p, `","country":"`...)
			p = append(p, g.pick(countries)...)
			b = append(b, `"properties":`...)
			b = appendString(b, string(append(p, `"}`...)))
			b = append(b, ',')
		}
		b = append(b, `"userId":"user-`...)
		b = strconv.AppendUint(b, g.users.Uint64(), 10)
		return append(b, `"}`...)
	})
}

// appendEntities appends a PutItems or PutUsers body: the dataset and a
// list of n entities, each written by entity.
func appendEntities(b []byte, datasetARN, list string, n int, entity func([]byte) []byte) []byte {
	b = append(b, `{"datasetArn":`...)
	b = appendString(b, datasetARN)
	b = append(b, `,"`...)
	b = append(b, list...)
	b = append(b, `":[`...)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = entity(b)
	}
	return append(b, "]}"...)
}

// appendPrice appends a price of 0.99 to 199.99.
func (g *generator) appendPrice(b []byte) []byte {
	b = strconv.AppendInt(b, int64(g.rng.IntN(200)), 10)
	return append(b, ".99"...)
}

func appendItemID(b []byte, id uint64) []byte {
	b = append(b, `"item-`...)
	b = strconv.AppendUint(b, id, 10)
	return append(b, '"')
}

// appendEpochSeconds appends t as epoch seconds with milliseconds, as
// aws-sdk-go-v2 writes timestamps: 1700000000.123, or 1700000000 when the
// milliseconds are 0.
func appendEpochSeconds(b []byte, t time.Time) []byte {
	ms := t.UnixMilli()
	b = strconv.AppendInt(b, ms/1000, 10)
	if frac := ms % 1000; frac != 0 {
		b = append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
	}
	return b
}

// appendString appends s as a JSON string. Generated values are ASCII, so
// only quotes, backslashes and control characters need escaping.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// SampleBody returns a PutEvents body of w with the most events w sends,
// for tools that send one body over and over, such as wrk. Without a
// tracking id it names a made-up one.
func SampleBody(w Workload, seed uint64) []byte {
	if w.TrackingID == "" {
		w.TrackingID = "00000000-0000-4000-8000-000000000000"
	}
	g := newGenerator(&w, "sample", 0, seed)
	return g.appendEvents(nil, w.BatchMax, time.Now())
}

// Bodies makes the calls of one worker of a run, the bodies Run would
// send, for tools that measure a part of a server with the same traffic
// without HTTP (bench/pgceiling commits them straight to a store). It is
// not safe for concurrent use; give each goroutine its own.
type Bodies struct {
	w Workload
	g *generator
}

// NewBodies returns the calls of worker (0, 1, ...) of a run of w with
// the given run id and seed: fresh eventIds start with runID and are
// unique to the worker.
func NewBodies(w Workload, runID string, worker int, seed uint64) *Bodies {
	b := &Bodies{w: w}
	b.g = newGenerator(&b.w, runID, worker, seed)
	return b
}

// Next returns the next call, sent at now: its operation, its body (valid
// until the next call of Next) and the records it carries.
func (b *Bodies) Next(now time.Time) (kind Kind, body []byte, records int) {
	r := b.g.next(now)
	return r.kind, r.body, r.records
}
