package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/egovnet/egovnet/collector/web/browser"
	"github.com/egovnet/egovnet/internal/testenv"
)

// benchPlan is a district of n departments, department i owning 10.i.0.0/23.
func benchPlan(n int) string {
	var b strings.Builder
	b.WriteString(`district: {code: "310110", name: "杨浦区"}
packs: [yangpu-2021, shanghai-extranet-2020, jiangmen-2017]
extranet: {prefixes: ["10.0.0.0/8"], uplink_next_hops: ["10.255.0.1"]}
egress: {sanctioned: ["198.51.100.1"]}
cloud: {prefixes: ["10.200.0.0/16"]}
probes: {internet: ["203.0.113.10"], extranet: ["10.255.0.1"]}
private_networks:
  - {name: "公安网", prefixes: ["172.20.0.0/16"], sentinels: ["172.20.0.1"]}
departments:
`)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  - {code: \"D%02d\", name: \"部门%02d\", prefixes: [\"10.%d.0.0/23\"]}\n", i, i, i)
	}
	b.WriteString("websites: {approved: [\"portal.example.gov.cn\"]}\n")
	return b.String()
}

// BenchmarkWorkplaceFirstRender measures each page's first render (page
// load, its API calls and drawing, until the page marks itself ready) in
// headless Chromium against a collector holding 50 departments, 20,000
// endpoints and 500 devices (two days of scans). It seeds for minutes, so it
// runs only with EGOVNET_BENCH_UI=1 (deploy/bench/ui.sh).
func BenchmarkWorkplaceFirstRender(b *testing.B) {
	if os.Getenv("EGOVNET_BENCH_UI") != "1" {
		b.Skip("set EGOVNET_BENCH_UI=1 (deploy/bench/ui.sh): seeding takes minutes")
	}
	const nDept, epsPer, switchesPer = 50, 400, 9 // 50 x (1 router + 9 switches) = 500 devices
	bins := testenv.BuildBinaries(b, "egovnet-collector")
	dir := b.TempDir()
	planFile := filepath.Join(dir, "plan.yaml")
	if err := os.WriteFile(planFile, []byte(benchPlan(nDept)), 0o600); err != nil {
		b.Fatal(err)
	}
	c := newBenchCollector(b, filepath.Join(bins, "egovnet-collector"), planFile)
	var depts []seedDept
	for i := 1; i <= nDept; i++ {
		depts = append(depts, seedDept{Code: fmt.Sprintf("D%02d", i), Index: i, Base: netip.AddrFrom4([4]byte{10, byte(i), 0, 0}), Rogue: i%5 == 0})
	}
	start := time.Now()
	files := writeReports(b, dir, depts, 2, epsPer, switchesPer, time.Now().UTC().Add(-time.Hour).Truncate(time.Minute))
	for _, f := range files {
		code := strings.TrimSuffix(filepath.Base(f)[3:], ".json")
		c.mustRun("", "import", "--report", f, "--department", code)
	}
	b.Logf("seeded %d reports in %s", len(files), time.Since(start).Round(time.Second))
	c.start()
	var devs []struct{ ID string }
	if a := c.http("GET", "/api/v1/devices?department=D01&q=r1-", nil, c.admin()); json.Unmarshal(a.body, &devs) != nil || len(devs) == 0 {
		b.Fatalf("devices: %d %s", a.status, a.body)
	}
	var eps []json.RawMessage
	if a := c.http("GET", "/api/v1/endpoints?limit=100000", nil, c.admin()); json.Unmarshal(a.body, &eps) == nil {
		b.Logf("collector holds %d endpoints", len(eps))
	}

	ctx := browser.New(b)
	ctx, cancel := context.WithTimeout(ctx, 20*time.Minute)
	defer cancel()
	err := chromedp.Run(ctx, chromedp.Navigate(c.url+"/"), chromedp.WaitVisible("#login-form", chromedp.ByQuery),
		chromedp.SendKeys(`input[name=name]`, "admin", chromedp.ByQuery), chromedp.SendKeys(`input[name=password]`, adminPassword, chromedp.ByQuery),
		chromedp.Click(`#login-form button`, chromedp.ByQuery), chromedp.WaitVisible(`body[data-ready]`, chromedp.ByQuery))
	if err != nil {
		b.Fatal(err)
	}
	pages := []struct{ name, hash string }{
		{"dashboard", "#dashboard"}, {"violations", "#violations"}, {"devices", "#devices"}, {"device", "#device/" + devs[0].ID},
		{"endpoints", "#endpoints"}, {"topology", "#topology/D05"}, {"department", "#dept/D05"}, {"software", "#software"},
		{"agents", "#agents"}, {"reports", "#reports"}, {"users", "#users"},
	}
	n := 0
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				n++
				// A new URL (query) is a full page load: script, session check,
				// the page's API calls, rendering.
				err := chromedp.Run(ctx, chromedp.Navigate(fmt.Sprintf("%s/?load=%d%s", c.url, n, p.hash)),
					chromedp.WaitVisible(`body[data-ready]`, chromedp.ByQuery))
				if err != nil {
					b.Fatal(err)
				}
			}
			// Where the last load's time went: each request's duration and
			// size, and when the page marked itself ready (ms since start).
			var res string
			if err := chromedp.Run(ctx, chromedp.Evaluate(resourceTimings, &res)); err == nil {
				b.Logf("%s: %s", p.name, res)
			}
		})
	}
}

// resourceTimings lists the page's requests as "path ms bytes" and the
// moment of evaluation (just after body[data-ready]) since navigation.
const resourceTimings = `(function () {
  var out = performance.getEntriesByType("resource").map(function (e) {
    return e.name.replace(location.origin, "") + " " + Math.round(e.responseEnd - e.startTime) + "ms " + e.encodedBodySize + "B";
  });
  out.push("ready@" + Math.round(performance.now()) + "ms");
  return out.join("; ");
})()`

// newBenchCollector is newCollector on SQLite with another plan file.
func newBenchCollector(b *testing.B, bin, planFile string) *collector {
	dir := b.TempDir()
	port := testenv.FreeTCPPort(b)
	c := &collector{bin: bin, dir: dir, url: fmt.Sprintf("http://127.0.0.1:%d", port), config: filepath.Join(dir, "collector.yaml"), t: b}
	cfg := fmt.Sprintf("listen: 127.0.0.1:%d\ndata_dir: %s\nplan_file: %s\nlimits: {max_report_bytes: %d}\nlog: {level: warn}\nauth: {totp: {required_roles: []}}\n", port, filepath.Join(dir, "data"), planFile, maxReport)
	if err := os.WriteFile(c.config, []byte(cfg), 0o600); err != nil {
		b.Fatal(err)
	}
	c.mustRun(adminPassword+"\n"+adminPassword+"\n", "user", "add", "--name", "admin", "--role", "sysadmin")
	return c
}
