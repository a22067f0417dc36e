package main

import (
	"fmt"
	"time"

	"github.com/egovnet/egovnet/collector/server"
	"github.com/egovnet/egovnet/internal/cliexit"
	"github.com/spf13/cobra"
)

func newAgentCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "agent", Short: "List agents with their health, revoke one, set a department's agent configuration, ask for a scan", Args: noArgs}
	var dept string
	list := &cobra.Command{
		Use:   "list",
		Short: "List enrolled agents",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return g.withApp(c.Context(), false, func(app *server.App) error {
				agents, err := app.Fleet.Agents(c.Context(), dept)
				if err != nil {
					return err
				}
				tw := newTable(g.stdout, "ID\tDEPARTMENT\tHOSTNAME\tVERSION\tPROFILE\tOS/ARCH\tSTATUS\tLAST SEEN\tLAST REPORT\tSPOOL")
				stamp := func(t *time.Time) string {
					if t == nil {
						return "-"
					}
					return t.Format(time.RFC3339)
				}
				for _, a := range agents {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s/%s\t%s\t%s\t%s\t%d\n", a.ID, a.Department, a.Hostname, a.Version, a.Profile,
						a.OS, a.Arch, a.Status, stamp(a.LastSeen), stamp(a.LastReportAt), a.SpoolDepth)
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().StringVar(&dept, "department", "", "only this department")
	var id string
	revoke := &cobra.Command{
		Use:   "revoke",
		Short: "Revoke an agent's credential (its uploads get 401; its reports stay)",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if id == "" {
				return cliexit.Usagef("--id is required")
			}
			return g.withApp(c.Context(), false, func(app *server.App) error {
				if err := app.Auth.RevokeAgent(c.Context(), id, server.Operator()); err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "revoked agent %s\n", id)
				return nil
			})
		},
	}
	revoke.Flags().StringVar(&id, "id", "", "agent id (from agent list)")
	cmd.AddCommand(list, revoke, newAgentConfigCmd(g), newAgentScanCmd(g))
	return cmd
}
