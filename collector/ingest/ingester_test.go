package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

// recorder is a processor that records calls and fails while fail is set.
type recorder struct {
	name string
	mu   sync.Mutex
	fail bool
	seen []string
}

func (r *recorder) Name() string { return r.name }

func (r *recorder) Process(_ context.Context, rep *wire.ScanReport, dept string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, dept+"/"+rep.ReportID)
	if r.fail {
		return errors.New("boom")
	}
	return nil
}

func report(id string, finished time.Time) *wire.ScanReport {
	return &wire.ScanReport{
		Schema: wire.SchemaScanV1, ReportID: id,
		Agent:     wire.Agent{ID: "agent-1", Hostname: "p", Department: "CZJ"},
		StartedAt: finished.Add(-time.Minute), FinishedAt: finished,
		Scope:     []string{"10.1.0.0/24"},
		Endpoints: []wire.Endpoint{{IP: "10.1.0.10", SeenBy: []string{"tcp"}, OpenPorts: []int{22}, Role: "server"}},
	}
}

const (
	id1 = "11111111-1111-4111-8111-111111111111"
	id2 = "22222222-2222-4222-8222-222222222222"
)

func TestIngestConformance(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		inv := inventory.New(db)
		if err := inv.SyncDepartments(ctx, []inventory.Department{{Code: "CZJ", Name: "区财政局"}}, time.Now()); err != nil {
			t.Fatal(err)
		}
		audit := auditlog.New(db)
		in := New(db, audit, slog.New(slog.NewTextHandler(io.Discard, nil)))
		first, second := &recorder{name: "first", fail: true}, &recorder{name: "second"}
		in.Use(first, second)
		src := Source{Kind: inventory.SourceUpload, AgentID: "agent-1", Actor: auditlog.Entry{ActorKind: auditlog.KindAgent, Actor: "agent-1"}}
		finished := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)

		res, err := in.Ingest(ctx, report(id1, finished), "CZJ", src)
		if err != nil || !res.Stored || len(res.ProcessErrors) != 1 {
			t.Fatalf("first ingest: %+v %v", res, err)
		}
		// On PostgreSQL the failure first fails the attempt without
		// savepoints (store.Tx.Flat); the report then runs again with them.
		want, runs := "[CZJ/"+id1+"] [CZJ/"+id1+"]", 1
		if db.Dialect == store.Postgres {
			want, runs = "[CZJ/"+id1+" CZJ/"+id1+"] [CZJ/"+id1+"]", 2
		}
		if fmt.Sprint(first.seen, second.seen) != want {
			t.Fatalf("processors: %v %v (a failing processor must not stop the next)", first.seen, second.seen)
		}
		res, err = in.Ingest(ctx, report(id1, finished), "CZJ", src)
		if err != nil || res.Stored {
			t.Fatalf("retry: %+v %v, want not stored", res, err)
		}
		if len(second.seen) != 1 {
			t.Fatalf("retry ran processors again: %v", second.seen)
		}
		if n, _ := inv.CountReports(ctx, id1); n != 1 {
			t.Fatalf("stored %d times", n)
		}

		refusals := []struct {
			name string
			rep  *wire.ScanReport
			dept string
			src  Source
			want error
		}{
			{"other agent same id", report(id1, finished), "CZJ", Source{Kind: inventory.SourceUpload, AgentID: "agent-2", Actor: src.Actor}, ErrConflict},
			{"same id other content", func() *wire.ScanReport { r := report(id1, finished); r.Endpoints[0].Hostname = "forged"; return r }(), "CZJ", src, ErrDifferentContent},
			{"unknown department", report(id2, finished), "NOPE", src, ErrUnknownDepartment},
			{"invalid report", func() *wire.ScanReport { r := report(id2, finished); r.Endpoints[0].IP = "x"; return r }(), "CZJ", src, nil},
		}
		for _, tc := range refusals {
			t.Run(tc.name, func(t *testing.T) {
				before := in.Reruns()
				_, err := in.Ingest(ctx, tc.rep, tc.dept, tc.src)
				if err == nil {
					t.Fatal("accepted")
				}
				if tc.want != nil && !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
				// a refusal stands: the report is not run again
				if n := in.Reruns() - before; n != 0 {
					t.Fatalf("refused report ran again %d times", n)
				}
			})
		}
		if n, _ := inv.CountReports(ctx, ""); n != 1 {
			t.Fatalf("refused reports changed the store: %d reports", n)
		}
		if raw, err := inv.RawReport(ctx, id1); err != nil || strings.Contains(string(raw), "forged") {
			t.Fatalf("the original report was not kept: %v", err)
		}

		pend, _ := inv.Pending(ctx, 10)
		if len(pend) != 1 || pend[0].ProcessError == "" {
			t.Fatalf("failed processing not pending: %+v", pend)
		}
		// (on PostgreSQL a refused report reached the processors in the
		// attempt without savepoints, undone: see Ingest)
		runs = len(first.seen)
		first.fail = false
		n, err := in.ProcessPending(ctx)
		if err != nil || n != 1 {
			t.Fatalf("process pending: %d %v", n, err)
		}
		if len(first.seen) != runs+1 {
			t.Fatalf("pending report not re-run: %v", first.seen)
		}
		if pend, _ := inv.Pending(ctx, 10); len(pend) != 0 {
			t.Fatalf("still pending: %+v", pend)
		}
		if n, err := in.ProcessPending(ctx); err != nil || n != 0 {
			t.Fatalf("second process pending: %d %v", n, err)
		}

		entries, _ := audit.List(ctx, time.Time{}, 0)
		var ok, denied int
		for _, e := range entries {
			if e.Action == "report.upload" {
				if e.Outcome == auditlog.OutcomeOK {
					ok++
				} else {
					denied++
				}
			}
		}
		if ok != 2 || denied != 3 {
			t.Fatalf("audit report.upload ok=%d denied=%d, want 2 (stored, retry) and 3 (conflict, other content, unknown dept)", ok, denied)
		}
	})
}

// TestFastClockDoesNotPinLastSeen: a report dated in the future (inside
// wire.MaxClockSkew) counts its sightings as of its receipt, so a later
// report from a correct clock moves last_seen on.
func TestFastClockDoesNotPinLastSeen(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		inv := inventory.New(db)
		if err := inv.SyncDepartments(ctx, []inventory.Department{{Code: "CZJ", Name: "区财政局"}}, time.Now()); err != nil {
			t.Fatal(err)
		}
		in := New(db, auditlog.New(db), slog.New(slog.NewTextHandler(io.Discard, nil)))
		received := time.Now().UTC().Truncate(time.Second)
		in.SetClock(func() time.Time { return received })
		src := Source{Kind: inventory.SourceUpload, AgentID: "agent-1", Actor: auditlog.Entry{ActorKind: auditlog.KindAgent, Actor: "agent-1"}}
		if _, err := in.Ingest(ctx, report(id1, received.Add(20*time.Hour)), "CZJ", src); err != nil {
			t.Fatal(err)
		}
		eps, err := inv.Endpoints(ctx, "CZJ", 10)
		if err != nil || len(eps) != 1 {
			t.Fatalf("endpoints: %v %v", eps, err)
		}
		if eps[0].LastSeen.After(received) {
			t.Fatalf("last_seen %s is after the report's receipt %s", eps[0].LastSeen, received)
		}
		later := received.Add(time.Hour)
		in.SetClock(func() time.Time { return later })
		if _, err := in.Ingest(ctx, report(id2, later), "CZJ", src); err != nil {
			t.Fatal(err)
		}
		if eps, err = inv.Endpoints(ctx, "CZJ", 10); err != nil || !eps[0].LastSeen.Equal(later) {
			t.Fatalf("a later report did not move last_seen to %s: %+v %v", later, eps, err)
		}
	})
}
