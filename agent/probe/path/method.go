package path

import (
	"context"
	"fmt"
	"net/netip"
	"runtime"

	"github.com/egovnet/egovnet/agent/config"
	"github.com/egovnet/egovnet/agent/discover/method"
	"github.com/egovnet/egovnet/internal/wire"
)

// Method traces the reference targets; the kind of each comes from the
// configuration (the tracer knows addresses only).
func Method(c *config.Config) method.Method {
	rate, maxRate := c.Probe.Pacing()
	opts := Options{Timeout: c.Probe.Timeout, Retries: c.Probe.Retries, Rate: rate, MaxRate: maxRate}
	return method.Method{
		Name: wire.MethodPath, Phase: method.Independent, Default: true,
		Help: "TTL-limited probes to paths.targets (internet, extranet, private)",
		Run: func(ctx context.Context, in method.Input) (method.Batch, error) {
			if len(in.Paths) == 0 {
				return method.Batch{}, nil
			}
			if runtime.GOOS != "linux" {
				return method.Batch{}, fmt.Errorf("path probing is not available on %s", runtime.GOOS)
			}
			addrs := make([]netip.Addr, len(in.Paths))
			for i, t := range in.Paths {
				addrs[i] = t.Addr
			}
			paths, err := Trace(ctx, addrs, opts)
			for i := range paths {
				if i < len(in.Paths) && paths[i].Kind == "" {
					paths[i].Kind = in.Paths[i].Kind
				}
			}
			return method.Batch{Probed: int64(len(in.Paths)), Paths: paths}, err
		},
	}
}
