package wire

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// generatedReport is a network scan of n endpoints as an agent sends it,
// the same for the same n: most endpoints with a MAC, ports and an HTTP
// answer, some with names, UDP ports or SNMP facts, titles with non-ASCII
// text and the odd character encoding/json escapes; a few devices, paths
// and host facts around them.
func generatedReport(n int) *ScanReport {
	rng := rand.New(rand.NewPCG(uint64(n), 1))
	titles := []string{"办公系统", "Huawei AR2220 Web Management", "Login & Status", "<none>", "Index of /", ""}
	r := validReport()
	r.Endpoints = make([]Endpoint, n)
	for i := range r.Endpoints {
		e := &r.Endpoints[i]
		e.IP = fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		e.SeenBy = []string{MethodICMP}
		e.RTTMs = float64(rng.IntN(200000)) / 1000
		e.Role = RoleUnknown
		if rng.IntN(10) < 8 {
			e.MAC = fmt.Sprintf("00:e0:fc:%02x:%02x:%02x", i>>16&255, i>>8&255, i&255)
			e.Vendor = "Huawei"
			e.Hostname = fmt.Sprintf("host-%d.czj.gov.example", i)
			e.SeenBy = append(e.SeenBy, MethodTCP, MethodARP)
			e.OpenPorts = []int{22, 80, 443}
			e.Role = RoleServer
			e.HTTP = []HTTPInfo{{Port: 80, Title: titles[rng.IntN(len(titles))], Server: "nginx"},
				{Port: 443, Scheme: "https", Title: titles[rng.IntN(len(titles))], Server: "nginx/1.24", Status: 200}}
		}
		if rng.IntN(10) == 0 {
			e.UDPPorts = []int{161}
			e.SysObjectID = "1.3.6.1.4.1.2011.2.224.279"
			e.SysDescr = "Huawei Versatile Routing Platform Software\r\nVRP (R) software, Version 5.170"
			e.Names = []Name{{Name: e.Hostname, Source: "ptr"}, {Name: "oa.czj.gov.example", Source: "http-canonical"}}
		}
	}
	r.StartedAt = time.Date(2026, 11, 20, 2, 0, 0, 123456789, time.FixedZone("CST", 8*3600))
	r.FinishedAt = r.StartedAt.Add(3 * time.Minute)
	return r
}

// BenchmarkEncodeReport encodes a report of 10,000 endpoints (and a
// 10-endpoint one, most uploads): old is json.Marshal as it was before
// encode.go (the copy kept in encode_test.go), new is EncodeReport, and
// marshal is json.Marshal now, through ScanReport.MarshalJSON (EncodeReport
// plus encoding/json's compaction of its output).
func BenchmarkEncodeReport(b *testing.B) {
	for _, n := range []int{10000, 10} {
		r := generatedReport(n)
		old := toOld(r)
		want, err := json.Marshal(old)
		if err != nil {
			b.Fatal(err)
		}
		for _, enc := range []struct {
			name string
			fn   func() ([]byte, error)
		}{
			{"old", func() ([]byte, error) { return json.Marshal(old) }},
			{"new", func() ([]byte, error) { return EncodeReport(r) }},
			{"marshal", func() ([]byte, error) { return json.Marshal(r) }},
		} {
			b.Run(fmt.Sprintf("endpoints=%d/%s", n, enc.name), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(want)))
				for b.Loop() {
					if _, err := enc.fn(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
