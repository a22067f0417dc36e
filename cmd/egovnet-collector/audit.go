package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/egovnet/egovnet/collector/export"
	"github.com/egovnet/egovnet/collector/ledger"
	"github.com/egovnet/egovnet/collector/rules"
	"github.com/egovnet/egovnet/collector/safetext"
	"github.com/egovnet/egovnet/collector/server"
	"github.com/egovnet/egovnet/internal/cliexit"
	"github.com/egovnet/egovnet/internal/plan"
	"github.com/egovnet/egovnet/internal/wire"
	"github.com/spf13/cobra"
)

// maxAuditReportBytes bounds one report file read by the offline audit.
const maxAuditReportBytes = 512 << 20

func newAuditCmd() *cobra.Command {
	var planFile, format string
	var reports []string
	cmd := &cobra.Command{
		Use:   "audit --plan F --report F[,F...] [--format json|table|csv]",
		Short: "Offline: judge scan report files against a plan and print the violations",
		Long: `Judge scan report files against the district plan and the plan's policy packs, offline:
no server and no database. A report belongs to its agent.department when set, otherwise to the
department whose prefixes (classified ones included) contain its scope; each agent's latest
report per department is judged.

Exit status: 0 when the audit ran, even with findings (findings are the output, not a failure);
1 on a runtime error; 2 on a bad plan, report or flag, with every problem named on stderr.`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var problems []error
			if planFile == "" {
				problems = append(problems, errors.New("--plan is required"))
			}
			if len(reports) == 0 {
				problems = append(problems, errors.New("--report is required (one or more files, comma-separated)"))
			}
			switch format {
			case export.AuditJSON, export.AuditTable, export.AuditCSV:
			default:
				problems = append(problems, fmt.Errorf("--format %q: want json, table or csv", format))
			}
			if len(problems) > 0 {
				return cliexit.Usage(errors.Join(problems...))
			}
			p, err := plan.Load(planFile)
			if err != nil {
				problems = append(problems, fmt.Errorf("invalid plan:\n%w", err))
			}
			var reps []*wire.ScanReport
			for _, f := range reports {
				f = strings.TrimSpace(f)
				if f == "" {
					continue
				}
				r, err := readAuditReport(f)
				if err != nil {
					problems = append(problems, err)
					continue
				}
				reps = append(reps, r)
			}
			var ledgerDet *ledger.Detector
			if p != nil {
				if err := rules.CheckDepartments(p, reps); err != nil {
					problems = append(problems, err)
				}
				if ledgerDet, err = ledger.OfflineDetectorForPlan(p, planFile); err != nil {
					problems = append(problems, err)
				}
			}
			if len(problems) > 0 {
				return cliexit.Usage(errors.Join(problems...))
			}
			eng, err := server.NewRulesEngine(p, "", ledgerDet)
			if err != nil {
				return err
			}
			vs, err := eng.EvaluateReports(c.Context(), reps)
			if err != nil {
				return err
			}
			out := c.OutOrStdout()
			if format == "table" {
				// Subjects and evidence come from the network: nothing may
				// reach the terminal as an escape sequence (CSV cells are
				// defused by the export writer, JSON escapes them).
				tw := safetext.NewWriter(out)
				if err := export.WriteAudit(tw, format, vs); err != nil {
					return err
				}
				return tw.Flush()
			}
			return export.WriteAudit(out, format, vs)
		},
	}
	cmd.Flags().StringVar(&planFile, "plan", "", "district plan file (plan.yaml, required)")
	cmd.Flags().StringSliceVar(&reports, "report", nil, "scan report JSON file(s), comma-separated or repeated (required)")
	cmd.Flags().StringVar(&format, "format", "table", "output: json (wire.Violation list), table (zh-CN) or csv")
	return cmd
}

func readAuditReport(path string) (*wire.ScanReport, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", path, err)
	}
	defer f.Close()
	r, err := wire.DecodeReport(f, maxAuditReportBytes)
	if err != nil {
		return nil, fmt.Errorf("report %s:\n%w", path, err)
	}
	return r, nil
}
