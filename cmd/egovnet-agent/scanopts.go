package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	agentconfig "github.com/egovnet/egovnet/agent/config"
	"github.com/egovnet/egovnet/agent/discover"
	"github.com/egovnet/egovnet/agent/uplink"
	"github.com/egovnet/egovnet/internal/cliexit"
	"github.com/egovnet/egovnet/internal/config"
	"github.com/egovnet/egovnet/internal/version"
	"github.com/egovnet/egovnet/internal/wire"
)

// scanFlags are the CONTRACT's scan flags.
type scanFlags struct {
	config, methods, ports, format, out string
	targets, communities, pathTargets   []string
	timeout                             time.Duration
	retries, rate, snmpPort             int
}

func (f *scanFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.config, "config", "", "agent config file (YAML)")
	fl.StringSliceVar(&f.targets, "targets", nil, "CIDR[,CIDR...] to scan; overrides scope.targets")
	fl.StringVar(&f.methods, "methods", "", discover.Help())
	fl.StringVar(&f.ports, "ports", "", "TCP ports, e.g. 22,80,443,8000-8010; overrides scope.ports")
	fl.DurationVar(&f.timeout, "timeout", 0, "per-probe wait, e.g. 1s; overrides probe.timeout")
	fl.IntVar(&f.retries, "retries", 0, "extra tries per probe; overrides probe.retries")
	fl.IntVar(&f.rate, "rate", 0, "fixed packets per second; overrides probe.rate (default adaptive up to probe.max_rate)")
	fl.StringSliceVar(&f.communities, "snmp-community", nil, "SNMP community C[,C...]; overrides snmp.communities")
	fl.IntVar(&f.snmpPort, "snmp-port", 0, "SNMP port; overrides snmp.port")
	fl.StringSliceVar(&f.pathTargets, "path-targets", nil, "IP[,IP...] to trace (kind: prefix internet:, extranet: or private:); overrides paths.targets")
	fl.StringVar(&f.format, "format", "json", "output format: json or table")
	fl.StringVar(&f.out, "out", "", "write the report to this file instead of stdout")
}

// resolve loads the config and applies the flags that were given. Every
// problem is returned at once, as a usage error.
func (f *scanFlags) resolve(cmd *cobra.Command) (*agentconfig.Config, map[string]bool, error) {
	v := config.New()
	var c agentconfig.Config
	var problems []error
	// Decoding problems do not stop here: the flags and Validate below add
	// theirs, so one run names every problem.
	if err := config.Load(v, f.config, agentconfig.Defaults(), &c); err != nil {
		problems = append(problems, err)
	}
	ch := cmd.Flags().Changed
	if ch("targets") {
		c.Scope.Targets = f.targets
	}
	if ch("ports") {
		ps, err := agentconfig.ParsePorts(f.ports)
		if err != nil {
			problems = append(problems, fmt.Errorf("--ports: %w", err))
		}
		c.Scope.Ports = ps
	}
	if ch("timeout") {
		c.Probe.Timeout = f.timeout
	}
	if ch("retries") {
		c.Probe.Retries = f.retries
	}
	if ch("rate") {
		c.Probe.Rate = f.rate
	}
	if ch("snmp-community") {
		c.SNMP.Communities = nil
		for _, s := range f.communities {
			c.SNMP.Communities = append(c.SNMP.Communities, config.Secret(s))
		}
	}
	if ch("snmp-port") {
		c.SNMP.Port = f.snmpPort
	}
	if ch("path-targets") {
		c.Paths.Targets = nil
		for _, s := range f.pathTargets {
			var pt agentconfig.PathTarget
			_ = pt.UnmarshalText([]byte(s))
			c.Paths.Targets = append(c.Paths.Targets, pt)
		}
	}
	if err := c.Validate(); err != nil {
		problems = append(problems, err)
	}
	methods, err := discover.Enabled(f.methods, ch("methods"), &c)
	if err != nil {
		problems = append(problems, err)
	}
	if f.format != "json" && f.format != "table" {
		problems = append(problems, fmt.Errorf("--format %q: want json or table", f.format))
	}
	if len(problems) == 0 {
		if err := discover.CheckScope(methods, &c); err != nil {
			problems = append(problems, err)
		}
	}
	if len(problems) > 0 {
		return nil, nil, cliexit.Usage(errors.Join(problems...))
	}
	return &c, methods, nil
}

// agentIdentity reads the enrolment identity, if any, and names the agent
// in reports (discover.ReportAgent). The error is nil when enrolled or
// simply not enrolled; anything else (an unreadable identity file) is
// returned with the unenrolled name.
func agentIdentity(c *agentconfig.Config) (wire.Agent, *uplink.Identity, error) {
	host, _ := os.Hostname()
	id, err := uplink.LoadIdentity(c.DataDir)
	if err != nil {
		if errors.Is(err, uplink.ErrNotEnrolled) {
			err = nil
		}
		return discover.ReportAgent(c, host, version.Version, nil), nil, err
	}
	return discover.ReportAgent(c, host, version.Version, &id), &id, nil
}
