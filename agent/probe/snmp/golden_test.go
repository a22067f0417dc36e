package snmp

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestGoldenInventories pins the full decoded inventory (every field, not
// only counts) of a few recordings that together cover every table and
// decoder: sparse LibreNMS shapes, LLDP with management addresses, CDP,
// all three route tables, IPv6 neighbours and Windows/Junos software names,
// FDB with bridge-port mapping, VLANs, entities and VRFs.
// Regenerate with: go test ./agent/probe/snmp -run TestGoldenInventories -update
func TestGoldenInventories(t *testing.T) {
	for _, name := range []string{
		"iosxe_ie32008t2s-ios17-12", // sparse: keys from indexes, ipCidrRouteTable, LLDP
		"nxos_n3k-3064pq",           // LLDP + CDP
		"ssd-h3c-e528-2",            // full walk, inetCidr absent -> ipCidrRouteTable, LLDP man addr
		"ssd-linux-unknown-001",     // inetCidrRouteTable, ipNetToPhysical v6, rpm names
		"ssd-windows-server-2003",   // ipRouteTable, Windows software names
		"junos_mx5t-isis",           // Junos "[version]" software, LLDP
		"vrp_5720",                  // Huawei, CR/LF sysDescr, dot1dTpFdb through bridge ports, VLANs, entities
		"iosxr_ncs55a2",             // MPLS-L3VPN VRFs (names, RDs, interfaces), entities
		"comware_a5500",             // H3C Comware: dot1qTpFdb per VLAN, static VLAN egress ports
	} {
		t.Run(name, func(t *testing.T) {
			inv := walkRecording(t, name)
			inv.Target = "simulator"
			inv.System.UptimeS = 0 // snmpsim-data's sysUpTime ticks (67:numeric)
			got, err := json.MarshalIndent(inv, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "golden", name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden (run with -update to create): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("inventory differs from %s (run with -update after checking the diff)\n%s", path, firstDiff(string(want), string(got)))
			}
		})
	}
}

func firstDiff(a, b string) string {
	la, lb := bytes.Split([]byte(a), []byte("\n")), bytes.Split([]byte(b), []byte("\n"))
	for i := 0; i < len(la) && i < len(lb); i++ {
		if !bytes.Equal(la[i], lb[i]) {
			return "line " + itoa(i+1) + ":\n- " + string(la[i]) + "\n+ " + string(lb[i])
		}
	}
	return "length differs"
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
