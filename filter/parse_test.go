package filter

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/perchdev/perch"
)

// validExamples are RUNTIME.md 5.4's valid examples and AWS's guide's, with
// the canonical form String gives each.
var validExamples = []struct{ expression, canonical string }{
	{`EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click", "stream")`,
		`EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click", "stream")`},
	{`INCLUDE ItemID WHERE Items.PRICE <= $PRICE`,
		`INCLUDE ItemID WHERE Items.PRICE <= $PRICE`},
	{`EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE) IF CurrentUser.AGE = $AGE`,
		`EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE) IF CurrentUser.AGE = $AGE`},
	{`INCLUDE ItemID WHERE Items.PRICE < CurrentItem.PRICE AND Items.GENRE IN CurrentItem.GENRE`,
		`INCLUDE ItemID WHERE Items.PRICE < CurrentItem.PRICE AND Items.GENRE IN CurrentItem.GENRE`},
	{`INCLUDE ItemID WHERE Items.GENRE IN ($GENRE) | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click", "stream")`,
		`INCLUDE ItemID WHERE Items.GENRE IN ($GENRE) | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click", "stream")`},
	{`EXCLUDE UserID WHERE Users.AGE < $AGE`,
		`EXCLUDE UserID WHERE Users.AGE < $AGE`},
	{`EXCLUDE ActionID WHERE Action_Interactions.EVENT_TYPE IN ("NOT_TAKEN")`,
		`EXCLUDE ActionID WHERE Action_Interactions.EVENT_TYPE IN ("NOT_TAKEN")`},
	{`INCLUDE ActionID WHERE Actions.VALUE > ($VALUE)`,
		`INCLUDE ActionID WHERE Actions.VALUE > $VALUE`},
	{`EXCLUDE itemId WHERE INTERACTIONS.event_type in ("EVENT_TYPE")`,
		`EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("EVENT_TYPE")`},
	// The guide's other examples.
	{`INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")`,
		`INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")`},
	{`EXCLUDE ItemID WHERE Items.CATEGORY_L1 IN ("shoe") AND Items.CATEGORY_L2 NOT IN ("boot")`,
		`EXCLUDE ItemID WHERE Items.CATEGORY_L1 IN ("shoe") AND Items.CATEGORY_L2 NOT IN ("boot")`},
	{`INCLUDE ItemID WHERE Items.NUMBER_OF_DOWNLOADS < 20`,
		`INCLUDE ItemID WHERE Items.NUMBER_OF_DOWNLOADS < 20`},
	{`EXCLUDE ItemID WHERE Items.NUMBER_OF_DOWNLOADS < 20 IF CurrentUser.AGE > 18 AND CurrentUser.AGE < 30`,
		`EXCLUDE ItemID WHERE Items.NUMBER_OF_DOWNLOADS < 20 IF CurrentUser.AGE > 18 AND CurrentUser.AGE < 30`},
	{`INCLUDE ItemID WHERE Items.CREATION_TIMESTAMP < $DATE`,
		`INCLUDE ItemID WHERE Items.CREATION_TIMESTAMP < $DATE`},
	{`EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($EVENT_TYPE)`,
		`EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($EVENT_TYPE)`},
	{`INCLUDE ItemID WHERE Items.CATEGORY IN ("watch") AND Items.GENRE IN ("luxury") IF CurrentUser.AGE > 18`,
		`INCLUDE ItemID WHERE Items.CATEGORY IN ("watch") AND Items.GENRE IN ("luxury") IF CurrentUser.AGE > 18`},
	// perch's readings: spacing, parentheses around one number, bare
	// placeholders after IN, escapes, exponents, OR, every operator.
	{"include   ItemID\twhere items.price>=(10)or Items.price != -2.5e3 AND Items.PRICE = 1e21",
		`INCLUDE ItemID WHERE Items.PRICE >= 10 OR Items.PRICE != -2500 AND Items.PRICE = 1e+21`},
	{`INCLUDE ItemID WHERE Items.GENRE IN $G AND Items.STUDIO IN ("say \"hi\"", "back\\slash", "")`,
		`INCLUDE ItemID WHERE Items.GENRE IN ($G) AND Items.STUDIO IN ("say \"hi\"", "back\\slash", "")`},
	{`INCLUDE ItemID WHERE Items.ITEM_ID IN ("i1") | EXCLUDE ItemID WHERE Items.PRICE > CurrentItem.PRICE`,
		`INCLUDE ItemID WHERE Items.ITEM_ID IN ("i1") | EXCLUDE ItemID WHERE Items.PRICE > CurrentItem.PRICE`},
	{`INCLUDE UserID WHERE Interactions.EVENT_TYPE NOT IN ("click") OR Interactions.EVENT_TYPE IN ("*")`,
		`INCLUDE UserID WHERE Interactions.EVENT_TYPE NOT IN ("click") OR Interactions.EVENT_TYPE IN ("*")`},
	{`INCLUDE ItemID WHERE Items.GENRE IN ("a") IF CurrentUser.MEMBERSHIP IN ("gold") AND CurrentUser.AGE >= (18)`,
		`INCLUDE ItemID WHERE Items.GENRE IN ("a") IF CurrentUser.MEMBERSHIP IN ("gold") AND CurrentUser.AGE >= 18`},
}

func TestParseValid(t *testing.T) {
	for _, tc := range validExamples {
		f, err := Parse(tc.expression, testSchemas())
		if err != nil {
			t.Errorf("Parse(%s): %v", tc.expression, err)
			continue
		}
		if got := f.String(); got != tc.canonical {
			t.Errorf("Parse(%s).String()\n got %s\nwant %s", tc.expression, got, tc.canonical)
		}
		again, err := Parse(f.String(), testSchemas())
		if err != nil || again.String() != f.String() {
			t.Errorf("canonical form %s does not read back: %v", f.String(), err)
		}
	}
}

// invalidExamples are RUNTIME.md 5.4's invalid examples (one or more per
// row of its table) and perch's other checks, each with its exact error.
var invalidExamples = []struct{ expression, message string }{
	// Placeholder with NOT IN.
	{`EXCLUDE ItemID WHERE Items.GENRE NOT IN ($G)`,
		`Could not create filter. Invalid input symbol "$G" at position 42. Placeholders cannot be used with the NOT IN operator; use IN in an expression with the opposite INCLUDE or EXCLUDE.`},
	// Two datasets in one expression.
	{`INCLUDE ItemID WHERE Items.GENRE IN ("x") AND Interactions.EVENT_TYPE IN ("click")`,
		`Could not create filter. Invalid Expression at position 47: conditions joined by AND or OR must use the dataset of the expression's first condition (Items), not Interactions; chain expressions that use different datasets with "|".`},
	{`INCLUDE ActionID WHERE Action_Interactions.EVENT_TYPE IN ("x") OR Actions.VALUE > 1`,
		`Could not create filter. Invalid Expression at position 67: conditions joined by AND or OR must use the dataset of the expression's first condition (Action_Interactions), not Actions; chain expressions that use different datasets with "|".`},
	// Boolean and textual fields.
	{`INCLUDE ItemID WHERE Items.IS_NEW IN ("True")`,
		`Could not create filter. Invalid Expression at position 28: Items.IS_NEW is a boolean field, and boolean fields cannot be filtered; use a string field with the values "True" and "False", or an int with 0 and 1.`},
	{`INCLUDE ItemID WHERE Items.GENRE IN ("a") IF CurrentUser.VIP IN ("true")`,
		`Could not create filter. Invalid Expression at position 58: Users.VIP is a boolean field, and boolean fields cannot be filtered; use a string field with the values "True" and "False", or an int with 0 and 1.`},
	{`INCLUDE ItemID WHERE Items.DESCRIPTION IN ("boot")`,
		`Could not create filter. Invalid Expression at position 28: Items.DESCRIPTION is a textual field, and textual (unstructured text) fields cannot be filtered.`},
	// A second IF, or IF on something other than CurrentUser.
	{`EXCLUDE ItemID WHERE Items.GENRE IN ("a") IF CurrentUser.AGE > 18 IF CurrentUser.AGE < 30`,
		`Could not create filter. Invalid input symbol "IF" at position 67. An expression can have only one IF, at its end; join CurrentUser conditions with AND.`},
	{`EXCLUDE ItemID WHERE Items.GENRE IN ("a") IF Items.PRICE > 18`,
		`Could not create filter. Invalid input symbol "Items" at position 46. IF conditions can only use CurrentUser.FIELD, such as CurrentUser.AGE.`},
	{`INCLUDE ItemID WHERE Items.GENRE IN ("a") IF CurrentUser.AGE > 18 OR CurrentUser.AGE < 3`,
		`Could not create filter. Invalid input symbol "OR" at position 67. IF conditions can only be joined with AND.`},
	{`INCLUDE ItemID WHERE CurrentUser.AGE > 18`,
		`Could not create filter. Invalid input symbol "CurrentUser" at position 22. CurrentUser can only be used in the IF condition at the end of an expression.`},
	// "*" outside EVENT_TYPE.
	{`INCLUDE ItemID WHERE Items.GENRE IN ("*")`,
		`Could not create filter. Invalid input symbol "*" at position 38. "*" (any event type) can only be used with EVENT_TYPE of Interactions or Action_Interactions.`},
	// Syntax: missing WHERE, unknown dataset or field, bad quoting.
	{`INCLUDE ItemID Items.GENRE IN ("a")`,
		`Could not create filter. Invalid input symbol "Items" at position 16. Expected WHERE.`},
	{`INCLUDE ItemID WHERE Things.GENRE IN ("a")`,
		`Could not create filter. Invalid input symbol "Things" at position 22. Expected a dataset: Items, Users, Interactions, Actions or Action_Interactions.`},
	{`INCLUDE ItemID WHERE Items.COLOR IN ("a")`,
		`Could not create filter. Invalid input symbol "COLOR" at position 28. The Items dataset has no field COLOR.`},
	{`INCLUDE ItemID WHERE Items.GENRE IN ("a)`,
		`Could not create filter. Invalid input symbol "a) at position 38. The value is not closed with a double quote.`},
	{`INCLUDE ItemID WHERE Items.GENRE IN ('a')`,
		`Could not create filter. Invalid input symbol "'" at position 38. Values must be enclosed in double quotes, such as "comedy".`},
	{`INCLUDE ItemID WHERE Items.GENRE IN (a)`,
		`Could not create filter. Invalid input symbol "a" at position 38. IN takes double-quoted values, such as ("comedy"), or a placeholder such as ($GENRE).`},
	{`INCLUDE ItemID WHERE Items.GENRE IN "a"`,
		`Could not create filter. Invalid input symbol "a" at position 37. Expected values in parentheses after IN, such as ("comedy"), a placeholder such as ($GENRE) or CurrentItem.FIELD.`},
	{`INCLUDE ItemID WHERE`,
		`Could not create filter. Invalid input symbol <EOF> at position 21. Expected a dataset: Items, Users, Interactions, Actions or Action_Interactions.`},
	{`INCLUDE ItemID WHERE Items.GENRE IN ("a") extra`,
		`Could not create filter. Invalid input symbol "extra" at position 43. Expected AND, OR, IF, "|" or the end of the expression.`},
	{`INCLUDE ItemID WHERE Items.GENRE IN ("a") AND Items.STUDIO IN ("b") ~`,
		`Could not create filter. Invalid input symbol "~" at position 69. This character is not part of the filter expression syntax.`},
	{`SHOW ItemID WHERE Items.GENRE IN ("a")`,
		`Could not create filter. Invalid input symbol "SHOW" at position 1. Expected INCLUDE or EXCLUDE.`},
	{`INCLUDE Items WHERE Items.GENRE IN ("a")`,
		`Could not create filter. Invalid input symbol "Items" at position 9. Expected ItemID, ActionID or UserID.`},
	{`INCLUDE ItemID WHERE Items.GENRE LIKE ("a")`,
		`Could not create filter. Invalid input symbol "LIKE" at position 34. Expected an operator: IN, NOT IN, =, !=, <, <=, > or >=.`},
	{`INCLUDE ItemID WHERE Items.GENRE NOT ("a")`,
		`Could not create filter. Invalid input symbol "(" at position 38. Expected IN after NOT.`},
	{`INCLUDE ItemID WHERE Items.PRICE < 2x`,
		`Could not create filter. Invalid input symbol "2x" at position 36. This is not a number.`},
	{`INCLUDE ItemID WHERE Items.PRICE ! 2`,
		`Could not create filter. Invalid input symbol "!" at position 34. "!" must be followed by "=" (the != operator).`},
	{`INCLUDE ItemID WHERE Items.GENRE IN ($)`,
		`Could not create filter. Invalid input symbol "$" at position 38. A placeholder is $ followed by its name, such as $GENRE.`},
	{`INCLUDE ItemID WHERE Items.GENRE IN ($` + strings.Repeat("A", 51) + `)`,
		`Could not create filter. Invalid input symbol "$` + strings.Repeat("A", 39) + `..." at position 38. A placeholder name has at most 50 letters, digits or underscores.`},
	// Parentheses only hold values: AWS documents no grouping.
	{`INCLUDE ItemID WHERE (Items.GENRE IN ("a") OR Items.STUDIO IN ("b"))`,
		`Could not create filter. Invalid input symbol "(" at position 22. Expected a dataset field such as Items.GENRE; parentheses cannot group conditions.`},
	// Operators and field types.
	{`INCLUDE ItemID WHERE Items.PRICE IN ("a")`,
		`Could not create filter. Invalid Expression at position 34: Items.PRICE is a number field: compare it with =, !=, <, <=, > or >=; IN matches strings.`},
	{`INCLUDE ItemID WHERE Items.GENRE = "a"`,
		`Could not create filter. Invalid Expression at position 34: Items.GENRE is a string field: match it with IN or NOT IN; = compares numbers.`},
	{`INCLUDE ItemID WHERE Items.PRICE < "20"`,
		`Could not create filter. Invalid input symbol "20" at position 36. Expected a number, a placeholder such as $PRICE or CurrentItem.FIELD after <.`},
	{`INCLUDE ItemID WHERE Items.PRICE < (1, 2)`,
		`Could not create filter. Invalid input symbol "," at position 38. < takes a single number or placeholder.`},
	{`INCLUDE ItemID WHERE Items.GENRE IN (1)`,
		`Could not create filter. Invalid input symbol "1" at position 38. IN takes double-quoted values, such as ("comedy"), or a placeholder such as ($GENRE).`},
	{`INCLUDE ItemID WHERE Items.GENRE IN ("a", $X)`,
		`Could not create filter. Invalid input symbol "$X" at position 43. A placeholder must be the only value in its parentheses.`},
	{`INCLUDE ItemID WHERE Items.GENRE IN ("a" "b")`,
		`Could not create filter. Invalid input symbol "b" at position 42. Expected "," or ")".`},
	// Datasets, targets and CurrentItem.
	{`INCLUDE UserID WHERE Users.AGE > 18 | EXCLUDE ItemID WHERE Items.PRICE > 1`,
		`Could not create filter. Invalid Expression at position 47: this expression filters ItemID but the filter's first expression filters UserID; all expressions of a filter must filter the same kind of id.`},
	{`INCLUDE ItemID WHERE Interactions.DEVICE IN ("a")`,
		`Could not create filter. Invalid Expression at position 22: Interactions can only be filtered by EVENT_TYPE, not DEVICE.`},
	{`INCLUDE ItemID WHERE Users.AGE > 3`,
		`Could not create filter. Invalid Expression at position 22: ItemID expressions can use the Items and Interactions datasets, not Users.`},
	{`INCLUDE ActionID WHERE Items.PRICE > 3`,
		`Could not create filter. Invalid Expression at position 24: ActionID expressions can use the Actions and Action_Interactions datasets, not Items.`},
	{`INCLUDE UserID WHERE Users.AGE > 3 IF CurrentUser.AGE > 3`,
		`Could not create filter. Invalid Expression at position 36: IF conditions read the user who requests recommendations; UserID expressions filter user segments, which have none.`},
	{`INCLUDE ItemID WHERE Items.PRICE < CurrentItem.GENRE`,
		`Could not create filter. Invalid Expression at position 36: CurrentItem.GENRE is a string field, which < cannot compare; match it with IN or NOT IN.`},
	{`INCLUDE ItemID WHERE Items.GENRE IN CurrentItem.PRICE`,
		`Could not create filter. Invalid Expression at position 37: CurrentItem.PRICE is a number field, which IN cannot match; compare it with =, !=, <, <=, > or >=.`},
	{`INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN CurrentItem.GENRE`,
		`Could not create filter. Invalid input symbol "CurrentItem" at position 49. CurrentItem can only be compared with Items fields in WHERE conditions, such as Items.PRICE < CurrentItem.PRICE.`},
	{`INCLUDE ItemID WHERE CurrentItem.PRICE > Items.PRICE`,
		`Could not create filter. Invalid input symbol "CurrentItem" at position 22. CurrentItem can only be used after an operator, such as Items.PRICE < CurrentItem.PRICE.`},
	{``,
		`Could not create filter. The filter expression has 0 characters; it must have 1 to 2500.`},
	{`INCLUDE ItemID WHERE Items.GENRE IN ("` + strings.Repeat("é", 2500) + `")`,
		`Could not create filter. The filter expression has 2540 characters; it must have 1 to 2500.`},
}

func TestParseInvalid(t *testing.T) {
	for _, tc := range invalidExamples {
		_, err := Parse(tc.expression, testSchemas())
		var perr *perch.Error
		if !errors.As(err, &perr) || perr.Code != perch.EInvalidInput || perr.Message != tc.message {
			t.Errorf("Parse(%s)\n got %v\nwant %s: %s", tc.expression, err, perch.EInvalidInput, tc.message)
		}
	}
}

func TestParseMissingDatasets(t *testing.T) {
	onlyItems := Schemas{perch.Items: testSchemas()[perch.Items]}
	for expression, message := range map[string]string{
		`EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")`:         `Could not create filter. Invalid Expression at position 22: the dataset group has no Interactions dataset, which Interactions.EVENT_TYPE needs.`,
		`EXCLUDE ItemID WHERE Items.GENRE IN ("a") IF CurrentUser.AGE > 18`: `Could not create filter. Invalid Expression at position 46: the dataset group has no Users dataset, which CurrentUser.AGE needs.`,
	} {
		_, err := Parse(expression, onlyItems)
		if err == nil || err.Error() != perch.EInvalidInput+": "+message {
			t.Errorf("Parse(%s)\n got %v\nwant %s", expression, err, message)
		}
	}
	// Interactions.EVENT_TYPE needs no column: every event has a type.
	noEventType := testSchemas()
	noEventType[perch.Interactions] = &perch.AvroSchema{Fields: []perch.Field{
		{Name: "USER_ID", Type: perch.TypeString}, {Name: "ITEM_ID", Type: perch.TypeString}, {Name: "TIMESTAMP", Type: perch.TypeLong},
	}}
	if _, err := Parse(`EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")`, noEventType); err != nil {
		t.Error(err)
	}
}

func TestParseFieldQuota(t *testing.T) {
	var conditions []string
	for _, name := range []string{"F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9"} {
		conditions = append(conditions, "Items."+name+` IN ("a")`)
	}
	ten := "INCLUDE ItemID WHERE " + strings.Join(conditions, " AND ") + " | EXCLUDE ItemID WHERE Items.GENRE IN CurrentItem.GENRE"
	f, err := Parse(ten, testSchemas())
	if err != nil {
		t.Fatalf("10 fields: %v", err)
	}
	if n := len(f.Fields()); n != 10 {
		t.Errorf("Fields() = %d, want 10", n)
	}
	_, err = Parse(ten+" IF CurrentUser.AGE > 3", testSchemas())
	var perr *perch.Error
	want := "Could not create filter. The filter uses 11 distinct dataset fields (Items.F1, Items.F2, Items.F3, Items.F4, Items.F5, Items.F6, Items.F7, Items.F8, Items.F9, Items.GENRE, Users.AGE); at most 10 are allowed."
	if !errors.As(err, &perr) || perr.Code != perch.ELimitExceeded || perr.Message != want {
		t.Errorf("11 fields: got %v, want %s: %s", err, perch.ELimitExceeded, want)
	}

	inUse := []string{"Items.A", "Items.B", "Items.C", "Items.D", "Items.E", "Items.F", "Items.G", "Items.H", "Items.I", "Items.J", "Items.F1"}
	if err := CheckGroupFields(inUse, f); err != nil {
		t.Errorf("20 group fields: %v", err)
	}
	err = CheckGroupFields(append(inUse, "Users.AGE"), f)
	if !errors.As(err, &perr) || perr.Code != perch.ELimitExceeded ||
		perr.Message != "Could not create filter. The dataset group's filters would use 21 distinct dataset fields; at most 20 are allowed." {
		t.Errorf("21 group fields: %v", err)
	}
}

func TestFilterAccessors(t *testing.T) {
	for _, tc := range []struct {
		expression   string
		target       string
		placeholders []string
		fields       []string
		currentItem  bool
		user         bool
	}{
		{`INCLUDE ItemID WHERE Items.PRICE < CurrentItem.PRICE AND Items.GENRE IN CurrentItem.GENRE`,
			TargetItem, nil, []string{"Items.GENRE", "Items.PRICE"}, true, false},
		{`EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE) IF CurrentUser.AGE = $AGE | INCLUDE ItemID WHERE Items.PRICE < $PRICE OR Items.GENRE IN ($GENRE)`,
			TargetItem, []string{"AGE", "GENRE", "PRICE"}, []string{"Items.GENRE", "Items.PRICE", "Users.AGE"}, false, true},
		{`EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")`,
			TargetItem, nil, []string{"Interactions.EVENT_TYPE"}, false, true},
		{`EXCLUDE ActionID WHERE Action_Interactions.EVENT_TYPE IN ($E)`,
			TargetAction, []string{"E"}, []string{"Action_Interactions.EVENT_TYPE"}, false, true},
		{`INCLUDE UserID WHERE Interactions.EVENT_TYPE IN ("click") | EXCLUDE UserID WHERE Users.AGE < 18`,
			TargetUser, nil, []string{"Interactions.EVENT_TYPE", "Users.AGE"}, false, false},
	} {
		f, err := Parse(tc.expression, testSchemas())
		if err != nil {
			t.Fatalf("Parse(%s): %v", tc.expression, err)
		}
		if f.Target() != tc.target || !slices.Equal(f.Placeholders(), tc.placeholders) || !slices.Equal(f.Fields(), tc.fields) ||
			f.NeedsCurrentItem() != tc.currentItem || f.NeedsUser() != tc.user {
			t.Errorf("%s: Target %s Placeholders %q Fields %q NeedsCurrentItem %v NeedsUser %v; want %s %q %q %v %v",
				tc.expression, f.Target(), f.Placeholders(), f.Fields(), f.NeedsCurrentItem(), f.NeedsUser(),
				tc.target, tc.placeholders, tc.fields, tc.currentItem, tc.user)
		}
	}
}
