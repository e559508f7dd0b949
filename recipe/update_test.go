package recipe

import (
	"bytes"
	"cmp"
	"errors"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
)

// heldBack picks, in each cluster, the items whose number of distinct
// users ranks from..to-1 there (0 the most used): items with enough
// users to be learnt, that a full training made before they existed
// would not know.
func heldBack(s *SyntheticData, from, to int) map[int32]bool {
	users := distinctUsers(filter(s.Data, &eventRule{threshold: math.NaN()}), len(s.Items))
	byCluster := map[int32][]int32{}
	for i := range s.Items {
		cl := s.ItemCluster[i]
		byCluster[cl] = append(byCluster[cl], int32(i))
	}
	out := map[int32]bool{}
	for _, its := range byCluster {
		slices.SortFunc(its, func(a, b int32) int {
			if c := cmp.Compare(users[b], users[a]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		for _, it := range its[from:min(to, len(its))] {
			out[it] = true
		}
	}
	return out
}

// without is d with the items drop names gone, from the item list as from
// the interactions: the data as it stood before those items existed.
func without(d *Data, drop map[int32]bool) *Data {
	out := &Data{Users: d.Users}
	at := make([]int32, len(d.Items))
	for i, id := range d.Items {
		at[i] = -1
		if !drop[int32(i)] {
			at[i] = int32(len(out.Items))
			out.Items = append(out.Items, id)
			out.ItemFeatures = append(out.ItemFeatures, d.ItemFeatures[i])
			out.ItemCreated = append(out.ItemCreated, d.ItemCreated[i])
		}
	}
	for _, x := range d.Interactions {
		if at[x.Item] >= 0 {
			x.Item = at[x.Item]
			out.Interactions = append(out.Interactions, x)
		}
	}
	return out
}

// beforeNewItems is a full training on the planted data without three
// items of each cluster, its update with the whole data, and those items.
var beforeNewItems = sync.OnceValues(func() (*updated, error) {
	s := planted()
	fresh := heldBack(s, 3, 6)
	before := without(s.Data, fresh)
	base, err := Train(UserPersonalization, before, Params{Seed: 1})
	if err != nil {
		return nil, err
	}
	u, err := Update(base, s.Data, Params{Seed: 2})
	if err != nil {
		return nil, err
	}
	return &updated{base.(*Personalized), u.(*Personalized), fresh, before}, nil
})

type updated struct {
	base, model *Personalized
	fresh       map[int32]bool
	before      *Data
}

// The users' factors the new items are solved against are those serving
// would fold in for the same histories, to the bit.
func TestUpdateFoldsUsersInAsServingDoes(t *testing.T) {
	u, err := beforeNewItems()
	if err != nil {
		t.Fatal(err)
	}
	m := u.base
	x := m.foldInUsers(filter(u.before, &m.rule), len(u.before.Users))
	for user := int32(0); user < int32(len(u.before.Users)); user += 7 {
		want, ok := m.foldIn(m.history(historyOf(u.before, user)))
		if !ok {
			t.Fatalf("user %d: no fold-in", user)
		}
		got := x[int(user)*m.k : int(user+1)*m.k]
		if !slices.EqualFunc(got, want, func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }) {
			t.Fatalf("user %d: the update's factors differ from serving's fold-in:\n%v\n%v", user, got, want)
		}
	}
}

func TestUpdateKeepsTheBaseFactors(t *testing.T) {
	u, err := beforeNewItems()
	if err != nil {
		t.Fatal(err)
	}
	s := planted()
	if u.model.Recipe() != UserPersonalization || u.model.Factors() != u.base.Factors() {
		t.Fatalf("updated model: %s with %d factors, base %s with %d", u.model.Recipe(), u.model.Factors(), u.base.Recipe(), u.base.Factors())
	}
	if got, want := len(u.model.Items()), len(u.base.Items())+len(u.fresh); got != want {
		t.Fatalf("%d items after the update, want %d", got, want)
	}
	k := u.base.k
	for i, id := range u.base.items {
		j, ok := u.model.index[id]
		if !ok {
			t.Fatalf("item %s of the base is gone", id)
		}
		a, b := u.base.y[i*k:(i+1)*k], u.model.y[int(j)*k:int(j+1)*k]
		if !slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) }) {
			t.Fatalf("item %s: factors changed by the update", id)
		}
	}
	for it := range u.fresh {
		j, ok := u.model.index[s.Items[it]]
		if !ok {
			t.Fatalf("new item %s unknown to the updated model", s.Items[it])
		}
		if n := norm2(u.model.y[int(j)*k : int(j+1)*k]); n == 0 {
			t.Errorf("new item %s has no factors", s.Items[it])
		}
	}
	// Popularity is counted again: the new items are among the popular.
	if u.model.users[u.model.index[s.Items[firstOf(u.fresh)]]] == 0 {
		t.Error("a new item has no users in the updated model's counts")
	}
}

func norm2(v []float32) float64 {
	sum := 0.0
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	return math.Sqrt(sum)
}

func firstOf(m map[int32]bool) int32 { return slices.Sorted(maps.Keys(m))[0] }

// The point of the update: the new items reach the users of their
// cluster, about as often as a full training on the same data has them
// do, and rarely anyone else.
func TestUpdateRecommendsNewItemsToTheirCluster(t *testing.T) {
	u, err := beforeNewItems()
	if err != nil {
		t.Fatal(err)
	}
	s := planted()
	full := model(t, UserPersonalization).(ForUser)
	var inCluster, shown, inClusterFull, shownFull, users int
	chance := 0.0
	for user := int32(0); user < int32(len(s.Users)); user += 3 {
		h := historyOf(s.Data, user)
		for _, x := range u.model.RecommendForUser(h, 25, nil) {
			it := itemIndex(s, x.Item)
			if !u.fresh[it] {
				continue
			}
			shown++
			if slices.Contains(s.Tastes[user], s.ItemCluster[it]) {
				inCluster++
			}
		}
		for _, x := range full.RecommendForUser(h, 25, nil) {
			if it := itemIndex(s, x.Item); u.fresh[it] {
				shownFull++
				if slices.Contains(s.Tastes[user], s.ItemCluster[it]) {
					inClusterFull++
				}
			}
		}
		chance += float64(len(s.Tastes[user])) / 20
		users++
	}
	chance /= float64(users)
	share := float64(inCluster) / float64(max(shown, 1))
	t.Logf("%d users: new items shown %d times after the update, %.2f of them to users of their cluster; by a full training %d times, %.2f (chance %.3f)",
		users, shown, share, shownFull, float64(inClusterFull)/float64(max(shownFull, 1)), chance)
	if share < 0.6 || share < 5*chance {
		t.Errorf("only %.2f of the new items shown went to users of their cluster (chance %.3f)", share, chance)
	}
	if 2*shown < shownFull {
		t.Errorf("new items shown %d times after the update, %d after a full training", shown, shownFull)
	}
}

func TestUpdateKeepsItemsTheDataNoLongerHas(t *testing.T) {
	u, err := beforeNewItems()
	if err != nil {
		t.Fatal(err)
	}
	s := planted()
	gone := map[int32]bool{0: true}
	d := without(s.Data, gone)
	m, err := Update(u.base, d, Params{})
	if err != nil {
		t.Fatal(err)
	}
	p := m.(*Personalized)
	j, ok := p.index[s.Items[0]]
	if !ok {
		t.Fatalf("item %s, absent from the data, left the model", s.Items[0])
	}
	k := p.k
	if !slices.Equal(p.y[int(j)*k:int(j+1)*k], u.base.y[int(u.base.index[s.Items[0]])*k:int(u.base.index[s.Items[0]]+1)*k]) {
		t.Errorf("item %s: factors changed", s.Items[0])
	}
	if p.users[j] != 0 || slices.Contains(p.popular, j) {
		t.Errorf("item %s, absent from the data, still counts %d users", s.Items[0], p.users[j])
	}
}

func TestUpdateIsRepeatableAndLoads(t *testing.T) {
	u, err := beforeNewItems()
	if err != nil {
		t.Fatal(err)
	}
	again, err := Update(u.base, planted().Data, Params{Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := u.model.MarshalBinary()
	b, _ := again.MarshalBinary()
	if !bytes.Equal(a, b) {
		t.Error("two updates of one model with the same data differ")
	}
	l, err := Load(a)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(l.Items(), u.model.Items()) {
		t.Error("the updated model loads with other items")
	}
}

func TestUpdateErrors(t *testing.T) {
	s := planted()
	_, err := Update(model(t, PopularityCount), s.Data, Params{})
	if err == nil || !strings.Contains(err.Error(), PopularityCount) {
		t.Errorf("updating a popularity-count model: %v, want an error naming the recipe", err)
	}
	if _, err := Update(nil, s.Data, Params{}); err == nil {
		t.Error("updating no model: no error")
	}
	base := model(t, UserPersonalization)
	_, err = Update(base, s.Data, Params{Features: map[string]string{"max_user_history_length_percentile": "2"}})
	var pe *ParamError
	if !errors.As(err, &pe) {
		t.Errorf("an invalid parameter: %v, want a *ParamError", err)
	}
	if _, err := Update(base, s.Data, Params{}); err != nil {
		t.Errorf("updating with the data it was trained on: %v", err)
	}
	d := &Data{Users: []string{"u"}, Items: []string{"a"}, Interactions: []Interaction{{User: 0, Item: 0, EventType: "x", Value: float32(math.NaN())}}}
	other := model(t, PersonalizedRanking)
	if _, err := Update(other, &Data{Users: d.Users, Items: d.Items}, Params{}); err != ErrNoInteractions {
		t.Errorf("no interactions: %v, want ErrNoInteractions", err)
	}
	d.Interactions[0].Item = 3
	if _, err := Update(other, d, Params{}); err == nil {
		t.Error("an interaction out of range: no error")
	}
}

// Update against a full training on the project's target data, 1M
// interactions, of which those of 400 items arrived after the full
// training.
func BenchmarkUpdate1M(b *testing.B) {
	s := large()
	fresh := heldBack(s, 10, 30)
	base, err := Train(UserPersonalization, without(s.Data, fresh), Params{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("train", func(b *testing.B) {
		for b.Loop() {
			if _, err := Train(UserPersonalization, s.Data, Params{Seed: 1}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("update", func(b *testing.B) {
		for b.Loop() {
			if _, err := Update(base, s.Data, Params{Seed: 1}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
