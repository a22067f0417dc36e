package inventory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

// TestCompactReports: reports past the retention are compacted to their
// header, except pending ones, the newest of each agent and department, and
// those a keep query names; rows stay, RawReport says ErrCompacted, a late
// retry of a compacted report is still recognised, and a second pass finds
// nothing to do.
func TestCompactReports(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.MigrateSteps(ctx, []store.Migration{{ID: "inventorytest/0001", SQLite: "CREATE TABLE keep_ids (report_id TEXT PRIMARY KEY);\n"}}); err != nil {
			t.Fatal(err)
		}
		s := New(db)
		now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		old, recent := now.Add(-100*24*time.Hour), now.Add(-time.Hour)
		cutoff := now.Add(-90 * 24 * time.Hour)
		reports := []struct {
			id, agent     string
			finished      time.Time
			received      time.Time
			pending, keep bool
			wantCompacted bool
		}{
			{"r1", "a", old.Add(1 * time.Hour), old, false, false, true},
			{"r2", "a", old.Add(2 * time.Hour), old, false, true, false},  // named by the keep query
			{"r3", "a", old.Add(5 * time.Hour), old, false, false, false}, // newest of agent a and of the department
			{"r4", "b", old, old, false, false, false},                    // newest of agent b
			{"r5", "a", old.Add(3 * time.Hour), old, true, false, false},  // pending
			{"r6", "a", old.Add(4 * time.Hour), recent, false, false, false},
		}
		raws := map[string][]byte{}
		for _, r := range reports {
			raw, _ := json.Marshal(map[string]any{"schema": "egovnet.scan/v1", "report_id": r.id, "agent": map[string]string{"id": r.agent},
				"scope": []string{"10.1.0.0/24"}, "endpoints": []map[string]string{{"ip": "10.1.0.1"}}})
			raws[r.id] = raw
			err := db.InTx(ctx, func(tx *store.Tx) error {
				_, _, err := InsertReport(ctx, tx, Report{ReportID: r.id, AgentID: r.agent, Department: "CZJ", Source: SourceUpload,
					StartedAt: r.finished.Add(-time.Minute), FinishedAt: r.finished, ReceivedAt: r.received, Endpoints: 1}, raw)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if !r.pending {
				if err := s.MarkProcessed(ctx, r.id, ""); err != nil {
					t.Fatal(err)
				}
			}
			if r.keep {
				if _, err := db.Exec(ctx, `INSERT INTO keep_ids (report_id) VALUES (?)`, r.id); err != nil {
					t.Fatal(err)
				}
			}
		}
		n, unreadable, err := s.CompactReports(ctx, cutoff, `SELECT report_id FROM keep_ids`)
		if err != nil || n != 1 || len(unreadable) != 0 {
			t.Fatalf("compacted %d, unreadable %v (%v), want 1 and none", n, unreadable, err)
		}
		for _, r := range reports {
			raw, err := s.RawReport(ctx, r.id)
			if got := errors.Is(err, ErrCompacted); got != r.wantCompacted {
				t.Errorf("%s: RawReport error %v, want compacted %v", r.id, err, r.wantCompacted)
			}
			if !r.wantCompacted && string(raw) != string(raws[r.id]) {
				t.Errorf("%s: raw changed: %s", r.id, raw)
			}
		}
		var stored string
		if err := db.QueryRow(ctx, `SELECT raw FROM reports WHERE report_id = ?`, "r1").Scan(&stored); err != nil {
			t.Fatal(err)
		}
		var header map[string]any
		if err := json.Unmarshal([]byte(stored), &header); err != nil || header["report_id"] != "r1" || header["endpoints"] != nil || header["compacted"] != true {
			t.Fatalf("compacted r1 = %s (%v)", stored, err)
		}
		if c, _ := s.CountReports(ctx, ""); c != len(reports) {
			t.Fatalf("%d report rows after compaction, want %d", c, len(reports))
		}
		if n, _, err := s.CompactReports(ctx, cutoff, `SELECT report_id FROM keep_ids`); err != nil || n != 0 {
			t.Fatalf("second pass compacted %d (%v), want 0", n, err)
		}
		retries := []struct {
			name string
			raw  []byte
			want bool
		}{
			{"same content", raws["r1"], true},
			{"other content", raws["r2"], false},
		}
		for _, tc := range retries {
			t.Run(tc.name, func(t *testing.T) {
				var same bool
				err := db.InTx(ctx, func(tx *store.Tx) (err error) {
					same, err = SameRawTx(ctx, tx, "r1", tc.raw)
					return err
				})
				if err != nil || same != tc.want {
					t.Fatalf("SameRawTx = %v (%v), want %v", same, err, tc.want)
				}
			})
		}
	})
}

// TestCompactPassesOverUnreadable: damaged rows (a packed form that does
// not unpack, text that is not JSON) are left as they are and named, and
// the reports after them are compacted, even when there are more damaged
// rows than one batch holds.
func TestCompactPassesOverUnreadable(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := New(db)
		now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		old := now.Add(-100 * 24 * time.Hour)
		const packedBad, textBad, good = compactBatch + 50, 2, 150
		total := packedBad + textBad + good + 1 // the last is the agent's newest: kept
		id := func(i int) string { return fmt.Sprintf("r%04d", i) }
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			for i := range total {
				raw := fmt.Appendf(nil, `{"schema":"egovnet.scan/v1","report_id":%q,"endpoints":[{"ip":"10.1.0.1"}]}`, id(i))
				if _, _, err := InsertReport(ctx, tx, Report{ReportID: id(i), AgentID: "a", Department: "CZJ", Source: SourceUpload, Processed: true,
					StartedAt: old, FinishedAt: old.Add(time.Duration(i) * time.Minute), ReceivedAt: old, Endpoints: 1}, raw); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		var want []string
		for i := range packedBad + textBad {
			q, args := `UPDATE reports SET raw_z = ? WHERE report_id = ?`, []any{[]byte("damaged"), id(i)}
			if i >= packedBad {
				q, args = `UPDATE reports SET raw = 'not json', raw_z = NULL WHERE report_id = ?`, []any{id(i)}
			}
			if _, err := db.Exec(ctx, q, args...); err != nil {
				t.Fatal(err)
			}
			want = append(want, id(i))
		}
		n, unreadable, err := s.CompactReports(ctx, now.Add(-90*24*time.Hour))
		if err != nil || n != good || !slices.Equal(unreadable, want) {
			t.Fatalf("compacted %d, unreadable %d %v (%v); want %d and the %d damaged rows", n, len(unreadable), unreadable[:min(3, len(unreadable))], err, good, len(want))
		}
		var damaged int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM reports WHERE compacted = 0 AND (raw_z IS NOT NULL OR raw = 'not json')`).Scan(&damaged); err != nil {
			t.Fatal(err)
		}
		if damaged != len(want)+1 { // the damaged rows as they were, and the kept newest
			t.Fatalf("%d uncompacted rows, want %d", damaged, len(want)+1)
		}
	})
}
