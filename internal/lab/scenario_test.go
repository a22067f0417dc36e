package lab

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/internal/testenv"
)

// base is a minimal valid scenario; cases below break one thing each.
const base = `
name: t
nodes:
  - {name: r1, kind: router, routes: [{to: default, via: 10.0.0.2}]}
  - {name: h1, kind: host, routes: [{to: default, via: 10.0.0.1}], tcp: [{port: 22, banner: SSH-2.0-x}]}
links:
  - ends: [{node: r1, addr: 10.0.0.1/30}, {node: h1, addr: 10.0.0.2/30}]
`

func TestParseValid(t *testing.T) {
	sc, err := Parse([]byte(base))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	eps := sc.Endpoints("r1")
	if len(eps) != 1 || eps[0].If != "eth0" {
		t.Errorf("default interface name: got %+v, want eth0", eps)
	}
	if got := sc.FirstAddr("h1"); got != "10.0.0.2" {
		t.Errorf("FirstAddr(h1) = %q", got)
	}
}

func TestParseInvalid(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		want []string // every line must appear in the error
	}{
		{"unknown key", base + "bogus: 1\n", []string{"field bogus not found"}},
		{"public address outside documentation ranges", strings.Replace(base, "10.0.0.2/30", "11.0.0.2/30", 1),
			[]string{`links[0].ends[1]: "11.0.0.2/30" is outside the lab ranges`}},
		{"route via not connected", strings.Replace(base, "via: 10.0.0.2}", "via: 10.9.9.9}", 1),
			[]string{"nodes[0] (r1): routes[0]: via 10.9.9.9 is not on a connected subnet of r1"}},
		{"route to outside lab ranges", strings.Replace(base, "{to: default, via: 10.0.0.2}", "{to: 8.8.8.0/24, via: 10.0.0.2}", 1),
			[]string{`nodes[0] (r1): routes[0]: to "8.8.8.0/24" is outside the lab ranges`}},
		{"route host bits", strings.Replace(base, "{to: default, via: 10.0.0.2}", "{to: 10.1.0.1/16, via: 10.0.0.2}", 1),
			[]string{`to "10.1.0.1/16" has host bits set (did you mean 10.1.0.0/16?)`}},
		{"bad kind", strings.Replace(base, "kind: router", "kind: switch", 1),
			[]string{`nodes[0] (r1): kind "switch" is not one of`}},
		{"long name", strings.Replace(base, "name: h1", "name: averyverylongname", 1),
			[]string{`name "averyverylongname": 1-12 characters`}},
		{"duplicate node", strings.Replace(base, "name: h1", "name: r1", 1),
			[]string{`nodes[1] (r1): name "r1" already used by nodes[0] (r1)`}},
		{"interface name too long", strings.Replace(base, "{node: r1, addr", "{node: r1, if: abcdefghijklmnop, addr", 1),
			[]string{`links[0].ends[0]: interface name "abcdefghijklmnop": 1-15 characters`}},
		{"duplicate address", strings.Replace(base, "10.0.0.2/30", "10.0.0.1/30", 1),
			[]string{`links[0].ends[1]: address 10.0.0.1 already used by node "r1"`}},
		{"link to unknown node", strings.Replace(base, "{node: h1, addr", "{node: h9, addr", 1),
			[]string{`links[0].ends[1]: node "h9" is not declared in nodes`}},
		{"port clash", strings.Replace(base, "tcp: [{port: 22, banner: SSH-2.0-x}]", "tcp: [{port: 22}, {port: 22}]", 1),
			[]string{"nodes[1] (h1): tcp[1]: tcp port 22 already used by nodes[1] (h1): tcp[0]"}},
		{"multicast mac", strings.Replace(base, "{node: r1, addr: 10.0.0.1/30}", "{node: r1, addr: 10.0.0.1/30, mac: \"03:00:00:00:00:01\"}", 1),
			[]string{`links[0].ends[0]: mac "03:00:00:00:00:01": a unicast address`}},
		{"upper-case mac", strings.Replace(base, "{node: r1, addr: 10.0.0.1/30}", "{node: r1, addr: 10.0.0.1/30, mac: \"02:00:0A:00:00:01\"}", 1),
			[]string{`mac "02:00:0A:00:00:01": a unicast address in lower-case hex`}},
		{"duplicate mac", strings.Replace(strings.Replace(base, "{node: r1, addr: 10.0.0.1/30}", "{node: r1, addr: 10.0.0.1/30, mac: \"02:00:00:00:00:01\"}", 1),
			"{node: h1, addr: 10.0.0.2/30}", "{node: h1, addr: 10.0.0.2/30, mac: \"02:00:00:00:00:01\"}", 1),
			[]string{`links[0].ends[1]: mac 02:00:00:00:00:01 already used by links[0].ends[0]`}},
		{"valid mac, software, dns, firewall", strings.Replace(strings.Replace(base, "{node: r1, addr: 10.0.0.1/30}", "{node: r1, addr: 10.0.0.1/30, mac: \"02:00:0a:00:00:0b\"}", 1),
			"kind: host,", `kind: host, dns: [10.0.0.1], software: [{name: WPS Office, version: "11", vendor: Kingsoft}], firewall: {masquerade: [eth0], hide_hops: true}, dns_server: {records: [{name: www.example.gov.cn, a: 10.0.0.2}]},`, 1),
			nil},
		{"software with a tab", strings.Replace(base, "kind: host,", "kind: host, software: [{name: \"a\\tb\"}],", 1),
			[]string{"nodes[1] (h1): software[0]: \"a\\tb\": no tabs or line breaks"}},
		{"dns server outside the lab", strings.Replace(base, "kind: host,", "kind: host, dns: [8.8.8.8],", 1),
			[]string{`nodes[1] (h1): dns[0]: "8.8.8.8" must be an IPv4 lab address`}},
		{"dns record outside the lab", strings.Replace(base, "kind: host,", "kind: host, dns_server: {records: [{name: Bad_Name, a: 1.1.1.1}]},", 1),
			[]string{`dns_server.records[0]: name "Bad_Name": lower-case host name`, `dns_server.records[0]: a "1.1.1.1" must be an IPv4 lab address`}},
		{"management with explicit subnet is valid", base + "management: {node: r1, subnet: 10.0.9.0/30}\n",
			nil},
		{"management not /30", base + "management: {node: r1, subnet: 10.0.9.0/29}\n",
			[]string{`management: subnet "10.0.9.0/29" must be a private IPv4 /30 network`}},
		{"management relay on foreign address", base + "management: {node: r1, relays: [{listen: \"10.0.0.2:8443\", port: 8443}]}\n",
			[]string{`management.relays[0]: listen address 10.0.0.2 is not an address of node "r1"`}},
		{"snmpsim path escape", strings.Replace(base, "kind: host,", "kind: host, snmpsim: {recording: ../../etc/passwd},", 1),
			[]string{`snmpsim: recording "../../etc/passwd" must be a path under deploy/lab/recordings or the SNMP test data`}},
		{"lan with one member", base + "lans: [{name: l1, members: [{node: h1, addr: 10.1.0.2/24}]}]\n",
			[]string{"lans[0] (l1): a LAN needs at least 2 members"}},
		{"ipv6", strings.Replace(base, "10.0.0.2/30", "fd00::2/64", 1),
			[]string{`"fd00::2/64": only IPv4 is supported`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.yaml))
			if c.want == nil {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want error containing %q, got none", c.want)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\ndoes not contain\n%s", err, w)
				}
			}
		})
	}
}

func TestManagementRouteRefused(t *testing.T) {
	y := strings.Replace(base, "{to: default, via: 10.0.0.2}", "{to: default, via: 10.0.9.1}", 1) +
		"management: {node: r1, subnet: 10.0.9.0/30}\n"
	// 10.0.9.1 is not connected in the scenario either; both are reported.
	_, err := Parse([]byte(y))
	if err == nil || !strings.Contains(err.Error(), "points into the management link") {
		t.Fatalf("want management route refused, got %v", err)
	}
}

// TestShippedScenarios validates every scenario in deploy/lab/scenarios and
// checks that each names a plan file that exists and declares its departments.
func TestShippedScenarios(t *testing.T) {
	dir := filepath.Join(testenv.RepoRoot(), "deploy", "lab", "scenarios")
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".plan.yaml") || strings.HasSuffix(f, ".expected.yaml") {
			continue
		}
		n++
		t.Run(filepath.Base(f), func(t *testing.T) {
			sc, err := Load(f)
			if err != nil {
				t.Fatalf("%v", err)
			}
			if sc.Plan == "" {
				t.Fatal("scenario names no plan file")
			}
			p, err := LoadPlan(sc.PlanPath())
			if err != nil {
				t.Fatal(err)
			}
			// Shipped scenarios carry their own devices: the demo and a bare
			// clone need no shared test data.
			for _, node := range sc.Nodes {
				if node.SNMPSim != nil {
					if _, err := sc.RecordingPath(node.SNMPSim.Recording, ""); err != nil {
						t.Errorf("node %s: %v", node.Name, err)
					}
				}
			}
			if exp, err := LoadExpected(strings.TrimSuffix(f, ".yaml") + ".expected.yaml"); err == nil {
				for i, e := range exp {
					if _, ok := p.Department(e.Department); !ok {
						t.Errorf("expected findings[%d]: department %q not in the plan", i, e.Department)
					}
					if e.Rule == "" && e.Expect != "none" {
						t.Errorf("expected findings[%d] (%s): neither a rule nor expect: none", i, e.Department)
					}
				}
			}
			agents := map[string]bool{}
			for _, node := range sc.Nodes {
				if node.Department != "" {
					if _, ok := p.Department(node.Department); !ok {
						t.Errorf("node %s: department %s not in the plan", node.Name, node.Department)
					}
				}
				if node.Kind == KindAgent {
					agents[node.Department] = true
				}
			}
			for _, d := range p.Departments {
				if !agents[d.Code] {
					t.Errorf("plan department %s has no agent node", d.Code)
				}
			}
			// Every simulated public address is from the documentation ranges.
			for _, node := range sc.Nodes {
				for _, a := range sc.NodeAddrs(node.Name) {
					pfx, err := parseIfAddr(a)
					if err != nil {
						t.Errorf("%s: %v", node.Name, err)
						continue
					}
					if !isPrivate(pfx.Addr()) && !allowedAddr(pfx.Addr()) {
						t.Errorf("%s: %s is neither private nor documentation range", node.Name, a)
					}
				}
			}
		})
	}
	if n < 2 {
		t.Errorf("found %d scenarios, want district-small and district-large at least", n)
	}
	checkExpected(t, filepath.Join(dir, "district-small.expected.yaml"), filepath.Join(dir, "district-small.plan.yaml"))
}

// checkExpected keeps the expected-findings file consistent with the
// CONTRACT's rule ids and the plan's departments.
func checkExpected(t *testing.T, path, planPath string) {
	t.Helper()
	findings, err := LoadExpected(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := LoadPlan(planPath)
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]bool{"internet-egress": true, "private-link": true, "isolation-breach": true,
		"local-server": true, "department-website": true, "unlicensed-software": true,
		"license-over-deployment": true, "unfiled-software": true, "address-outside-plan": true, "new-infrastructure": true}
	statuses := map[string]bool{"open": true, "acknowledged": true, "resolved": true, "exempted": true}
	seen := map[string]bool{}
	for i, f := range findings {
		if _, ok := p.Department(f.Department); !ok {
			t.Errorf("findings[%d]: department %q not in the plan", i, f.Department)
		}
		seen[f.Department] = true
		if f.Expect == "none" {
			continue
		}
		if !rules[f.Rule] || f.Subject == "" || !statuses[f.Status] {
			t.Errorf("findings[%d]: rule %q subject %q status %q: want a CONTRACT rule id, a subject and a status", i, f.Rule, f.Subject, f.Status)
		}
	}
	for _, d := range p.Departments {
		if !seen[d.Code] {
			t.Errorf("department %s has no expected findings entry (use expect: none)", d.Code)
		}
	}
}

func TestRunIDsAndNames(t *testing.T) {
	for range 50 {
		id := NewRunID()
		if !ValidRun(id) {
			t.Fatalf("NewRunID() = %q, not valid", id)
		}
	}
	for _, bad := range []string{"", "abc", "ABCD", "ab-d", "abcde"} {
		if ValidRun(bad) {
			t.Errorf("ValidRun(%q) = true", bad)
		}
	}
	if got := Namespace("ab12", "czj-r"); got != "egl-ab12-czj-r" {
		t.Errorf("Namespace = %q", got)
	}
	if got := MgmtRootIf("ab12"); len(got) > 15 || !strings.HasPrefix(got, "egl") {
		t.Errorf("MgmtRootIf = %q", got)
	}
	if got := lanPort(strings.Repeat("x", MaxNameLen)); len(got) > 15 {
		t.Errorf("lanPort too long: %q", got)
	}
}

func TestSNMPDConfig(t *testing.T) {
	cases := []struct {
		name     string
		software bool
		secret   string
		want     []string
		not      []string
	}{
		{"router hides software", false, "", []string{"rocommunity c1 default -V egl", "view egl excluded .1.3.6.1.2.1.25.6.3", "sysname r1", "sysservices 78"}, []string{"rwcommunity"}},
		{"host serves software", true, "", []string{"view egl included .1"}, []string{"excluded", "sysservices"}},
		{"alias writer limited to own address", false, "s3cr", []string{"rwcommunity s3cr 10.0.0.1/32 .1.3.6.1.2.1.31.1.1.1.18"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kind := KindRouter
			if c.software {
				kind = KindHost
			}
			n := Node{Name: "r1", Kind: kind, SNMPD: &SNMPD{Community: "c1", Software: c.software}}
			got := snmpdConfig(n, c.secret, "10.0.0.1")
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("config lacks %q:\n%s", w, got)
				}
			}
			for _, w := range c.not {
				if strings.Contains(got, w) {
					t.Errorf("config has %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestBuildAgentConfig(t *testing.T) {
	sc, err := Load(filepath.Join(testenv.RepoRoot(), "deploy", "lab", "scenarios", "district-small.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := LoadPlan(sc.PlanPath())
	if err != nil {
		t.Fatal(err)
	}
	b := &builder{sc: sc, st: &State{Run: "ab12"}}
	b.fillNodeStates()
	cases := []struct {
		node        string
		targets     []string
		communities []string
		wantErr     string
	}{
		{node: "sfj-a", targets: []string{"10.3.0.0/24"}, communities: []string{"sfj-lnx-ro", "sfj-ro", "sfj-sw-ro", "sfj-win-ro"}},
		{node: "zfb-a", targets: []string{"10.4.0.0/24", "10.4.128.0/24"}, communities: []string{"zfb-ro"}},
		{node: "core", wantErr: "has no department"},
		{node: "nope", wantErr: `no node "nope"`},
	}
	for _, c := range cases {
		t.Run(c.node, func(t *testing.T) {
			cfg, err := BuildAgentConfig(b.st, p, c.node, "http://10.255.0.1:8443", "/tmp/x", "5m")
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("want error %q, got %v", c.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(cfg.Scope.Targets, ",") != strings.Join(c.targets, ",") {
				t.Errorf("scope %v, want %v", cfg.Scope.Targets, c.targets)
			}
			if strings.Join(cfg.SNMP.Communities, ",") != strings.Join(c.communities, ",") {
				t.Errorf("communities %v, want %v", cfg.SNMP.Communities, c.communities)
			}
			want := "internet:203.0.113.10,extranet:10.255.0.1,private:172.20.0.1"
			if got := strings.Join(cfg.Paths.Targets, ","); got != want {
				t.Errorf("path targets %s, want %s", got, want)
			}
		})
	}
}

func TestPickMgmtSubnet(t *testing.T) {
	dir := t.TempDir()
	first, err := pickMgmtSubnet(dir, "aaaa")
	if err != nil {
		t.Fatal(err)
	}
	if first.Bits() != 30 || !isPrivate(first.Addr()) {
		t.Fatalf("picked %s, want a private /30", first)
	}
	// A run that already holds that subnet pushes the next pick elsewhere.
	st := &State{Run: "aaaa", Management: &MgmtState{Subnet: first.String()}}
	if err := st.save(dir); err != nil {
		t.Fatal(err)
	}
	second, err := pickMgmtSubnet(dir, "aaaa")
	if err != nil {
		t.Fatal(err)
	}
	if second != first {
		t.Errorf("a run's own subnet must not block it: got %s, want %s", second, first)
	}
	// Run bbbb's natural pick, taken by run cccc, must be avoided.
	natural, err := pickMgmtSubnet(t.TempDir(), "bbbb")
	if err != nil {
		t.Fatal(err)
	}
	taken := &State{Run: "cccc", Management: &MgmtState{Subnet: natural.String()}}
	if err := taken.save(dir); err != nil {
		t.Fatal(err)
	}
	other, err := pickMgmtSubnet(dir, "bbbb")
	if err != nil {
		t.Fatal(err)
	}
	if other.Overlaps(natural) || other.Overlaps(first) {
		t.Errorf("run bbbb got %s, which overlaps a subnet in use (%s, %s)", other, natural, first)
	}
}

func TestFilterRecording(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "in.snmprec")
	rec := "1.3.6.1.2.1.1.5.0|4|sw1\n" +
		"1.3.6.1.2.1.4.20.1.1.3.3.3.3|64x|03030303\n" +
		"1.3.6.1.2.1.4.21.1.7.0.0.0.0|64x|c0a80101\n" +
		"1.3.6.1.2.1.4.210.1|2|7\n" + // not a child of 4.21: kept
		"1.3.6.1.2.1.25.6.3.1.2.1|4|Office\n"
	if err := os.WriteFile(src, []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "out.snmprec")
	if err := filterRecording(src, dst, L3Tables); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(dst)
	want := "1.3.6.1.2.1.1.5.0|4|sw1\n1.3.6.1.2.1.4.210.1|2|7\n1.3.6.1.2.1.25.6.3.1.2.1|4|Office\n"
	if string(got) != want {
		t.Errorf("filtered recording:\n%s\nwant:\n%s", got, want)
	}
	// "l3" expands; a malformed OID is refused.
	y := strings.Replace(base, "kind: host,", "kind: host, snmpsim: {recording: librenms/x, exclude: [l3, .1.3.6.1.2.1.2]},", 1)
	sc, err := Parse([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := sc.Node("h1")
	if len(n.SNMPSim.Exclude) != len(L3Tables)+1 || n.SNMPSim.Exclude[len(L3Tables)] != "1.3.6.1.2.1.2" {
		t.Errorf("exclude = %v", n.SNMPSim.Exclude)
	}
	y = strings.Replace(base, "kind: host,", "kind: host, snmpsim: {recording: librenms/x, exclude: [ipRouteTable]},", 1)
	if _, err := Parse([]byte(y)); err == nil || !strings.Contains(err.Error(), `exclude "ipRouteTable" must be a numeric OID`) {
		t.Errorf("want bad exclude refused, got %v", err)
	}
}

// TestFirewallRuleset: the CPE's NAT and hop hiding as nft loads them (the
// lab test TestDistrictFidelity proves their effect on traceroute).
func TestFirewallRuleset(t *testing.T) {
	cases := []struct {
		name string
		fw   Firewall
		want []string
		not  []string
	}{
		{"nat and hidden hops", Firewall{Masquerade: []string{"up0"}, HideHops: true},
			[]string{"type nat hook postrouting", `oifname "up0" masquerade`, "hook output", "hook forward", "icmp type time-exceeded drop"}, nil},
		{"nat only", Firewall{Masquerade: []string{"up0"}}, []string{`oifname "up0" masquerade`}, []string{"time-exceeded"}},
		{"hide only", Firewall{HideHops: true}, []string{"icmp type time-exceeded drop"}, []string{"masquerade"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.fw.NFTRuleset()
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("ruleset lacks %q:\n%s", w, got)
				}
			}
			for _, w := range c.not {
				if strings.Contains(got, w) {
					t.Errorf("ruleset has %q:\n%s", w, got)
				}
			}
		})
	}
}

// TestSoftwareLines: the agent's software file format.
func TestSoftwareLines(t *testing.T) {
	got := SoftwareLines([]Software{{Name: "WPS Office", Version: "11.8", Vendor: "Kingsoft"}, {Name: "7-Zip"}})
	if want := "WPS Office\t11.8\tKingsoft\n7-Zip\t\t\n"; got != want {
		t.Errorf("SoftwareLines = %q, want %q", got, want)
	}
}
