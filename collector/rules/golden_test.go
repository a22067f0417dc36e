package rules

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/internal/plan"
	"github.com/egovnet/egovnet/internal/wire"
)

var update = flag.Bool("update", false, "rewrite golden files")

func loadReports(t *testing.T, names ...string) []*wire.ScanReport {
	t.Helper()
	if len(names) == 0 {
		files, _ := filepath.Glob(filepath.Join("testdata", "reports", "*.json"))
		for _, f := range files {
			names = append(names, strings.TrimSuffix(filepath.Base(f), ".json"))
		}
		sort.Strings(names)
	}
	var out []*wire.ScanReport
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join("testdata", "reports", n+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var r wire.ScanReport
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		out = append(out, &r)
	}
	return out
}

func districtEngine(t *testing.T, opts ...Option) *Engine {
	t.Helper()
	p, err := plan.Load(filepath.Join("testdata", "district.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(p, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden %s (run go test -update): %v", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden; run go test ./collector/rules -run %s -update and review the diff\n--- got\n%s", name, t.Name(), got)
	}
}

// TestGoldenDistrict judges every hand-made department report of the
// district plan; the golden file is the auditor's view.
func TestGoldenDistrict(t *testing.T) {
	e := districtEngine(t)
	vs, err := e.EvaluateReports(context.Background(), loadReports(t))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "district.golden.json", violationsJSON(t, vs))
}

func districtPlan(t *testing.T) *plan.Plan {
	t.Helper()
	p, err := plan.Load(filepath.Join("testdata", "district.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestGoldenAllPacks judges the same reports with every shipped pack
// enabled: every citation path of every pack appears somewhere.
func TestGoldenAllPacks(t *testing.T) {
	p := districtPlan(t)
	p.Packs = plan.PackIDs
	e, err := NewEngine(p)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := e.EvaluateReports(context.Background(), loadReports(t))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "district-allpacks.golden.json", violationsJSON(t, vs))
}

// TestReportsAreValid: the hand-made reports pass the collector's own
// strict decoding, so the goldens judge what an agent could really send.
func TestReportsAreValid(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "reports", "*.json"))
	if len(files) < 7 {
		t.Fatalf("only %d reports", len(files))
	}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := wire.DecodeReport(fh, 64<<20); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		fh.Close()
	}
}

// TestCleanDepartmentHasNoFindings: the sanctioned path yields nothing.
func TestCleanDepartmentHasNoFindings(t *testing.T) {
	vs, err := districtEngine(t).EvaluateReports(context.Background(), loadReports(t, "czj"))
	if err != nil || len(vs) != 0 {
		t.Errorf("CZJ: %v %+v", err, vs)
	}
}

// violationsJSON is the audit's JSON output: an indented wire.Violation
// list, HTML left unescaped (export.WriteAudit writes the same bytes).
func violationsJSON(t *testing.T, vs []wire.Violation) []byte {
	t.Helper()
	if vs == nil {
		vs = []wire.Violation{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(vs); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
