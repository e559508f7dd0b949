package perch

import (
	"context"
	"slices"
)

// MaxTagsPerResource is AWS's quota of tags on one resource.
const MaxTagsPerResource = 200

// Tagging is the control plane's tag operations, on every resource that
// takes tags when created.
type Tagging interface {
	TagResource(ctx context.Context, arn string, tags []Tag) error
	UntagResource(ctx context.Context, arn string, keys []string) error
	ListTagsForResource(ctx context.Context, arn string) ([]Tag, error)
}

// TagStore keeps the tags TagResource and UntagResource give resources,
// apart from the resources themselves, whose records keep the tags they
// were created with: the resources' own writers (the catalog, the jobs)
// then never write over a change of tags. A resource's tags are known by
// its ARN and its creation time, so that a resource created again under
// the same ARN starts from its own creation tags.
type TagStore interface {
	// ResourceTags returns the tags last set on the resource arn created
	// at created; ok is false when none were set since its creation.
	ResourceTags(ctx context.Context, arn string, created Timestamp) (tags []Tag, ok bool, err error)
	// ChangeResourceTags sets the tags of the resource arn created at
	// created to what change makes of its current tags (base when none
	// were set since its creation), atomically with respect to other
	// changes of them.
	ChangeResourceTags(ctx context.Context, arn string, created Timestamp, base []Tag, change func([]Tag) ([]Tag, error)) error
}

// NextTags is what a ChangeResourceTags makes of a resource's tags:
// change applied to the tags set since its creation, when set says there
// are some, or else to base, its creation tags. Stores call it inside
// their atomic step.
func NextTags(current []Tag, set bool, base []Tag, change func([]Tag) ([]Tag, error)) ([]Tag, error) {
	if !set {
		current = base
	}
	return change(current)
}

// AddTags returns current with tags added, a key already there taking the
// new value; more than MaxTagsPerResource in all is ETooManyTags.
func AddTags(current, tags []Tag) ([]Tag, error) {
	out := slices.Clone(current)
	for _, t := range tags {
		if i := slices.IndexFunc(out, func(o Tag) bool { return o.Key == t.Key }); i >= 0 {
			out[i].Value = t.Value
		} else {
			out = append(out, t)
		}
	}
	if len(out) > MaxTagsPerResource {
		return nil, Errorf(ETooManyTags, "A resource can have at most %d tags; these would make %d.", MaxTagsPerResource, len(out))
	}
	return out, nil
}

// RemoveTags returns current without the tags of keys; keys it does not
// have are ignored, as AWS ignores them.
func RemoveTags(current []Tag, keys []string) []Tag {
	return slices.DeleteFunc(slices.Clone(current), func(t Tag) bool { return slices.Contains(keys, t.Key) })
}
