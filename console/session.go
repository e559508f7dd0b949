package console

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"
)

// cookieName names the console's session cookie.
const cookieName = "perch_console"

// sessionLifetime is how long a login lasts.
const sessionLifetime = 12 * time.Hour

// maxSessions bounds the sessions kept at once, so that logins in a loop
// cannot grow memory without end; the oldest goes first.
const maxSessions = 10000

// session is one login: the key it proved, and the account it shows.
type session struct {
	id          string
	account     string
	accessKeyID string // "" with --auth none
	expires     time.Time
}

// sessions is the server-side map of logins, by their cookie's id.
type sessions struct {
	mu   sync.Mutex
	byID map[string]*session
}

func newSessions() *sessions { return &sessions{byID: map[string]*session{}} }

func (ss *sessions) add(s *session) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	now := time.Now()
	var oldest *session
	for id, other := range ss.byID {
		if now.After(other.expires) {
			delete(ss.byID, id)
		} else if oldest == nil || other.expires.Before(oldest.expires) {
			oldest = other
		}
	}
	if len(ss.byID) >= maxSessions && oldest != nil {
		delete(ss.byID, oldest.id)
	}
	ss.byID[s.id] = s
}

func (ss *sessions) get(id string) *session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.byID[id]
	if s != nil && time.Now().After(s.expires) {
		delete(ss.byID, id)
		return nil
	}
	return s
}

func (ss *sessions) remove(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.byID, id)
}

// session returns the session r acts in: the default account's with
// --auth none, else the login its cookie names, as long as its key is
// still in the credentials (a key removed on reload ends its sessions).
// It returns nil when a login is needed.
func (c *Console) session(r *http.Request) *session {
	if c.cfg.Verifier == nil {
		return &session{account: c.cfg.Account}
	}
	cookie, err := r.Cookie(cookieName)
	if err != nil {
		return nil
	}
	s := c.sessions.get(cookie.Value)
	if s == nil {
		return nil
	}
	if key := c.cfg.Verifier.Keys().Lookup(s.accessKeyID); key == nil || key.Account != s.account {
		c.sessions.remove(s.id)
		return nil
	}
	return s
}

// sessionView is what api/session and api/login answer.
type sessionView struct {
	Account     string `json:"account"`
	Auth        string `json:"auth"`
	AccessKeyID string `json:"accessKeyId"`
}

func (c *Console) viewOf(s *session) sessionView {
	auth := "none"
	if c.cfg.Verifier != nil {
		auth = "sigv4"
	}
	return sessionView{Account: s.account, Auth: auth, AccessKeyID: s.accessKeyID}
}

func (c *Console) serveSession(_ context.Context, w http.ResponseWriter, _ *http.Request, s *session) error {
	writeJSON(w, http.StatusOK, c.viewOf(s))
	return nil
}

// serveLogin checks an access key id and its secret against the
// credentials, and starts a session for the key's account.
func (c *Console) serveLogin(w http.ResponseWriter, r *http.Request) {
	if c.cfg.Verifier == nil {
		// Nothing to prove: every call acts for the default account.
		writeJSON(w, http.StatusOK, c.viewOf(&session{account: c.cfg.Account}))
		return
	}
	var in struct {
		AccessKeyID     string `json:"accessKeyId"`
		SecretAccessKey string `json:"secretAccessKey"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 16<<10)).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "the body must be {\"accessKeyId\":...,\"secretAccessKey\":...}")
		return
	}
	key := c.cfg.Verifier.Keys().Lookup(in.AccessKeyID)
	if key == nil || !key.SecretMatches(in.SecretAccessKey) {
		writeError(w, http.StatusUnauthorized, "unknown access key id or wrong secret access key")
		return
	}
	s := &session{id: newSessionID(), account: key.Account, accessKeyID: key.AccessKeyID, expires: time.Now().Add(sessionLifetime)}
	c.sessions.add(s)
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: s.id, Path: Prefix, Expires: s.expires, MaxAge: int(sessionLifetime / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	writeJSON(w, http.StatusOK, c.viewOf(s))
}

func (c *Console) serveLogout(_ context.Context, w http.ResponseWriter, r *http.Request, s *session) error {
	if s.id != "" {
		c.sessions.remove(s.id)
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: Prefix, MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// newSessionID returns 256 random bits in hex.
func newSessionID() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}
