package pebble

import (
	"context"
	"encoding/json"
	"errors"

	pdb "github.com/cockroachdb/pebble/v2"

	"github.com/perchdev/perch"
)

// taggedResource is the record of a resource's tags under r/tags/<arn>.
type taggedResource struct {
	Created perch.Timestamp `json:"created"`
	Tags    []perch.Tag     `json:"tags"`
}

var _ perch.TagStore = resources{}

func (r resources) ResourceTags(ctx context.Context, arn string, created perch.Timestamp) ([]perch.Tag, bool, error) {
	s := r.s
	if err := s.gate.enter(); err != nil {
		return nil, false, err
	}
	defer s.gate.leave()
	return s.resourceTags(arn, created)
}

// resourceTags reads the tags of arn. Callers are inside the gate.
func (s *Store) resourceTags(arn string, created perch.Timestamp) ([]perch.Tag, bool, error) {
	js, closer, err := s.db.Get(resourceKey(kindTags, arn))
	if errors.Is(err, pdb.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer closer.Close()
	var t taggedResource
	if err := json.Unmarshal(js, &t); err != nil {
		return nil, false, err
	}
	if t.Created != created {
		// The tags of an earlier resource of the same ARN.
		return nil, false, nil
	}
	return t.Tags, true, nil
}

func (r resources) ChangeResourceTags(ctx context.Context, arn string, created perch.Timestamp, base []perch.Tag, change func([]perch.Tag) ([]perch.Tag, error)) error {
	s := r.s
	return s.changeResources(ctx, func(w *resourceWrite) error {
		current, set, err := s.resourceTags(arn, created)
		if err != nil {
			return err
		}
		next, err := perch.NextTags(current, set, base, change)
		if err != nil {
			return err
		}
		return w.set(kindTags, arn, taggedResource{Created: created, Tags: next})
	})
}
