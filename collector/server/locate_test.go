package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/config"
	"github.com/egovnet/egovnet/collector/ingest"
	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/rules"
	"github.com/egovnet/egovnet/internal/testenv"
	"github.com/egovnet/egovnet/internal/wire"
)

// TestFindingLocationWired (issue 13): the assembled collector hands the
// device inventory to the lifecycle, so a finding about a host that an
// access switch of the same report places names its switch port.
func TestFindingLocationWired(t *testing.T) {
	testdata := filepath.Join(testenv.RepoRoot(), "collector", "rules", "testdata")
	f := filepath.Join(t.TempDir(), "collector.yaml")
	body := fmt.Sprintf("data_dir: %s\nplan_file: %s\n", filepath.Join(t.TempDir(), "data"), filepath.Join(testdata, "district.yaml"))
	if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	app, err := Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	raw, err := os.ReadFile(filepath.Join(testdata, "reports", "rsj.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep wire.ScanReport
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	rep.Devices = append(rep.Devices, wire.DeviceInventory{Target: "10.3.0.2:161",
		System:     wire.System{Name: "rsj-acc-1", ObjectID: "1.3.6.1.4.1.2011.2.23.1"},
		Interfaces: []wire.Interface{{Index: 5, Name: "GigabitEthernet0/0/5"}},
		FDB:        []wire.FDBEntry{{MAC: "52:54:00:03:00:32", VLAN: 30, BridgePort: 5, IfIndex: 5, Status: 3}}})
	res, err := app.Ingester.Ingest(ctx, &rep, "RSJ", ingest.Source{Kind: inventory.SourceImport, AgentID: rep.Agent.ID,
		Actor: auditlog.Entry{ActorKind: auditlog.KindOperator, Actor: "test"}})
	if err != nil || len(res.ProcessErrors) > 0 {
		t.Fatalf("ingest: %v %v", err, res.ProcessErrors)
	}
	v, err := app.Violations.Get(ctx, rules.ViolationID("RSJ", wire.RuleLocalServer, "10.3.0.50"))
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Evidence) == 0 {
		t.Fatal("the finding has no evidence")
	}
	want := map[string]any{"device": "rsj-acc-1", "port": "GigabitEthernet0/0/5", "vlan": float64(30)}
	for _, ev := range v.Evidence {
		if got := fmt.Sprint(ev.Detail["location"]); got != fmt.Sprint(want) {
			t.Errorf("evidence location %s, want %s", got, fmt.Sprint(want))
		}
	}
}
