package rules

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/egovnet/egovnet/internal/wire"
)

// WriteJSON writes violations as an indented JSON array ([] when none).
func WriteJSON(w io.Writer, vs []wire.Violation) error {
	if vs == nil {
		vs = []wire.Violation{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(vs)
}

// CSVHeader is the header row of the CSV export (zh-CN, with English keys
// in the first row's comments kept stable for scripts).
var CSVHeader = []string{"id", "department", "rule", "rule_zh", "subject", "severity", "status", "registered",
	"first_seen", "last_seen", "evidence_count", "methods", "citations", "exemption_basis", "exemption_approver", "exemption_expires",
	"status_zh", "evidence_zh"}

// WriteCSV writes one row per violation.
func WriteCSV(w io.Writer, vs []wire.Violation) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	for _, v := range vs {
		row := []string{v.ID, v.Department, v.Rule, RuleTitle(v.Rule, v.Registered), v.Subject, v.Severity, v.Status,
			fmt.Sprint(v.Registered), v.FirstSeen.UTC().Format(time.RFC3339), v.LastSeen.UTC().Format(time.RFC3339),
			fmt.Sprint(len(v.Evidence)), strings.Join(methods(v), ";"), citeLine(v, "; "), "", "", "",
			StatusName(v.Status, "zh-CN"), strings.Join(reasons(v, "zh-CN"), "; ")}
		if v.Exemption != nil {
			row[13], row[14], row[15] = v.Exemption.Basis, v.Exemption.Approver, v.Exemption.Expires.Format("2006-01-02")
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	return cw.Error()
}

// reasons are the distinct evidence reasons of a violation in lang.
func reasons(v wire.Violation, lang string) []string {
	var out []string
	for _, e := range v.Evidence {
		if r := evidenceReason(e.Detail, lang); r != "" && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

func methods(v wire.Violation) []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range v.Evidence {
		if !seen[e.Method] {
			seen[e.Method] = true
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

// WriteTable writes a readable zh-CN table followed by each finding's
// citations and evidence summary.
func WriteTable(w io.Writer, vs []wire.Violation) error {
	if len(vs) == 0 {
		_, err := fmt.Fprintln(w, "未发现违规。(no violations)")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "部门\t规则\t对象\t严重程度\t状态\t证据\t首次发现\t依据")
	for _, v := range vs {
		status := StatusTitle(v.Status)
		if v.Registered {
			status += "(已登记)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d (%s)\t%s\t%s\n", v.Department, RuleTitle(v.Rule, v.Registered), v.Subject,
			SeverityTitle(v.Severity), status, len(v.Evidence), strings.Join(methods(v), ","),
			v.FirstSeen.In(chinaTime()).Format("2006-01-02 15:04"), citeLine(v, ";"))
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
			reason := evidenceReason(e.Detail, "zh-CN")
			if reason == "" {
				b, _ := json.Marshal(e.Detail)
				reason = string(b)
				if r := []rune(reason); len(r) > 200 {
					reason = string(r[:200]) + "…"
				}
			}
			fmt.Fprintf(w, "  证据 %s %s %s: %s\n", e.ObservedAt.In(chinaTime()).Format("2006-01-02 15:04"), e.Agent, e.Method, reason)
		}
	}
	return nil
}

func chinaTime() *time.Location { return time.FixedZone("CST", 8*3600) }
