package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The server's binary carries only the server: the load generator's HTTP
// client and histograms belong to cmd/perch-bench, and fasthttp to the
// no-op baselines of bench/noop.
func TestServerLeavesTheBenchmarksOut(t *testing.T) {
	// Each line: a package the command builds, then the packages it imports.
	out, err := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}} {{join .Imports " "}}`, ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	within := func(pkg, module string) bool { return pkg == module || strings.HasPrefix(pkg, module+"/") }
	for _, unwanted := range []string{"github.com/valyala/fasthttp", "github.com/HdrHistogram/hdrhistogram-go"} {
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			pkg, imports, _ := strings.Cut(line, " ")
			if within(pkg, unwanted) {
				continue // the unwanted module's own packages name the way in no better
			}
			for _, imp := range strings.Fields(imports) {
				if within(imp, unwanted) {
					t.Errorf("cmd/perch depends on %s, which %s imports: the benchmarks' libraries belong to cmd/perch-bench and bench/noop, not to the server", unwanted, pkg)
				}
			}
		}
	}
}
