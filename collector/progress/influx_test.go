package progress_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"

	"github.com/egovnet/egovnet/collector/progress"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/collector/tsdb"
	"github.com/egovnet/egovnet/internal/influxtest"
	"github.com/egovnet/egovnet/internal/testenv"
	"github.com/egovnet/egovnet/internal/wire"
)

// sources is a scripted stand-in for rules, ledger and inventory: the
// department's figures on scan i.
type sources struct{ scan map[string]int }

func (s sources) OpenByRule(_ context.Context, d string) (map[string]int, error) {
	i := s.scan[d]
	if d == "CZJ" {
		return map[string]int{wire.RuleInternetEgress: 3 - i, wire.RulePrivateLink: 1, wire.RuleDepartmentWebsite: 2 - i}, nil
	}
	return map[string]int{wire.RuleInternetEgress: 1, wire.RuleLocalServer: 2}, nil
}

func (s sources) Compliance(_ context.Context, d string) (int, int, float64, float64, error) {
	if d == "CZJ" {
		return 10, 4 - 2*s.scan[d], 0.6 + 0.2*float64(s.scan[d]), 0.25, nil
	}
	return 30, 0, 1, 0.5, nil
}

func (s sources) Counts(_ context.Context, d string) (int, int, int, error) {
	if d == "CZJ" {
		return 40, 4, s.scan[d], nil
	}
	return 12, 2, 0, nil
}

// seed writes three daily scans of CZJ (burning down) and one of JYJ
// through the Recorder and the tsdb writer.
func seed(t *testing.T) *influxtest.Server {
	t.Helper()
	srv := influxtest.Start(t, "egovnet")
	db := storetest.NewSQLite(t)
	ctx := context.Background()
	w, err := tsdb.NewWriter(tsdb.Config{URL: srv.URL, Bucket: srv.Bucket}, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	src := sources{scan: map[string]int{}}
	rec, err := progress.NewRecorder(db, progress.Sources{Violations: src, Software: src, Endpoints: src},
		progress.Options{District: "310110", Outbox: w.Outbox(), Notify: w.Notify})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 6, 1, 2, 0, 0, 0, time.UTC)
	for i := 0; i < 3; i++ {
		src.scan["CZJ"] = i
		rep := &wire.ScanReport{ReportID: fmt.Sprintf("czj-%d", i), Agent: wire.Agent{ID: "agent-czj"},
			FinishedAt: base.Add(time.Duration(i) * 24 * time.Hour), Stats: wire.Stats{DurationMs: int64(1000 * (i + 1)), Errors: int64(i)}}
		if err := rec.Process(ctx, rep, "CZJ"); err != nil {
			t.Fatal(err)
		}
	}
	rep := &wire.ScanReport{ReportID: "jyj-0", Agent: wire.Agent{ID: "agent-jyj"}, FinishedAt: base.Add(time.Hour)}
	if err := rec.Process(ctx, rep, "JYJ"); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatalf("flush to influxdb: %v", err)
	}
	return srv
}

type record struct {
	table  int
	values map[string]any
}

func flux(t *testing.T, srv *influxtest.Server, q string) []record {
	t.Helper()
	c := influxdb2.NewClient(srv.URL, "")
	defer c.Close()
	res, err := c.QueryAPI("").Query(context.Background(), q)
	if err != nil {
		t.Fatalf("flux query failed: %v\n%s", err, q)
	}
	var out []record
	for res.Next() {
		out = append(out, record{res.Record().Table(), res.Record().Values()})
	}
	if res.Err() != nil {
		t.Fatalf("flux result: %v\n%s", res.Err(), q)
	}
	return out
}

// TestProgressPointsInInflux reads the recorded points back with Flux and
// checks the CONTRACT's measurement, tags, fields and field types.
func TestProgressPointsInInflux(t *testing.T) {
	srv := seed(t)
	recs := flux(t, srv, fmt.Sprintf(`from(bucket: %q)
  |> range(start: 2026-01-01T00:00:00Z)
  |> filter(fn: (r) => r._measurement == "egovnet_progress" and r.department == "CZJ")
  |> last()`, srv.Bucket))
	got := map[string]any{}
	for _, r := range recs {
		got[r.values["_field"].(string)] = r.values["_value"]
		if r.values["district"] != "310110" {
			t.Errorf("district tag = %v", r.values["district"])
		}
	}
	want := map[string]any{
		"internet_egress": int64(1), "private_links": int64(1), "isolation_breaches": int64(0), "local_servers": int64(2),
		"websites": int64(0), "endpoints": int64(40), "open_violations": int64(2), "software_installs": int64(10),
		"unlicensed_installs": int64(0), "license_compliance": 1.0, "domestic_share": 0.25, "cloud_ratio": 0.5,
	}
	if len(got) != len(want) {
		t.Fatalf("fields %v, want exactly %v", got, want)
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || !sameValue(g, v) {
			t.Errorf("field %s = %#v, want %#v", k, got[k], v)
		}
	}
	agent := flux(t, srv, fmt.Sprintf(`from(bucket: %q)
  |> range(start: 2026-01-01T00:00:00Z)
  |> filter(fn: (r) => r._measurement == "egovnet_agent" and r.agent == "agent-czj" and r._field == "scan_duration_ms")`, srv.Bucket))
	if len(agent) != 3 || agent[2].values["_value"] != int64(3000) || agent[2].values["department"] != "CZJ" {
		t.Fatalf("agent points %v, want 3 with the last at 3000 ms", agent)
	}
}

func sameValue(a, b any) bool {
	if fa, ok := a.(float64); ok {
		fb, ok := b.(float64)
		return ok && fa-fb < 1e-9 && fb-fa < 1e-9
	}
	return a == b
}

// TestGrafanaDashboardQueries runs every Flux query of the shipped Grafana
// dashboard (variables substituted as Grafana would) against the seeded
// server: each must succeed and return data, and the district totals must
// add the departments up.
func TestGrafanaDashboardQueries(t *testing.T) {
	srv := seed(t)
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "deploy", "grafana", "egovnet.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Templating struct {
			List []struct {
				Name, Type string
				Query      any
			}
		}
		Panels []struct {
			Title   string
			Targets []struct{ Query string }
		}
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("dashboard is not JSON: %v", err)
	}
	vars := map[string]string{}
	for _, v := range dash.Templating.List {
		vars[v.Name] = v.Type
	}
	if vars["datasource"] != "datasource" {
		t.Fatalf("dashboard has no datasource variable: %v", vars)
	}
	subst := strings.NewReplacer(
		"${bucket}", srv.Bucket,
		"${department:regex}", "CZJ|JYJ",
		"${district:regex}", ".*",
		"v.timeRangeStart", "2026-05-01T00:00:00Z",
		"v.timeRangeStop", "2026-07-01T00:00:00Z",
		"v.windowPeriod", "1d",
	)
	leftover := regexp.MustCompile(`\$\{|\$[a-z]|v\.[a-zA-Z]`)
	run := func(t *testing.T, name, q string) []record {
		q = subst.Replace(q)
		if m := leftover.FindString(q); m != "" {
			t.Fatalf("%s: unsubstituted variable %q in\n%s", name, m, q)
		}
		return flux(t, srv, q)
	}
	for _, v := range dash.Templating.List {
		if q, ok := v.Query.(string); ok && v.Type == "query" {
			recs := run(t, "variable "+v.Name, q)
			want := map[string]int{"department": 2, "district": 1}[v.Name]
			if len(recs) != want {
				t.Errorf("variable %s returned %d values, want %d", v.Name, len(recs), want)
			}
		}
	}
	queries := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			queries++
			t.Run(p.Title, func(t *testing.T) {
				recs := run(t, p.Title, tg.Query)
				if len(recs) == 0 {
					t.Fatalf("no data")
				}
				if strings.HasPrefix(p.Title, "全区现状") {
					sums := map[string]any{}
					for _, r := range recs {
						sums[r.values["_field"].(string)] = r.values["_value"]
					}
					// CZJ's last scan: egress 1, private 1, local 2, websites 0, open 2;
					// JYJ: egress 1, local 2, open 3.
					want := map[string]int64{"internet_egress": 2, "private_links": 1, "local_servers": 4, "websites": 0, "open_violations": 5, "isolation_breaches": 0}
					for k, v := range want {
						if sums[k] != v {
							t.Errorf("district %s = %v, want %d (all: %v)", k, sums[k], v, sums)
						}
					}
				}
				if strings.HasPrefix(p.Title, "全区软件正版化率") {
					if got := recs[0].values["license_compliance"]; !sameValue(got, 1.0) {
						t.Errorf("district compliance = %v, want 1.0 (40 installs, 0 unlicensed)", got)
					}
				}
				if strings.HasPrefix(p.Title, "全区整改趋势") {
					var egress []string
					for _, r := range recs {
						if r.values["_field"] == "internet_egress" && r.values["_value"] != nil {
							egress = append(egress, fmt.Sprint(r.values["_value"]))
						}
					}
					// Day 1: CZJ 3 + JYJ 1; day 2: 2 + JYJ's 1 carried; day 3 on: 1 + 1.
					got := strings.Join(egress, " ")
					if !strings.HasPrefix(got, "4 3 2 2") || !strings.HasSuffix(got, " 2") {
						t.Errorf("district egress burndown = %v, want 4 3 2 2 ... 2", got)
					}
				}
			})
		}
	}
	if queries < 10 {
		t.Fatalf("dashboard has %d queries, want the full set", queries)
	}
}
