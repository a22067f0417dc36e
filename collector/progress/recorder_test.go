package progress

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/ingest"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/collector/tsdb"
	"github.com/egovnet/egovnet/internal/wire"
)

// fakeSources stand in for the rules, ledger and inventory packages, which
// are built elsewhere; they return whatever the test sets per department.
type fakeSources struct {
	open     map[string]map[string]int
	sw       map[string][4]float64 // installs, unlicensed, compliance, domestic
	eps      map[string][3]int
	failWith error
}

func (f *fakeSources) OpenByRule(_ context.Context, d string) (map[string]int, error) {
	return f.open[d], f.failWith
}

func (f *fakeSources) Compliance(_ context.Context, d string) (int, int, float64, float64, error) {
	s := f.sw[d]
	return int(s[0]), int(s[1]), s[2], s[3], nil
}

func (f *fakeSources) Counts(_ context.Context, d string) (int, int, int, error) {
	e := f.eps[d]
	return e[0], e[1], e[2], nil
}

func newFake() *fakeSources {
	return &fakeSources{
		open: map[string]map[string]int{
			"CZJ": {wire.RuleInternetEgress: 2, wire.RulePrivateLink: 1, wire.RuleDepartmentWebsite: 1, wire.RuleUnlicensedSoftware: 3},
			"JYJ": {wire.RuleIsolationBreach: 1},
		},
		sw:  map[string][4]float64{"CZJ": {10, 3, 0.7, 0.2}, "JYJ": {30, 0, 1, 0.6}},
		eps: map[string][3]int{"CZJ": {40, 4, 1}, "JYJ": {10, 0, 0}},
	}
}

func report(id, agent string, finished time.Time) *wire.ScanReport {
	return &wire.ScanReport{
		Schema: wire.SchemaScanV1, ReportID: id,
		Agent:      wire.Agent{ID: agent, Hostname: agent + ".local", Department: "CZJ"},
		StartedAt:  finished.Add(-time.Minute),
		FinishedAt: finished,
		Endpoints:  []wire.Endpoint{{IP: "10.1.0.1"}, {IP: "10.1.0.2"}},
		Stats:      wire.Stats{AddressesProbed: 256, DurationMs: 61000, Errors: 2, SpoolDepth: 1, DroppedReports: 0},
	}
}

func outboxLines(t *testing.T, db *store.DB) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT line FROM tsdb_outbox ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

// snapshots2026 lists every department's snapshots of 2026.
func snapshots2026(t *testing.T, st *Store) []Snapshot {
	t.Helper()
	s, err := st.Series(context.Background(), "", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRecorderConformance(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		src := newFake()
		notified := 0
		rec, err := NewRecorder(db, Sources{src, src, src}, Options{
			District: "310110", Outbox: tsdb.NewOutbox(db, 0), Notify: func() { notified++ },
		})
		if err != nil {
			t.Fatal(err)
		}
		// 2026-03-01 23:30 UTC is 2026-03-02 07:30 in China: day 2026-03-02.
		t1 := time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC)
		if err := rec.Process(ctx, report("r1", "agent-1", t1), "CZJ"); err != nil {
			t.Fatal(err)
		}
		lines := outboxLines(t, db)
		wantLines := []string{
			"egovnet_progress,department=CZJ,district=310110 cloud_ratio=0.25,domestic_share=0.2,endpoints=40i,internet_egress=2i,isolation_breaches=0i,license_compliance=0.7,local_servers=3i,open_violations=7i,private_links=1i,software_installs=10i,unlicensed_installs=3i,websites=1i 1772407800000000000",
			"egovnet_agent,agent=agent-1,department=CZJ addresses_probed=256i,dropped_reports=0i,endpoints=2i,errors=2i,scan_duration_ms=61000i,spool_depth=1i 1772407800000000000",
		}
		if strings.Join(lines, "\n") != strings.Join(wantLines, "\n") {
			t.Fatalf("outbox lines\n got %q\nwant %q", lines, wantLines)
		}
		if notified != 1 {
			t.Fatalf("notified %d times, want 1", notified)
		}

		st := NewStore(db, nil)
		all := func() []Snapshot { return snapshots2026(t, st) }
		got := all()
		if len(got) != 1 || got[0].Date != "2026-03-02" || got[0].ReportID != "r1" || got[0].OpenViolations != 7 || !got[0].At.Equal(t1) {
			t.Fatalf("snapshots = %+v, want one of 2026-03-02 from r1", got)
		}

		// A later scan the same day replaces the figures; an offline import
		// of an earlier scan that day does not.
		src.open["CZJ"][wire.RuleInternetEgress] = 1
		if err := rec.Process(ctx, report("r2", "agent-1", t1.Add(2*time.Hour)), "CZJ"); err != nil {
			t.Fatal(err)
		}
		src.open["CZJ"][wire.RuleInternetEgress] = 9
		if err := rec.Process(ctx, report("r0", "agent-1", t1.Add(-time.Hour)), "CZJ"); err != nil {
			t.Fatal(err)
		}
		got = all()
		if len(got) != 1 || got[0].ReportID != "r2" || got[0].InternetEgress != 1 {
			t.Fatalf("snapshot after same-day scans = %+v, want r2's with 1 egress", got)
		}
		// The points of every scan are queued, each at its own time.
		if n := len(outboxLines(t, db)); n != 6 {
			t.Fatalf("outbox holds %d lines, want 6", n)
		}

		// A failing source stores nothing and queues nothing.
		src.failWith = errors.New("rules store down")
		err = rec.Process(ctx, report("r3", "agent-1", t1.Add(48*time.Hour)), "CZJ")
		if err == nil || !strings.Contains(err.Error(), "rules store down") {
			t.Fatalf("Process with failing source = %v, want its error", err)
		}
		if n := len(outboxLines(t, db)); n != 6 || len(all()) != 1 {
			t.Fatalf("failed Process changed state: %d lines, %d snapshots", n, len(all()))
		}
	})
}

func TestRecorderRejectsInconsistentFigures(t *testing.T) {
	db := storetest.NewSQLite(t)
	tests := []struct {
		name string
		edit func(f *fakeSources)
		want string
	}{
		{"more unlicensed than installs", func(f *fakeSources) { f.sw["CZJ"] = [4]float64{1, 2, 0, 0} }, "inconsistent figures"},
		{"compliance above one", func(f *fakeSources) { f.sw["CZJ"] = [4]float64{1, 0, 1.5, 0} }, "inconsistent figures"},
		{"more cloud servers than servers", func(f *fakeSources) { f.eps["CZJ"] = [3]int{5, 1, 2} }, "inconsistent counts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := newFake()
			tc.edit(src)
			rec, err := NewRecorder(db, Sources{src, src, src}, Options{Outbox: tsdb.NewOutbox(db, 0)})
			if err != nil {
				t.Fatal(err)
			}
			err = rec.Process(context.Background(), report("r", "a", time.Now()), "CZJ")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Process = %v, want %q", err, tc.want)
			}
		})
	}
	if n := len(outboxLines(t, db)); n != 0 {
		t.Fatalf("rejected figures queued %d points", n)
	}
	if _, err := NewRecorder(db, Sources{}, Options{}); err == nil || !strings.Contains(err.Error(), "no EndpointStats") {
		t.Fatalf("NewRecorder without sources = %v, want every missing source named", err)
	}
}

func TestDistrictTotalsCarryForward(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := NewStore(db, time.UTC)
		day := func(d int) time.Time { return time.Date(2026, 4, d, 12, 0, 0, 0, time.UTC) }
		save := func(dept string, d int, egress, installs int64, compl float64, servers, cloud int64) {
			t.Helper()
			err := st.Save(ctx, Snapshot{Department: dept, District: "310110", At: day(d), Fields: Fields{
				InternetEgress: egress, SoftwareInstalls: installs, LicenseCompliance: compl,
				Servers: servers, ServersInCloud: cloud}})
			if err != nil {
				t.Fatal(err)
			}
		}
		save("A", 1, 3, 10, 0.5, 4, 0) // before the window: carried in
		save("B", 3, 2, 30, 1.0, 0, 0)
		save("A", 5, 1, 10, 0.9, 4, 2)
		got, err := st.District(ctx, day(2), day(6))
		if err != nil {
			t.Fatal(err)
		}
		type tot struct {
			date   string
			egress int64
			compl  float64
			cloud  float64
		}
		want := []tot{{"2026-04-03", 5, (0.5*10 + 30) / 40, 0}, {"2026-04-05", 3, (0.9*10 + 30) / 40, 0.5}}
		if len(got) != len(want) {
			t.Fatalf("district days = %+v, want %d days", got, len(want))
		}
		latest, err := st.Latest(ctx, "", day(4))
		if err != nil {
			t.Fatal(err)
		}
		if len(latest) != 2 || latest[0].Department != "A" || latest[0].InternetEgress != 3 || latest[1].InternetEgress != 2 {
			t.Fatalf("latest on day 4 = %+v, want A's day-1 and B's day-3 snapshots", latest)
		}
		if only, err := st.Latest(ctx, "A", day(6)); err != nil || len(only) != 1 || only[0].InternetEgress != 1 {
			t.Fatalf("latest of A on day 6 = %+v, %v", only, err)
		}
		for i, w := range want {
			g := got[i]
			if g.Date != w.date || g.InternetEgress != w.egress || !near(g.LicenseCompliance, w.compl) || !near(g.CloudRatio, w.cloud) || g.District != "310110" {
				t.Errorf("day %d = %s egress %d compl %v cloud %v, want %+v", i, g.Date, g.InternetEgress, g.LicenseCompliance, g.CloudRatio, w)
			}
		}
	})
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

// The recorder is an ingest processor.
var _ ingest.Processor = (*Recorder)(nil)

// TestDeferredReportRecordsOnlyItsAgent (issue 16): a report whose
// department the rules judge in a batch records its agent's point only;
// the department's figures come after the batch (RecordDepartment), so no
// snapshot shows the figures of the judgement before it.
func TestDeferredReportRecordsOnlyItsAgent(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		src := newFake()
		deferred := map[string]bool{"r1": true}
		rec, err := NewRecorder(db, Sources{src, src, src}, Options{
			District: "310110", Outbox: tsdb.NewOutbox(db, 0), Deferred: func(id string) bool { return deferred[id] },
		})
		if err != nil {
			t.Fatal(err)
		}
		t1 := time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC)
		if err := rec.Process(ctx, report("r1", "agent-1", t1), "CZJ"); err != nil {
			t.Fatal(err)
		}
		lines := outboxLines(t, db)
		if len(lines) != 1 || !strings.HasPrefix(lines[0], "egovnet_agent,agent=agent-1,") {
			t.Fatalf("a deferred report queued %q, want only its agent's point", lines)
		}
		st := NewStore(db, nil)
		span := func() []Snapshot { return snapshots2026(t, st) }
		if s := span(); len(s) != 0 {
			t.Fatalf("a deferred report stored snapshots %+v", s)
		}
		// The batch covered r1 and two scans of the next day (China time):
		// each day gets its snapshot, as of its last scan.
		t2 := t1.Add(20 * time.Hour)
		if err := rec.RecordDepartment(ctx, "CZJ", []ScanAt{{"r1", t1}, {"r3", t2.Add(time.Minute)}, {"r2", t2}}); err != nil {
			t.Fatal(err)
		}
		s := span()
		if len(s) != 2 || s[0].ReportID != "r1" || s[0].OpenViolations != 7 || s[1].ReportID != "r3" || s[1].Date != "2026-03-03" {
			t.Fatalf("after the batch: snapshots %+v, want r1's of 2026-03-02 and r3's of 2026-03-03", s)
		}
		if lines := outboxLines(t, db); len(lines) != 3 || !strings.HasPrefix(lines[1], "egovnet_progress,department=CZJ,") {
			t.Fatalf("after the batch the outbox holds %q, want one department point a day too", lines)
		}
	})
}
