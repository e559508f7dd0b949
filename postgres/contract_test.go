package postgres

import (
	"testing"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/internal/pgtest"
	"github.com/perchdev/perch/storetest"
)

// TestStoreContract holds the store to the contract every perch.Store
// keeps, each test on a database of its own.
func TestStoreContract(t *testing.T) {
	storetest.Run(t, harness)
}

var harness = storetest.Harness{Fresh: func(t *testing.T) func() (perch.Store, error) {
	url := pgtest.Database(t)
	return func() (perch.Store, error) { return Open(t.Context(), url, Options{}) }
}}

// TestExactDuplicatesWhenHashesCollide runs the contract's tests of exact
// duplicates again with every imported row under one hash: rows are
// duplicates by their columns, never by their hash alone.
func TestExactDuplicatesWhenHashesCollide(t *testing.T) {
	everyHashCollides = true
	defer func() { everyHashCollides = false }()
	for _, tt := range storetest.Tests() {
		switch tt.Name {
		case "BulkExactDuplicates", "DeleteUsers", "BulkSourcesAndModes":
			t.Run(tt.Name, func(t *testing.T) { tt.Run(t, harness) })
		}
	}
}
