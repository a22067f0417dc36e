package tcp

import (
	"context"

	"github.com/egovnet/egovnet/agent/config"
	"github.com/egovnet/egovnet/agent/discover/method"
	"github.com/egovnet/egovnet/internal/wire"
)

// Method is the TCP connect scan (open or refused both prove a host alive).
func Method(c *config.Config) method.Method {
	p := c.Probe
	rate := p.Rate
	if rate == 0 {
		rate = p.MaxRate // connects are bounded by workers too; cap only
	}
	opts := Options{Timeout: p.Timeout, Retries: p.Retries, Workers: p.Workers, Rate: rate}
	return method.Method{
		Name: wire.MethodTCP, Phase: method.Connect, Default: true, NeedsScope: true,
		Help: "TCP connects to scope.ports (no privileges needed)",
		Run: func(ctx context.Context, in method.Input) (method.Batch, error) {
			res, err := Scan(ctx, in.Addrs, in.Ports, opts)
			b := method.Batch{Probed: int64(len(in.Addrs))}
			for _, h := range res.Hosts {
				b.Ports = append(b.Ports, method.Ports{Addr: h.Addr, Open: h.Open, Closed: h.Closed, RTT: h.RTT})
			}
			for _, e := range res.Errors {
				b.Failures = append(b.Failures, method.Failure{Target: e.Target, Method: wire.MethodTCP, Err: e.Err})
			}
			return b, err
		},
	}
}
