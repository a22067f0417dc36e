package lifecycle

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/rules"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

// batchHistory is three scans of every department of the golden district
// by two agents: the golden report, then a server appears (agent b), then
// agent a sees half of its endpoints and the server too. Findings open,
// change evidence and go missing along the way.
func batchHistory(t *testing.T) []*wire.ScanReport {
	t.Helper()
	var out []*wire.ScanReport
	for i, base := range loadReports(t) {
		t0 := base.FinishedAt
		id := func(n int) string { return fmt.Sprintf("7a1c2a10-%04d-4c00-8000-%012d", i, n) }
		a1 := cloneReport(t, base, id(1), t0)
		b := cloneReport(t, base, id(2), t0.Add(time.Hour))
		b.Agent.ID, b.Agent.Hostname = base.Agent.ID+"-b", base.Agent.Hostname+"-b"
		b.Host = nil
		if len(b.Endpoints) > 0 {
			srv := b.Endpoints[0]
			srv.Role, srv.OpenPorts = wire.RoleServer, []int{22, 443}
			b.Endpoints = []wire.Endpoint{srv}
		}
		a2 := cloneReport(t, base, id(3), t0.Add(2*time.Hour))
		a2.Endpoints = a2.Endpoints[:len(a2.Endpoints)/2]
		out = append(out, a1, b, a2)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].FinishedAt.Before(out[j].FinishedAt) })
	return out
}

// line is a finding as a comparable line: rule, subject, status, severity,
// registration and the evidence. first_seen is left out on purpose: a
// batched judgement sees only the facts at its end, so a finding whose
// first evidence was replaced by a newer observation within the batch is
// first seen at that observation.
func line(v wire.Violation) string {
	ev, _ := json.Marshal(v.Evidence)
	return fmt.Sprintf("%s %s %s %s %s registered=%v %s", v.Department, v.Rule, v.Subject, v.Status, v.Severity, v.Registered, ev)
}

// present are a store's findings that are not resolved, as lines; with
// seenLast, only those the department's last judgement saw (not missed).
func present(t *testing.T, st *Store, seenLast bool) []string {
	t.Helper()
	ctx := context.Background()
	vs, err := st.List(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	missed := map[string]bool{}
	rows, err := st.db.Query(ctx, `SELECT id FROM rules_violations WHERE missed > 0`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		missed[id] = true
	}
	rows.Close()
	var out []string
	for _, v := range vs {
		if v.Status != wire.StatusResolved && !(seenLast && missed[v.ID]) {
			out = append(out, line(v))
		}
	}
	sort.Strings(out)
	return out
}

func pendingCount(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM rules_pending`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBatchedJudgementMatchesAudit (issue 16): a collector that queues
// every department's scans and judges them later, in a process that did
// not queue them (as after a crash), ends with the findings of one that
// judged every report as it came: what the last judgement saw is exactly
// what the offline audit finds in the same reports. Findings seen on the
// way that the last scans no longer show are missed, not yet resolved
// (rules.resolve_after); inline judging keeps more of those, since a batch
// never sees the scans in between.
func TestBatchedJudgementMatchesAudit(t *testing.T) {
	e := districtEngine(t)
	reps := batchHistory(t)
	ctx := context.Background()
	deptOf := departmentOf(t, e)
	depts := map[string]bool{}
	for _, r := range reps {
		depts[deptOf(r)] = true
	}
	ref := NewStore(storetest.NewSQLite(t))
	inline := NewProcessor(e, ref, 3, nil)
	for _, r := range reps {
		if err := file(ctx, inline, r, deptOf(r)); err != nil {
			t.Fatal(err)
		}
	}
	want := auditLines(t, e, reps)
	if len(want) < 10 {
		t.Fatalf("the audit finds %d findings: the comparison proves little", len(want))
	}
	if got := present(t, ref, true); !slices.Equal(got, want) {
		t.Fatalf("inline judging differs from the audit: the reference is wrong:\n%s", lineDiff(got, want))
	}
	inlineHas := present(t, ref, false)
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		st := NewStore(db)
		p := NewProcessorWith(e, st, ProcessorOptions{ResolveAfter: 3, BatchAbove: 1, Facts: inventory.New(db)})
		queued := 0
		for _, r := range reps {
			if err := file(ctx, p, r, deptOf(r)); err != nil {
				t.Fatal(err)
			}
			if p.Queued(r.ReportID) {
				queued++
			}
		}
		// Every scan holds at least batch_above (1) facts: each is queued,
		// a department's first one too.
		if n := pendingCount(t, db); n != len(reps) || queued != n {
			t.Fatalf("%d scans queued (Queued says %d), want %d", n, queued, len(reps))
		}
		// A new process (nothing in memory) judges what is queued.
		fresh := NewProcessorWith(e, st, ProcessorOptions{ResolveAfter: 3, BatchAbove: 1, Facts: inventory.New(db)})
		fresh.opt.Sightings = p.opt.Sightings
		judged := map[string][]Scan{}
		fresh.OnJudged(func(_ context.Context, dept string, scan Scan) error {
			judged[dept] = append(judged[dept], scan)
			return nil
		})
		if err := fresh.JudgeQueued(ctx); err != nil {
			t.Fatal(err)
		}
		if n := pendingCount(t, db); n != 0 {
			t.Errorf("%d scans still queued after JudgeQueued", n)
		}
		if len(judged) != len(depts) {
			t.Errorf("OnJudged ran for %d departments, want %d", len(judged), len(depts))
		}
		covered := 0
		for _, scans := range judged {
			for _, scan := range scans {
				covered += 1 + len(scan.Covers)
			}
		}
		if covered != len(reps) {
			t.Errorf("the judgements cover %d scans, want every queued one (%d)", covered, len(reps))
		}
		got := present(t, st, true)
		if !slices.Equal(got, want) {
			t.Errorf("batched findings differ from the audit's (%d, want %d):\n%s", len(got), len(want), lineDiff(got, want))
		}
		for _, g := range present(t, st, false) {
			if !slices.Contains(inlineHas, g) {
				t.Errorf("a batched finding inline judging does not have: %s", g)
			}
		}
		// Judging again changes nothing: every queued scan was applied.
		if err := fresh.JudgeQueued(ctx); err != nil {
			t.Fatal(err)
		}
		if again := present(t, st, true); !slices.Equal(again, got) {
			t.Errorf("a second JudgeQueued changed the findings")
		}
	})
}

// history is every finding with its status, times and transitions, as
// lines: what an auditor reads.
func history(t *testing.T, st *Store) []string {
	t.Helper()
	ctx := context.Background()
	vs, err := st.List(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range vs {
		evs, err := st.Events(ctx, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		var tr []string
		for _, e := range evs {
			tr = append(tr, fmt.Sprintf("%s->%s@%s by %s (%s)", e.From, e.To, e.At.UTC().Format(time.RFC3339), e.Actor, e.Note))
		}
		out = append(out, fmt.Sprintf("%s %s first %s last %s: %s", line(v), v.Status, v.FirstSeen.UTC().Format(time.RFC3339),
			v.LastSeen.UTC().Format(time.RFC3339), strings.Join(tr, "; ")))
	}
	sort.Strings(out)
	return out
}

// TestBatchedBacklogJudgedScanByScan (issue 16, review): an agent that
// flushes a backlog (several scans at once, as after an outage or from a
// relay's spool) is judged scan by scan: a server only its middle scan
// showed is found, the carrier line its later scans no longer show
// resolves after three of them, and the whole history (statuses, times,
// transitions and who caused them) is the one inline judging writes.
func TestBatchedBacklogJudgedScanByScan(t *testing.T) {
	base := loadReports(t, "rsj")[0]
	t0 := base.FinishedAt
	var reps []*wire.ScanReport
	for i := 1; i <= 5; i++ {
		r := cloneReport(t, base, fmt.Sprintf("8b1c2a10-0000-4c00-8000-%012d", i), t0.Add(time.Duration(i)*time.Hour))
		if i > 1 {
			withoutExit(r)
		}
		if i == 3 {
			r.Endpoints = append(r.Endpoints, wire.Endpoint{IP: "10.3.0.77", SeenBy: []string{"tcp"}, OpenPorts: []int{22}, Role: wire.RoleServer})
		}
		reps = append(reps, r)
	}
	run := func(t *testing.T, db *store.DB, batchAbove int) *Store {
		ctx := context.Background()
		st := NewStore(db)
		p := NewProcessorWith(districtEngine(t), st, ProcessorOptions{ResolveAfter: 3, BatchAbove: batchAbove, Facts: inventory.New(db)})
		for _, r := range reps {
			if err := file(ctx, p, r, "RSJ"); err != nil {
				t.Fatal(err)
			}
		}
		if batchAbove > 0 {
			if n := pendingCount(t, db); n != len(reps) {
				t.Fatalf("%d scans queued, want %d", n, len(reps))
			}
		}
		if err := p.JudgeQueued(ctx); err != nil {
			t.Fatal(err)
		}
		return st
	}
	want := history(t, run(t, storetest.NewSQLite(t), 0))
	joined := strings.Join(want, "\n")
	if !strings.Contains(joined, "local-server 10.3.0.77") || !strings.Contains(joined, "->resolved") {
		t.Fatalf("inline judging of the backlog finds no middle-scan server or resolves nothing: the comparison proves little:\n%s", joined)
	}
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		got := history(t, run(t, db, 1))
		if !slices.Equal(got, want) {
			t.Errorf("batched history differs from inline:\n%s", lineDiff(got, want))
		}
	})
}

// TestFactsAtSegments: each segment sees every queued agent with its
// latest scan up to it, even when a newer report of that agent arrived
// after the queue was read; an agent whose first queued scan comes later
// is seen with the report that scan replaced, or not at all when it had
// none.
func TestFactsAtSegments(t *testing.T) {
	q := func(id, key, prev string) queuedScan {
		return queuedScan{reportID: id, agentKey: key, prev: keptReport{agentKey: key, reportID: prev}}
	}
	segs := segments([]queuedScan{q("a1", "A", "a0"), q("b1", "B", ""), q("a2", "A", "a1"), q("c1", "C", "c0"), q("a3", "A", "a2")})
	var shape []string
	for _, s := range segs {
		var ids []string
		for _, x := range s {
			ids = append(ids, x.reportID)
		}
		shape = append(shape, strings.Join(ids, "+"))
	}
	if got := strings.Join(shape, " | "); got != "a1+b1 | a2+c1 | a3" {
		t.Fatalf("segments = %s, want a1+b1 | a2+c1 | a3", got)
	}
	for _, tc := range []struct {
		name string
		k    int
		want map[string]string // agent -> report, "-" left out
	}{
		{name: "first", k: 0, want: map[string]string{"A": "a1", "B": "b1", "C": "c0"}},
		{name: "middle", k: 1, want: map[string]string{"A": "a2", "B": "b1", "C": "c1"}},
		{name: "last", k: 2, want: map[string]string{"A": "a3", "B": "b1", "C": "c1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]string{}
			for k, r := range factsAt(segs, tc.k) {
				if r == nil {
					got[k] = "-"
				} else {
					got[k] = r.reportID
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("factsAt(%d) = %v, want %v", tc.k, got, tc.want)
			}
		})
	}
}

// lineDiff lists the lines only one side has.
func lineDiff(got, want []string) string {
	var b strings.Builder
	for _, g := range got {
		if !slices.Contains(want, g) {
			fmt.Fprintf(&b, "+ %s\n", g)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			fmt.Fprintf(&b, "- %s\n", w)
		}
	}
	return b.String()
}

// batched is a processor that queues every scan after a department's
// first, with the inventory as its facts, on db.
func batched(t *testing.T, db *store.DB, horizon time.Duration) (*Processor, *Store) {
	t.Helper()
	st := NewStore(db)
	return NewProcessorWith(districtEngine(t), st, ProcessorOptions{ResolveAfter: 3, BatchAbove: 1, Horizon: horizon, Facts: inventory.New(db)}), st
}

// serverScan is agent-b's scan of RSJ at at, showing one server only.
func serverScan(t *testing.T, base *wire.ScanReport, id string, at time.Time) *wire.ScanReport {
	t.Helper()
	r := cloneReport(t, base, id, at)
	r.Agent.ID, r.Agent.Hostname, r.Host, r.Devices, r.Paths = "agent-b", "agent-b", nil, nil, nil
	r.Endpoints = []wire.Endpoint{{IP: "10.3.0.77", SeenBy: []string{"tcp"}, OpenPorts: []int{22}, Role: wire.RoleServer}}
	return r
}

// TestBatchedFindingDatedByItsScan (issue 16, review): in a segment that
// holds several agents' scans, a finding opens at the time of the scan
// that showed it, by that scan, not at the segment's last scan: an
// as-of query between the two lists it.
func TestBatchedFindingDatedByItsScan(t *testing.T) {
	base := loadReports(t, "rsj")[0]
	t0 := base.FinishedAt
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p, st := batched(t, db, 0)
		a := cloneReport(t, base, "9c1c2a10-0000-4c00-8000-000000000001", t0)
		b := serverScan(t, base, "9c1c2a10-0000-4c00-8000-000000000002", t0.Add(time.Hour))
		c := cloneReport(t, base, "9c1c2a10-0000-4c00-8000-000000000003", t0.Add(2*time.Hour))
		for _, r := range []*wire.ScanReport{a, b, c} {
			if err := file(ctx, p, r, "RSJ"); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.JudgeQueued(ctx); err != nil {
			t.Fatal(err)
		}
		id := rules.ViolationID("RSJ", wire.RuleLocalServer, "10.3.0.77")
		evs, err := st.Events(ctx, id)
		if err != nil || len(evs) == 0 {
			t.Fatalf("no history for the server agent-b saw: %v", err)
		}
		if !evs[0].At.Equal(b.FinishedAt) || evs[0].Actor != "agent-b "+b.ReportID {
			t.Errorf("the finding opened at %s by %q, want %s by %q", evs[0].At, evs[0].Actor, b.FinishedAt, "agent-b "+b.ReportID)
		}
		vs, err := st.List(ctx, Filter{Department: "RSJ", AsOf: t0.Add(90 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, v := range vs {
			found = found || v.ID == id
		}
		if !found {
			t.Errorf("as of between agent-b's scan and the segment's last, the finding is not listed")
		}
	})
}

// TestHorizonNotFromAFastClock (issue 16, review): an agent whose
// clock runs ahead does not age the other agents' facts out, judged in a
// batch or inline: the horizon is measured back from the judgement's own
// time at the latest.
func TestHorizonNotFromAFastClock(t *testing.T) {
	base := loadReports(t, "rsj")[0]
	now := time.Now().UTC().Truncate(time.Second)
	for _, batchAbove := range []int{0, 1} {
		t.Run(fmt.Sprintf("batch_above=%d", batchAbove), func(t *testing.T) { fastClock(t, base, now, batchAbove) })
	}
}

func fastClock(t *testing.T, base *wire.ScanReport, now time.Time, batchAbove int) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := NewStore(db)
		p := NewProcessorWith(districtEngine(t), st, ProcessorOptions{ResolveAfter: 3, BatchAbove: batchAbove, Horizon: 12 * time.Hour, Facts: inventory.New(db)})
		honest := cloneReport(t, base, "9d1c2a10-0000-4c00-8000-000000000001", now.Add(-2*time.Hour))
		again := cloneReport(t, base, "9d1c2a10-0000-4c00-8000-000000000002", now.Add(-time.Hour))
		fast := cloneReport(t, base, "9d1c2a10-0000-4c00-8000-000000000003", now.Add(20*time.Hour))
		fast.Agent.ID, fast.Agent.Hostname, fast.Host, fast.Devices, fast.Paths = "agent-fast", "agent-fast", nil, nil, nil
		fast.Endpoints = fast.Endpoints[:1]
		for _, r := range []*wire.ScanReport{honest, again, fast} {
			if err := file(ctx, p, r, "RSJ"); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.JudgeQueued(ctx); err != nil {
			t.Fatal(err)
		}
		seen := strings.Join(present(t, st, true), "\n")
		if !strings.Contains(seen, "RSJ "+wire.RuleInternetEgress+" ") {
			t.Errorf("the honest agent's carrier line was not seen by the batch the fast clock is in:\n%s", seen)
		}
	})
}

// TestBatchedReportArrivingMidJudgement (issue 16, review): a report that
// arrives while a batch is being judged does not stand in for the queued
// scan of its agent: the batch judges that scan's own facts (a server only
// it showed is found, dated by it), and the newcomer waits for the next
// batch.
func TestBatchedReportArrivingMidJudgement(t *testing.T) {
	base := loadReports(t, "rsj")[0]
	t0 := base.FinishedAt
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p, st := batched(t, db, 0)
		a := cloneReport(t, base, "9e1c2a10-0000-4c00-8000-000000000001", t0)
		b1 := serverScan(t, base, "9e1c2a10-0000-4c00-8000-000000000002", t0.Add(time.Hour))
		b2 := cloneReport(t, b1, "9e1c2a10-0000-4c00-8000-000000000003", t0.Add(2*time.Hour))
		b2.Endpoints = []wire.Endpoint{{IP: "10.3.0.78", SeenBy: []string{"tcp"}, Role: wire.RoleWorkstation}}
		for _, r := range []*wire.ScanReport{a, b1} {
			if err := file(ctx, p, r, "RSJ"); err != nil {
				t.Fatal(err)
			}
		}
		arrived := false
		p.queueRead = func() {
			if !arrived {
				arrived = true
				if err := file(ctx, p, b2, "RSJ"); err != nil {
					t.Error(err)
				}
			}
		}
		if err := p.JudgeQueued(ctx); err != nil {
			t.Fatal(err)
		}
		if !arrived || pendingCount(t, db) != 1 {
			t.Fatalf("the newcomer did not arrive mid-judgement and wait (arrived %v, %d queued)", arrived, pendingCount(t, db))
		}
		id := rules.ViolationID("RSJ", wire.RuleLocalServer, "10.3.0.77")
		evs, err := st.Events(ctx, id)
		if err != nil || len(evs) == 0 {
			t.Fatalf("the server only b1 showed was never found: %v", err)
		}
		if !evs[0].At.Equal(b1.FinishedAt) {
			t.Errorf("the server's finding opened at %s, want b1's %s", evs[0].At, b1.FinishedAt)
		}
		// The next batch judges the newcomer: the server is missed once.
		p.queueRead = nil
		if err := p.JudgeQueued(ctx); err != nil {
			t.Fatal(err)
		}
		if n := pendingCount(t, db); n != 0 {
			t.Errorf("%d scans still queued", n)
		}
		if seen := strings.Join(present(t, st, true), "\n"); strings.Contains(seen, "local-server 10.3.0.77") {
			t.Errorf("after the newcomer's judgement the server is still seen:\n%s", seen)
		}
	})
}

// TestLargeReportQueuedOnArrival: what decides inline or batched is the
// size: of the department as its last judgement found it, or of the
// report itself when that alone reaches batch_above, so a department's
// first large upload (or its first after a restart, when sizes are
// forgotten) is queued rather than judged on the request path.
func TestLargeReportQueuedOnArrival(t *testing.T) {
	base := loadReports(t, "rsj")[0]
	facts := factsSize([]*wire.ScanReport{base})
	if facts < 4 {
		t.Fatalf("the RSJ report holds %d facts: too few to tell sizes apart", facts)
	}
	tests := []struct {
		name       string
		batchAbove int
		earlier    bool // another agent's whole report was judged first, inline: the department's size is known
		small      bool // the report holds one endpoint
		wantQueued bool
	}{
		{"report below the threshold, department unknown: inline", facts + 1, false, false, false},
		{"report at the threshold, department unknown: queued", facts, false, false, true},
		{"report above the threshold: queued", facts - 1, false, false, true},
		{"small report, department known to be large: queued", facts, true, true, true},
		{"small report, department known to be small: inline", facts + 1, true, true, false},
		{"batching off: inline", 0, false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.NewSQLite(t)
			p := NewProcessorWith(districtEngine(t), NewStore(db), ProcessorOptions{ResolveAfter: 3, Facts: inventory.New(db)})
			t0 := base.FinishedAt
			if tc.earlier {
				// judged inline (batching still off): notes the size
				first := cloneReport(t, base, "9c1c2a10-0000-4c00-8000-000000000001", t0)
				first.Agent.ID, first.Agent.Hostname = base.Agent.ID+"-b", base.Agent.Hostname+"-b"
				if err := file(ctx, p, first, "RSJ"); err != nil {
					t.Fatal(err)
				}
			}
			p.opt.BatchAbove = tc.batchAbove
			rep := cloneReport(t, base, "9c1c2a10-0000-4c00-8000-000000000002", t0.Add(time.Hour))
			if tc.small {
				rep.Endpoints, rep.Devices = rep.Endpoints[:1], nil
			}
			if err := file(ctx, p, rep, "RSJ"); err != nil {
				t.Fatal(err)
			}
			if got := p.Queued(rep.ReportID); got != tc.wantQueued {
				t.Fatalf("queued = %v, want %v (report of %d facts, batch_above %d)", got, tc.wantQueued, factsSize([]*wire.ScanReport{rep}), tc.batchAbove)
			}
			if want := map[bool]int{true: 1}[tc.wantQueued]; pendingCount(t, db) != want {
				t.Fatalf("%d scans in rules_pending, want %d", pendingCount(t, db), want)
			}
		})
	}
}
