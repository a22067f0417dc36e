package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/config"
	"github.com/egovnet/egovnet/collector/ingest"
	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/lifecycle"
	"github.com/egovnet/egovnet/internal/testenv"
	"github.com/egovnet/egovnet/internal/wire"
)

// TestNewInfrastructureOrderWired (issues 11, 16): through the assembled
// collector (first sightings from its inventory and device inventory),
// reports arriving newest first leave the same new-infrastructure findings
// as the offline audit of the same reports.
func TestNewInfrastructureOrderWired(t *testing.T) {
	testdata := filepath.Join(testenv.RepoRoot(), "collector", "rules", "testdata")
	src, err := os.ReadFile(filepath.Join(testdata, "district.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	planFile := filepath.Join(dir, "plan.yaml")
	planText := strings.Replace(string(src), "packs: [yangpu-2021, shanghai-2012, shanghai-extranet-2020]", "packs: [jiangmen-2017]", 1)
	if planText == string(src) {
		t.Fatal("test plan not rewritten")
	}
	if err := os.WriteFile(planFile, []byte(planText), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "collector.yaml")
	if err := os.WriteFile(cfgFile, []byte(fmt.Sprintf("data_dir: %s\nplan_file: %s\n", filepath.Join(dir, "data"), planFile)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	app, err := Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()

	raw, err := os.ReadFile(filepath.Join(testdata, "reports", "czj.json"))
	if err != nil {
		t.Fatal(err)
	}
	mk := func(agent string, n int, at time.Duration, eps []wire.Endpoint, devs ...wire.DeviceInventory) *wire.ScanReport {
		var r wire.ScanReport
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		r.ReportID = fmt.Sprintf("6f1c2a10-00%02d-4c00-8000-%012d", n, n)
		r.FinishedAt = r.FinishedAt.Add(at)
		r.StartedAt = r.FinishedAt.Add(-10 * time.Minute)
		r.Agent.ID, r.Agent.Hostname = agent, agent
		r.Endpoints = append(r.Endpoints, eps...)
		r.Devices = append(r.Devices, devs...)
		return &r
	}
	server := wire.Endpoint{IP: "10.1.0.40", Role: wire.RoleServer, OpenPorts: []int{22}, SeenBy: []string{"tcp"}}
	router := wire.DeviceInventory{Target: "10.1.0.3:161", System: wire.System{Name: "core-3", ObjectID: "1.3.6.1.4.1.2011.2.23.1"}}
	day := 24 * time.Hour
	reps := []*wire.ScanReport{ // newest first
		mk("agent-a", 3, 2*day, []wire.Endpoint{server}, router),
		mk("agent-b", 2, day, []wire.Endpoint{server}),
		mk("agent-a", 1, 0, nil),
		mk("agent-c", 4, -day, nil, router),
	}
	for _, r := range reps {
		res, err := app.Ingester.Ingest(ctx, r, "CZJ", ingest.Source{Kind: inventory.SourceImport, AgentID: r.Agent.ID,
			Actor: auditlog.Entry{ActorKind: auditlog.KindOperator, Actor: "test"}})
		if err != nil || len(res.ProcessErrors) > 0 {
			t.Fatalf("ingest %s: %v %v", r.ReportID, err, res.ProcessErrors)
		}
	}
	audit, err := app.Rules.EvaluateReports(ctx, reps)
	if err != nil {
		t.Fatal(err)
	}
	present, err := app.Violations.List(ctx, lifecycle.Filter{Department: "CZJ"})
	if err != nil {
		t.Fatal(err)
	}
	keys := func(vs []wire.Violation) []string {
		var out []string
		for _, v := range vs {
			if v.Status != wire.StatusResolved {
				out = append(out, v.Rule+" "+v.Subject+" "+v.Status)
			}
		}
		sort.Strings(out)
		return out
	}
	want := keys(audit)
	if !slices.Contains(want, wire.RuleNewInfrastructure+" 10.1.0.40 open") || slices.Contains(want, wire.RuleNewInfrastructure+" 10.1.0.3 open") {
		t.Fatalf("audit %v: want the server new and the router not (it was walked first)", want)
	}
	if got := keys(present); !slices.Equal(got, want) {
		t.Errorf("collector %v, audit %v", got, want)
	}
}
