package inventory

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

// TestInsertKnownReport (issue 16): a report of a known department is
// stored and moves its agent's latest scan time (an older one does not);
// a report id already stored is returned as it is, with nothing written;
// a department not in the plan is ErrUnknownDepartment and stores
// nothing, even for an id that exists. PostgreSQL does this in one
// statement, SQLite in three: both must agree.
func TestInsertKnownReport(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		inv := New(db)
		now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
		if err := inv.SyncDepartments(ctx, []Department{{"CZJ", "区财政局"}}, now); err != nil {
			t.Fatal(err)
		}
		t1 := now.Add(-time.Hour)
		latest := func() string {
			var at string
			if err := db.QueryRow(ctx, `SELECT finished_at FROM report_latest WHERE department = 'CZJ' AND agent_id = 'a1'`).Scan(&at); err != nil {
				t.Fatal(err)
			}
			return at
		}
		for _, tc := range []struct {
			name         string
			id, dept     string
			at           time.Time
			wantInserted bool
			wantErr      error
			wantExisting string // the stored report's agent, when not inserted
			wantLatest   time.Time
		}{
			{name: "new", id: "r1", dept: "CZJ", at: t1, wantInserted: true, wantLatest: t1},
			{name: "newer", id: "r2", dept: "CZJ", at: t1.Add(time.Minute), wantInserted: true, wantLatest: t1.Add(time.Minute)},
			{name: "older, imported late", id: "r0", dept: "CZJ", at: t1.Add(-time.Hour), wantInserted: true, wantLatest: t1.Add(time.Minute)},
			{name: "stored already", id: "r1", dept: "CZJ", at: t1.Add(time.Hour), wantExisting: "a1", wantLatest: t1.Add(time.Minute)},
			{name: "unknown department", id: "r3", dept: "XXX", at: t1.Add(time.Hour), wantErr: ErrUnknownDepartment, wantLatest: t1.Add(time.Minute)},
			{name: "unknown department, id taken", id: "r1", dept: "XXX", at: t1.Add(time.Hour), wantErr: ErrUnknownDepartment, wantLatest: t1.Add(time.Minute)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before, err := inv.CountReports(ctx, "")
				if err != nil {
					t.Fatal(err)
				}
				var ins bool
				var ex Report
				err = db.InTx(ctx, func(tx *store.Tx) error {
					var err error
					ins, ex, err = InsertKnownReport(ctx, tx, Report{ReportID: tc.id, AgentID: "a1", Department: tc.dept, Source: SourceUpload,
						StartedAt: tc.at.Add(-time.Minute), FinishedAt: tc.at, ReceivedAt: now, Endpoints: 3, Processed: true}, PackBody([]byte(`{"x":1}`)))
					return err
				})
				if !errors.Is(err, tc.wantErr) || (err != nil && tc.wantErr == nil) {
					t.Fatalf("err %v, want %v", err, tc.wantErr)
				}
				if ins != tc.wantInserted {
					t.Errorf("inserted %v, want %v", ins, tc.wantInserted)
				}
				if ex.AgentID != tc.wantExisting && !tc.wantInserted {
					t.Errorf("existing %+v, want agent %q", ex, tc.wantExisting)
				}
				after, err := inv.CountReports(ctx, "")
				if err != nil {
					t.Fatal(err)
				}
				if want := before + map[bool]int{true: 1}[tc.wantInserted]; after != want {
					t.Errorf("%d reports stored, want %d", after, want)
				}
				if got := latest(); got != SortableTime(tc.wantLatest) {
					t.Errorf("latest scan %s, want %s", got, SortableTime(tc.wantLatest))
				}
			})
		}
		raw, err := inv.RawReport(ctx, "r2")
		if err != nil || string(raw) != `{"x":1}` {
			t.Errorf("stored raw %q %v", raw, err)
		}
		pend, err := inv.Pending(ctx, 10)
		if err != nil || len(pend) != 0 {
			t.Errorf("reports stored as processed are pending: %+v %v", pend, err)
		}
	})
}
