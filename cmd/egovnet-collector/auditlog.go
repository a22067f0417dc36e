package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/safetext"
	"github.com/egovnet/egovnet/collector/server"
	"github.com/egovnet/egovnet/internal/cliexit"
	"github.com/spf13/cobra"
)

func newAuditlogCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "auditlog", Short: "Read and verify the hash-chained audit log", Args: noArgs}
	var since, format string
	list := &cobra.Command{
		Use:   "list",
		Short: "Print audit entries, oldest first",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			from, err := auditlog.ParseSince(since, time.Now())
			if err != nil {
				return cliexit.Usage(err)
			}
			if format != "table" && format != "json" {
				return cliexit.Usagef("--format must be json or table (got %q)", format)
			}
			return g.withApp(c.Context(), false, func(app *server.App) error {
				entries, err := app.Audit.List(c.Context(), from, 0)
				if err != nil {
					return err
				}
				if format == "json" {
					return writeJSON(g.stdout, entries)
				}
				tw := newTable(g.stdout, "SEQ\tTIME\tKIND\tACTOR\tACTION\tDEPARTMENT\tTARGET\tOUTCOME\tREMOTE")
				for _, e := range entries {
					// Login names and targets are whatever a client sent:
					// escaped, so they cannot drive the operator's terminal.
					// Tabs too, so they cannot shift the columns.
					esc := func(s string) string { return strings.ReplaceAll(safetext.Terminal(s), "\t", `\t`) }
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.At.Format(time.RFC3339), esc(e.ActorKind), esc(e.Actor), esc(e.Action), esc(e.Department), esc(e.Target), esc(e.Outcome), esc(e.Remote))
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().StringVar(&since, "since", "", "only entries since a duration ago (24h, 7d) or a date (2026-01-31, RFC3339)")
	list.Flags().StringVar(&format, "format", "table", "json or table")

	verify := &cobra.Command{
		Use:   "verify",
		Short: "Check the hash chain; exits non-zero naming the first broken entry",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return g.withApp(c.Context(), false, func(app *server.App) error {
				res, err := app.Audit.Verify(c.Context())
				if err != nil {
					return err
				}
				if res.Broken != nil {
					return res.Broken
				}
				fmt.Fprintf(g.stdout, "audit log intact: %d entries (seq %d..%d)\n", res.Entries, res.First, res.Last)
				return nil
			})
		},
	}
	cmd.AddCommand(list, verify)
	return cmd
}
