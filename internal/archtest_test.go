// Dependency rules as tests: agent/ and collector/ never import each other,
// internal/ imports neither, and every package has a doc comment.
package internal_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/internal/testenv"
)

type pkg struct {
	ImportPath string
	Deps       []string
	Doc        string
	Name       string
	GoFiles    []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "./...")
	cmd.Dir = testenv.RepoRoot()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []pkg
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decode go list: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 5 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

func TestLayering(t *testing.T) {
	const mod = "github.com/egovnet/egovnet/"
	rules := []struct {
		name      string
		from      string
		forbidden []string
	}{
		{"agent never imports collector", mod + "agent", []string{mod + "collector"}},
		{"collector never imports agent", mod + "collector", []string{mod + "agent"}},
		{"internal imports neither", mod + "internal", []string{mod + "agent", mod + "collector"}},
	}
	pkgs := listPackages(t)
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			for _, p := range pkgs {
				if p.ImportPath != r.from && !strings.HasPrefix(p.ImportPath, r.from+"/") {
					continue
				}
				for _, d := range p.Deps {
					for _, f := range r.forbidden {
						if d == f || strings.HasPrefix(d, f+"/") {
							t.Errorf("%s imports %s", p.ImportPath, d)
						}
					}
				}
			}
		})
	}
}

func TestPackageDocs(t *testing.T) {
	for _, p := range listPackages(t) {
		if p.Name == "main" || len(p.GoFiles) == 0 {
			continue
		}
		if strings.TrimSpace(p.Doc) == "" {
			t.Errorf("package %s has no doc comment", p.ImportPath)
		}
	}
}
