package nd

import (
	"context"

	"github.com/egovnet/egovnet/agent/config"
	"github.com/egovnet/egovnet/agent/discover/method"
	"github.com/egovnet/egovnet/internal/wire"
)

// Method is IPv6 neighbour discovery on the scope's links (seen_by "nd").
func Method(c *config.Config) method.Method {
	opts := Options{Timeout: c.Probe.Timeout, Retries: c.Probe.Retries}
	return method.Method{
		Name: wire.MethodND, Phase: method.Sweep, Default: true, NeedsScope: true,
		Help: "IPv6 neighbour discovery: echo to ff02::1 on the scope's links, then the neighbour table",
		Run: func(ctx context.Context, in method.Input) (method.Batch, error) {
			hosts, err := Discover(ctx, in.Scope, opts)
			var b method.Batch
			for _, h := range hosts {
				b.Alive = append(b.Alive, method.Alive{Addr: h.Addr, RTT: h.RTT})
				if h.MAC != "" {
					b.Neighbors = append(b.Neighbors, method.Neighbor{Addr: h.Addr, MAC: h.MAC})
				}
			}
			return b, err
		},
	}
}
