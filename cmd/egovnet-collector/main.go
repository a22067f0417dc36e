// Command egovnet-collector receives scan reports from egovnet agents, keeps
// the inventory, judges it against the district plan and serves the API.
// This file only wires: flags, configuration, logging and exit codes.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/egovnet/egovnet/collector/config"
	"github.com/egovnet/egovnet/collector/server"
	"github.com/egovnet/egovnet/internal/cliexit"
	"github.com/egovnet/egovnet/internal/version"
	"github.com/spf13/cobra"
)

// Exit codes (CONTRACT), named here for the commands and tests of this
// package; internal/cliexit holds the mapping every binary shares.
const (
	exitOK      = cliexit.OK
	exitFailure = cliexit.Failure
	exitUsage   = cliexit.BadUsage
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

// globals are the flags every command shares.
type globals struct {
	configFile string
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRootCmd(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "egovnet-collector:", err)
	// A missing or invalid plan is invalid configuration.
	var pe *server.PlanError
	if errors.As(err, &pe) || errors.Is(err, server.ErrNoPlan) {
		return exitUsage
	}
	return cliexit.Code(err)
}

func newRootCmd(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:           "egovnet-collector",
		Short:         "Receive egovnet scan reports, keep the inventory and serve the API",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.configFile, "config", "", "collector configuration file (YAML); every key can be overridden by EGOVNET_<KEY>")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cliexit.Usage(err) })
	root.AddCommand(
		newServeCmd(g),
		newTokenCmd(g),
		newImportCmd(g),
		newUserCmd(g),
		newAuditlogCmd(g),
		newAgentCmd(g),
		newReleaseCmd(g),
		newVersionCmd(g),
		newAuditCmd(),   // rules engineer: offline audit
		newCatalogCmd(), // ledger engineer: software catalogue
		newExportCmd(),  // progress/export engineer: exports
		newLicenseCmd(), // licence ledger import/export for administrators
		newLoadgenCmd(g),
	)
	return root
}

// noArgs rejects positional arguments as bad usage.
func noArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return cliexit.Usagef("unexpected arguments: %s", strings.Join(args, " "))
	}
	return nil
}

// loadConfig loads and validates the configuration; every problem is named.
func (g *globals) loadConfig() (*config.Config, error) {
	cfg, err := config.Load(g.configFile)
	if err != nil {
		return nil, cliexit.Usage(fmt.Errorf("invalid configuration:\n%w", err))
	}
	return cfg, nil
}

func (g *globals) logger(cfg *config.Config) *slog.Logger {
	level, _ := config.ParseLevel(cfg.Log.Level)
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(g.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(g.stderr, opts))
}

// open loads the configuration and opens the collector. withPlan=false skips
// the plan (commands such as auditlog that must work even with a bad plan).
func (g *globals) open(ctx context.Context, withPlan bool) (*server.App, error) {
	cfg, err := g.loadConfig()
	if err != nil {
		return nil, err
	}
	if !withPlan {
		cfg.PlanFile = ""
	}
	return server.Open(ctx, cfg, g.logger(cfg))
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print version, commit and Go version",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(g.stdout, "egovnet-collector %s (commit %s, %s)\n", version.Version, version.Commit, version.GoVersion())
			return nil
		},
	}
}
