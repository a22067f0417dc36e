package snmp

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gosnmp/gosnmp"
)

// FuzzValueDecoding: whatever octets a device sends as a value, the value
// decoders neither panic nor produce text that is not UTF-8, MACs are colon
// hex or empty, and bitmaps never grow beyond the octets they came from.
// Run: go test ./agent/probe/snmp -run '^$' -fuzz FuzzValueDecoding
func FuzzValueDecoding(f *testing.F) {
	for _, s := range [][]byte{
		{}, {0}, []byte("sw35.soada\x00\x00junk"), []byte("0:1b:c:fb:28:18"), []byte("001a.2b3c.4d5e"),
		{0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e}, {0xd6, 0xd0, 0xce, 0xc4}, // GBK "中文"
		[]byte("\"Huawei\r\nVRP"), {0, 0, 0xfd, 0xe8, 0, 0, 0, 1}, {0, 1, 10, 0, 0, 1, 0, 7}, []byte("100.96.0.1:1"),
		append([]byte{0xf0, 0xfe, 0xbe, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, []byte("\n00 00 FF 0A\n00")...),
		[]byte("\nzz"), {0xff, 0xfe, 0xfd},
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v := gosnmp.SnmpPDU{Type: gosnmp.OctetString, Value: b}
		if s := textValue(v); !utf8.ValidString(s) {
			t.Errorf("textValue(%x) = %q: not UTF-8", b, s)
		}
		if m := macValue(v); m != "" && !isColonHex(m) {
			t.Errorf("macValue(%x) = %q", b, m)
		}
		if rd := routeDistinguisher(b); !utf8.ValidString(rd) {
			t.Errorf("routeDistinguisher(%x) = %q: not UTF-8", b, rd)
		}
		if p := portList(b); len(p) > len(b) {
			t.Errorf("portList grew %d octets into %d", len(b), len(p))
		}
		_ = ipValue(v)
		_ = ipValue(gosnmp.SnmpPDU{Type: gosnmp.IPAddress, Value: string(b)})
		_ = oidValue(gosnmp.SnmpPDU{Type: gosnmp.ObjectIdentifier, Value: string(b)})
	})
}

// fuzzTables are the tables whose rows the index fuzzer builds.
var fuzzTables = []string{tIfTable, tIfXTable, tIPAddrTable, tIPAddressTable, tIPNetToMediaTable, tIPNetToPhysical,
	tInetCidrRouteTable, tIPCidrRouteTable, tIPRouteTable, tLldpRemTable, tLldpRemManAddrTable, tLldpLocPortTable,
	tCdpCacheTable, tHrSWInstalledTable, tDot1dBasePortTable, tDot1dTpFdbTable, tDot1qTpFdbTable,
	tDot1qVlanStaticTable, tDot1qVlanCurrentTable, tEntPhysicalTable, tHwRUModuleInfoTable, tVrfTable, tVrfIfConfTable}

// FuzzIndexDecoding: a device answering any OID index, with any value in
// columns 1-20 of every table, costs no panic, and the bridge, VLAN, entity
// and VRF rows it yields always pass the wire validation (a report is never
// refused because of one odd row). Every row of every table is counted.
// Run: go test ./agent/probe/snmp -run '^$' -fuzz FuzzIndexDecoding
func FuzzIndexDecoding(f *testing.F) {
	for _, s := range []string{
		"1", "10.0.26.43.60.77.94", "0.26.43.60.77.94", "131072.0.15.226.7.242.224", "0.1", "1.1002",
		"1.4.10.30.36.48.28.2.0.0.1.4.0.0.0.0", "4.20.254.128.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.3",
		"4.254.128.0.0.0.0.0.0.118.74.164.255.254.31.243.128.1", "3.66.66.78", "3.66.66.78.46", "8.87.65.78.95.69.68.71.69.538",
		"10.0.0.0.255.0.0.0.0.10.0.0.1", "4294967295", "", "1.2.3.4294967295.5", "0.0.1.1", "67108873",
	} {
		f.Add(s, int64(7), []byte("x"))
	}
	f.Fuzz(func(t *testing.T, index string, n int64, b []byte) {
		if len(index) > 512 || strings.ContainsAny(index, "|\n") {
			return
		}
		if arcs, ok := parseArcs(index); ok {
			_, _, _, _ = inetIndex(arcs)
			_, _, _ = ipv4Index(arcs)
			_, _, _ = vrfNameIndex(arcs, 0)
			_, _, _ = vrfNameIndex(arcs, 1)
		}
		got := map[string]*table{}
		for _, name := range fuzzTables {
			var pdus []gosnmp.SnmpPDU
			for c := 1; c <= 20; c++ {
				oid := "." + tableOIDs[name] + ".1." + itoa(c) + "." + index
				if c%2 == 0 {
					pdus = append(pdus, gosnmp.SnmpPDU{Name: oid, Type: gosnmp.Integer, Value: int(n)})
				} else {
					pdus = append(pdus, gosnmp.SnmpPDU{Name: oid, Type: gosnmp.OctetString, Value: b})
				}
			}
			got[name] = newTable(name, tableOIDs[name], pdus)
		}
		inv := newInventory("192.0.2.1:161")
		for _, g := range allGroups {
			decodeGuarded(&inv, g, got)
		}
		for _, e := range inv.Errors {
			t.Errorf("decoder panicked on index %q: %+v", index, e)
		}
		rows := len(got[tEntPhysicalTable].rows)
		if len(inv.Entities) != rows || len(inv.VLANs) != rows || len(inv.VRFs) != rows {
			t.Errorf("index %q: %d rows gave %d entities, %d vlans, %d vrfs", index, rows, len(inv.Entities), len(inv.VLANs), len(inv.VRFs))
		}
		check := newInventory(inv.Target)
		check.Version = "v2c"
		check.FDB, check.VLANs, check.Entities, check.VRFs = inv.FDB, inv.VLANs, inv.Entities, inv.VRFs
		if err := check.Validate(); err != nil {
			t.Errorf("index %q value %q/%d: %v", index, b, n, err)
		}
	})
}
