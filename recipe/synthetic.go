package recipe

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
)

// SyntheticConfig shapes Synthetic's data; DefaultSynthetic gives one
// with the defaults the package's tests and benchmarks measure with.
type SyntheticConfig struct {
	Users, Items int
	// Interactions is the number of interactions, Surge's included.
	Interactions int
	// Clusters is the number of taste clusters; item i is in cluster
	// i % Clusters. Clusters differ in size of audience: cluster c is
	// chosen in proportion to 1/sqrt(c+1).
	Clusters int
	Seed     uint64
	// Zipf is the exponent of item popularity within a cluster.
	Zipf float64
	// Noise is the share of interactions drawn from the whole catalogue
	// (by popularity) rather than from the user's tastes.
	Noise float64
	// TwoClusters is the share of users who like two clusters, not one.
	TwoClusters float64
	// Drift is the share of users whose tastes change halfway through
	// their history to other clusters.
	Drift float64
	// Cold is the share of items with no interactions at all (they still
	// have metadata).
	Cold float64
	// Days is the time the data spans, ending at End (ms).
	Days int
	End  int64
	// Surge is a number of interactions of one item (SurgeItem) in the
	// last two hours, on top of its usual ones; 0 for none.
	Surge int
	// MetadataNoise is the share of items whose GENRE token names another
	// cluster than theirs.
	MetadataNoise float64
}

// DefaultSynthetic is a configuration of the given size with the defaults.
func DefaultSynthetic(users, items, interactions int, seed uint64) SyntheticConfig {
	return SyntheticConfig{
		Users: users, Items: items, Interactions: interactions, Seed: seed,
		Clusters: 20, Zipf: 1.0, Noise: 0.1, TwoClusters: 0.5, Drift: 0.3,
		Cold: 0.02, Days: 60, End: 1717200000000, // 2024-06-01T00:00:00Z
		MetadataNoise: 0.1,
	}
}

// SyntheticData is generated training data and the structure planted in it.
type SyntheticData struct {
	*Data
	ItemCluster []int32
	// Tastes are each user's clusters at the end of their history (what
	// their newest interactions come from), Early before any drift.
	Tastes, Early [][]int32
	// Cold lists the items with no interactions.
	Cold []int32
	// SurgeItem is the item of Surge's interactions, -1 without them.
	SurgeItem int32
}

// Event types of synthetic interactions: clicks have no value, watches
// the share watched, purchases the price.
const (
	SyntheticClick    = "click"
	SyntheticWatch    = "watch"
	SyntheticPurchase = "purchase"
)

// Synthetic generates interactions of users with planted tastes: every
// user likes one or two clusters of items and takes most interactions
// from them, items' popularity within a cluster follows Zipf's law, some
// users' tastes drift to other clusters halfway, some interactions are
// noise from the whole catalogue, and items carry metadata tokens that
// mostly name their cluster. Same config, same data.
func Synthetic(c SyntheticConfig) *SyntheticData {
	if c.Users < 1 || c.Items < 1 || c.Clusters < 1 || c.Clusters > c.Items || c.Cold < 0 || c.Cold >= 1 {
		panic(fmt.Sprintf("recipe.Synthetic: %d users, %d items, %d clusters, %v cold", c.Users, c.Items, c.Clusters, c.Cold))
	}
	rng := rand.New(rand.NewPCG(c.Seed, 0xda942042e4dd58b5))
	s := &SyntheticData{Data: &Data{}, SurgeItem: -1}
	d := s.Data
	span := int64(max(c.Days, 1)) * 86400e3
	start := c.End - span

	for i := range c.Items {
		d.Items = append(d.Items, fmt.Sprintf("i%05d", i))
		s.ItemCluster = append(s.ItemCluster, int32(i%c.Clusters))
	}
	for u := range c.Users {
		d.Users = append(d.Users, fmt.Sprintf("u%05d", u))
	}
	cold := make([]bool, c.Items)
	for _, i := range rng.Perm(c.Items)[:int(c.Cold*float64(c.Items))] {
		cold[i] = true
		s.Cold = append(s.Cold, int32(i))
	}
	slices.Sort(s.Cold)

	// Each cluster's warm items in a random popularity order, with the
	// cumulative Zipf weights to draw from.
	members := make([][]int32, c.Clusters)
	cum := make([][]float64, c.Clusters)
	for _, i := range rng.Perm(c.Items) {
		if !cold[i] {
			cl := i % c.Clusters
			members[cl] = append(members[cl], int32(i))
		}
	}
	for cl, ms := range members {
		total := 0.0
		for r := range ms {
			total += math.Pow(float64(r+1), -c.Zipf)
			cum[cl] = append(cum[cl], total)
		}
	}
	clusterCum := make([]float64, c.Clusters)
	total := 0.0
	for cl := range c.Clusters {
		if len(members[cl]) > 0 {
			total += 1 / math.Sqrt(float64(cl+1))
		}
		clusterCum[cl] = total
	}
	draw := func(cs []float64) int {
		return min(sort.SearchFloat64s(cs, rng.Float64()*cs[len(cs)-1]), len(cs)-1)
	}
	drawCluster := func(not []int32) int32 {
		for range 100 {
			cl := int32(draw(clusterCum))
			if !slices.Contains(not, cl) {
				return cl
			}
		}
		return int32(draw(clusterCum))
	}
	drawItem := func(cl int32) int32 {
		for len(members[cl]) == 0 {
			cl = (cl + 1) % int32(c.Clusters)
		}
		return members[cl][draw(cum[cl])]
	}

	// Metadata: the cluster (sometimes wrong), a brand within it, a price
	// band that says nothing of taste.
	bands := []string{"low", "mid", "high"}
	price := make([]float32, c.Items)
	for i := range c.Items {
		genre := int(s.ItemCluster[i])
		if rng.Float64() < c.MetadataNoise {
			genre = rng.IntN(c.Clusters)
		}
		band := rng.IntN(3)
		price[i] = float32(math.Round((float64(band*30)+5+rng.Float64()*25)*100) / 100)
		d.ItemFeatures = append(d.ItemFeatures, []string{
			fmt.Sprintf("GENRE=g%02d", genre),
			fmt.Sprintf("BRAND=b%03d", genre*4+rng.IntN(4)),
			"PRICE=" + bands[band],
		})
		created := start - span + rng.Int64N(span)
		if cold[i] {
			created = c.End - rng.Int64N(7*86400e3)
		}
		d.ItemCreated = append(d.ItemCreated, created)
	}

	// How many interactions each user has: log-normal around the mean,
	// at least 2, adjusted to the total asked for.
	base := max(c.Interactions-c.Surge, 0)
	counts := make([]int, c.Users)
	mean := float64(base) / float64(c.Users)
	sum := 0
	const sigma = 0.8
	for u := range counts {
		counts[u] = max(2, int(math.Round(mean*math.Exp(sigma*rng.NormFloat64()-sigma*sigma/2))))
		sum += counts[u]
	}
	for sum != base {
		u := rng.IntN(c.Users)
		if sum < base {
			counts[u]++
			sum++
		} else if counts[u] > 2 {
			counts[u]--
			sum--
		} else if base < 2*c.Users {
			break
		}
	}

	d.Interactions = make([]Interaction, 0, sum+c.Surge)
	times := make([]int64, 0, 64)
	for u := range c.Users {
		early := []int32{drawCluster(nil)}
		if rng.Float64() < c.TwoClusters {
			early = append(early, drawCluster(early))
		}
		late := early
		if rng.Float64() < c.Drift {
			late = nil
			for range early {
				late = append(late, drawCluster(append(slices.Clone(early), late...)))
			}
		}
		s.Early = append(s.Early, early)
		s.Tastes = append(s.Tastes, late)

		n := counts[u]
		dur := int64(float64(span) * (0.05 + 0.95*rng.Float64()))
		from := start + rng.Int64N(span-dur+1)
		times = times[:0]
		for range n {
			times = append(times, from+rng.Int64N(dur))
		}
		slices.Sort(times)
		for k, t := range times {
			tastes := early
			if k >= n/2 {
				tastes = late
			}
			var it int32
			if rng.Float64() < c.Noise {
				it = drawItem(int32(draw(clusterCum)))
			} else {
				it = drawItem(tastes[rng.IntN(len(tastes))])
			}
			x := Interaction{User: int32(u), Item: it, Time: t, EventType: SyntheticClick, Value: float32(math.NaN())}
			switch r := rng.Float64(); {
			case r < 0.25:
				x.EventType, x.Value = SyntheticWatch, float32(math.Round(rng.Float64()*100)/100)
			case r < 0.35:
				x.EventType, x.Value = SyntheticPurchase, price[it]
			}
			d.Interactions = append(d.Interactions, x)
		}
	}

	if c.Surge > 0 {
		// A middling item of the first cluster with items, suddenly in
		// demand.
		for cl := range members {
			if ms := members[cl]; len(ms) > 0 {
				s.SurgeItem = ms[min(len(ms)-1, len(ms)/3)]
				break
			}
		}
		for range c.Surge {
			d.Interactions = append(d.Interactions, Interaction{
				User: int32(rng.IntN(c.Users)), Item: s.SurgeItem,
				Time: c.End - rng.Int64N(2*3600e3), EventType: SyntheticClick, Value: float32(math.NaN()),
			})
		}
	}
	return s
}
