package snmp

import (
	"encoding/binary"
	"net/netip"
	"sort"
	"strconv"

	"github.com/egovnet/egovnet/internal/wire"
)

// MPLS-L3VPN-STD-MIB columns.
const (
	vrfRD = 4 // mplsL3VpnVrfRD, index mplsL3VpnVrfName
	// mplsL3VpnIfConfTable: index (mplsL3VpnVrfName, mplsL3VpnIfConfIndex).
)

// vrfNameIndex reads a VRF name from the front of an index: length-prefixed
// octets (the MIB's INDEX), or the whole index when the length is missing
// (as if IMPLIED). rest is what follows the name.
func vrfNameIndex(a []uint32, trailing int) (name string, rest []uint32, ok bool) {
	if len(a) >= 1 && int(a[0]) == len(a)-1-trailing {
		b, ok := arcsBytes(a[1 : 1+int(a[0])])
		if !ok {
			return "", nil, false
		}
		return string(b), a[1+int(a[0]):], true
	}
	if len(a) > trailing {
		b, ok := arcsBytes(a[:len(a)-trailing])
		if !ok {
			return "", nil, false
		}
		return string(b), a[len(a)-trailing:], true
	}
	return "", nil, false
}

// decodeVRFs: one VRF per mplsL3VpnVrfTable row, name from the index, RD
// from its column, interfaces from mplsL3VpnIfConfTable.
func decodeVRFs(inv *wire.DeviceInventory, got map[string]*table) {
	t := got[tVrfTable]
	if t.empty() {
		return
	}
	ifs := map[string][]int{}
	if it := got[tVrfIfConfTable]; !it.empty() {
		for _, idx := range it.order {
			arcs, ok := parseArcs(idx)
			if !ok {
				continue
			}
			name, rest, ok := vrfNameIndex(arcs, 1)
			if !ok || len(rest) != 1 {
				continue
			}
			ifs[name] = append(ifs[name], int(rest[0]))
		}
	}
	for _, idx := range t.order {
		arcs, ok := parseArcs(idx)
		raw := ""
		if ok {
			raw, _, _ = vrfNameIndex(arcs, 0)
		}
		name := clipText(rowText(displayText([]byte(raw))), wire.MaxShortString)
		if name == "" {
			// The name is required on the wire; keep the row anyway.
			name = clipText(rowText(idx), wire.MaxShortString)
			if name == "" {
				name = "unnamed"
			}
		}
		v := wire.VRF{Name: name, IfIndexes: []int{}}
		if c, ok := t.col(idx, vrfRD); ok {
			v.RD = clipText(rowText(routeDistinguisher(bytesValue(c))), wire.MaxShortString)
		}
		if x := ifs[raw]; len(x) > 0 {
			sort.Ints(x)
			v.IfIndexes = dedupInts(x)
		}
		inv.VRFs = append(inv.VRFs, v)
	}
}

// routeDistinguisher formats an RD: agents send either the text
// ("65000:1", "100.96.0.1:1") or the 8 RFC 4364 octets (type, then
// ASN:number or IPv4:number).
func routeDistinguisher(b []byte) string {
	if len(b) == 8 && b[0] == 0 { // text RDs ("100:1234" is 8 bytes too) never start with NUL
		typ := binary.BigEndian.Uint16(b[:2])
		switch typ {
		case 0:
			return strconv.FormatUint(uint64(binary.BigEndian.Uint16(b[2:4])), 10) + ":" +
				strconv.FormatUint(uint64(binary.BigEndian.Uint32(b[4:8])), 10)
		case 1:
			return netip.AddrFrom4([4]byte(b[2:6])).String() + ":" +
				strconv.FormatUint(uint64(binary.BigEndian.Uint16(b[6:8])), 10)
		case 2:
			return strconv.FormatUint(uint64(binary.BigEndian.Uint32(b[2:6])), 10) + ":" +
				strconv.FormatUint(uint64(binary.BigEndian.Uint16(b[6:8])), 10)
		}
	}
	return displayText(b)
}
