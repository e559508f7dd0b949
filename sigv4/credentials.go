package sigv4

import (
	"bufio"
	"crypto/subtle"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
)

// Key is one access key the server accepts: the profile it was read from,
// its id, its secret, the session token it must come with (if any), and
// the account whose resources its requests act on.
type Key struct {
	Profile      string
	AccessKeyID  string
	Account      string
	secret       string
	sessionToken string

	// derived caches the signing key of the last day, region and service
	// this key signed for; clients sign thousands of requests with each.
	derived atomic.Pointer[derivedKey]
}

// SecretMatches reports whether secret is the key's secret access key, in
// a time that does not tell how much of it matched.
func (k *Key) SecretMatches(secret string) bool {
	return subtle.ConstantTimeCompare([]byte(k.secret), []byte(secret)) == 1
}

// Secret returns the key's secret access key and session token, for a
// process that signs requests as the key itself (the console's calls
// through the API).
func (k *Key) Secret() (secret, sessionToken string) { return k.secret, k.sessionToken }

// Keyring is the set of access keys a Verifier accepts, by access key id.
type Keyring struct {
	keys  map[string]*Key
	order []*Key // as they appear in the file
}

// Keys returns the keys in the order of their profiles in the file.
func (k *Keyring) Keys() []*Key { return k.order }

// Lookup returns the key with the given access key id, or nil.
func (k *Keyring) Lookup(accessKeyID string) *Key { return k.keys[accessKeyID] }

// The keys of a shared-credentials profile that perch reads.
const (
	keyAccessKeyID  = "aws_access_key_id"
	keySecret       = "aws_secret_access_key"
	keySessionToken = "aws_session_token"
	keyAccountID    = "aws_account_id"
)

// validAccessKeyID says whether id is 1 to 128 letters, digits and _ . + -.
// Access key ids are the first element of a slash-separated credential
// scope inside a comma-separated header, so none of those separators, nor
// spaces, may appear in one. (Loops, not regular expressions: compiling
// those at start-up was a tenth of every perch command's start-up.)
func validAccessKeyID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for _, c := range []byte(id) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("_.+-", c) >= 0) {
			return false
		}
	}
	return true
}

// ValidAccountID says whether account is an AWS account id: 12 digits.
func ValidAccountID(account string) bool {
	if len(account) != 12 {
		return false
	}
	for _, c := range []byte(account) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// LoadCredentials reads a file in the AWS shared-credentials format.
func LoadCredentials(path string) (*Keyring, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseCredentials(f, path)
}

// ParseCredentials reads the AWS shared-credentials format: "[profile]"
// sections of "key = value" lines, with "#" and ";" comment lines. Each
// profile must carry aws_access_key_id, aws_secret_access_key and a
// 12-digit aws_account_id; aws_session_token is optional, and other keys
// (region, output, ...) are ignored. name is used in error messages.
func ParseCredentials(r io.Reader, name string) (*Keyring, error) {
	type profile struct {
		name   string
		line   int
		values map[string]string
	}
	var profiles []*profile
	seen := map[string]int{}
	var cur *profile
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[':
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("%s:%d: a profile header must end with ']': %q", name, n, line)
			}
			pname := strings.TrimSpace(line[1 : len(line)-1])
			if pname == "" {
				return nil, fmt.Errorf("%s:%d: empty profile name", name, n)
			}
			if first, dup := seen[pname]; dup {
				return nil, fmt.Errorf("%s:%d: profile [%s] appears again (first on line %d)", name, n, pname, first)
			}
			seen[pname] = n
			cur = &profile{name: pname, line: n, values: map[string]string{}}
			profiles = append(profiles, cur)
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				return nil, fmt.Errorf("%s:%d: expected \"key = value\" or \"[profile]\", got %q", name, n, line)
			}
			if cur == nil {
				return nil, fmt.Errorf("%s:%d: %q comes before any [profile] header", name, n, line)
			}
			k = strings.ToLower(strings.TrimSpace(k))
			if _, dup := cur.values[k]; dup {
				return nil, fmt.Errorf("%s:%d: profile [%s] sets %s twice", name, n, cur.name, k)
			}
			cur.values[k] = strings.TrimSpace(v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(profiles) == 0 {
		return nil, fmt.Errorf("%s: no profiles; each needs %s, %s and %s", name, keyAccessKeyID, keySecret, keyAccountID)
	}

	ring := &Keyring{keys: map[string]*Key{}}
	for _, p := range profiles {
		where := fmt.Sprintf("%s:%d: profile [%s]", name, p.line, p.name)
		for _, required := range []string{keyAccessKeyID, keySecret, keyAccountID} {
			if p.values[required] == "" {
				return nil, fmt.Errorf("%s has no %s", where, required)
			}
		}
		k := &Key{
			Profile:      p.name,
			AccessKeyID:  p.values[keyAccessKeyID],
			Account:      p.values[keyAccountID],
			secret:       p.values[keySecret],
			sessionToken: p.values[keySessionToken],
		}
		if !validAccessKeyID(k.AccessKeyID) {
			return nil, fmt.Errorf("%s: %s %q may hold only letters, digits and _ . + - (at most 128)", where, keyAccessKeyID, k.AccessKeyID)
		}
		if !ValidAccountID(k.Account) {
			return nil, fmt.Errorf("%s: %s must be 12 digits, got %q", where, keyAccountID, k.Account)
		}
		if other, dup := ring.keys[k.AccessKeyID]; dup {
			return nil, fmt.Errorf("%s: %s %s is also the key of profile [%s]; each access key may belong to one profile only",
				where, keyAccessKeyID, k.AccessKeyID, other.Profile)
		}
		ring.keys[k.AccessKeyID] = k
		ring.order = append(ring.order, k)
	}
	return ring, nil
}
