package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/egovnet/egovnet/agent/winsvc"
	"github.com/egovnet/egovnet/internal/cliexit"
)

// newServiceCmd is `service install|uninstall|start|stop` (Windows).
func newServiceCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "service", Short: "Manage the Windows service (install, uninstall, start, stop)", Args: cobra.NoArgs}
	var cfgFile, profile string
	install := &cobra.Command{
		Use:   "install [--config F] [--profile network|endpoint]",
		Short: "Install the agent as an automatic Windows service that runs `run`, restarted after a failure",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			args := []string{"run"}
			if cfgFile != "" {
				abs, err := filepath.Abs(cfgFile)
				if err != nil {
					return cliexit.Usage(err)
				}
				args = append(args, "--config", abs)
			}
			if profile != "" {
				args = append(args, "--profile", profile)
			}
			if err := winsvc.Install(exe, args); err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "installed service %s\n", winsvc.Name)
			return nil
		},
	}
	install.Flags().StringVar(&cfgFile, "config", "", "agent config file the service runs with")
	install.Flags().StringVar(&profile, "profile", "", "network or endpoint (default: the config's)")
	simple := func(use, short string, fn func() error) *cobra.Command {
		return &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs, RunE: func(c *cobra.Command, _ []string) error {
			if err := fn(); err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "%s: done\n", use)
			return nil
		}}
	}
	cmd.AddCommand(install,
		simple("uninstall", "Stop and remove the service", winsvc.Uninstall),
		simple("start", "Start the service", winsvc.Start),
		simple("stop", "Stop the service", winsvc.Stop))
	return cmd
}
