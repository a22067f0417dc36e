package export

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/egovnet/egovnet/collector/progress"
	"github.com/egovnet/egovnet/collector/terms"
	"github.com/egovnet/egovnet/internal/wire"
)

// ViolationColumns are the violation export's columns (zh-CN first).
var ViolationColumns = []Column{
	column("rule", 1.4),
	column("department", 1.1),
	column("subject", 1.3),
	column("severity", 0.7),
	column("status", 0.7),
	column("citations", 3),
	column("evidence", 3),
	column("first_seen", 1.2),
	column("last_seen", 1.2),
}

// SortViolations orders violations for reading: most severe first, then by
// rule, department and subject.
func SortViolations(vs []wire.Violation) []wire.Violation {
	out := make([]wire.Violation, len(vs))
	for i, j := range violationOrder(vs) {
		out[i] = vs[j]
	}
	return out
}

// violationOrder is SortViolations as indexes into vs, so a large export
// sorts without copying its violations.
func violationOrder(vs []wire.Violation) []int {
	ruleIdx := map[string]int{}
	for i, r := range wire.RuleIDs {
		ruleIdx[r] = i
	}
	idx := make([]int, len(vs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool {
		a, b := &vs[idx[i]], &vs[idx[j]]
		if severityRank[a.Severity] != severityRank[b.Severity] {
			return severityRank[a.Severity] < severityRank[b.Severity]
		}
		if ruleIdx[a.Rule] != ruleIdx[b.Rule] {
			return ruleIdx[a.Rule] < ruleIdx[b.Rule]
		}
		if a.Department != b.Department {
			return a.Department < b.Department
		}
		return a.Subject < b.Subject
	})
	return idx
}

// ViolationTable is the violations as one sheet. Its rows are made one at
// a time as a writer asks for them (Table.Stream): 200,000 violations
// never exist as a second, rendered copy.
func ViolationTable(vs []wire.Violation, m Meta) Table {
	order := violationOrder(vs)
	return Table{Name: titleViolList.in(m.Lang), Columns: ViolationColumns, Len: len(vs),
		Stream: func(emit func([]any) error) error {
			row := make([]any, len(ViolationColumns))
			for _, i := range order {
				violationRow(row, &vs[i], m)
				if err := emit(row); err != nil {
					return err
				}
			}
			return nil
		}}
}

// violationRow fills row with v's cells in ViolationColumns order.
func violationRow(row []any, v *wire.Violation, m Meta) {
	row[0] = ruleLabel(v.Rule, m.Lang)
	row[1] = m.dept(v.Department)
	row[2] = v.Subject
	row[3] = lookup(severityNames, v.Severity, m.Lang)
	row[4] = statusLabel(*v, m)
	row[5] = strings.Join(CitationLines(v.Citations, m.Lang), "\n")
	row[6] = strings.Join(EvidenceLines(v.Evidence, m), "\n")
	row[7] = m.time(v.FirstSeen)
	row[8] = m.time(v.LastSeen)
}

func ruleLabel(id string, lang Lang) string {
	name := RuleName(id, lang)
	if name == id {
		return id
	}
	return name + " (" + id + ")"
}

func statusLabel(v wire.Violation, m Meta) string {
	s := lookup(statusNames, v.Status, m.Lang)
	if v.Registered {
		if m.zh() {
			s += "（已登记，待整合）"
		} else {
			s += " (registered, awaiting consolidation)"
		}
	}
	if v.Exemption != nil && v.Status == wire.StatusExempted {
		if m.zh() {
			s += fmt.Sprintf("（依据：%s；批准：%s；至 %s）", v.Exemption.Basis, v.Exemption.Approver, m.date(v.Exemption.Expires))
		} else {
			s += fmt.Sprintf(" (basis: %s; approver: %s; until %s)", v.Exemption.Basis, v.Exemption.Approver, m.date(v.Exemption.Expires))
		}
	}
	return s
}

// CitationLines renders each citation as "《document》article：text" (the
// English summary instead of the Chinese text when lang is en and a summary
// exists).
func CitationLines(cs []wire.Citation, lang Lang) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		text := c.Text
		if lang == EN && c.Summary != "" {
			text = c.Summary
		}
		doc := c.Document
		if doc == "" {
			doc = c.Pack
		}
		sep := "："
		if lang == EN {
			sep = ": "
		}
		out = append(out, fmt.Sprintf("《%s》%s%s%s", doc, c.Article, sep, text))
	}
	return out
}

// maxEvidenceRunes bounds one evidence line: the export is a summary; the
// API has the raw rows.
const maxEvidenceRunes = 300

// EvidenceLines summarises each evidence as "time method agent: reason;
// key=value, ...", with the reason in the document's language.
func EvidenceLines(es []wire.Evidence, m Meta) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		keys := make([]string, 0, len(e.Detail))
		for k := range e.Detail {
			if k != terms.KeyEN && k != terms.KeyZH && k != terms.KeyCode {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys)+1)
		if r := reason(e.Detail, m.Lang); r != "" {
			parts = append(parts, r+";")
		}
		for _, k := range keys {
			parts = append(parts, k+"="+detailValue(e.Detail[k]))
		}
		line := strings.TrimSpace(fmt.Sprintf("%s %s %s: %s", m.time(e.ObservedAt), e.Method, e.Agent, strings.Join(parts, ", ")))
		out = append(out, truncateRunes(line, maxEvidenceRunes))
	}
	return out
}

func detailValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case float64, int, int64, bool:
		return fmt.Sprint(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// Ledger is the software ledger in the two shapes the legalization
// inspections ask for (DOMAIN.md: 汇总表 and 明细表).
type Ledger struct {
	Summary []LedgerSummaryRow `json:"summary"`
	Detail  []LedgerDetailRow  `json:"detail"`
}

// LedgerSummaryRow is one line of the 软件使用情况汇总表: a product in a
// department.
type LedgerSummaryRow struct {
	Department string `json:"department"`
	Category   string `json:"category"` // os, database, middleware, antivirus, office, layout, other
	Product    string `json:"product"`
	Vendor     string `json:"vendor"`
	Domestic   bool   `json:"domestic"`
	Installs   int    `json:"installs"`
	Licenses   int    `json:"licenses"` // licences held
	Licensed   int    `json:"licensed"` // installs covered by a licence
	Unlicensed int    `json:"unlicensed"`
}

// LedgerDetailRow is one line of the 软件使用情况明细表: one installation
// on one device.
type LedgerDetailRow struct {
	Department string    `json:"department"`
	Host       string    `json:"host"` // device or address
	User       string    `json:"user,omitempty"`
	Category   string    `json:"category"`
	Product    string    `json:"product"`
	Version    string    `json:"version"`
	Vendor     string    `json:"vendor"`
	Domestic   bool      `json:"domestic"`
	Licensed   bool      `json:"licensed"`
	License    string    `json:"license,omitempty"` // the licence record covering it
	Source     string    `json:"source"`            // snmp, dpkg, rpm, registry, import
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
	// The device's OS and hardware as its endpoint agent reports them, and
	// the install's licence status (collector/ledger statuses; "" for a
	// device listed without counted installs).
	OSInfo   *wire.OSInfo   `json:"os_info,omitempty"`
	Hardware *wire.Hardware `json:"hardware,omitempty"`
	Status   string         `json:"status,omitempty"`
}

// LedgerSummaryColumns are the 汇总表 columns.
var LedgerSummaryColumns = []Column{
	column("department", 1.4),
	column("category", 1),
	column("product", 1.8),
	column("vendor", 1.2),
	column("domestic", 0.6),
	column("installs", 0.7),
	column("licenses", 0.7),
	termColumn("licensed", "licensed_installs", 0.8),
	column("unlicensed", 0.8),
	column("compliance", 0.8),
}

// LedgerDetailColumns are the 明细表 columns.
var LedgerDetailColumns = []Column{
	column("department", 1.2),
	column("host", 1.2),
	column("user", 0.8),
	column("category", 0.8),
	column("product", 1.6),
	column("version", 0.8),
	column("vendor", 1),
	column("domestic", 0.5),
	column("licensed", 0.5),
	column("license", 1),
	column("source", 0.6),
	column("first_seen", 1.2),
	column("last_seen", 1.2),
	// appended: the device's OS and hardware and the licence status
	ledgerColumn("os_name", 1.2), ledgerColumn("os_edition", 0.8), ledgerColumn("os_version", 0.8), ledgerColumn("os_arch", 0.6),
	ledgerColumn("os_activated", 0.6), ledgerColumn("hw_vendor", 1), ledgerColumn("hw_model", 1), ledgerColumn("hw_serial", 1),
	ledgerColumn("status", 0.9),
}

// ledgerColumn names a 明细表 device column from the terms package.
func ledgerColumn(key string, width float64) Column {
	return Column{key, terms.LedgerField(key, terms.ZH), terms.LedgerField(key, terms.EN), width}
}

// column is a column headed by its key's words in collector/terms, the
// table the web UI's lists read too (GET /api/v1/terms, "col.<key>").
func column(key string, width float64) Column { return termColumn(key, key, width) }

// termColumn is column where the terms key differs from the column key.
func termColumn(key, term string, width float64) Column {
	return Column{key, terms.ColumnName(term, terms.ZH), terms.ColumnName(term, terms.EN), width}
}

// LedgerTables returns the 汇总表 and the 明细表.
func LedgerTables(l Ledger, m Meta) (summary, detail Table) {
	summary = Table{Name: titleSummary.in(m.Lang), Columns: LedgerSummaryColumns, Percent: map[string]bool{"compliance": true}}
	for _, r := range l.Summary {
		compliance := 1.0
		if r.Installs > 0 {
			compliance = float64(r.Licensed) / float64(r.Installs)
		}
		summary.Rows = append(summary.Rows, []any{
			m.dept(r.Department), lookup(categoryNames, r.Category, m.Lang), r.Product, r.Vendor, yesNo(r.Domestic, m.Lang),
			int64(r.Installs), int64(r.Licenses), int64(r.Licensed), int64(r.Unlicensed), compliance,
		})
	}
	detail = Table{Name: titleDetail.in(m.Lang), Columns: LedgerDetailColumns}
	for _, r := range l.Detail {
		detail.Rows = append(detail.Rows, append([]any{
			m.dept(r.Department), r.Host, r.User, lookup(categoryNames, r.Category, m.Lang), r.Product, r.Version, r.Vendor,
			yesNo(r.Domestic, m.Lang), yesNo(r.Licensed, m.Lang), r.License, r.Source, m.time(r.FirstSeen), m.time(r.LastSeen),
		}, deviceCells(r, m.Lang)...))
	}
	return summary, detail
}

// deviceCells are a 明细表 row's OS, hardware and status cells.
func deviceCells(r LedgerDetailRow, lang Lang) []any {
	var o wire.OSInfo
	act := ""
	if r.OSInfo != nil {
		o = *r.OSInfo
		act = terms.Activation(o.Activated, lang)
	}
	var h wire.Hardware
	if r.Hardware != nil {
		h = *r.Hardware
	}
	status := ""
	if r.Status != "" {
		status = terms.Licence(r.Status, lang)
	}
	return []any{o.Name, o.Edition, o.Version, o.Arch, act, h.Vendor, h.Model, h.Serial, status}
}

// ProgressColumns are the progress series columns: the CONTRACT's
// egovnet_progress fields per department and day.
var ProgressColumns = []Column{
	column("date", 1.1),
	column("department", 1.3),
	column("internet_egress", 0.8),
	column("private_links", 0.8),
	column("isolation_breaches", 0.8),
	column("local_servers", 0.8),
	column("websites", 0.7),
	column("endpoints", 0.7),
	column("open_violations", 0.8),
	column("software_installs", 0.8),
	termColumn("unlicensed_installs", "unlicensed", 0.8),
	column("license_compliance", 0.8),
	column("domestic_share", 0.8),
	column("cloud_ratio", 0.7),
}

// ProgressTable is the series as one sheet; a snapshot with an empty
// department is a district total.
func ProgressTable(snaps []progress.Snapshot, m Meta) Table {
	t := Table{Name: titleProgress.in(m.Lang), Columns: ProgressColumns,
		Percent: map[string]bool{"license_compliance": true, "domestic_share": true, "cloud_ratio": true}}
	for _, s := range snaps {
		dept := m.dept(s.Department)
		if s.Department == "" {
			dept = label{"全区合计", "District total"}.in(m.Lang)
		}
		f := s.Fields
		t.Rows = append(t.Rows, []any{s.Date, dept, f.InternetEgress, f.PrivateLinks, f.IsolationBreaches, f.LocalServers,
			f.Websites, f.Endpoints, f.OpenViolations, f.SoftwareInstalls, f.UnlicensedInstalls,
			f.LicenseCompliance, f.DomesticShare, f.CloudRatio})
	}
	return t
}

// reason is the evidence's explanation in lang (its reason code's
// template, else the text its detector wrote).
func reason(d map[string]any, lang Lang) string { return terms.EvidenceReason(d, lang) }
