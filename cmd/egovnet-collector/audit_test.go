package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/internal/testenv"
	"github.com/egovnet/egovnet/internal/wire"
)

func rulesTestdata(parts ...string) string {
	return filepath.Join(append([]string{testenv.RepoRoot(), "collector", "rules", "testdata"}, parts...)...)
}

func runAudit(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newAuditCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	return out.String(), err
}

func TestAuditJSON(t *testing.T) {
	reports := []string{rulesTestdata("reports", "czj.json"), rulesTestdata("reports", "rsj.json"), rulesTestdata("reports", "jyj.json")}
	out, err := runAudit(t, "--plan", rulesTestdata("district.yaml"), "--report", strings.Join(reports, ","), "--format", "json")
	if err != nil {
		t.Fatalf("audit: %v\n%s", err, out)
	}
	var vs []wire.Violation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("output is not a violation list: %v\n%s", err, out)
	}
	got := map[string]int{}
	for _, v := range vs {
		got[v.Department]++
		if len(v.Citations) == 0 || len(v.Evidence) == 0 {
			t.Errorf("%s %s: citations and evidence required", v.Rule, v.Subject)
		}
	}
	// jyj.json has no agent.department: it belongs to JYJ by its scope.
	if got["CZJ"] != 0 || got["RSJ"] == 0 || got["JYJ"] == 0 {
		t.Errorf("violations per department = %v; want none for the clean CZJ and some for RSJ and JYJ", got)
	}
}

func TestAuditTableAndCSV(t *testing.T) {
	for _, f := range []string{"table", "csv"} {
		out, err := runAudit(t, "--plan", rulesTestdata("district.yaml"), "--report", rulesTestdata("reports", "rsj.json"), "--format", f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !strings.Contains(out, "203.0.113.65") {
			t.Errorf("%s output lacks the exit:\n%s", f, out)
		}
	}
}

func TestAuditBadInputIsUsageError(t *testing.T) {
	dir := t.TempDir()
	badPlan := filepath.Join(dir, "plan.yaml")
	os.WriteFile(badPlan, []byte("district: {code: \"1\"}\npacks: [nope]\nextranet: {prefixes: [\"10.0.0.0/8\"]}\ndepartments: [{code: A, name: a, prefixes: [\"10.1.0.0/24\"]}]\n"), 0o644)
	badReport := filepath.Join(dir, "bad.json")
	os.WriteFile(badReport, []byte(`{"schema":"egovnet.scan/v1","report_id":"x"}`), 0o644)
	orphan := filepath.Join(dir, "orphan.json")
	data, _ := os.ReadFile(rulesTestdata("reports", "jyj.json"))
	os.WriteFile(orphan, bytes.Replace(data, []byte(`"10.6.0.0/23"`), []byte(`"10.77.0.0/24"`), 1), 0o644)
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"missing flags", nil, []string{"--plan is required", "--report is required"}},
		{"bad format", []string{"--plan", "p", "--report", "r", "--format", "xml"}, []string{`--format "xml"`}},
		{"bad plan and report", []string{"--plan", badPlan, "--report", badReport + "," + filepath.Join(dir, "missing.json")},
			[]string{"plan.yaml:2: packs[0]: unknown policy pack", "bad.json", "missing.json"}},
		{"report of no department", []string{"--plan", rulesTestdata("district.yaml"), "--report", orphan}, []string{"no plan department contains its scope"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runAudit(t, tc.args...)
			var ue usageError
			if !errors.As(err, &ue) {
				t.Fatalf("error %v is not a usage error (exit 2)", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
		})
	}
}
