package filter_test

import (
	"fmt"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/filter"
)

func Example() {
	schemas := filter.Schemas{
		perch.Items: {Fields: []perch.Field{
			{Name: "ITEM_ID", Type: perch.TypeString},
			{Name: "GENRE", Type: perch.TypeString, Categorical: true},
		}},
		perch.Interactions: {Fields: []perch.Field{
			{Name: "USER_ID", Type: perch.TypeString},
			{Name: "ITEM_ID", Type: perch.TypeString},
			{Name: "TIMESTAMP", Type: perch.TypeLong},
			{Name: "EVENT_TYPE", Type: perch.TypeString},
		}},
	}
	// At CreateFilter.
	f, err := filter.Parse(`include ItemID where Items.genre in ($GENRE) | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch")`, schemas)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f)
	fmt.Println(f.Placeholders(), f.NeedsUser())

	// At GetRecommendations.
	bound, err := f.Bind(map[string]string{"GENRE": `"comedy","drama"`})
	if err != nil {
		fmt.Println(err)
		return
	}
	items := map[string]map[string]any{
		"heat":       {"GENRE": "action|drama"},
		"casablanca": {"GENRE": "drama"},
		"alien":      {"GENRE": "horror"},
	}
	m := bound.Prepare(filter.Facts{
		Record: func(_ perch.DatasetType, id string) (map[string]any, bool) {
			r, ok := items[id]
			return r, ok
		},
		Interactions: func(user string) []filter.Interaction {
			return []filter.Interaction{{ID: "casablanca", EventType: "Watch", Time: 1700000000}}
		},
		CurrentUser: "ana",
	})
	for _, id := range []string{"heat", "casablanca", "alien"} {
		fmt.Println(id, m.Keep(id))
	}
	// Output:
	// INCLUDE ItemID WHERE Items.GENRE IN ($GENRE) | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch")
	// [GENRE] true
	// heat true
	// casablanca false
	// alien false
}
