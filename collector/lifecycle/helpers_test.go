package lifecycle

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/collector/devices"
	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/rules"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/internal/plan"
	"github.com/egovnet/egovnet/internal/wire"
)

// rulesTestdata holds the district plan and reports the rules package's
// golden tests judge; the lifecycle tests feed the same ones.
var rulesTestdata = filepath.Join("..", "rules", "testdata")

func loadReports(t *testing.T, names ...string) []*wire.ScanReport {
	t.Helper()
	if len(names) == 0 {
		files, _ := filepath.Glob(filepath.Join(rulesTestdata, "reports", "*.json"))
		for _, f := range files {
			names = append(names, strings.TrimSuffix(filepath.Base(f), ".json"))
		}
		sort.Strings(names)
	}
	var out []*wire.ScanReport
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(rulesTestdata, "reports", n+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var r wire.ScanReport
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		out = append(out, &r)
	}
	return out
}

func districtEngine(t *testing.T, opts ...rules.Option) *rules.Engine {
	t.Helper()
	p, err := plan.Load(filepath.Join(rulesTestdata, "district.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := rules.NewEngine(p, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// file stores a report's facts as the collector's ingest path does before
// the lifecycle processor runs (the inventory's endpoints, the devices
// processor's devices), then processes it: the first sightings come from
// these real stores, as in the collector.
func file(ctx context.Context, p *Processor, rep *wire.ScanReport, dept string) error {
	if err := fileFacts(ctx, p, rep, dept); err != nil {
		return err
	}
	return p.Process(ctx, rep, dept)
}

// fileFlat is file as the ingester runs the processor on PostgreSQL: in
// a flat transaction of its own (store.DB.InFlatTx) and, if that failed,
// again with savepoints. flatErr is the flat attempt's error (nil: it
// committed); err is the filing's.
func fileFlat(ctx context.Context, p *Processor, rep *wire.ScanReport, dept string) (flatErr, err error) {
	if err := fileFacts(ctx, p, rep, dept); err != nil {
		return nil, err
	}
	flatErr = p.db.InFlatTx(ctx, func(tx *store.Tx) error { return p.Process(store.WithTx(ctx, tx), rep, dept) })
	if flatErr != nil {
		err = p.Process(ctx, rep, dept)
	}
	return flatErr, err
}

// fileFacts is file without the processor: the writes before it.
func fileFacts(ctx context.Context, p *Processor, rep *wire.ScanReport, dept string) error {
	if len(p.opt.Sightings) == 0 {
		p.opt.Sightings = []Sightings{inventory.New(p.db), devices.NewStore(p.db)}
	}
	if err := p.db.InTx(ctx, func(tx *store.Tx) error {
		if p.opt.Facts != nil {
			// the raw report, where the processor reads it back
			raw, err := json.Marshal(rep)
			if err != nil {
				return err
			}
			if _, _, err := inventory.InsertReport(ctx, tx, inventory.Report{ReportID: rep.ReportID, AgentID: rep.Agent.ID, Department: dept,
				Source: inventory.SourceUpload, StartedAt: rep.StartedAt, FinishedAt: rep.FinishedAt, ReceivedAt: rep.FinishedAt,
				Endpoints: len(rep.Endpoints)}, raw); err != nil {
				return err
			}
		}
		return inventory.UpsertEndpoints(ctx, tx, dept, rep.ReportID, rep.Agent.ID, rep.FinishedAt, rep.Endpoints)
	}); err != nil {
		return err
	}
	return devices.NewStore(p.db).Apply(ctx, dept, rep.ReportID, rep.FinishedAt, rep.Devices, rep.Endpoints)
}

// departmentOf is the engine's department of each report, failing t.
func departmentOf(t *testing.T, e *rules.Engine) func(*wire.ScanReport) string {
	return func(r *wire.ScanReport) string {
		t.Helper()
		d, err := e.DepartmentOf(r)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
}

// auditLines are the offline audit's findings of reps, as sorted lines.
func auditLines(t *testing.T, e *rules.Engine, reps []*wire.ScanReport) []string {
	t.Helper()
	audit, err := e.EvaluateReports(context.Background(), reps)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, v := range audit {
		want = append(want, line(v))
	}
	sort.Strings(want)
	return want
}
