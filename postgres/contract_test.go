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
	storetest.Run(t, storetest.Harness{Fresh: func(t *testing.T) func() (perch.Store, error) {
		url := pgtest.Database(t)
		return func() (perch.Store, error) { return Open(t.Context(), url, Options{}) }
	}})
}
