package awsapi

import (
	"context"

	"github.com/perchdev/perch"
)

// tagOps serves the tag operations.
func (s *Server) tagOps() map[string]controlOp {
	return map[string]controlOp{
		"TagResource":         op(s.tagResource),
		"UntagResource":       op(s.untagResource),
		"ListTagsForResource": op(s.listTagsForResource),
	}
}

type tagResourceInput struct {
	ResourceArn string
	Tags        []perch.Tag
}

func (s *Server) tagResource(ctx context.Context, in tagResourceInput) (empty, error) {
	return empty{}, s.tagging.TagResource(ctx, in.ResourceArn, in.Tags)
}

type untagResourceInput struct {
	ResourceArn string
	TagKeys     []string
}

func (s *Server) untagResource(ctx context.Context, in untagResourceInput) (empty, error) {
	return empty{}, s.tagging.UntagResource(ctx, in.ResourceArn, in.TagKeys)
}

type listTagsOutput struct {
	Tags []perch.Tag `json:"tags"`
}

func (s *Server) listTagsForResource(ctx context.Context, in struct{ ResourceArn string }) (listTagsOutput, error) {
	tags, err := s.tagging.ListTagsForResource(ctx, in.ResourceArn)
	if tags == nil {
		tags = []perch.Tag{}
	}
	return listTagsOutput{tags}, err
}
