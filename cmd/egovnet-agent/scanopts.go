package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	agentconfig "github.com/egovnet/egovnet/agent/config"
	"github.com/egovnet/egovnet/agent/uplink"
	"github.com/egovnet/egovnet/internal/config"
	"github.com/egovnet/egovnet/internal/version"
	"github.com/egovnet/egovnet/internal/wire"
)

// The --methods names. "udp" (VPN service checks) and "http" (web titles)
// are extras: http follows tcp when scope.http is on.
var (
	contractMethods = []string{wire.MethodICMP, wire.MethodTCP, wire.MethodARP, wire.MethodSNMP, wire.MethodPath, wire.MethodHost}
	extraMethods    = []string{wire.MethodUDP, "http"}
	scopeMethods    = []string{wire.MethodICMP, wire.MethodTCP, wire.MethodARP, wire.MethodSNMP, wire.MethodUDP, "http"}
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
	fl.StringVar(&f.methods, "methods", "", "methods to run: icmp,tcp,arp,snmp,path,host (also udp, http); default all")
	fl.StringVar(&f.ports, "ports", "", "TCP ports, e.g. 22,80,443,8000-8010; overrides scope.ports")
	fl.DurationVar(&f.timeout, "timeout", 0, "per-probe wait, e.g. 1s; overrides probe.timeout")
	fl.IntVar(&f.retries, "retries", 0, "extra tries per probe; overrides probe.retries")
	fl.IntVar(&f.rate, "rate", 0, "packets per second; overrides probe.rate")
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
		ps, err := parsePorts(f.ports)
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
	methods, err := parseMethods(f.methods, ch("methods"), c)
	if err != nil {
		problems = append(problems, err)
	}
	if f.format != "json" && f.format != "table" {
		problems = append(problems, fmt.Errorf("--format %q: want json or table", f.format))
	}
	if len(problems) == 0 && len(c.Scope.Targets) == 0 && needsScope(methods) {
		problems = append(problems, errors.New("no targets: give --targets CIDR[,CIDR...] or set scope.targets in the config "+
			"(egovnet-agent never sweeps a network it was not told to; --methods host,path need no targets)"))
	}
	if len(problems) > 0 {
		return nil, nil, usageError{errors.Join(problems...)}
	}
	return &c, methods, nil
}

func needsScope(methods map[string]bool) bool {
	for _, m := range scopeMethods {
		if methods[m] {
			return true
		}
	}
	return false
}

// parseMethods turns --methods into the enabled set. The default is every
// method, UDP service checks when scope.udp is on, titles when scope.http is.
func parseMethods(s string, given bool, c agentconfig.Config) (map[string]bool, error) {
	out := map[string]bool{}
	if !given {
		for _, m := range contractMethods {
			out[m] = true
		}
		out[wire.MethodUDP] = c.Scope.UDP
	} else {
		var bad []string
		for _, m := range strings.Split(s, ",") {
			m = strings.ToLower(strings.TrimSpace(m))
			if m == "" {
				continue
			}
			if !slices.Contains(contractMethods, m) && !slices.Contains(extraMethods, m) {
				bad = append(bad, m)
				continue
			}
			out[m] = true
		}
		if len(bad) > 0 {
			return nil, fmt.Errorf("--methods: unknown %s (want icmp, tcp, arp, snmp, path, host, udp, http)", strings.Join(bad, ", "))
		}
		if len(out) == 0 {
			return nil, errors.New("--methods: empty")
		}
	}
	if out[wire.MethodTCP] && c.Scope.HTTP {
		out["http"] = true
	}
	return out, nil
}

// parsePorts accepts "22,80,8000-8010".
func parsePorts(s string) ([]int, error) {
	var out []int
	var errs []error
	seen := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err1 := strconv.Atoi(strings.TrimSpace(lo))
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(strings.TrimSpace(hi))
		}
		if err1 != nil || err2 != nil || a < 1 || b > 65535 || a > b {
			errs = append(errs, fmt.Errorf("%q is not a port or port range in 1..65535", part))
			continue
		}
		for p := a; p <= b; p++ {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	if len(out) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("no ports given"))
	}
	return out, errors.Join(errs...)
}

// agentIdentity names the agent in reports: the enrolled identity when
// there is one, else a local name so offline reports still validate.
// The error is nil when enrolled or simply not enrolled (ErrNotEnrolled is
// not reported); anything else (an unreadable identity file) is returned.
func agentIdentity(c *agentconfig.Config) (wire.Agent, *uplink.Identity, error) {
	host, _ := os.Hostname()
	a := wire.Agent{Hostname: host, Version: version.Version, Department: c.Department}
	id, err := uplink.LoadIdentity(c.DataDir)
	if err != nil {
		a.ID = "unenrolled-" + host
		if errors.Is(err, uplink.ErrNotEnrolled) {
			err = nil
		}
		return a, nil, err
	}
	a.ID = id.AgentID
	if a.Department == "" {
		a.Department = id.Department
	}
	return a, &id, nil
}
