package snmp

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/egovnet/egovnet/internal/wire"
)

// IPV6-MIB (RFC 2465) is where devices that predate IP-MIB's IPv6 rows
// (older Cisco IOS, H3C Comware 5, Huawei VRP 5, MikroTik RouterOS) keep
// their IPv6 neighbour and route tables. Each is read only where the IP-MIB
// table of the same facts holds no IPv6 row, so a device that serves both
// is not counted twice; its rows become ordinary ARP entries and routes
// (source_table ipv6RouteTable). The tables are walked whole: every column
// is small and no column is served on every row (RouterOS leaves most of a
// host route's columns out).
const (
	tIPv6NetToMedia = "ipv6NetToMediaTable"
	tIPv6RouteTable = "ipv6RouteTable"
)

// IPV6-MIB columns.
const (
	ipv6NetToMediaPhysAddress = 2
	ipv6RouteIfIndex          = 4
	ipv6RouteNextHop          = 5
	ipv6RouteProtocol         = 7
)

// needsIPv6NetToMedia: ipNetToPhysicalTable has no IPv6 neighbour.
func needsIPv6NetToMedia(_ string, got map[string]*table) bool {
	return !hasInetRows(got[tIPNetToPhysical], 1)
}

// needsIPv6Routes: inetCidrRouteTable (when walked) has no IPv6 route.
func needsIPv6Routes(_ string, got map[string]*table) bool {
	return !hasInetRows(got[tInetCidrRouteTable], 0)
}

// hasInetRows reports whether a row of t has an IPv6 (or zoned IPv6)
// InetAddressType at index arc at.
func hasInetRows(t *table, at int) bool {
	if t.empty() {
		return false
	}
	for _, idx := range t.order {
		arcs, ok := parseArcs(idx)
		if ok && len(arcs) > at && (arcs[at] == inetIPv6 || arcs[at] == inetIPv6z) {
			return true
		}
	}
	return false
}

// ipv6AddrIndex reads an Ipv6Address index component of an index that
// has n arcs besides it, at the start of a. RFC 2465 makes Ipv6Address a
// fixed-size string, so it is 16 arcs; some agents (ssd-ruijie) send it
// with a length arc first, as if it were variable-size: that is accepted
// too. Anything else (another length, an arc above 255) is malformed.
func ipv6AddrIndex(a []uint32, n int) (netip.Addr, []uint32, bool) {
	switch {
	case len(a) == 16+n:
	case len(a) == 17+n && a[0] == 16:
		a = a[1:]
	default:
		return netip.Addr{}, nil, false
	}
	b, ok := arcsBytes(a[:16])
	if !ok {
		return netip.Addr{}, nil, false
	}
	return netip.AddrFrom16([16]byte(b)), a[16:], true
}

// malformedRows records, once per table, the rows whose index could not
// be read (a lying device): they are left out, the rest still counts.
func malformedRows(inv *wire.DeviceInventory, name string, bad []string) {
	if len(bad) == 0 {
		return
	}
	inv.Errors = append(inv.Errors, wire.TableError{Table: name,
		Error: fmt.Sprintf("decode %s: %d rows with a malformed index, first %s", name, len(bad), bad[0])})
}

// decodeIPv6NetToMedia adds one ARP entry per ipv6NetToMediaTable row
// (ipv6IfIndex.ipv6NetToMediaNetAddress), keyed like ipNetToPhysical's:
// (ifIndex, address), never twice. ipv6IfIndex is the ifIndex on the
// devices seen (ssd-ruijie serves the same neighbours in both tables under
// the same interface numbers).
func decodeIPv6NetToMedia(inv *wire.DeviceInventory, got map[string]*table) {
	t := got[tIPv6NetToMedia]
	if t.empty() {
		return
	}
	seen := map[string]bool{}
	for _, a := range inv.ARP {
		seen[strconv.Itoa(a.IfIndex)+"|"+a.IP] = true
	}
	var bad []string
	for _, idx := range t.order {
		arcs, ok := parseArcs(idx)
		if !ok || len(arcs) < 1 || arcs[0] == 0 || arcs[0] > 1<<31-1 {
			bad = append(bad, idx)
			continue
		}
		addr, _, ok := ipv6AddrIndex(arcs[1:], 0)
		if !ok {
			bad = append(bad, idx)
			continue
		}
		e := wire.ARPEntry{IP: addr.String(), IfIndex: int(arcs[0])}
		k := strconv.Itoa(e.IfIndex) + "|" + e.IP
		if seen[k] {
			continue
		}
		seen[k] = true
		if v, ok := t.col(idx, ipv6NetToMediaPhysAddress); ok {
			e.MAC = macValue(v)
		}
		inv.ARP = append(inv.ARP, e)
	}
	malformedRows(inv, tIPv6NetToMedia, bad)
}

// decodeIPv6Routes adds one route per ipv6RouteTable row
// (ipv6RouteDest.ipv6RoutePfxLength.ipv6RouteIndex). The next hop is a
// column (absent on some rows: then left empty); the protocol is mapped
// to the IANAipRouteProtocol numbers the other route tables use.
func decodeIPv6Routes(inv *wire.DeviceInventory, got map[string]*table) {
	t := got[tIPv6RouteTable]
	if t.empty() {
		return
	}
	var bad []string
	for _, idx := range t.order {
		arcs, ok := parseArcs(idx)
		if !ok {
			bad = append(bad, idx)
			continue
		}
		dest, rest, ok := ipv6AddrIndex(arcs, 2)
		if !ok || rest[0] > 128 {
			bad = append(bad, idx)
			continue
		}
		r := wire.Route{SourceTable: tIPv6RouteTable, Destination: cidr(dest.String(), int(rest[0]))}
		if v, ok := t.col(idx, ipv6RouteNextHop); ok {
			r.NextHop = ipValue(v)
		}
		if v, ok := t.col(idx, ipv6RouteIfIndex); ok {
			r.IfIndex, _ = intValue(v)
		}
		if v, ok := t.col(idx, ipv6RouteProtocol); ok {
			p, _ := intValue(v)
			r.Protocol = ianaRouteProtocol(p)
		}
		inv.Routes = append(inv.Routes, r)
	}
	malformedRows(inv, tIPv6RouteTable, bad)
}

// ianaRouteProtocol maps ipv6RouteProtocol (RFC 2465: other 1, local 2,
// netmgmt 3, ndisc 4, rip 5, ospf 6, bgp 7, idrp 8, igrp 9) to
// IANAipRouteProtocol, which routes[].protocol holds for every other table:
// a neighbour-discovery route is "icmp" (4) there; idrp has no number and
// is "other", as is any value RFC 2465 does not define.
func ianaRouteProtocol(p int) int {
	switch p {
	case 0, 1, 2, 3, 4:
		return p // 0: not served
	case 5:
		return 8 // rip
	case 6:
		return 13 // ospf
	case 7:
		return 14 // bgp
	case 9:
		return 11 // ciscoIgrp
	}
	return 1 // idrp, or a value RFC 2465 does not define
}
