package inventory

import (
	"context"
	"encoding/json"
	"errors"
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
		n, err := s.CompactReports(ctx, cutoff, `SELECT report_id FROM keep_ids`)
		if err != nil || n != 1 {
			t.Fatalf("compacted %d (%v), want 1", n, err)
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
		if n, err := s.CompactReports(ctx, cutoff, `SELECT report_id FROM keep_ids`); err != nil || n != 0 {
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
