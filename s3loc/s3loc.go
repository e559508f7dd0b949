// Package s3loc serves the s3://bucket/key locations that dataset import,
// export and data deletion jobs name, as perch.Objects: either from a
// local directory, in which each bucket is a subdirectory (Dir), or from an
// S3-compatible service through the AWS SDK for Go v2 (Service).
package s3loc

import (
	"fmt"
	"strings"
)

// Parse splits an s3://bucket/key location. The key may be empty (the
// whole bucket) and ends in "/" when it names a folder.
func Parse(loc string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(loc, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%s is not an s3:// location; perch reads and writes s3://bucket/key paths", loc)
	}
	bucket, key, _ = strings.Cut(rest, "/")
	if !validBucket(bucket) {
		return "", "", fmt.Errorf("%s: %q is not a valid bucket name", loc, bucket)
	}
	return bucket, key, nil
}

// validBucket accepts S3's bucket names: 3 to 63 lower-case letters,
// digits, dots and hyphens, starting and ending with a letter or digit.
func validBucket(b string) bool {
	if len(b) < 3 || len(b) > 63 || b[0] == '.' || b[0] == '-' || b[len(b)-1] == '.' || b[len(b)-1] == '-' {
		return false
	}
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return !strings.Contains(b, "..")
}

// location writes bucket and key back as s3://bucket/key.
func location(bucket, key string) string { return "s3://" + bucket + "/" + key }
