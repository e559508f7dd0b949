package pebble

import (
	"testing"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/storetest"
)

// contract is the store contract's harness: real stores on disk, in the
// test's temporary directory, tuned as perch serves them.
var contract = storetest.Harness{Fresh: func(t *testing.T) func() (perch.Store, error) {
	dir := t.TempDir()
	return func() (perch.Store, error) { return Open(dir, Options{Tuning: MeasuredTuning()}) }
}}

func TestStoreContract(t *testing.T) { storetest.Run(t, contract) }

// runContractTest runs one test of the contract, by name, with h.
func runContractTest(t *testing.T, name string, h storetest.Harness) {
	t.Helper()
	for _, tt := range storetest.Tests() {
		if tt.Name == name {
			tt.Run(t, h)
			return
		}
	}
	t.Fatalf("the contract has no %s", name)
}

// TestConcurrentCommitsInSmallGroups runs the contract's concurrent
// commits with the writer taking at most 7 records a group, so that most
// calls' batches are split across groups rather than sharing one.
func TestConcurrentCommitsInSmallGroups(t *testing.T) {
	runContractTest(t, "ConcurrentCommits", storetest.Harness{Fresh: func(t *testing.T) func() (perch.Store, error) {
		dir := t.TempDir()
		return func() (perch.Store, error) { return Open(dir, Options{MaxBatchRecords: 7}) }
	}})
}

// TestBulkExactDuplicatesWhenHashesCollide runs the contract's exact
// duplicates with every imported row filed under one content hash, so
// that only the comparison of their bytes tells rows apart.
func TestBulkExactDuplicatesWhenHashesCollide(t *testing.T) {
	saved := contentHash
	contentHash = func([]byte) uint64 { return 7 }
	t.Cleanup(func() { contentHash = saved })
	runContractTest(t, "BulkExactDuplicates", contract)
}
