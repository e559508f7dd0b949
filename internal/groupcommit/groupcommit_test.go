package groupcommit

import (
	"slices"
	"testing"
)

type request struct{ records int }

func size(r *request) int { return r.records }

// TestGather: a group takes what waits up to the bound and holds over the
// request that would pass it; a request larger than the bound is a group
// of its own; a closed queue ends the groups once drained.
func TestGather(t *testing.T) {
	a, b, c, big, d := &request{3}, &request{4}, &request{5}, &request{20}, &request{1}
	queue := make(chan *request, 8)
	for _, r := range []*request{a, b, c, big, d} {
		queue <- r
	}
	close(queue)
	var groups [][]*request
	var next *request
	for {
		group, held, ok := Gather(queue, nil, next, size, 10)
		if !ok {
			break
		}
		groups = append(groups, group)
		next = held
	}
	want := [][]*request{{a, b}, {c}, {big}, {d}}
	if !slices.EqualFunc(groups, want, func(x, y []*request) bool { return slices.Equal(x, y) }) {
		t.Errorf("groups %v, want %v", groups, want)
	}
}
