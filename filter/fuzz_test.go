package filter

import "testing"

// FuzzParse checks that Parse never panics and that a parsed filter's
// canonical form reads back to itself.
func FuzzParse(f *testing.F) {
	for _, tc := range validExamples {
		f.Add(tc.expression)
	}
	for _, tc := range invalidExamples {
		f.Add(tc.expression)
	}
	schemas := testSchemas()
	f.Fuzz(func(t *testing.T, expression string) {
		filter, err := Parse(expression, schemas)
		if err != nil {
			return
		}
		canonical := filter.String()
		again, err := parse(canonical, schemas) // the canonical form may be longer than the limit
		if err != nil {
			t.Fatalf("canonical form of %q does not parse: %q: %v", expression, canonical, err)
		}
		if again.String() != canonical {
			t.Fatalf("canonical form of %q is not stable:\n%q\n%q", expression, canonical, again.String())
		}
		// Binding and matching with no facts must not panic either.
		if b, err := filter.Bind(map[string]string{}); err == nil {
			m := b.Prepare(Facts{CurrentUser: "u", CurrentItem: "i"})
			m.Keep("x")
		}
	})
}
