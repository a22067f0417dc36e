package icmp

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	probing "github.com/prometheus-community/pro-bing"

	"github.com/egovnet/egovnet/agent/probe/icmpid"
	"github.com/egovnet/egovnet/agent/probe/internal/icmpsock"
)

// StatsOptions tune Stats.
type StatsOptions struct {
	// Interval between echo requests; 0 means 200 ms.
	Interval time.Duration
	// Timeout bounds the whole run; 0 means count*Interval + 2 s.
	Timeout time.Duration
	// Privileged as in Options.
	Privileged *bool
}

// Statistics are the loss and RTT figures of one target.
type Statistics struct {
	Addr       netip.Addr
	Sent       int
	Received   int
	Duplicates int
	Loss       float64 // percent
	Min, Avg   time.Duration
	Max        time.Duration
	StdDev     time.Duration
	Raw        bool
}

// Stats sends count echo requests to addr and reports loss and RTT
// statistics: for egress paths, sentinels and continuous monitoring of key
// links, where a per-target series matters and sweeping does not. It runs
// pro-bing with RunWithContext, a Timeout and an identifier from the
// central allocator, so concurrent Stats calls and sweeps never confuse
// each other's replies.
func Stats(ctx context.Context, addr netip.Addr, count int, opts StatsOptions) (Statistics, error) {
	if !addr.IsValid() {
		return Statistics{}, fmt.Errorf("stats: invalid address")
	}
	if count < 1 || count > 100000 {
		return Statistics{}, fmt.Errorf("stats: invalid count %d: must be 1..100000", count)
	}
	if opts.Interval < 0 || opts.Timeout < 0 {
		return Statistics{}, fmt.Errorf("stats: invalid interval %v or timeout %v", opts.Interval, opts.Timeout)
	}
	if opts.Interval == 0 {
		opts.Interval = 200 * time.Millisecond
	}
	if opts.Timeout == 0 {
		opts.Timeout = time.Duration(count)*opts.Interval + 2*time.Second
	}
	lease, err := icmpid.Acquire()
	if err != nil {
		return Statistics{}, fmt.Errorf("stats %s: %w", addr, err)
	}
	defer lease.Release()
	p := probing.New(addr.String())
	if err := p.Resolve(); err != nil {
		return Statistics{}, fmt.Errorf("stats %s: %w", addr, err)
	}
	p.Count, p.Interval, p.Timeout = count, opts.Interval, opts.Timeout
	p.SetID(int(lease.ID()))
	p.SetLogger(probing.NoopLogger{})
	raw := true
	if opts.Privileged != nil {
		raw = *opts.Privileged
	} else if !icmpsock.CanRaw(addr.Is6()) {
		raw = false
	}
	p.SetPrivileged(raw)
	if err := p.RunWithContext(ctx); err != nil {
		return Statistics{}, fmt.Errorf("stats %s: %w", addr, err)
	}
	s := p.Statistics()
	return Statistics{Addr: addr, Sent: s.PacketsSent, Received: s.PacketsRecv, Duplicates: s.PacketsRecvDuplicates,
		Loss: s.PacketLoss, Min: s.MinRtt, Avg: s.AvgRtt, Max: s.MaxRtt, StdDev: s.StdDevRtt, Raw: raw}, ctx.Err()
}
