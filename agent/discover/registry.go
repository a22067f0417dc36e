package discover

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/egovnet/egovnet/agent/config"
	"github.com/egovnet/egovnet/agent/discover/method"
	"github.com/egovnet/egovnet/agent/hostinfo"
	"github.com/egovnet/egovnet/agent/probe/arp"
	"github.com/egovnet/egovnet/agent/probe/dnsname"
	"github.com/egovnet/egovnet/agent/probe/httpinfo"
	"github.com/egovnet/egovnet/agent/probe/icmp"
	"github.com/egovnet/egovnet/agent/probe/nd"
	"github.com/egovnet/egovnet/agent/probe/path"
	"github.com/egovnet/egovnet/agent/probe/snmp"
	"github.com/egovnet/egovnet/agent/probe/tcp"
	"github.com/egovnet/egovnet/agent/probe/vpn"
	"github.com/egovnet/egovnet/internal/wire"
)

// registry is every discovery method, in the order of seen_by, --methods
// help and merging. Adding a method: its folder (the probe and its
// method.go) plus one line here.
var registry = []func(*config.Config) Method{
	icmp.Method,
	tcp.Method,
	vpn.Method,
	arp.Method,
	nd.Method,
	hostinfo.NeighborsMethod,
	snmp.Method,
	path.Method,
	hostinfo.Method,
	httpinfo.Method,
	dnsname.Method,
}

// Registry builds every method with the configuration's tuning. Building
// does no I/O: methods read the host (interfaces, sockets) when they run.
func Registry(c *config.Config) []Method {
	out := make([]Method, len(registry))
	for i, f := range registry {
		out[i] = f(c)
	}
	return out
}

// defaults is a configuration with every key at its default, for the
// method names and help (which do not depend on tuning).
func defaults() *config.Config {
	c := &config.Config{Scope: config.Scope{UDP: true, HTTP: true}, SNMP: config.SNMP{Port: 161}, DNS: config.DNS{Timeout: 2 * time.Second, Workers: 16}}
	return c
}

// Names lists the method names in registry order, once each.
func Names() []string {
	var out []string
	for _, m := range Registry(defaults()) {
		if !slices.Contains(out, m.Name) {
			out = append(out, m.Name)
		}
	}
	return out
}

// SeenByNames lists the names that appear in endpoints' seen_by (every
// method but the extras); wire validation accepts exactly these.
func SeenByNames() []string {
	var out []string
	for _, m := range Registry(defaults()) {
		if !m.Extra && !slices.Contains(out, m.Name) {
			out = append(out, m.Name)
		}
	}
	return out
}

// Help is the --methods flag's description, from the registry.
func Help() string {
	var b strings.Builder
	b.WriteString("methods to run, comma-separated; default all (udp with scope.udp, http with scope.http):")
	seen := map[string]bool{}
	for _, m := range Registry(defaults()) {
		if m.Help == "" || seen[m.Name] {
			continue
		}
		seen[m.Name] = true
		fmt.Fprintf(&b, "\n  %-5s %s", m.Name, m.Help)
	}
	return b.String()
}

// Enabled turns --methods into the enabled set. Not given: every method
// the configuration enables by default; a method that follows another
// (http after tcp) is on whenever that one is and its setting allows.
func Enabled(spec string, given bool, c *config.Config) (map[string]bool, error) {
	ms := Registry(c)
	out := map[string]bool{}
	if !given {
		for _, m := range ms {
			if m.After == "" && m.Phase != method.Annotate {
				out[m.Name] = m.Default
			}
		}
	} else {
		names := Names()
		var bad []string
		for _, s := range strings.Split(spec, ",") {
			s = strings.ToLower(strings.TrimSpace(s))
			if s == "" {
				continue
			}
			if !slices.Contains(names, s) {
				bad = append(bad, s)
				continue
			}
			out[s] = true
		}
		if len(bad) > 0 {
			return nil, fmt.Errorf("--methods: unknown %s (want %s)", strings.Join(bad, ", "), strings.Join(names, ", "))
		}
		if len(out) == 0 {
			return nil, errors.New("--methods: empty")
		}
	}
	for _, m := range ms {
		if m.After != "" && m.Default && out[m.After] {
			out[m.Name] = true
		}
	}
	return out, nil
}

// NeedsScope reports whether an enabled method probes scope addresses.
func NeedsScope(enabled map[string]bool, c *config.Config) bool {
	for _, m := range Registry(c) {
		if m.NeedsScope && enabled[m.Name] {
			return true
		}
	}
	return false
}

// CheckScope refuses a scan whose enabled methods probe the scope when the
// scope is empty: the agent never sweeps a network it was not told to. The
// methods that need no scope are named from the registry.
func CheckScope(enabled map[string]bool, c *config.Config) error {
	if len(c.Scope.Targets) > 0 || !NeedsScope(enabled, c) {
		return nil
	}
	var free []string
	for _, m := range Registry(c) {
		if !m.NeedsScope && !m.Extra && m.Phase != method.Annotate && !slices.Contains(free, m.Name) {
			free = append(free, m.Name)
		}
	}
	return fmt.Errorf("no targets: give --targets CIDR[,CIDR...] or set scope.targets in the config "+
		"(egovnet-agent never sweeps a network it was not told to; --methods %s need no targets)", strings.Join(free, ","))
}

// DisableScope turns off every method that probes the scope (an agent
// with no targets still reports host facts and paths).
func DisableScope(enabled map[string]bool, c *config.Config) {
	for _, m := range Registry(c) {
		if m.NeedsScope {
			enabled[m.Name] = false
		}
	}
}

// NewRequest turns the validated configuration into a scan request.
func NewRequest(c *config.Config, enabled map[string]bool, agent wire.Agent) Request {
	scope, _ := config.ParseTargets(c.Scope.Targets) // validated already
	var paths []PathTarget
	for _, t := range c.Paths.Targets {
		if a, err := netip.ParseAddr(t.Address); err == nil {
			paths = append(paths, PathTarget{Addr: a, Kind: t.Kind})
		}
	}
	return Request{
		Scope:       MergePrefixes(scope),
		Ports:       c.Scope.Ports,
		Enabled:     enabled,
		PathTargets: paths,
		Agent:       agent,
		WebPorts:    httpinfo.WebPorts,
	}
}

// MergePrefixes drops prefixes contained in others, so overlaps are probed once.
func MergePrefixes(ps []netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	for i, p := range ps {
		covered := false
		for j, q := range ps {
			if i != j && q.Bits() <= p.Bits() && q.Contains(p.Addr()) && (q.Bits() < p.Bits() || j < i) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, p)
		}
	}
	return out
}
