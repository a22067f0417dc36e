//go:build linux

package main

import (
	"context"
	"errors"
	"golang.org/x/sys/unix"
	"net"
	"net/netip"
	"sync"

	agentconfig "github.com/egovnet/egovnet/agent/config"
	"github.com/egovnet/egovnet/agent/discover"
	"github.com/egovnet/egovnet/agent/probe/arp"
	"github.com/egovnet/egovnet/agent/probe/icmp"
	"github.com/egovnet/egovnet/agent/probe/path"
	"github.com/egovnet/egovnet/internal/wire"
)

// The raw-socket probes (ICMP sweep, ARP, path) are Linux-only.

// icmpMethod sweeps the scope. When ARP runs too and can (it needs an
// AF_PACKET socket), the on-link parts are left to it: every IPv4 host on a
// segment must answer ARP, so ARP is authoritative there, while echo requests
// make the kernel resolve every address into the neighbour table. That table
// is shared by the whole host (gc_thresh3, default 1024): sweeping on-link
// ranges with ICMP overflows it and loses replies for every probe on the
// machine, this sweep's and others'.
func icmpMethod(c *agentconfig.Config, arpOn bool) discover.ScopeFunc {
	base := icmp.Options{Rate: c.Probe.Rate, Timeout: c.Probe.Timeout, Retries: c.Probe.Retries}
	return func(ctx context.Context, scope []netip.Prefix) (discover.Batch, error) {
		opts := base
		if arpOn && arpUsable() {
			if onlink, err := arp.OnLink(scope); err == nil {
				opts.Skip = onlink
			}
		}
		res, err := icmp.Sweep(ctx, scope, opts)
		b := discover.Batch{Probed: res.Probed}
		for _, r := range res.Replies {
			b.Alive = append(b.Alive, discover.Alive{Addr: r.Addr, RTT: r.RTT})
		}
		for _, e := range res.Errors {
			b.Failures = append(b.Failures, discover.Failure{Target: "scope", Method: wire.MethodICMP, Err: errors.New(e)})
		}
		return b, err
	}
}

func arpMethod(c *agentconfig.Config) discover.ScopeFunc {
	opts := arp.Options{Rate: c.Probe.Rate, Timeout: c.Probe.Timeout, Retries: c.Probe.Retries}
	return func(ctx context.Context, scope []netip.Prefix) (discover.Batch, error) {
		entries, err := arp.Scan(ctx, scope, opts)
		var b discover.Batch
		for _, e := range entries {
			b.Neighbors = append(b.Neighbors, discover.Neighbor{Addr: e.IP, MAC: e.MAC.String()})
		}
		return b, err
	}
}

// pathMethod adapts agent/probe/path; the kind of each target comes from
// the configuration (the tracer knows addresses only).
func pathMethod(c *agentconfig.Config) discover.PathFunc {
	opts := path.Options{Timeout: c.Probe.Timeout, Retries: c.Probe.Retries, Rate: c.Probe.Rate}
	return func(ctx context.Context, targets []discover.PathTarget) (discover.Batch, error) {
		addrs := make([]netip.Addr, len(targets))
		for i, t := range targets {
			addrs[i] = t.Addr
		}
		paths, err := path.Trace(ctx, addrs, opts)
		for i := range paths {
			if i < len(targets) && paths[i].Kind == "" {
				paths[i].Kind = targets[i].Kind
			}
		}
		return discover.Batch{Probed: int64(len(targets)), Paths: paths}, err
	}
}

// onLink reports addresses on an up Ethernet segment of this host (the
// namespace the agent runs in), where the ARP scan runs and is complete.
// Computed once per scan, when the first address is asked about.
func onLink() func(netip.Addr) bool {
	var once sync.Once
	var prefixes []netip.Prefix
	return func(a netip.Addr) bool {
		once.Do(func() {
			ifs, err := net.Interfaces()
			if err != nil {
				return
			}
			for _, ifc := range ifs {
				if ifc.Flags&net.FlagUp == 0 || ifc.Flags&(net.FlagLoopback|net.FlagPointToPoint) != 0 || len(ifc.HardwareAddr) != 6 {
					continue
				}
				addrs, _ := ifc.Addrs()
				for _, ad := range addrs {
					if ipn, ok := ad.(*net.IPNet); ok {
						if p, err := netip.ParsePrefix(ipn.String()); err == nil && p.Addr().Is4() {
							prefixes = append(prefixes, p.Masked())
						}
					}
				}
			}
		})
		for _, p := range prefixes {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}
}

// arpUsable reports whether this process may open the AF_PACKET socket ARP
// scanning needs (root or CAP_NET_RAW).
func arpUsable() bool {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM, 0)
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}
