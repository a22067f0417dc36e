package icmp

import (
	"context"
	"errors"

	"github.com/egovnet/egovnet/agent/config"
	"github.com/egovnet/egovnet/agent/discover/method"
	"github.com/egovnet/egovnet/internal/wire"
)

// Method is the echo sweep. It defers to sweeps that cover a segment (ARP
// on attached IPv4 segments): there echo requests would make the kernel
// resolve every address into the neighbour table the whole host shares
// (gc_thresh3, default 1024), overflowing it and losing replies for every
// probe on the machine.
func Method(c *config.Config) method.Method {
	rate, maxRate := c.Probe.Pacing()
	base := Options{Rate: rate, MaxRate: maxRate, Timeout: c.Probe.Timeout, Retries: c.Probe.Retries}
	return method.Method{
		Name: wire.MethodICMP, Phase: method.Sweep, Defers: true, Default: true, NeedsScope: true,
		Help: "ICMP echo sweep of the scope",
		Run: func(ctx context.Context, in method.Input) (method.Batch, error) {
			if !available {
				return method.Batch{}, errUnavailable
			}
			opts := base
			opts.Skip = in.Skip
			res, err := Sweep(ctx, in.Scope, opts)
			b := method.Batch{Probed: res.Probed}
			for _, r := range res.Replies {
				b.Alive = append(b.Alive, method.Alive{Addr: r.Addr, RTT: r.RTT})
			}
			for _, e := range res.Errors {
				b.Failures = append(b.Failures, method.Failure{Target: "scope", Method: wire.MethodICMP, Err: errors.New(e)})
			}
			return b, err
		},
	}
}
