package compat_test

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
)

// report is the suite's table: client x operation x (happy, error).
var report = &suiteReport{}

type suiteReport struct {
	mu      sync.Mutex
	clients []*clientReport
}

// client returns the report of the client called name, one per client
// however many tests drive it.
func (r *suiteReport) client(name string) *clientReport {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.clients {
		if c.name == name {
			return c
		}
	}
	c := &clientReport{name: name, cells: map[cellKey]*cell{}}
	r.clients = append(r.clients, c)
	return c
}

type cellKey struct{ op, kase string }

type cell struct {
	passed int
	fails  []string
	lacks  string
}

type clientReport struct {
	name string

	mu      sync.Mutex
	version string
	cells   map[cellKey]*cell
	notes   []string
	// problems are failures outside any cell: the client did not run.
	problems []string
	// skipped says why the client was not run at all.
	skipped string
}

func (c *clientReport) cell(op, kase string) *cell {
	k := cellKey{op, kase}
	if c.cells[k] == nil {
		c.cells[k] = &cell{}
	}
	return c.cells[k]
}

func (c *clientReport) pass(op, kase string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cell(op, kase).passed++
}

func (c *clientReport) lacks(op, kase, why string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cell(op, kase).lacks = why
}

// fail records a failure of a cell, or of the client as a whole when
// kase is empty.
func (c *clientReport) fail(op, kase, format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	msg := fmt.Sprintf(format, args...)
	if kase == "" {
		c.problems = append(c.problems, op+": "+msg)
		return
	}
	cl := c.cell(op, kase)
	cl.fails = append(cl.fails, msg)
}

func (c *clientReport) setVersion(v string) {
	if v == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.version = v
}

func (c *clientReport) skip(why string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.skipped = why
}

func (c *clientReport) note(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	msg := fmt.Sprintf(format, args...)
	if !slices.Contains(c.notes, msg) {
		c.notes = append(c.notes, msg)
	}
}

// failures lists every failure of the client, for the test log.
func (c *clientReport) failures() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := slices.Clone(c.problems)
	for _, k := range c.sortedKeys() {
		for _, f := range c.cells[k].fails {
			out = append(out, fmt.Sprintf("%s %s %s: %s", c.name, k.op, k.kase, f))
		}
	}
	return out
}

// operationOrder is the order of the table's rows.
var operationOrder = []string{
	"CreateSchema", "CreateDatasetGroup", "DescribeDatasetGroup", "CreateDataset", "DescribeDataset",
	"ListDatasets", "CreateEventTracker", "PutEvents", "PutItems", "PutUsers", "PutActions",
	"PutActionInteractions", readbackRow,
	"CreateDatasetImportJob", "DescribeDatasetImportJob", "CreateSolution", "CreateSolutionVersion",
	"DescribeSolutionVersion", "GetSolutionMetrics", "CreateCampaign", "DescribeCampaign",
	"GetRecommendations", "GetPersonalizedRanking", "GetActionRecommendations", changedRow,
	"CreateFilter", "DescribeFilter", "ListFilters", "DeleteFilter", "TagResource", "ListTagsForResource", "UntagResource",
	"CreateMetricAttribution", "DescribeMetricAttribution", "UpdateMetricAttribution", "ListMetricAttributionMetrics",
	"ListMetricAttributions", "DeleteMetricAttribution", "DescribeAlgorithm", "DescribeFeatureTransformation",
	"CreateRecommender", "ListRecommenders", "DescribeRecommender", "UpdateRecommender", "StopRecommender",
	"StartRecommender", "DeleteRecommender",
}

func (c *clientReport) sortedKeys() []cellKey {
	var keys []cellKey
	for k := range c.cells {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b cellKey) int {
		if d := slices.Index(operationOrder, a.op) - slices.Index(operationOrder, b.op); d != 0 {
			return d
		}
		return strings.Compare(a.kase, b.kase)
	})
	return keys
}

func (c *cell) String() string {
	switch {
	case c == nil:
		return "-"
	case len(c.fails) > 0:
		return fmt.Sprintf("FAIL (%d of %d)", len(c.fails), len(c.fails)+c.passed)
	case c.lacks != "":
		return "n/a (lacks it)"
	}
	return fmt.Sprintf("pass (%d)", c.passed)
}

// write prints the table, then each client's notes and failures.
func (r *suiteReport) write(w io.Writer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.clients) == 0 {
		return
	}
	fmt.Fprintln(w, "perch client compatibility: client x operation x (happy path, error path)")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CLIENT\tVERSION\tOPERATION\tHAPPY\tERROR")
	cells, passed, lacking := 0, 0, 0
	for _, c := range r.clients {
		c.mu.Lock()
		version := c.version
		if version == "" {
			version = "?"
		}
		if len(c.problems) > 0 {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.name, version, "(client)", "FAIL", "FAIL")
		}
		if c.skipped != "" {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.name, version, "(not run)", "skipped", "skipped")
		}
		ops := map[string]bool{}
		for k := range c.cells {
			ops[k.op] = true
		}
		for _, op := range operationOrder {
			if !ops[op] {
				continue
			}
			happy, bad := c.cells[cellKey{op, "happy"}], c.cells[cellKey{op, "error"}]
			for _, cl := range []*cell{happy, bad} {
				switch {
				case cl == nil:
				case len(cl.fails) > 0:
					cells++
				case cl.lacks != "":
					lacking++
				default:
					cells++
					passed++
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.name, version, op, happy, bad)
		}
		c.mu.Unlock()
	}
	tw.Flush()
	for _, c := range r.clients {
		c.mu.Lock()
		var lines []string
		for _, k := range c.sortedKeys() {
			line := fmt.Sprintf("n/a %s: %s", k.op, c.cells[k].lacks)
			if c.cells[k].lacks != "" && !slices.Contains(lines, line) {
				lines = append(lines, line)
			}
		}
		if c.skipped != "" {
			lines = append(lines, "skipped: "+c.skipped)
		}
		for _, n := range c.notes {
			lines = append(lines, "note: "+n)
		}
		for _, p := range c.problems {
			lines = append(lines, "FAIL "+p)
		}
		for _, k := range c.sortedKeys() {
			for _, f := range c.cells[k].fails {
				lines = append(lines, fmt.Sprintf("FAIL %s %s: %s", k.op, k.kase, f))
			}
		}
		c.mu.Unlock()
		if len(lines) > 0 {
			fmt.Fprintf(w, "\n%s:\n", c.name)
			for _, l := range lines {
				fmt.Fprintf(w, "  %s\n", l)
			}
		}
	}
	fmt.Fprintf(w, "\n%d cells n/a: operations a client does not have (see above)\n", lacking)
	fmt.Fprintf(w, "compat: %d passed, %d failed\n", passed, cells-passed)
}
