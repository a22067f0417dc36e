package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/config"
	"github.com/egovnet/egovnet/collector/ingest"
	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/ledger"
	"github.com/egovnet/egovnet/collector/lifecycle"
	"github.com/egovnet/egovnet/collector/rules"
	"github.com/egovnet/egovnet/collector/server"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/plan"
	"github.com/egovnet/egovnet/internal/wire"
)

// TestScaleTwoCollectorsMatchAudit (issue #16 acceptance): reports of many
// agents of every department go through two collectors sharing one
// PostgreSQL, both uploading at once; the findings the collectors keep
// present must be exactly what the offline audit finds in the same
// reports. EGOVNET_SCALE_REPORTS raises the count (the bench runs 640).
func TestScaleTwoCollectorsMatchAudit(t *testing.T) {
	n := 64
	if s := os.Getenv("EGOVNET_SCALE_REPORTS"); s != "" {
		fmt.Sscan(s, &n)
	}
	_, dsn := storetest.NewPostgresSchema(t)
	ctx := context.Background()
	open := func() *server.App {
		dir := t.TempDir()
		cfgFile := filepath.Join(dir, "collector.yaml")
		yaml := fmt.Sprintf("data_dir: %s\nplan_file: %s\nstore: {driver: postgres, dsn: %q}\n", filepath.Join(dir, "data"), rulesTestdata("district.yaml"), dsn)
		if err := os.WriteFile(cfgFile, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(cfgFile)
		if err != nil {
			t.Fatal(err)
		}
		app, err := server.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { app.Close() })
		return app
	}
	apps := []*server.App{open(), open()}

	files, _ := filepath.Glob(rulesTestdata("reports", "*.json"))
	var bases []*wire.ScanReport
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var r wire.ScanReport
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		bases = append(bases, &r)
	}
	// n reports: agents = n/10 spread over the departments, each agent
	// scanning several times; the finish times stay inside the horizon.
	pl, err := plan.Load(rulesTestdata("district.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bases {
		d, err := rules.DepartmentOf(pl, b) // as the upload path settles it
		if err != nil {
			t.Fatal(err)
		}
		b.Agent.Department = d
	}
	agents := max(n/10, len(bases))
	start := bases[0].FinishedAt
	var reps []*wire.ScanReport
	for i := 0; i < n; i++ {
		a := i % agents
		base := bases[a%len(bases)]
		b, _ := json.Marshal(base)
		var r wire.ScanReport
		json.Unmarshal(b, &r)
		r.ReportID = fmt.Sprintf("6f1c2a10-%04x-4c00-8000-%012x", a, i)
		r.Agent.ID, r.Agent.Hostname = fmt.Sprintf("agent-%03d", a), fmt.Sprintf("host-%03d", a)
		r.FinishedAt = start.Add(time.Duration(i) * time.Minute)
		r.StartedAt = r.FinishedAt.Add(-5 * time.Minute)
		reps = append(reps, &r)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for c, app := range apps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; i < len(reps); i += len(apps) {
				r := reps[i]
				res, err := app.Ingester.Ingest(ctx, r, r.Agent.Department, ingest.Source{Kind: inventory.SourceUpload, AgentID: r.Agent.ID,
					Actor: auditlog.Entry{ActorKind: auditlog.KindAgent, Actor: r.Agent.ID}})
				if err == nil && len(res.ProcessErrors) > 0 {
					err = fmt.Errorf("report %d: %v", i, res.ProcessErrors)
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if pending, err := apps[0].Inventory.Pending(ctx, 10); err != nil || len(pending) != 0 {
		t.Fatalf("pending reports after the run: %v %v", pending, err)
	}

	p, err := plan.Load(rulesTestdata("district.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	det, err := ledger.OfflineDetectorForPlan(p, rulesTestdata("district.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := rules.NewEngine(p, rules.WithDetector(det))
	if err != nil {
		t.Fatal(err)
	}
	want, err := eng.EvaluateReports(ctx, reps)
	if err != nil {
		t.Fatal(err)
	}
	got, err := lifecycle.NewStore(apps[1].DB).List(ctx, lifecycle.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	key := func(v wire.Violation) string { return v.Department + " " + v.Rule + " " + v.Subject + " " + v.Severity }
	var ws, gs []string
	for _, v := range want {
		ws = append(ws, key(v))
	}
	for _, v := range got {
		if v.Status != wire.StatusResolved {
			gs = append(gs, key(v))
		}
	}
	sort.Strings(ws)
	sort.Strings(gs)
	if fmt.Sprint(ws) != fmt.Sprint(gs) {
		t.Errorf("collectors and audit disagree:\ncollectors %v\naudit      %v", gs, ws)
	}
	if len(ws) == 0 {
		t.Fatal("the audit found nothing: the comparison proves nothing")
	}
}
