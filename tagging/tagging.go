// Package tagging is the control plane's tag operations (TagResource,
// UntagResource, ListTagsForResource) on every resource that takes tags
// when created. A resource's record keeps the tags it was created with;
// the changes made since live in the store's perch.TagStore, so that the
// resources' own writers never write over them.
package tagging

import (
	"context"
	"strings"

	"github.com/perchdev/perch"
)

// Service implements perch.Tagging.
type Service struct {
	rs    perch.ResourceStore
	scope perch.Scope
}

var _ perch.Tagging = (*Service)(nil)

// New returns the tag operations over the resources of rs. scope gives
// the account of requests whose context carries none.
func New(rs perch.ResourceStore, scope perch.Scope) *Service {
	return &Service{rs: rs, scope: scope}
}

// TagResource implements perch.Tagging.
func (s *Service) TagResource(ctx context.Context, arn string, tags []perch.Tag) error {
	base, created, err := s.resource(ctx, arn)
	if err != nil {
		return err
	}
	return s.rs.ChangeResourceTags(ctx, arn, created, base, func(current []perch.Tag) ([]perch.Tag, error) {
		return perch.AddTags(current, tags)
	})
}

// UntagResource implements perch.Tagging.
func (s *Service) UntagResource(ctx context.Context, arn string, keys []string) error {
	base, created, err := s.resource(ctx, arn)
	if err != nil {
		return err
	}
	return s.rs.ChangeResourceTags(ctx, arn, created, base, func(current []perch.Tag) ([]perch.Tag, error) {
		return perch.RemoveTags(current, keys), nil
	})
}

// ListTagsForResource implements perch.Tagging.
func (s *Service) ListTagsForResource(ctx context.Context, arn string) ([]perch.Tag, error) {
	base, created, err := s.resource(ctx, arn)
	if err != nil {
		return nil, err
	}
	tags, ok, err := s.rs.ResourceTags(ctx, arn, created)
	if err != nil {
		return nil, err
	}
	if !ok {
		tags = base
	}
	return tags, nil
}

// resource finds the resource arn names, among the caller's: the tags it
// was created with and when.
func (s *Service) resource(ctx context.Context, arn string) ([]perch.Tag, perch.Timestamp, error) {
	sc := s.scope
	if a := perch.AccountFrom(ctx); a != "" {
		sc.Account = a
	}
	a, ok := perch.ParseARN(arn)
	if !ok || !sc.Owns(arn) {
		return nil, 0, perch.NotFound(arn)
	}
	kind, rest, _ := strings.Cut(a.Resource, "/")
	switch kind {
	case perch.KindDatasetGroup:
		return tagsOf(s.rs.DatasetGroup(ctx, arn))(func(v *perch.DatasetGroup) ([]perch.Tag, perch.Timestamp) { return v.Tags, v.Created })
	case perch.KindDataset:
		return tagsOf(s.rs.Dataset(ctx, arn))(func(v *perch.Dataset) ([]perch.Tag, perch.Timestamp) { return v.Tags, v.Created })
	case perch.KindEventTracker:
		return tagsOf(s.rs.EventTracker(ctx, arn))(func(v *perch.EventTracker) ([]perch.Tag, perch.Timestamp) { return v.Tags, v.Created })
	case perch.KindDatasetImportJob:
		return tagsOf(s.rs.DatasetImportJob(ctx, arn))(func(v *perch.DatasetImportJob) ([]perch.Tag, perch.Timestamp) { return v.Tags, v.Created })
	case perch.KindDatasetExportJob:
		return tagsOf(s.rs.DatasetExportJob(ctx, arn))(func(v *perch.DatasetExportJob) ([]perch.Tag, perch.Timestamp) { return v.Tags, v.Created })
	case perch.KindDataDeletionJob:
		return tagsOf(s.rs.DataDeletionJob(ctx, arn))(func(v *perch.DataDeletionJob) ([]perch.Tag, perch.Timestamp) { return v.Tags, v.Created })
	case perch.KindSolution:
		if strings.Contains(rest, "/") {
			return tagsOf(s.rs.SolutionVersion(ctx, arn))(func(v *perch.SolutionVersion) ([]perch.Tag, perch.Timestamp) { return v.Tags, v.Created })
		}
		return tagsOf(s.rs.Solution(ctx, arn))(func(v *perch.Solution) ([]perch.Tag, perch.Timestamp) { return v.Tags, v.Created })
	case perch.KindRecommender:
		return tagsOf(s.rs.Solution(ctx, arn))(func(v *perch.Solution) ([]perch.Tag, perch.Timestamp) { return v.Tags, v.Created })
	case perch.KindCampaign:
		return tagsOf(s.rs.Campaign(ctx, arn))(func(v *perch.Campaign) ([]perch.Tag, perch.Timestamp) { return v.Tags, v.Created })
	case perch.KindFilter:
		return tagsOf(s.rs.Filter(ctx, arn))(func(v *perch.Filter) ([]perch.Tag, perch.Timestamp) { return v.Tags, v.Created })
	case perch.KindBatchInferenceJob:
		return tagsOf(s.rs.BatchInferenceJob(ctx, arn))(func(v *perch.BatchInferenceJob) ([]perch.Tag, perch.Timestamp) { return v.Tags, v.Created })
	case perch.KindBatchSegmentJob:
		return tagsOf(s.rs.BatchSegmentJob(ctx, arn))(func(v *perch.BatchSegmentJob) ([]perch.Tag, perch.Timestamp) { return v.Tags, v.Created })
	case perch.KindSchema:
		return nil, 0, perch.Errorf(perch.EInvalidInput, "Resource %s is a schema, and schemas take no tags.", arn)
	}
	return nil, 0, perch.NotFound(arn)
}

// tagsOf passes a lookup's error on, or reads the tags and creation time
// of what it found.
func tagsOf[T any](v *T, err error) func(func(*T) ([]perch.Tag, perch.Timestamp)) ([]perch.Tag, perch.Timestamp, error) {
	return func(read func(*T) ([]perch.Tag, perch.Timestamp)) ([]perch.Tag, perch.Timestamp, error) {
		if err != nil {
			return nil, 0, err
		}
		tags, created := read(v)
		return tags, created, nil
	}
}
