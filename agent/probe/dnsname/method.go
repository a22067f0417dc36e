package dnsname

import (
	"context"
	"net/netip"

	"github.com/egovnet/egovnet/agent/config"
	"github.com/egovnet/egovnet/agent/discover/method"
	"github.com/egovnet/egovnet/internal/wire"
)

// Name is the --methods name of reverse DNS (not a wire seen_by method).
const Name = "dns"

// Method resolves live addresses' PTR names (source "ptr").
func Method(c *config.Config) method.Method {
	opts := Options{Timeout: c.DNS.Timeout, Workers: c.DNS.Workers}
	for _, s := range c.DNS.Servers {
		if ap, err := config.DNSServer(s); err == nil {
			opts.Servers = append(opts.Servers, ap)
		}
	}
	return method.Method{
		Name: Name, Phase: method.Follow, Extra: true, Default: true, NeedsScope: true,
		Help: "reverse DNS (PTR) of live addresses through dns.servers or the system resolver",
		Run: func(ctx context.Context, in method.Input) (method.Batch, error) {
			res := Lookup(ctx, in.Addrs, opts)
			var b method.Batch
			addrs := make([]netip.Addr, 0, len(res.Names))
			for a := range res.Names {
				addrs = append(addrs, a)
			}
			for _, a := range addrs {
				for _, n := range res.Names[a] {
					b.Names = append(b.Names, method.Name{Addr: a, Name: wire.Name{Name: n, Source: "ptr"}})
				}
			}
			for _, e := range res.Errors {
				b.Failures = append(b.Failures, method.Failure{Target: "dns", Method: Name, Err: e})
			}
			return b, ctx.Err()
		},
	}
}
