package postgres

import (
	"fmt"
	"sync"
	"testing"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/internal/pgtest"
)

// Nodes on one database each add to their own shard of a dataset's count;
// every node reads the sum, deletions included.
func TestRecordCountsOfSeveralNodes(t *testing.T) {
	url := pgtest.Database(t)
	nodes := []*Store{open(t, url, Options{}), open(t, url, Options{}), open(t, url, Options{})}
	d := dataset(t, nodes[0], "shared", perch.Interactions)
	var wg sync.WaitGroup
	for i, s := range nodes {
		wg.Go(func() {
			for j := range 20 {
				b := &perch.Batch{Dataset: d, Events: []perch.Event{event(fmt.Sprint(i, "-", j), fmt.Sprint("user-", i)), event(fmt.Sprint(i, "-", j, "b"), "x")}}
				if err := s.Commit(t.Context(), b); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if _, err := nodes[1].DeleteUsers(t.Context(), d, []string{"user-0"}); err != nil {
		t.Fatal(err)
	}
	for i, s := range nodes {
		if n, err := s.RecordCount(t.Context(), d.ID); err != nil || n != 100 {
			t.Errorf("node %d: RecordCount = %d, %v; want 3 x 40 - 20", i, n, err)
		}
	}
}
