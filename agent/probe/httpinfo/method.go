package httpinfo

import (
	"context"

	"github.com/egovnet/egovnet/agent/config"
	"github.com/egovnet/egovnet/agent/discover/method"
)

// Name is the --methods name of web titles (not a wire seen_by method).
const Name = "http"

// Method reads titles of open web ports. A port that does not speak HTTP
// is not a failure (many open ports are not web servers); it is skipped.
func Method(c *config.Config) method.Method {
	p := c.Probe
	opts := Options{Timeout: 3 * p.Timeout, Workers: min(p.Workers, 16)}
	return method.Method{
		Name: Name, Phase: method.Pages, Extra: true, Default: c.Scope.HTTP, After: "tcp", NeedsScope: true,
		Help: "GET / on open web ports: title, Server, names (scope.http)",
		Run: func(ctx context.Context, in method.Input) (method.Batch, error) {
			ts := make([]Target, len(in.Web))
			for i, t := range in.Web {
				ts[i] = Target{Addr: t.Addr, Port: t.Port}
			}
			var b method.Batch
			for _, r := range FetchMany(ctx, ts, opts) {
				if r.Err == nil {
					b.Web = append(b.Web, method.Web{Addr: r.Target.Addr, Info: r.Info})
					for _, n := range r.Names {
						b.Names = append(b.Names, method.Name{Addr: r.Target.Addr, Name: n})
					}
				}
			}
			return b, ctx.Err()
		},
	}
}
