package snmp

import (
	"strconv"
	"strings"

	"github.com/egovnet/egovnet/internal/wire"
)

// LLDP-MIB and CISCO-CDP-MIB columns.
const (
	lldpRemChassisIDSubtype = 4
	lldpRemChassisID        = 5
	lldpRemPortIDSubtype    = 6
	lldpRemPortID           = 7
	lldpRemSysName          = 9

	lldpLocPortID   = 3
	lldpLocPortDesc = 4

	cdpCacheAddressType = 3
	cdpCacheAddress     = 4
	cdpCacheDeviceID    = 6
	cdpCacheDevicePort  = 7
	cdpCachePlatform    = 8
)

// decodeNeighbors: one neighbour per lldpRemTable row and per cdpCacheTable
// row. The LLDP key (timeMark.localPort.remIndex) and the CDP key
// (ifIndex.deviceIndex) come from the OID index.
func decodeNeighbors(inv *wire.DeviceInventory, got map[string]*table) {
	if t := got[tLldpRemTable]; !t.empty() {
		addrs := lldpManAddrs(got[tLldpRemManAddrTable])
		ports := lldpLocalPorts(got[tLldpLocPortTable], inv.Interfaces)
		for _, idx := range t.order {
			n := wire.Neighbor{Protocol: "lldp"}
			arcs, ok := parseArcs(idx)
			if ok && len(arcs) >= 3 {
				n.LocalIfIndex = int(arcs[1])
				if ifi, ok := ports[arcs[1]]; ok {
					n.LocalIfIndex = ifi
				}
				n.Address = addrs[remKey(arcs[:3])]
			}
			sub := 0
			if v, ok := t.col(idx, lldpRemChassisIDSubtype); ok {
				sub, _ = intValue(v)
			}
			if v, ok := t.col(idx, lldpRemChassisID); ok {
				n.ChassisID = lldpID(bytesValue(v), sub, 4, 5)
			}
			sub = 0
			if v, ok := t.col(idx, lldpRemPortIDSubtype); ok {
				sub, _ = intValue(v)
			}
			if v, ok := t.col(idx, lldpRemPortID); ok {
				n.PortID = lldpID(bytesValue(v), sub, 3, 4)
			}
			if v, ok := t.col(idx, lldpRemSysName); ok {
				n.SysName = textValue(v)
			}
			inv.Neighbors = append(inv.Neighbors, n)
		}
	}
	if t := got[tCdpCacheTable]; !t.empty() {
		for _, idx := range t.order {
			n := wire.Neighbor{Protocol: "cdp"}
			if arcs, ok := parseArcs(idx); ok && len(arcs) >= 1 {
				n.LocalIfIndex = int(arcs[0])
			}
			if v, ok := t.col(idx, cdpCacheDeviceID); ok {
				n.ChassisID = textValue(v)
				n.SysName = n.ChassisID
			}
			if v, ok := t.col(idx, cdpCacheDevicePort); ok {
				n.PortID = textValue(v)
			}
			if v, ok := t.col(idx, cdpCachePlatform); ok {
				n.Platform = textValue(v)
			}
			if v, ok := t.col(idx, cdpCacheAddress); ok {
				at := 1
				if tv, ok := t.col(idx, cdpCacheAddressType); ok {
					at, _ = intValue(tv)
				}
				if b := bytesValue(v); at == 1 || at == 20 {
					n.Address = addrFromBytes(b)
				}
			}
			inv.Neighbors = append(inv.Neighbors, n)
		}
	}
}

func remKey(a []uint32) string {
	return strconv.FormatUint(uint64(a[0]), 10) + "." + strconv.FormatUint(uint64(a[1]), 10) + "." + strconv.FormatUint(uint64(a[2]), 10)
}

// lldpManAddrs maps a remote (timeMark.localPort.remIndex) to its first
// management address, IPv4 preferred. Index tail: subtype.len.octets with
// subtype from IANA-ADDRESS-FAMILY-NUMBERS (1 ipv4, 2 ipv6).
func lldpManAddrs(t *table) map[string]string {
	out := map[string]string{}
	if t.empty() {
		return out
	}
	for _, idx := range t.order {
		arcs, ok := parseArcs(idx)
		if !ok || len(arcs) < 5 {
			continue
		}
		key := remKey(arcs[:3])
		fam, rest := arcs[3], arcs[4:]
		if int(rest[0]) == len(rest)-1 {
			rest = rest[1:]
		}
		b, ok := arcsBytes(rest)
		if !ok {
			continue
		}
		a := ""
		if (fam == 1 && len(b) == 4) || (fam == 2 && len(b) == 16) {
			a = addrFromBytes(b)
		}
		if a == "" {
			continue
		}
		if prev, ok := out[key]; !ok || (fam == 1 && strings.Contains(prev, ":")) {
			out[key] = a
		}
	}
	return out
}

// lldpLocalPorts maps LLDP local port numbers to ifIndexes when the agent
// names its ports by interface name (subtype 5) or the port id/description
// equals an ifName/ifDescr. Unmapped ports keep their number, which most
// agents make equal to the ifIndex.
func lldpLocalPorts(t *table, ifs []wire.Interface) map[uint32]int {
	out := map[uint32]int{}
	if t.empty() || len(ifs) == 0 {
		return out
	}
	byName := map[string]int{}
	for _, in := range ifs {
		for _, s := range []string{in.Name, in.Descr} {
			if s != "" {
				if _, dup := byName[s]; !dup {
					byName[s] = in.Index
				}
			}
		}
	}
	known := map[int]bool{}
	for _, in := range ifs {
		known[in.Index] = true
	}
	for _, idx := range t.order {
		n, err := strconv.ParseUint(idx, 10, 32)
		if err != nil {
			continue
		}
		if known[int(n)] {
			continue // already an ifIndex: trust it
		}
		for _, c := range []int{lldpLocPortID, lldpLocPortDesc} {
			if v, ok := t.col(idx, c); ok {
				if ifi, ok := byName[textValue(v)]; ok {
					out[uint32(n)] = ifi
					break
				}
			}
		}
	}
	return out
}

// lldpID formats an LLDP chassis or port id by its subtype: MAC addresses as
// colon hex, network addresses (family octet + address) as IP text, the rest
// as text when printable.
func lldpID(b []byte, subtype, macSub, netSub int) string {
	switch {
	case subtype == macSub && len(b) == 6:
		return hexString(b)
	case subtype == netSub && len(b) >= 5:
		if s := addrFromBytes(b[1:]); s != "" {
			return s
		}
	}
	return decodeText(b)
}
