package lifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

func TestUnreadable(t *testing.T) {
	var syntax *json.SyntaxError
	decodeErr := json.Unmarshal([]byte("not json"), &struct{}{})
	if !errors.As(decodeErr, &syntax) {
		t.Fatalf("json.Unmarshal of garbage gave %T", decodeErr)
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"report not stored", fmt.Errorf("load report x: %w", inventory.ErrNotFound), true},
		{"report compacted", fmt.Errorf("load report x: %w", inventory.ErrCompacted), true},
		{"report not JSON", fmt.Errorf("decode kept report x: %w", decodeErr), true},
		{"wrong JSON shape", fmt.Errorf("decode: %w", json.Unmarshal([]byte(`{"endpoints":7}`), &wire.ScanReport{})), true},
		{"database away", errors.New("dial tcp 127.0.0.1:5432: connect: connection refused"), false},
		{"deadline", fmt.Errorf("load report x: %w", context.DeadlineExceeded), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := unreadable(tc.err); got != tc.want {
				t.Fatalf("unreadable(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

// TestUnreadableQueuedScanSetAside: after a restart (the processor that
// queued them kept their reports in memory), a queued scan whose report is
// gone (a row nobody's upload made) or not JSON fails its department's
// judgement once; then it is set aside with the reason, a later scan of
// its agent no longer leans on it, and the department's other scans are
// judged.
func TestUnreadableQueuedScanSetAside(t *testing.T) {
	base := loadReports(t, "rsj")[0]
	t0 := base.FinishedAt
	for _, damage := range []struct {
		name string
		sql  string
		arg  any
	}{
		{"text that is not JSON", `UPDATE reports SET raw = 'not json', raw_z = NULL WHERE report_id = ?`, nil},
		{"packed form damaged", `UPDATE reports SET raw_z = ? WHERE report_id = ?`, []byte("not zstd")},
	} {
		t.Run(damage.name, func(t *testing.T) { unreadableQueuedScanSetAside(t, base, t0, damage.sql, damage.arg) })
	}
}

func unreadableQueuedScanSetAside(t *testing.T, base *wire.ScanReport, t0 time.Time, damageSQL string, damageArg any) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p := NewProcessorWith(districtEngine(t), NewStore(db), ProcessorOptions{ResolveAfter: 3, BatchAbove: 1, Facts: inventory.New(db)})
		id := func(n int) string { return fmt.Sprintf("5e1c2a10-0000-4c00-8000-%012d", n) }
		a1 := cloneReport(t, base, id(1), t0.Add(time.Hour))
		b1 := cloneReport(t, base, id(2), t0.Add(90*time.Minute))
		b1.Agent.ID, b1.Agent.Hostname = base.Agent.ID+"-b", base.Agent.Hostname+"-b"
		a2 := cloneReport(t, base, id(3), t0.Add(2*time.Hour))
		for _, r := range []*wire.ScanReport{a1, b1, a2} {
			if err := file(ctx, p, r, "RSJ"); err != nil {
				t.Fatal(err)
			}
		}
		args := []any{a1.ReportID}
		if damageArg != nil {
			args = []any{damageArg, a1.ReportID}
		}
		if _, err := db.Exec(ctx, damageSQL, args...); err != nil {
			t.Fatal(err)
		}
		// restarted: nothing kept in memory
		p = NewProcessorWith(districtEngine(t), NewStore(db), ProcessorOptions{ResolveAfter: 3, BatchAbove: 1, Facts: inventory.New(db)})
		ghost := id(9)
		if _, err := db.Exec(ctx, `INSERT INTO rules_pending (report_id, department, agent, agent_key, finished_at, queued_at) VALUES (?, 'RSJ', 'ghost', 'ghost', ?, ?)`,
			ghost, ts(t0.Add(30*time.Minute)), ts(time.Now())); err != nil {
			t.Fatal(err)
		}
		err := p.JudgeQueued(ctx)
		if err == nil || !strings.Contains(err.Error(), "set aside") {
			t.Fatalf("first judgement: %v, want a failure that set scans aside", err)
		}
		if err := p.JudgeQueued(ctx); err != nil {
			t.Fatalf("second judgement: %v, want the rest judged", err)
		}
		if n := pendingCount(t, db); n != 0 {
			t.Fatalf("%d scans still queued", n)
		}
		rows, err := db.Query(ctx, `SELECT report_id, reason FROM rules_set_aside ORDER BY report_id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var aside []string
		for rows.Next() {
			var rid, reason string
			if err := rows.Scan(&rid, &reason); err != nil {
				t.Fatal(err)
			}
			if reason == "" {
				t.Errorf("scan %s set aside without a reason", rid)
			}
			aside = append(aside, rid)
		}
		if want := []string{a1.ReportID, ghost}; !slices.Equal(aside, want) {
			t.Fatalf("set aside %v, want %v", aside, want)
		}
		for _, r := range []*wire.ScanReport{b1, a2} {
			var n int
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM rules_scans WHERE report_id = ?`, r.ReportID).Scan(&n); err != nil || n != 1 {
				t.Errorf("readable scan %s judged %d times (%v), want 1", r.ReportID, n, err)
			}
		}
	})
}

// TestUnreadableLatestReportUnblocks: after a restart (nothing cached), an
// agent's latest report that cannot be read no longer blocks its
// department, whether it is queued or was judged before: it is set aside,
// the agent counts as unseen, and the other agents' scans, queued then
// and later, are judged.
func TestUnreadableLatestReportUnblocks(t *testing.T) {
	base := loadReports(t, "rsj")[0]
	t0 := base.FinishedAt
	tests := []struct {
		name   string
		queued bool // the bad report waits in the queue (else it was judged inline before)
	}{
		{"queued latest report", true},
		{"judged latest report", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				opt := ProcessorOptions{ResolveAfter: 3, BatchAbove: 1, Facts: inventory.New(db)}
				if !tc.queued {
					opt.BatchAbove = 0
				}
				p := NewProcessorWith(districtEngine(t), NewStore(db), opt)
				id := func(n int) string { return fmt.Sprintf("6e1c2a10-0000-4c00-8000-%012d", n) }
				a1 := cloneReport(t, base, id(1), t0.Add(time.Hour))
				if err := file(ctx, p, a1, "RSJ"); err != nil {
					t.Fatal(err)
				}
				p.opt.BatchAbove = 1
				b := func(n int, at time.Duration) *wire.ScanReport {
					r := cloneReport(t, base, id(n), t0.Add(at))
					r.Agent.ID, r.Agent.Hostname = base.Agent.ID+"-b", base.Agent.Hostname+"-b"
					return r
				}
				b1 := b(2, 90*time.Minute)
				if err := file(ctx, p, b1, "RSJ"); err != nil {
					t.Fatal(err)
				}
				if _, err := db.Exec(ctx, `UPDATE reports SET raw = 'not json', raw_z = NULL WHERE report_id = ?`, a1.ReportID); err != nil {
					t.Fatal(err)
				}
				// a restart: a fresh processor has nothing cached
				fresh := NewProcessorWith(districtEngine(t), NewStore(db), ProcessorOptions{ResolveAfter: 3, BatchAbove: 1, Facts: inventory.New(db)})
				fresh.opt.Sightings = p.opt.Sightings
				if err := fresh.JudgeQueued(ctx); err == nil || !strings.Contains(err.Error(), "set aside") {
					t.Fatalf("first judgement: %v, want a failure that set the report aside", err)
				}
				if err := fresh.JudgeQueued(ctx); err != nil {
					t.Fatalf("second judgement: %v, want the rest judged", err)
				}
				b2 := b(3, 2*time.Hour)
				if err := file(ctx, fresh, b2, "RSJ"); err != nil {
					t.Fatal(err)
				}
				if err := fresh.JudgeQueued(ctx); err != nil {
					t.Fatalf("judging a later scan: %v", err)
				}
				if n := pendingCount(t, db); n != 0 {
					t.Fatalf("%d scans still queued", n)
				}
				var aside int
				if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM rules_set_aside WHERE report_id = ?`, a1.ReportID).Scan(&aside); err != nil || aside != 1 {
					t.Fatalf("a1 set aside %d times (%v), want 1", aside, err)
				}
				for _, r := range []*wire.ScanReport{b1, b2} {
					var n int
					if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM rules_scans WHERE report_id = ?`, r.ReportID).Scan(&n); err != nil || n != 1 {
						t.Errorf("scan %s judged %d times (%v), want 1", r.ReportID, n, err)
					}
				}
			})
		})
	}
}
