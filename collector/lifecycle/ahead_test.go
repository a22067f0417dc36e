package lifecycle

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/devices"
	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

// movingHistory is a sightings store whose answer changes just after a
// batched judgement has read it outside its transaction, as if an older
// scan of the department, imported at that moment, had committed: from
// then on it has seen addr at at, before anything else.
type movingHistory struct {
	mu    sync.Mutex
	armed bool
	moved bool
	addr  string
	at    time.Time
}

func (m *movingHistory) FirstSeen(ctx context.Context, dept string) (map[string]time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.moved {
		return map[string]time.Time{m.addr: m.at}, nil
	}
	if m.armed && store.TxFrom(ctx) == nil {
		m.moved = true // after this answer
	}
	return map[string]time.Time{}, nil
}

// TestEvaluatedAheadSeesHistoryMovedMeanwhile: a large department's queued
// scans are evaluated before their transaction. An older scan imported in
// between moves first sightings and the baseline back; the transaction
// must judge with them, or a new-infrastructure finding the history
// refutes would open and stay open until the department's next scan.
func TestEvaluatedAheadSeesHistoryMovedMeanwhile(t *testing.T) {
	// The older scan saw only the server: it was there before the
	// department's first scan, and the baseline moves back to it, which
	// makes the router first seen in that first scan new instead. A newer
	// report showing an address of its own moves nothing. passes are the
	// evaluations of the batch: true ran inside its transaction.
	tests := []struct {
		name          string
		addr          string
		at            func(first time.Time) time.Time
		before, while bool
		want          []string
		passes        []bool
	}{
		{"history unchanged: the server is new, evaluated ahead only", "10.1.0.40", older, false, false, []string{"10.1.0.40"}, []bool{false}},
		{"history moved back before the judgement", "10.1.0.40", older, true, false, []string{"10.1.0.1"}, []bool{false}},
		{"history moved back while it was evaluated ahead: evaluated again inside, as if before", "10.1.0.40", older, false, true,
			[]string{"10.1.0.1"}, []bool{false, true}},
		{"an address of a newer report appeared meanwhile: the verdict stands", "10.1.0.99", newer, false, true, []string{"10.1.0.40"}, []bool{false}},
		{"an address first seen within the facts appeared meanwhile: evaluated again inside", "10.1.0.99", within, false, true,
			[]string{"10.1.0.40"}, []bool{false, true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				st := NewStore(db)
				base := loadReports(t, "czj")[0]
				t1 := base.FinishedAt
				hist := &movingHistory{addr: tc.addr, at: tc.at(t1)}
				p := NewProcessorWith(cutoffEngine(t), st, ProcessorOptions{ResolveAfter: 3, BatchAbove: 1, Facts: inventory.New(db),
					Sightings: []Sightings{inventory.New(db), devices.NewStore(db), hist}})
				r1 := cloneReport(t, base, "6f1c2a10-0021-4c00-8000-000000000001", t1)
				if err := file(ctx, p, r1, "CZJ"); err != nil {
					t.Fatal(err)
				}
				if err := p.JudgeQueued(ctx); err != nil {
					t.Fatal(err)
				}
				if !p.batching("CZJ") {
					t.Fatal("the department is not judged in batches: the test does not reach the evaluation ahead")
				}
				r2 := cloneReport(t, base, "6f1c2a10-0021-4c00-8000-000000000002", t1.Add(30*24*time.Hour))
				r2.Endpoints = append(r2.Endpoints, wire.Endpoint{IP: "10.1.0.40", Role: wire.RoleServer, OpenPorts: []int{22}})
				if err := file(ctx, p, r2, "CZJ"); err != nil {
					t.Fatal(err)
				}
				if !p.Queued(r2.ReportID) {
					t.Fatal("the second scan was not queued")
				}
				hist.mu.Lock()
				hist.moved, hist.armed = tc.before, tc.while
				hist.mu.Unlock()
				var passes []bool
				p.evaluated = func(inTx bool) { passes = append(passes, inTx) }
				if err := p.JudgeQueued(ctx); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(passes, tc.passes) {
					t.Errorf("evaluations (true: inside the transaction) %v, want %v", passes, tc.passes)
				}
				if got := newInfra(t, st, "CZJ"); !slices.Equal(got, tc.want) {
					t.Errorf("new infrastructure %v, want %v", got, tc.want)
				}
				if hist.moved != (tc.before || tc.while) {
					t.Errorf("history moved: %v, want %v", hist.moved, tc.before || tc.while)
				}
			})
		})
	}
}

// older is ten days before the department's first scan; within, five
// days after (before the queued scan, 30 days after); newer, after both.
func older(first time.Time) time.Time  { return first.Add(-10 * 24 * time.Hour) }
func within(first time.Time) time.Time { return first.Add(5 * 24 * time.Hour) }
func newer(first time.Time) time.Time  { return first.Add(31 * 24 * time.Hour) }
