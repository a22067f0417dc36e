package snmp

import (
	"bytes"
	"encoding/hex"
	"sort"
	"strconv"

	"github.com/egovnet/egovnet/internal/wire"
)

// BRIDGE-MIB and Q-BRIDGE-MIB columns.
const (
	dot1dBasePortIfIndex = 2 // dot1dBasePortTable, index dot1dBasePort

	fdbPort   = 2 // dot1dTpFdbPort, dot1qTpFdbPort
	fdbStatus = 3 // dot1dTpFdbStatus, dot1qTpFdbStatus

	vlanStaticName        = 1 // dot1qVlanStaticName
	vlanStaticEgressPorts = 2 // dot1qVlanStaticEgressPorts
	vlanCurrentFdbID      = 3 // dot1qVlanFdbId, index (timeMark, vlanIndex)
	vlanCurrentEgress     = 4 // dot1qVlanCurrentEgressPorts
)

// basePorts maps bridge ports to ifIndexes (dot1dBasePortIfIndex). Keys
// come from the index; a port whose column is absent or 0 is unmapped. Ports
// are never taken for ifIndexes: Huawei and H3C number bridge ports from 1
// while their ifIndexes start elsewhere, with gaps (glpi #14909).
func basePorts(t *table) map[int]int {
	out := map[int]int{}
	if t.empty() {
		return out
	}
	for _, idx := range t.order {
		port, err := strconv.Atoi(idx)
		if err != nil || port <= 0 {
			continue
		}
		if v, ok := t.col(idx, dot1dBasePortIfIndex); ok {
			if n, ok := intValue(v); ok && n > 0 {
				out[port] = n
			}
		}
	}
	return out
}

// decodeFDB: one entry per dot1qTpFdbTable row (FDB id and MAC from the
// index), else one per dot1dTpFdbTable row (VLAN 0). The FDB id is the VLAN
// on independent-learning bridges (almost all); where dot1qVlanCurrentTable
// says which VLAN uses that FDB id, that VLAN is reported instead. An id
// that names no VLAN (Junos uses 131072 and up) is reported as VLAN 0.
func decodeFDB(inv *wire.DeviceInventory, got map[string]*table) {
	ports := basePorts(got[tDot1dBasePortTable])
	add := func(vlan int, mac string, t *table, idx string) {
		e := wire.FDBEntry{MAC: mac, VLAN: vlan}
		if v, ok := t.col(idx, fdbPort); ok {
			if n, ok := intValue(v); ok && n > 0 {
				e.BridgePort = n
				e.IfIndex = ports[n]
			}
		}
		if v, ok := t.col(idx, fdbStatus); ok {
			if n, ok := intValue(v); ok && n > 0 {
				e.Status = n
			}
		}
		inv.FDB = append(inv.FDB, e)
	}
	if t := got[tDot1qTpFdbTable]; !t.empty() {
		vlanOf := fdbVLANs(got[tDot1qVlanCurrentTable])
		for _, idx := range t.order {
			arcs, _ := parseArcs(idx)
			var fdbID uint32
			mac := ""
			if len(arcs) >= 7 {
				fdbID = arcs[0]
				if b, ok := arcsBytes(arcs[len(arcs)-6:]); ok {
					mac = hexString(b)
				}
			}
			vlan, ok := vlanOf[fdbID]
			if !ok {
				vlan = int(fdbID)
			}
			if vlan < 0 || vlan > 4095 {
				vlan = 0
			}
			add(vlan, mac, t, idx)
		}
		return
	}
	if t := got[tDot1dTpFdbTable]; !t.empty() {
		for _, idx := range t.order {
			arcs, _ := parseArcs(idx)
			mac := ""
			if len(arcs) == 6 {
				if b, ok := arcsBytes(arcs); ok {
					mac = hexString(b)
				}
			}
			add(0, mac, t, idx)
		}
	}
}

// fdbVLANs maps FDB ids to the one VLAN using each (dot1qVlanFdbId); an id
// shared by several VLANs (shared learning) maps to none.
func fdbVLANs(t *table) map[uint32]int {
	out := map[uint32]int{}
	if t.empty() {
		return out
	}
	shared := map[uint32]bool{}
	for _, idx := range t.order {
		arcs, ok := parseArcs(idx)
		if !ok || len(arcs) != 2 {
			continue
		}
		v, ok := t.col(idx, vlanCurrentFdbID)
		if !ok {
			continue
		}
		id, ok := uintValue(v)
		if !ok || id > 0xffffffff {
			continue
		}
		f := uint32(id)
		if prev, seen := out[f]; seen && prev != int(arcs[1]) {
			shared[f] = true
		}
		out[f] = int(arcs[1])
	}
	for f := range shared {
		delete(out, f)
	}
	return out
}

// decodeVLANs: one VLAN per dot1qVlanStaticTable row (id from the index,
// name from dot1qVlanStaticName), else one per VLAN of
// dot1qVlanCurrentTable. Member ports come from the static egress bitmap,
// else the current one, each bridge port mapped to its ifIndex; ports the
// device does not map are left out.
func decodeVLANs(inv *wire.DeviceInventory, got map[string]*table) {
	ports := basePorts(got[tDot1dBasePortTable])
	current := map[int][]byte{}
	var currentOrder []int
	if t := got[tDot1qVlanCurrentTable]; !t.empty() {
		for _, idx := range t.order {
			arcs, ok := parseArcs(idx)
			if !ok || len(arcs) != 2 {
				continue
			}
			id := int(arcs[1])
			if _, seen := current[id]; !seen {
				currentOrder = append(currentOrder, id)
				current[id] = nil
			}
			if v, ok := t.col(idx, vlanCurrentEgress); ok {
				current[id] = portList(bytesValue(v))
			}
		}
	}
	members := func(bitmap []byte) []int {
		var out []int
		for i, b := range bitmap {
			for bit := 0; bit < 8; bit++ {
				if b&(0x80>>bit) == 0 {
					continue
				}
				if ifx, ok := ports[i*8+bit+1]; ok {
					out = append(out, ifx)
				}
			}
		}
		sort.Ints(out)
		return dedupInts(out)
	}
	if t := got[tDot1qVlanStaticTable]; !t.empty() {
		for _, idx := range t.order {
			id, err := strconv.Atoi(idx)
			if err != nil || id < 0 || id > 4095 {
				id = 0
			}
			vl := wire.VLAN{ID: id}
			if v, ok := t.col(idx, vlanStaticName); ok {
				vl.Name = clipText(rowText(textValue(v)), wire.MaxShortString)
			}
			if v, ok := t.col(idx, vlanStaticEgressPorts); ok {
				vl.Ports = members(portList(bytesValue(v)))
			} else if bm := current[id]; bm != nil {
				vl.Ports = members(bm)
			}
			inv.VLANs = append(inv.VLANs, vl)
		}
		return
	}
	for _, id := range currentOrder {
		vid := id
		if vid > 4095 {
			vid = 0
		}
		inv.VLANs = append(inv.VLANs, wire.VLAN{ID: vid, Ports: members(current[id])})
	}
}

func dedupInts(s []int) []int {
	if len(s) < 2 {
		return s
	}
	out := s[:1]
	for _, x := range s[1:] {
		if x != out[len(out)-1] {
			out = append(out, x)
		}
	}
	return out
}

// portList returns a PortList bitmap. Some recordings (LibreNMS's, taken
// from snmpwalk output) carry the first 16 octets as bytes and the rest as
// the hex dump net-snmp printed ("\n00 00 FF ..."); that tail is read back
// as octets, so its text never becomes bogus member ports.
func portList(b []byte) []byte {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return b
	}
	tail := b[i:]
	var out []byte
	for len(tail) > 0 {
		switch tail[0] {
		case '\n', ' ', '\r':
			tail = tail[1:]
			continue
		}
		if len(tail) < 2 {
			return b
		}
		x, err := hex.DecodeString(string(tail[:2]))
		if err != nil {
			return b
		}
		out = append(out, x[0])
		tail = tail[2:]
	}
	return append(append([]byte{}, b[:i]...), out...)
}
