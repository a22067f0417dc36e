package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

// marker is a processor that writes a row through the DB (its own InTx, as
// real processors do) and then fails failures times with err.
type marker struct {
	name     string
	db       *store.DB
	mu       sync.Mutex
	failures int
	err      error
	calls    int
	// failOn, when set, fails every report of that agent.
	failOn string
	// late: a failure is a statement whose result nobody reads
	// (ExecLater), which fails when it is sent, after Process returned.
	late bool
}

func (m *marker) Name() string { return m.name }

func (m *marker) Process(ctx context.Context, rep *wire.ScanReport, _ string) error {
	m.mu.Lock()
	m.calls++
	fail := m.failures > 0
	if fail {
		m.failures--
	}
	err := m.err
	if m.failOn != "" && rep.Agent.ID == m.failOn {
		fail, err = true, errors.New("boom")
	}
	m.mu.Unlock()
	return m.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO ingest_marks (report_id, processor) VALUES (?, ?)`, rep.ReportID, m.name); err != nil {
			return err
		}
		if fail && m.late {
			return m.db.ExecLater(ctx, `INSERT INTO ingest_marks (report_id, processor) VALUES (?, NULL)`, rep.ReportID)
		}
		if fail {
			return err
		}
		return nil
	})
}

var marksTable = []store.Migration{{ID: "ingesttest/0001", SQLite: "CREATE TABLE ingest_marks (report_id TEXT NOT NULL, processor TEXT NOT NULL, PRIMARY KEY (report_id, processor));\n"}}

func marks(t *testing.T, db *store.DB) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT processor FROM ingest_marks ORDER BY processor`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func newTxIngester(t *testing.T, db *store.DB) (*Ingester, *inventory.Store, *auditlog.Log) {
	t.Helper()
	ctx := context.Background()
	if err := db.MigrateSteps(ctx, marksTable); err != nil {
		t.Fatal(err)
	}
	inv := inventory.New(db)
	if err := inv.SyncDepartments(ctx, []inventory.Department{{Code: "CZJ", Name: "区财政局"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	audit := auditlog.New(db)
	return New(db, audit, slog.New(slog.NewTextHandler(io.Discard, nil))), inv, audit
}

var agentSrc = Source{Kind: inventory.SourceUpload, AgentID: "agent-1", Actor: auditlog.Entry{ActorKind: auditlog.KindAgent, Actor: "agent-1"}}

// TestOneTransactionPerReport: the report, its endpoints, its audit entry
// and every processor's state commit together; a failing processor is
// undone alone and leaves the report pending; a lost race re-runs the whole
// transaction; a failure before the commit stores nothing and is the
// client's error.
func TestOneTransactionPerReport(t *testing.T) {
	tests := []struct {
		name        string
		middleErr   error // the middle processor fails with it
		middleFails int   // how many times (default once)
		crash       bool  // fail right before the commit
		wantErr     bool
		wantPending bool
		wantMarks   []string
		wantMiddleN int // calls of the middle processor
		// flatRetry: on PostgreSQL the first attempt, without savepoints
		// (store.Tx.Flat), fails and the report runs again with them:
		// the middle processor runs once more
		flatRetry    bool
		wantEndpoint int
		late         bool // the middle processor's failure is a statement sent later (ExecLater)
	}{
		{name: "all succeed", wantMarks: []string{"a", "b", "c"}, wantMiddleN: 1, wantEndpoint: 1},
		{name: "failing processor undone alone", middleErr: errors.New("boom"), middleFails: 1 << 20, wantPending: true,
			wantMarks: []string{"a", "c"}, wantMiddleN: 1, flatRetry: true, wantEndpoint: 1},
		// on PostgreSQL the attempt without savepoints takes the failure
		// and the run with them succeeds: nothing left pending either way
		{name: "failing once", middleErr: errors.New("boom"), wantPending: true, wantMarks: []string{"a", "c"}, wantMiddleN: 1, wantEndpoint: 1},
		{name: "lost race re-runs the report", middleErr: errors.New("ERROR: could not serialize access (SQLSTATE 40001)"),
			wantMarks: []string{"a", "b", "c"}, wantMiddleN: 2, wantEndpoint: 1},
		// a statement held back fails after the processor returned: on
		// PostgreSQL it fails the attempt without savepoints, and the run
		// with them finds and undoes the processor alone
		{name: "failing statement held back undone alone", late: true, middleFails: 1 << 20, wantPending: true,
			wantMarks: []string{"a", "c"}, wantMiddleN: 1, flatRetry: true, wantEndpoint: 1},
		{name: "crash before commit stores nothing", crash: true, wantErr: true, wantMarks: []string{}, wantMiddleN: 1, flatRetry: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				in, inv, audit := newTxIngester(t, db)
				a, b, c := &marker{name: "a", db: db}, &marker{name: "b", db: db}, &marker{name: "c", db: db}
				if tc.middleErr != nil {
					b.failures, b.err = max(1, tc.middleFails), tc.middleErr
				}
				if tc.late {
					b.failures, b.late = tc.middleFails, true
				}
				flat := db.Dialect == store.Postgres
				if flat && tc.name == "failing once" {
					tc.wantPending, tc.wantMarks, tc.wantMiddleN = false, []string{"a", "b", "c"}, 2
				}
				if flat && tc.flatRetry {
					tc.wantMiddleN++
				}
				if tc.crash {
					in.beforeCommit = func() error { return errors.New("crash") }
				}
				in.Use(a, b, c)
				res, err := in.Ingest(ctx, report(id1, time.Now().UTC().Add(-time.Hour)), "CZJ", agentSrc)
				if (err != nil) != tc.wantErr {
					t.Fatalf("ingest: %+v %v, want error %v", res, err, tc.wantErr)
				}
				// on PostgreSQL any failure of the attempt without savepoints
				// runs the report again, once, and is counted
				wantReruns := int64(0)
				if flat && (tc.middleErr != nil || tc.crash || tc.late) {
					wantReruns = 1
				}
				if got := in.Reruns(); got != wantReruns {
					t.Fatalf("%d reruns with savepoints, want %d", got, wantReruns)
				}
				if got := len(res.ProcessErrors) > 0; got != tc.wantPending {
					t.Fatalf("process errors %v, want pending %v", res.ProcessErrors, tc.wantPending)
				}
				if got := marks(t, db); !slices.Equal(got, tc.wantMarks) {
					t.Fatalf("processor state %v, want %v", got, tc.wantMarks)
				}
				if b.calls != tc.wantMiddleN {
					t.Fatalf("middle processor ran %d times, want %d", b.calls, tc.wantMiddleN)
				}
				n, err := inv.CountReports(ctx, "")
				if err != nil {
					t.Fatal(err)
				}
				eps, err := inv.Endpoints(ctx, "", 10)
				if err != nil {
					t.Fatal(err)
				}
				if want := map[bool]int{true: 0, false: 1}[tc.wantErr]; n != want || len(eps) != tc.wantEndpoint {
					t.Fatalf("%d reports and %d endpoints stored, want %d and %d", n, len(eps), want, tc.wantEndpoint)
				}
				pend, err := inv.Pending(ctx, 10)
				if err != nil {
					t.Fatal(err)
				}
				wantText := "b: boom"
				if tc.late {
					wantText = "b: " // the database's own words for the NOT NULL violation
				}
				if got := len(pend) == 1 && strings.Contains(pend[0].ProcessError, wantText); got != tc.wantPending || (!tc.wantPending && len(pend) != 0) {
					t.Fatalf("pending %+v, want pending %v", pend, tc.wantPending)
				}
				entries, err := audit.List(ctx, time.Time{}, 0)
				if err != nil {
					t.Fatal(err)
				}
				if want := map[bool]int{true: 0, false: 1}[tc.wantErr]; len(entries) != want {
					t.Fatalf("%d audit entries, want %d", len(entries), want)
				}
			})
		})
	}
}

// TestPendingRetriedInBackground: a report a processor failed on is made
// good by RetryPending without a restart.
func TestPendingRetriedInBackground(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		in, inv, _ := newTxIngester(t, db)
		// fails through the ingest: on PostgreSQL that is two attempts
		// (without savepoints, then with them; store.Tx.Flat)
		fails := map[bool]int{false: 1, true: 2}[db.Dialect == store.Postgres]
		flaky := &marker{name: "flaky", db: db, failures: fails, err: errors.New("down for a moment")}
		in.Use(flaky)
		rctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); in.RetryPending(rctx, func(err error) { t.Error(err) }, nil) }()
		defer func() { stop(); <-done }()
		res, err := in.Ingest(ctx, report(id1, time.Now().UTC().Add(-time.Hour)), "CZJ", agentSrc)
		if err != nil || len(res.ProcessErrors) != 1 {
			t.Fatalf("ingest: %+v %v, want one process error", res, err)
		}
		// Wait for the retry; the deadline only keeps a regression (the
		// report parked) from hanging the suite.
		deadline := time.Now().Add(60 * time.Second)
		for {
			pend, err := inv.Pending(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(pend) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("report still pending after a minute: %+v", pend)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if got := marks(t, db); !slices.Equal(got, []string{"flaky"}) {
			t.Fatalf("processor state %v", got)
		}
	})
}

// TestConcurrentReportsEachStandAlone: reports uploaded at once (grouped into
// shared transactions on SQLite) end as if each had its own: every accepted
// report is stored once with its endpoint, processed and audited; the one
// refused (unknown department) and the one whose processor fails leave only
// their own traces; and the audit chain is whole.
func TestConcurrentReportsEachStandAlone(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		in, inv, audit := newTxIngester(t, db)
		rec := &marker{name: "m", db: db}
		in.Use(rec)
		const n = 48
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("%08x-0000-4000-8000-%012x", i+1, i+1)
		}
		const unknown, failing = 7, 30
		results := make([]Result, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range ids {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				rep := report(ids[i], time.Now().UTC().Add(-time.Hour))
				rep.Endpoints[0].IP = fmt.Sprintf("10.1.%d.%d", i/200, i%200+1)
				dept := "CZJ"
				if i == unknown {
					dept = "NOPE"
				}
				src := agentSrc
				if i == failing {
					// the processor fails on this agent's report only
					src.AgentID, rep.Agent.ID = "agent-failing", "agent-failing"
				}
				results[i], errs[i] = in.Ingest(ctx, rep, dept, src)
			}(i)
		}
		rec.failOn = "agent-failing"
		close(start)
		wg.Wait()
		for i := range ids {
			switch i {
			case unknown:
				if !errors.Is(errs[i], ErrUnknownDepartment) {
					t.Errorf("report %d to an unknown department: %v, want ErrUnknownDepartment", i, errs[i])
				}
			case failing:
				if errs[i] != nil || !results[i].Stored || len(results[i].ProcessErrors) != 1 {
					t.Errorf("report %d with a failing processor: %+v %v, want stored and pending", i, results[i], errs[i])
				}
			default:
				if errs[i] != nil || !results[i].Stored || len(results[i].ProcessErrors) != 0 {
					t.Errorf("report %d: %+v %v, want stored and processed", i, results[i], errs[i])
				}
			}
		}
		if got, err := inv.CountReports(ctx, ""); err != nil || got != n-1 {
			t.Errorf("%d reports stored (%v), want %d", got, err, n-1)
		}
		if eps, err := inv.Endpoints(ctx, "", 1000); err != nil || len(eps) != n-1 {
			t.Errorf("%d endpoints stored (%v), want %d", len(eps), err, n-1)
		}
		if got := marks(t, db); len(got) != n-2 {
			t.Errorf("%d processor marks, want %d (every stored report but the failing one)", len(got), n-2)
		}
		if pend, err := inv.Pending(ctx, 100); err != nil || len(pend) != 1 || pend[0].ReportID != ids[failing] {
			t.Errorf("pending %+v (%v), want only report %d", pend, err, failing)
		}
		entries, err := audit.List(ctx, time.Time{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		denied := 0
		for _, e := range entries {
			if e.Outcome == auditlog.OutcomeDenied {
				denied++
			}
		}
		if len(entries) != n || denied != 1 {
			t.Errorf("%d audit entries with %d denied, want %d with 1", len(entries), denied, n)
		}
		if v, err := audit.Verify(ctx); err != nil || v.Broken != nil || v.Entries != n {
			t.Errorf("audit chain after concurrent reports: %+v %v, want %d whole entries", v, err, n)
		}
	})
}

// TestAfterCommitSeesTheReport: what runs after a report's commit finds
// it stored (a reader outside the transaction sees it), runs once per
// stored report, and does not run for a refused report or a retry.
func TestAfterCommitSeesTheReport(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		in, inv, _ := newTxIngester(t, db)
		var calls, visible int
		in.AfterCommit(func() {
			calls++
			if n, err := inv.CountReports(ctx, ""); err == nil {
				visible = n
			}
		})
		rep := report(id1, time.Now().UTC().Add(-time.Hour))
		if _, err := in.Ingest(ctx, rep, "CZJ", agentSrc); err != nil {
			t.Fatal(err)
		}
		if calls != 1 || visible != 1 {
			t.Fatalf("after the commit: %d calls, %d reports visible; want 1 and 1", calls, visible)
		}
		if res, err := in.Ingest(ctx, rep, "CZJ", agentSrc); err != nil || res.Stored {
			t.Fatalf("retry: %+v %v", res, err)
		}
		if _, err := in.Ingest(ctx, report(id2, time.Now().UTC()), "NOPE", agentSrc); !errors.Is(err, ErrUnknownDepartment) {
			t.Fatalf("unknown department: %v", err)
		}
		if calls != 1 {
			t.Fatalf("%d calls after a retry and a refusal, want still 1", calls)
		}
	})
}

// TestPendingOutsidePlanLeftAlone: a pending report of a department the
// running plan no longer has is not run again (its processors would only
// fail) and does not count as failing, so it does not hold RetryPending on
// its backoff; it stays pending and is processed once the plan has its
// department again.
func TestPendingOutsidePlanLeftAlone(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		in, inv, _ := newTxIngester(t, db)
		fails := map[bool]int{false: 1, true: 2}[db.Dialect == store.Postgres]
		flaky := &marker{name: "flaky", db: db, failures: fails, err: errors.New("down for a moment")}
		in.Use(flaky)
		if res, err := in.Ingest(ctx, report(id1, time.Now().UTC().Add(-time.Hour)), "CZJ", agentSrc); err != nil || len(res.ProcessErrors) != 1 {
			t.Fatalf("ingest: %+v %v, want one process error", res, err)
		}
		var czjInPlan atomic.Bool
		in.SetInPlan(func(dept string) bool { return dept != "CZJ" || czjInPlan.Load() })
		calls := func() int { flaky.mu.Lock(); defer flaky.mu.Unlock(); return flaky.calls }
		before := calls()
		for _, tc := range []struct {
			name     string
			inPlan   bool
			want     pass
			wantRuns int
			pending  int
		}{
			{name: "department not in the plan", want: pass{outside: map[string]int{"CZJ": 1}}, pending: 1},
			{name: "not in the plan, again", want: pass{outside: map[string]int{"CZJ": 1}}, pending: 1},
			{name: "back in the plan", inPlan: true, want: pass{done: 1, outside: map[string]int{}}, wantRuns: 1},
		} {
			t.Run(tc.name, func(t *testing.T) {
				czjInPlan.Store(tc.inPlan)
				before = calls()
				p, err := in.processPending(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if p.done != tc.want.done || p.failed != tc.want.failed || fmt.Sprint(p.outside) != fmt.Sprint(tc.want.outside) {
					t.Errorf("pass %+v, want %+v", p, tc.want)
				}
				if got := calls() - before; got != tc.wantRuns {
					t.Errorf("processor ran %d times, want %d", got, tc.wantRuns)
				}
				if pend, err := inv.Pending(ctx, 10); err != nil || len(pend) != tc.pending {
					t.Errorf("pending %+v %v, want %d", pend, err, tc.pending)
				}
			})
		}
	})
}

// TestPendingUnreadableSkipped: a pending report whose stored form is
// damaged neither stops the pass (the reports after it are processed) nor
// counts as failing (it would keep every retry on the long backoff); it
// stays pending.
func TestPendingUnreadableSkipped(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		in, inv, _ := newTxIngester(t, db)
		fails := map[bool]int{false: 2, true: 4}[db.Dialect == store.Postgres]
		flaky := &marker{name: "flaky", db: db, failures: fails, err: errors.New("down for a moment")}
		in.Use(flaky)
		old, newer := report(id1, time.Now().UTC().Add(-2*time.Hour)), report(id2, time.Now().UTC().Add(-time.Hour))
		newer.Endpoints[0].IP = "10.1.0.99"
		for _, rep := range []*wire.ScanReport{old, newer} {
			if res, err := in.Ingest(ctx, rep, "CZJ", agentSrc); err != nil || len(res.ProcessErrors) != 1 {
				t.Fatalf("ingest %s: %+v %v, want one process error", rep.ReportID, res, err)
			}
		}
		if _, err := db.Exec(ctx, `UPDATE reports SET raw_z = ? WHERE report_id = ?`, []byte("damaged"), id1); err != nil {
			t.Fatal(err)
		}
		p, err := in.processPending(ctx)
		if err != nil {
			t.Fatalf("pass stopped: %v", err)
		}
		if p.done != 1 || p.failed != 0 || !slices.Equal(p.unreadable, []string{id1}) {
			t.Fatalf("pass %+v, want the newer report done and the damaged one unreadable", p)
		}
		if pend, err := inv.Pending(ctx, 10); err != nil || len(pend) != 1 || pend[0].ReportID != id1 {
			t.Fatalf("pending %+v %v, want the damaged report only", pend, err)
		}
	})
}
