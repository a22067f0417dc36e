package inventory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

// TestStoredBodies (issue 16): a report is stored compressed (raw_z, the
// text column left empty) and read back byte for byte by RawReport and
// SameRawTx, on both paths of InsertKnownReport; a row written before
// raw_z (its text in raw) still reads; a damaged raw_z is an error naming
// the report, not a wrong report.
func TestStoredBodies(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		inv := New(db)
		now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
		if err := inv.SyncDepartments(ctx, []Department{{"CZJ", "区财政局"}}, now); err != nil {
			t.Fatal(err)
		}
		var eps []string
		for i := range 2000 {
			eps = append(eps, fmt.Sprintf(`{"ip":"10.1.%d.%d","role":"workstation","open_ports":[135,445],"hostname":"主机-%d"}`, i/256, i%256, i))
		}
		big := []byte(`{"schema":"egovnet.scan/v1","report_id":"big","endpoints":[` + strings.Join(eps, ",") + `]}`)
		small := []byte(`{"schema":"egovnet.scan/v1","report_id":"small","agent":{"hostname":"财政局-01"}}`)
		for _, tc := range []struct {
			name string
			id   string
			raw  []byte
		}{
			{"small", "small", small},
			{"big", "big", big},
			{"empty object", "empty", []byte(`{}`)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				meta := Report{ReportID: tc.id, AgentID: "a1", Department: "CZJ", Source: SourceUpload, FinishedAt: now, ReceivedAt: now}
				if err := db.InTx(ctx, func(tx *store.Tx) error {
					ins, _, err := InsertKnownReport(ctx, tx, meta, PackBody(tc.raw))
					if err == nil && !ins {
						err = fmt.Errorf("not inserted")
					}
					return err
				}); err != nil {
					t.Fatal(err)
				}
				var text string
				var packed []byte
				if err := db.QueryRow(ctx, `SELECT raw, raw_z FROM reports WHERE report_id = ?`, tc.id).Scan(&text, &packed); err != nil {
					t.Fatal(err)
				}
				if text != "" || len(packed) == 0 {
					t.Fatalf("stored raw %d bytes, raw_z %d bytes: want the report in raw_z only", len(text), len(packed))
				}
				if len(tc.raw) > 1000 && len(packed)*4 > len(tc.raw) {
					t.Errorf("a %d-byte report stored in %d bytes: want at most a quarter", len(tc.raw), len(packed))
				}
				got, err := inv.RawReport(ctx, tc.id)
				if err != nil || !bytes.Equal(got, tc.raw) {
					t.Fatalf("RawReport = %.80q, %v; want the report as sent", got, err)
				}
				if err := db.InTx(ctx, func(tx *store.Tx) error {
					for _, c := range []struct {
						raw  []byte
						want bool
					}{{tc.raw, true}, {append(bytes.Clone(tc.raw), ' '), false}} {
						same, err := SameRawTx(ctx, tx, tc.id, c.raw)
						if err != nil {
							return err
						}
						if same != c.want {
							return fmt.Errorf("SameRawTx(%d bytes) = %v, want %v", len(c.raw), same, c.want)
						}
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			})
		}
		t.Run("row written before raw_z", func(t *testing.T) {
			legacy := `{"schema":"egovnet.scan/v1","report_id":"legacy"}`
			if _, err := db.Exec(ctx, `INSERT INTO reports (`+reportCols+`, raw) VALUES ('legacy', 'a1', 'CZJ', 'upload', ?, ?, ?, 0, 1, '', ?)`,
				SortableTime(now), SortableTime(now), SortableTime(now), legacy); err != nil {
				t.Fatal(err)
			}
			got, err := inv.RawReport(ctx, "legacy")
			if err != nil || string(got) != legacy {
				t.Fatalf("RawReport = %q, %v; want the stored text", got, err)
			}
		})
		t.Run("damaged raw_z", func(t *testing.T) {
			if _, err := db.Exec(ctx, `UPDATE reports SET raw_z = ? WHERE report_id = 'small'`, []byte("not zstd at all")); err != nil {
				t.Fatal(err)
			}
			got, err := inv.RawReport(ctx, "small")
			if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), "small") {
				t.Fatalf("RawReport of a damaged row = %q, %v; want ErrUnreadable naming the report", got, err)
			}
		})
	})
}
