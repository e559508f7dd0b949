package recipe

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// segmentData is the planted data the segmentation tests measure on.
func segmentData() *SyntheticData {
	return Synthetic(DefaultSynthetic(3000, 1200, 60000, 7))
}

// tasteShare is the share of users whose tastes hold cluster c: what a
// segment drawn at random holds.
func tasteShare(s *SyntheticData, c int32) float64 {
	n := 0
	for _, t := range s.Tastes {
		if slices.Contains(t, c) {
			n++
		}
	}
	return float64(n) / float64(len(s.Tastes))
}

// share is the share of the segment's users whose tastes hold c.
func share(t *testing.T, s *SyntheticData, users []ScoredUser, c int32) float64 {
	t.Helper()
	if len(users) == 0 {
		t.Fatal("empty segment")
	}
	index := indexOf(s.Users)
	n := 0
	for _, u := range users {
		if slices.Contains(s.Tastes[index[u.User]], c) {
			n++
		}
	}
	return float64(n) / float64(len(users))
}

func TestItemAffinityFindsTheClustersUsers(t *testing.T) {
	s := segmentData()
	m, err := Train(ItemAffinity, s.Data, Params{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	seg, err := AsSegmenter(m)
	if err != nil {
		t.Fatal(err)
	}
	var got, chance float64
	n := 0
	for i := 0; i < len(s.Items); i += 37 {
		if slices.Contains(s.Cold, int32(i)) {
			continue
		}
		c := s.ItemCluster[i]
		users, err := seg.UsersForItem(s.Items[i], 30, nil)
		if err != nil {
			t.Fatal(err)
		}
		// The item's own users are left out.
		for _, u := range users {
			for _, x := range s.Interactions {
				if s.Users[x.User] == u.User && int(x.Item) == i {
					t.Fatalf("item %s: user %s already interacted with it", s.Items[i], u.User)
				}
			}
		}
		if !slices.IsSortedFunc(users, func(a, b ScoredUser) int { return -cmpFloat(a.Score, b.Score) }) {
			t.Fatalf("item %s: users not best first", s.Items[i])
		}
		got += share(t, s, users, c)
		chance += tasteShare(s, c)
		n++
	}
	got, chance = got/float64(n), chance/float64(n)
	t.Logf("item-affinity: %.3f of a segment's users have the item's cluster among their tastes; chance %.3f", got, chance)
	if got < 0.6 || got < 5*chance {
		t.Errorf("segments hold %.3f users of the item's cluster, chance %.3f", got, chance)
	}
	if _, err := seg.UsersForItem("nope", 5, nil); err == nil {
		t.Error("an unknown item gave a segment")
	}
	keep := func(u string) bool { return strings.HasSuffix(u, "7") }
	users, err := seg.UsersForItem(s.Items[1], 10, keep)
	if err != nil || len(users) != 10 {
		t.Fatalf("filtered: %v, %v", users, err)
	}
	for _, u := range users {
		if !keep(u.User) {
			t.Errorf("filter let %s through", u.User)
		}
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestItemAttributeAffinityFindsTheGenresUsers(t *testing.T) {
	s := segmentData()
	m, err := Train(ItemAttributeAffinity, s.Data, Params{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if m, err = Load(b); err != nil {
		t.Fatal(err)
	}
	seg, err := AsSegmenter(m)
	if err != nil {
		t.Fatal(err)
	}
	var got, chance float64
	for c := range int32(20) {
		users, err := seg.UsersForAttributes(fmt.Sprintf(`ITEMS.GENRE = "g%02d"`, c), 50, nil)
		if err != nil {
			t.Fatal(err)
		}
		got += share(t, s, users, c) / 20
		chance += tasteShare(s, c) / 20
	}
	t.Logf("item-attribute-affinity: %.3f of a genre's segment have the genre's cluster among their tastes; chance %.3f", got, chance)
	if got < 0.8 || got < 5*chance {
		t.Errorf("segments hold %.3f users of the genre's cluster, chance %.3f", got, chance)
	}
	// AND narrows to the items with both.
	if _, err := seg.UsersForAttributes(`ITEMS.GENRE = "g03" AND items.price = "low"`, 5, nil); err != nil {
		t.Errorf("AND: %v", err)
	}
	for _, q := range []string{`ITEMS.GENRE = "nope"`, `ITEMS.GENRE != "g01"`, `ITEMS.GENRE = "g01" OR ITEMS.GENRE = "g02"`, `GENRE = "g01"`, `ITEMS.GENRE = g01`, ``} {
		if _, err := seg.UsersForAttributes(q, 5, nil); err == nil {
			t.Errorf("%q gave a segment", q)
		}
	}
}

func TestParseAttributes(t *testing.T) {
	got, err := ParseAttributes(`ITEMS.genres = "Comedy" AND ITEMS.genres = "Act\"ion"`)
	if err != nil || !slices.Equal(got, []string{"genres=Comedy", `genres=Act"ion`}) {
		t.Errorf("got %q, %v", got, err)
	}
}

func TestSegmentationMetrics(t *testing.T) {
	s := segmentData()
	for _, r := range []string{ItemAffinity, ItemAttributeAffinity} {
		got, err := Evaluate(r, s.Data, Params{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %v", r, got)
		// Chance: the top 1% of users at random recall 1% of the
		// relevant users.
		if rec := got[MetricRecall1Percent]; !(rec > 0.05) || math.IsNaN(got[MetricHits1Percent]) {
			t.Errorf("%s: recall_at_1_percent %v is not far above chance (0.01)", r, rec)
		}
		if c := got[MetricCoverage]; !(c > 0 && c <= 1) {
			t.Errorf("%s: coverage %v", r, c)
		}
	}
}
