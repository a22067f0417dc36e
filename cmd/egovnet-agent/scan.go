package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/egovnet/egovnet/agent/discover"
	"github.com/egovnet/egovnet/agent/render"
	"github.com/egovnet/egovnet/internal/wire"
)

func newScanCmd() *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "scan [--targets CIDR,...] [--methods icmp,tcp,arp,snmp,path,host] [flags]",
		Short: "Run one discovery scan and print the ScanReport (no collector needed)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, enabled, err := f.resolve(cmd)
			if err != nil {
				return err
			}
			log := newLogger(cmd.ErrOrStderr(), cfg.Log.Level)
			agent, _, err := agentIdentity(cfg)
			if err != nil {
				log.Warn("enrolment identity unreadable; the report names this agent as unenrolled", "err", err)
			}
			for _, w := range cfg.Warnings() {
				log.Warn(w)
			}
			req := discover.NewRequest(cfg, enabled, agent)
			if stderrIsTerminal() {
				req.Progress = func(format string, args ...any) {
					fmt.Fprintf(os.Stderr, "egovnet-agent: "+format+"\n", args...)
				}
			}
			rep := discover.RunList(cmd.Context(), discover.Registry(cfg), discover.Hooks{}, req)
			if err := rep.Validate(); err != nil {
				log.Warn("report fails validation", "err", err)
			}
			out := cmd.OutOrStdout()
			if f.out != "" {
				fh, err := os.Create(f.out)
				if err != nil {
					return fmt.Errorf("write report: %w", err)
				}
				defer fh.Close()
				out = fh
			}
			if err := writeReport(out, rep, f.format); err != nil {
				return err
			}
			if fh, ok := out.(*os.File); ok && f.out != "" {
				if err := fh.Close(); err != nil {
					return fmt.Errorf("write report: %w", err)
				}
			}
			if cmd.Context().Err() != nil {
				return fmt.Errorf("scan interrupted: %w", context.Cause(cmd.Context()))
			}
			return nil
		},
	}
	f.register(cmd)
	return cmd
}

func writeReport(w io.Writer, rep *wire.ScanReport, format string) error {
	if format == "table" {
		return render.Report(w, rep)
	}
	return render.JSON(w, rep)
}
