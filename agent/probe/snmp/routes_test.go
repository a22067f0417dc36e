package snmp

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gosnmp/gosnmp"
)

// aixRouteView imitates the AIX recording of issue #18: inetCidrRouteTable
// serves nothing but one index column (inetCidrRouteDestType) for its 9
// routes, one of them the /28 connected subnet, while the old ipRouteTable
// has 8 rows and no ipRouteMask (so every one of them would be a /32).
func aixRouteView(inetColumn int) []gosnmp.SnmpPDU {
	v := fakeView()
	inet := []string{
		"1.4.0.0.0.0.0.2.0.0.1.4.10.30.36.1",      // default
		"1.4.10.30.36.48.28.2.0.0.1.4.0.0.0.0",    // the /28 connected subnet
		"1.4.10.30.36.50.32.2.0.0.1.4.127.0.0.1",  // own address
		"1.4.10.60.16.0.24.2.0.0.1.4.10.30.36.1",  // static
		"1.4.10.60.16.80.32.2.0.0.1.4.127.0.0.1",  // alias
		"1.4.127.0.0.0.8.2.0.0.1.4.127.0.0.1",     // loopback net
		"1.4.127.0.0.1.32.2.0.0.1.4.127.0.0.1",    // loopback host
		"1.4.192.168.2.0.24.2.0.0.1.4.10.30.36.1", // static
		"1.4.224.0.0.0.4.2.0.0.1.4.10.30.36.50",   // multicast
	}
	for _, idx := range inet {
		col := ".1.3.6.1.2.1.4.24.7.1." + itoa(inetColumn) + "." + idx
		v = append(v, gosnmp.SnmpPDU{Name: col, Type: gosnmp.Integer, Value: 1})
	}
	for _, dest := range []string{"0.0.0.0", "10.30.36.48", "10.30.36.50", "10.60.16.0", "10.60.16.80", "127.0.0.0", "127.0.0.1", "192.168.2.0"} {
		v = append(v, gosnmp.SnmpPDU{Name: ".1.3.6.1.2.1.4.21.1.2." + dest, Type: gosnmp.Integer, Value: 1})
	}
	return v
}

// TestIndexOnlyRouteTable: rows that exist only in the index of
// inetCidrRouteTable count (CONTRACT: keys from the OID index when columns
// are absent), so that table is the most complete one served and wins over
// ipRouteTable: 9 routes with their real prefix lengths, not 8 /32s.
func TestIndexOnlyRouteTable(t *testing.T) {
	for _, tc := range []struct {
		name   string
		column int
	}{
		{"only inetCidrRouteDestType", 1},
		{"only inetCidrRoutePfxLen", 3},
		{"only inetCidrRouteNextHop", 6},
		{"a walked column (ifIndex)", inetCidrRouteIfIndex},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := startFakeAgent(t, aixRouteView(tc.column), nil)
			inv, err := Walk(context.Background(), a.addr(), Credential{Version: V2c, Community: "fake"}, fakeOpts())
			if err != nil {
				t.Fatal(err)
			}
			if len(inv.Errors) != 0 {
				t.Errorf("errors: %+v", inv.Errors)
			}
			if len(inv.Routes) != 9 {
				t.Fatalf("routes = %d, want 9 from inetCidrRouteTable: %+v", len(inv.Routes), inv.Routes)
			}
			found := false
			for _, r := range inv.Routes {
				if r.SourceTable != tInetCidrRouteTable {
					t.Errorf("route %+v from %s", r, r.SourceTable)
				}
				if r.Destination == "10.30.36.48/28" {
					found = true
				}
				if r.VRF != "" {
					t.Errorf("route %+v: vrf %q, want global", r, r.VRF)
				}
			}
			if !found {
				t.Errorf("the /28 connected subnet is missing: %+v", inv.Routes)
			}
		})
	}
	t.Run("ipRouteTable alone still counts", func(t *testing.T) {
		var view []gosnmp.SnmpPDU
		for _, p := range aixRouteView(1) {
			if !strings.HasPrefix(p.Name, ".1.3.6.1.2.1.4.24.7.") {
				view = append(view, p)
			}
		}
		a := startFakeAgent(t, view, nil)
		inv, err := Walk(context.Background(), a.addr(), Credential{Version: V2c, Community: "fake"}, fakeOpts())
		if err != nil {
			t.Fatal(err)
		}
		if len(inv.Routes) != 8 || inv.Routes[0].SourceTable != tIPRouteTable {
			t.Errorf("routes = %+v, want 8 from ipRouteTable", inv.Routes)
		}
	})
}

// TestFakeSwitchInventory pins the decoding of the bridge, ENTITY and VRF
// rows of the fake agent: bridge ports map through dot1dBasePortIfIndex
// (port 1 is ifIndex 2), the egress bitmap 0xc0 is ports 1 and 2, the RD
// arrives as RFC 4364 octets.
func TestFakeSwitchInventory(t *testing.T) {
	a := startFakeAgent(t, fakeView(), nil)
	inv, err := Walk(context.Background(), a.addr(), Credential{Version: V2c, Community: "fake"}, fakeOpts())
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Errors) != 0 {
		t.Errorf("errors: %+v", inv.Errors)
	}
	want := `[{"mac":"00:1a:2b:3c:4d:5e","vlan":10,"bridge_port":1,"if_index":2,"status":3},{"mac":"00:1a:2b:3c:4d:5f","vlan":10,"bridge_port":2,"if_index":1,"status":0}]`
	if got := mustJSON(t, inv.FDB); got != want {
		t.Errorf("fdb:\n got %s\nwant %s", got, want)
	}
	want = `[{"id":1,"name":"default"},{"id":10,"name":"office","ports":[1,2]}]`
	if got := mustJSON(t, inv.VLANs); got != want {
		t.Errorf("vlans:\n got %s\nwant %s", got, want)
	}
	if len(inv.Entities) != 2 || inv.Entities[0].Class != 3 || inv.Entities[0].Serial != "SN0001" || inv.Entities[1].ContainedIn != 1 || inv.Entities[1].Class != 10 {
		t.Errorf("entities: %+v", inv.Entities)
	}
	want = `[{"name":"dj","rd":"65000:1","if_indexes":[2]}]`
	if got := mustJSON(t, inv.VRFs); got != want {
		t.Errorf("vrfs:\n got %s\nwant %s", got, want)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
