package main

import (
	"context"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	agentconfig "github.com/egovnet/egovnet/agent/config"
	"github.com/egovnet/egovnet/agent/daemon"
	"github.com/egovnet/egovnet/agent/scheduler"
	"github.com/egovnet/egovnet/agent/spool"
	"github.com/egovnet/egovnet/agent/update"
	"github.com/egovnet/egovnet/agent/uplink"
	"github.com/egovnet/egovnet/agent/winsvc"
	"github.com/egovnet/egovnet/internal/cliexit"
	"github.com/egovnet/egovnet/internal/config"
	"github.com/egovnet/egovnet/internal/version"
)

func newRunCmd() *cobra.Command {
	var cfgFile, profile, out string
	var once bool
	cmd := &cobra.Command{
		Use:   "run [--config F] [--once] [--profile network|endpoint]",
		Short: "The daemon: scheduled scans under the collector's central configuration, spool, upload, signed self-update; --once: one scan, upload (or spool), exit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out != "" && !once {
				return usagef("--out needs --once")
			}
			if profile != "" {
				// The flag is an explicit local setting, like the file's.
				os.Setenv("EGOVNET_PROFILE", profile)
			}
			cfg, err := agentconfig.Load(config.New(), cfgFile)
			if err != nil {
				return cliexit.Usage(err)
			}
			explicit, err := agentconfig.Explicit(cfgFile)
			if err != nil {
				return cliexit.Usage(err)
			}
			log := newLogger(cmd.ErrOrStderr(), cfg.Log.Level)
			exe, _ := os.Executable()
			if rb, err := update.Started(cfg.DataDir, exe, version.Version, log); err != nil {
				log.Error("update probation", "err", err)
			} else if rb {
				return update.Restart(exe)
			}
			agent, id, err := agentIdentity(cfg)
			if err != nil {
				// Not fatal: reports are still made and spooled until it is fixed.
				log.Error("enrolment identity unreadable: reports stay in the spool", "err", err)
			}
			for _, w := range cfg.Warnings() {
				log.Warn(w)
			}
			sp, err := spool.Open(filepath.Join(cfg.DataDir, "spool"), cfg.Spool.MaxReports)
			if err != nil {
				return err
			}
			ep := daemon.ResolveEndpoint(cfg.Collector, id)
			cyc := &scheduler.Cycle{Spool: sp, MaxReports: cfg.Spool.MaxReports, Credential: ep.Credential, Log: log}
			if ep.URL != "" {
				cyc.Client, err = uplink.New(ep.URL, uplink.Options{CAFile: ep.CAFile, UserAgent: "egovnet-agent/" + version.Version})
				if err != nil {
					return cliexit.Usage(err)
				}
			}
			d := &daemon.Daemon{Local: cfg, Explicit: explicit, Agent: agent, Cycle: cyc, Log: log}
			d.EnableManagement(daemon.Management{ReleaseKey: ep.ReleaseKey, Once: once, Version: version.Version, Exe: exe,
				Stats: func() (int64, int64) { return int64(sp.Depth()), sp.Dropped() }})
			log.Info("agent starting", "agent", agent.ID, "department", agent.Department, "profile", cfg.Profile, "once", once)
			if once {
				d.ApplyCentralOnce(cmd.Context())
				if out != "" {
					return d.WriteOnce(cmd.Context(), out)
				}
				return d.RunOnce(cmd.Context())
			}
			run := func(ctx context.Context) error {
				stopRelay, err := startRelay(ctx, cfg, ep.URL, ep.CAFile, log)
				if err != nil {
					return err
				}
				restart, err := d.Run(ctx)
				stopRelay()
				if err == nil && restart {
					return update.Restart(exe)
				}
				return err
			}
			if winsvc.IsService() {
				return winsvc.Run(run)
			}
			return run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&cfgFile, "config", "", "agent config file (YAML)")
	cmd.Flags().BoolVar(&once, "once", false, "one scan, upload (or spool), exit")
	cmd.Flags().StringVar(&out, "out", "", "with --once: write the report to this file for `egovnet-collector import` instead of uploading (isolated networks)")
	cmd.Flags().StringVar(&profile, "profile", "", "network (discover the scope) or endpoint (this PC's own facts only); overrides the file")
	return cmd
}
