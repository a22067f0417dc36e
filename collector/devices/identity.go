package devices

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/egovnet/egovnet/internal/wire"
)

// Identity returns the stable key of a walked device within a department:
// the SNMP engine ID (survives readdressing and renaming), else sysName with
// the chassis MAC (the lowest interface MAC: stable across reboots), else the
// walked target. The kind prefix keeps the three spaces apart.
func Identity(d *wire.DeviceInventory) string {
	if e := strings.TrimSpace(strings.ToLower(d.EngineID)); e != "" && e != "0x" && e != "00" {
		return "engine:" + e
	}
	if name := strings.TrimSpace(d.System.Name); name != "" {
		if mac := ChassisMAC(d); mac != "" {
			return "sysname:" + strings.ToLower(name) + "/" + mac
		}
	}
	return "target:" + d.Target
}

// ID is the device's route id: a short hash of department and identity, so
// ids are URL-safe and a device walked by two departments is two devices.
func ID(department, identity string) string {
	sum := sha256.Sum256([]byte(department + "\x00" + identity))
	return hex.EncodeToString(sum[:8])
}

// ChassisMAC is the lowest non-zero, non-multicast interface MAC.
func ChassisMAC(d *wire.DeviceInventory) string {
	var macs []string
	for _, i := range d.Interfaces {
		if m := NormMAC(i.MAC); m != "" && m != "00:00:00:00:00:00" {
			hw, _ := net.ParseMAC(m)
			if len(hw) > 0 && hw[0]&1 == 0 {
				macs = append(macs, m)
			}
		}
	}
	if len(macs) == 0 {
		return ""
	}
	return slices.Min(macs)
}

// NormMAC lower-cases a MAC in colon form; unparsable input is "".
func NormMAC(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	hw, err := net.ParseMAC(s)
	if err != nil {
		return ""
	}
	return strings.ToLower(hw.String())
}

// enterprises maps SMI private enterprise numbers (sysObjectID's arc under
// 1.3.6.1.4.1) to the vendors government networks run.
var enterprises = map[int]string{
	9: "Cisco", 11: "HP", 43: "3Com", 171: "D-Link", 311: "Microsoft", 1588: "Brocade", 1916: "Extreme",
	2011: "Huawei", 2636: "Juniper", 3902: "ZTE", 4881: "Ruijie", 5567: "Riverbed", 6486: "Alcatel-Lucent",
	6527: "Nokia", 8072: "Net-SNMP", 11863: "TP-Link", 12356: "Fortinet", 14823: "Aruba", 14988: "MikroTik",
	25506: "H3C", 30065: "Arista", 34086: "Sangfor", 56813: "Hillstone", 2620: "Check Point", 25461: "Palo Alto",
	37072: "DPtech", 35047: "Maipu", 24968: "Topsec", 4413: "Broadcom", 674: "Dell", 232: "HPE",
}

// Vendor names the maker from sysObjectID, else the chassis entity's
// manufacturer.
func Vendor(d *wire.DeviceInventory) string {
	oid := strings.TrimPrefix(d.System.ObjectID, ".")
	if rest, ok := strings.CutPrefix(oid, "1.3.6.1.4.1."); ok {
		arc, _, _ := strings.Cut(rest, ".")
		if n, err := strconv.Atoi(arc); err == nil {
			if v, ok := enterprises[n]; ok {
				return v
			}
		}
	}
	if c := chassis(d); c != nil {
		return strings.TrimSpace(c.MfgName)
	}
	return ""
}

// chassis is the outermost ENTITY-MIB chassis (class 3), else the first
// entity with a serial number.
func chassis(d *wire.DeviceInventory) *wire.Entity {
	var best *wire.Entity
	for i := range d.Entities {
		e := &d.Entities[i]
		if e.Class == 3 && (best == nil || best.Class != 3 || e.ContainedIn == 0 && best.ContainedIn != 0 || e.Index < best.Index && (e.ContainedIn == 0) == (best.ContainedIn == 0)) {
			best = e
		}
	}
	if best != nil {
		return best
	}
	for i := range d.Entities {
		if strings.TrimSpace(d.Entities[i].Serial) != "" {
			return &d.Entities[i]
		}
	}
	return nil
}

// ModelSerial reads model and serial from the chassis entity.
func ModelSerial(d *wire.DeviceInventory) (model, serial string) {
	c := chassis(d)
	if c == nil {
		return "", ""
	}
	model = strings.TrimSpace(c.Model)
	if model == "" {
		model = strings.TrimSpace(c.Name)
	}
	if model == "" {
		model = strings.TrimSpace(c.Descr)
	}
	return model, strings.TrimSpace(c.Serial)
}

// portName is the interface's ifName, else ifDescr, else "ifIndex N".
func portName(d *wire.DeviceInventory, ifIndex int) string {
	for _, i := range d.Interfaces {
		if i.Index == ifIndex {
			if i.Name != "" {
				return i.Name
			}
			if i.Descr != "" {
				return i.Descr
			}
		}
	}
	if ifIndex == 0 {
		return ""
	}
	return "ifIndex " + strconv.Itoa(ifIndex)
}

// MaxAccessMACs is the most MACs a port may have learned and still count
// as an access port: more means a downstream switch or hub.
const MaxAccessMACs = 4

// accessPorts returns the (if_index or bridge port) keys of ports that look
// like access ports: no LLDP/CDP neighbour and at most MaxAccessMACs learned.
func accessPorts(d *wire.DeviceInventory) map[portKey]bool {
	nbr := map[int]bool{}
	for _, n := range d.Neighbors {
		nbr[n.LocalIfIndex] = true
	}
	count := map[portKey]map[string]bool{}
	for _, f := range d.FDB {
		if !learned(f.Status) {
			continue
		}
		k := portKey{f.BridgePort, f.IfIndex}
		if count[k] == nil {
			count[k] = map[string]bool{}
		}
		count[k][NormMAC(f.MAC)] = true
	}
	out := map[portKey]bool{}
	for k, macs := range count {
		if (k.ifIndex != 0 || k.bridgePort != 0) && !(k.ifIndex != 0 && nbr[k.ifIndex]) && len(macs) <= MaxAccessMACs {
			out[k] = true
		}
	}
	return out
}

type portKey struct{ bridgePort, ifIndex int }

// learned: dot1dTpFdbStatus learned(3), or not served (0).
func learned(status int) bool { return status == 3 || status == 0 }
