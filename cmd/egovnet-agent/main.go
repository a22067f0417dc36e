// Command egovnet-agent discovers what a department network holds and
// reports it to the egovnet collector. This package only wires: flags,
// configuration, logging and the probe implementations; the work is in
// agent/... packages.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/egovnet/egovnet/internal/cliexit"
)

func main() {
	// A soft heap limit: the agent runs on department PCs beside their
	// work, and a scan's garbage (a /16 report is built, validated and
	// encoded) need not double its footprint before the collector runs.
	// GC only works harder near the limit; nothing fails at it. The
	// standard GOMEMLIMIT overrides it.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(32 << 20)
	}
	os.Exit(run())
}

// usagef is cliexit.Usagef under the short name commands written before
// internal/cliexit use.
var usagef = cliexit.Usagef

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	// Every problem on its own line.
	for _, line := range strings.Split(err.Error(), "\n") {
		if strings.TrimSpace(line) != "" {
			fmt.Fprintln(os.Stderr, "egovnet-agent:", line)
		}
	}
	return cliexit.Code(err)
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "egovnet-agent",
		Short:         "egovnet 探测代理: discovers endpoints, exits, private links and software on a department network",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cliexit.Usagef("a command is required (scan, snmp-walk, enroll, run, version); see --help")
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cliexit.Usage(err) })
	root.AddCommand(newScanCmd(), newEnrollCmd(), newRunCmd(), newVersionCmd(), newSnmpWalkCmd(), newServiceCmd())
	return root
}

// newLogger writes text logs to w at level ("debug", "info", "warn", "error").
func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// stderrIsTerminal: progress is printed only for a person watching.
func stderrIsTerminal() bool {
	fi, err := os.Stderr.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
