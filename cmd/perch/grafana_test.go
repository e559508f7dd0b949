package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// dashboardFile is the Grafana dashboard the docs offer.
var dashboardFile = filepath.Join("..", "..", "docs", "grafana", "perch.json")

// dashboard is what the tests read of a Grafana dashboard.
type dashboard struct {
	Title      string `json:"title"`
	UID        string `json:"uid"`
	Templating struct {
		List []struct {
			Name string `json:"name"`
		} `json:"list"`
	} `json:"templating"`
	Panels []struct {
		ID         int    `json:"id"`
		Type       string `json:"type"`
		Title      string `json:"title"`
		Datasource *struct {
			UID string `json:"uid"`
		} `json:"datasource"`
		GridPos struct{ H, W, X, Y int } `json:"gridPos"`
		Targets []struct {
			RefID string `json:"refId"`
			Expr  string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	raw, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return d
}

// TestGrafanaDashboardShape: the dashboard parses, every panel has an id
// of its own and a place on the 24-column grid that no other panel takes,
// and every query panel asks the dashboard's data source variable.
func TestGrafanaDashboardShape(t *testing.T) {
	d := readDashboard(t)
	if d.Title == "" || d.UID == "" {
		t.Errorf("dashboard title %q, uid %q", d.Title, d.UID)
	}
	variables := map[string]bool{}
	for _, v := range d.Templating.List {
		variables[v.Name] = true
	}
	if !variables["datasource"] || !variables["instance"] {
		t.Errorf("template variables %v, want datasource and instance", variables)
	}
	ids := map[int]bool{}
	taken := map[[2]int]string{}
	queries := 0
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d twice", p.ID)
		}
		ids[p.ID] = true
		g := p.GridPos
		if g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 || g.Y < 0 {
			t.Errorf("panel %q off the grid: %+v", p.Title, g)
		}
		for x := g.X; x < g.X+g.W; x++ {
			for y := g.Y; y < g.Y+g.H; y++ {
				if other, ok := taken[[2]int{x, y}]; ok {
					t.Fatalf("panels %q and %q overlap at %d,%d", other, p.Title, x, y)
				}
				taken[[2]int{x, y}] = p.Title
			}
		}
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" || len(p.Targets) == 0 {
			t.Errorf("panel %q: datasource %+v, %d queries", p.Title, p.Datasource, len(p.Targets))
		}
		for _, q := range p.Targets {
			if q.RefID == "" || !strings.Contains(q.Expr, `instance=~"$instance"`) {
				t.Errorf("panel %q: query %q (refId %q) does not select $instance", p.Title, q.Expr, q.RefID)
			}
			queries++
		}
	}
	if queries < 20 {
		t.Errorf("%d queries in the dashboard", queries)
	}
}

// metricName finds the metric names a PromQL query reads.
var metricName = regexp.MustCompile(`\b(?:perch|process|go)_[a-zA-Z0-9_]+`)

// checkDashboardMetrics fails t for every metric the dashboard queries
// that families, a real scrape, does not have: a histogram's _bucket,
// _sum and _count series are its family's.
func checkDashboardMetrics(t *testing.T, families map[string]*dto.MetricFamily) {
	t.Helper()
	d := readDashboard(t)
	seen := 0
	for _, p := range d.Panels {
		for _, q := range p.Targets {
			for _, name := range metricName.FindAllString(q.Expr, -1) {
				seen++
				if families[name] != nil {
					continue
				}
				base := name
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					base = strings.TrimSuffix(base, suffix)
				}
				if f := families[base]; f != nil && (f.GetType() == dto.MetricType_HISTOGRAM || f.GetType() == dto.MetricType_SUMMARY) {
					continue
				}
				t.Errorf("panel %q queries %s, which perch serve --metrics does not export", p.Title, name)
			}
		}
	}
	if seen == 0 {
		t.Error("no metric found in the dashboard's queries")
	}
}
