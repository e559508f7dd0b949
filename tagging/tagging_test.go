package tagging_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/internal/fixture"
	"github.com/perchdev/perch/solutions"
	"github.com/perchdev/perch/tagging"
)

var scope = perch.Scope{Region: "us-east-1", Account: "111122223333"}

func tagged(t *testing.T, s *tagging.Service, ctx context.Context, arn string, want ...perch.Tag) {
	t.Helper()
	got, err := s.ListTagsForResource(ctx, arn)
	if err != nil {
		t.Fatalf("ListTagsForResource %s: %v", arn, err)
	}
	if len(got) == 0 {
		got = nil
	}
	if !slices.Equal(got, want) {
		t.Errorf("tags of %s = %v, want %v", arn, got, want)
	}
}

func TestTags(t *testing.T) {
	ctx, store, cat := fixture.Catalog(t, scope)
	s := tagging.New(store.Resources(), scope)
	team := perch.Tag{Key: "team", Value: "shop"}

	g, err := cat.CreateDatasetGroup(ctx, perch.CreateDatasetGroupInput{Name: "shop", Tags: []perch.Tag{team}})
	if err != nil {
		t.Fatal(err)
	}
	tagged(t, s, ctx, g.ARN, team)
	if err := s.TagResource(ctx, g.ARN, []perch.Tag{{Key: "env", Value: "test"}, {Key: "team", Value: "web"}}); err != nil {
		t.Fatal(err)
	}
	tagged(t, s, ctx, g.ARN, perch.Tag{Key: "team", Value: "web"}, perch.Tag{Key: "env", Value: "test"})
	if err := s.UntagResource(ctx, g.ARN, []string{"team", "absent"}); err != nil {
		t.Fatal(err)
	}
	tagged(t, s, ctx, g.ARN, perch.Tag{Key: "env", Value: "test"})

	// The resource's own record still has its creation tags, and its
	// writers cannot undo a change of tags.
	if d, err := cat.DescribeDatasetGroup(ctx, g.ARN); err != nil || !slices.Equal(d.Tags, []perch.Tag{team}) {
		t.Errorf("the group's record: tags %v, %v", d.Tags, err)
	}

	var many []perch.Tag
	for i := range perch.MaxTagsPerResource {
		many = append(many, perch.Tag{Key: fmt.Sprint("k", i), Value: "v"})
	}
	err = s.TagResource(ctx, g.ARN, many)
	if perch.ErrorCode(err) != perch.ETooManyTags {
		t.Errorf("201 tags: %v, want TooManyTagsException", err)
	}
	tagged(t, s, ctx, g.ARN, perch.Tag{Key: "env", Value: "test"})

	// Other resources: a filter, a solution; a schema takes no tags.
	sols := solutions.New(store.Resources(), scope, solutions.Options{})
	schema, err := cat.CreateSchema(ctx, perch.CreateSchemaInput{Name: "i", Definition: `{"type":"record","name":"Interactions",` +
		`"namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},` +
		`{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}`})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cat.CreateDataset(ctx, perch.CreateDatasetInput{Name: "i", SchemaARN: schema.ARN, GroupARN: g.ARN, Type: "Interactions"}); err != nil {
		t.Fatal(err)
	}
	f, err := sols.CreateFilter(ctx, perch.CreateFilterInput{Name: "f", GroupARN: g.ARN, Tags: []perch.Tag{team},
		Expression: `EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")`})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.TagResource(ctx, f.ARN, []perch.Tag{{Key: "cost", Value: "1"}}); err != nil {
		t.Fatal(err)
	}
	tagged(t, s, ctx, f.ARN, team, perch.Tag{Key: "cost", Value: "1"})
	sol, err := sols.CreateSolution(ctx, perch.CreateSolutionInput{Name: "s", GroupARN: g.ARN,
		RecipeARN: solutions.RecipeARN("aws-user-personalization-v2")})
	if err != nil {
		t.Fatal(err)
	}
	tagged(t, s, ctx, sol.ARN)
	err = s.TagResource(ctx, schema.ARN, []perch.Tag{team})
	if perch.ErrorCode(err) != perch.EInvalidInput {
		t.Errorf("tagging a schema: %v, want InvalidInputException", err)
	}

	// Unknown resources, and another account's, are not found.
	for _, arn := range []string{scope.DatasetGroupARN("missing"), "arn:aws:personalize:us-east-1:999999999999:dataset-group/shop", "not-an-arn"} {
		if _, err := s.ListTagsForResource(ctx, arn); perch.ErrorCode(err) != perch.EResourceNotFound {
			t.Errorf("ListTagsForResource %s: %v, want ResourceNotFoundException", arn, err)
		}
	}

	// A filter deleted and created again starts from its own tags.
	if err := sols.DeleteFilter(ctx, f.ARN); err != nil {
		t.Fatal(err)
	}
	again, err := sols.CreateFilter(ctx, perch.CreateFilterInput{Name: "f", GroupARN: g.ARN,
		Expression: `EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")`})
	if err != nil {
		t.Fatal(err)
	}
	tagged(t, s, ctx, again.ARN)
}
