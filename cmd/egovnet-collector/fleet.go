package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/egovnet/egovnet/collector/fleet"
	"github.com/egovnet/egovnet/collector/server"
	"github.com/egovnet/egovnet/internal/cliexit"
	"github.com/spf13/cobra"
)

// newAgentConfigCmd is `agent config set|show`: the department's central
// agent configuration (CONTRACT "Agents managed from the collector").
func newAgentConfigCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Show or set a department's central agent configuration", Args: noArgs}
	var dept, targets, ports, interval, communities, communityFile, paths, profile string
	set := &cobra.Command{
		Use:   "set",
		Short: "Set a department's agent configuration; flags not given keep their value (without --targets the plan's prefixes are the scope)",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if dept == "" {
				return cliexit.Usagef("--department is required")
			}
			return g.withApp(c.Context(), true, func(app *server.App) error {
				f := c.Flags()
				given := func(name string, v *string) *string {
					if f.Changed(name) {
						return v
					}
					return nil
				}
				out, err := app.SetAgentConfig(c.Context(), dept, fleet.Change{Targets: given("targets", &targets), Ports: given("ports", &ports),
					Interval: given("interval", &interval), Communities: given("snmp-community", &communities),
					CommunityFile: given("snmp-community-file", &communityFile), Paths: given("path-targets", &paths), Profile: given("profile", &profile)})
				var ue *server.UsageError
				if errors.As(err, &ue) {
					return cliexit.Usage(err)
				}
				if err != nil {
					return err
				}
				return writeJSON(g.stdout, out)
			})
		},
	}
	f := set.Flags()
	f.StringVar(&dept, "department", "", "department code (required)")
	f.StringVar(&targets, "targets", "", "scope CIDRs, comma-separated (empty: the plan's prefixes)")
	f.StringVar(&ports, "ports", "", "TCP ports, comma-separated")
	f.StringVar(&interval, "interval", "", "scan interval (e.g. 1h)")
	f.StringVar(&communities, "snmp-community", "", "SNMP v2c communities, comma-separated (stored encrypted, never shown back)")
	f.StringVar(&communityFile, "snmp-community-file", "", "read the communities from this file, one per line (- is not accepted: keep secrets out of history)")
	f.StringVar(&paths, "path-targets", "", "path-probe targets, comma-separated")
	f.StringVar(&profile, "profile", "", "network or endpoint")
	show := &cobra.Command{
		Use:   "show",
		Short: "Show a department's agent configuration (secrets redacted)",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if dept == "" {
				return cliexit.Usagef("--department is required")
			}
			return g.withApp(c.Context(), true, func(app *server.App) error {
				cur, err := app.Fleet.Config(c.Context(), dept)
				if err != nil {
					return err
				}
				return writeJSON(g.stdout, cur)
			})
		},
	}
	show.Flags().StringVar(&dept, "department", "", "department code (required)")
	cmd.AddCommand(set, show)
	return cmd
}

// newAgentScanCmd is `agent scan --id ID`: scan at the next poll.
func newAgentScanCmd(g *globals) *cobra.Command {
	var id string
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Ask an agent to scan now (it starts at its next poll, within collector.poll_interval)",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if id == "" {
				return cliexit.Usagef("--id is required")
			}
			return g.withApp(c.Context(), false, func(app *server.App) error {
				dept, at, err := app.Fleet.RequestScan(c.Context(), id)
				if errors.Is(err, fleet.ErrUnknownAgent) {
					return cliexit.Usagef("--id %s: no such agent, or revoked", id)
				}
				if err != nil {
					return err
				}
				app.AuditOperator(c.Context(), "agent.scan", id, "ok", dept)
				fmt.Fprintf(g.stdout, "scan requested for agent %s (%s) at %s\n", id, dept, at.Format(time.RFC3339))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "agent id (from agent list)")
	return cmd
}

// newReleaseCmd is `release add`: store an agent build signed with the
// collector's release key.
func newReleaseCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "release", Short: "Signed agent builds for self-update", Args: noArgs}
	var file, version, goos, goarch string
	add := &cobra.Command{
		Use:   "add",
		Short: "Sign and store an agent build; agents with update.auto install the newest for their platform",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var missing []string
			for name, v := range map[string]string{"--file": file, "--version": version, "--os": goos, "--arch": goarch} {
				if v == "" {
					missing = append(missing, name)
				}
			}
			if len(missing) > 0 {
				return cliexit.Usagef("required: %s", strings.Join(missing, ", "))
			}
			fh, err := os.Open(file)
			if err != nil {
				return cliexit.Usagef("--file: %v", err)
			}
			defer fh.Close()
			return g.withApp(c.Context(), false, func(app *server.App) error {
				info, err := app.Fleet.AddRelease(c.Context(), fh, version, goos, goarch, server.Operator().Name)
				var inv *fleet.InvalidError
				if errors.As(err, &inv) {
					return cliexit.Usage(inv)
				}
				if err != nil {
					return err
				}
				app.AuditOperator(c.Context(), "release.add", info.OS+"/"+info.Arch+" "+info.Version, "ok", info.SHA256)
				return writeJSON(g.stdout, info)
			})
		},
	}
	f := add.Flags()
	f.StringVar(&file, "file", "", "the agent binary")
	f.StringVar(&version, "version", "", "its version (as egovnet-agent version prints it)")
	f.StringVar(&goos, "os", "", "GOOS: linux or windows")
	f.StringVar(&goarch, "arch", "", "GOARCH: amd64, arm64, loong64, mips64le, 386")
	cmd.AddCommand(add)
	return cmd
}
