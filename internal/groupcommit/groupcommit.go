// Package groupcommit is what every store's group commit does alike: it
// takes the batches waiting for the store's writer into one group, so that
// many callers share one commit and one sync.
package groupcommit

// Gather returns next (a request held over from the previous group) or
// else the next request to arrive on queue, followed by every request
// already waiting, as long as the group's records, counted by records,
// stay within max. The request that would take the group past max is
// returned as held, to start the next group; a request larger than max
// still makes a group of its own. ok is false once queue is closed and
// drained.
func Gather[R comparable](queue <-chan R, group []R, next R, records func(R) int, max int) (_ []R, held R, ok bool) {
	var none R
	if next == none {
		if next, ok = <-queue; !ok {
			return group, none, false
		}
	}
	group = append(group, next)
	n := records(next)
	for {
		select {
		case r, open := <-queue:
			if !open {
				return group, none, true
			}
			if n+records(r) > max {
				return group, r, true
			}
			group = append(group, r)
			n += records(r)
		default:
			return group, none, true
		}
	}
}
