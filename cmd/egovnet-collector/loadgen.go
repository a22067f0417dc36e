package main

import (
	"encoding/json"
	"errors"
	"os"
	"time"

	"github.com/egovnet/egovnet/collector/loadgen"
	"github.com/egovnet/egovnet/internal/cliexit"
	"github.com/spf13/cobra"
)

// newLoadgenCmd wires collector/loadgen: flags in, result out.
func newLoadgenCmd(g *globals) *cobra.Command {
	var (
		o      loadgen.Options
		so     loadgen.StartOptions
		ao     loadgen.AttachOptions
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "loadgen",
		Short: "Load a collector on loopback with synthetic agents and reports; print throughput, latency and memory",
		Long: "Enrol synthetic agents over the plan's departments and upload synthetic, valid scan reports (data only:\n" +
			"addresses of the plan's private or documentation prefixes; nothing is probed) to a collector on loopback.\n" +
			"Without --url, loadgen starts `egovnet-collector serve` itself with the product defaults, a generated plan of\n" +
			"--departments departments and SQLite (or a fresh schema of --postgres, dropped afterwards).\n" +
			"With --url, it loads that collector; --config names its configuration (its plan; tokens are minted with it).\n" +
			"Its synthetic agents are revoked there afterwards, but their reports stay stored: never load a production collector.\n" +
			"Scenarios: load (N agents at concurrency C), district (every department reports --fill endpoints, then\n" +
			"--samples single reports of --endpoints are timed), department (one department filled with --fill endpoints,\n" +
			"then single reports timed).",
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			o.Progress = g.stderr
			if err := o.Defaults().Validate(); err != nil {
				return cliexit.Usage(err)
			}
			var t *loadgen.Target
			var err error
			if ao.URL != "" {
				ao.ConfigFile = g.configFile
				ao.Password = os.Getenv("EGOVNET_LOADGEN_PASSWORD")
				if t, err = loadgen.Attach(ctx, ao); errors.Is(err, loadgen.ErrNotLoopback) {
					return cliexit.Usage(err)
				}
			} else {
				if g.configFile != "" {
					return cliexit.Usagef("--config names an existing collector's configuration: use it with --url")
				}
				t, err = loadgen.Start(ctx, so)
			}
			if err != nil {
				return err
			}
			defer t.Close()
			res, err := loadgen.Run(ctx, t, o)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			return res.WriteText(g.stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Scenario, "scenario", loadgen.ScenarioLoad, "load, district or department")
	f.IntVar(&o.Agents, "agents", 64, "load: agents to enrol, spread over the departments")
	f.IntVar(&o.Concurrency, "concurrency", 32, "uploads in flight")
	f.IntVar(&o.Endpoints, "endpoints", 0, "endpoints per measured report (default 10; district 500)")
	f.IntVar(&o.Reports, "reports", 0, "load: stop after this many uploads (default: run for --duration)")
	f.DurationVar(&o.Duration, "duration", 30*time.Second, "load: start uploads for this long when --reports is not set (those in flight are answered)")
	f.IntVar(&o.Fill, "fill", 0, "district: endpoints each department reports first (default 50); department: endpoints pre-filled (default 1000)")
	f.IntVar(&o.Samples, "samples", 10, "district/department: single reports timed one at a time")
	f.IntVar(&so.Departments, "departments", 50, "departments of the generated plan (own collector)")
	f.StringVar(&so.Postgres, "postgres", "", "own collector on PostgreSQL: DSN of a database where a fresh schema is made for the run and dropped after")
	f.StringVar(&so.Dir, "dir", "", "own collector's work directory (default a temporary one, removed after)")
	f.BoolVar(&so.Keep, "keep", false, "keep the own collector's work directory and PostgreSQL schema")
	f.StringVar(&ao.URL, "url", "", "load an existing collector at this loopback URL instead of starting one (with --config)")
	f.IntVar(&ao.PID, "pid", 0, "with --url: the collector's process id, for its memory")
	f.StringVar(&ao.User, "user", "", "with --url: a user who may list reports, to check every acknowledged report is stored (password in EGOVNET_LOADGEN_PASSWORD)")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}
