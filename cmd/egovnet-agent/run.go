package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	agentconfig "github.com/egovnet/egovnet/agent/config"
	"github.com/egovnet/egovnet/agent/discover"
	"github.com/egovnet/egovnet/agent/scheduler"
	"github.com/egovnet/egovnet/agent/spool"
	"github.com/egovnet/egovnet/agent/uplink"
	"github.com/egovnet/egovnet/internal/config"
	"github.com/egovnet/egovnet/internal/version"
	"github.com/egovnet/egovnet/internal/wire"
)

func newRunCmd() *cobra.Command {
	var cfgFile string
	var once bool
	cmd := &cobra.Command{
		Use:   "run [--config F] [--once]",
		Short: "The daemon: scheduled scans, spool, upload; --once: one scan, upload (or spool), exit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := agentconfig.Load(config.New(), cfgFile)
			if err != nil {
				return usageError{err}
			}
			log := newLogger(cmd.ErrOrStderr(), cfg.Log.Level)
			agent, id, err := agentIdentity(cfg)
			if err != nil {
				// Not fatal: reports are still made and spooled until it is fixed.
				log.Error("enrolment identity unreadable: reports stay in the spool", "err", err)
			}
			for _, w := range cfg.Warnings() {
				log.Warn(w)
			}
			enabled, _ := discover.Enabled("", false, cfg)
			if len(cfg.Scope.Targets) == 0 {
				log.Warn("scope.targets is empty: no network is scanned until it is configured (host facts and paths only)")
				discover.DisableScope(enabled, cfg)
			}
			req := discover.NewRequest(cfg, enabled, agent)
			sp, err := spool.Open(filepath.Join(cfg.DataDir, "spool"), cfg.Spool.MaxReports)
			if err != nil {
				return err
			}
			cyc := &scheduler.Cycle{
				Scan: func(ctx context.Context) *wire.ScanReport {
					return discover.RunList(ctx, discover.Registry(cfg), discover.Hooks{}, req)
				},
				Spool:      sp,
				MaxReports: cfg.Spool.MaxReports,
				Log:        log,
			}
			collectorURL, caFile := cfg.Collector.URL, cfg.Collector.CAFile
			cyc.Credential = cfg.Collector.Credential.Reveal()
			if id != nil {
				if collectorURL == "" {
					collectorURL = id.Collector
				}
				if caFile == "" {
					caFile = id.CAFile
				}
				if cyc.Credential == "" {
					cyc.Credential = id.Credential.Reveal()
				}
			}
			if collectorURL != "" {
				cyc.Client, err = uplink.New(collectorURL, uplink.Options{CAFile: caFile, UserAgent: "egovnet-agent/" + version.Version})
				if err != nil {
					return usageError{err}
				}
			}
			log.Info("agent starting", "agent", agent.ID, "department", agent.Department, "targets", len(req.Scope), "once", once)
			if !once {
				return scheduler.Loop(cmd.Context(), cyc, cfg.Schedule.Interval, cfg.Schedule.Jitter)
			}
			res, err := cyc.Run(cmd.Context())
			if err != nil {
				return err
			}
			if res.Flush.Rejected > 0 {
				return fmt.Errorf("collector refused %d report(s); see %s", res.Flush.Rejected, filepath.Join(sp.Dir(), "rejected"))
			}
			if res.FlushErr != nil && !errors.Is(res.FlushErr, uplink.ErrNotEnrolled) {
				log.Warn("report kept in the spool for the next run", "report", res.ReportID)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&cfgFile, "config", "", "agent config file (YAML)")
	cmd.Flags().BoolVar(&once, "once", false, "one scan, upload (or spool), exit")
	return cmd
}
