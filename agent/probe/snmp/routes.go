package snmp

import (
	"strconv"

	"github.com/egovnet/egovnet/internal/wire"
)

// ARP columns.
const (
	ipNetToMediaPhysAddress    = 2
	ipNetToPhysicalPhysAddress = 4
)

// decodeARP: one entry per (ifIndex, address) over the union of
// ipNetToPhysicalTable (IPv4 and IPv6) and ipNetToMediaTable (IPv4); keys
// come from the OID index (sparse agents serve only the MAC column).
func decodeARP(inv *wire.DeviceInventory, got map[string]*table) {
	seen := map[string]int{} // key -> position in inv.ARP
	add := func(ifIndex int, ip, mac string) {
		k := strconv.Itoa(ifIndex) + "|" + ip
		if i, ok := seen[k]; ok {
			if inv.ARP[i].MAC == "" {
				inv.ARP[i].MAC = mac
			}
			return
		}
		seen[k] = len(inv.ARP)
		inv.ARP = append(inv.ARP, wire.ARPEntry{IP: unzone(ip), MAC: mac, IfIndex: ifIndex})
	}
	if t := got[tIPNetToPhysical]; !t.empty() {
		for _, idx := range t.order {
			arcs, ok := parseArcs(idx)
			if !ok || len(arcs) < 2 {
				continue
			}
			ip, _, _, ok := inetIndex(arcs[1:])
			if !ok {
				continue
			}
			mac := ""
			if v, ok := t.col(idx, ipNetToPhysicalPhysAddress); ok {
				mac = macValue(v)
			}
			add(int(arcs[0]), ip, mac)
		}
	}
	if t := got[tIPNetToMediaTable]; !t.empty() {
		for _, idx := range t.order {
			arcs, ok := parseArcs(idx)
			if !ok || len(arcs) < 5 {
				continue
			}
			ip, _, ok := ipv4Index(arcs[1:])
			if !ok {
				continue
			}
			mac := ""
			if v, ok := t.col(idx, ipNetToMediaPhysAddress); ok {
				mac = macValue(v)
			}
			add(int(arcs[0]), ip, mac)
		}
	}
}

// Route columns per table.
const (
	inetCidrRouteIfIndex = 7
	inetCidrRouteProto   = 9

	ipCidrRouteIfIndex = 5
	ipCidrRouteProto   = 7

	ipRouteIfIndex = 2
	ipRouteNextHop = 7
	ipRouteProto   = 9
	ipRouteMask    = 11
)

// decodeRoutes reads the one route table walkAll kept: inetCidrRouteTable,
// else ipCidrRouteTable, else ipRouteTable. Every row counts, even one
// whose index cannot be parsed (its destination is then left empty).
func decodeRoutes(inv *wire.DeviceInventory, got map[string]*table) {
	switch {
	case !got[tInetCidrRouteTable].empty():
		t := got[tInetCidrRouteTable]
		for _, idx := range t.order {
			r := wire.Route{SourceTable: tInetCidrRouteTable}
			if arcs, ok := parseArcs(idx); ok {
				if dest, _, rest, ok := inetIndex(arcs); ok && len(rest) >= 2 {
					plen := int(rest[0])
					r.Destination = cidr(dest, plen)
					rest = rest[1:]
					// policy: an OBJECT IDENTIFIER index, length first.
					if n := int(rest[0]); n+1 <= len(rest) {
						rest = rest[1+n:]
						if nh, _, _, ok := inetIndex(rest); ok {
							r.NextHop = unzone(nh)
						}
					}
				}
			}
			if v, ok := t.col(idx, inetCidrRouteIfIndex); ok {
				r.IfIndex, _ = intValue(v)
			}
			if v, ok := t.col(idx, inetCidrRouteProto); ok {
				r.Protocol, _ = intValue(v)
			}
			inv.Routes = append(inv.Routes, r)
		}
	case !got[tIPCidrRouteTable].empty():
		t := got[tIPCidrRouteTable]
		for _, idx := range t.order {
			r := wire.Route{SourceTable: tIPCidrRouteTable}
			if arcs, ok := parseArcs(idx); ok && len(arcs) == 13 {
				dest, rest, _ := ipv4Index(arcs)
				mask, rest, _ := ipv4Index(rest)
				nh, _, _ := ipv4Index(rest[1:])
				r.Destination = cidr(dest, prefixFromMask(mask))
				r.NextHop = nh
			}
			if v, ok := t.col(idx, ipCidrRouteIfIndex); ok {
				r.IfIndex, _ = intValue(v)
			}
			if v, ok := t.col(idx, ipCidrRouteProto); ok {
				r.Protocol, _ = intValue(v)
			}
			inv.Routes = append(inv.Routes, r)
		}
	case !got[tIPRouteTable].empty():
		t := got[tIPRouteTable]
		for _, idx := range t.order {
			r := wire.Route{SourceTable: tIPRouteTable}
			arcs, ok := parseArcs(idx)
			dest := ""
			if ok {
				dest, _, _ = ipv4Index(arcs)
			}
			plen := 32
			if dest == "0.0.0.0" {
				plen = 0
			}
			if v, ok := t.col(idx, ipRouteMask); ok {
				if p := prefixFromMask(ipValue(v)); p >= 0 {
					plen = p
				}
			}
			if dest != "" {
				r.Destination = cidr(dest, plen)
			}
			if v, ok := t.col(idx, ipRouteNextHop); ok {
				r.NextHop = ipValue(v)
			}
			if v, ok := t.col(idx, ipRouteIfIndex); ok {
				r.IfIndex, _ = intValue(v)
			}
			if v, ok := t.col(idx, ipRouteProto); ok {
				r.Protocol, _ = intValue(v)
			}
			inv.Routes = append(inv.Routes, r)
		}
	}
}
