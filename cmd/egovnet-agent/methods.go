package main

import (
	"context"
	"net"
	"net/netip"
	"strconv"

	agentconfig "github.com/egovnet/egovnet/agent/config"
	"github.com/egovnet/egovnet/agent/discover"
	"github.com/egovnet/egovnet/agent/hostinfo"
	"github.com/egovnet/egovnet/agent/probe/httpinfo"
	"github.com/egovnet/egovnet/agent/probe/snmp"
	"github.com/egovnet/egovnet/agent/probe/tcp"
	"github.com/egovnet/egovnet/agent/probe/udp"
	"github.com/egovnet/egovnet/internal/wire"
)

// methods wires the probe packages to the orchestrator with the config's
// tuning and the request's enabled methods.
func methods(c *agentconfig.Config, enabled map[string]bool) discover.Methods {
	p := c.Probe
	return discover.Methods{
		ICMP:      icmpMethod(c, enabled[wire.MethodARP]),
		ARP:       arpMethod(c),
		TCP:       discover.TCPMethod(tcp.Options{Timeout: p.Timeout, Retries: p.Retries, Workers: p.Workers, Rate: p.Rate}),
		UDP:       discover.UDPMethod(udp.Options{Timeout: p.Timeout, Retries: p.Retries, Workers: min(p.Workers, 128)}),
		HTTP:      discover.HTTPMethod(httpinfo.Options{Timeout: 3 * p.Timeout, Workers: min(p.Workers, 16)}),
		SNMP:      snmpMethod(c),
		Path:      pathMethod(c),
		Host:      discover.HostMethod(hostinfo.Sources{}),
		Neighbors: discover.NeighborsMethod(""),
		OnLink:    onLink(),
	}
}

// snmpMethod tries the configured credentials on every live host; a host
// that answers none is simply not an SNMP device (no failure recorded).
func snmpMethod(c *agentconfig.Config) discover.LiveFunc {
	creds := snmp.Credentials{}
	for _, cm := range c.SNMP.Communities {
		creds.Communities = append(creds.Communities, cm.Reveal())
	}
	for _, u := range c.SNMP.V3 {
		creds.V3 = append(creds.V3, snmp.V3User{User: u.User, AuthProto: u.AuthProto, AuthPass: u.AuthPass.Reveal(),
			PrivProto: u.PrivProto, PrivPass: u.PrivPass.Reveal(), Context: u.Context})
	}
	if len(creds.Communities) == 0 && len(creds.V3) == 0 {
		return nil
	}
	opts := snmp.Options{
		Port:         uint16(c.SNMP.Port),
		Timeout:      2 * c.Probe.Timeout,
		ProbeTimeout: c.Probe.Timeout,
		Retries:      c.Probe.Retries,
		Concurrency:  min(c.Probe.Workers, 64),
	}
	if opts.Retries == 0 {
		opts.Retries = -1 // snmp treats 0 as "default 1"; the agent's 0 means none
	}
	return func(ctx context.Context, live []netip.Addr) (discover.Batch, error) {
		targets := make([]string, len(live))
		for i, a := range live {
			targets[i] = net.JoinHostPort(a.String(), strconv.Itoa(c.SNMP.Port))
		}
		var b discover.Batch
		for _, inv := range snmp.WalkMany(ctx, targets, creds, opts) {
			if inv.System.ObjectID != "" || inv.System.Descr != "" || inv.System.Name != "" {
				b.Devices = append(b.Devices, inv)
			}
		}
		return b, ctx.Err()
	}
}

func pathTargets(c *agentconfig.Config) []discover.PathTarget {
	var out []discover.PathTarget
	for _, t := range c.Paths.Targets {
		if a, err := netip.ParseAddr(t.Address); err == nil {
			out = append(out, discover.PathTarget{Addr: a, Kind: t.Kind})
		}
	}
	return out
}
