package perch

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// A recommendationId perch hands out names the campaign or recommender
// that made it, so that a metric attribution can credit the events that
// carry it to that resource, on any node, without a record of every
// answer: its first 12 hex digits are the resource's SourceTag, its last
// 4 a check of the rest, and the others random. It keeps AWS's shape:
// "RID-" and a version 4 UUID, 40 characters, the most PutEvents takes.
// The check tells an id perch made from one made elsewhere (all but one
// in 65,536 of those fail it) without asking the store whether its tag
// is a campaign's.

// recommendationIDPrefix starts every recommendationId.
const recommendationIDPrefix = "RID-"

// sourceTagBytes is how much of a resource's ARN digest a
// recommendationId carries: 48 bits, so that two of a group's campaigns
// and recommenders share a tag only by a chance too small to matter;
// checkBytes end the id. 58 random bits remain to tell the answers of one
// resource apart.
const (
	sourceTagBytes = 6
	checkBytes     = 2
)

// NewRecommendationID returns the recommendationId of an answer of the
// campaign or recommender sourceARN.
func NewRecommendationID(sourceARN string) string {
	var u [16]byte
	digest := sha256.Sum256([]byte(sourceARN))
	copy(u[:sourceTagBytes], digest[:])
	_, _ = rand.Read(u[sourceTagBytes:]) // never fails: crypto/rand panics rather than return an error
	u[6] = u[6]&0x0f | 0x40              // version 4
	u[8] = u[8]&0x3f | 0x80              // RFC 4122 variant
	check := idCheck(u[:16-checkBytes])
	copy(u[16-checkBytes:], check[:])
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return recommendationIDPrefix + string(b[:])
}

// idCheck is the check of the first 14 bytes of an id.
func idCheck(b []byte) [checkBytes]byte {
	digest := sha256.Sum256(b)
	return [checkBytes]byte(digest[:checkBytes])
}

// SourceTag is the tag of the campaign or recommender arn that the
// recommendationIds of its answers carry.
func SourceTag(arn string) string {
	digest := sha256.Sum256([]byte(arn))
	return hex.EncodeToString(digest[:sourceTagBytes])
}

// RecommendationSourceTag returns the source tag of a recommendationId
// perch made; ok is false for an id perch did not make. Hex digits are
// read in either case, as a client may have changed it.
func RecommendationSourceTag(id string) (tag string, ok bool) {
	rest, found := strings.CutPrefix(id, recommendationIDPrefix)
	if !found || len(rest) != 36 || rest[8] != '-' || rest[13] != '-' || rest[18] != '-' || rest[23] != '-' {
		return "", false
	}
	u, err := hex.DecodeString(rest[:8] + rest[9:13] + rest[14:18] + rest[19:23] + rest[24:])
	if err != nil || idCheck(u[:16-checkBytes]) != [checkBytes]byte(u[16-checkBytes:]) {
		return "", false
	}
	return hex.EncodeToString(u[:sourceTagBytes]), true
}

// MaxAttributionSources is AWS's quota of event attribution sources of a
// metric attribution. perch names the first this many sources of a report
// and counts the events of any further one under UndefinedSource: AWS
// does not document what it does past the quota, and an unbounded count
// of sources would make an unbounded report.
const MaxAttributionSources = 100
