// Command egovnet-lab builds test networks in Linux network namespaces
// (see deploy/lab/README.md). Exit status: 0 ok, 1 runtime failure, 2 bad
// usage or bad scenario; exec passes on the command's own status.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/egovnet/egovnet/internal/cliexit"
)

// exitError carries a child's exit status through cobra (exec).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

type globals struct {
	stateDir string
	verbose  bool
	log      *slog.Logger
}

func main() { os.Exit(run()) }

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot()
	root.SetArgs(os.Args[1:])
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	fmt.Fprintln(os.Stderr, "egovnet-lab:", err)
	return cliexit.Code(err)
}

func newRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "egovnet-lab",
		Short:         "Build egovnet test networks in Linux network namespaces (root only)",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(*cobra.Command, []string) {
			level := slog.LevelInfo
			if g.verbose {
				level = slog.LevelDebug
			}
			g.log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
		},
	}
	def := os.Getenv("EGOVNET_LAB_STATE_DIR")
	if def == "" {
		def = "/run/egovnet-lab"
	}
	root.PersistentFlags().StringVar(&g.stateDir, "state-dir", def, "where runs are recorded (env EGOVNET_LAB_STATE_DIR)")
	root.PersistentFlags().BoolVarP(&g.verbose, "verbose", "v", false, "log every step")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cliexit.Usage(err) })
	root.AddCommand(newUpCmd(g), newDownCmd(g), newExecCmd(g), newStatusCmd(g), newValidateCmd(),
		newAgentConfigCmd(g), newServeTCPCmd(), newServeHTTPCmd(), newServeRelayCmd(), newServeDNSCmd(), newSoftwareCmd(g))
	return root
}
