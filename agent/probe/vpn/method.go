package vpn

import (
	"context"

	"github.com/egovnet/egovnet/agent/config"
	"github.com/egovnet/egovnet/agent/discover/method"
	"github.com/egovnet/egovnet/internal/wire"
)

// Method checks live hosts for VPN services (seen_by "udp", the wire name).
func Method(c *config.Config) method.Method {
	p := c.Probe
	opts := Options{Timeout: p.Timeout, Retries: p.Retries, Workers: min(p.Workers, 128)}
	return method.Method{
		Name: wire.MethodUDP, Phase: method.Follow, Default: c.Scope.UDP, NeedsScope: true,
		Help: "VPN service checks on live hosts: IKE, OpenVPN, L2TP, PPTP (scope.udp)",
		Run: func(ctx context.Context, in method.Input) (method.Batch, error) {
			res, err := Check(ctx, in.Addrs, opts)
			var b method.Batch
			for _, f := range res.Findings {
				b.Services = append(b.Services, method.Service{Addr: f.Addr, Port: f.Port, Proto: f.Proto, Name: f.Service})
			}
			for _, e := range res.Errors {
				b.Failures = append(b.Failures, method.Failure{Target: e.Target, Method: wire.MethodUDP, Err: e.Err})
			}
			return b, err
		},
	}
}
