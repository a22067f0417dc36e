package export

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/egovnet/egovnet/internal/wire"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden %s (run with -update to create): %v", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from golden file (run with -update after checking):\n got:\n%s\nwant:\n%s", name, got, want)
	}
}

func TestCSVGolden(t *testing.T) {
	e := &Exporter{}
	tests := []struct {
		name  string
		write func(w *bytes.Buffer) error
	}{
		{"violations_zh.csv", func(w *bytes.Buffer) error { return e.Violations(w, CSV, testViolations(), testMeta(ZH)) }},
		{"violations_en.csv", func(w *bytes.Buffer) error { return e.Violations(w, CSV, testViolations(), testMeta(EN)) }},
		{"violations_empty.csv", func(w *bytes.Buffer) error { return e.Violations(w, CSV, nil, testMeta(ZH)) }},
		{"ledger_summary_zh.csv", func(w *bytes.Buffer) error { return e.Ledger(w, CSV, testLedger(), LedgerSummary, testMeta(ZH)) }},
		{"ledger_detail_zh.csv", func(w *bytes.Buffer) error { return e.Ledger(w, CSV, testLedger(), LedgerDetail, testMeta(ZH)) }},
		{"progress_zh.csv", func(w *bytes.Buffer) error { return e.Progress(w, CSV, testSnapshots(), testMeta(ZH)) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.write(&buf); err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(buf.Bytes(), []byte("\xEF\xBB\xBF")) {
				t.Fatal("CSV does not start with the UTF-8 BOM")
			}
			golden(t, tc.name, buf.Bytes())
		})
	}
}

func TestCSVHeaderAndDefuse(t *testing.T) {
	var buf bytes.Buffer
	if err := (&Exporter{}).Violations(&buf, CSV, testViolations(), testMeta(ZH)); err != nil {
		t.Fatal(err)
	}
	first := strings.SplitN(strings.TrimPrefix(buf.String(), bom), "\r\n", 2)[0]
	if first != "规则,部门,对象,严重程度,状态,条款,证据,首次发现,最近发现" {
		t.Fatalf("header = %q", first)
	}
	if !strings.Contains(buf.String(), `"'=HYPERLINK(""http://x"")"`) {
		t.Fatalf("formula-like subject not defused:\n%s", buf.String())
	}
	if got := defuse("-5"); got != "-5" {
		t.Fatalf("defuse(-5) = %q, want a number kept", got)
	}
}

func TestBadInputs(t *testing.T) {
	e := &Exporter{}
	var buf bytes.Buffer
	if _, err := ParseFormat("docx"); err == nil || !strings.Contains(err.Error(), "csv, xlsx, pdf or json") {
		t.Fatalf("ParseFormat(docx) = %v", err)
	}
	if _, err := ParseLang("fr"); err == nil {
		t.Fatal("ParseLang(fr): want error")
	}
	if err := e.Ledger(&buf, CSV, testLedger(), "both", testMeta(ZH)); err == nil || buf.Len() != 0 {
		t.Fatalf("ledger csv table both = %v, wrote %d bytes; want error and nothing written", err, buf.Len())
	}
}

func TestXLSXRoundTrip(t *testing.T) {
	e := &Exporter{}
	tests := []struct {
		name   string
		write  func(w *bytes.Buffer) error
		sheets []string
		// cell checks: sheet, cell, want
		cells [][3]string
		// numeric cells must be stored as numbers
		numbers [][2]string
	}{
		{
			name:   "violations zh",
			write:  func(w *bytes.Buffer) error { return e.Violations(w, XLSX, testViolations(), testMeta(ZH)) },
			sheets: []string{"违规清单"},
			cells: [][3]string{
				{"违规清单", "A1", "规则"}, {"违规清单", "I1", "最近发现"},
				{"违规清单", "A2", "自建互联网出口 (internet-egress)"}, {"违规清单", "B2", "区财政局 (CZJ)"},
				{"违规清单", "D2", "严重"}, {"违规清单", "E2", "未整改"}, {"违规清单", "H2", "2026-03-01 10:00:00"},
				{"违规清单", "C4", `=HYPERLINK("http://x")`}, // stored as text, not a formula
			},
		},
		{
			name:   "violations en",
			write:  func(w *bytes.Buffer) error { return e.Violations(w, XLSX, testViolations(), testMeta(EN)) },
			sheets: []string{"Violations"},
			cells:  [][3]string{{"Violations", "A1", "Rule"}, {"Violations", "E3", "acknowledged (registered, awaiting consolidation)"}},
		},
		{
			name:    "ledger both tables",
			write:   func(w *bytes.Buffer) error { return e.Ledger(w, XLSX, testLedger(), "", testMeta(ZH)) },
			sheets:  []string{"软件使用情况汇总表", "软件使用情况明细表"},
			cells:   [][3]string{{"软件使用情况汇总表", "C2", "Windows 10 专业版"}, {"软件使用情况汇总表", "E3", "是"}, {"软件使用情况明细表", "C2", "张三"}},
			numbers: [][2]string{{"软件使用情况汇总表", "F2"}, {"软件使用情况汇总表", "J2"}},
		},
		{
			name:    "progress",
			write:   func(w *bytes.Buffer) error { return e.Progress(w, XLSX, testSnapshots(), testMeta(ZH)) },
			sheets:  []string{"电子政务外网整合进度"},
			cells:   [][3]string{{"电子政务外网整合进度", "C1", "互联网出口"}, {"电子政务外网整合进度", "B5", "全区合计"}},
			numbers: [][2]string{{"电子政务外网整合进度", "C2"}, {"电子政务外网整合进度", "L2"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.write(&buf); err != nil {
				t.Fatal(err)
			}
			f, err := excelize.OpenReader(&buf)
			if err != nil {
				t.Fatalf("excelize cannot read the export: %v", err)
			}
			defer f.Close()
			if got := f.GetSheetList(); strings.Join(got, "|") != strings.Join(tc.sheets, "|") {
				t.Fatalf("sheets = %v, want %v", got, tc.sheets)
			}
			for _, c := range tc.cells {
				got, err := f.GetCellValue(c[0], c[1])
				if err != nil || got != c[2] {
					t.Errorf("%s!%s = %q (%v), want %q", c[0], c[1], got, err, c[2])
				}
				if formula, _ := f.GetCellFormula(c[0], c[1]); formula != "" {
					t.Errorf("%s!%s holds formula %q", c[0], c[1], formula)
				}
			}
			for _, c := range tc.numbers {
				typ, err := f.GetCellType(c[0], c[1])
				if err != nil {
					t.Fatal(err)
				}
				if typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
					t.Errorf("%s!%s type = %v, want a number", c[0], c[1], typ)
				}
				raw, _ := f.GetCellValue(c[0], c[1], excelize.Options{RawCellValue: true})
				if raw == "" || strings.ContainsAny(raw, "%是否") {
					t.Errorf("%s!%s raw = %q, want a numeric value", c[0], c[1], raw)
				}
			}
			rows, _ := f.GetRows(tc.sheets[0])
			if len(rows) < 2 {
				t.Fatalf("sheet %s has %d rows", tc.sheets[0], len(rows))
			}
		})
	}
}

func TestJSONExport(t *testing.T) {
	var buf bytes.Buffer
	if err := (&Exporter{}).Violations(&buf, JSON, testViolations(), testMeta(ZH)); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		District   string           `json:"district"`
		AsOf       string           `json:"as_of"`
		Violations []wire.Violation `json:"violations"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.District != "杨浦区" || doc.AsOf != "2026-03-20T02:30:00Z" || len(doc.Violations) != 3 || doc.Violations[0].Rule != wire.RuleInternetEgress {
		t.Fatalf("json doc = %+v", doc)
	}
	if len(doc.Violations[0].Citations) != 1 || doc.Violations[0].Citations[0].Text != art19 {
		t.Fatalf("citation lost: %+v", doc.Violations[0].Citations)
	}
	buf.Reset()
	if err := (&Exporter{}).Violations(&buf, JSON, nil, testMeta(ZH)); err != nil || !strings.Contains(buf.String(), `"violations": []`) {
		t.Fatalf("empty export = %s (%v), want an empty list", buf.String(), err)
	}
}
