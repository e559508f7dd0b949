// Package sigv4 verifies AWS Signature Version 4 on incoming HTTP requests,
// both forms: the Authorization header and query-string (presigned URL)
// authentication. It follows AWS's published specification of the
// canonical request and answers failures with the error codes AWS front
// ends use, so SDKs and the CLI report them as they would against AWS.
//
// What a valid signature proves, and what perch does with it, is written
// down in SECURITY.md.
package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	algorithm       = "AWS4-HMAC-SHA256"
	terminator      = "aws4_request"
	timeFormat      = "20060102T150405Z"
	unsignedPayload = "UNSIGNED-PAYLOAD"
	emptySHA256     = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

	// MaxSkew is how far a request's date may be from the server's clock,
	// either way, as at AWS.
	MaxSkew = 15 * time.Minute
	// MaxExpires is the longest X-Amz-Expires a presigned URL may carry:
	// seven days, as at AWS.
	MaxExpires = 7 * 24 * time.Hour
)

// Query-string authentication parameters.
const (
	qAlgorithm     = "X-Amz-Algorithm"
	qCredential    = "X-Amz-Credential"
	qDate          = "X-Amz-Date"
	qExpires       = "X-Amz-Expires"
	qSignedHeaders = "X-Amz-SignedHeaders"
	qSignature     = "X-Amz-Signature"
	qSecurityToken = "X-Amz-Security-Token"
	qContentSHA256 = "X-Amz-Content-Sha256"
)

// Verifier checks the signatures of requests to one region and service
// against a Keyring. It is safe for concurrent use, and its keys can be
// replaced while it serves.
type Verifier struct {
	region  string
	service string
	keys    atomic.Pointer[Keyring]
	now     func() time.Time
}

// NewVerifier returns a Verifier for requests signed for region and
// service (the credential scope's) with one of keys.
func NewVerifier(keys *Keyring, region, service string) *Verifier {
	v := &Verifier{region: region, service: service, now: time.Now}
	v.keys.Store(keys)
	return v
}

// SetKeys replaces the keys; requests already being verified finish with
// the old ones.
func (v *Verifier) SetKeys(keys *Keyring) { v.keys.Store(keys) }

// Keys returns the keys in use.
func (v *Verifier) Keys() *Keyring { return v.keys.Load() }

// request is what a request says about its own signature, from its
// Authorization header or from its query string.
type request struct {
	presigned     bool
	accessKeyID   string
	scopeDate     string
	scopeRegion   string
	scopeService  string
	scopeTerm     string
	signedHeaders string
	signature     string
	amzDate       string // X-Amz-Date, as the string to sign carries it
	when          time.Time
	expires       time.Duration // presigned only; 0 when not given
	token         string
	query         url.Values // presigned only
}

// Verify checks the signature of r, whose whole body is body (as received,
// before any decoding), and returns the key that signed it. Failures are
// *Error values carrying AWS's code and status.
func (v *Verifier) Verify(r *http.Request, body []byte) (*Key, error) {
	auth := r.Header.Values("Authorization")
	queryAuth := strings.Contains(r.URL.RawQuery, "X-Amz-")
	var req *request
	var err *Error
	switch {
	case len(auth) > 1:
		return nil, incomplete("The request carries %d Authorization headers; send one.", len(auth))
	case len(auth) == 1:
		if queryAuth && hasQueryAuth(r.URL.Query()) {
			return nil, incomplete("The request carries both an Authorization header and X-Amz-* query-string authentication; use one or the other.")
		}
		req, err = parseHeaderAuth(r, auth[0])
	case queryAuth && hasQueryAuth(r.URL.Query()):
		req, err = parseQueryAuth(r)
	default:
		return nil, missingToken()
	}
	if err != nil {
		return nil, err
	}

	key := v.keys.Load().Lookup(req.accessKeyID)
	if key == nil {
		return nil, unrecognized()
	}
	// A key from the file without a session token is a long-term key, and
	// AWS rejects a token sent with one; a key with a token is a session
	// key and is useless without it.
	if key.sessionToken != "" || req.token != "" {
		if !hmac.Equal([]byte(req.token), []byte(key.sessionToken)) {
			return nil, unrecognized()
		}
	}
	if err := v.checkScope(req); err != nil {
		return nil, err
	}
	if err := v.checkTime(req); err != nil {
		return nil, err
	}
	if err := checkSignedHeaders(r, req); err != nil {
		return nil, err
	}
	hashes, err := payloadHashes(r, req, body)
	if err != nil {
		return nil, err
	}
	var provided [sha256.Size]byte
	_, decodeErr := hex.Decode(provided[:], []byte(req.signature))
	if len(req.signature) != hex.EncodedLen(sha256.Size) {
		decodeErr = hex.ErrLength
	}
	signingKey := v.signingKey(key, req)
	c := newCanonicalizer(r, req)
	defer c.release()
	for _, h := range hashes {
		if decodeErr == nil && signingKey.matches(req, c.stringToSignHash(h), provided[:]) {
			return key, nil
		}
	}
	// Like AWS, show what was expected: it holds nothing secret, and it is
	// what a client author needs to find where their signer differs.
	sts := c.stringToSign(req, hashes[0])
	return nil, invalid("%s\n\nThe Canonical String for this request should have been\n'%s'\n\nThe String-to-Sign should have been\n'%s'\n",
		mismatchMessage, c.canonical, sts)
}

func hasQueryAuth(q url.Values) bool {
	for _, k := range []string{qAlgorithm, qCredential, qSignature} {
		if _, ok := q[k]; ok {
			return true
		}
	}
	return false
}

// parseHeaderAuth reads "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
// Signature=..." and the request's date.
func parseHeaderAuth(r *http.Request, auth string) (*request, *Error) {
	alg, params, _ := strings.Cut(strings.TrimSpace(auth), " ")
	if strings.HasPrefix(alg, "AWS4-") && alg != algorithm {
		return nil, incomplete("Unsupported signing algorithm '%s' in the Authorization header; this endpoint verifies %s (Signature Version 4) only.", alg, algorithm)
	}
	var cred, signedHeaders, sig string
	if alg == algorithm {
		for part := range strings.SplitSeq(params, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			k, val, ok := strings.Cut(part, "=")
			if !ok {
				return nil, incomplete("'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", part, auth)
			}
			switch k {
			case "Credential":
				cred = val
			case "SignedHeaders":
				signedHeaders = val
			case "Signature":
				sig = val
			}
		}
	}
	req := &request{signedHeaders: signedHeaders, signature: sig, token: r.Header.Get(qSecurityToken)}
	date := r.Header.Get(qDate)
	if cred == "" || signedHeaders == "" || sig == "" || date == "" {
		var msg strings.Builder
		for _, p := range []struct{ name, value string }{{"Credential", cred}, {"Signature", sig}, {"SignedHeaders", signedHeaders}} {
			if p.value == "" {
				msg.WriteString("Authorization header requires '" + p.name + "' parameter. ")
			}
		}
		if date == "" {
			msg.WriteString("Authorization header requires existence of a 'X-Amz-Date' header. ")
		}
		msg.WriteString("Authorization=" + auth)
		return nil, incomplete("%s", msg.String())
	}
	if err := req.setDate(date); err != nil {
		return nil, err
	}
	if err := req.setCredential(cred); err != nil {
		return nil, err
	}
	return req, nil
}

func (req *request) setDate(d string) *Error {
	t, err := time.Parse(timeFormat, d)
	if err != nil {
		return incomplete("X-Amz-Date must be an ISO-8601 basic-format UTC time such as 20060102T150405Z, got '%s'.", d)
	}
	req.when, req.amzDate = t, d
	return nil
}

// setCredential splits "AKID/20060102/region/service/aws4_request".
func (req *request) setCredential(cred string) *Error {
	if strings.Count(cred, "/") != 4 {
		return incomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'.", cred)
	}
	rest := cred
	for _, part := range []*string{&req.accessKeyID, &req.scopeDate, &req.scopeRegion, &req.scopeService} {
		*part, rest, _ = strings.Cut(rest, "/")
	}
	req.scopeTerm = rest
	return nil
}

// parseQueryAuth reads the X-Amz-* parameters of a presigned URL.
func parseQueryAuth(r *http.Request) (*request, *Error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, incomplete("The query string cannot be parsed: %v.", err)
	}
	var missing strings.Builder
	for _, k := range []string{qAlgorithm, qCredential, qSignature, qSignedHeaders, qDate} {
		switch n := len(q[k]); {
		case n == 0 || q.Get(k) == "":
			missing.WriteString("AWS query-string parameters must include '" + k + "'. ")
		case n > 1:
			return nil, incomplete("The query-string parameter '%s' appears %d times; it must appear once.", k, n)
		}
	}
	if missing.Len() > 0 {
		return nil, incomplete("%sRe-examine the query-string parameters.", missing.String())
	}
	if a := q.Get(qAlgorithm); a != algorithm {
		return nil, incomplete("X-Amz-Algorithm must be %s, got '%s'.", algorithm, a)
	}
	req := &request{
		presigned:     true,
		signedHeaders: q.Get(qSignedHeaders),
		signature:     q.Get(qSignature),
		token:         q.Get(qSecurityToken),
		query:         q,
	}
	if req.token == "" {
		req.token = r.Header.Get(qSecurityToken)
	}
	if err := req.setDate(q.Get(qDate)); err != nil {
		return nil, err
	}
	if e := q.Get(qExpires); e != "" {
		n, err := strconv.Atoi(e)
		if err != nil || n < 1 || time.Duration(n)*time.Second > MaxExpires {
			return nil, incomplete("X-Amz-Expires must be a whole number of seconds from 1 to %d (seven days), got '%s'.", int(MaxExpires/time.Second), e)
		}
		req.expires = time.Duration(n) * time.Second
	}
	if err := req.setCredential(q.Get(qCredential)); err != nil {
		return nil, err
	}
	return req, nil
}

// checkScope checks the credential scope against this endpoint, with
// AWS's wording.
func (v *Verifier) checkScope(req *request) *Error {
	switch {
	case req.scopeTerm != terminator:
		return invalid("Credential should be scoped with a valid terminator: '%s', not '%s'.", terminator, req.scopeTerm)
	case req.scopeService != v.service:
		return invalid("Credential should be scoped to correct service: '%s'.", v.service)
	case req.scopeRegion != v.region:
		return invalid("Credential should be scoped to a valid region, not '%s'. This endpoint serves region '%s'.", req.scopeRegion, v.region)
	case req.scopeDate != req.amzDate[:8]:
		return invalid("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from 'X-Amz-Date'.",
			req.scopeDate, req.amzDate[:8])
	}
	return nil
}

// checkTime allows MaxSkew either way around the server's clock, and a
// presigned URL its X-Amz-Expires from its date.
func (v *Verifier) checkTime(req *request) *Error {
	now := v.now().UTC()
	if latest := now.Add(MaxSkew); req.when.After(latest) {
		return invalid("Signature not yet current: %s is still later than %s (%s + 15 min.)",
			req.amzDate, latest.Format(timeFormat), now.Format(timeFormat))
	}
	if req.expires > 0 {
		if earliest := now.Add(-req.expires); req.when.Before(earliest) {
			return invalid("Signature expired: %s is now earlier than %s (%s - %d sec. of X-Amz-Expires)",
				req.amzDate, earliest.Format(timeFormat), now.Format(timeFormat), int(req.expires/time.Second))
		}
		return nil
	}
	if earliest := now.Add(-MaxSkew); req.when.Before(earliest) {
		return invalid("Signature expired: %s is now earlier than %s (%s - 15 min.)",
			req.amzDate, earliest.Format(timeFormat), now.Format(timeFormat))
	}
	return nil
}

// checkSignedHeaders insists on the headers whose change would change the
// request's meaning: the host, and for the control plane the operation.
// Unsigned, a captured DescribeDatasetGroup could be replayed as a
// DeleteDatasetGroup of the same ARN.
func checkSignedHeaders(r *http.Request, req *request) *Error {
	var host, target bool
	for h := range strings.SplitSeq(req.signedHeaders, ";") {
		switch h {
		case "host":
			host = true
		case "x-amz-target":
			target = true
		}
	}
	if !host {
		return incomplete("'Host' must be a 'SignedHeader' in the AWS Authorization.")
	}
	if !target && r.Header.Get("X-Amz-Target") != "" {
		return incomplete("'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.")
	}
	return nil
}

// payloadHashes returns the payload hashes the signature may have been
// computed over, most likely first. A sent x-amz-content-sha256 names it
// (and must match the body unless it is UNSIGNED-PAYLOAD); otherwise it is
// the body's. Presigned URLs are signed before any body exists, and
// signers differ on what they put there, so they may also be signed over
// UNSIGNED-PAYLOAD.
func payloadHashes(r *http.Request, req *request, body []byte) ([]string, *Error) {
	claimed := r.Header.Get(qContentSHA256)
	if claimed == "" && req.presigned {
		claimed = req.query.Get(qContentSHA256)
	}
	switch {
	case claimed == unsignedPayload:
		return []string{unsignedPayload}, nil
	case strings.HasPrefix(claimed, "STREAMING-"):
		return nil, incomplete("x-amz-content-sha256 '%s' (chunked payload signing) is not supported here; sign the whole payload or send UNSIGNED-PAYLOAD.", claimed)
	}
	computed := emptySHA256
	if len(body) > 0 {
		sum := sha256.Sum256(body)
		computed = hex.EncodeToString(sum[:])
	}
	switch {
	case claimed != "":
		if !strings.EqualFold(claimed, computed) {
			return nil, invalid("The provided 'x-amz-content-sha256' header does not match what was computed.")
		}
		return []string{claimed}, nil
	case req.presigned:
		return []string{computed, unsignedPayload}, nil
	}
	return []string{computed}, nil
}

// derivedKey is a signing key, the scope it was derived for, and HMACs
// keyed with it, ready for reuse.
type derivedKey struct {
	date, region, service string
	key                   []byte
	macs                  sync.Pool
}

// signingKey derives the key of req's scope, from the key's cache when it
// was the last scope derived.
func (v *Verifier) signingKey(k *Key, req *request) *derivedKey {
	if d := k.derived.Load(); d != nil && d.date == req.scopeDate && d.region == req.scopeRegion && d.service == req.scopeService {
		return d
	}
	key := hmacSHA256([]byte("AWS4"+k.secret), req.scopeDate)
	key = hmacSHA256(key, req.scopeRegion)
	key = hmacSHA256(key, req.scopeService)
	key = hmacSHA256(key, terminator)
	d := &derivedKey{date: req.scopeDate, region: req.scopeRegion, service: req.scopeService, key: key}
	d.macs.New = func() any { return hmac.New(sha256.New, key) }
	k.derived.Store(d)
	return d
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// matches reports whether provided is the HMAC, under the signing key, of
// the string to sign whose last line is the hex of canonicalHash. The
// comparison takes the same time wherever the two differ.
func (d *derivedKey) matches(req *request, canonicalHash, provided []byte) bool {
	var buf [256]byte
	b := append(buf[:0], algorithm+"\n"...)
	b = append(b, req.amzDate...)
	b = append(b, '\n')
	b = append(b, req.scopeDate...)
	b = append(b, '/')
	b = append(b, req.scopeRegion...)
	b = append(b, '/')
	b = append(b, req.scopeService...)
	b = append(b, "/"+terminator+"\n"...)
	b = hex.AppendEncode(b, canonicalHash)

	m := d.macs.Get().(hash.Hash)
	m.Reset()
	m.Write(b)
	var sum [sha256.Size]byte
	ok := hmac.Equal(m.Sum(sum[:0]), provided)
	d.macs.Put(m)
	return ok
}

// canonicalizer builds a request's canonical request, up to and including
// the signed-headers line; the payload hash is appended per attempt.
type canonicalizer struct {
	buf       *[]byte
	prefix    int    // length of everything before the payload hash
	canonical string // the last canonical request, for error messages
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func newCanonicalizer(r *http.Request, req *request) *canonicalizer {
	bp := bufPool.Get().(*[]byte)
	b := (*bp)[:0]
	b = append(b, r.Method...)
	b = append(b, '\n')
	b = appendCanonicalURI(b, r.URL)
	b = append(b, '\n')
	b = appendCanonicalQuery(b, r.URL.RawQuery, req.presigned)
	b = append(b, '\n')
	for name := range strings.SplitSeq(req.signedHeaders, ";") {
		b = append(b, name...)
		b = append(b, ':')
		b = appendHeader(b, r, name)
		b = append(b, '\n')
	}
	b = append(b, '\n')
	b = append(b, req.signedHeaders...)
	b = append(b, '\n')
	*bp = b
	return &canonicalizer{buf: bp, prefix: len(b)}
}

// stringToSignHash completes the canonical request with payloadHash and
// returns its SHA-256.
func (c *canonicalizer) stringToSignHash(payloadHash string) []byte {
	b := append((*c.buf)[:c.prefix], payloadHash...)
	*c.buf = b
	c.canonical = ""
	sum := sha256.Sum256(b)
	return sum[:]
}

// stringToSign spells out the canonical request over payloadHash and its
// string to sign, for the caller to compare with what its signer built.
func (c *canonicalizer) stringToSign(req *request, payloadHash string) string {
	sum := c.stringToSignHash(payloadHash)
	c.canonical = string(*c.buf)
	return algorithm + "\n" + req.amzDate + "\n" + req.scopeDate + "/" + req.scopeRegion + "/" + req.scopeService + "/" + terminator + "\n" + hex.EncodeToString(sum)
}

func (c *canonicalizer) release() {
	if cap(*c.buf) <= 64<<10 {
		bufPool.Put(c.buf)
	}
}

// appendHeader appends the canonical value of the signed header name.
// Go's server moves Host and Transfer-Encoding out of the header map.
func appendHeader(b []byte, r *http.Request, name string) []byte {
	switch name {
	case "host":
		return appendHeaderValues(b, r.Host)
	case "transfer-encoding":
		if len(r.TransferEncoding) > 0 {
			return appendHeaderValues(b, r.TransferEncoding...)
		}
	case "content-length":
		if _, ok := r.Header["Content-Length"]; !ok && r.ContentLength >= 0 {
			return strconv.AppendInt(b, r.ContentLength, 10)
		}
	}
	// Signed names are lower case, the server's keys canonical; comparing
	// them folded spares canonicalizing each name.
	for k, values := range r.Header {
		if strings.EqualFold(k, name) {
			return appendHeaderValues(b, values...)
		}
	}
	return b
}

// appendHeaderValues appends the values comma-separated, each trimmed and
// with runs of spaces collapsed to one.
func appendHeaderValues(b []byte, values ...string) []byte {
	for i, v := range values {
		if i > 0 {
			b = append(b, ',')
		}
		v = strings.TrimSpace(v)
		space := false
		for j := 0; j < len(v); j++ {
			c := v[j]
			if c == ' ' {
				if space {
					continue
				}
				space = true
			} else {
				space = false
			}
			b = append(b, c)
		}
	}
	return b
}

// appendCanonicalURI appends the path as sent, with dot segments and
// empty segments removed, URI-encoded once more (so a "%2F" on the wire
// reads "%252F"), as every service but S3 expects.
func appendCanonicalURI(b []byte, u *url.URL) []byte {
	p := u.EscapedPath()
	if p == "" {
		return append(b, '/')
	}
	if strings.Contains(p, "/.") || strings.Contains(p, "//") {
		p = removeDotSegments(p)
	}
	return appendURIEncoded(b, p, true)
}

// removeDotSegments resolves "." and ".." and drops empty segments,
// keeping a leading and a trailing slash.
func removeDotSegments(p string) string {
	var out []string
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	s := "/" + strings.Join(out, "/")
	if len(out) > 0 && strings.HasSuffix(p, "/") {
		s += "/"
	}
	return s
}

// appendCanonicalQuery appends the query's parameters, decoded and
// re-encoded strictly, sorted by name and then value; a presigned URL's
// own signature is left out.
func appendCanonicalQuery(b []byte, raw string, presigned bool) []byte {
	if raw == "" {
		return b
	}
	type param struct{ k, v string }
	var params []param
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, v = queryUnescape(k), queryUnescape(v)
		if presigned && k == qSignature {
			continue
		}
		params = append(params, param{uriEncode(k), uriEncode(v)})
	}
	slices.SortFunc(params, func(x, y param) int {
		if c := strings.Compare(x.k, y.k); c != 0 {
			return c
		}
		return strings.Compare(x.v, y.v)
	})
	for i, p := range params {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, p.k...)
		b = append(b, '=')
		b = append(b, p.v...)
	}
	return b
}

func queryUnescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

func uriEncode(s string) string {
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			return string(appendURIEncoded(nil, s, false))
		}
	}
	return s
}

// appendURIEncoded percent-encodes every byte but RFC 3986's unreserved
// characters (and '/' when keepSlash), in upper-case hex, as SigV4 wants.
func appendURIEncoded(b []byte, s string, keepSlash bool) []byte {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (keepSlash && c == '/') {
			b = append(b, c)
		} else {
			b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	return b
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
}
