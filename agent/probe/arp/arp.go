// Package arp finds hosts on the segments this host is attached to by
// sending ARP requests itself over an AF_PACKET socket and reading the
// replies. Probing an on-link segment with ICMP makes the kernel resolve
// every address first, and a segment larger than the neighbour table
// (gc_thresh3, 1024 by default) then loses most replies to "neighbor table
// overflow"; our own requests never touch that table, so an on-link /20
// is complete with default sysctls.
package arp

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/egovnet/egovnet/agent/probe/internal/pace"
	"github.com/egovnet/egovnet/agent/probe/internal/timing"
)

// Defaults applied to zero Options fields.
const (
	DefaultRate       = 10000 // requests per second per interface
	DefaultTimeout    = time.Second
	DefaultMinTimeout = 100 * time.Millisecond
	// DefaultMaxAddresses bounds one scan per interface (an on-link /12).
	DefaultMaxAddresses = 1 << 20
)

// Options tune a scan.
type Options struct {
	// Rate is requests per second on each interface; 0 means adaptive up
	// to MaxRate, or DefaultRate when MaxRate is 0.
	Rate    int
	MaxRate int
	// Timeout is the longest wait for replies after a round of requests;
	// 0 means DefaultTimeout. The wait adapts to the measured reply time
	// (srtt+4*rttvar) between MinTimeout and Timeout.
	Timeout time.Duration
	// MinTimeout is the floor of the adaptive wait; 0 means DefaultMinTimeout.
	MinTimeout time.Duration
	// Retries is how many more requests a silent address gets.
	Retries int
	// Interfaces limits the scan to these interface names; empty means all.
	Interfaces []string
}

// Entry is one host that answered.
type Entry struct {
	IP    netip.Addr
	MAC   net.HardwareAddr
	Iface string
}

// job is the scan of one interface.
type job struct {
	ifc    net.Interface
	src    netip.Addr     // our address on the segment
	ranges []span         // target addresses, sorted, disjoint
	parts  []netip.Prefix // the on-link parts of the targets
	total  uint64
}

// span is the inclusive IPv4 address range [lo, hi].
type span struct{ lo, hi uint32 }

// Scan sends ARP requests for every address of targets that is on-link on
// an Ethernet interface of this host (or of the network namespace the
// calling thread is in) and returns the hosts that answered, in address
// order. Addresses that are not on-link anywhere are ignored. On
// cancellation it returns what it found with ctx's error.
func Scan(ctx context.Context, targets []netip.Prefix, opts Options) ([]Entry, error) {
	if err := opts.normalise(); err != nil {
		return nil, err
	}
	for _, p := range targets {
		if !p.IsValid() {
			return nil, fmt.Errorf("invalid target prefix %q", p.String())
		}
	}
	jobs, err := plan(targets, opts.Interfaces)
	if err != nil {
		return nil, err
	}
	// Open every socket here, on the caller's thread (see icmp.Sweep).
	var scanners []*scanner
	defer func() {
		for _, s := range scanners {
			s.close()
		}
	}()
	for _, j := range jobs {
		if j.total > DefaultMaxAddresses {
			return nil, fmt.Errorf("too many on-link addresses on %s: %d > %d", j.ifc.Name, j.total, DefaultMaxAddresses)
		}
		s, err := newScanner(j, opts)
		if err != nil {
			return nil, err
		}
		scanners = append(scanners, s)
	}
	var wg sync.WaitGroup
	for _, s := range scanners {
		wg.Add(1)
		go func() { defer wg.Done(); s.run(ctx) }()
	}
	wg.Wait()
	seen := map[netip.Addr]bool{}
	var out []Entry
	var errs []error
	for _, s := range scanners {
		if s.err != nil {
			errs = append(errs, s.err)
		}
		for _, e := range s.entries {
			if !seen[e.IP] {
				seen[e.IP] = true
				out = append(out, e)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].IP.Less(out[j].IP) })
	if ctx.Err() != nil {
		return out, ctx.Err()
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("arp scan: %v", errs)
	}
	return out, nil
}

// normalise checks o and fills its zero fields (rules shared with the
// other active probes in package timing).
func (o *Options) normalise() error {
	t, err := timing.Normalise(
		timing.Options{Rate: o.Rate, MaxRate: o.MaxRate, Timeout: o.Timeout, MinTimeout: o.MinTimeout, Retries: o.Retries},
		timing.Defaults{Rate: DefaultRate, Timeout: DefaultTimeout, MinTimeout: DefaultMinTimeout})
	if err != nil {
		return fmt.Errorf("invalid ARP options: %w", err)
	}
	o.Rate, o.Timeout, o.MinTimeout = t.Rate, t.Timeout, t.MinTimeout
	return nil
}

// OnLink returns the parts of targets that are on-link on an Ethernet
// interface of this host (or of the calling thread's network namespace):
// the addresses Scan covers. A caller sweeping with ICMP as well should
// leave these to Scan: ICMP to a large on-link segment overflows the
// kernel neighbour table, which every network namespace shares.
func OnLink(targets []netip.Prefix) ([]netip.Prefix, error) {
	for _, p := range targets {
		if !p.IsValid() {
			return nil, fmt.Errorf("invalid target prefix %q", p.String())
		}
	}
	jobs, err := plan(targets, nil)
	if err != nil {
		return nil, err
	}
	var all []netip.Prefix
	for _, j := range jobs {
		all = append(all, j.parts...)
	}
	sort.Slice(all, func(i, j int) bool {
		if c := all[i].Addr().Compare(all[j].Addr()); c != 0 {
			return c < 0
		}
		return all[i].Bits() < all[j].Bits()
	})
	var out []netip.Prefix
	for _, p := range all { // drop the parts nested in another
		if n := len(out); n > 0 && out[n-1].Contains(p.Addr()) {
			continue
		}
		out = append(out, p)
	}
	return out, nil
}

// plan finds, per Ethernet interface, the target addresses on-link there.
func plan(targets []netip.Prefix, only []string) ([]*job, error) {
	ifcs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	want := map[string]bool{}
	for _, n := range only {
		want[n] = true
	}
	var jobs []*job
	type segKey struct {
		ifindex int
		link    netip.Prefix
	}
	seen := map[segKey]bool{} // two addresses in one subnet: scan it once
	for _, ifc := range ifcs {
		if len(want) > 0 && !want[ifc.Name] {
			continue
		}
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 || len(ifc.HardwareAddr) != 6 || ifc.Flags&net.FlagBroadcast == 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			return nil, fmt.Errorf("addresses of %s: %w", ifc.Name, err)
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(ipn.IP)
			if !ok || !ip.Unmap().Is4() {
				continue
			}
			ones, _ := ipn.Mask.Size()
			link := netip.PrefixFrom(ip.Unmap(), ones).Masked()
			if ones >= 31 {
				continue // point-to-point: no one else to find
			}
			k := segKey{ifc.Index, link}
			if seen[k] {
				continue
			}
			seen[k] = true
			j := &job{ifc: ifc, src: ip.Unmap()}
			for _, t := range targets {
				t = unmap(t)
				if !t.Addr().Is4() {
					continue
				}
				var in netip.Prefix
				switch {
				case link.Bits() >= t.Bits() && t.Contains(link.Addr()):
					in = link
				case t.Bits() > link.Bits() && link.Contains(t.Addr()):
					in = t
				default:
					continue
				}
				lo, hi := u32(in.Addr()), u32(in.Addr())|(1<<(32-in.Bits())-1)
				// The segment's network and broadcast addresses are nobody.
				lo = max(lo, u32(link.Addr())+1)
				hi = min(hi, u32(link.Addr())|(1<<(32-link.Bits())-1)-1)
				if lo <= hi {
					j.ranges = append(j.ranges, span{lo, hi})
					j.parts = append(j.parts, in)
				}
			}
			j.ranges = merge(j.ranges, u32(j.src))
			for _, r := range j.ranges {
				j.total += uint64(r.hi-r.lo) + 1
			}
			if j.total > 0 {
				jobs = append(jobs, j)
			}
		}
	}
	return jobs, nil
}

// merge sorts and joins overlapping ranges and removes own from them.
func merge(rs []span, own uint32) []span {
	sort.Slice(rs, func(i, j int) bool { return rs[i].lo < rs[j].lo })
	var out []span
	for _, r := range rs {
		if n := len(out); n > 0 && uint64(r.lo) <= uint64(out[n-1].hi)+1 {
			out[n-1].hi = max(out[n-1].hi, r.hi)
			continue
		}
		out = append(out, r)
	}
	var res []span
	for _, r := range out {
		if own >= r.lo && own <= r.hi {
			if own > r.lo {
				res = append(res, span{r.lo, own - 1})
			}
			if own < r.hi {
				res = append(res, span{own + 1, r.hi})
			}
			continue
		}
		res = append(res, r)
	}
	return res
}

func u32(a netip.Addr) uint32 { b := a.As4(); return binary.BigEndian.Uint32(b[:]) }

func addr4(v uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return netip.AddrFrom4(b)
}

// index returns the target index of address v, or false.
func (j *job) index(v uint32) (uint64, bool) {
	var base uint64
	for _, r := range j.ranges {
		if v >= r.lo && v <= r.hi {
			return base + uint64(v-r.lo), true
		}
		base += uint64(r.hi-r.lo) + 1
	}
	return 0, false
}

// pacerFor gives each interface its own pacer.
func pacerFor(o Options) *pace.Pacer { return pace.For(o.Rate, o.MaxRate, DefaultRate) }

// unmap turns an IPv4-mapped IPv6 prefix into its IPv4 prefix.
func unmap(p netip.Prefix) netip.Prefix {
	p = p.Masked()
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p
}
