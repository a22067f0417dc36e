package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/internal/cliexit"
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
		switch v.Rule {
		case wire.RuleUnlicensedSoftware, wire.RuleLicenseOverDeployment, wire.RuleUnfiledSoftware:
			continue // the host OS of every report is software without a licences file
		}
		got[v.Department]++
		if len(v.Citations) == 0 || len(v.Evidence) == 0 {
			t.Errorf("%s %s: citations and evidence required", v.Rule, v.Subject)
		}
	}
	// jyj.json has no agent.department: it belongs to JYJ by its scope.
	if got["CZJ"] != 0 || got["RSJ"] != 5 || got["JYJ"] != 4 {
		t.Errorf("network violations per department = %v; want none for the clean CZJ, 5 for RSJ, 4 for JYJ", got)
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
			if !cliexit.IsUsage(err) {
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

// TestAuditSoftwareRules: the offline audit runs the software ledger's
// detector; without a licences file a commercial install is unlicensed.
func TestAuditSoftwareRules(t *testing.T) {
	data, err := os.ReadFile(rulesTestdata("reports", "czj.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	json.Unmarshal(data, &r)
	r["host"].(map[string]any)["software"] = []map[string]any{
		{"name": "Microsoft Office Professional Plus 2016", "version": "16.0.4266.1001", "vendor": "Microsoft Corporation", "source": "registry"}}
	f := filepath.Join(t.TempDir(), "czj-office.json")
	b, _ := json.Marshal(r)
	os.WriteFile(f, b, 0o644)
	out, err := runAudit(t, "--plan", rulesTestdata("district.yaml"), "--report", f, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []wire.Violation
	json.Unmarshal([]byte(out), &vs)
	found := false
	for _, v := range vs {
		if v.Rule == wire.RuleUnlicensedSoftware && v.Department == "CZJ" {
			found = len(v.Citations) > 0 && v.Citations[0].Article == "第三十三条"
		}
	}
	if !found {
		t.Errorf("no cited unlicensed-software finding for an unlicensed Office install:\n%s", out)
	}
}

// TestAuditBinaryExitCodes runs the real binary as users and the
// acceptance checks do: 0 with findings, 2 with every bad input named.
func TestAuditBinaryExitCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(testenv.BuildBinaries(t, "egovnet-collector"), "egovnet-collector")
	run := func(args ...string) (int, string, string) {
		stdout, stderr, code := testenv.Run(t, exec.Command(bin, args...))
		return code, stdout, stderr
	}
	code, out, stderr := run("audit", "--plan", rulesTestdata("district.yaml"), "--report", rulesTestdata("reports", "rsj.json"), "--format", "json")
	if code != 0 || !strings.Contains(out, `"rule": "internet-egress"`) {
		t.Errorf("findings: exit %d\n%s\n%s", code, out, stderr)
	}
	code, _, stderr = run("audit", "--plan", rulesTestdata("reports", "rsj.json"), "--report", "/nonexistent.json")
	if code != 2 || !strings.Contains(stderr, "invalid plan") || !strings.Contains(stderr, "/nonexistent.json") {
		t.Errorf("bad input: exit %d, want 2\n%s", code, stderr)
	}
	if code, out, _ := run("audit", "--help"); code != 0 || !strings.Contains(out, "Exit status: 0 when the audit ran, even with findings") {
		t.Errorf("--help: exit %d\n%s", code, out)
	}
}

// TestAuditChineseOutput: the zh table and CSV use the shared rule and
// status names and the evidence's zh-CN reasons.
func TestAuditChineseOutput(t *testing.T) {
	cases := []struct {
		format  string
		want    []string
		notWant []string
	}{
		{"table", []string{"自建互联网出口", "未整改", "默认路由或公网路由的下一跳不是经批准的政务外网上联"},
			[]string{"未处理", "default or public route whose next hop"}},
		{"csv", []string{"自建互联网出口", "status_zh", "evidence_zh", "未整改", "默认路由或公网路由的下一跳不是经批准的政务外网上联"},
			[]string{"未处理"}},
	}
	for _, tc := range cases {
		t.Run(tc.format, func(t *testing.T) {
			out, err := runAudit(t, "--plan", rulesTestdata("district.yaml"), "--report", rulesTestdata("reports", "rsj.json"), "--format", tc.format)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q", w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(out, w) {
					t.Errorf("output has %q", w)
				}
			}
		})
	}
}

// TestAuditNewInfrastructureBaseline: a single offline scan is the
// department's baseline (nothing is new) unless the plan declares
// departments[].baseline.
func TestAuditNewInfrastructureBaseline(t *testing.T) {
	src, err := os.ReadFile(rulesTestdata("district.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	base := strings.Replace(string(src), "packs: [yangpu-2021, shanghai-2012, shanghai-extranet-2020]", "packs: [yangpu-2021, jiangmen-2017, qiqihar-2018]", 1)
	cases := []struct {
		name string
		plan string
		want int // new-infrastructure findings for rsj.json
	}{
		{"no baseline: day one finds nothing new", base, 0},
		{"plan baseline before the scan", strings.Replace(base, `prefixes: ["10.3.0.0/24"]}`, `prefixes: ["10.3.0.0/24"], baseline: 2026-01-01}`, 1), 4},
		{"plan baseline on the scan day", strings.Replace(base, `prefixes: ["10.3.0.0/24"]}`, `prefixes: ["10.3.0.0/24"], baseline: 2026-11-20}`, 1), 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.plan == string(src) || (tc.want > 0 && !strings.Contains(tc.plan, "baseline:")) {
				t.Fatal("test plan not rewritten")
			}
			f := filepath.Join(t.TempDir(), "plan.yaml")
			if err := os.WriteFile(f, []byte(tc.plan), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := runAudit(t, "--plan", f, "--report", rulesTestdata("reports", "rsj.json"), "--format", "json")
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			var vs []wire.Violation
			if err := json.Unmarshal([]byte(out), &vs); err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, v := range vs {
				if v.Rule == wire.RuleNewInfrastructure {
					n++
				}
			}
			if n != tc.want {
				t.Errorf("%d new-infrastructure findings, want %d", n, tc.want)
			}
		})
	}
}

// TestAuditOutputIsDefused is issue #10 item 6: a text cell that starts
// like a formula (here an exemption basis) comes out of --format csv as
// text, as the HTTP exports already write it.
func TestAuditOutputIsDefused(t *testing.T) {
	plan, err := os.ReadFile(rulesTestdata("district.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	plan = append(plan, []byte(`  - {rule: internet-egress, department: RSJ, subject: "203.0.113.65", basis: '=HYPERLINK("http://evil.example/x","点此")', approver: "x", expires: 2099-06-30}`+"\n")...)
	dir := t.TempDir()
	pf := filepath.Join(dir, "district.yaml")
	if err := os.WriteFile(pf, plan, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runAudit(t, "--plan", pf, "--report", rulesTestdata("reports", "rsj.json"), "--format", "csv")
	if err != nil {
		t.Fatalf("csv: %v\n%s", err, out)
	}
	if !strings.Contains(out, "HYPERLINK") {
		t.Fatalf("the exemption basis is not in the output:\n%s", out)
	}
	if strings.Contains(out, ",=HYPERLINK") || strings.Contains(out, `,"=HYPERLINK`) {
		t.Fatalf("formula cell written unescaped:\n%s", out)
	}
	if !strings.Contains(out, `"'=HYPERLINK`) {
		t.Fatalf("formula cell not defused with an apostrophe:\n%s", out)
	}
}
