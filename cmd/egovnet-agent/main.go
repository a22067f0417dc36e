// Command egovnet-agent discovers what a department network holds and
// reports it to the egovnet collector. This package only wires: flags,
// configuration, logging and the probe implementations; the work is in
// agent/... packages.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
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

// exitCoder is an error that names its exit status (2: bad usage or config).
type exitCoder interface{ ExitCode() int }

// usageError is bad usage or invalid configuration: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }
func (e usageError) ExitCode() int { return 2 }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

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
	var ec exitCoder
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	if isCobraUsage(err) {
		return 2
	}
	return 1
}

// isCobraUsage recognises cobra's own usage errors (unknown command, bad args).
func isCobraUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "invalid argument", "flag needs an argument", "required flag"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "egovnet-agent",
		Short:         "egovnet 探测代理: discovers endpoints, exits, private links and software on a department network",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageError{errors.New("a command is required (scan, snmp-walk, enroll, run, version); see --help")}
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
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
