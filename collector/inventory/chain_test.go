package inventory

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

// chainReport is one report of the chain tests.
type chainReport struct {
	id, agent string
	at        time.Time
	eps       []wire.Endpoint
}

// fileChain stores rep in dept inside one transaction, chained when
// chained and never otherwise, whatever its size.
func fileChain(t *testing.T, db *store.DB, dept string, rep chainReport, chained bool) error {
	t.Helper()
	ctx := context.Background()
	return db.InTx(ctx, func(tx *store.Tx) error {
		meta := Report{ReportID: dept + "-" + rep.id, AgentID: rep.agent, Department: dept, Source: SourceUpload,
			StartedAt: rep.at.Add(-time.Minute), FinishedAt: rep.at, ReceivedAt: rep.at, Endpoints: len(rep.eps)}
		if _, _, err := InsertReport(ctx, tx, meta, []byte(`{}`)); err != nil {
			return err
		}
		chainFrom := math.MaxInt
		if chained {
			chainFrom = 1
		}
		return upsertEndpoints(ctx, tx, dept, meta.ReportID, rep.agent, rep.at, rep.eps, chainFrom)
	})
}

// endpointState is a department's endpoints as readers see them, with the
// report ids made independent of the department.
func endpointState(t *testing.T, db *store.DB, dept string) []string {
	t.Helper()
	eps, err := New(db).Endpoints(context.Background(), dept, 100000)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(eps)+1)
	for _, e := range eps {
		out = append(out, fmt.Sprintf("%s first=%s last=%s mac=%s vendor=%s host=%s role=%s ports=%v http=%v seen=%v report=%s agent=%s",
			e.IP, e.FirstSeen.Format(time.TimeOnly), e.LastSeen.Format(time.TimeOnly), e.MAC, e.Vendor, e.Hostname, e.Role,
			e.OpenPorts, e.HTTP, e.SeenBy, strings.TrimPrefix(e.LastReport, dept+"-"), e.LastAgent))
	}
	n, s, c, err := New(db).Counts(context.Background(), dept, []netip.Prefix{netip.MustParsePrefix("10.9.0.0/28")})
	if err != nil {
		t.Fatal(err)
	}
	return append(out, fmt.Sprintf("counts %d %d %d", n, s, c))
}

// randomReports is a history of agents scanning one small address space:
// scans in time order with backfills (older scans filed late) and
// repeats of the same instant, addresses coming and going, attributes
// mostly as before (what a chain skips) and sometimes changed or empty.
func randomReports(rng *rand.Rand, n int, distinct bool) []chainReport {
	agents := []string{"a1", "a2", "a3"}
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	attrs := map[string]wire.Endpoint{}
	var out []chainReport
	for i := range n {
		agent := agents[rng.IntN(len(agents))]
		at := t0.Add(time.Duration(i) * time.Minute)
		switch k := rng.IntN(10); {
		case distinct:
		case k == 0 && i > 3: // a backfill
			at = t0.Add(time.Duration(rng.IntN(i)) * time.Minute)
		case k == 1 && i > 0: // the instant of the report before
			at = out[i-1].at
		}
		if distinct {
			at = at.Add(time.Duration(rng.IntN(59)) * time.Second)
		}
		rep := chainReport{id: fmt.Sprintf("r%03d", i), agent: agent, at: at}
		for h := range 16 {
			if rng.IntN(10) < 3 {
				continue // not seen this time
			}
			ip := fmt.Sprintf("10.9.0.%d", h)
			e, ok := attrs[agent+ip]
			if !ok || rng.IntN(8) == 0 {
				e = wire.Endpoint{IP: ip, MAC: []string{"", "00:00:00:00:00:01", "00:00:00:00:00:02"}[rng.IntN(3)],
					Hostname: []string{"", "pc", "srv"}[rng.IntN(3)],
					Role:     []string{wire.RoleUnknown, wire.RoleServer, wire.RoleWorkstation}[rng.IntN(3)],
					SeenBy:   []string{wire.MethodICMP}, OpenPorts: []int{22, 80}[:rng.IntN(3)]}
				if distinct { // the newest sighting decides every attribute
					e.MAC, e.Hostname, e.Role = "00:00:00:00:00:0"+fmt.Sprint(i%10), fmt.Sprint("pc", i), wire.RoleServer
				}
				attrs[agent+ip] = e
			}
			rep.eps = append(rep.eps, e)
		}
		out = append(out, rep)
	}
	return out
}

// TestChainMatchesRowByRow: the same history filed chained (every report
// that can) and row by row leaves the same endpoints, as every reader
// sees them (list and counts), after every report.
func TestChainMatchesRowByRow(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := New(db).SyncDepartments(ctx, []Department{{"ROW", "row by row"}, {"CHN", "chained"}}, time.Now()); err != nil {
			t.Fatal(err)
		}
		reps := randomReports(rand.New(rand.NewPCG(16, 7)), 120, false)
		for _, rep := range reps {
			if err := fileChain(t, db, "ROW", rep, false); err != nil {
				t.Fatal(err)
			}
			if err := fileChain(t, db, "CHN", rep, true); err != nil {
				t.Fatal(err)
			}
			if want, got := endpointState(t, db, "ROW"), endpointState(t, db, "CHN"); !slices.Equal(want, got) {
				t.Fatalf("after %s of %s at %s:\nrow by row:\n%s\nchained:\n%s", rep.id, rep.agent, rep.at.Format(time.TimeOnly),
					strings.Join(want, "\n"), strings.Join(got, "\n"))
			}
		}
		// The history must have exercised the chain: rows left unwritten
		// (their own last_report older than their chain's) and rows frozen.
		var skipped, frozen int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM endpoints e JOIN endpoint_chains c ON c.department = e.department AND c.agent_id = e.chain_agent
WHERE e.department = 'CHN' AND e.last_report <> c.report_id`).Scan(&skipped); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM endpoints e WHERE e.department = 'CHN' AND e.chain_agent = '' AND e.digest <> ''`).Scan(&frozen); err != nil {
			t.Fatal(err)
		}
		if skipped == 0 || frozen == 0 {
			t.Fatalf("the history skipped %d rows and froze %d: it does not test the chain", skipped, frozen)
		}
	})
}

// TestChainSkipsUnchangedRows: a chained report writes the rows it sees
// new or changed and freezes those it no longer sees; the rest keep their
// stored row, and readers see the newest sighting all the same.
func TestChainSkipsUnchangedRows(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := New(db).SyncDepartments(ctx, []Department{{"CHN", "chained"}}, time.Now()); err != nil {
			t.Fatal(err)
		}
		t1 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
		t2 := t1.Add(time.Hour)
		ws := func(ip, host string) wire.Endpoint {
			return wire.Endpoint{IP: ip, Hostname: host, Role: wire.RoleWorkstation, SeenBy: []string{wire.MethodICMP}}
		}
		for _, rep := range []chainReport{
			{"r1", "a1", t1, []wire.Endpoint{ws("10.0.0.1", "one"), ws("10.0.0.2", "two"), ws("10.0.0.3", "three")}},
			// .1 as before, .2 renamed, .3 gone, .4 new
			{"r2", "a1", t2, []wire.Endpoint{ws("10.0.0.1", "one"), ws("10.0.0.2", "deux"), ws("10.0.0.4", "four")}},
		} {
			if err := fileChain(t, db, "CHN", rep, true); err != nil {
				t.Fatal(err)
			}
		}
		type stored struct{ report, chain, seen string }
		rows, err := db.Query(ctx, `SELECT ip, last_report, chain_agent, last_seen FROM endpoints ORDER BY ip`)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]stored{}
		for rows.Next() {
			var ip string
			var s stored
			if err := rows.Scan(&ip, &s.report, &s.chain, &s.seen); err != nil {
				t.Fatal(err)
			}
			got[ip] = s
		}
		rows.Close()
		s1, s2 := SortableTime(t1), SortableTime(t2)
		want := map[string]stored{
			"10.0.0.1": {"CHN-r1", "a1", s1}, // not written again
			"10.0.0.2": {"CHN-r2", "a1", s2},
			"10.0.0.3": {"CHN-r1", "", s1}, // frozen at its last sighting
			"10.0.0.4": {"CHN-r2", "a1", s2},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("stored rows:\n got %v\nwant %v", got, want)
		}
		// An older scan of another agent, filed late, between the rows'
		// own last write (t1) and their chain's sighting (t2), changes
		// nothing but may not take the row over.
		late := chainReport{"r0", "a2", t1.Add(30 * time.Minute), []wire.Endpoint{ws("10.0.0.1", "uno")}}
		if err := fileChain(t, db, "CHN", late, false); err != nil {
			t.Fatal(err)
		}
		eps, err := New(db).Endpoints(ctx, "CHN", 10)
		if err != nil {
			t.Fatal(err)
		}
		var seen []string
		for _, e := range eps {
			seen = append(seen, fmt.Sprintf("%s %s %s %s", e.IP, e.Hostname, e.LastSeen.Format(time.TimeOnly), e.LastReport))
			if e.IP == "10.0.0.1" {
				seen[len(seen)-1] += " " + e.LastAgent
			}
		}
		if w := "10.0.0.1 one 09:00:00 CHN-r2 a1|10.0.0.2 deux 09:00:00 CHN-r2|10.0.0.3 three 08:00:00 CHN-r1|10.0.0.4 four 09:00:00 CHN-r2"; strings.Join(seen, "|") != w {
			t.Fatalf("endpoints as read:\n got %s\nwant %s", strings.Join(seen, "|"), w)
		}
	})
}

// TestChainConcurrent (PostgreSQL): reports of several agents filed at
// once, chained and not, end as the same reports filed one at a time.
// Each has its own instant and every attribute set, so the outcome does
// not depend on the order; without the department's endpoints lock a
// chained report skips rows another report rewrites before it commits,
// and their newest sighting is lost.
func TestChainConcurrent(t *testing.T) {
	db := storetest.NewPostgres(t)
	ctx := context.Background()
	if err := New(db).SyncDepartments(ctx, []Department{{"ROW", "row by row"}, {"CHN", "chained"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	for round := range 4 {
		reps := randomReports(rand.New(rand.NewPCG(uint64(round), 9)), 40, true)
		for i := range reps {
			reps[i].id = fmt.Sprintf("%d-%s", round, reps[i].id)
		}
		byTime := slices.Clone(reps)
		slices.SortFunc(byTime, func(a, b chainReport) int { return a.at.Compare(b.at) })
		for _, rep := range byTime {
			if err := fileChain(t, db, "ROW", rep, false); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		errs := make(chan error, len(reps))
		for i, rep := range reps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					err := fileChain(t, db, "CHN", rep, i%3 != 0)
					if err != nil && strings.Contains(err.Error(), "40P01") {
						continue // a deadlock, resolved by PostgreSQL: the ingester tries again
					}
					errs <- err
					return
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if want, got := endpointState(t, db, "ROW"), endpointState(t, db, "CHN"); !slices.Equal(want, got) {
			t.Fatalf("round %d:\none at a time:\n%s\nat once:\n%s", round, strings.Join(want, "\n"), strings.Join(got, "\n"))
		}
	}
}

// TestChainLocksOutWriters (PostgreSQL): while a chained report that
// skipped a row is still open, another report may not rewrite that row:
// it waits for the commit, then sees the chain's newer sighting and
// changes nothing. Written in between, it would have taken the row over
// with an older sighting, and the chained report's would be lost.
func TestChainLocksOutWriters(t *testing.T) {
	db := storetest.NewPostgres(t)
	ctx := context.Background()
	if err := New(db).SyncDepartments(ctx, []Department{{"CHN", "chained"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	t1 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	x := wire.Endpoint{IP: "10.0.0.1", Hostname: "a1-view", Role: wire.RoleServer, SeenBy: []string{wire.MethodICMP}}
	if err := fileChain(t, db, "CHN", chainReport{"r1", "a1", t1, []wire.Endpoint{x}}, true); err != nil {
		t.Fatal(err)
	}
	other := make(chan error, 1)
	err := db.InTx(ctx, func(tx *store.Tx) error {
		rows, err := endpointRows([]wire.Endpoint{x})
		if err != nil {
			return err
		}
		if err := upsertChained(ctx, tx, "CHN", "CHN-r3", "a1", SortableTime(t1.Add(2*time.Hour)), rows); err != nil {
			return err
		}
		go func() {
			y := x
			y.Hostname = "a2-view"
			other <- fileChain(t, db, "CHN", chainReport{"r2", "a2", t1.Add(time.Hour), []wire.Endpoint{y}}, false)
		}()
		select {
		case err := <-other:
			return fmt.Errorf("another report wrote the department's endpoints inside a chained report (%v)", err)
		case <-time.After(300 * time.Millisecond):
			return nil
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-other; err != nil {
		t.Fatal(err)
	}
	eps, err := New(db).Endpoints(ctx, "CHN", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(eps) != 1 || eps[0].Hostname != "a1-view" || !eps[0].LastSeen.Equal(t1.Add(2*time.Hour)) || eps[0].LastReport != "CHN-r3" {
		t.Fatalf("endpoints %+v, want a1's newest sighting", eps)
	}
}

// TestChainDigestEachField: a chained report that changes any one of an
// endpoint's attributes writes it; the digest must cover every one.
func TestChainDigestEachField(t *testing.T) {
	base := wire.Endpoint{IP: "10.0.0.1", MAC: "00:00:00:00:00:01", Vendor: "v1", Hostname: "h1", Role: wire.RoleServer,
		OpenPorts: []int{22}, HTTP: []wire.HTTPInfo{{Port: 80, Title: "t1", Server: "s1"}}, SeenBy: []string{wire.MethodICMP}}
	tests := []struct {
		name   string
		change func(e *wire.Endpoint)
	}{
		{"mac", func(e *wire.Endpoint) { e.MAC = "00:00:00:00:00:02" }},
		{"vendor", func(e *wire.Endpoint) { e.Vendor = "v2" }},
		{"hostname", func(e *wire.Endpoint) { e.Hostname = "h2" }},
		{"role", func(e *wire.Endpoint) { e.Role = wire.RoleWorkstation }},
		{"ports", func(e *wire.Endpoint) { e.OpenPorts = []int{22, 443} }},
		{"http title", func(e *wire.Endpoint) { e.HTTP = []wire.HTTPInfo{{Port: 80, Title: "t2", Server: "s1"}} }},
		{"http server", func(e *wire.Endpoint) { e.HTTP = []wire.HTTPInfo{{Port: 80, Title: "t1", Server: "s2"}} }},
		{"seen_by", func(e *wire.Endpoint) { e.SeenBy = []string{wire.MethodICMP, wire.MethodTCP} }},
	}
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		t1 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				dept := fmt.Sprintf("F%d", i)
				if err := New(db).SyncDepartments(context.Background(), []Department{{dept, "x"}}, time.Now()); err != nil {
					t.Fatal(err)
				}
				next := base
				tc.change(&next)
				for _, rep := range []chainReport{{"r1", "a1", t1, []wire.Endpoint{base}}, {"r2", "a1", t1.Add(time.Hour), []wire.Endpoint{next}}} {
					if err := fileChain(t, db, dept, rep, true); err != nil {
						t.Fatal(err)
					}
				}
				eps, err := New(db).Endpoints(context.Background(), dept, 10)
				if err != nil || len(eps) != 1 {
					t.Fatalf("endpoints %+v %v", eps, err)
				}
				e := eps[0]
				got := fmt.Sprint(e.MAC, e.Vendor, e.Hostname, e.Role, e.OpenPorts, e.HTTP, e.SeenBy)
				want := fmt.Sprint(next.MAC, next.Vendor, next.Hostname, next.Role, next.OpenPorts, next.HTTP, next.SeenBy)
				if got != want {
					t.Fatalf("read %s\nwant %s", got, want)
				}
			})
		}
	})
}
