package perch_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/perchdev/perch"
)

func TestRecommendationID(t *testing.T) {
	shape := regexp.MustCompile(`^RID-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	campaign := "arn:aws:personalize:us-east-1:111122223333:campaign/shop"
	other := "arn:aws:personalize:us-east-1:111122223333:recommender/shop"
	seen := map[string]bool{}
	for range 1000 {
		id := perch.NewRecommendationID(campaign)
		if !shape.MatchString(id) || len(id) != 40 {
			t.Fatalf("%q is not RID- and a version 4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("%s handed out twice", id)
		}
		seen[id] = true
		tag, ok := perch.RecommendationSourceTag(id)
		if !ok || tag != perch.SourceTag(campaign) || tag == perch.SourceTag(other) {
			t.Fatalf("%s carries tag %q (%v); the campaign's is %s", id, tag, ok, perch.SourceTag(campaign))
		}
		if upper, _ := perch.RecommendationSourceTag("RID-" + strings.ToUpper(id[4:])); upper != tag {
			t.Fatalf("the upper-case %s carries %q", id, upper)
		}
	}
	// Ids perch did not make: AWS's example, others of other shapes, and
	// one of perch's with a random digit changed.
	changed := []byte(perch.NewRecommendationID(campaign))
	if changed[20] == '0' {
		changed[20] = '1'
	} else {
		changed[20] = '0'
	}
	for _, id := range []string{"RID-279bc670-9f3a-4633-b670-1183fd50c323", string(changed),
		"", "RID-", "rec-1", "RID-zzzzzzzz-zzzz-4zzz-8zzz-zzzzzzzzzzzz", "RID-" + uuid.NewString() + "0", uuid.NewString()} {
		if tag, ok := perch.RecommendationSourceTag(id); ok {
			t.Errorf("%q read as carrying tag %s", id, tag)
		}
	}
}
