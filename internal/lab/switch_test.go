package lab_test

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/internal/lab"
	"github.com/egovnet/egovnet/internal/testenv"
)

// sfjPorts is where devices.yaml plugs each member of sfj-lan into the H3C
// switch sfj-sw (10.3.0.2): the port a network administrator would walk to.
var sfjPorts = map[string]string{
	"sfj-r":   "Ten-GigabitEthernet1/0/25", // uplink, LLDP neighbour
	"sfj-a":   "GigabitEthernet1/0/1",
	"sfj-db":  "GigabitEthernet1/0/3",
	"sfj-web": "GigabitEthernet1/0/4",
	"sfj-win": "GigabitEthernet1/0/5",
	"sfj-lnx": "GigabitEthernet1/0/13", // bridge port 13 -> ifIndex 21: after the gap at port 12
}

// hostMACs reads each sfj-lan member's real MAC inside its namespace: what
// the switch reports must be what the lab set on the veth.
func hostMACs(t *testing.T, sc *lab.Scenario, st *lab.State) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, l := range sc.LANs {
		if l.Name != "sfj-lan" {
			continue
		}
		for _, m := range l.Members {
			if m.Node == "sfj-sw" {
				continue
			}
			got, code := inNode(t, st, m.Node, "cat", "/sys/class/net/"+m.If+"/address")
			if code != 0 {
				t.Fatalf("mac of %s %s: exit %d %s", m.Node, m.If, code, got)
			}
			mac := strings.TrimSpace(got)
			if mac != m.MAC {
				t.Errorf("%s %s has mac %s, the scenario says %s", m.Node, m.If, mac, m.MAC)
			}
			out[m.Node] = mac
		}
	}
	if len(out) != len(sfjPorts) {
		t.Fatalf("sfj-lan has %d hosts besides the switch, the test knows %d", len(out), len(sfjPorts))
	}
	return out
}

var walkLine = regexp.MustCompile(`^\.([0-9.]+) = (?:INTEGER|STRING): "?([^"]*)"?$`)

// walkTable is OID suffix -> value of one snmpwalk -On (net-snmp) column.
func walkTable(t *testing.T, st *lab.State, oid string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, line := range strings.Split(snmpWalk(t, st, "sfj-a", "sfj-sw-ro", "10.3.0.2", oid), "\n") {
		if m := walkLine.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			out[strings.TrimPrefix(m[1], oid+".")] = m[2]
		}
	}
	return out
}

// switchPortsNetSNMP finds each host's switch port from the switch itself,
// with net-snmp from inside the department: dot1qTpFdbPort (vlan.mac ->
// bridge port), dot1dBasePortIfIndex (bridge port -> ifIndex), ifName.
func switchPortsNetSNMP(t *testing.T, sc *lab.Scenario, st *lab.State) {
	macs := hostMACs(t, sc, st)
	fdb := walkTable(t, st, "1.3.6.1.2.1.17.7.1.2.2.1.2")
	basePort := walkTable(t, st, "1.3.6.1.2.1.17.1.4.1.2")
	ifName := walkTable(t, st, "1.3.6.1.2.1.31.1.1.1.1")
	if len(fdb) != len(macs) {
		t.Errorf("switch fdb has %d entries, want one per host (%d): %v", len(fdb), len(macs), fdb)
	}
	for node, mac := range macs {
		var idx []string
		for _, p := range strings.Split(mac, ":") {
			v, _ := strconv.ParseUint(p, 16, 8)
			idx = append(idx, strconv.FormatUint(v, 10))
		}
		port, ok := fdb["30."+strings.Join(idx, ".")]
		if !ok {
			t.Errorf("%s (%s) not in the switch's fdb for vlan 30", node, mac)
			continue
		}
		if got := ifName[basePort[port]]; got != sfjPorts[node] {
			t.Errorf("%s (%s): bridge port %s -> ifIndex %s -> %q, want %q", node, mac, port, basePort[port], got, sfjPorts[node])
		}
	}
}

// switchPortsAgent is the same through `egovnet-agent snmp-walk` inside the
// department: the DeviceInventory's fdb (mac -> if_index) and interfaces.
// Needs the agent's FDB walk (H-snmp's branch, issue #13).
func switchPortsAgent(t *testing.T, sc *lab.Scenario, st *lab.State) {
	macs := hostMACs(t, sc, st)
	agent := filepath.Join(testenv.BuildBinaries(t, "egovnet-agent"), "egovnet-agent")
	out, code := inNode(t, st, "sfj-a", agent, "snmp-walk", "--target", "10.3.0.2", "--community", "sfj-sw-ro", "--format", "json")
	if code != 0 {
		t.Fatalf("snmp-walk: exit %d\n%s", code, out)
	}
	var inv struct {
		Interfaces []struct {
			Index int    `json:"index"`
			Name  string `json:"name"`
		} `json:"interfaces"`
		FDB []struct {
			MAC        string `json:"mac"`
			VLAN       int    `json:"vlan"`
			BridgePort int    `json:"bridge_port"`
			IfIndex    int    `json:"if_index"`
		} `json:"fdb"`
		VLANs []struct {
			ID int `json:"id"`
		} `json:"vlans"`
		Entities []struct {
			Serial string `json:"serial"`
		} `json:"entities"`
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &inv); err != nil {
		t.Fatalf("snmp-walk json: %v\n%s", err, out)
	}
	names := map[int]string{}
	for _, i := range inv.Interfaces {
		names[i.Index] = i.Name
	}
	port := map[string]string{}
	for _, f := range inv.FDB {
		port[strings.ToLower(f.MAC)] = names[f.IfIndex]
	}
	if len(inv.FDB) != len(macs) {
		t.Errorf("agent fdb has %d entries, want %d", len(inv.FDB), len(macs))
	}
	for node, mac := range macs {
		if got := port[mac]; got != sfjPorts[node] {
			t.Errorf("agent: %s (%s) on %q, want %q", node, mac, got, sfjPorts[node])
		}
	}
	if len(inv.VLANs) != 3 {
		t.Errorf("agent: %d vlans, want 3 (1, 30, 99)", len(inv.VLANs))
	}
	if len(inv.Entities) != 5 || inv.Entities[0].Serial != "219801A2KJ8219Q0041X" {
		t.Errorf("agent: entities %+v, want 5 with the chassis serial first", inv.Entities)
	}
}
