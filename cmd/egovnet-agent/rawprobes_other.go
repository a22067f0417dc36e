//go:build !linux

package main

import (
	"context"
	"fmt"
	"net/netip"
	"runtime"

	agentconfig "github.com/egovnet/egovnet/agent/config"
	"github.com/egovnet/egovnet/agent/discover"
)

// The raw-socket probes (ICMP sweep, ARP, path) exist for Linux only. Here
// they report that in stats.errors; TCP, UDP, HTTP, SNMP and host facts
// (with the Windows registry's installed software) still work.

func unavailable(method string) error {
	return fmt.Errorf("%s probing is not available on %s", method, runtime.GOOS)
}

func icmpMethod(*agentconfig.Config, bool) discover.ScopeFunc {
	return func(context.Context, []netip.Prefix) (discover.Batch, error) {
		return discover.Batch{}, unavailable("icmp")
	}
}

func arpMethod(*agentconfig.Config) discover.ScopeFunc {
	return func(context.Context, []netip.Prefix) (discover.Batch, error) {
		return discover.Batch{}, unavailable("arp")
	}
}

func pathMethod(*agentconfig.Config) discover.PathFunc {
	return func(context.Context, []discover.PathTarget) (discover.Batch, error) {
		return discover.Batch{}, unavailable("path")
	}
}

// onLink: no ARP scan here, so no segment is known complete.
func onLink() func(netip.Addr) bool { return nil }
