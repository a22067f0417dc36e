package snmp

import (
	"strconv"
	"strings"

	"github.com/egovnet/egovnet/internal/wire"
)

// IF-MIB columns.
const (
	ifDescr       = 2
	ifType        = 3
	ifMtu         = 4
	ifSpeed       = 5
	ifPhysAddress = 6
	ifAdminStatus = 7
	ifOperStatus  = 8
	ifName        = 1  // ifXTable
	ifHighSpeed   = 15 // ifXTable, Mbit/s
	ifAlias       = 18 // ifXTable
)

// decodeInterfaces: one interface per ifTable row (the CONTRACT), keyed by
// the OID index because many agents do not serve the ifIndex column;
// ifXTable adds names, aliases and high speeds.
func decodeInterfaces(inv *wire.DeviceInventory, got map[string]*table) {
	it, xt := got[tIfTable], got[tIfXTable]
	if it.empty() {
		return
	}
	for _, idx := range it.order {
		n, err := strconv.Atoi(idx)
		if err != nil {
			n = -1
		}
		in := wire.Interface{Index: n}
		if v, ok := it.col(idx, ifDescr); ok {
			in.Descr = textValue(v)
		}
		if v, ok := it.col(idx, ifType); ok {
			in.Type, _ = intValue(v)
		}
		if v, ok := it.col(idx, ifMtu); ok {
			in.MTU, _ = intValue(v)
		}
		if v, ok := it.col(idx, ifSpeed); ok {
			s, _ := uintValue(v)
			in.SpeedBps = s
		}
		if v, ok := it.col(idx, ifPhysAddress); ok {
			in.MAC = macValue(v)
		}
		if v, ok := it.col(idx, ifAdminStatus); ok {
			in.AdminStatus, _ = intValue(v)
		}
		if v, ok := it.col(idx, ifOperStatus); ok {
			in.OperStatus, _ = intValue(v)
		}
		if xt != nil {
			if v, ok := xt.col(idx, ifName); ok {
				in.Name = textValue(v)
			}
			if v, ok := xt.col(idx, ifAlias); ok {
				in.Alias = textValue(v)
			}
			if v, ok := xt.col(idx, ifHighSpeed); ok {
				// ifSpeed saturates at 4294967295 (and is absent in
				// sparse recordings): ifHighSpeed is then the truth.
				if hs, ok := uintValue(v); ok && (in.SpeedBps == 0 || in.SpeedBps == 4294967295) && hs > 0 {
					in.SpeedBps = hs * 1_000_000
				}
			}
		}
		inv.Interfaces = append(inv.Interfaces, in)
	}
}

// IP-MIB address columns.
const (
	ipAdEntIfIndex = 2
	ipAdEntNetMask = 3

	ipAddressIfIndex = 3
	ipAddressPrefix  = 5
)

// decodeAddresses: ipAddressTable (IPv4 and IPv6, InetAddress index) and the
// old ipAddrTable (IPv4 only), one entry per distinct address. Devices often
// serve IPv4 only in the old table and IPv6 only in the new one.
func decodeAddresses(inv *wire.DeviceInventory, got map[string]*table) {
	seen := map[string]bool{}
	if t := got[tIPAddressTable]; !t.empty() {
		for _, idx := range t.order {
			arcs, ok := parseArcs(idx)
			if !ok {
				continue
			}
			addr, _, _, ok := inetIndex(arcs)
			if !ok || addr == "" || seen[addr] {
				continue
			}
			seen[addr] = true
			e := wire.IPAddress{Address: unzone(addr), PrefixLen: -1}
			if v, ok := t.col(idx, ipAddressIfIndex); ok {
				e.IfIndex, _ = intValue(v)
			}
			if e.IfIndex == 0 {
				e.IfIndex = zoneIndex(addr)
			}
			if v, ok := t.col(idx, ipAddressPrefix); ok {
				// RowPointer into ipAddressPrefixTable; its last arc is the length.
				p := oidValue(v)
				if i := strings.LastIndexByte(p, '.'); i >= 0 && p != "0.0" {
					if n, err := strconv.Atoi(p[i+1:]); err == nil && n <= 128 {
						e.PrefixLen = n
					}
				}
			}
			inv.IPAddresses = append(inv.IPAddresses, e)
		}
	}
	if t := got[tIPAddrTable]; !t.empty() {
		for _, idx := range t.order {
			arcs, ok := parseArcs(idx)
			if !ok {
				continue
			}
			addr, _, ok := ipv4Index(arcs)
			if !ok {
				continue
			}
			e := wire.IPAddress{Address: addr, PrefixLen: -1}
			if v, ok := t.col(idx, ipAdEntIfIndex); ok {
				e.IfIndex, _ = intValue(v)
			}
			if v, ok := t.col(idx, ipAdEntNetMask); ok {
				e.PrefixLen = prefixFromMask(ipValue(v))
			}
			if seen[addr] {
				// Fill what the new table lacked (prefix lengths, often).
				for i := range inv.IPAddresses {
					a := &inv.IPAddresses[i]
					if a.Address == addr {
						if a.PrefixLen < 0 {
							a.PrefixLen = e.PrefixLen
						}
						if a.IfIndex == 0 {
							a.IfIndex = e.IfIndex
						}
					}
				}
				continue
			}
			seen[addr] = true
			inv.IPAddresses = append(inv.IPAddresses, e)
		}
	}
	for i := range inv.IPAddresses {
		if inv.IPAddresses[i].PrefixLen < 0 {
			inv.IPAddresses[i].PrefixLen = 0 // unknown
		}
	}
}
