package export

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/egovnet/egovnet/collector/terms"
	"github.com/egovnet/egovnet/internal/chinatime"
	"github.com/egovnet/egovnet/internal/wire"
)

// The offline audit's outputs (egovnet-collector audit --format): json is
// the CONTRACT's wire.Violation list, csv one row per violation with stable
// English keys for scripts, table a readable zh-CN summary with each
// finding's citations and evidence.
const (
	AuditJSON  = "json"
	AuditCSV   = "csv"
	AuditTable = "table"
)

// WriteAudit writes the audit's violations in format (json, csv, table).
func WriteAudit(w io.Writer, format string, vs []wire.Violation) error {
	switch format {
	case AuditJSON:
		return writeViolationList(w, vs)
	case AuditCSV:
		return writeAuditCSV(w, vs)
	case AuditTable:
		return writeAuditTable(w, vs)
	}
	return fmt.Errorf("audit format %q: want json, csv or table", format)
}

// writeViolationList writes violations as an indented JSON array ([] when
// none).
func writeViolationList(w io.Writer, vs []wire.Violation) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(nonNilViolations(vs))
}

// AuditCSVHeader is the audit CSV's header row: English keys scripts rely
// on, the zh-CN columns beside them.
var AuditCSVHeader = []string{"id", "department", "rule", "rule_zh", "subject", "severity", "status", "registered",
	"first_seen", "last_seen", "evidence_count", "methods", "citations", "exemption_basis", "exemption_approver", "exemption_expires",
	"status_zh", "evidence_zh"}

func writeAuditCSV(w io.Writer, vs []wire.Violation) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(AuditCSVHeader); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	for _, v := range vs {
		row := []string{v.ID, v.Department, v.Rule, terms.RuleTitle(v.Rule, v.Registered, terms.ZH), v.Subject, v.Severity, v.Status,
			fmt.Sprint(v.Registered), v.FirstSeen.UTC().Format(time.RFC3339), v.LastSeen.UTC().Format(time.RFC3339),
			fmt.Sprint(len(v.Evidence)), strings.Join(evidenceMethods(v), ";"), citeLine(v, "; "), "", "", "",
			terms.Status(v.Status, terms.ZH), strings.Join(evidenceReasons(v, terms.ZH), "; ")}
		if v.Exemption != nil {
			row[13], row[14], row[15] = v.Exemption.Basis, v.Exemption.Approver, v.Exemption.Expires.Format("2006-01-02")
		}
		for i := range row {
			row[i] = defuse(row[i])
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	return cw.Error()
}

// evidenceReasons are the distinct evidence reasons of a violation in lang.
func evidenceReasons(v wire.Violation, lang terms.Lang) []string {
	var out []string
	for _, e := range v.Evidence {
		if r := terms.EvidenceReason(e.Detail, lang); r != "" && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

func evidenceMethods(v wire.Violation) []string {
	var out []string
	for _, e := range v.Evidence {
		if !slices.Contains(out, e.Method) {
			out = append(out, e.Method)
		}
	}
	return out
}

func citeLine(v wire.Violation, sep string) string {
	var parts []string
	seen := map[string]bool{}
	for _, c := range v.Citations {
		k := c.Pack + c.Article
		if seen[k] {
			continue
		}
		seen[k] = true
		parts = append(parts, c.Document+c.Article)
	}
	return strings.Join(parts, sep)
}

func writeAuditTable(w io.Writer, vs []wire.Violation) error {
	if len(vs) == 0 {
		_, err := fmt.Fprintln(w, "未发现违规。(no violations)")
		return err
	}
	at := func(t time.Time) string { return t.In(chinatime.Location).Format("2006-01-02 15:04") }
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "部门\t规则\t对象\t严重程度\t状态\t证据\t首次发现\t依据")
	for _, v := range vs {
		status := terms.Status(v.Status, terms.ZH)
		if v.Registered {
			status += "(已登记)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d (%s)\t%s\t%s\n", v.Department, terms.RuleTitle(v.Rule, v.Registered, terms.ZH), v.Subject,
			terms.Severity(v.Severity, terms.ZH), status, len(v.Evidence), strings.Join(evidenceMethods(v), ","),
			at(v.FirstSeen), citeLine(v, ";"))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	for _, v := range vs {
		fmt.Fprintf(w, "\n[%s] %s %s\n", v.ID, v.Department, v.Title)
		if v.Exemption != nil {
			fmt.Fprintf(w, "  豁免: %s (批准: %s, 至 %s)\n", v.Exemption.Basis, v.Exemption.Approver, v.Exemption.Expires.Format("2006-01-02"))
		}
		seen := map[string]bool{}
		for _, c := range v.Citations {
			if seen[c.Pack+c.Article+c.Text] {
				continue
			}
			seen[c.Pack+c.Article+c.Text] = true
			fmt.Fprintf(w, "  依据 %s %s: %s\n", c.Document, c.Article, c.Text)
		}
		for _, e := range v.Evidence {
			reason := terms.EvidenceReason(e.Detail, terms.ZH)
			if reason == "" {
				b, _ := json.Marshal(e.Detail)
				reason = string(b)
				if r := []rune(reason); len(r) > 200 {
					reason = string(r[:200]) + "…"
				}
			}
			fmt.Fprintf(w, "  证据 %s %s %s: %s\n", at(e.ObservedAt), e.Agent, e.Method, reason)
		}
	}
	return nil
}
