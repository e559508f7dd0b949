// Package compat is perch's client compatibility suite. Its tests build
// the perch binary, serve it on a free port and drive it with the real
// clients people use, each configured only with an endpoint and dummy
// credentials: AWS CLI v1 and v2, boto3, the AWS SDK for JavaScript v2
// and v3, DataFire, aws-sdk-go-v2, Paws (when PAWS_LIB names it) and the
// requests Paws sends. See README.md in this directory.
package compat
