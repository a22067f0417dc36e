package lifecycle

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/rules"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

var t0 = time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)

func day(n int) time.Time { return t0.AddDate(0, 0, n) }

func finding(dept, rule, subject string, at time.Time) wire.Violation {
	return wire.Violation{ID: rules.ViolationID(dept, rule, subject), Rule: rule, Department: dept, Subject: subject, Severity: wire.SeverityHigh,
		Status: wire.StatusOpen, Citations: []wire.Citation{{Pack: "yangpu-2021", Document: "d", Article: "第十九条", Text: "t"}},
		Evidence: []wire.Evidence{{Agent: "a", Method: "path", ObservedAt: at, Detail: map[string]any{"x": 1}}}, FirstSeen: at, LastSeen: at}
}

func scan(n int) Scan {
	return Scan{ReportID: "r-" + day(n).Format("0102"), Agent: "agent-1", FinishedAt: day(n)}
}

func statusOf(t *testing.T, st *Store, id string) string {
	t.Helper()
	v, err := st.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return v.Status
}

func transitions(t *testing.T, st *Store, id string) []string {
	t.Helper()
	evs, err := st.Events(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.From+">"+e.To+"@"+e.ActorKind)
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestStoreLifecycle is the lifecycle conformance suite, on both backends.
func TestStoreLifecycle(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := NewStore(db)
		now := day(100)
		st.SetClock(func() time.Time { return now })
		egress := finding("RSJ", wire.RuleInternetEgress, "203.0.113.65", day(0))
		site := finding("RSJ", wire.RuleDepartmentWebsite, "10.3.0.50", day(0))

		t.Run("new findings open, carrying the scan's time", func(t *testing.T) {
			if err := st.Apply(ctx, "RSJ", scan(0), []wire.Violation{egress, site}, 3); err != nil {
				t.Fatal(err)
			}
			v, err := st.Get(ctx, egress.ID)
			if err != nil || v.Status != wire.StatusOpen || !v.FirstSeen.Equal(day(0)) || len(v.Citations) != 1 || len(v.Evidence) != 1 {
				t.Fatalf("got %+v, %v", v, err)
			}
			evs, _ := st.Events(ctx, egress.ID)
			if len(evs) != 1 || !evs[0].At.Equal(day(0)) || evs[0].ActorKind != ActorScan || evs[0].Actor != "agent-1 r-1101" {
				t.Errorf("events = %+v", evs)
			}
		})
		t.Run("applying the same scan again changes nothing", func(t *testing.T) {
			if err := st.Apply(ctx, "RSJ", scan(0), nil, 1); err != nil {
				t.Fatal(err)
			}
			if s := statusOf(t, st, egress.ID); s != wire.StatusOpen {
				t.Errorf("status %s", s)
			}
		})
		t.Run("acknowledged by a person at the person's time", func(t *testing.T) {
			now = day(1).Add(3 * time.Hour)
			v, err := st.Acknowledge(ctx, egress.ID, "secadmin-li", "checking with the department")
			if err != nil || v.Status != wire.StatusAcknowledged {
				t.Fatalf("%+v %v", v, err)
			}
			if _, err := st.Acknowledge(ctx, egress.ID, "x", ""); !errors.Is(err, ErrTransition) {
				t.Errorf("acknowledging twice: %v", err)
			}
			if _, err := st.Acknowledge(ctx, "v-nope", "x", ""); !errors.Is(err, ErrNotFound) {
				t.Errorf("unknown id: %v", err)
			}
		})
		t.Run("resolved after N consecutive scans without the signal", func(t *testing.T) {
			for i := 2; i <= 3; i++ {
				if err := st.Apply(ctx, "RSJ", scan(i), []wire.Violation{site}, 3); err != nil {
					t.Fatal(err)
				}
				if s := statusOf(t, st, egress.ID); s != wire.StatusAcknowledged {
					t.Fatalf("after scan %d: %s", i, s)
				}
			}
			if err := st.Apply(ctx, "RSJ", scan(4), []wire.Violation{site}, 3); err != nil {
				t.Fatal(err)
			}
			if s := statusOf(t, st, egress.ID); s != wire.StatusResolved {
				t.Fatalf("after 3 scans without it: %s", s)
			}
		})
		t.Run("seen again, it reopens", func(t *testing.T) {
			if err := st.Apply(ctx, "RSJ", scan(5), []wire.Violation{egress, site}, 3); err != nil {
				t.Fatal(err)
			}
			want := []string{">open@scan", "open>acknowledged@user", "acknowledged>resolved@scan", "resolved>open@scan"}
			if got := transitions(t, st, egress.ID); !equalStrings(got, want) {
				t.Errorf("history = %v, want %v", got, want)
			}
		})
		t.Run("a scan seeing it resets the missed count", func(t *testing.T) {
			for _, i := range []int{6, 7} {
				st.Apply(ctx, "RSJ", scan(i), []wire.Violation{site}, 3)
			}
			st.Apply(ctx, "RSJ", scan(8), []wire.Violation{site, egress}, 3)
			st.Apply(ctx, "RSJ", scan(9), []wire.Violation{site}, 3)
			if s := statusOf(t, st, egress.ID); s != wire.StatusOpen {
				t.Errorf("status %s, want open (the count restarted)", s)
			}
		})
		t.Run("exempted until the expiry, then open again", func(t *testing.T) {
			now = day(10)
			exp := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC) // date-only: holds through 11-20 CST
			if _, err := st.Exempt(ctx, site.ID, "secadmin-li", wire.Exemption{}); !errors.Is(err, ErrTransition) {
				t.Errorf("empty exemption accepted: %v", err)
			}
			v, err := st.Exempt(ctx, site.ID, "secadmin-li", wire.Exemption{Basis: "市另有规定: 市级平台迁移中", Approver: "区大数据中心", Expires: exp})
			if err != nil || v.Status != wire.StatusExempted || v.Exemption == nil || v.Exemption.Approver != "区大数据中心" {
				t.Fatalf("%+v %v", v, err)
			}
			st.Apply(ctx, "RSJ", scan(15), []wire.Violation{site, egress}, 3)
			if s := statusOf(t, st, site.ID); s != wire.StatusExempted {
				t.Errorf("before expiry: %s", s)
			}
			now = time.Date(2026, 11, 20, 17, 0, 0, 0, time.UTC) // 11-21 01:00 CST
			v, _ = st.Get(ctx, site.ID)
			if v.Status != wire.StatusOpen || v.Exemption != nil {
				t.Errorf("after expiry: %+v", v)
			}
			evs, _ := st.Events(ctx, site.ID)
			last := evs[len(evs)-1]
			if last.ActorKind != ActorSystem || !last.At.Equal(time.Date(2026, 11, 20, 16, 0, 0, 0, time.UTC)) {
				t.Errorf("expiry event = %+v, want at 2026-11-21 00:00 CST", last)
			}
		})
		t.Run("as of a past date", func(t *testing.T) {
			cases := []struct {
				at     time.Time
				egress string
				site   string
			}{
				{day(0).Add(-time.Second), "", ""},
				{day(0), wire.StatusOpen, wire.StatusOpen},
				{day(2), wire.StatusAcknowledged, wire.StatusOpen},
				{day(4).Add(time.Hour), wire.StatusResolved, wire.StatusOpen},
				{day(12), wire.StatusOpen, wire.StatusExempted},
				{day(30), wire.StatusOpen, wire.StatusOpen},
			}
			for _, tc := range cases {
				vs, err := st.List(ctx, Filter{Department: "RSJ", AsOf: tc.at})
				if err != nil {
					t.Fatal(err)
				}
				got := map[string]string{}
				for _, v := range vs {
					got[v.ID] = v.Status
					if v.LastSeen.After(tc.at) {
						t.Errorf("as of %s: last_seen %s is in the future", tc.at, v.LastSeen)
					}
				}
				if got[egress.ID] != tc.egress || got[site.ID] != tc.site {
					t.Errorf("as of %s: egress %q site %q, want %q %q", tc.at.Format(time.RFC3339), got[egress.ID], got[site.ID], tc.egress, tc.site)
				}
			}
			vs, _ := st.List(ctx, Filter{Department: "RSJ", AsOf: day(12), Status: wire.StatusExempted})
			if len(vs) != 1 || vs[0].ID != site.ID || vs[0].Exemption == nil || vs[0].Exemption.Basis == "" {
				t.Errorf("exempted as of day 12 = %+v", vs)
			}
		})
		t.Run("resolved by hand, reopened by the next scan", func(t *testing.T) {
			if _, err := st.Resolve(ctx, egress.ID, "sysadmin-wang", "line removed"); err != nil {
				t.Fatal(err)
			}
			st.Apply(ctx, "RSJ", scan(40), []wire.Violation{egress}, 3)
			if s := statusOf(t, st, egress.ID); s != wire.StatusOpen {
				t.Errorf("status %s", s)
			}
		})
		t.Run("plan exemption: exempted by the scan, open when the plan stops", func(t *testing.T) {
			line := finding("GAJ", wire.RulePrivateLink, "172.20.0.0/16", day(41))
			line.Status = wire.StatusExempted
			line.Exemption = &wire.Exemption{Basis: "国家另有规定", Approver: "张三", Expires: time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)}
			st.Apply(ctx, "GAJ", Scan{ReportID: "g1", FinishedAt: day(41)}, []wire.Violation{line}, 3)
			v, _ := st.Get(ctx, line.ID)
			if v.Status != wire.StatusExempted || v.Exemption == nil || v.Exemption.Basis != "国家另有规定" {
				t.Errorf("%+v", v)
			}
			open := finding("GAJ", wire.RulePrivateLink, "172.20.0.0/16", day(42))
			st.Apply(ctx, "GAJ", Scan{ReportID: "g2", FinishedAt: day(42)}, []wire.Violation{open}, 3)
			if s := statusOf(t, st, line.ID); s != wire.StatusOpen {
				t.Errorf("status %s", s)
			}
			// Other departments are untouched by GAJ's scans.
			if vs, _ := st.List(ctx, Filter{Department: "RSJ"}); len(vs) != 2 {
				t.Errorf("RSJ has %d violations", len(vs))
			}
		})
		t.Run("a backfilled older scan adds history without resolving", func(t *testing.T) {
			old := finding("RSJ", wire.RuleLocalServer, "10.3.0.51", day(-30))
			if err := st.Apply(ctx, "RSJ", Scan{ReportID: "old", FinishedAt: day(-30), Backfill: true}, []wire.Violation{old}, 1); err != nil {
				t.Fatal(err)
			}
			v, _ := st.Get(ctx, old.ID)
			if v.Status != wire.StatusOpen || !v.FirstSeen.Equal(day(-30)) {
				t.Errorf("%+v", v)
			}
			if s := statusOf(t, st, egress.ID); s != wire.StatusOpen {
				t.Errorf("backfill resolved something: %s", s)
			}
			vs, _ := st.List(ctx, Filter{Department: "RSJ", AsOf: day(-29)})
			if len(vs) != 1 || vs[0].ID != old.ID {
				t.Errorf("as of day -29: %+v", vs)
			}
		})
	})
}

// TestStoreConcurrentApply: several collectors applying scans of the same
// department at once (PostgreSQL) or one collector's goroutines (SQLite)
// never lose or duplicate a finding.
func TestStoreConcurrentApply(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := NewStore(db)
		errs := make(chan error, 8)
		for i := 0; i < 8; i++ {
			go func() {
				errs <- st.Apply(ctx, "RSJ", Scan{ReportID: "c" + string(rune('a'+i)), FinishedAt: day(i)},
					[]wire.Violation{finding("RSJ", wire.RuleLocalServer, "10.3.0.51", day(i))}, 3)
			}()
		}
		for i := 0; i < 8; i++ {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		vs, err := st.List(ctx, Filter{Department: "RSJ"})
		if err != nil || len(vs) != 1 || vs[0].Status != wire.StatusOpen {
			t.Fatalf("%v %+v", err, vs)
		}
		if evs, _ := st.Events(ctx, vs[0].ID); len(evs) != 1 {
			t.Errorf("events = %d, want exactly one opening", len(evs))
		}
	})
}

func TestStoreOpenByRule(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := NewStore(db)
		st.SetClock(func() time.Time { return day(1) })
		a := finding("RSJ", wire.RuleLocalServer, "10.3.0.50", day(0))
		b := finding("RSJ", wire.RuleLocalServer, "10.3.0.51", day(0))
		c := finding("RSJ", wire.RuleInternetEgress, "203.0.113.65", day(0))
		if err := st.Apply(ctx, "RSJ", scan(0), []wire.Violation{a, b, c}, 3); err != nil {
			t.Fatal(err)
		}
		st.Acknowledge(ctx, a.ID, "li", "")
		st.Exempt(ctx, b.ID, "li", wire.Exemption{Basis: "b", Approver: "a", Expires: day(30)})
		got, err := st.OpenByRule(ctx, "RSJ")
		// Acknowledged and exempted findings are still there: both count.
		if err != nil || got[wire.RuleLocalServer] != 2 || got[wire.RuleInternetEgress] != 1 || len(got) != 2 {
			t.Errorf("%v %v", got, err)
		}
		if got, _ := st.OpenByRule(ctx, "CZJ"); len(got) != 0 {
			t.Errorf("CZJ: %v", got)
		}
	})
}
