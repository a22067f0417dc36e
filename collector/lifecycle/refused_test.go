package lifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/rules"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

// TestRefusedReportLeavesNoFacts (issue 16, review): the ingester's flat
// attempt of a report that reuses a stored report's id with other content
// reaches the processors before PostgreSQL refuses it (it is refused by the
// attempt with savepoints that follows). Nothing of it may stay in the
// rules processor's memory (the agent's kept report, the queued reports
// kept decoded) in place of the stored report: a later judgement of the
// department must find what it finds without that attempt.
func TestRefusedReportLeavesNoFacts(t *testing.T) {
	e := districtEngine(t)
	reps := batchHistory(t)
	deptOf := departmentOf(t, e)
	ctx := context.Background()
	// the last report of the first department's agent a, and a later scan of its agent b
	var a2, b *wire.ScanReport
	for _, r := range reps {
		if r.ReportID[len(r.ReportID)-1] == '3' && a2 == nil && deptOf(r) == "RSJ" {
			a2 = r
		}
	}
	for _, r := range reps {
		if deptOf(r) == deptOf(a2) && r.ReportID[len(r.ReportID)-1] == '2' {
			b = r
		}
	}
	b2 := cloneReport(t, b, "7a1c2a10-8888-4c00-8000-000000000002", a2.FinishedAt.Add(time.Hour))
	b2.Agent = b.Agent
	evil := cloneReport(t, a2, a2.ReportID, a2.FinishedAt)
	evil.Devices = nil
	evil.Endpoints = nil
	run := func(t *testing.T, poison bool) []string {
		db := storetest.NewPostgres(t)
		st := NewStore(db)
		p := NewProcessorWith(e, st, ProcessorOptions{ResolveAfter: 3, BatchAbove: 1 << 30, Facts: inventory.New(db),
			Busy: func() bool { return true }})
		for _, r := range reps {
			if _, err := fileFlat(ctx, p, r, deptOf(r)); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.JudgeQueued(ctx); err != nil {
			t.Fatal(err)
		}
		if poison {
			// the ingester's flat attempt of a re-sent id with other content
			raw, _ := json.Marshal(evil)
			err := db.InFlatTx(ctx, func(tx *store.Tx) error {
				meta := inventory.Report{ReportID: evil.ReportID, AgentID: evil.Agent.ID, Department: deptOf(evil), Source: inventory.SourceUpload,
					StartedAt: evil.StartedAt, FinishedAt: evil.FinishedAt, ReceivedAt: evil.FinishedAt, Endpoints: 0, Processed: true}
				if _, _, err := inventory.InsertKnownReport(ctx, tx, meta, inventory.PackBody(raw)); err != nil {
					return err
				}
				return p.Process(store.WithTx(ctx, tx), evil, deptOf(evil))
			})
			if !errors.Is(err, store.ErrRowsDiffer) {
				t.Fatalf("flat attempt of the re-sent id: %v, want ErrRowsDiffer", err)
			}
			if c := p.cached(deptOf(a2), rules.AgentKey(a2), a2.ReportID); c == evil {
				t.Errorf("cache: agent a's latest report %s is now the refused content", a2.ReportID)
			}
			if q := p.queuedReport(a2.ReportID); q == evil {
				t.Errorf("queuedReps[%s] is the refused content", a2.ReportID)
			}
		}
		// a later scan of agent b in the same department is judged
		if flatErr, err := fileFlat(ctx, p, b2, deptOf(b2)); flatErr != nil || err != nil {
			t.Fatal(flatErr, err)
		}
		if err := p.JudgeQueued(ctx); err != nil {
			t.Fatal(err)
		}
		return present(t, st, true)
	}
	good := run(t, false)
	bad := run(t, true)
	if len(good) == 0 || !slices.Equal(good, bad) {
		t.Errorf("findings differ after a refused re-send (%d vs %d):\n%s", len(good), len(bad), lineDiff(bad, good))
	}
}
