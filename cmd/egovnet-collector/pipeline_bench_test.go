package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/config"
	"github.com/egovnet/egovnet/collector/ingest"
	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/server"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
	"github.com/google/uuid"
)

// benchPlan writes a plan of n departments, department i owning 10.i.0.0/16
// (i < 250) so reports of every size fit in one department.
func benchPlan(tb testing.TB, dir string, n int) string {
	var b strings.Builder
	b.WriteString(`district: {code: "310110", name: "杨浦区"}
packs: [yangpu-2021, shanghai-2012, shanghai-extranet-2020]
extranet: {prefixes: ["10.0.0.0/8"], uplink_next_hops: ["10.255.0.1"]}
egress: {sanctioned: ["198.51.100.1"]}
cloud: {prefixes: ["10.250.0.0/16"]}
probes: {internet: ["203.0.113.10"], extranet: ["10.255.255.10"]}
departments:
`)
	for i := 0; i < n; i++ {
		big := ""
		if i < 4 {
			big = fmt.Sprintf(", \"10.%d.0.0/16\"", 240+i) // room for bulk reports
		}
		fmt.Fprintf(&b, "  - {code: D%03d, name: \"部门%d\", prefixes: [\"10.%d.%d.0/24\", \"10.%d.%d.0/20\"%s]}\n", i, i, i/16, (i%16)*16, 100+i/16, (i%16)*16, big)
	}
	p := filepath.Join(dir, "plan.yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

// benchApp opens a fully wired collector (the serve path without HTTP) on
// backend with a plan of depts departments.
func benchApp(tb testing.TB, backend string, depts int) *server.App {
	dir := tb.(interface{ TempDir() string }).TempDir()
	yaml := fmt.Sprintf("data_dir: %s\nplan_file: %s\n", filepath.Join(dir, "data"), benchPlan(tb, dir, depts))
	if backend == "postgres" {
		_, dsn := storetest.NewPostgresSchema(tb)
		yaml += fmt.Sprintf("store: {driver: postgres, dsn: %q}\n", dsn)
	}
	cfgFile := filepath.Join(dir, "collector.yaml")
	if err := os.WriteFile(cfgFile, []byte(yaml), 0o600); err != nil {
		tb.Fatal(err)
	}
	cfg, err := config.Load(cfgFile)
	if err != nil {
		tb.Fatal(err)
	}
	app, err := server.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { app.Close() })
	return app
}

// benchReport is a report of agent in department i with n endpoints in its
// /20 (offset shifts the addresses) and a little software on the host.
func benchReport(dept int, agent string, n, offset int, at time.Time) *wire.ScanReport {
	rep := &wire.ScanReport{Schema: wire.SchemaScanV1, ReportID: uuid.NewString(),
		Agent:     wire.Agent{ID: agent, Hostname: agent, Version: "bench", Department: fmt.Sprintf("D%03d", dept)},
		StartedAt: at.Add(-time.Minute), FinishedAt: at,
		Scope: []string{fmt.Sprintf("10.%d.%d.0/20", 100+dept/16, (dept%16)*16)}}
	for j := 0; j < n; j++ {
		k := j + offset
		// one host in ten is a server (a local-server finding), the rest workstations
		ip := fmt.Sprintf("10.%d.%d.%d", 100+dept/16, (dept%16)*16+(k/250)%16, k%250+1)
		if n > 4000 {
			ip = fmt.Sprintf("10.%d.%d.%d", 240+dept, k/250, k%250+1)
		}
		e := wire.Endpoint{IP: ip,
			SeenBy: []string{"icmp", "tcp", "arp"}, OpenPorts: []int{135, 445}, Role: wire.RoleWorkstation}
		if k%10 == 0 {
			e.OpenPorts, e.Role = []int{22, 80}, wire.RoleServer
		}
		rep.Endpoints = append(rep.Endpoints, e)
	}
	rep.Host = &wire.Host{Software: []wire.Software{{Name: "Microsoft Office Professional Plus 2016", Version: "16.0", Source: "registry"},
		{Name: "WPS Office", Version: "11.8", Source: "registry"}, {Name: "Kylin Linux Advanced Server V10", Version: "10", Source: "dpkg"}}}
	return rep
}

func ingestBench(tb testing.TB, app *server.App, rep *wire.ScanReport) {
	res, err := app.Ingester.Ingest(context.Background(), rep, rep.Agent.Department, ingest.Source{Kind: inventory.SourceUpload, AgentID: rep.Agent.ID,
		Actor: auditlog.Entry{ActorKind: auditlog.KindAgent, Actor: rep.Agent.ID}})
	if err != nil || len(res.ProcessErrors) > 0 {
		tb.Fatalf("ingest: %v %v", err, res.ProcessErrors)
	}
}

// BenchmarkPipeline measures one report through the whole processor chain
// (inventory, rules, ledger, progress) on each backend:
//   - small: 10-endpoint reports from 64 agents over 50 departments;
//   - bulk: a 10,000-endpoint report;
//   - district-50/200: a 500-endpoint report in a district of 50 or 200
//     departments that all reported once (50 endpoints each);
//   - dept-1k/10k: a 10-endpoint report in a department that already holds
//     1k or 10k endpoints from other agents.
func BenchmarkPipeline(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend+"/small", func(b *testing.B) {
			app := benchApp(b, backend, 50)
			base := time.Now().UTC().Add(-time.Hour)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ingestBench(b, app, benchReport(i%50, fmt.Sprintf("a%d", i%64), 10, (i%64)*10, base.Add(time.Duration(i)*time.Millisecond)))
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reports/s")
		})
		b.Run(backend+"/bulk", func(b *testing.B) {
			app := benchApp(b, backend, 4)
			base := time.Now().UTC().Add(-time.Hour)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ingestBench(b, app, benchReport(i%4, "bulk", 10000, 0, base.Add(time.Duration(i)*time.Second)))
			}
			b.ReportMetric(float64(b.N*10000)/b.Elapsed().Seconds(), "endpoints/s")
		})
		for _, d := range []int{50, 200} {
			b.Run(fmt.Sprintf("%s/district-%d", backend, d), func(b *testing.B) {
				app := benchApp(b, backend, d)
				base := time.Now().UTC().Add(-time.Hour)
				for i := 0; i < d; i++ {
					ingestBench(b, app, benchReport(i, fmt.Sprintf("seed%d", i), 50, 0, base))
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					ingestBench(b, app, benchReport(i%d, fmt.Sprintf("seed%d", i%d), 500, 0, base.Add(time.Duration(i+1)*time.Second)))
				}
			})
		}
		for _, n := range []int{1000, 10000} {
			b.Run(fmt.Sprintf("%s/dept-%dk", backend, n/1000), func(b *testing.B) {
				app := benchApp(b, backend, 2)
				base := time.Now().UTC().Add(-time.Hour)
				for i := 0; i < n/1000; i++ {
					ingestBench(b, app, benchReport(0, fmt.Sprintf("fill%d", i), 1000, i*1000, base))
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					ingestBench(b, app, benchReport(0, "small", 10, 0, base.Add(time.Duration(i+1)*time.Second)))
				}
			})
		}
	}
}
