package ledger

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

// TestDepartmentEvaluationMatchesDistrict: judging one department alone
// with the pool seats the earlier departments take says exactly what
// judging the whole district says of it, for random districts with own
// and pooled licences, version ranges, expired and future licences, home
// editions and free software; the memo gives the same answer again.
func TestDepartmentEvaluationMatchesDistrict(t *testing.T) {
	at := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	products := []struct{ key, cat string }{{"ms-office", "office"}, {"wps", "office"}, {"windows", "os"}, {"kylin-os", "os"}}
	ranges := []string{"", "<=2016", ">=11", "2019"}
	versions := []string{"2016", "2019", "11.8", "12"}
	for seed := uint64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprintf("seed-%d", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 7))
			depts := []string{"A-1", "A1", "B", "CZJ", "GAJ", "Z"}[:2+r.IntN(5)]
			var ins []Install
			for _, d := range depts {
				for dev := 0; dev < r.IntN(6); dev++ {
					for _, p := range products {
						if r.IntN(2) == 0 {
							continue
						}
						ins = append(ins, Install{Department: d, Device: fmt.Sprintf("pc-%d", dev), Product: p.key, ProductName: p.key, Category: p.cat,
							Commercial: r.IntN(5) > 0, HomeEdition: r.IntN(8) == 0, Version: versions[r.IntN(len(versions))]})
					}
				}
			}
			var ls []License
			for i := 0; i < 2+r.IntN(6); i++ {
				p := products[r.IntN(len(products))]
				l := License{ID: fmt.Sprintf("L%02d", i), Product: p.key, ProductName: p.key, Category: p.cat, Seats: r.IntN(4),
					VersionRange: ranges[r.IntN(len(ranges))], PurchaseDate: fmt.Sprintf("2025-0%d-01", 1+r.IntN(9)), FilingStatus: FilingFiled}
				if r.IntN(2) == 0 {
					l.Department = depts[r.IntN(len(depts))]
				}
				switch r.IntN(5) {
				case 0:
					l.Expiry = "2026-01-01"
				case 1:
					l.PurchaseDate = "2027-01-01"
				}
				ls = append(ls, l)
			}
			district := Evaluate(ins, ls, at)
			plan := newLicencePlan(ls, at)
			byDept := map[string]deptInstalls{}
			for _, d := range depts {
				var di []Install
				for _, in := range ins {
					if in.Department == d {
						di = append(di, in)
					}
				}
				byDept[d] = indexInstalls(1, di)
			}
			sorted := append([]string(nil), depts...)
			sort.Strings(sorted)
			memo := &poolMemo{}
			for round := 0; round < 2; round++ {
				for _, d := range depts {
					var di []Install
					for _, l := range byDept[d].byProduct {
						di = append(di, l...)
					}
					used := poolUsedBefore(plan, d, productsOf(di), sorted, func(e string) (deptInstalls, bool) { v, ok := byDept[e]; return v, ok }, memo)
					got, want := evaluateDepartment(plan, d, di, used), district.ForDepartment(d)
					g, _ := json.Marshal([]any{got.Details, got.Summary, got.Departments})
					w, _ := json.Marshal([]any{want.Details, want.Summary, want.Departments})
					if string(g) != string(w) {
						t.Fatalf("round %d department %s:\n got %s\nwant %s", round, d, g, w)
					}
				}
			}
		})
	}
}

// TestStoreDepartmentMatchesDistrict: the store's one-department judgement
// (cached installs, memoised pool walk) equals the district's, on both
// backends, while reports keep changing departments before and after it.
func TestStoreDepartmentMatchesDistrict(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newStore(db)
		for _, l := range []License{{Product: "wps", Seats: 5, FilingStatus: FilingFiled}, {Product: "ms-office", Seats: 3, FilingStatus: FilingFiled},
			{Product: "ms-office", Seats: 1, Department: "GAJ", FilingStatus: FilingFiled}} {
			if _, err := s.CreateLicense(ctx, l); err != nil {
				t.Fatal(err)
			}
		}
		depts := []string{"CZJ", "GAJ", "JYJ"}
		for round := 0; round < 4; round++ {
			for i, d := range depts {
				sw := []wire.Software{{Name: "WPS Office", Version: "11.8", Source: "registry"}}
				if (round+i)%2 == 0 {
					sw = append(sw, wire.Software{Name: "Microsoft Office Professional Plus 2016", Version: "16.0", Source: "registry"})
				}
				h := &wire.Host{Hostname: fmt.Sprintf("pc-%d", round), Software: sw}
				if err := s.RecordReport(ctx, report(fmt.Sprintf("r-%d-%s", round, d), d, t0.Add(time.Duration(round)*time.Hour), nil, h), ""); err != nil {
					t.Fatal(err)
				}
				district, err := s.Evaluate(ctx, "", time.Time{})
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range depts {
					got, err := s.Evaluate(ctx, e, time.Time{})
					if err != nil {
						t.Fatal(err)
					}
					want := district.ForDepartment(e)
					g, _ := json.Marshal([]any{got.Details, got.Summary, got.Departments, got.Devices})
					w, _ := json.Marshal([]any{want.Details, want.Summary, want.Departments, want.Devices})
					if string(g) != string(w) {
						t.Fatalf("round %d after %s, department %s:\n got %s\nwant %s", round, d, e, g, w)
					}
				}
			}
		}
	})
}
