package filter

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/perchdev/perch"
)

// world is the data the matching table reads.
type world struct {
	records      map[perch.DatasetType]map[string]map[string]any
	interactions map[string][]Interaction // items, newest first
	actions      map[string][]Interaction // action interactions, newest first
}

func testWorld() *world {
	w := &world{
		records: map[perch.DatasetType]map[string]map[string]any{
			perch.Items: {
				"i1": {"GENRE": "comedy|drama", "PRICE": 10.0, "STUDIO": "A", "CATEGORY_L1": "shoe", "CATEGORY_L2": "boot", "CREATION_TIMESTAMP": 100.0},
				"i2": {"GENRE": "drama", "PRICE": 20.0, "STUDIO": "B", "CATEGORY_L1": "shoe", "CATEGORY_L2": "sandal", "CREATION_TIMESTAMP": 200.0},
				"i3": {"GENRE": "horror", "PRICE": 30.0, "STUDIO": "A", "CATEGORY_L1": "hat", "CREATION_TIMESTAMP": 300.0},
				"i4": {"GENRE": "Comedy", "PRICE": 5.0, "STUDIO": "C"},
				"i5": {"STUDIO": "B", "GENRE": nil},
				// i6 has no record.
			},
			perch.Users: {
				"u1": {"AGE": 25.0, "MEMBERSHIP": "gold|silver"},
				"u2": {"AGE": 15.0, "MEMBERSHIP": "bronze"},
				"u3": {"MEMBERSHIP": "gold"},
			},
			perch.Actions: {
				"a1": {"VALUE": 5.0, "TYPE": "promo"},
				"a2": {"VALUE": 15.0, "TYPE": "promo|sale"},
				"a3": {"TYPE": "sale"},
			},
		},
		interactions: map[string][]Interaction{
			"u1": {{"i1", "click", 9}, {"i2", "stream", 8}, {"i3", "CLICK", 7}, {"i4", "purchase", 6}},
		},
		actions: map[string][]Interaction{
			"u1": {{"a1", "NOT_TAKEN", 9}, {"a2", "taken", 8}},
		},
	}
	// u9 clicked w0..w99 more recently than w100, which it also viewed:
	// w100's click is the 101st newest and falls out of the window.
	for i := 0; i <= 100; i++ {
		w.interactions["u9"] = append(w.interactions["u9"], Interaction{fmt.Sprintf("w%d", i), "click", int64(1000 - i)})
	}
	w.interactions["u9"] = append(w.interactions["u9"], Interaction{"w100", "view", 1})
	// u7 did not take x0..x300, newest first: x300 is the 301st.
	for i := 0; i <= 300; i++ {
		w.actions["u7"] = append(w.actions["u7"], Interaction{fmt.Sprintf("x%d", i), "NOT_TAKEN", int64(1000 - i)})
	}
	return w
}

func (w *world) facts(target, user, item string) Facts {
	history := w.interactions
	if target == TargetAction {
		history = w.actions
	}
	return Facts{
		Record: func(t perch.DatasetType, id string) (map[string]any, bool) {
			r, ok := w.records[t][id]
			return r, ok
		},
		Interactions: func(user string) []Interaction { return history[user] },
		CurrentUser:  user,
		CurrentItem:  item,
	}
}

var (
	allItems   = []string{"i1", "i2", "i3", "i4", "i5", "i6"}
	allActions = []string{"a1", "a2", "a3"}
	allUsers   = []string{"u1", "u2", "u3"}
)

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		name       string
		expression string
		values     map[string]string
		user, item string
		candidates []string // allItems, allActions or allUsers by target when nil
		want       []string
	}{
		// IN / NOT IN, multi-valued categorical values, case-sensitive strings.
		{"IN matches one of a categorical field's values", `INCLUDE ItemID WHERE Items.GENRE IN ("comedy")`, nil, "", "", nil, []string{"i1"}},
		{"EXCLUDE IN", `EXCLUDE ItemID WHERE Items.GENRE IN ("comedy", "horror")`, nil, "", "", nil, []string{"i2", "i4", "i5", "i6"}},
		{"INCLUDE NOT IN: missing values are not kept", `INCLUDE ItemID WHERE Items.GENRE NOT IN ("drama")`, nil, "", "", nil, []string{"i3", "i4"}},
		{"EXCLUDE NOT IN: missing values are not dropped", `EXCLUDE ItemID WHERE Items.GENRE NOT IN ("drama")`, nil, "", "", nil, []string{"i1", "i2", "i5", "i6"}},
		{"non-categorical strings match whole", `INCLUDE ItemID WHERE Items.STUDIO IN ("A", "C")`, nil, "", "", nil, []string{"i1", "i3", "i4"}},
		{"id field", `INCLUDE ItemID WHERE Items.ITEM_ID IN ("i6", "i2")`, nil, "", "", nil, []string{"i2", "i6"}},
		{"empty string matches nothing present", `INCLUDE ItemID WHERE Items.STUDIO IN ("")`, nil, "", "", nil, nil},
		// Comparisons.
		{"=", `INCLUDE ItemID WHERE Items.PRICE = 20`, nil, "", "", nil, []string{"i2"}},
		{"!=", `INCLUDE ItemID WHERE Items.PRICE != 20`, nil, "", "", nil, []string{"i1", "i3", "i4"}},
		{"<", `INCLUDE ItemID WHERE Items.PRICE < 20`, nil, "", "", nil, []string{"i1", "i4"}},
		{"<=", `INCLUDE ItemID WHERE Items.PRICE <= 20`, nil, "", "", nil, []string{"i1", "i2", "i4"}},
		{">", `INCLUDE ItemID WHERE Items.PRICE > 10`, nil, "", "", nil, []string{"i2", "i3"}},
		{">= (n)", `INCLUDE ItemID WHERE Items.PRICE >= (10)`, nil, "", "", nil, []string{"i1", "i2", "i3"}},
		{"EXCLUDE comparison keeps missing values", `EXCLUDE ItemID WHERE Items.CREATION_TIMESTAMP < 250`, nil, "", "", nil, []string{"i3", "i4", "i5", "i6"}},
		// Placeholders.
		{"quoted number", `INCLUDE ItemID WHERE Items.PRICE <= $PRICE`, map[string]string{"PRICE": `"20"`}, "", "", nil, []string{"i1", "i2", "i4"}},
		{"unquoted number", `INCLUDE ItemID WHERE Items.PRICE <= $PRICE`, map[string]string{"PRICE": `20`}, "", "", nil, []string{"i1", "i2", "i4"}},
		{"IN ($GENRE)", `INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)`, map[string]string{"GENRE": `"horror", "drama"`}, "", "", nil, []string{"i1", "i2", "i3"}},
		{"extra values are ignored", `INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)`, map[string]string{"GENRE": `"horror"`, "OTHER": `"x"`}, "", "", nil, []string{"i3"}},
		{"EXCLUDE without its value is off", `EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE)`, nil, "", "", nil, allItems},
		{"EXCLUDE with an empty value is off", `EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE)`, map[string]string{"GENRE": ""}, "", "", nil, allItems},
		{"only the EXCLUDE missing its value is off",
			`EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE) | EXCLUDE ItemID WHERE Items.PRICE > $PRICE`, map[string]string{"PRICE": "15"}, "", "", nil,
			[]string{"i1", "i4", "i5", "i6"}},
		// AND binds tighter than OR.
		{"precedence", `INCLUDE ItemID WHERE Items.STUDIO IN ("A") AND Items.PRICE > 15 OR Items.GENRE IN ("Comedy")`, nil, "", "", nil, []string{"i3", "i4"}},
		{"precedence, OR first", `INCLUDE ItemID WHERE Items.GENRE IN ("Comedy") OR Items.STUDIO IN ("A") AND Items.PRICE > 15`, nil, "", "", nil, []string{"i3", "i4"}},
		{"multi-level categories", `EXCLUDE ItemID WHERE Items.CATEGORY_L1 IN ("shoe") AND Items.CATEGORY_L2 NOT IN ("boot")`, nil, "", "", nil, []string{"i1", "i3", "i4", "i5", "i6"}},
		// CurrentItem.
		{"CurrentItem", `INCLUDE ItemID WHERE Items.PRICE < CurrentItem.PRICE AND Items.GENRE IN CurrentItem.GENRE`, nil, "", "i2", nil, []string{"i1"}},
		{"CurrentItem multi-valued", `INCLUDE ItemID WHERE Items.GENRE IN CurrentItem.GENRE`, nil, "", "i1", nil, []string{"i1", "i2"}},
		{"CurrentItem NOT IN", `INCLUDE ItemID WHERE Items.GENRE NOT IN CurrentItem.GENRE`, nil, "", "i1", nil, []string{"i3", "i4"}},
		{"no CurrentItem: INCLUDE keeps nothing", `INCLUDE ItemID WHERE Items.GENRE IN CurrentItem.GENRE`, nil, "", "", nil, nil},
		{"no CurrentItem: EXCLUDE drops nothing", `EXCLUDE ItemID WHERE Items.PRICE > CurrentItem.PRICE`, nil, "", "", nil, allItems},
		{"CurrentItem without the field", `EXCLUDE ItemID WHERE Items.PRICE > CurrentItem.PRICE`, nil, "", "i5", nil, allItems},
		{"CurrentItem without a record", `INCLUDE ItemID WHERE Items.PRICE <= CurrentItem.PRICE`, nil, "", "i6", nil, nil},
		// Interactions of the requesting user.
		{"EXCLUDE interacted", `EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click", "stream")`, nil, "u1", "", nil, []string{"i4", "i5", "i6"}},
		{"INCLUDE any type", `INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")`, nil, "u1", "", nil, []string{"i1", "i2", "i3", "i4"}},
		{"event types ignore case", `include itemid where INTERACTIONS.event_type in ("Click")`, nil, "u1", "", nil, []string{"i1", "i3"}},
		{"interactions NOT IN", `INCLUDE ItemID WHERE Interactions.EVENT_TYPE NOT IN ("click")`, nil, "u1", "", nil, []string{"i2", "i4"}},
		{"event type placeholder", `EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($EVENT_TYPE)`, map[string]string{"EVENT_TYPE": `"PURCHASE"`}, "u1", "", nil, []string{"i1", "i2", "i3", "i5", "i6"}},
		{"user without interactions", `INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")`, nil, "u2", "", nil, nil},
		{"no user", `EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")`, nil, "", "", nil, allItems},
		{"100 newest per event type", `EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")`, nil, "u9", "", []string{"w0", "w99", "w100"}, []string{"w100"}},
		{"the window is per type", `EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click", "view")`, nil, "u9", "", []string{"w0", "w99", "w100"}, nil},
		// Combining expressions.
		{"INCLUDE | EXCLUDE", `INCLUDE ItemID WHERE Items.GENRE IN ("drama") | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("stream")`, nil, "u1", "", nil, []string{"i1"}},
		{"EXCLUDE | INCLUDE", `EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("stream") | INCLUDE ItemID WHERE Items.GENRE IN ("drama")`, nil, "u1", "", nil, []string{"i1"}},
		{"INCLUDE | INCLUDE", `INCLUDE ItemID WHERE Items.GENRE IN ("horror") | INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")`, nil, "u1", "", nil, []string{"i3", "i4"}},
		{"EXCLUDE | EXCLUDE", `EXCLUDE ItemID WHERE Items.GENRE IN ("horror") | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")`, nil, "u1", "", nil, []string{"i1", "i2", "i5", "i6"}},
		// IF CurrentUser.
		{"IF holds", `EXCLUDE ItemID WHERE Items.GENRE IN ("horror") IF CurrentUser.AGE < 18`, nil, "u2", "", nil, []string{"i1", "i2", "i4", "i5", "i6"}},
		{"IF fails", `EXCLUDE ItemID WHERE Items.GENRE IN ("horror") IF CurrentUser.AGE < 18`, nil, "u1", "", nil, allItems},
		{"IF on a missing field", `EXCLUDE ItemID WHERE Items.GENRE IN ("horror") IF CurrentUser.AGE < 18`, nil, "u3", "", nil, allItems},
		{"IF without a user", `INCLUDE ItemID WHERE Items.GENRE IN ("horror") IF CurrentUser.AGE < 18`, nil, "", "", nil, allItems},
		{"IF with an unknown user", `INCLUDE ItemID WHERE Items.GENRE IN ("horror") IF CurrentUser.AGE < 18`, nil, "nobody", "", nil, allItems},
		{"IF with placeholders", `INCLUDE ItemID WHERE Items.GENRE IN ($GENRE) IF CurrentUser.AGE = $AGE`, map[string]string{"GENRE": `"drama"`, "AGE": `"25"`}, "u1", "", nil, []string{"i1", "i2"}},
		{"IF ... AND, categorical", `INCLUDE ItemID WHERE Items.PRICE < 15 IF CurrentUser.AGE > 18 AND CurrentUser.MEMBERSHIP IN ("silver")`, nil, "u1", "", nil, []string{"i1", "i4"}},
		{"IF ... AND fails", `INCLUDE ItemID WHERE Items.PRICE < 15 IF CurrentUser.AGE > 18 AND CurrentUser.MEMBERSHIP IN ("silver")`, nil, "u2", "", nil, allItems},
		{"IF off, other INCLUDE on", `INCLUDE ItemID WHERE Items.GENRE IN ("horror") IF CurrentUser.AGE < 18 | INCLUDE ItemID WHERE Items.STUDIO IN ("B")`, nil, "u1", "", nil, []string{"i2", "i5"}},
		// Actions.
		{"actions comparison", `INCLUDE ActionID WHERE Actions.VALUE > ($VALUE)`, map[string]string{"VALUE": `"10"`}, "", "", nil, []string{"a2"}},
		{"actions categorical-free strings", `INCLUDE ActionID WHERE Actions.TYPE IN ("promo")`, nil, "", "", nil, []string{"a1"}},
		{"action interactions", `EXCLUDE ActionID WHERE Action_Interactions.EVENT_TYPE IN ("NOT_TAKEN")`, nil, "u1", "", nil, []string{"a2", "a3"}},
		{"300 newest action interactions per type", `EXCLUDE ActionID WHERE Action_Interactions.EVENT_TYPE IN ("not_taken")`, nil, "u7", "", []string{"x0", "x299", "x300"}, []string{"x300"}},
		// User segments.
		{"users comparison", `INCLUDE UserID WHERE Users.AGE >= 18`, nil, "", "", nil, []string{"u1"}},
		{"users placeholder", `EXCLUDE UserID WHERE Users.AGE < $AGE`, map[string]string{"AGE": "18"}, "", "", nil, []string{"u1", "u3"}},
		{"users categorical", `EXCLUDE UserID WHERE Users.MEMBERSHIP IN ("silver")`, nil, "", "", nil, []string{"u2", "u3"}},
		{"users who interacted", `INCLUDE UserID WHERE Interactions.EVENT_TYPE IN ("click")`, nil, "", "", []string{"u1", "u2", "u9"}, []string{"u1", "u9"}},
		{"users' window", `INCLUDE UserID WHERE Interactions.EVENT_TYPE NOT IN ("click")`, nil, "", "", []string{"u1", "u2", "u9"}, []string{"u1", "u9"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse(tc.expression, testSchemas())
			if err != nil {
				t.Fatal(err)
			}
			b, err := f.Bind(tc.values)
			if err != nil {
				t.Fatal(err)
			}
			candidates := tc.candidates
			if candidates == nil {
				candidates = map[string][]string{TargetItem: allItems, TargetAction: allActions, TargetUser: allUsers}[f.Target()]
			}
			m := b.Prepare(testWorld().facts(f.Target(), tc.user, tc.item))
			var kept []string
			for _, id := range candidates {
				if m.Keep(id) {
					kept = append(kept, id)
				}
			}
			if !slices.Equal(kept, tc.want) {
				t.Errorf("%s kept %q, want %q", tc.expression, kept, tc.want)
			}
		})
	}
}

func TestMatcherActive(t *testing.T) {
	f, err := Parse(`EXCLUDE ItemID WHERE Items.GENRE IN ($G)`, testSchemas())
	if err != nil {
		t.Fatal(err)
	}
	off, _ := f.Bind(nil)
	on, _ := f.Bind(map[string]string{"G": `"x"`})
	if off.Prepare(Facts{}).Active() || !on.Prepare(Facts{}).Active() {
		t.Error("Active: want false without the value, true with it")
	}
}

func TestKeepDoesNotAllocate(t *testing.T) {
	f, err := Parse(`INCLUDE ItemID WHERE Items.GENRE IN ("drama") AND Items.PRICE < 25 | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("stream")`, testSchemas())
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.Bind(nil)
	if err != nil {
		t.Fatal(err)
	}
	m := b.Prepare(testWorld().facts(TargetItem, "u1", ""))
	if allocs := testing.AllocsPerRun(100, func() { m.Keep("i1"); m.Keep("i2"); m.Keep("i6") }); allocs != 0 {
		t.Errorf("Keep allocates %v times per run", allocs)
	}
}

// TestRecordValueShapes covers records decoded other ways than
// encoding/json's defaults: integers, json.Number, numeric strings.
func TestRecordValueShapes(t *testing.T) {
	price, _ := Parse(`INCLUDE ItemID WHERE Items.PRICE > 10`, testSchemas())
	studio, _ := Parse(`INCLUDE ItemID WHERE Items.STUDIO IN ("12.5", "true")`, testSchemas())
	for _, tc := range []struct {
		filter *Filter
		value  any
		want   bool
	}{
		{price, 11, true}, {price, int64(11), true}, {price, int32(9), false}, {price, float32(10.5), true},
		{price, json.Number("12"), true}, {price, json.Number("x"), false}, {price, " 12 ", true}, {price, "cheap", false},
		{price, true, false}, {price, nil, false},
		{studio, 12.5, true}, {studio, json.Number("12.5"), true}, {studio, true, true}, {studio, "12.50", false}, {studio, []string{"12.5"}, false},
	} {
		b, _ := tc.filter.Bind(nil)
		field := "PRICE"
		if tc.filter == studio {
			field = "STUDIO"
		}
		m := b.Prepare(Facts{Record: func(perch.DatasetType, string) (map[string]any, bool) {
			return map[string]any{field: tc.value}, true
		}})
		if got := m.Keep("x"); got != tc.want {
			t.Errorf("%s with %s = %#v: Keep %v, want %v", tc.filter, field, tc.value, got, tc.want)
		}
	}
}
