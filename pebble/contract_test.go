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

// TestBulkExactDuplicatesWhenHashesCollide runs the contract's exact
// duplicates with every imported row filed under one content hash, so
// that only the comparison of their bytes tells rows apart.
func TestBulkExactDuplicatesWhenHashesCollide(t *testing.T) {
	saved := contentHash
	contentHash = func([]byte) uint64 { return 7 }
	t.Cleanup(func() { contentHash = saved })
	ran := false
	for _, tt := range storetest.Tests() {
		if tt.Name == "BulkExactDuplicates" {
			tt.Run(t, contract)
			ran = true
		}
	}
	if !ran {
		t.Fatal("the contract has no BulkExactDuplicates")
	}
}
