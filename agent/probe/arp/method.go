package arp

import (
	"context"
	"net/netip"

	"github.com/egovnet/egovnet/agent/config"
	"github.com/egovnet/egovnet/agent/discover/method"
	"github.com/egovnet/egovnet/internal/wire"
)

// Method is the ARP sweep. Every IPv4 host on an attached segment must
// answer ARP, so where it runs (Usable) it covers the on-link parts of the
// scope: ICMP leaves them to it and TCP skips its silent addresses there.
func Method(c *config.Config) method.Method {
	rate, maxRate := c.Probe.Pacing()
	opts := Options{Rate: rate, MaxRate: maxRate, Timeout: c.Probe.Timeout, Retries: c.Probe.Retries}
	return method.Method{
		Name: wire.MethodARP, Phase: method.Sweep, Default: true, NeedsScope: true,
		Help: "ARP requests on attached IPv4 segments (root or CAP_NET_RAW)",
		Run: func(ctx context.Context, in method.Input) (method.Batch, error) {
			entries, err := Scan(ctx, in.Scope, opts)
			var b method.Batch
			for _, e := range entries {
				b.Neighbors = append(b.Neighbors, method.Neighbor{Addr: e.IP, MAC: e.MAC.String()})
			}
			return b, err
		},
		Covers: func(scope []netip.Prefix) []netip.Prefix {
			if !Usable() {
				return nil
			}
			on, err := OnLink(scope)
			if err != nil {
				return nil
			}
			return on
		},
	}
}
