// Package testenv decides what a test does when something it needs is
// not on the machine: a client program, a server, root.
//
// `go test ./...` is the quick loop: there such a test is skipped with a
// line saying what is missing and that `bash .ci/run` installs everything
// and runs every test. Under PERCH_TEST_ALL=1, which .ci/run sets, it
// fails instead, so that nothing is ever skipped silently in CI.
package testenv

import (
	"os"
	"testing"
)

// All reports whether every test must run (PERCH_TEST_ALL=1).
func All() bool { return os.Getenv("PERCH_TEST_ALL") == "1" }

// Missing ends t, which cannot run because of why: a skip in the quick
// loop, a failure when every test must run.
func Missing(t testing.TB, why string) {
	t.Helper()
	if All() {
		t.Fatalf("%s (PERCH_TEST_ALL=1: every test must run)", why)
	}
	t.Skipf("%s; `bash .ci/run` installs what the tests need and runs them all", why)
}
