// Command quality measures how well perch's recipes recommend, against
// the popularity baseline and, given its binary, Gorse: on one synthetic
// data set and AWS's holdout of it (recipe.Holdout), every recommender
// learns from the same training rows and is scored by the same code
// (recipe.Score) on the same held-out users. It prints a markdown table
// of the holdout metrics and training times.
//
//	go run ./bench/quality -users 50000 -items 20000 -interactions 1000000
//	go run ./bench/quality -gorse /tmp/gorse-in-one   # also Gorse, on loopback
//	go run ./bench/quality -sweep 'hidden_dimension=32,128;regularization=2,12'
//
// bench/quality.sh builds Gorse and runs this.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"time"

	"github.com/perchdev/perch/recipe"
)

// config is one benchmark run.
type config struct {
	users, items, interactions int
	seed                       uint64
	recipes                    []string
	// sweeps are extra runs of sweepRecipe, each with one hyperparameter
	// changed from perch's default.
	sweeps      []sweep
	sweepRecipe string
	gorse       gorseConfig
}

type sweep struct{ name, value string }

// row is one recommender's result.
type row struct {
	name    string
	metrics map[string]float64
	// train is what the recommender took to learn; for Gorse, its model
	// fit alone (ready holds the time from its data to its
	// recommendations).
	train, ready time.Duration
	note         string
}

func main() {
	var c config
	var recipes, sweeps string
	flag.IntVar(&c.users, "users", 50000, "users of the synthetic data")
	flag.IntVar(&c.items, "items", 20000, "items of the synthetic data")
	flag.IntVar(&c.interactions, "interactions", 1000000, "interactions of the synthetic data")
	flag.Uint64Var(&c.seed, "seed", 1, "seed of the data, the split and training")
	flag.StringVar(&recipes, "recipes", strings.Join([]string{recipe.UserPersonalizationV2, recipe.UserPersonalization, recipe.PopularityCount}, ","), "perch recipes to measure, comma-separated")
	flag.StringVar(&sweeps, "sweep", "", "extra runs of -sweep-recipe, one hyperparameter changed each: 'name=v1,v2;name=v3'")
	flag.StringVar(&c.sweepRecipe, "sweep-recipe", recipe.UserPersonalizationV2, "the recipe -sweep varies")
	flag.StringVar(&c.gorse.bin, "gorse", "", "gorse-in-one binary to measure too (none: perch only)")
	flag.StringVar(&c.gorse.dir, "gorse-dir", "", "Gorse's working directory (default: a new temporary one)")
	flag.IntVar(&c.gorse.jobs, "gorse-jobs", 2, "Gorse's master.n_jobs")
	flag.DurationVar(&c.gorse.timeout, "gorse-timeout", 90*time.Minute, "how long to wait for Gorse's recommendations")
	flag.Parse()
	c.recipes = splitList(recipes, ",")
	var err error
	if c.sweeps, err = parseSweeps(sweeps); err != nil {
		log.Fatal(err)
	}
	if _, err := run(c, os.Stdout, os.Stderr); err != nil {
		log.Fatal(err)
	}
}

func splitList(s, sep string) []string {
	var out []string
	for _, f := range strings.Split(s, sep) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func parseSweeps(s string) ([]sweep, error) {
	var out []sweep
	for _, part := range splitList(s, ";") {
		name, values, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("sweep %q: want name=v1,v2", part)
		}
		for _, v := range splitList(values, ",") {
			out = append(out, sweep{strings.TrimSpace(name), v})
		}
	}
	return out, nil
}

// run measures every recommender of c, printing progress to logw and the
// table to w.
func run(c config, w, logw io.Writer) ([]row, error) {
	logf := func(format string, args ...any) {
		fmt.Fprintf(logw, "%s "+format+"\n", append([]any{time.Now().UTC().Format("15:04:05")}, args...)...)
	}
	s := recipe.Synthetic(recipe.DefaultSynthetic(c.users, c.items, c.interactions, c.seed))
	p := recipe.Params{Seed: c.seed}
	train, users, err := recipe.Holdout(s.Data, p)
	if err != nil {
		return nil, err
	}
	logf("data: %d users, %d items, %d interactions; %d train, %d held-out users scored",
		len(s.Users), len(s.Items), len(s.Interactions), len(train.Interactions), len(users))

	var rows []row
	for _, r := range c.recipes {
		res, err := perchRow(r, r, train, users, len(s.Items), p)
		if err != nil {
			return nil, err
		}
		logf("%s: NDCG@10 %.4f, trained in %v", res.name, res.metrics[recipe.MetricNDCG10], res.train.Round(time.Millisecond))
		rows = append(rows, res)
	}
	for _, sw := range c.sweeps {
		q := p
		q.Hyper = map[string]string{sw.name: sw.value}
		res, err := perchRow(c.sweepRecipe+" "+sw.name+"="+sw.value, c.sweepRecipe, train, users, len(s.Items), q)
		if err != nil {
			return nil, err
		}
		logf("%s: NDCG@10 %.4f, trained in %v", res.name, res.metrics[recipe.MetricNDCG10], res.train.Round(time.Millisecond))
		rows = append(rows, res)
	}
	if c.gorse.bin != "" {
		res, err := gorseRow(c.gorse, s.Data, train, users, logf)
		if err != nil {
			return rows, fmt.Errorf("gorse: %w", err)
		}
		rows = append(rows, res)
	}
	printTable(w, rows)
	printRatios(w, rows)
	return rows, nil
}

// perchRow trains recipe r on train with p, timing the training alone,
// and scores the lists it gives the held-out users as Evaluate does.
func perchRow(name, r string, train *recipe.Data, users []recipe.HeldOut, nItems int, p recipe.Params) (row, error) {
	start := time.Now()
	m, err := recipe.Train(r, train, p)
	if err != nil {
		return row{}, fmt.Errorf("%s: %w", name, err)
	}
	took := time.Since(start)
	lists, err := recipe.HoldoutLists(m, users)
	if err != nil {
		return row{}, err
	}
	return row{name: "perch " + name, metrics: recipe.Score(lists, users, nItems), train: took, ready: took}, nil
}

func printTable(w io.Writer, rows []row) {
	fmt.Fprintln(w, "| recipe / peer | NDCG@10 | precision@10 | MRR@25 | coverage | training time |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---|")
	for _, r := range rows {
		m := r.metrics
		fmt.Fprintf(w, "| %s | %.4f | %.4f | %.4f | %.4f | %s |\n", r.name,
			m[recipe.MetricNDCG10], m[recipe.MetricPrec10], m[recipe.MetricMRR25], m[recipe.MetricCoverage], trainingTime(r))
	}
	for _, r := range rows {
		if r.note != "" {
			fmt.Fprintf(w, "\n%s: %s\n", r.name, r.note)
		}
	}
}

func trainingTime(r row) string {
	if r.ready != r.train {
		return fmt.Sprintf("%.1f s fit; %.1f s from data to recommendations", r.train.Seconds(), r.ready.Seconds())
	}
	return fmt.Sprintf("%.1f s", r.train.Seconds())
}

// printRatios compares each user-personalization row with the popularity
// baseline's NDCG@10 and Gorse's, and its training time with Gorse's.
func printRatios(w io.Writer, rows []row) {
	find := func(match func(name string) bool) *row {
		for i := range rows {
			if match(rows[i].name) {
				return &rows[i]
			}
		}
		return nil
	}
	named := func(name string) func(string) bool {
		return func(s string) bool { return s == "perch "+name }
	}
	pop := find(named(recipe.PopularityCount))
	gorse := find(func(s string) bool { return strings.HasPrefix(s, "gorse") })
	fmt.Fprintln(w)
	for _, name := range []string{recipe.UserPersonalizationV2, recipe.UserPersonalization} {
		up := find(named(name))
		if up == nil {
			continue
		}
		ndcg := up.metrics[recipe.MetricNDCG10]
		if pop != nil {
			fmt.Fprintf(w, "- %s NDCG@10 / popularity-count's: %.2f\n", name, ndcg/pop.metrics[recipe.MetricNDCG10])
		}
		if gorse != nil {
			fmt.Fprintf(w, "- %s NDCG@10 / Gorse's: %.2f\n", name, ndcg/gorse.metrics[recipe.MetricNDCG10])
			fmt.Fprintf(w, "- Gorse's fit time / %s training time: %.1f; Gorse's data-to-recommendations time / it: %.1f\n",
				name, gorse.train.Seconds()/up.train.Seconds(), gorse.ready.Seconds()/up.train.Seconds())
		}
	}
}
