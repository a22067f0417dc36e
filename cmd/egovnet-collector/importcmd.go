package main

import (
	"errors"
	"fmt"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/server"
	"github.com/egovnet/egovnet/internal/cliexit"
	"github.com/spf13/cobra"
)

func newImportCmd(g *globals) *cobra.Command {
	var file, dept string
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Ingest a scan report file (offline scan); importing it twice stores it once",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if file == "" {
				return cliexit.Usagef("--report is required")
			}
			return g.withApp(c.Context(), true, func(app *server.App) error {
				op := server.Operator()
				res, err := app.Import(c.Context(), file, dept, auditlog.Entry{ActorKind: op.Kind, Actor: op.Name})
				var ue *server.UsageError
				if errors.As(err, &ue) {
					return cliexit.Usage(err)
				}
				if err != nil {
					return err
				}
				if res.Overrode != "" {
					fmt.Fprintf(g.stderr, "note: the report says department %s; --department %s wins\n", res.Overrode, res.Department)
				}
				if res.Stored {
					fmt.Fprintf(g.stdout, "stored report %s for department %s\n", res.ReportID, res.Department)
				} else {
					fmt.Fprintf(g.stdout, "already present: report %s for department %s (not stored again)\n", res.ReportID, res.Department)
				}
				for _, pe := range res.ProcessErrors {
					fmt.Fprintf(g.stderr, "warning: processing failed, the report stays pending and is retried at the next start: %s\n", pe)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&file, "report", "", "scan report JSON file (required)")
	cmd.Flags().StringVar(&dept, "department", "", "department code (default: the report's agent.department, else the plan department containing its scope)")
	return cmd
}
