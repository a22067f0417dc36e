package snmp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gosnmp/gosnmp"

	"github.com/egovnet/egovnet/internal/wire"
)

// lnLink is one LibreNMS discovery-protocols link: the local port named by
// ifName/ifDescr/ifAlias, the remote by hostname and port.
type lnLink struct {
	Protocol       string `json:"protocol"`
	RemoteHostname string `json:"remote_hostname"`
	RemotePort     string `json:"remote_port"`
	IfName         string `json:"ifName"`
	IfDescr        string `json:"ifDescr"`
	IfAlias        string `json:"ifAlias"`
}

func loadLNLinks(t *testing.T, device string) []lnLink {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(snmpDataDir(t), "librenms-expected", device+".json"))
	if err != nil {
		t.Fatalf("read LibreNMS expected: %v", err)
	}
	var doc struct {
		DP *struct {
			Discovery struct {
				Links []lnLink `json:"links"`
			} `json:"discovery"`
		} `json:"discovery-protocols"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("parse LibreNMS expected: %v", err)
	}
	if doc.DP == nil {
		t.Fatalf("%s.json has no discovery-protocols module", device)
	}
	var out []lnLink
	for _, l := range doc.DP.Discovery.Links {
		if l.Protocol == "lldp" {
			out = append(out, l)
		}
	}
	return out
}

// TestLLDPLocalPortsMatchLibreNMS: every LLDP link LibreNMS discovered from a
// recording is one of our neighbours (same remote name) attached to the same
// local port (same ifName and ifDescr; ifAlias too where the device serves
// one). LibreNMS resolves the local port independently of us (BRIDGE-MIB
// dot1dBasePortIfIndex, then lldpLocPortId against ifDescr/ifName/ifAlias,
// then the number as an ifIndex).
//
// How each recording names its LLDP local ports (only lldpLocPortId, .3, is
// recorded in these sparse files; no subtype .2 and no description .4):
//   - vrp_5720, vrp_ac6605-26: lldpLocPortNum is NOT the ifIndex (port 14 is
//     GigabitEthernet0/0/14, ifIndex 14 is GigabitEthernet0/0/9; port 901 is
//     MEth0/0/1, no ifIndex 901); lldpLocPortId holds the ifName.
//   - junos_mx5t-isis, nxos_n3k-3064pq, eltex-mes23xx_mes2324b: the number is
//     the ifIndex and lldpLocPortId the ifName (both agree).
//   - junos_rpm: lldpLocPortId is the number as text (subtype local(7) on
//     Junos), naming the ifIndex (logical unit ge-0/0/0.0).
//   - iosxe_ie32008t2s-ios17-12: lldpLocPortId "port-001"/"port-003" names no
//     interface (IOS-XE's own LLDP port ids), so the number is the ifIndex
//     (Gi1/1, Gi1/3; BRIDGE-MIB says the same for port 1).
//   - dlink_dgs-3620-28sc: lldpLocPortId "1/N" (unit/port) names no interface
//     (ifName is "N"), so the number is the ifIndex.
//   - fortigate_60fospfv3: the recording has no lldpLocPortTable at all, so
//     the number is the ifIndex (2 = wan2, 9 = a).
//   - eltex-mes23xx_mes2324b serves 32 remotes; LibreNMS kept 18 (the other
//     14 have NUL-padded sysNames it did not link), so only its 18 are checked.
func TestLLDPLocalPortsMatchLibreNMS(t *testing.T) {
	for _, device := range []string{
		"vrp_5720",
		"vrp_ac6605-26",
		"junos_mx5t-isis",
		"junos_rpm",
		"iosxe_ie32008t2s-ios17-12",
		"nxos_n3k-3064pq",
		"fortigate_60fospfv3",
		"eltex-mes23xx_mes2324b",
		"dlink_dgs-3620-28sc",
	} {
		t.Run(device, func(t *testing.T) {
			links := loadLNLinks(t, device)
			if len(links) == 0 {
				t.Fatal("no LibreNMS LLDP links: nothing would be checked")
			}
			inv := walkRecording(t, device)
			byIndex := map[int]wire.Interface{}
			for _, in := range inv.Interfaces {
				byIndex[in.Index] = in
			}
			var lldp []wire.Neighbor
			for _, n := range inv.Neighbors {
				if n.Protocol == "lldp" {
					lldp = append(lldp, n)
				}
			}
			used := make([]bool, len(lldp))
			matched := 0
			for _, l := range links {
				found, sameName := -1, []string{}
				for i, n := range lldp {
					if used[i] || n.SysName != l.RemoteHostname {
						continue
					}
					in, ok := byIndex[n.LocalIfIndex]
					sameName = append(sameName, localName(in, ok, n.LocalIfIndex))
					if ok && localPortIs(in, l) {
						found = i
						break
					}
				}
				if found < 0 {
					t.Errorf("LibreNMS link %q on %q (ifDescr %q): our neighbours named so are on %v",
						l.RemoteHostname, l.IfName, l.IfDescr, sameName)
					continue
				}
				used[found] = true
				matched++
			}
			t.Logf("%s: LLDP local ports matching LibreNMS: %d of %d", device, matched, len(links))
		})
	}
}

func localName(in wire.Interface, ok bool, idx int) string {
	if !ok {
		return "ifIndex " + itoa(idx) + " (no such interface)"
	}
	return in.Name + " (ifIndex " + itoa(idx) + ")"
}

// localPortIs: the interface is the link's local port. LibreNMS shows ifName
// for an empty ifDescr (fortigate) and trims trailing blanks; its ifAlias
// is compared only when the device serves one.
func localPortIs(in wire.Interface, l lnLink) bool {
	if in.Name != l.IfName {
		return false
	}
	descr := strings.TrimRight(in.Descr, " ")
	if descr != l.IfDescr && !(descr == "" && l.IfDescr == in.Name) {
		return false
	}
	return in.Alias == "" || in.Alias == l.IfAlias
}

// TestLLDPLocalPortsOtherRecordings: recordings with LLDP remotes but no
// LibreNMS links. The expected local port of every remote was read from the
// recording by hand, where two independent columns agree:
//   - ssd-juniper-mx960-13-3r9-13: subtype local(7), lldpLocPortId is the
//     ifIndex as text and lldpLocPortDesc equals that interface's ifAlias.
//   - ssd-cisco-n5000: subtype macAddress(3), lldpLocPortId equals the
//     port's ifPhysAddress (unique per port) and lldpLocPortDesc its ifName
//     (or, on Ethernet1/9, its ifAlias "h3c big data").
//   - routeros_rb433gl: lldpLocPortId is MAC text ("D4:CA:6D:EA:FE:91") equal
//     to one ifPhysAddress; several VLAN ports share 0A:03:00:00:00:71, none
//     of which has a remote.
//   - ruijie: lldpLocPortId "Te0/N" is the ifName of ifIndex N (BRIDGE-MIB
//     agrees); its lldpRemTable has no sysName column (only .4).
//   - ssd-h3c-e528-2: no lldpLocPortTable; port 24 is ifIndex 24 (BRIDGE-MIB
//     dot1dBasePortIfIndex.24 = 24).
func TestLLDPLocalPortsOtherRecordings(t *testing.T) {
	for _, tc := range []struct {
		device string
		want   []string // sysName@local ifName, one per LLDP remote
	}{
		{"ssd-juniper-mx960-13-3r9-13", []string{
			"DCGL-S5800@ge-0/1/0", "SNNU-CA-Core-JSQ-B10@ge-1/1/4", "SNNU_Lib@ge-1/0/3",
			"re0-SNNU-YT-CORE-1@xe-1/2/0", "SNNU-CA-Agg-BGQ-YEY-2F-0@ge-0/1/1", "re0-SNNU-CA-CORE-2@xe-0/2/0"}},
		{"ssd-cisco-n5000", []string{
			"NWPU-CA-5548-02@mgmt0", "H3C-1@Ethernet1/1", "H3C-2@Ethernet1/2", "H3C@Ethernet1/9",
			"ProCurve 6120XG Blade Switch@Ethernet1/19", "NWPU-CA-5548-02@Ethernet1/21", "NWPU-CA-5548-02@Ethernet1/22",
			"NWPU-UCS-FI-A@Ethernet1/23", "NWPU-UCS-FI-B@Ethernet1/24"}},
		{"routeros_rb433gl", []string{"sw72.hemiko@trunk: sw72 (eth2)", "mkt202.hemiko@trunk: Crkva (wifi1)"}},
		{"ruijie", func() []string {
			var w []string
			for _, p := range []string{"3", "5", "6", "9", "10", "11", "12", "15", "16", "17", "18", "19", "20", "21", "22", "24", "30", "31"} {
				w = append(w, "@Te0/"+p)
			}
			return w
		}()},
		{"ssd-h3c-e528-2", []string{"WRD-Huiju-2@GigabitEthernet1/0/24"}},
	} {
		t.Run(tc.device, func(t *testing.T) {
			inv := walkRecording(t, tc.device)
			names := map[int]string{}
			for _, in := range inv.Interfaces {
				names[in.Index] = in.Name
			}
			var got []string
			for _, n := range inv.Neighbors {
				if n.Protocol == "lldp" {
					name, ok := names[n.LocalIfIndex]
					if !ok {
						name = "?ifIndex " + itoa(n.LocalIfIndex)
					}
					got = append(got, n.SysName+"@"+name)
				}
			}
			want := append([]string(nil), tc.want...)
			sort.Strings(got)
			sort.Strings(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("LLDP remotes by local port:\n got %q\nwant %q", got, want)
			}
		})
	}
}

// lldpFixture builds the walked tables of a device from OID suffixes
// (table-relative "column.index") and values.
func lldpFixture(name string, cells map[string]any) *table {
	var pdus []gosnmp.SnmpPDU
	for k, v := range cells {
		p := gosnmp.SnmpPDU{Name: "." + tableOIDs[name] + ".1." + k, Value: v, Type: gosnmp.OctetString}
		if _, ok := v.(int); ok {
			p.Type = gosnmp.Integer
		}
		pdus = append(pdus, p)
	}
	return newTable(name, tableOIDs[name], pdus)
}

// TestLLDPLocalPortResolution covers each way a local port is named, and
// the cases where nothing names it, without a simulator.
func TestLLDPLocalPortResolution(t *testing.T) {
	ifs := []wire.Interface{
		{Index: 1, Name: "InLoopBack0", Descr: "InLoopBack0"},
		{Index: 3, Name: "GigabitEthernet0/0/1", Descr: "GigabitEthernet0/0/1", MAC: "00:11:22:33:44:01", Alias: "uplink-core"},
		{Index: 4, Name: "GigabitEthernet0/0/2", Descr: "GigabitEthernet0/0/2", MAC: "00:11:22:33:44:02", Alias: "to-PLC"},
		{Index: 5, Name: "Vlanif1", Descr: "Vlanif1", MAC: "00:11:22:33:44:99", Alias: "to-PLC"},
		{Index: 6, Name: "Vlanif2", Descr: "Vlanif2", MAC: "00:11:22:33:44:99"},
		{Index: 520, Name: "ge-0/0/0.0", Descr: "ge-0/0/0.0"},
	}
	for _, tc := range []struct {
		name  string
		cells map[string]any // lldpLocPortTable column.portNum -> value
		port  uint32
		want  int
		found bool // the port is in the map (else the number is kept)
	}{
		{"ifName although the number is another ifIndex (Huawei)", map[string]any{"3.1": "GigabitEthernet0/0/1"}, 1, 3, true},
		{"ifName, no ifIndex with the number", map[string]any{"3.901": "GigabitEthernet0/0/2"}, 901, 4, true},
		{"ifName ignoring case", map[string]any{"3.7": "gigabitethernet0/0/2"}, 7, 4, true},
		{"subtype interfaceName", map[string]any{"2.7": portIDInterfaceName, "3.7": "GigabitEthernet0/0/1"}, 7, 3, true},
		{"subtype interfaceAlias", map[string]any{"2.7": portIDInterfaceAlias, "3.7": "uplink-core"}, 7, 3, true},
		{"ambiguous alias is no match", map[string]any{"2.4": portIDInterfaceAlias, "3.4": "to-PLC"}, 4, 0, false},
		{"subtype macAddress, raw octets", map[string]any{"2.9": portIDMacAddress, "3.9": []byte{0, 0x11, 0x22, 0x33, 0x44, 0x02}}, 9, 4, true},
		{"MAC text without subtype (RouterOS)", map[string]any{"3.9": "00:11:22:33:44:01"}, 9, 3, true},
		{"shared MAC is no match", map[string]any{"2.6": portIDMacAddress, "3.6": []byte{0, 0x11, 0x22, 0x33, 0x44, 0x99}}, 6, 0, false},
		{"subtype macAddress, description names the port", map[string]any{"2.9": portIDMacAddress, "3.9": []byte{0xaa, 0, 0, 0, 0, 1}, "4.9": "GigabitEthernet0/0/2"}, 9, 4, true},
		{"subtype local, ifIndex as text (Junos)", map[string]any{"2.17": portIDLocal, "3.17": "520"}, 17, 520, true},
		{"number as text without subtype", map[string]any{"3.17": "520"}, 17, 520, true},
		{"description is an alias (Junos)", map[string]any{"2.8": portIDLocal, "3.8": "local-8", "4.8": "uplink-core"}, 8, 3, true},
		{"nothing matches: number kept", map[string]any{"3.5": "port-005"}, 5, 0, false},
		{"nothing matches, number claimed by another port: unknown",
			map[string]any{"3.1": "GigabitEthernet0/0/1", "3.3": "port-003"}, 3, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := lldpLocalPorts(lldpFixture(tLldpLocPortTable, tc.cells), ifs)
			ifi, ok := got[tc.port]
			if ok != tc.found || ifi != tc.want {
				t.Errorf("port %d -> %d (mapped %v), want %d (mapped %v); whole map %v", tc.port, ifi, ok, tc.want, tc.found, got)
			}
		})
	}
	t.Run("no table or no interfaces: numbers kept", func(t *testing.T) {
		if m := lldpLocalPorts(nil, ifs); len(m) != 0 {
			t.Errorf("no table: %v", m)
		}
		if m := lldpLocalPorts(lldpFixture(tLldpLocPortTable, map[string]any{"3.1": "GigabitEthernet0/0/1"}), nil); len(m) != 0 {
			t.Errorf("no interfaces: %v", m)
		}
	})
}

// TestLLDPNeighbourNames: remote names cut at their first NUL (Eltex), and a
// remote without a sysName named by its sysDesc's first line (Siemens PLC).
func TestLLDPNeighbourNames(t *testing.T) {
	long := strings.Repeat("设备", 60) // 360 bytes of UTF-8
	rem := lldpFixture(tLldpRemTable, map[string]any{
		"9.0.49.1":  []byte("sw35.soada\x00\x00\x00\x00\x00\x00\n00 00 00 00"),
		"9.0.3.1":   []byte{},
		"10.0.3.1":  "Siemens, SIMATIC NET, CP 443-1, FW: Version V3.2.17",
		"9.0.4.1":   "",
		"10.0.4.1":  "\r\n  Cisco IOS Software, IE4010\r\nTechnical Support: http://www.cisco.com",
		"10.0.5.1":  long,
		"9.0.6.1":   []byte{0, 1, 2, 0xff},
		"10.0.7.1":  "",
		"9.0.8.1":   "<private>",
		"10.0.8.1":  "ignored when a name is served",
		"4.0.10.1":  4,
		"10.0.10.1": "\x00",
	})
	inv := wire.DeviceInventory{}
	decodeNeighbors(&inv, map[string]*table{tLldpRemTable: rem})
	want := []string{
		"ifIndex 3: Siemens, SIMATIC NET, CP 443-1, FW: Version V3.2.17",
		"ifIndex 4: Cisco IOS Software, IE4010",
		"ifIndex 5: " + long[:255],
		"ifIndex 6: 00:01:02:ff",
		"ifIndex 7: ",
		"ifIndex 8: <private>",
		"ifIndex 10: ",
		"ifIndex 49: sw35.soada",
	}
	var got []string
	for _, n := range inv.Neighbors {
		got = append(got, "ifIndex "+itoa(n.LocalIfIndex)+": "+n.SysName)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("names:\n got %q\nwant %q", got, want)
	}
	if len(long[:255]) != 255 || !utf8.ValidString(long[:255]) {
		t.Fatal("fixture: the 255-byte cut must fall on a character boundary")
	}
	for _, n := range inv.Neighbors {
		if len(n.SysName) > 255 || !utf8.ValidString(n.SysName) || strings.IndexByte(n.SysName, 0) >= 0 {
			t.Errorf("sys_name %q breaks the wire limits", n.SysName)
		}
	}
}

func TestDisplayText(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"NUL-padded buffer with garbage after", []byte("sw35.soada\x00\x00\x00\n00 00 00"), "sw35.soada"},
		{"trailing NULs", []byte("eth0\x00\x00"), "eth0"},
		{"leading NUL stays binary", []byte{0, 0x1a, 0x2b}, "00:1a:2b"},
		{"all NUL", []byte{0, 0, 0}, ""},
		{"GBK before a NUL", []byte{0xd6, 0xd0, 0xce, 0xc4, 0, 0xff}, "中文"},
		{"no NUL", []byte("GigabitEthernet0/0/1"), "GigabitEthernet0/0/1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := displayText(tc.in); got != tc.want {
				t.Errorf("displayText(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if got := textValue(gosnmp.SnmpPDU{Type: gosnmp.OctetString, Value: tc.in}); got != tc.want {
				t.Errorf("textValue(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
