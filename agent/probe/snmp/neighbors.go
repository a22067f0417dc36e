package snmp

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/egovnet/egovnet/internal/wire"
)

// LLDP-MIB and CISCO-CDP-MIB columns.
const (
	lldpRemChassisIDSubtype = 4
	lldpRemChassisID        = 5
	lldpRemPortIDSubtype    = 6
	lldpRemPortID           = 7
	lldpRemSysName          = 9
	lldpRemSysDesc          = 10

	lldpLocPortIDSubtype = 2
	lldpLocPortID        = 3
	lldpLocPortDesc      = 4

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
			if n.SysName == "" {
				// A remote that advertises no system name (a Siemens CP 443-1
				// PLC module) is known by its description, as LibreNMS names it.
				if v, ok := t.col(idx, lldpRemSysDesc); ok {
					n.SysName = firstLine(textValue(v), maxSysName)
				}
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

// maxSysName is the wire limit on a neighbour's sys_name (MaxShortString).
const maxSysName = 255

// firstLine is the first non-blank line of s, trimmed, cut to at most max
// bytes on a character boundary.
func firstLine(s string, max int) string {
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }) {
		if l = strings.TrimSpace(l); l != "" {
			s = l
			break
		}
	}
	return clipText(strings.TrimSpace(s), max)
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

// LldpPortIdSubtype values (LLDP-MIB) of lldpLocPortIdSubtype.
const (
	portIDInterfaceAlias = 1
	portIDMacAddress     = 3
	portIDInterfaceName  = 5
	portIDLocal          = 7
)

// lldpLocalPorts maps LLDP local port numbers (lldpRemLocalPortNum, the
// middle arc of an lldpRemTable index) to ifIndexes. The number is the
// agent's own lldpLocPortNum, which need not be an ifIndex even when an
// ifIndex with that number exists (Huawei VRP: port 14 is
// GigabitEthernet0/0/14, ifIndex 14 is GigabitEthernet0/0/9), so each
// lldpLocPortTable row is matched to an interface by what it says about
// itself: lldpLocPortId and lldpLocPortDesc against ifName, ifDescr, ifAlias
// and MAC, in an order chosen by lldpLocPortIdSubtype, each match counting
// only when exactly one interface fits. Only a port that nothing matches,
// or every port when lldpLocPortTable is absent, is taken as "port number
// = ifIndex"; a number already claimed by another port's match is not an
// ifIndex of this port and maps to 0 (unknown). With no interfaces decoded
// the numbers are kept as they are.
func lldpLocalPorts(t *table, ifs []wire.Interface) map[uint32]int {
	out := map[uint32]int{}
	if t.empty() || len(ifs) == 0 {
		return out
	}
	x := newIfLookup(ifs)
	claimed := map[int]uint32{} // ifIndex -> the port number matched to it
	var unmatched []uint32
	for _, idx := range t.order {
		n, err := strconv.ParseUint(idx, 10, 32)
		if err != nil {
			continue
		}
		sub := 0
		if v, ok := t.col(idx, lldpLocPortIDSubtype); ok {
			sub, _ = intValue(v)
		}
		var id []byte
		if v, ok := t.col(idx, lldpLocPortID); ok {
			id = bytesValue(v)
		}
		desc := ""
		if v, ok := t.col(idx, lldpLocPortDesc); ok {
			desc = textValue(v)
		}
		if ifi, ok := x.resolve(sub, id, desc); ok {
			out[uint32(n)] = ifi
			if _, dup := claimed[ifi]; !dup {
				claimed[ifi] = uint32(n)
			}
			continue
		}
		unmatched = append(unmatched, uint32(n))
	}
	for _, n := range unmatched {
		if by, ok := claimed[int(n)]; ok && by != n {
			out[n] = 0
		}
	}
	return out
}

// ifLookup finds the one interface a name, alias, MAC or number denotes.
type ifLookup struct {
	known                           map[int]bool
	name, descr, fold, alias, macOf map[string][]int
}

func newIfLookup(ifs []wire.Interface) *ifLookup {
	x := &ifLookup{known: map[int]bool{}, name: map[string][]int{}, descr: map[string][]int{},
		fold: map[string][]int{}, alias: map[string][]int{}, macOf: map[string][]int{}}
	// Two entries already make a key ambiguous; an interface adds its own
	// keys one after another, so only the last entry can be itself.
	add := func(m map[string][]int, key string, ifi int) {
		l := m[key]
		if key == "" || len(l) >= 2 || (len(l) == 1 && l[0] == ifi) {
			return
		}
		m[key] = append(l, ifi)
	}
	for _, in := range ifs {
		x.known[in.Index] = true
		add(x.name, in.Name, in.Index)
		add(x.descr, in.Descr, in.Index)
		add(x.fold, foldName(in.Name), in.Index)
		add(x.fold, foldName(in.Descr), in.Index)
		add(x.alias, in.Alias, in.Index)
		if in.MAC != "" && in.MAC != "00:00:00:00:00:00" {
			add(x.macOf, in.MAC, in.Index)
		}
	}
	return x
}

func foldName(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func one(l []int) (int, bool) {
	if len(l) == 1 {
		return l[0], true
	}
	return 0, false
}

// byName: ifName, then ifDescr, then either ignoring case and outer blanks.
func (x *ifLookup) byName(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	if i, ok := one(x.name[s]); ok {
		return i, true
	}
	if i, ok := one(x.descr[s]); ok {
		return i, true
	}
	return one(x.fold[foldName(s)])
}

func (x *ifLookup) byAlias(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	return one(x.alias[s])
}

// byMAC reads a port id as 6 raw octets or as MAC text ("D4:CA:6D:EA:FE:91",
// RouterOS).
func (x *ifLookup) byMAC(b []byte) (int, bool) {
	m := ""
	switch {
	case len(b) == 6:
		m = hexString(b)
	case len(b) >= 12 && utf8.Valid(b):
		m = parseTextMAC(string(b))
	}
	if m == "" {
		return 0, false
	}
	return one(x.macOf[m])
}

// byNumber reads a port id that is an ifIndex written as text (Junos,
// subtype local: "520").
func (x *ifLookup) byNumber(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n <= 0 || !x.known[n] {
		return 0, false
	}
	return n, true
}

// resolve tries what the subtype says the port id is first, then the
// generic order: the id as a name, the description as a name, the id as a
// MAC or an ifIndex number, the id and description as an ifAlias. A missing
// subtype (sparse agents serve only lldpLocPortId) tries everything.
func (x *ifLookup) resolve(sub int, id []byte, desc string) (int, bool) {
	idText := displayText(id)
	steps := []func() (int, bool){}
	switch sub {
	case portIDInterfaceAlias:
		steps = append(steps, func() (int, bool) { return x.byAlias(idText) })
	case portIDMacAddress:
		steps = append(steps, func() (int, bool) { return x.byName(desc) }, func() (int, bool) { return x.byMAC(id) })
	case portIDLocal:
		steps = append(steps, func() (int, bool) { return x.byName(idText) }, func() (int, bool) { return x.byNumber(idText) })
	}
	steps = append(steps,
		func() (int, bool) { return x.byName(idText) },
		func() (int, bool) { return x.byName(desc) },
	)
	if sub == 0 || sub == portIDMacAddress {
		steps = append(steps, func() (int, bool) { return x.byMAC(id) })
	}
	if sub == 0 || sub == portIDLocal {
		steps = append(steps, func() (int, bool) { return x.byNumber(idText) })
	}
	steps = append(steps,
		func() (int, bool) { return x.byAlias(idText) },
		func() (int, bool) { return x.byAlias(desc) },
	)
	for _, step := range steps {
		if i, ok := step(); ok {
			return i, true
		}
	}
	return 0, false
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
