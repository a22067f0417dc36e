package tcp

import (
	"net/netip"
	"sort"
)

// Hosts expands prefixes into their host addresses. For IPv4 prefixes
// shorter than /31 the network and broadcast addresses are left out; /31
// and /32 keep every address. Callers bound the size (agent/config).
func Hosts(prefixes []netip.Prefix) []netip.Addr {
	seen := map[netip.Addr]bool{}
	var out []netip.Addr
	for _, p := range prefixes {
		p = p.Masked()
		first := p.Addr()
		host := p.Addr().BitLen() - p.Bits()
		skipEdges := p.Addr().Is4() && host >= 2
		var last netip.Addr
		if skipEdges {
			last = lastAddr(p)
		}
		for a := first; a.IsValid() && p.Contains(a); a = a.Next() {
			if skipEdges && (a == first || a == last) {
				continue
			}
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	return out
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	bits := p.Bits()
	for i := range b {
		for j := 0; j < 8; j++ {
			if i*8+j >= bits {
				b[i] |= 0x80 >> j
			}
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func sortHosts(h []HostResult) {
	sort.Slice(h, func(i, j int) bool { return h[i].Addr.Less(h[j].Addr) })
}
