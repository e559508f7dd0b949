package filter

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/perchdev/perch"
)

func TestBindErrors(t *testing.T) {
	tooMany := map[string]string{}
	for i := range 26 {
		tooMany[fmt.Sprintf("K%d", i)] = `"x"`
	}
	for _, tc := range []struct {
		name       string
		expression string
		values     map[string]string
		message    string
	}{
		{"INCLUDE missing its value", `INCLUDE ItemID WHERE Items.GENRE IN ($GENRE) | EXCLUDE ItemID WHERE Items.PRICE > $PRICE`,
			map[string]string{"genre": `"drama"`},
			`The filter's expression "INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)" has the placeholder $GENRE, but filterValues has no value for GENRE.`},
		{"INCLUDE with an empty value", `INCLUDE ItemID WHERE Items.STUDIO IN ("A") IF CurrentUser.AGE > $AGE`,
			map[string]string{"AGE": "  "},
			`The filter's expression "INCLUDE ItemID WHERE Items.STUDIO IN (\"A\") IF CurrentUser.AGE > $AGE" has the placeholder $AGE, but filterValues has no value for AGE.`},
		{"too many keys", `EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE)`, tooMany,
			`filterValues has 26 entries; at most 25 are allowed.`},
		{"bad key", `EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE)`, map[string]string{"GEN-RE": `"x"`},
			`filterValues key "GEN-RE" must be 1 to 50 letters, digits or underscores.`},
		{"long key", `EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE)`, map[string]string{strings.Repeat("K", 51): `"x"`},
			`filterValues key "` + strings.Repeat("K", 51) + `" must be 1 to 50 letters, digits or underscores.`},
		{"long value", `EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE)`, map[string]string{"GENRE": `"` + strings.Repeat("x", 999) + `"`},
			`filterValues value for GENRE has 1001 characters; at most 1000 are allowed.`},
		{"unquoted word", `EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE)`, map[string]string{"GENRE": `comedy`},
			`filterValues value for GENRE must be a comma-separated list of double-quoted values, such as "\"comedy\",\"drama\"": expected a value at position 1.`},
		{"missing comma", `EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE)`, map[string]string{"GENRE": `"a" "b"`},
			`filterValues value for GENRE must be a comma-separated list of double-quoted values, such as "\"comedy\",\"drama\"": expected "," at position 5.`},
		{"trailing comma", `EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE)`, map[string]string{"GENRE": `"a",`},
			`filterValues value for GENRE must be a comma-separated list of double-quoted values, such as "\"comedy\",\"drama\"": expected a value at position 5.`},
		{"unclosed quote", `EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE)`, map[string]string{"GENRE": `"a", "b`},
			`filterValues value for GENRE must be a comma-separated list of double-quoted values, such as "\"comedy\",\"drama\"": invalid symbol "b at position 6. The value is not closed with a double quote.`},
		{"comparison needs a number", `INCLUDE ItemID WHERE Items.PRICE < $PRICE`, map[string]string{"PRICE": `"cheap"`},
			`filterValues value for PRICE must be one number, such as "20", for the condition Items.PRICE < $PRICE.`},
		{"comparison needs one number", `INCLUDE ItemID WHERE Items.GENRE IN ("a") IF CurrentUser.AGE >= $AGE`, map[string]string{"AGE": `"18", "21"`},
			`filterValues value for AGE must be one number, such as "20", for the condition CurrentUser.AGE >= $AGE.`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse(tc.expression, testSchemas())
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.Bind(tc.values)
			var perr *perch.Error
			if !errors.As(err, &perr) || perr.Code != perch.EInvalidInput || perr.Message != tc.message {
				t.Errorf("Bind(%q)\n got %v\nwant %s: %s", tc.values, err, perch.EInvalidInput, tc.message)
			}
		})
	}
}

func TestParseFilterValue(t *testing.T) {
	for raw, want := range map[string][]string{
		`"comedy","drama"`:         {"comedy", "drama"},
		` "a" , "b,c" `:            {"a", "b,c"},
		`12.5, "7", -3`:            {"12.5", "7", "-3"},
		`"say \"hi\"", "a\\b"`:     {`say "hi"`, `a\b`},
		`"*"`:                      {"*"},
		`""`:                       {""},
		`"comedy|drama", "horror"`: {"comedy|drama", "horror"},
	} {
		list, err := parseFilterValue("K", raw)
		if err != nil {
			t.Errorf("parseFilterValue(%s): %v", raw, err)
			continue
		}
		var got []string
		for _, l := range list {
			got = append(got, l.text)
		}
		if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
			t.Errorf("parseFilterValue(%s) = %q, want %q", raw, got, want)
		}
	}
}
