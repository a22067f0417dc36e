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
	deptOf := func(r *wire.ScanReport) string {
		d, err := e.DepartmentOf(r)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
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
	audit, err := e.EvaluateReports(ctx, reps)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, v := range audit {
		want = append(want, line(v))
	}
	sort.Strings(want)
	if len(want) < 10 {
		t.Fatalf("the audit finds %d findings: the comparison proves little", len(want))
	}
	if got := present(t, ref, true); !slices.Equal(got, want) {
		t.Fatalf("inline judging differs from the audit: the reference is wrong:\n%s", lineDiff(got, want))
	}
	inlineHas := present(t, ref, false)
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		st := NewStore(db)
		p := NewProcessorWith(e, st, ProcessorOptions{ResolveAfter: 3, BatchAbove: 1})
		queued := 0
		for _, r := range reps {
			if err := file(ctx, p, r, deptOf(r)); err != nil {
				t.Fatal(err)
			}
			if p.Queued(r.ReportID) {
				queued++
			}
		}
		// Each department's first scan is judged inline (its size is not
		// known yet); the others are queued.
		if n := pendingCount(t, db); n != len(reps)-len(depts) || queued != n {
			t.Fatalf("%d scans queued (Queued says %d), want %d", n, queued, len(reps)-len(depts))
		}
		// A new process (nothing in memory) judges what is queued.
		fresh := NewProcessorWith(e, st, ProcessorOptions{ResolveAfter: 3, BatchAbove: 1})
		fresh.opt.Sightings = p.opt.Sightings
		judged := map[string]Scan{}
		fresh.OnJudged(func(_ context.Context, dept string, scan Scan) error { judged[dept] = scan; return nil })
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
		for _, scan := range judged {
			covered += 1 + len(scan.Covers)
		}
		if covered != len(reps)-len(depts) {
			t.Errorf("the judgements cover %d scans, want every queued one (%d)", covered, len(reps)-len(depts))
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

// TestBatchedJudgementCountsOneScan: a judgement covering several scans
// counts as one scan for rules.resolve_after, so a finding never resolves
// sooner than inline judging would resolve it.
func TestBatchedJudgementCountsOneScan(t *testing.T) {
	base := loadReports(t, "rsj")[0]
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := NewStore(db)
		p := NewProcessorWith(districtEngine(t), st, ProcessorOptions{ResolveAfter: 3, BatchAbove: 1})
		t0 := base.FinishedAt
		if err := file(ctx, p, cloneReport(t, base, "8b1c2a10-0000-4c00-8000-000000000001", t0), "RSJ"); err != nil {
			t.Fatal(err)
		}
		before := present(t, st, false)
		if len(before) == 0 {
			t.Fatal("RSJ has no findings: nothing to miss")
		}
		// Four scans without the carrier line, queued, judged once.
		for i := 2; i <= 5; i++ {
			r := cloneReport(t, base, fmt.Sprintf("8b1c2a10-0000-4c00-8000-%012d", i), t0.Add(time.Duration(i)*time.Hour))
			withoutExit(r)
			if err := file(ctx, p, r, "RSJ"); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.JudgeQueued(ctx); err != nil {
			t.Fatal(err)
		}
		vs, err := st.List(ctx, Filter{Department: "RSJ", Rule: wire.RuleInternetEgress})
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) == 0 {
			t.Fatal("no internet-egress finding in RSJ")
		}
		for _, v := range vs {
			if v.Status == wire.StatusResolved {
				t.Errorf("%s resolved after one batched judgement of four scans; resolve_after is 3 judgements", v.Subject)
			}
		}
	})
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
