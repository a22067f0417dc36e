package hostinfo

import (
	"context"
	"errors"
	"io/fs"

	"github.com/egovnet/egovnet/agent/config"
	"github.com/egovnet/egovnet/agent/discover/method"
	"github.com/egovnet/egovnet/internal/wire"
)

// Method collects the agent host's own facts.
func Method(c *config.Config) method.Method {
	src := Sources{SoftwareFile: c.Host.SoftwareFile}
	return method.Method{
		Name: wire.MethodHost, Phase: method.Independent, Default: true,
		Help: "this host's interfaces, routes and installed software",
		Run: func(ctx context.Context, _ method.Input) (method.Batch, error) {
			h, errs := Collect(ctx, src)
			b := method.Batch{Host: h}
			for _, e := range errs {
				b.Failures = append(b.Failures, method.Failure{Target: "localhost", Method: wire.MethodHost, Err: e})
			}
			return b, nil
		},
	}
}

// NeighborsMethod reads the kernel's ARP table after the sweep (the kernel
// resolved on-link hosts while ICMP/TCP probed them); it runs with arp and
// needs no privileges. Entries only annotate addresses found alive.
func NeighborsMethod(*config.Config) method.Method {
	return method.Method{
		Name: wire.MethodARP, Phase: method.Annotate,
		Run: func(ctx context.Context, _ method.Input) (method.Batch, error) {
			ns, err := Neighbors("")
			if errors.Is(err, fs.ErrNotExist) {
				return method.Batch{}, nil // no procfs (not Linux): nothing to read
			}
			b := method.Batch{AnnotateOnly: true}
			for _, n := range ns {
				b.Neighbors = append(b.Neighbors, method.Neighbor{Addr: n.IP, MAC: n.MAC})
			}
			return b, err
		},
	}
}
