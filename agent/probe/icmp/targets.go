package icmp

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"net/netip"
	"sort"
)

// DefaultMaxAddresses bounds one sweep: a /10 of IPv4, or any IPv6 prefix
// of /106 or longer. A /64 is never swept address by address.
const DefaultMaxAddresses = 1 << 22

// segment is a run of consecutive addresses starting at first; its
// addresses have indices base .. base+count-1 in the whole target set.
type segment struct {
	first netip.Addr
	base  uint64
	count uint64
}

// targetSet numbers every address of a list of prefixes (overlaps merged,
// the IPv4 network and broadcast addresses of prefixes up to /30 skipped,
// as fping and routers do) without storing the addresses themselves.
type targetSet struct {
	segs  []segment
	total uint64
}

// newTargetSet validates prefixes of one address family and numbers their
// addresses, leaving out those inside a skip prefix. The result is empty
// when prefixes is empty.
func newTargetSet(prefixes, skip []netip.Prefix, max uint64) (*targetSet, error) {
	ps := make([]netip.Prefix, 0, len(prefixes))
	for _, p := range prefixes {
		if !p.IsValid() {
			return nil, fmt.Errorf("invalid target prefix %q", p.String())
		}
		ps = append(ps, p.Masked())
	}
	sort.Slice(ps, func(i, j int) bool {
		if c := ps[i].Addr().Compare(ps[j].Addr()); c != 0 {
			return c < 0
		}
		return ps[i].Bits() < ps[j].Bits()
	})
	var ranges []addrRange
	var last netip.Prefix
	var n uint64
	for _, p := range ps {
		if last.IsValid() && last.Contains(p.Addr()) {
			continue // nested in (or equal to) the previous prefix
		}
		last = p
		first, count := p.Addr(), prefixSize(p)
		if p.Addr().Is4() && p.Bits() <= 30 {
			first = first.Next()
			count -= 2
		}
		if count > max || n+count > max {
			return nil, fmt.Errorf("too many target addresses: more than %d (prefix %s)", max, p)
		}
		n += count
		ranges = append(ranges, addrRange{first, addOffset(first, count-1)})
	}
	for _, sp := range skip {
		if !sp.IsValid() {
			return nil, fmt.Errorf("invalid skip prefix %q", sp.String())
		}
		sp = sp.Masked()
		cut := addrRange{sp.Addr(), lastAddr(sp)}
		var kept []addrRange
		for _, r := range ranges {
			kept = append(kept, r.minus(cut)...)
		}
		ranges = kept
	}
	ts := &targetSet{}
	for _, r := range ranges {
		count := r.size()
		ts.segs = append(ts.segs, segment{first: r.lo, base: ts.total, count: count})
		ts.total += count
	}
	return ts, nil
}

// addrRange is the inclusive range [lo, hi] of one family.
type addrRange struct{ lo, hi netip.Addr }

// size is hi-lo+1 for ranges of fewer than 2^64 addresses.
func (r addrRange) size() uint64 {
	a, b := r.lo.As16(), r.hi.As16()
	return binary.BigEndian.Uint64(b[8:]) - binary.BigEndian.Uint64(a[8:]) + 1
}

// minus returns r without the addresses of c (c of the same family or not).
func (r addrRange) minus(c addrRange) []addrRange {
	if c.lo.BitLen() != r.lo.BitLen() || c.hi.Less(r.lo) || r.hi.Less(c.lo) {
		return []addrRange{r}
	}
	var out []addrRange
	if r.lo.Less(c.lo) {
		out = append(out, addrRange{r.lo, c.lo.Prev()})
	}
	if c.hi.Less(r.hi) {
		out = append(out, addrRange{c.hi.Next(), r.hi})
	}
	return out
}

// lastAddr is the highest address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().As16()
	off := 0
	if p.Addr().Is4() {
		off = 96
	}
	for i := p.Bits() + off; i < 128; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	a := netip.AddrFrom16(b)
	if p.Addr().Is4() {
		return a.Unmap()
	}
	return a
}

// prefixSize is the number of addresses in p, saturated at 1<<63.
func prefixSize(p netip.Prefix) uint64 {
	host := p.Addr().BitLen() - p.Bits()
	if host >= 63 {
		return 1 << 63
	}
	return 1 << host
}

// addr returns the address with index i (i < total).
func (ts *targetSet) addr(i uint64) netip.Addr {
	k := sort.Search(len(ts.segs), func(k int) bool { return ts.segs[k].base+ts.segs[k].count > i })
	s := ts.segs[k]
	return addOffset(s.first, i-s.base)
}

// addOffset returns a+off.
func addOffset(a netip.Addr, off uint64) netip.Addr {
	if a.Is4() {
		b := a.As4()
		v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		v += uint32(off)
		return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	}
	b := a.As16()
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	sum, carry := bits.Add64(lo, off, 0)
	binary.BigEndian.PutUint64(b[:8], hi+carry)
	binary.BigEndian.PutUint64(b[8:], sum)
	return netip.AddrFrom16(b).WithZone(a.Zone())
}

// splitFamilies returns the IPv4 and IPv6 prefixes of targets.
func splitFamilies(targets []netip.Prefix) (v4, v6 []netip.Prefix) {
	for _, p := range targets {
		if p.Addr().Is4() || p.Addr().Is4In6() && p.Bits() >= 96 {
			if p.Addr().Is4In6() {
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			v4 = append(v4, p)
		} else {
			v6 = append(v6, p)
		}
	}
	return v4, v6
}
