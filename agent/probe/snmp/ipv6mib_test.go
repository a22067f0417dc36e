package snmp

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/gosnmp/gosnmp"
)

// ipv6MIBTruth computes from a recording, independently of the walker,
// what the IPV6-MIB tables add: one ARP entry per well-formed
// ipv6NetToMediaTable row when ipNetToPhysicalTable serves no IPv6 row,
// one route per well-formed ipv6RouteTable row when inetCidrRouteTable
// serves no IPv6 row. served is the rows of each table, used or not.
func ipv6MIBTruth(rec recording) (arp int, routes map[string]int, served [2]int) {
	v6Type := func(rows map[string]map[int]recValue, at int) bool {
		for idx := range rows {
			arcs := strings.Split(idx, ".")
			if len(arcs) > at && (arcs[at] == "2" || arcs[at] == "4") {
				return true
			}
		}
		return false
	}
	// addr: an Ipv6Address index part of 16 arcs, or 16 with a length arc
	// first, followed by exactly n more arcs.
	addr := func(arcs []string, n int) ([]byte, []string, bool) {
		if len(arcs) == 17+n && arcs[0] == "16" {
			arcs = arcs[1:]
		}
		if len(arcs) != 16+n {
			return nil, nil, false
		}
		b := make([]byte, 16)
		for i, a := range arcs[:16] {
			v, err := strconv.Atoi(a)
			if err != nil || v < 0 || v > 255 {
				return nil, nil, false
			}
			b[i] = byte(v)
		}
		return b, arcs[16:], true
	}
	nm := rec.rows(tableOIDs[tIPv6NetToMedia])
	rt := rec.rows(tableOIDs[tIPv6RouteTable])
	served = [2]int{len(nm), len(rt)}
	routes = map[string]int{}
	if !v6Type(rec.rows(tableOIDs[tIPNetToPhysical]), 1) {
		for idx := range nm {
			arcs := strings.Split(idx, ".")
			if n, _ := strconv.Atoi(arcs[0]); n <= 0 {
				continue
			}
			if _, _, ok := addr(arcs[1:], 0); ok {
				arp++
			}
		}
	}
	if !v6Type(rec.rows(tableOIDs[tInetCidrRouteTable]), 0) {
		for idx := range rt {
			b, rest, ok := addr(strings.Split(idx, "."), 2)
			plen, _ := strconv.Atoi(rest[0]) // rest is nil only when !ok
			if ok && plen <= 128 {
				routes[cidr(addrFromBytes(b), plen)]++
			}
		}
	}
	return arp, routes, served
}

func sum(m map[string]int) (n int) {
	for _, v := range m {
		n += v
	}
	return n
}

// wantIPv6MIB pins, for the recordings that serve IPV6-MIB tables,
// {ipv6NetToMediaTable rows, ipv6RouteTable rows, ARP entries added,
// routes added}. Only RouterOS serves no IPv6 in IP-MIB; the others serve
// IPv6 neighbours in ipNetToPhysicalTable and IPv6 routes in
// inetCidrRouteTable, which win.
var wantIPv6MIB = map[string][4]int{
	"routeros_rb433gl":            {0, 18, 0, 18},
	"ssd-h3c-comware-7-1-075":     {1, 5, 0, 0},
	"ssd-juniper-mx960-13-3r9-13": {0, 61, 0, 0},
	"ssd-ruijie-s5750-24gt12sfp":  {494, 5, 0, 0},
}

// TestIPv6MIBMatchesRecordings: on every recording, the walk holds exactly
// the CONTRACT counts of expected-counts.json plus what the IPV6-MIB tables
// add (computed from the .snmprec files), and every IPv6 route read from
// ipv6RouteTable is one of the recording's rows.
func TestIPv6MIBMatchesRecordings(t *testing.T) {
	names, sets := recordingNames(t)
	exp := loadExpected(t)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			rec := readRecording(t, sets[name], name)
			inv := walkRecording(t, name)
			arp, routes, served := ipv6MIBTruth(rec)
			if got := [4]int{served[0], served[1], arp, sum(routes)}; got != wantIPv6MIB[name] {
				t.Errorf("recording {v6 neighbours, v6 routes, arp added, routes added} = %v, pinned %v", got, wantIPv6MIB[name])
			}
			want := exp.Devices[name]
			if len(inv.ARP) != want.ARP+arp {
				t.Errorf("arp = %d, want %d + %d from ipv6NetToMediaTable", len(inv.ARP), want.ARP, arp)
			}
			if len(inv.Routes) != want.Routes+sum(routes) {
				t.Errorf("routes = %d, want %d + %d from ipv6RouteTable", len(inv.Routes), want.Routes, sum(routes))
			}
			for _, r := range inv.Routes {
				if r.SourceTable != tIPv6RouteTable {
					continue
				}
				if routes[r.Destination] == 0 {
					t.Errorf("route %+v: no such ipv6RouteTable row left in the recording", r)
				}
				routes[r.Destination]--
			}
			if err := inv.Validate(); err != nil {
				t.Errorf("inventory fails wire validation: %v", err)
			}
		})
	}
}

// ipv6View is the fake switch with IPV6-MIB tables a lying device fills:
// two well-formed neighbours (one with the length arc Ruijie adds; rows come
// in OID order, so it is first), rows
// that are too short, have an octet above 255 or ifIndex 0; two good routes
// (one served with nothing but its protocol, as RouterOS does) and two bad.
func ipv6View(withIPMIBv6 bool) []gosnmp.SnmpPDU {
	v := fakeView()
	nm := ".1.3.6.1.2.1.55.1.12.1.2."
	fe80 := "254.128.0.0.0.0.0.0.0.0.0.0.0.0.0."
	doc := "32.1.13.184.0.0.0.0.0.0.0.0.0.0.0."
	mac := []byte{0, 0x1a, 0x2b, 0x3c, 0x4d, 0x60}
	for _, idx := range []string{
		"3." + fe80 + "1",      // good
		"3.16." + doc + "2",    // good, with a length arc
		"3." + fe80[:10] + "1", // too short
		"3." + doc + "300",     // an octet above 255
		"0." + fe80 + "5",      // ifIndex 0
		"3.17." + doc + "7",    // length arc that lies
	} {
		v = append(v, gosnmp.SnmpPDU{Name: nm + idx, Type: gosnmp.OctetString, Value: mac})
	}
	rt := ".1.3.6.1.2.1.55.1.11.1."
	v = append(v,
		gosnmp.SnmpPDU{Name: rt + "4." + doc + "0.32.1", Type: gosnmp.Integer, Value: 3},
		gosnmp.SnmpPDU{Name: rt + "5." + doc + "0.32.1", Type: gosnmp.OctetString, Value: []byte{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9}},
		gosnmp.SnmpPDU{Name: rt + "7." + doc + "0.32.1", Type: gosnmp.Integer, Value: 6},
		gosnmp.SnmpPDU{Name: rt + "7." + doc + "48.128.2", Type: gosnmp.Integer, Value: 3},
		gosnmp.SnmpPDU{Name: rt + "7." + doc + "0.200.3", Type: gosnmp.Integer, Value: 3}, // prefix length 200
		gosnmp.SnmpPDU{Name: rt + "7.1.2.3.4.32.4", Type: gosnmp.Integer, Value: 3},       // an IPv4-length address
	)
	if withIPMIBv6 {
		v = append(v, gosnmp.SnmpPDU{Name: ".1.3.6.1.2.1.4.35.1.4.3.2.16." + fe80 + "9", Type: gosnmp.OctetString, Value: mac})
	}
	return v
}

// TestIPv6MIBMalformedRows: a device whose IPV6-MIB indexes lie costs only
// the rows that lie, named once per table in Errors; the walk never
// panics, and the good rows become ARP entries and routes. Where IP-MIB
// serves IPv6 neighbours, ipv6NetToMediaTable is not read at all.
func TestIPv6MIBMalformedRows(t *testing.T) {
	for _, tc := range []struct {
		name        string
		ipMIBv6     bool
		wantV6ARP   []string
		wantErrors  []string
		wantRoutes  string
		wantIfIndex int
	}{
		{"IPV6-MIB only", false, []string{"2001:db8::2", "fe80::1"}, []string{tIPv6NetToMedia, tIPv6RouteTable},
			`[{"destination":"2001:db8::/32","next_hop":"fe80::9","if_index":3,"protocol":13,"source_table":"ipv6RouteTable","vrf":""},` +
				`{"destination":"2001:db8::30/128","next_hop":"","if_index":0,"protocol":3,"source_table":"ipv6RouteTable","vrf":""}]`, 3},
		{"IP-MIB serves IPv6 neighbours", true, []string{"fe80::9"}, []string{tIPv6RouteTable}, "", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := startFakeAgent(t, ipv6View(tc.ipMIBv6), nil)
			inv, err := Walk(context.Background(), a.addr(), Credential{Version: V2c, Community: "fake"}, fakeOpts())
			if err != nil {
				t.Fatal(err)
			}
			var v6 []string
			for _, e := range inv.ARP {
				if strings.Contains(e.IP, ":") {
					v6 = append(v6, e.IP)
					if e.IfIndex != tc.wantIfIndex || e.MAC != "00:1a:2b:3c:4d:60" {
						t.Errorf("neighbour %+v: want ifIndex %d and its MAC", e, tc.wantIfIndex)
					}
				}
			}
			if strings.Join(v6, " ") != strings.Join(tc.wantV6ARP, " ") {
				t.Errorf("IPv6 neighbours %v, want %v", v6, tc.wantV6ARP)
			}
			if len(inv.ARP) != 2+len(tc.wantV6ARP) {
				t.Errorf("arp = %d entries, want the 2 IPv4 ones and %v", len(inv.ARP), tc.wantV6ARP)
			}
			var errs []string
			for _, e := range inv.Errors {
				errs = append(errs, e.Table)
				if !strings.Contains(e.Error, "malformed index") || strings.Contains(e.Error, "panic") {
					t.Errorf("error %+v: want a malformed-index record", e)
				}
			}
			if strings.Join(errs, " ") != strings.Join(tc.wantErrors, " ") {
				t.Errorf("errors for tables %v, want %v", errs, tc.wantErrors)
			}
			if tc.wantRoutes != "" {
				if got := mustJSON(t, inv.Routes); got != tc.wantRoutes {
					t.Errorf("routes:\n got %s\nwant %s", got, tc.wantRoutes)
				}
			}
			if err := inv.Validate(); err != nil {
				t.Errorf("inventory fails wire validation: %v", err)
			}
		})
	}
}
