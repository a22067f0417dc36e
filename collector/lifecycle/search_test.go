package lifecycle

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

// rules/0004's backfill (each backend's JSON functions over stored bodies)
// gives every row the lines searchText gives it: the district's real
// findings are applied, their search text wiped, the backfill re-run and
// compared line for line.
func TestSearchTextBackfill(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := districtEngine(t)
		st := NewStore(db)
		p := NewProcessor(e, st, 3, nil)
		for _, r := range loadReports(t) {
			d, _ := e.DepartmentOf(r)
			if err := file(ctx, p, r, d); err != nil {
				t.Fatal(err)
			}
		}
		vs, err := st.List(ctx, Filter{})
		if err != nil || len(vs) == 0 {
			t.Fatalf("List: %d rows, %v", len(vs), err)
		}
		want := map[string][]string{}
		richer := 0
		for _, v := range vs {
			want[v.ID] = sortedLines(searchText(v))
			if len(want[v.ID]) > 2 {
				richer++
			}
		}
		if richer == 0 {
			t.Fatal("no finding carries a searchable evidence value: the comparison proves nothing")
		}
		var backfill string
		for _, m := range store.Registered() {
			if m.ID == "rules/0004_search_text" {
				backfill = searchTextSQLite
				if db.Dialect == store.Postgres {
					backfill = searchTextPostgres
				}
			}
		}
		if backfill == "" {
			t.Fatal("rules/0004_search_text is not registered")
		}
		if _, err := db.Exec(ctx, `UPDATE rules_violations SET search_text = ''`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.DB.ExecContext(ctx, strings.TrimSuffix(strings.TrimSpace(backfill), ";")); err != nil {
			t.Fatalf("backfill: %v", err)
		}
		rows, err := db.Query(ctx, `SELECT id, search_text FROM rules_violations`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var id, text string
			if err := rows.Scan(&id, &text); err != nil {
				t.Fatal(err)
			}
			n++
			if got := sortedLines(text); !slices.Equal(got, want[id]) {
				t.Errorf("%s: backfill\n%q\nsearchText\n%q", id, got, want[id])
			}
		}
		if n != len(vs) {
			t.Errorf("%d rows, want %d", n, len(vs))
		}
	})
}

func sortedLines(s string) []string {
	l := strings.Split(s, "\n")
	slices.Sort(l)
	return l
}

// ?q= matches subject, id and the evidence's address, MAC and names, case
// aside, with LIKE's wildcards taken literally; Count, Each and List agree,
// and Each's SQL paging gives the windows of the whole walk.
func TestStoreSearch(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := NewStore(db)
		t0 := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
		for _, dept := range []string{"CZJ", "GAJ"} {
			var vs []wire.Violation
			for i := 0; i < 20; i++ {
				detail := map[string]any{"ip": fmt.Sprintf("10.9.%d.%d", len(dept), i), "mac": fmt.Sprintf("AA:BB:CC:%s:00:%02X", dept[:2], i),
					"names": []string{fmt.Sprintf("PC-%s-%d", dept, i), "Host_" + dept}, "sys_descr": "Linux 100%"}
				vs = append(vs, wire.Violation{Rule: wire.RuleLocalServer, Department: dept, Subject: fmt.Sprintf("10.1.0.%d", i),
					Severity: wire.SeverityHigh, Status: wire.StatusOpen, FirstSeen: t0, LastSeen: t0,
					Evidence: []wire.Evidence{{Agent: "a", Method: "arp", ObservedAt: t0, Detail: detail}}})
			}
			if err := s.Apply(ctx, dept, Scan{ReportID: "r-" + dept, Agent: "a", FinishedAt: t0}, vs, 3); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			name string
			f    Filter
			want int
		}{
			{"subject", Filter{Q: "10.1.0.1"}, 22}, // 1, 10..19 in both departments
			{"mac, case aside", Filter{Q: "aa:bb:cc:cz"}, 20},
			{"mac upper", Filter{Q: "AA:BB:CC:GA:00:0A"}, 1},
			{"a name in a list", Filter{Q: "pc-gaj-1"}, 11},
			{"address in evidence", Filter{Q: "10.9.3.7"}, 2},
			{"underscore is literal", Filter{Q: "host_c"}, 20},
			{"underscore does not match any char", Filter{Q: "hostxc"}, 0},
			{"percent is literal", Filter{Q: "%"}, 0}, // sys_descr is not searched
			{"other detail keys are not searched", Filter{Q: "linux"}, 0},
			{"with department", Filter{Q: "pc-", Department: "CZJ"}, 20},
			{"with status", Filter{Q: "pc-czj-1", Status: wire.StatusOpen}, 11},
			{"empty q is everything", Filter{Q: ""}, 40},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				n, err := s.Count(ctx, tc.f)
				if err != nil || n != tc.want {
					t.Fatalf("Count %d, %v; want %d", n, err, tc.want)
				}
				l, err := s.List(ctx, tc.f)
				if err != nil || len(l) != tc.want {
					t.Fatalf("List %d, %v; want %d", len(l), err, tc.want)
				}
				var all []string
				if err := s.Each(ctx, tc.f, func(v wire.Violation) error { all = append(all, v.ID); return nil }); err != nil {
					t.Fatal(err)
				}
				for _, w := range [][2]int{{0, 3}, {3, 5}, {tc.want - 1, 10}, {tc.want, 2}} {
					f := tc.f
					f.Offset, f.Limit = w[0], w[1]
					var got []string
					if err := s.Each(ctx, f, func(v wire.Violation) error { got = append(got, v.ID); return nil }); err != nil {
						t.Fatal(err)
					}
					lo, hi := min(max(w[0], 0), len(all)), min(max(w[0], 0)+w[1], len(all))
					if !slices.Equal(got, all[lo:hi]) {
						t.Errorf("window %v: %v, want %v", w, got, all[lo:hi])
					}
				}
			})
		}
		// the id matches too
		one := func() string { l, _ := s.List(ctx, Filter{Q: "pc-gaj-7"}); return l[0].ID }()
		if n, _ := s.Count(ctx, Filter{Q: strings.ToUpper(one[:12])}); n < 1 {
			t.Errorf("id prefix %s: no match", one[:12])
		}
	})
}
