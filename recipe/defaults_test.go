package recipe

import (
	"slices"
	"strconv"
	"testing"
)

// Every default range holds the recipe's default, and the recipe trains
// at both ends of it: a search drawing from it never fails on a value.
func TestRangesHoldTheDefaultsAndTrain(t *testing.T) {
	d := Synthetic(DefaultSynthetic(80, 60, 1200, 3)).Data
	for _, name := range Names() {
		defaults := Defaults(name)
		for _, r := range Ranges(name) {
			var ends []string
			switch r.Kind {
			case IntegerRange:
				ends = []string{strconv.Itoa(int(r.Min)), strconv.Itoa(int(r.Max))}
			case ContinuousRange:
				ends = []string{strconv.FormatFloat(r.Min, 'g', -1, 64), strconv.FormatFloat(r.Max, 'g', -1, 64)}
			case CategoricalRange:
				ends = r.Values
			}
			if v, ok := defaults[r.Name]; ok {
				f, err := strconv.ParseFloat(v, 64)
				inRange := r.Kind == CategoricalRange && slices.Contains(r.Values, v) || err == nil && f >= r.Min && f <= r.Max
				if !inRange {
					t.Errorf("%s: default %s=%s outside its range %+v", name, r.Name, v, r)
				}
			}
			for _, v := range ends {
				if _, err := Train(name, d, Params{Hyper: map[string]string{r.Name: v}, Seed: 1}); err != nil {
					t.Errorf("%s with %s=%s, an end of its range: %v", name, r.Name, v, err)
				}
			}
		}
	}
}
