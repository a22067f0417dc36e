package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/egovnet/egovnet/collector/progress"
	"github.com/egovnet/egovnet/internal/wire"
)

// Exporter writes exports; it finds the CJK font once, on the first PDF.
type Exporter struct {
	// FontFile is export.font_file: a .ttf or .ttc with TrueType outlines;
	// empty searches DefaultFontPaths.
	FontFile string
	// MaxPDFRows caps the rows of a PDF (0: DefaultMaxPDFRows).
	MaxPDFRows int

	once sync.Once
	font *Font
	err  error
}

// Font returns the PDF font, or the error naming what was tried.
func (e *Exporter) Font() (*Font, error) {
	e.once.Do(func() { e.font, e.err = FindFont(e.FontFile) })
	return e.font, e.err
}

// Violations writes the violations in format f.
func (e *Exporter) Violations(w io.Writer, f Format, vs []wire.Violation, m Meta) error {
	switch f {
	case CSV:
		return WriteCSV(w, ViolationTable(vs, m), m.Lang)
	case XLSX:
		return WriteXLSX(w, m, ViolationTable(vs, m))
	case JSON:
		order := violationOrder(vs)
		return writeJSONArray(w, m, "violations", func(emit func(any) error) error {
			for _, i := range order {
				if err := emit(&vs[i]); err != nil {
					return err
				}
			}
			return nil
		})
	case PDF:
		if err := e.CheckPDFRows(f, len(vs)); err != nil {
			return err
		}
		font, err := e.Font()
		if err != nil {
			return err
		}
		return violationsPDF(w, font, vs, m)
	}
	return fmt.Errorf("export violations: unknown format %q", f)
}

// ViolationsStream writes n violations handed one at a time by each (in
// reading order) as CSV, XLSX or JSON, holding one row at a time. n sizes
// the XLSX filter range; PDF needs them all (see Violations).
func (e *Exporter) ViolationsStream(w io.Writer, f Format, n int, each func(fn func(wire.Violation) error) error, m Meta) error {
	t := Table{Name: titleViolList.in(m.Lang), Columns: ViolationColumns, Len: n,
		Stream: func(emit func([]any) error) error {
			row := make([]any, len(ViolationColumns))
			return each(func(v wire.Violation) error {
				violationRow(row, &v, m)
				return emit(row)
			})
		}}
	switch f {
	case CSV:
		return WriteCSV(w, t, m.Lang)
	case XLSX:
		return WriteXLSX(w, m, t)
	case JSON:
		return writeJSONArray(w, m, "violations", func(emit func(any) error) error {
			return each(func(v wire.Violation) error { return emit(&v) })
		})
	}
	return fmt.Errorf("export violations: %s is not a streamed format", f)
}

// LedgerTable selects the one table a CSV ledger export holds.
type LedgerTable string

// Ledger tables.
const (
	LedgerSummary LedgerTable = "summary" // 汇总表
	LedgerDetail  LedgerTable = "detail"  // 明细表
)

// Ledger writes the ledger: XLSX, PDF and JSON hold both tables, CSV the
// one selected (CSV has no sheets).
func (e *Exporter) Ledger(w io.Writer, f Format, l Ledger, which LedgerTable, m Meta) error {
	summary, detail := LedgerTables(l, m)
	switch f {
	case CSV:
		switch which {
		case LedgerSummary, "":
			return WriteCSV(w, summary, m.Lang)
		case LedgerDetail:
			return WriteCSV(w, detail, m.Lang)
		}
		return fmt.Errorf("export ledger: table %q: want summary or detail", which)
	case XLSX:
		return WriteXLSX(w, m, summary, detail)
	case JSON:
		if l.Summary == nil {
			l.Summary = []LedgerSummaryRow{}
		}
		if l.Detail == nil {
			l.Detail = []LedgerDetailRow{}
		}
		return writeJSON(w, m, "ledger", l)
	case PDF:
		if err := e.CheckPDFRows(f, summary.Count()+detail.Count()); err != nil {
			return err
		}
		font, err := e.Font()
		if err != nil {
			return err
		}
		return tablesPDF(w, font, label{"软件正版化台账", "Software legalization ledger"}.in(m.Lang), m, summary, detail)
	}
	return fmt.Errorf("export ledger: unknown format %q", f)
}

// Progress writes a progress series.
func (e *Exporter) Progress(w io.Writer, f Format, snaps []progress.Snapshot, m Meta) error {
	t := ProgressTable(snaps, m)
	switch f {
	case CSV:
		return WriteCSV(w, t, m.Lang)
	case XLSX:
		return WriteXLSX(w, m, t)
	case JSON:
		if snaps == nil {
			snaps = []progress.Snapshot{}
		}
		return writeJSON(w, m, "progress", snaps)
	case PDF:
		font, err := e.Font()
		if err != nil {
			return err
		}
		return tablesPDF(w, font, titleProgress.in(m.Lang), m, t)
	}
	return fmt.Errorf("export progress: unknown format %q", f)
}

func nonNilViolations(vs []wire.Violation) []wire.Violation {
	if vs == nil {
		return []wire.Violation{}
	}
	return vs
}

// writeJSON wraps data with what the document describes.
func writeJSON(w io.Writer, m Meta, key string, data any) error {
	asOf := m.AsOf
	if asOf.IsZero() {
		asOf = time.Now()
	}
	doc := map[string]any{
		"district": m.District,
		"as_of":    asOf.UTC().Format(time.RFC3339),
		key:        data,
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

// writeJSONArray writes what writeJSON writes for an array of n items,
// one item at a time: encoding/json would build the whole document in
// memory first (hundreds of MB for 200,000 violations).
func writeJSONArray(w io.Writer, m Meta, key string, each func(emit func(any) error) error) error {
	asOf := m.AsOf
	if asOf.IsZero() {
		asOf = time.Now()
	}
	head, err := json.Marshal(map[string]string{"as_of": asOf.UTC().Format(time.RFC3339), "district": m.District})
	if err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	var buf bytes.Buffer
	// the envelope, indented as writeJSON indents it, keys in its order
	if err := json.Indent(&buf, head, "", "  "); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	buf.Truncate(buf.Len() - 2) // "\n}"
	k, _ := json.Marshal(key)
	fmt.Fprintf(&buf, ",\n  %s: [", k)
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("    ", "  ")
	n := 0
	err = each(func(item any) error {
		if n > 0 {
			buf.WriteString(",")
		}
		n++
		buf.WriteString("\n    ")
		if err := enc.Encode(item); err != nil {
			return err
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
		if buf.Len() > 32<<10 {
			if _, err := w.Write(buf.Bytes()); err != nil {
				return err
			}
			buf.Reset()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	if n == 0 {
		buf.WriteString("]\n}\n")
	} else {
		buf.WriteString("\n  ]\n}\n")
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

func (m Meta) metaLines() []string {
	now := time.Now()
	var out []string
	if m.zh() {
		if m.District != "" {
			out = append(out, fmt.Sprintf("区县：%s", m.District))
		}
		return append(out, fmt.Sprintf("数据截至：%s", m.date(m.AsOf)), fmt.Sprintf("生成时间：%s", m.time(now)))
	}
	if m.District != "" {
		out = append(out, fmt.Sprintf("District: %s", m.District))
	}
	return append(out, fmt.Sprintf("As of: %s", m.date(m.AsOf)), fmt.Sprintf("Generated: %s", m.time(now)))
}

// violationsPDF is the auditors' report: counts, the list, then every
// violation with its legal basis (article and text) and evidence.
func violationsPDF(w io.Writer, font *Font, vs []wire.Violation, m Meta) error {
	title := titleViolations.in(m.Lang)
	d, err := newPDF(font, false, "egovnet · "+title, m.Lang)
	if err != nil {
		return err
	}
	if err := d.title(title); err != nil {
		return err
	}
	for _, l := range m.metaLines() {
		if err := d.para(l, 10, 0); err != nil {
			return err
		}
	}
	vs = SortViolations(vs)
	status := map[string]int{}
	for _, v := range vs {
		status[v.Status]++
	}
	var summary string
	if m.zh() {
		summary = fmt.Sprintf("违规共 %d 项：未整改 %d，已确认 %d，已整改 %d，已豁免 %d。", len(vs),
			status[wire.StatusOpen], status[wire.StatusAcknowledged], status[wire.StatusResolved], status[wire.StatusExempted])
	} else {
		summary = fmt.Sprintf("%d violations: %d open, %d acknowledged, %d resolved, %d exempted.", len(vs),
			status[wire.StatusOpen], status[wire.StatusAcknowledged], status[wire.StatusResolved], status[wire.StatusExempted])
	}
	if err := d.para(summary, 10, 0); err != nil {
		return err
	}
	if len(vs) == 0 {
		return d.finish(w)
	}

	// By rule and severity.
	if err := d.heading(titleByRule.in(m.Lang), 12); err != nil {
		return err
	}
	byRule := map[string]map[string]int{}
	for _, v := range vs {
		if byRule[v.Rule] == nil {
			byRule[v.Rule] = map[string]int{}
		}
		byRule[v.Rule][v.Severity]++
	}
	rules := make([]string, 0, len(byRule))
	for r := range byRule {
		rules = append(rules, r)
	}
	sort.Slice(rules, func(i, j int) bool { return ruleOrder(rules[i]) < ruleOrder(rules[j]) })
	sevs := []string{wire.SeverityCritical, wire.SeverityHigh, wire.SeverityMedium, wire.SeverityLow}
	cols := []Column{{"rule", "规则", "Rule", 3}}
	for _, s := range sevs {
		cols = append(cols, Column{s, severityNames[s].zh, severityNames[s].en, 1})
	}
	cols = append(cols, Column{"total", "合计", "Total", 1})
	var rows [][]string
	for _, r := range rules {
		row := []string{ruleLabel(r, m.Lang)}
		total := 0
		for _, s := range sevs {
			row = append(row, fmt.Sprint(byRule[r][s]))
			total += byRule[r][s]
		}
		rows = append(rows, append(row, fmt.Sprint(total)))
	}
	if err := d.table(cols, Table{Columns: cols}.Header(m.Lang), rows, 9); err != nil {
		return err
	}

	// The list.
	if err := d.heading(titleViolList.in(m.Lang), 12); err != nil {
		return err
	}
	listCols := []Column{{"n", "序号", "No.", 0.45}, {"rule", "规则", "Rule", 1.4}, {"department", "部门", "Department", 1.3},
		{"subject", "对象", "Subject", 1.5}, {"severity", "严重程度", "Severity", 0.75}, {"status", "状态", "Status", 1.1},
		{"last_seen", "最近发现", "Last seen", 1.35}}
	rows = rows[:0]
	for i, v := range vs {
		st := lookup(statusNames, v.Status, m.Lang)
		if v.Registered {
			st += label{"（已登记）", " (registered)"}.in(m.Lang)
		}
		rows = append(rows, []string{fmt.Sprint(i + 1), RuleName(v.Rule, m.Lang), m.dept(v.Department), v.Subject,
			lookup(severityNames, v.Severity, m.Lang), st, m.time(v.LastSeen)})
	}
	if err := d.table(listCols, Table{Columns: listCols}.Header(m.Lang), rows, 8); err != nil {
		return err
	}

	// Details: legal basis and evidence.
	if err := d.heading(titleDetails.in(m.Lang), 12); err != nil {
		return err
	}
	basis, evidence, seen := "依据条款：", "证据：", "首次发现 %s，最近发现 %s；严重程度：%s；状态：%s"
	if !m.zh() {
		basis, evidence, seen = "Legal basis:", "Evidence:", "First seen %s, last seen %s; severity: %s; status: %s"
	}
	for i, v := range vs {
		head := fmt.Sprintf("%d. %s — %s — %s", i+1, RuleName(v.Rule, m.Lang), m.dept(v.Department), v.Subject)
		if err := d.heading(head, 10.5); err != nil {
			return err
		}
		title := v.Title
		if !m.zh() && v.TitleEN != "" {
			title = v.TitleEN
		}
		if title != "" {
			if err := d.para(title, 9, 10); err != nil {
				return err
			}
		}
		line := fmt.Sprintf(seen, m.time(v.FirstSeen), m.time(v.LastSeen), lookup(severityNames, v.Severity, m.Lang), statusLabel(v, m))
		if err := d.para(line, 9, 10); err != nil {
			return err
		}
		if err := d.para(basis, 9, 10); err != nil {
			return err
		}
		for _, c := range CitationLines(v.Citations, m.Lang) {
			if err := d.para(c, 9, 20); err != nil {
				return err
			}
		}
		if err := d.para(evidence, 9, 10); err != nil {
			return err
		}
		for _, e := range EvidenceLines(v.Evidence, m) {
			if err := d.para(e, 8, 20); err != nil {
				return err
			}
		}
	}
	return d.finish(w)
}

func ruleOrder(r string) int {
	for i, id := range wire.RuleIDs {
		if id == r {
			return i
		}
	}
	return len(wire.RuleIDs)
}

// tablesPDF writes a title, the document's metadata and tables; wide
// tables get a landscape page.
func tablesPDF(w io.Writer, font *Font, title string, m Meta, tables ...Table) error {
	landscape := false
	for _, t := range tables {
		if len(t.Columns) > 9 {
			landscape = true
		}
	}
	d, err := newPDF(font, landscape, "egovnet · "+title, m.Lang)
	if err != nil {
		return err
	}
	if err := d.title(title); err != nil {
		return err
	}
	if err := d.para(strings.Join(m.metaLines(), "    "), 10, 0); err != nil {
		return err
	}
	for _, t := range tables {
		if err := d.heading(t.Name, 12); err != nil {
			return err
		}
		if t.Count() == 0 {
			if err := d.para(label{"（无数据）", "(no data)"}.in(m.Lang), 9, 0); err != nil {
				return err
			}
			continue
		}
		if err := d.table(t.Columns, t.Header(m.Lang), stringRows(t), 8); err != nil {
			return err
		}
	}
	return d.finish(w)
}

// DefaultMaxPDFRows caps a PDF export: a PDF of 200,000 findings is
// minutes of layout and gigabytes of memory, and nobody reads it; the same
// rows go to CSV or XLSX, which stream.
const DefaultMaxPDFRows = 5000

// TooLargeError refuses a PDF export beyond the cap, in both languages,
// pointing to the formats that take any size.
type TooLargeError struct {
	Rows, Max int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("PDF 导出最多 %d 行，本次 %d 行：请改用 CSV 或 XLSX 导出（或按部门、规则、状态筛选） / "+
		"a PDF export holds at most %d rows, this one has %d: export CSV or XLSX instead (or filter by department, rule or status)",
		e.Max, e.Rows, e.Max, e.Rows)
}

// CheckPDFRows refuses a PDF of more than the exporter's maximum rows.
func (e *Exporter) CheckPDFRows(f Format, rows int) error {
	max := e.MaxPDFRows
	if max < 1 {
		max = DefaultMaxPDFRows
	}
	if f == PDF && rows > max {
		return &TooLargeError{Rows: rows, Max: max}
	}
	return nil
}
