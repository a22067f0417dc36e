package rules

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/egovnet/egovnet/internal/lab"
	"github.com/egovnet/egovnet/internal/plan"
	"github.com/egovnet/egovnet/internal/testenv"
	"github.com/egovnet/egovnet/internal/wire"
)

// labExpected reads the exact set of findings the district-small lab must
// raise, "DEPT rule subject status", from
// deploy/lab/scenarios/district-small.expected.yaml (websites are keyed by
// the bare host address, one finding per host; a server on a classified
// (公务网) segment is not a local-server finding, because Yangpu art. 18
// sends only non-classified systems to the e-gov cloud).
func labExpected(t *testing.T, path string) []string {
	t.Helper()
	findings, err := lab.LoadExpected(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range findings {
		if f.Expect == "none" {
			continue
		}
		out = append(out, strings.Join([]string{f.Department, f.Rule, f.Subject, f.Status}, " "))
	}
	if len(out) == 0 {
		t.Fatalf("%s lists no findings", path)
	}
	return out
}

var labAgents = []string{"czj-a", "scj-a", "sfj-a", "zfb-a", "wjw-a"}

// TestLabDistrictSmall brings the district-small lab up, runs a real agent
// scan from inside each department's namespace, audits the reports against
// the lab's plan and compares the exact set of findings: nothing on the
// clean department, nothing missing, nothing extra.
func TestLabDistrictSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("lab scans take minutes")
	}
	testenv.Root(t)
	for _, b := range []string{"ip", "snmpd", "snmpsimd"} {
		testenv.Binary(t, b)
	}
	root := testenv.RepoRoot()
	scenario := filepath.Join(root, "deploy", "lab", "scenarios", "district-small.yaml")
	planFile := filepath.Join(root, "deploy", "lab", "scenarios", "district-small.plan.yaml")
	if _, err := os.Stat(scenario); err != nil {
		testenv.Missing(t, "lab scenario: %v", err)
	}
	bin := testenv.BuildBinaries(t, "egovnet-lab", "egovnet-agent")
	labBin := filepath.Join(bin, "egovnet-lab")
	var b [2]byte
	rand.Read(b[:])
	run := "r" + hex.EncodeToString(b[:])[:3]
	lab := func(args ...string) (string, error) {
		// The default state dir: the lab's daemons drop privileges and
		// cannot enter a test's 0700 temporary directory.
		cmd := exec.Command(labBin, args...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	t.Cleanup(func() {
		if out, err := lab("down", "--run", run); err != nil {
			t.Errorf("lab down --run %s: %v\n%s", run, err, out)
		}
	})
	if out, err := lab("up", "--run", run, "--snmp-data", filepath.Join(testenv.TestdataDir(t), "snmp"), scenario); err != nil {
		t.Fatalf("lab up: %v\n%s", err, out)
	}
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, len(labAgents))
	for i, node := range labAgents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg, err := lab("agent-config", "--run", run, node, "--collector", "http://127.0.0.1:9", "--data-dir", filepath.Join(dir, "data-"+node))
			if err != nil {
				errs[i] = fmt.Errorf("agent-config %s: %v\n%s", node, err, cfg)
				return
			}
			cfgFile := filepath.Join(dir, node+".yaml")
			if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
				errs[i] = err
				return
			}
			if out, err := lab("exec", "--run", run, node, "--", filepath.Join(bin, "egovnet-agent"), "scan", "--config", cfgFile,
				"--out", filepath.Join(dir, node+".json")); err != nil {
				errs[i] = fmt.Errorf("scan from %s: %v\n%s", node, err, out)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	p, err := plan.Load(planFile)
	if err != nil {
		t.Fatal(err)
	}
	var reps []*wire.ScanReport
	for _, node := range labAgents {
		f, err := os.Open(filepath.Join(dir, node+".json"))
		if err != nil {
			t.Fatal(err)
		}
		r, err := wire.DecodeReport(f, 1<<30)
		f.Close()
		if err != nil {
			t.Fatalf("report of %s: %v", node, err)
		}
		reps = append(reps, r)
	}
	e, err := NewEngine(p)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := e.EvaluateReports(context.Background(), reps)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vs {
		got = append(got, strings.Join([]string{v.Department, v.Rule, v.Subject, v.Status}, " "))
		if len(v.Citations) == 0 || len(v.Evidence) == 0 {
			t.Errorf("%s %s: a finding needs citations and evidence", v.Rule, v.Subject)
		}
	}
	sort.Strings(got)
	want := labExpected(t, filepath.Join(root, "deploy", "lab", "scenarios", "district-small.expected.yaml"))
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("findings differ\n got: %q\nwant: %q\n%s", got, want, violationsJSON(t, vs))
	}
	for _, v := range vs {
		switch {
		case v.Department == "CZJ":
			t.Errorf("the clean department has a finding: %s %s", v.Rule, v.Subject)
		case v.Department == "WJW" && v.Rule == wire.RuleInternetEgress && (!v.Registered || v.Severity == wire.SeverityCritical):
			t.Errorf("WJW's registered exit: registered %v severity %s", v.Registered, v.Severity)
		case v.Department == "SCJ" && v.Rule == wire.RuleInternetEgress && v.Severity != wire.SeverityCritical:
			t.Errorf("SCJ's unknown exit: severity %s, want critical", v.Severity)
		case v.Department == "ZFB" && v.Rule == wire.RuleIsolationBreach:
			// zfb-r is walked at 10.4.0.1 and 10.4.128.1: one router; its
			// connected routes (own LAN, uplink /30) prove nothing.
			seen := map[string]bool{}
			for _, ev := range v.Evidence {
				if !strings.HasSuffix(ev.Method, "-route") {
					continue
				}
				k := fmt.Sprint(ev.Detail["destination"], " via ", ev.Detail["next_hop"])
				if seen[k] {
					t.Errorf("ZFB isolation-breach: route %s twice (router walked at two addresses)", k)
				}
				seen[k] = true
				if d := fmt.Sprint(ev.Detail["destination"]); d != "0.0.0.0/0" && ev.Detail["toward"] != "extranet" && ev.Detail["toward"] != "internet" {
					t.Errorf("ZFB isolation-breach: route evidence %v is not toward the extranet or internet", ev.Detail)
				}
				if strings.HasPrefix(fmt.Sprint(ev.Detail["destination"]), "10.4.0.0/") || strings.HasPrefix(fmt.Sprint(ev.Detail["destination"]), "10.255.4.0/") {
					t.Errorf("ZFB isolation-breach: connected route %v as evidence", ev.Detail)
				}
			}
			if len(v.Evidence) > 6 {
				t.Logf("ZFB isolation-breach evidence:\n%s", violationsJSON(t, []wire.Violation{v}))
			}
		}
	}
}

// TestLabExpectedFile: the expected-findings file keys websites by the
// bare host address, like every other subject the engine emits.
func TestLabExpectedFile(t *testing.T) {
	got := labExpected(t, filepath.Join(testenv.RepoRoot(), "deploy", "lab", "scenarios", "district-small.expected.yaml"))
	for _, want := range []string{"SFJ department-website 10.3.0.30 open", "ZFB department-website 10.4.128.20 open", "ZFB isolation-breach 10.4.128.0/24 open"} {
		if !slices.Contains(got, want) {
			t.Errorf("expected file lacks %q: %q", want, got)
		}
	}
	for _, g := range got {
		if strings.Contains(g, "://") {
			t.Errorf("subject is a URL, the engine keys websites by host: %q", g)
		}
	}
}
