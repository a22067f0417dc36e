package lifecycle

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

// TestArrivalOrderDoesNotMatter (issues 11 and 16): the same reports
// ingested in every order leave the same findings present, and they are
// what the offline audit finds in those reports. The history of CZJ: agent
// C scanned first and walked the router 10.1.0.3; a server 10.1.0.40
// appeared on day 1 (agent B) and agent A's second scan saw both. So the
// server is new infrastructure and the router is not, whichever report
// arrives first (older scans arriving late move first sightings and the
// baseline back).
func TestArrivalOrderDoesNotMatter(t *testing.T) {
	base := loadReports(t, "czj")[0]
	t0 := base.FinishedAt
	server := wire.Endpoint{IP: "10.1.0.40", Role: wire.RoleServer, OpenPorts: []int{22}}
	mk := func(agent string, n int, at time.Time, f func(*wire.ScanReport)) *wire.ScanReport {
		r := cloneReport(t, base, fmt.Sprintf("6f1c2a10-00%02d-4c00-8000-%012d", n, n), at)
		r.Agent.ID, r.Agent.Hostname = agent, agent
		if f != nil {
			f(r)
		}
		return r
	}
	reps := []*wire.ScanReport{
		mk("agent-a", 1, t0, nil),
		mk("agent-b", 2, t0.Add(24*time.Hour), func(r *wire.ScanReport) { r.Endpoints = append(r.Endpoints, server) }),
		mk("agent-a", 3, t0.Add(48*time.Hour), func(r *wire.ScanReport) {
			r.Endpoints = append(r.Endpoints, server)
			r.Devices = append(r.Devices, walked("10.1.0.3:161", "core-3"))
		}),
		mk("agent-c", 4, t0.Add(-24*time.Hour), func(r *wire.ScanReport) { r.Devices = append(r.Devices, walked("10.1.0.3:161", "core-3")) }),
	}
	key := func(v wire.Violation) string {
		return strings.Join([]string{v.Department, v.Rule, v.Subject, v.Severity, v.Status}, " ")
	}
	e := cutoffEngine(t)
	audit, err := e.EvaluateReports(context.Background(), reps)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, v := range audit {
		want = append(want, key(v))
	}
	sort.Strings(want)
	if !slices.Contains(want, "CZJ "+wire.RuleNewInfrastructure+" 10.1.0.40 "+audit[0].Severity+" open") {
		t.Fatalf("the audit does not find the new server: the comparison proves nothing: %v", want)
	}
	rev := slices.Clone(reps)
	slices.Reverse(rev)
	if again, err := e.EvaluateReports(context.Background(), rev); err != nil || len(again) != len(audit) {
		t.Fatalf("the audit depends on the order of its files: %d findings, then %d (%v)", len(audit), len(again), err)
	}
	for _, perm := range permutations(len(reps)) {
		var names []string
		for _, i := range perm {
			names = append(names, fmt.Sprintf("%s@%s", reps[i].Agent.ID, reps[i].FinishedAt.Sub(t0)))
		}
		t.Run(strings.Join(names, ","), func(t *testing.T) {
			storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				st := NewStore(db)
				p := NewProcessor(e, st, 3, nil)
				for _, i := range perm {
					if err := file(ctx, p, reps[i], "CZJ"); err != nil {
						t.Fatal(err)
					}
				}
				vs, err := st.List(ctx, Filter{Department: "CZJ"})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, v := range vs {
					if v.Status != wire.StatusResolved {
						got = append(got, key(v))
					}
				}
				sort.Strings(got)
				if !slices.Equal(got, want) {
					t.Errorf("findings\n got  %q\n want %q (offline audit)", got, want)
				}
			})
		})
	}
}
