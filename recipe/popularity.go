package recipe

import (
	"cmp"
	"slices"
)

// distinctUsers counts, per item, the distinct users that interacted with it.
func distinctUsers(ks []kept, nItems int) []int32 {
	pairs := make([]uint64, len(ks))
	for i, k := range ks {
		pairs[i] = uint64(k.item)<<32 | uint64(uint32(k.user))
	}
	slices.Sort(pairs)
	count := make([]int32, nItems)
	for i, p := range pairs {
		if i == 0 || p != pairs[i-1] {
			count[p>>32]++
		}
	}
	return count
}

// byCount orders the items with a positive count, most first; ties go by
// item id so that the order does not depend on how the data was indexed.
func byCount(count []int32, items []string) []int32 {
	var out []int32
	for i, c := range count {
		if c > 0 {
			out = append(out, int32(i))
		}
	}
	slices.SortFunc(out, func(a, b int32) int {
		if c := cmp.Compare(count[b], count[a]); c != 0 {
			return c
		}
		return cmp.Compare(items[a], items[b])
	})
	return out
}

// appendPicked appends to out, in order, the items of cands that keep
// accepts and that are neither skipped nor already in out, until out holds
// n items.
func appendPicked(out []Scored, n int, items []string, cands []int32, skip func(int32) bool, keep func(string) bool, popular bool) []Scored {
	for _, c := range cands {
		if len(out) >= n {
			break
		}
		if skip != nil && skip(c) {
			continue
		}
		id := items[c]
		if keep != nil && !keep(id) {
			continue
		}
		if slices.ContainsFunc(out, func(s Scored) bool { return s.Item == id }) {
			continue
		}
		out = append(out, Scored{Item: id, Popular: popular})
	}
	return out
}

// Popularity is aws-popularity-count's model: the items with the most
// distinct users, the same list for everyone, without scores.
type Popularity struct {
	items   []string
	popular []int32
	users   []int32 // distinct users of popular[i]
}

func trainPopularity(d *Data, rule eventRule) (*Popularity, error) {
	ks := filter(d, &rule)
	if len(ks) == 0 {
		return nil, ErrNoInteractions
	}
	count := distinctUsers(ks, len(d.Items))
	m := &Popularity{items: d.Items, popular: byCount(count, d.Items)}
	for _, i := range m.popular {
		m.users = append(m.users, count[i])
	}
	return m, nil
}

// Recipe implements Model.
func (m *Popularity) Recipe() string { return PopularityCount }

// Items implements Model.
func (m *Popularity) Items() []string { return m.items }

// RecommendForUser implements ForUser; history does not matter.
func (m *Popularity) RecommendForUser(_ []Event, n int, keep func(string) bool) []Scored {
	return appendPicked(nil, n, m.items, m.popular, nil, keep, false)
}

// DistinctUsers is the number of distinct users of each item the model
// ranks, in the model's order.
func (m *Popularity) DistinctUsers() map[string]int {
	out := make(map[string]int, len(m.popular))
	for i, it := range m.popular {
		out[m.items[it]] = int(m.users[i])
	}
	return out
}

// MarshalBinary implements Model.
func (m *Popularity) MarshalBinary() ([]byte, error) {
	e := newEncoder(PopularityCount)
	e.strs(m.items)
	e.i32s(m.popular)
	e.i32s(m.users)
	return e.b, nil
}

func decodePopularity(d *decoder) *Popularity {
	m := &Popularity{items: d.strs(), popular: d.i32s(), users: d.i32s()}
	d.indexes(m.popular, len(m.items))
	if len(m.users) != len(m.popular) {
		d.fail()
	}
	return m
}
