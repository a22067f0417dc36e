package rules

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/egovnet/egovnet/internal/plan"
	"github.com/egovnet/egovnet/internal/wire"
)

// BenchmarkEvaluateLargeDepartment judges one department of a 200-
// department district whose report holds 16,384 endpoints (a /18), a
// router with 2,000 routes and 4,000 ARP rows.
func BenchmarkEvaluateLargeDepartment(b *testing.B) {
	p := &plan.Plan{District: plan.District{Code: "1"}, Packs: []string{"yangpu-2021", "jiangmen-2017"},
		Extranet: plan.Extranet{Prefixes: []string{"10.0.0.0/8"}, UplinkNextHops: []string{"10.255.0.1"}},
		Cloud:    plan.Cloud{Prefixes: []string{"10.200.0.0/16"}}, Egress: plan.Egress{Sanctioned: []string{"198.51.100.1"}}}
	for i := 0; i < 200; i++ {
		p.Departments = append(p.Departments, plan.Department{Code: fmt.Sprintf("D%03d", i), Name: "d",
			Prefixes: []string{fmt.Sprintf("10.%d.0.0/18", i)}})
	}
	at := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	r := &wire.ScanReport{ReportID: "big", Agent: wire.Agent{ID: "a", Department: "D007"}, FinishedAt: at, Scope: []string{"10.7.0.0/18"}}
	for i := 0; i < 16384; i++ {
		role := wire.RoleWorkstation
		if i%50 == 0 {
			role = wire.RoleServer
		}
		r.Endpoints = append(r.Endpoints, wire.Endpoint{IP: fmt.Sprintf("10.7.%d.%d", i/256, i%256), MAC: fmt.Sprintf("52:54:00:00:%02x:%02x", i/256, i%256),
			Role: role, SeenBy: []string{"icmp", "arp"}, OpenPorts: []int{22, 445}})
	}
	d := wire.DeviceInventory{Target: "10.7.0.1:161", IPAddresses: []wire.IPAddress{{Address: "10.7.0.1", PrefixLen: 18, IfIndex: 1}, {Address: "10.255.0.2", PrefixLen: 30, IfIndex: 2}}}
	for i := 0; i < 2000; i++ {
		d.Routes = append(d.Routes, wire.Route{Destination: fmt.Sprintf("10.%d.%d.0/24", 8+i/256, i%256), NextHop: "10.255.0.1", IfIndex: 2})
	}
	for i := 0; i < 4000; i++ {
		d.ARP = append(d.ARP, wire.ARPEntry{IP: fmt.Sprintf("10.7.%d.%d", i/256, i%256), IfIndex: 1})
	}
	r.Devices = []wire.DeviceInventory{d}
	e, err := NewEngine(p)
	if err != nil {
		b.Fatal(err)
	}
	in := Input{Department: "D007", Reports: []*wire.ScanReport{r}}
	b.ResetTimer()
	var n int
	for i := 0; i < b.N; i++ {
		vs, err := e.Evaluate(context.Background(), in)
		if err != nil {
			b.Fatal(err)
		}
		n = len(vs)
	}
	b.ReportMetric(float64(n), "violations")
}
