package console

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/perchdev/perch/awsapi"
	"github.com/perchdev/perch/sigv4"
)

// refusedKept is how many refused requests are kept per account.
const refusedKept = 1000

// refusal is one refused request as api/refused shows it.
type refusal struct {
	Time        string `json:"time"`
	RequestID   string `json:"requestId"`
	API         string `json:"api"`
	Operation   string `json:"operation"`
	AccessKeyID string `json:"accessKeyId"`
	Status      int    `json:"status"`
	ErrorType   string `json:"errorType"`
	Message     string `json:"message"`
	Member      string `json:"member"`
}

// Refused keeps the last refused requests (4xx and 5xx answers) of each
// account, in memory: what someone debugging an integration looks for
// first. A request that authentication refused has no account yet; it is
// kept for the account of the access key it named, when that key is
// known, so that nobody sees another account's refusals.
type Refused struct {
	defaultAccount string
	verifier       *sigv4.Verifier

	mu        sync.Mutex
	byAccount map[string]*refusalRing
}

// NewRefused keeps refusals; with a nil verifier (--auth none) every
// request is the default account's.
func NewRefused(defaultAccount string, verifier *sigv4.Verifier) *Refused {
	return &Refused{defaultAccount: defaultAccount, verifier: verifier, byAccount: map[string]*refusalRing{}}
}

// refusalRing holds the last refusedKept refusals, overwriting the oldest.
type refusalRing struct {
	entries [refusedKept]refusal
	next    int // where the next one goes
	n       int
}

// Observe keeps o when it is a refusal; it is awsapi.Config.Observe's
// shape, called on each request's goroutine, so it only copies.
func (rf *Refused) Observe(o *awsapi.Outcome) {
	if o.Status < 400 {
		return
	}
	account := o.Account
	if account == "" {
		switch {
		case rf.verifier == nil:
			account = rf.defaultAccount
		case o.AccessKeyID != "":
			if key := rf.verifier.Keys().Lookup(o.AccessKeyID); key != nil {
				account = key.Account
			}
		}
	}
	if account == "" {
		return // an unknown key's or an unsigned request's: nobody's to see
	}
	entry := refusal{Time: o.Start.UTC().Format(time.RFC3339Nano), RequestID: o.RequestID, API: o.API, Operation: o.Operation,
		AccessKeyID: o.AccessKeyID, Status: o.Status, ErrorType: o.ErrorType, Message: o.Message, Member: o.Member}
	rf.mu.Lock()
	defer rf.mu.Unlock()
	ring := rf.byAccount[account]
	if ring == nil {
		ring = &refusalRing{}
		rf.byAccount[account] = ring
	}
	ring.entries[ring.next] = entry
	ring.next = (ring.next + 1) % refusedKept
	ring.n = min(ring.n+1, refusedKept)
}

// last returns the account's newest n refusals, newest first.
func (rf *Refused) last(account string, n int) []refusal {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	out := []refusal{}
	ring := rf.byAccount[account]
	if ring == nil {
		return out
	}
	for i := 1; i <= min(n, ring.n); i++ {
		out = append(out, ring.entries[(ring.next-i+refusedKept)%refusedKept])
	}
	return out
}

const defaultRefused = 100

func (c *Console) serveRefused(_ context.Context, w http.ResponseWriter, r *http.Request, s *session) error {
	n := defaultRefused
	if l := r.URL.Query().Get("limit"); l != "" {
		v, err := strconv.Atoi(l)
		if err != nil || v < 1 {
			return badRequest("limit must be a positive integer, got " + strconv.Quote(l))
		}
		n = min(v, refusedKept)
	}
	writeJSON(w, http.StatusOK, map[string]any{"refused": c.cfg.Refused.last(s.account, n)})
	return nil
}
