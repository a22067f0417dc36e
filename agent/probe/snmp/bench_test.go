package snmp

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/egovnet/egovnet/internal/wire"
)

// BenchmarkWalkRecording: one full walk of the biggest mixed recording
// (61 interfaces, 513 ARP, 561 routes, LLDP+CDP) through snmpsimd. The
// simulator dominates; compare with deploy/bench/snmp.sh's snmpbulkwalk run.
func BenchmarkWalkRecording(b *testing.B) {
	sim := simulator(b)
	ctx := context.Background()
	var inv wire.DeviceInventory
	for b.Loop() {
		var err error
		inv, err = Walk(ctx, sim.Endpoint(), Credential{Version: V2c, Community: "ssd-cisco-n5000"}, testOpts())
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(inv.ARP)+len(inv.Routes)+len(inv.Interfaces)), "rows/op")
}

// BenchmarkWalkManyLight: the sweep case, many devices with the light
// profile (system + interfaces) against net-snmp's snmpd on loopback, 64 at
// a time. Reports devices/s; snmpd (single-threaded) is usually the limit.
func BenchmarkWalkManyLight(b *testing.B) {
	if testing.Short() {
		b.Skip("needs snmpd")
	}
	target := startSnmpd(b, "egovbench")
	opts := Options{Timeout: 2 * time.Second, Concurrency: 64, Tables: []string{TableInterfaces}}
	const n = 512
	targets := make([]string, n)
	for i := range targets {
		targets[i] = target
	}
	creds := Credentials{Communities: []string{"egovbench"}}
	start := time.Now()
	devices := 0
	for b.Loop() {
		for _, inv := range WalkMany(context.Background(), targets, creds, opts) {
			if inv.System.ObjectID == "" {
				b.Fatalf("no answer: %v", inv.Errors)
			}
		}
		devices += n
	}
	b.ReportMetric(float64(devices)/time.Since(start).Seconds(), "devices/s")
}

// BenchmarkDecode: CPU and allocations of grouping and decoding a large
// device (2,000 interfaces, 20,000 ARP rows) once walked.
func BenchmarkDecode(b *testing.B) {
	var ifs, arp []gosnmp.SnmpPDU
	for i := 1; i <= 2000; i++ {
		for _, c := range []int{2, 3, 4, 6, 7, 8} {
			var v gosnmp.SnmpPDU
			v.Name = fmt.Sprintf(".1.3.6.1.2.1.2.2.1.%d.%d", c, i)
			if c == 2 || c == 6 {
				v.Type, v.Value = gosnmp.OctetString, []byte(fmt.Sprintf("GigabitEthernet0/0/%d", i))
			} else {
				v.Type, v.Value = gosnmp.Integer, 1
			}
			ifs = append(ifs, v)
		}
	}
	for i := 0; i < 20000; i++ {
		arp = append(arp, gosnmp.SnmpPDU{Name: fmt.Sprintf(".1.3.6.1.2.1.4.22.1.2.%d.10.%d.%d.%d", 1+i%50, i>>16&255, i>>8&255, i&255),
			Type: gosnmp.OctetString, Value: []byte{0, 1, 2, 3, byte(i >> 8), byte(i)}})
	}
	b.ReportAllocs()
	for b.Loop() {
		inv := newInventory("x:161")
		got := map[string]*table{
			tIfTable:           newTable(tIfTable, tableOIDs[tIfTable], ifs),
			tIPNetToMediaTable: newTable(tIPNetToMediaTable, tableOIDs[tIPNetToMediaTable], arp),
		}
		decodeInterfaces(&inv, got)
		decodeARP(&inv, got)
		if len(inv.Interfaces) != 2000 || len(inv.ARP) != 20000 {
			b.Fatalf("decoded %d interfaces, %d arp", len(inv.Interfaces), len(inv.ARP))
		}
	}
}
