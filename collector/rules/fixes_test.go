package rules

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/collector/terms"
	"github.com/egovnet/egovnet/internal/wire"
)

func evaluate(t *testing.T, e *Engine, dept string, reps ...*wire.ScanReport) []wire.Violation {
	t.Helper()
	vs, err := e.Evaluate(context.Background(), Input{Department: dept, Reports: reps})
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func findingOf(vs []wire.Violation, rule string) (wire.Violation, bool) {
	for _, v := range vs {
		if v.Rule == rule {
			return v, true
		}
	}
	return wire.Violation{}, false
}

// classifiedRouter is department A's router with a leg in A's classified
// segment 10.9.1.0/24, like the lab's zfb-r.
func classifiedRouter(target string, routes ...wire.Route) wire.DeviceInventory {
	return wire.DeviceInventory{Target: target + ":161", System: wire.System{Name: "zfb-r"},
		Interfaces: []wire.Interface{{Index: 1, Name: "lan0", Type: 6, OperStatus: 1, MAC: "02:00:00:00:01:01"},
			{Index: 2, Name: "up0", Type: 6, OperStatus: 1, MAC: "02:00:00:00:01:02"},
			{Index: 3, Name: "gwn0", Alias: "公务网", Type: 6, OperStatus: 1, MAC: "02:00:00:00:01:03"}},
		IPAddresses: []wire.IPAddress{{Address: "10.1.0.1", PrefixLen: 24, IfIndex: 1}, {Address: "10.255.0.2", PrefixLen: 30, IfIndex: 2},
			{Address: "10.9.1.1", PrefixLen: 24, IfIndex: 3}},
		Routes: append([]wire.Route{
			{Destination: "10.1.0.0/24", NextHop: "0.0.0.0", IfIndex: 1, Protocol: 2},
			{Destination: "10.255.0.0/30", NextHop: "10.255.0.2", IfIndex: 2, Protocol: 2}, // ipRouteTable direct: next hop = own address
			{Destination: "10.9.1.0/24", NextHop: "0.0.0.0", IfIndex: 3, Protocol: 2},
		}, routes...)}
}

// routeRows lists an isolation-breach finding's route evidence as
// "destination toward".
func routeRows(v wire.Violation) []string {
	var out []string
	for _, e := range v.Evidence {
		if strings.HasSuffix(e.Method, "-route") {
			out = append(out, fmt.Sprint(e.Detail["destination"], " ", e.Detail["toward"]))
		}
	}
	sort.Strings(out)
	return out
}

// TestIsolationBreachRouteEvidence: from the classified side only routes
// that send traffic on (default, learned, static) toward the extranet or
// internet are evidence; connected routes prove nothing; a router walked at
// two of its addresses is one router.
func TestIsolationBreachRouteEvidence(t *testing.T) {
	def := wire.Route{Destination: "0.0.0.0/0", NextHop: "10.255.0.1", IfIndex: 2, Protocol: 3}
	cases := []struct {
		name    string
		devices []wire.DeviceInventory
		want    []string
	}{
		{"connected routes only prove nothing", []wire.DeviceInventory{classifiedRouter("10.1.0.1")}, nil},
		{"default route counts", []wire.DeviceInventory{classifiedRouter("10.1.0.1", def)}, []string{"0.0.0.0/0 default"}},
		{"walked at two addresses: evidence once", []wire.DeviceInventory{classifiedRouter("10.1.0.1", def), classifiedRouter("10.9.1.1", def)},
			[]string{"0.0.0.0/0 default"}},
		{"static route toward the extranet counts", []wire.DeviceInventory{classifiedRouter("10.1.0.1",
			wire.Route{Destination: "10.128.0.0/9", NextHop: "10.255.0.1", IfIndex: 2, Protocol: 3})}, []string{"10.128.0.0/9 extranet"}},
		{"static route to the department's own LAN is not toward the extranet", []wire.DeviceInventory{classifiedRouter("10.1.0.1",
			wire.Route{Destination: "10.1.0.128/25", NextHop: "10.1.0.254", IfIndex: 1, Protocol: 3})}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := testEngine(t, nil)
			r := base()
			r.Devices = tc.devices
			v, _ := findingOf(evaluate(t, e, "A", r), wire.RuleIsolationBreach)
			if got := routeRows(v); !slices.Equal(got, tc.want) {
				t.Errorf("route evidence %q, want %q", got, tc.want)
			}
			for _, ev := range v.Evidence {
				if strings.Contains(fmt.Sprint(ev.Detail["reason"]), "routes toward the extranet or internet") {
					t.Errorf("old catch-all reason: %v", ev.Detail)
				}
			}
		})
	}
}

// TestDeviceDedupe: a device walked at several addresses is one device in
// every rule; different boxes with the same name are not merged.
func TestDeviceDedupe(t *testing.T) {
	carrier := wire.Route{Destination: "0.0.0.0/0", NextHop: "203.0.113.1", IfIndex: 2, Protocol: 3}
	other := classifiedRouter("10.9.1.1", carrier)
	other.Interfaces[0].MAC = "02:00:00:00:09:09"
	v3a, v3b := classifiedRouter("10.1.0.1", carrier), classifiedRouter("10.9.1.1", carrier)
	v3a.EngineID, v3b.EngineID = "80001f8880aa", "80001f8880aa"
	v3b.Interfaces[0].MAC = "" // MACs differ, the engine id decides
	cases := []struct {
		name    string
		devices []wire.DeviceInventory
		rows    int // route evidence rows of the internet-egress finding
	}{
		{"walked once", []wire.DeviceInventory{classifiedRouter("10.1.0.1", carrier)}, 1},
		{"same sysName and MACs at two addresses", []wire.DeviceInventory{classifiedRouter("10.1.0.1", carrier), classifiedRouter("10.9.1.1", carrier)}, 1},
		{"same SNMPv3 engine id and sysName", []wire.DeviceInventory{v3a, v3b}, 1},
		{"same sysName, other MACs: two boxes", []wire.DeviceInventory{classifiedRouter("10.1.0.1", carrier), other}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := testEngine(t, nil)
			r := base()
			r.Devices = tc.devices
			v, ok := findingOf(evaluate(t, e, "A", r), wire.RuleInternetEgress)
			if !ok {
				t.Fatal("no internet-egress finding")
			}
			n := 0
			for _, ev := range v.Evidence {
				if ev.Method == "snmp-route" {
					n++
				}
			}
			if n != tc.rows {
				t.Errorf("%d route rows, want %d: %+v", n, tc.rows, v.Evidence)
			}
		})
	}
}

// TestAddressOutsidePlanEvidence: the reason says what was seen (in the
// scan scope or on the LAN, outside the allocation), in both languages,
// and the address-allocation articles are cited where a pack has one.
func TestAddressOutsidePlanEvidence(t *testing.T) {
	cases := []struct {
		name     string
		packs    []string
		articles []string
	}{
		{"yangpu alone", []string{"yangpu-2021"}, []string{"yangpu-2021 第二十条"}},
		{"taiyuan and shanghai cite art. 14", []string{"yangpu-2021", "taiyuan-2013", "shanghai-2012"},
			[]string{"yangpu-2021 第二十条", "taiyuan-2013 第十四条", "shanghai-2012 第十四条"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := testEngine(t, tc.packs)
			r := base()
			r.Scope = []string{"10.1.0.0/23"}
			r.Endpoints = []wire.Endpoint{{IP: "10.1.1.7", SeenBy: []string{wire.MethodICMP}, Role: "workstation"}}
			v, ok := findingOf(evaluate(t, e, "A", r), wire.RuleAddressOutsidePlan)
			if !ok {
				t.Fatal("no finding")
			}
			var got []string
			for _, c := range v.Citations {
				got = append(got, c.Pack+" "+c.Article)
				if c.Article == "第十四条" && !strings.Contains(c.Text, "IP地址分配") {
					t.Errorf("%s art. 14 text: %q", c.Pack, c.Text)
				}
			}
			if !slices.Equal(got, tc.articles) {
				t.Errorf("citations %q, want %q", got, tc.articles)
			}
			d := v.Evidence[0].Detail
			if en, _ := d["reason"].(string); strings.Contains(en, "inside the department's network") || !strings.Contains(en, "outside its allocated prefixes") {
				t.Errorf("reason %q", en)
			}
			if zh, _ := d["reason_zh"].(string); !strings.Contains(zh, "不在本部门分配的地址段内") {
				t.Errorf("reason_zh %q", zh)
			}
		})
	}
}

// TestEvidenceReasonsAreCodes: every network-rule evidence row carries a
// reason code with both templates, and the plain texts beside it are that
// code's templates filled in (no English sentence is parsed back).
func TestEvidenceReasonsAreCodes(t *testing.T) {
	e := districtEngine(t)
	vs, err := e.EvaluateReports(context.Background(), loadReports(t))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range vs {
		for _, ev := range v.Evidence {
			code, _ := ev.Detail[terms.KeyCode].(string)
			if _, ok := terms.Reason(code).Template(); !ok {
				if v.Rule != wire.RuleUnlicensedSoftware && v.Rule != wire.RuleLicenseOverDeployment && v.Rule != wire.RuleUnfiledSoftware {
					t.Errorf("%s %s %s: no known reason code (%q)", v.Rule, v.Subject, ev.Method, code)
				}
				continue
			}
			n++
			en, _ := ev.Detail[terms.KeyEN].(string)
			zh, _ := ev.Detail[terms.KeyZH].(string)
			if en != terms.Reason(code).Render(ev.Detail, terms.EN) || zh != terms.Reason(code).Render(ev.Detail, terms.ZH) || zh == "" || en == zh {
				t.Errorf("%s %s: code %s renders other texts than en %q zh %q", v.Rule, v.Subject, code, en, zh)
			}
		}
	}
	if n == 0 {
		t.Fatal("no evidence with a reason")
	}
}

// TestPrivateLinkAgentHost: the agent host's own connected routes and
// internal bridges are not private links; a second NIC, a route via a next
// hop or a tunnel still are.
func TestPrivateLinkAgentHost(t *testing.T) {
	cases := []struct {
		name string
		ifs  []wire.HostInterface
		rts  []wire.HostRoute
		want []string
	}{
		{"IPv6 ULA on the department LAN", []wire.HostInterface{{Name: "eth0", Addresses: []string{"10.1.0.10/24", "fd00::10/64"}, Up: true, Type: "ethernet"}},
			[]wire.HostRoute{{Destination: "fd00::/64", Interface: "eth0"}}, nil},
		{"docker bridge", []wire.HostInterface{{Name: "docker0", Addresses: []string{"172.17.0.1/16"}, Up: true, Type: "ethernet"}},
			[]wire.HostRoute{{Destination: "172.17.0.0/16", Interface: "docker0"}}, nil},
		{"libvirt bridge", []wire.HostInterface{{Name: "virbr0", Addresses: []string{"192.168.122.1/24"}, Up: true, Type: "ethernet"}},
			[]wire.HostRoute{{Destination: "192.168.122.0/24", Interface: "virbr0"}}, nil},
		{"connected route alone", nil, []wire.HostRoute{{Destination: "192.168.77.0/24", Interface: "eth0"}}, nil},
		{"second NIC into another network", []wire.HostInterface{{Name: "eth1", Addresses: []string{"192.168.50.10/24"}, Up: true, Type: "ethernet"}},
			[]wire.HostRoute{{Destination: "192.168.50.0/24", Interface: "eth1"}}, []string{"private-link 192.168.50.10"}},
		{"route via a next hop into a known private network", nil,
			[]wire.HostRoute{{Destination: "172.20.0.0/16", Gateway: "10.1.0.254", Interface: "eth0"}}, []string{"private-link 172.20.0.0/16"}},
		{"tunnel interface", []wire.HostInterface{{Name: "wg0", Addresses: []string{"192.168.200.2/24"}, Up: true, Type: "tunnel"}},
			nil, []string{"private-link 192.168.200.2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := testEngine(t, nil)
			r := base()
			r.Host.Interfaces = append(r.Host.Interfaces, tc.ifs...)
			r.Host.Routes = append(r.Host.Routes, tc.rts...)
			var got []string
			for _, v := range evaluate(t, e, "A", r) {
				if v.Rule == wire.RulePrivateLink {
					got = append(got, v.Rule+" "+v.Subject)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
