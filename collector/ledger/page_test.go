package ledger

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

// TestPaging checks the SQL pages against the unpaged lists they window:
// same rows, same order, totals before the window, and ?q= over names.
func TestPaging(t *testing.T) {
	xp := recordedDevice(t, "snmpsim-data/ssd-windows-xp.snmprec", "10.1.0.21:161")
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newStore(db)
		if err := s.RecordReport(ctx, report("r1", "CZJ", t0, []wire.DeviceInventory{xp}, nil), "CZJ"); err != nil {
			t.Fatal(err)
		}
		all, err := s.ListSoftware(ctx, SoftwareFilter{All: true})
		if err != nil || len(all) < 100 {
			t.Fatalf("fixture: %d rows, %v", len(all), err)
		}
		ids := func(sws []Software) string {
			var b strings.Builder
			for _, sw := range sws {
				b.WriteString(sw.ID + " ")
			}
			return b.String()
		}
		tests := []struct {
			name string
			p    Page
			lo   int
			hi   int
		}{
			{"first page", Page{Limit: 10}, 0, 10},
			{"middle page", Page{Limit: 25, Offset: 40}, 40, 65},
			{"last partial page", Page{Limit: 50, Offset: len(all) - 7}, len(all) - 7, len(all)},
			{"past the end", Page{Limit: 10, Offset: len(all) + 5}, len(all), len(all)},
			{"offset without limit", Page{Offset: 3}, 3, len(all)},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got, total, err := s.ListSoftwarePage(ctx, SoftwareFilter{All: true}, tc.p)
				if err != nil {
					t.Fatal(err)
				}
				if total != len(all) {
					t.Errorf("total %d, want %d", total, len(all))
				}
				if ids(got) != ids(all[tc.lo:tc.hi]) {
					t.Errorf("window differs from ListSoftware[%d:%d]", tc.lo, tc.hi)
				}
			})
		}
		t.Run("q matches names case-insensitively, literally", func(t *testing.T) {
			got, total, err := s.ListSoftwarePage(ctx, SoftwareFilter{All: true}, Page{Limit: 1000, Q: "microsoft OFFICE"})
			if err != nil || total == 0 || total != len(got) {
				t.Fatalf("q: %d/%d %v", len(got), total, err)
			}
			for _, sw := range got {
				if !strings.Contains(strings.ToLower(sw.Name+sw.ProductName+sw.DeviceName+sw.Device+sw.Vendor+sw.Version), "microsoft office") {
					t.Errorf("row does not match: %+v", sw)
				}
			}
			if _, total, _ := s.ListSoftwarePage(ctx, SoftwareFilter{All: true}, Page{Limit: 10, Q: "%"}); total != 0 {
				t.Errorf("q=%% is taken as a wildcard: %d rows", total)
			}
		})
		t.Run("licences", func(t *testing.T) {
			for i := 0; i < 7; i++ {
				if _, err := s.CreateLicense(ctx, License{Product: "Microsoft Office", Seats: i + 1, Department: "CZJ", FilingStatus: "filed", ContractNo: fmt.Sprintf("HT-%d", i)}); err != nil {
					t.Fatal(err)
				}
			}
			want, err := s.ListLicenses(ctx, LicenseFilter{Department: "CZJ", WithPool: true})
			if err != nil || len(want) != 7 {
				t.Fatalf("licences: %d %v", len(want), err)
			}
			got, total, err := s.ListLicensesPage(ctx, LicenseFilter{Department: "CZJ", WithPool: true}, Page{Limit: 3, Offset: 2})
			if err != nil || total != 7 || len(got) != 3 || got[0].ID != want[2].ID || got[2].ID != want[4].ID {
				t.Fatalf("page: %d/%d %v", len(got), total, err)
			}
			got, total, _ = s.ListLicensesPage(ctx, LicenseFilter{Department: "CZJ", WithPool: true}, Page{Limit: 10, Q: "ht-3"})
			if total != 1 || len(got) != 1 || got[0].ContractNo != "HT-3" {
				t.Fatalf("q: %+v", got)
			}
		})
		t.Run("API: X-Total-Count and 400 on bad paging", func(t *testing.T) {
			srv := testServer(t, s)
			aud := client{t, srv.URL, "a/auditor/"}
			req, _ := http.NewRequest("GET", srv.URL+"/api/v1/software?all=true&limit=5&offset=5", nil)
			req.Header.Set("X-Test-User", aud.user)
			res, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var sws []Software
			_ = json.NewDecoder(res.Body).Decode(&sws)
			res.Body.Close()
			if res.Header.Get("X-Total-Count") != fmt.Sprint(len(all)) || len(sws) != 5 || sws[0].ID != all[5].ID {
				t.Errorf("software page: total %q, %d rows", res.Header.Get("X-Total-Count"), len(sws))
			}
			for _, q := range []string{"offset=-1", "limit=100001", "q=" + strings.Repeat("x", 201)} {
				if code, _ := aud.do("GET", "/api/v1/licenses?"+q, "", nil); code != http.StatusBadRequest {
					t.Errorf("licences %s: %d", q, code)
				}
			}
		})
	})
}
