package recipe

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// hyper reads one parameter map (algorithmHyperParameters or
// featureTransformationParameters), reporting the first invalid value.
type hyper struct {
	m   map[string]string
	err error
}

func (h *hyper) fail(name, value, want string) {
	if h.err == nil {
		h.err = &ParamError{Name: name, Value: value, Want: want}
	}
}

func (h *hyper) integer(name string, def, min, max int) int {
	s, ok := h.m[name]
	if !ok {
		return def
	}
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || v < min || v > max {
		h.fail(name, s, fmt.Sprintf("an integer in [%d, %d]", min, max))
		return def
	}
	return v
}

func (h *hyper) float(name string, def, min, max float64) float64 {
	s, ok := h.m[name]
	if !ok {
		return def
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || v < min || v > max {
		h.fail(name, s, fmt.Sprintf("a number in [%g, %g]", min, max))
		return def
	}
	return v
}

// boolean accepts what AWS's examples write: "true", "True", "false", "False".
func (h *hyper) boolean(name string, def bool) bool {
	s, ok := h.m[name]
	if !ok {
		return def
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true
	case "false":
		return false
	}
	h.fail(name, s, "true or false")
	return def
}

func (h *hyper) choice(name, def string, choices ...string) string {
	s, ok := h.m[name]
	if !ok {
		return def
	}
	for _, c := range choices {
		if strings.EqualFold(strings.TrimSpace(s), c) {
			return c
		}
	}
	h.fail(name, s, "one of "+strings.Join(choices, ", "))
	return def
}

// historyPercentiles drops users whose history is shorter or longer than
// the given percentiles of history lengths (AWS's featurization
// min_/max_user_history_length_percentile), which keeps bots and one-off
// visitors from dominating co-occurrence and factors.
func historyPercentiles(ks []kept, nUsers int, lo, hi float64) []kept {
	if lo <= 0 && hi >= 1 {
		return ks
	}
	count := make([]int32, nUsers)
	for _, k := range ks {
		count[k.user]++
	}
	var lens []int32
	for _, c := range count {
		if c > 0 {
			lens = append(lens, c)
		}
	}
	if len(lens) == 0 {
		return ks
	}
	slices.Sort(lens)
	at := func(q float64) int32 {
		i := int(math.Ceil(q*float64(len(lens)))) - 1
		return lens[max(0, min(len(lens)-1, i))]
	}
	minLen, maxLen := int32(0), int32(math.MaxInt32)
	if lo > 0 {
		minLen = at(lo)
	}
	if hi < 1 {
		maxLen = at(hi)
	}
	out := ks[:0:0]
	for _, k := range ks {
		if c := count[k.user]; c >= minLen && c <= maxLen {
			out = append(out, k)
		}
	}
	return out
}
