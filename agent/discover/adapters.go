package discover

import (
	"context"
	"errors"
	"io/fs"
	"net/netip"

	"github.com/egovnet/egovnet/agent/classify"
	"github.com/egovnet/egovnet/agent/hostinfo"
	"github.com/egovnet/egovnet/agent/probe/httpinfo"
	"github.com/egovnet/egovnet/agent/probe/tcp"
	"github.com/egovnet/egovnet/agent/probe/udp"
	"github.com/egovnet/egovnet/internal/wire"
)

// ClassifyRole is the default Methods.Role: agent/classify over what the
// endpoint showed.
func ClassifyRole(e wire.Endpoint, forwards bool) string {
	return classify.Role(classify.Input{OpenPorts: e.OpenPorts, SysObjectID: e.SysObjectID, SysDescr: e.SysDescr, Forwards: forwards})
}

// TCPMethod adapts agent/probe/tcp.
func TCPMethod(opts tcp.Options) TCPFunc {
	return func(ctx context.Context, addrs []netip.Addr, ports []int) (Batch, error) {
		res, err := tcp.Scan(ctx, addrs, ports, opts)
		b := Batch{Probed: int64(len(addrs))}
		for _, h := range res.Hosts {
			b.Ports = append(b.Ports, Ports{Addr: h.Addr, Open: h.Open, Closed: h.Closed, RTT: h.RTT})
		}
		for _, e := range res.Errors {
			b.Failures = append(b.Failures, Failure{Target: e.Target, Method: wire.MethodTCP, Err: e.Err})
		}
		return b, err
	}
}

// UDPMethod adapts agent/probe/udp (VPN service checks).
func UDPMethod(opts udp.Options) LiveFunc {
	return func(ctx context.Context, live []netip.Addr) (Batch, error) {
		res, err := udp.Check(ctx, live, opts)
		var b Batch
		for _, f := range res.Findings {
			b.Services = append(b.Services, Service{Addr: f.Addr, Port: f.Port, Proto: f.Proto, Name: f.Service})
		}
		for _, e := range res.Errors {
			b.Failures = append(b.Failures, Failure{Target: e.Target, Method: wire.MethodUDP, Err: e.Err})
		}
		return b, err
	}
}

// HTTPMethod adapts agent/probe/httpinfo. A port that does not speak HTTP
// is not a failure (many open ports are not web servers); it is skipped.
func HTTPMethod(opts httpinfo.Options) WebFunc {
	return func(ctx context.Context, targets []WebTarget) (Batch, error) {
		ts := make([]httpinfo.Target, len(targets))
		for i, t := range targets {
			ts[i] = httpinfo.Target{Addr: t.Addr, Port: t.Port}
		}
		var b Batch
		for _, r := range httpinfo.FetchMany(ctx, ts, opts) {
			if r.Err == nil {
				b.Web = append(b.Web, Web{Addr: r.Target.Addr, Info: r.Info})
			}
		}
		return b, ctx.Err()
	}
}

// HostMethod adapts agent/hostinfo.
func HostMethod(src hostinfo.Sources) HostFunc {
	return func(ctx context.Context) (Batch, error) {
		h, errs := hostinfo.Collect(ctx, src)
		b := Batch{Host: h}
		for _, e := range errs {
			b.Failures = append(b.Failures, Failure{Target: "localhost", Method: wire.MethodHost, Err: e})
		}
		return b, nil
	}
}

// NeighborsMethod adapts hostinfo.Neighbors (the kernel's ARP table).
func NeighborsMethod(procARP string) HostFunc {
	return func(ctx context.Context) (Batch, error) {
		ns, err := hostinfo.Neighbors(procARP)
		if errors.Is(err, fs.ErrNotExist) {
			return Batch{}, nil // no procfs (not Linux): nothing to read
		}
		b := Batch{AnnotateOnly: true}
		for _, n := range ns {
			b.Neighbors = append(b.Neighbors, Neighbor{Addr: n.IP, MAC: n.MAC})
		}
		return b, err
	}
}
