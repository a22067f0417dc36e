package lifecycle

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

// lapsedFixture stores two findings of RSJ, exempts the website until
// day 3 (a date: it holds through that day, CST) and moves the clock to
// day 10 without running ExpireDue: the exemption has lapsed, unrecorded.
func lapsedFixture(t *testing.T, st *Store) (site, egress wire.Violation) {
	t.Helper()
	ctx := context.Background()
	now := day(0)
	st.SetClock(func() time.Time { return now })
	site = finding("RSJ", wire.RuleDepartmentWebsite, "10.3.0.80", day(0))
	egress = finding("RSJ", wire.RuleInternetEgress, "203.0.113.65", day(0))
	if err := st.Apply(ctx, "RSJ", scan(0), []wire.Violation{site, egress}, 3); err != nil {
		t.Fatal(err)
	}
	now = day(1)
	exp := time.Date(day(3).Year(), day(3).Month(), day(3).Day(), 0, 0, 0, 0, time.UTC)
	if _, err := st.Exempt(ctx, site.ID, "secadmin-li", wire.Exemption{Basis: "市政府批复", Approver: "张三", Expires: exp}); err != nil {
		t.Fatal(err)
	}
	now = day(10)
	return site, egress
}

// TestReadsShowLapsedExemptions (issue 16, reads never write): every read
// shows an exemption that lapsed since ExpireDue last ran as open, now and
// as of any moment after its end, and Each, Count and List agree.
func TestReadsShowLapsedExemptions(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := NewStore(db)
		site, egress := lapsedFixture(t, st)
		cases := []struct {
			name string
			f    Filter
			want []string
		}{
			{"open now", Filter{Status: wire.StatusOpen}, []string{egress.ID + "/open", site.ID + "/open"}},
			{"exempted now", Filter{Status: wire.StatusExempted}, nil},
			{"all now", Filter{Department: "RSJ"}, []string{egress.ID + "/open", site.ID + "/open"}},
			{"website rule, open", Filter{Rule: wire.RuleDepartmentWebsite, Status: wire.StatusOpen}, []string{site.ID + "/open"}},
			{"exempted as of day 2", Filter{Status: wire.StatusExempted, AsOf: day(2)}, []string{site.ID + "/exempted"}},
			{"as of day 5", Filter{AsOf: day(5)}, []string{egress.ID + "/open", site.ID + "/open"}},
			{"exempted as of day 5", Filter{Status: wire.StatusExempted, AsOf: day(5)}, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ids := func(vs []wire.Violation) []string {
					var out []string
					for _, v := range vs {
						if v.Status == wire.StatusOpen && v.Exemption != nil {
							t.Errorf("%s open with an exemption", v.ID)
						}
						out = append(out, v.ID+"/"+v.Status)
					}
					slices.Sort(out)
					return out
				}
				want := slices.Clone(tc.want)
				slices.Sort(want)
				listed, err := st.List(ctx, tc.f)
				if err != nil {
					t.Fatal(err)
				}
				var each []wire.Violation
				if err := st.Each(ctx, tc.f, func(v wire.Violation) error { each = append(each, v); return nil }); err != nil {
					t.Fatal(err)
				}
				n, err := st.Count(ctx, tc.f)
				if err != nil {
					t.Fatal(err)
				}
				if got := ids(listed); !slices.Equal(got, want) {
					t.Errorf("List %v, want %v", got, want)
				}
				if got := ids(each); !slices.Equal(got, want) {
					t.Errorf("Each %v, want %v", got, want)
				}
				if n != len(want) {
					t.Errorf("Count %d, want %d", n, len(want))
				}
			})
		}
		// Nothing above wrote the expiry (Events shows it, the table does
		// not hold it); the timer writes it.
		recorded := func() int {
			var n int
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM rules_violation_events WHERE violation_id = ?`, site.ID).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := recorded(); n != 2 {
			t.Fatalf("%d events recorded after the reads, want 2 (observed, exempted): a read wrote", n)
		}
		if err := st.ExpireDue(ctx); err != nil {
			t.Fatal(err)
		}
		if got := transitions(t, st, site.ID); recorded() != 3 || len(got) != 3 || got[2] != "exempted>open@system" {
			t.Errorf("history after ExpireDue %v", got)
		}
	})
}

// TestReadsDoNotTakeTheWriter (issue 16): on SQLite, while another
// connection holds the database's write lock (an ingest in progress),
// every violations read still answers; a read that wrote would wait for
// the lock and fail with "database is locked" after the busy timeout.
func TestReadsDoNotTakeTheWriter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "egovnet.db")
	db, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	st := NewStore(db)
	site, _ := lapsedFixture(t, st)

	writer, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	tx, err := writer.DB.BeginTx(ctx, nil) // BEGIN IMMEDIATE: the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE rules_violations SET updated_at = updated_at WHERE id = ?`, site.ID); err != nil {
		t.Fatal(err)
	}
	reads := []struct {
		name string
		run  func() (string, error)
	}{
		{"list", func() (string, error) {
			vs, err := st.List(ctx, Filter{Status: wire.StatusOpen})
			return fmt.Sprint(len(vs)), err
		}},
		{"list page", func() (string, error) {
			vs, n, err := st.ListPage(ctx, Filter{Status: wire.StatusOpen, Limit: 1})
			return fmt.Sprint(len(vs), n), err
		}},
		{"count", func() (string, error) {
			n, err := st.Count(ctx, Filter{Status: wire.StatusOpen})
			return fmt.Sprint(n), err
		}},
		{"each", func() (string, error) {
			n := 0
			err := st.Each(ctx, Filter{Status: wire.StatusOpen}, func(wire.Violation) error { n++; return nil })
			return fmt.Sprint(n), err
		}},
		{"get", func() (string, error) {
			v, err := st.Get(ctx, site.ID)
			return v.Status, err
		}},
		{"events", func() (string, error) {
			evs, err := st.Events(ctx, site.ID)
			if err != nil || len(evs) == 0 {
				return "", err
			}
			return evs[len(evs)-1].To + "@" + evs[len(evs)-1].ActorKind, nil
		}},
		{"open by rule", func() (string, error) {
			m, err := st.OpenByRule(ctx, "RSJ")
			return fmt.Sprint(m[wire.RuleDepartmentWebsite], m[wire.RuleInternetEgress]), err
		}},
	}
	want := map[string]string{"list": "2", "list page": "1 2", "count": "2", "each": "2", "get": wire.StatusOpen,
		"events": wire.StatusOpen + "@" + ActorSystem, "open by rule": "1 1"}
	for _, r := range reads {
		t.Run(r.name, func(t *testing.T) {
			got, err := r.run()
			if err != nil {
				t.Fatalf("read while another connection writes: %v", err)
			}
			if got != want[r.name] {
				t.Errorf("got %q, want %q", got, want[r.name])
			}
		})
	}
}
