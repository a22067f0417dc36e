package snmp

import (
	"context"
	"net"
	"strconv"

	"github.com/egovnet/egovnet/agent/config"
	"github.com/egovnet/egovnet/agent/discover/method"
	"github.com/egovnet/egovnet/internal/wire"
)

// Method tries the configured credentials on every live host; a host that
// answers none is simply not an SNMP device (no failure recorded, and only
// devices that answered are kept). Without credentials it is not offered.
func Method(c *config.Config) method.Method {
	m := method.Method{Name: wire.MethodSNMP, Phase: method.Follow, Default: true, NeedsScope: true,
		Help: "SNMP walk of live hosts with snmp.communities / snmp.v3"}
	creds := Credentials{}
	for _, cm := range c.SNMP.Communities {
		creds.Communities = append(creds.Communities, cm.Reveal())
	}
	for _, u := range c.SNMP.V3 {
		creds.V3 = append(creds.V3, V3User{User: u.User, AuthProto: u.AuthProto, AuthPass: u.AuthPass.Reveal(),
			PrivProto: u.PrivProto, PrivPass: u.PrivPass.Reveal(), Context: u.Context})
	}
	if len(creds.Communities) == 0 && len(creds.V3) == 0 {
		return m
	}
	opts := Options{
		Port:         uint16(c.SNMP.Port),
		Timeout:      2 * c.Probe.Timeout,
		ProbeTimeout: c.Probe.Timeout,
		Retries:      RetriesOption(c.Probe.Retries),
		Concurrency:  min(c.Probe.Workers, 64),
	}
	port := strconv.Itoa(c.SNMP.Port)
	m.Run = func(ctx context.Context, in method.Input) (method.Batch, error) {
		targets := make([]string, len(in.Addrs))
		for i, a := range in.Addrs {
			targets[i] = net.JoinHostPort(a.String(), port)
		}
		var b method.Batch
		for _, inv := range WalkMany(ctx, targets, creds, opts) {
			if Answered(inv) {
				b.Devices = append(b.Devices, inv)
			}
		}
		return b, ctx.Err()
	}
	return m
}
