package pebble

import "context"

// Ready reports whether the store takes writes now: nil, or why it refuses
// them (closed, recovering from a failed write, short of space). It looks
// at the file systems' free space itself, rather than trusting the last
// write's look, so that a store whose writes were refused for space is
// ready again as soon as space is freed: a readiness probe that waited
// for a write to find out would keep the writes away for ever.
func (s *Store) Ready(context.Context) error {
	if err := s.gate.enter(); err != nil {
		return err
	}
	defer s.gate.leave()
	return s.checkSpace()
}
