package lab

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/egovnet/egovnet/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite generated files (district-large scenario and plan)")

// TestLargeGolden keeps deploy/lab/scenarios/district-large*.yaml equal to
// what GenerateLarge renders, and the rendered scenario valid.
func TestLargeGolden(t *testing.T) {
	scenario, plan := GenerateLarge()
	dir := filepath.Join(testenv.RepoRoot(), "deploy", "lab", "scenarios")
	files := []struct{ name, want string }{
		{"district-large.yaml", scenario},
		{"district-large.plan.yaml", plan},
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			path := filepath.Join(dir, f.name)
			if *update {
				if err := os.WriteFile(path, []byte(f.want), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read %s (run with -update to create it): %v", path, err)
			}
			if string(got) != f.want {
				t.Errorf("%s differs from GenerateLarge(); run go test ./internal/lab -run TestLargeGolden -update", path)
			}
		})
	}
	sc, err := Parse([]byte(scenario))
	if err != nil {
		t.Fatalf("generated scenario invalid: %v", err)
	}
	if got := len(largeDepartments); got < 40 {
		t.Errorf("district-large has %d departments, want 40+", got)
	}
	agents, hosts := 0, 0
	for _, n := range sc.Nodes {
		if n.Kind == KindAgent {
			agents++
		}
		if len(n.AnyIP) > 0 {
			hosts += LargeHostsPerDepartment
		}
	}
	if agents != len(largeDepartments) || hosts < 2000 {
		t.Errorf("agents %d hosts %d: want one agent per department and thousands of hosts", agents, hosts)
	}
	p, err := LoadPlan(filepath.Join(dir, "district-large.plan.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Departments) != len(largeDepartments) {
		t.Errorf("plan has %d departments, want %d", len(p.Departments), len(largeDepartments))
	}
}
