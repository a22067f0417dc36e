package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/lifecycle"
	"github.com/egovnet/egovnet/collector/progress"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/internal/cliexit"
	"github.com/egovnet/egovnet/internal/testenv"
	"github.com/egovnet/egovnet/internal/wire"
)

// exportFixture is a collector data dir with one violation and three days
// of progress, and a config file pointing at it.
func exportFixture(t *testing.T) (cfgFile, dir string) {
	t.Helper()
	dir = t.TempDir()
	cfgFile = filepath.Join(dir, "collector.yaml")
	if err := os.WriteFile(cfgFile, []byte("data_dir: "+filepath.Join(dir, "data")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite", filepath.Join(dir, "data"), "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	v := wire.Violation{Rule: wire.RuleInternetEgress, Department: "CZJ", Subject: "10.1.0.1", Severity: wire.SeverityCritical,
		Status:    wire.StatusOpen,
		Citations: []wire.Citation{{Pack: "yangpu-2021", Document: "杨府办发〔2021〕3号", Article: "第十九条", Text: "公务网应当与互联网物理隔离"}},
		Evidence:  []wire.Evidence{{Agent: "a1", Method: "snmp", ObservedAt: at, Detail: map[string]any{"next_hop": "203.0.113.1"}}},
		FirstSeen: at, LastSeen: at}
	if err := lifecycle.NewStore(db).Apply(ctx, "CZJ", lifecycle.Scan{ReportID: "r1", Agent: "a1", FinishedAt: at}, []wire.Violation{v}, 3); err != nil {
		t.Fatalf("seed violation: %v", err)
	}
	ps := progress.NewStore(db, nil)
	for i := 0; i < 3; i++ {
		err := ps.Save(ctx, progress.Snapshot{Department: "CZJ", District: "310110", At: at.Add(time.Duration(i) * 24 * time.Hour),
			ReportID: "r", Fields: progress.Fields{InternetEgress: int64(3 - i), LicenseCompliance: 1, CloudRatio: 1}})
		if err != nil {
			t.Fatal(err)
		}
	}
	return cfgFile, dir
}

func runExportCmd(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := runWithExport(args, &out)
	return code, out.String()
}

// runWithExport runs the real root command, mounting export when the core
// wiring has not yet done so.
func runWithExport(args []string, out *bytes.Buffer) int {
	g := &globals{stdin: strings.NewReader(""), stdout: out, stderr: out}
	root := newRootCmd(g)
	if c, _, err := root.Find([]string{"export"}); err != nil || c == root {
		root.AddCommand(newExportCmd())
	}
	root.SetArgs(args)
	root.SetOut(out)
	root.SetErr(out)
	err := root.ExecuteContext(context.Background())
	if err == nil {
		return exitOK
	}
	out.WriteString(err.Error())
	if cliexit.IsUsage(err) {
		return exitUsage
	}
	return exitFailure
}

func TestExportCommand(t *testing.T) {
	cfg, dir := exportFixture(t)
	out := func(name string) string { return filepath.Join(dir, name) }
	tests := []struct {
		name  string
		args  []string
		code  int
		file  string
		check func(t *testing.T, data []byte, output string)
	}{
		{
			name: "violations csv", code: 0, file: "v.csv",
			args: []string{"--config", cfg, "export", "violations", "--format", "csv", "--out", out("v.csv")},
			check: func(t *testing.T, data []byte, _ string) {
				s := string(data)
				if !strings.HasPrefix(s, "\uFEFF规则,部门,对象,严重程度,状态,条款,证据,首次发现,最近发现\r\n") ||
					!strings.Contains(s, "互联网出口 (internet-egress),CZJ,10.1.0.1,严重,未整改") || !strings.Contains(s, "第十九条") {
					t.Fatalf("csv:\n%s", s)
				}
			},
		},
		{
			name: "violations json as of before the finding", code: 0, file: "v0.json",
			args: []string{"--config", cfg, "export", "violations", "--format", "json", "--out", out("v0.json"), "--as-of", "2026-03-01"},
			check: func(t *testing.T, data []byte, _ string) {
				var doc struct{ Violations []wire.Violation }
				if err := json.Unmarshal(data, &doc); err != nil || len(doc.Violations) != 0 {
					t.Fatalf("as-of before first_seen: %v %s", err, data)
				}
			},
		},
		{
			name: "progress json for a department and range", code: 0, file: "p.json",
			args: []string{"--config", cfg, "export", "progress", "--format", "json", "--out", out("p.json"),
				"--department", "CZJ", "--from", "2026-03-03", "--to", "2026-03-04"},
			check: func(t *testing.T, data []byte, _ string) {
				var doc struct{ Progress []progress.Snapshot }
				if err := json.Unmarshal(data, &doc); err != nil || len(doc.Progress) != 2 || doc.Progress[0].InternetEgress != 2 {
					t.Fatalf("progress: %v %s", err, data)
				}
			},
		},
		{
			name: "violations pdf", code: 0, file: "v.pdf",
			args: []string{"--config", cfg, "export", "violations", "--format", "pdf", "--out", out("v.pdf")},
			check: func(t *testing.T, data []byte, _ string) {
				if !bytes.HasPrefix(data, []byte("%PDF-")) {
					t.Fatal("not a PDF")
				}
				bin := testenv.Binary(t, "pdftotext")
				txt, err := exec.Command(bin, out("v.pdf"), "-").Output()
				if err != nil || !strings.Contains(strings.Join(strings.Fields(string(txt)), ""), "互联网出口") {
					t.Fatalf("pdftotext: %v\n%s", err, txt)
				}
			},
		},
		{name: "unknown export", args: []string{"--config", cfg, "export", "users", "--format", "csv", "--out", out("x")}, code: 2},
		{name: "every bad flag named", args: []string{"--config", cfg, "export", "violations", "--format", "docx", "--lang", "fr", "--as-of", "soon", "--rule", "nope"}, code: 2,
			check: func(t *testing.T, _ []byte, output string) {
				for _, w := range []string{"docx", "--out is required", "fr", "--as-of", "nope"} {
					if !strings.Contains(output, w) {
						t.Errorf("output lacks %q:\n%s", w, output)
					}
				}
			}},
		{name: "bad font fails clearly and writes nothing", file: "", code: 1,
			args: []string{"--config", cfg, "export", "violations", "--format", "pdf", "--out", out("bad.pdf"), "--font-file", out("none.ttf")},
			check: func(t *testing.T, _ []byte, output string) {
				if !strings.Contains(output, "export.font_file") {
					t.Errorf("output lacks the font hint:\n%s", output)
				}
				if _, err := os.Stat(out("bad.pdf")); !os.IsNotExist(err) {
					t.Errorf("bad.pdf exists after a failed export")
				}
			}},
		{name: "ledger detail csv", code: 0, file: "l.csv",
			args: []string{"--config", cfg, "export", "ledger", "--format", "csv", "--table", "detail", "--out", out("l.csv")},
			check: func(t *testing.T, data []byte, _ string) {
				if !strings.HasPrefix(string(data), "\uFEFF部门,设备,使用人") {
					t.Fatalf("ledger csv:\n%s", data)
				}
			}},
		{name: "ledger xlsx", code: 0, file: "l.xlsx",
			args: []string{"--config", cfg, "export", "ledger", "--format", "xlsx", "--out", out("l.xlsx")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, output := runExportCmd(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d:\n%s", code, tc.code, output)
			}
			var data []byte
			if tc.file != "" {
				var err error
				if data, err = os.ReadFile(out(tc.file)); err != nil {
					t.Fatal(err)
				}
			}
			if tc.check != nil {
				tc.check(t, data, output)
			}
		})
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(leftovers) > 0 {
		t.Fatalf("temporary files left behind: %v", leftovers)
	}
}

// TestExportNamesQueuedScans (issue 16, review): an export taken while
// scans of a large department wait for their batched judgement says so,
// rather than passing off the previous judgement as complete.
func TestExportNamesQueuedScans(t *testing.T) {
	cfg, dir := exportFixture(t)
	run := func() string {
		code, output := runExportCmd(t, "--config", cfg, "export", "violations", "--format", "json", "--out", filepath.Join(dir, "v.json"))
		if code != 0 {
			t.Fatalf("export: exit %d: %s", code, output)
		}
		return output
	}
	if out := run(); strings.Contains(out, "queued") {
		t.Fatalf("nothing is queued, yet the export says: %s", out)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite", filepath.Join(dir, "data"), "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(ctx, `INSERT INTO rules_pending (report_id, department, agent, agent_key, finished_at, queued_at) VALUES ('r9', 'CZJ', 'a1', 'a1|[]', '2026-03-02T03:00:00.000000000Z', '2026-03-02T03:00:01.000000000Z')`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if out := run(); !strings.Contains(out, "1 scans of large departments are queued for judgement") {
		t.Fatalf("the export does not name the queued scan: %s", out)
	}
}
