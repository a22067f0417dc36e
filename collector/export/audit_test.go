package export

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/collector/rules"
	"github.com/egovnet/egovnet/internal/plan"
	"github.com/egovnet/egovnet/internal/wire"
)

// districtViolations judges the rules package's hand-made district (the
// same input as its district.golden.json).
func districtViolations(t *testing.T) []wire.Violation {
	t.Helper()
	dir := filepath.Join("..", "rules", "testdata")
	p, err := plan.Load(filepath.Join(dir, "district.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := rules.NewEngine(p)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "reports", "*.json"))
	sort.Strings(files)
	var reps []*wire.ScanReport
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var r wire.ScanReport
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		reps = append(reps, &r)
	}
	vs, err := e.EvaluateReports(context.Background(), reps)
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

// TestAuditGolden: the offline audit's three outputs. The table and CSV
// are the auditor's view (zh-CN names and reasons from the terms package);
// the JSON is byte for byte the rules package's golden violation list.
func TestAuditGolden(t *testing.T) {
	vs := districtViolations(t)
	for _, tc := range []struct{ format, golden string }{
		{AuditTable, "audit.golden.txt"},
		{AuditCSV, "audit.golden.csv"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteAudit(&b, tc.format, vs); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.golden, b.Bytes())
			for _, en := range []string{"default or public route whose next hop", "server inside the department's prefixes"} {
				if strings.Contains(b.String(), en) {
					t.Errorf("zh output shows the English reason %q", en)
				}
			}
		})
	}
	var b bytes.Buffer
	if err := WriteAudit(&b, AuditJSON, vs); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("..", "rules", "testdata", "district.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Error("audit JSON differs from the rules' district.golden.json")
	}
}

func TestAuditEdges(t *testing.T) {
	var b bytes.Buffer
	if err := WriteAudit(&b, AuditJSON, nil); err != nil || b.String() != "[]\n" {
		t.Errorf("no violations as json: %q %v", b.String(), err)
	}
	b.Reset()
	if err := WriteAudit(&b, AuditTable, nil); err != nil || !strings.Contains(b.String(), "未发现违规") {
		t.Errorf("no violations as table: %q %v", b.String(), err)
	}
	if err := WriteAudit(&b, "xml", nil); err == nil {
		t.Error("unknown format accepted")
	}
	b.Reset()
	v := wire.Violation{ID: "v-1", Department: "A", Rule: wire.RuleLocalServer, Subject: "=HYPERLINK(\"x\")", Severity: "medium", Status: "open"}
	if err := WriteAudit(&b, AuditCSV, []wire.Violation{v}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), ",=HYPERLINK") {
		t.Errorf("a formula reaches the CSV unquoted: %s", b.String())
	}
}
