package snmp

import (
	"context"
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
