package rules

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/internal/plan"
	"github.com/egovnet/egovnet/internal/wire"
)

const testPlan = `
district: {code: "310110", name: "杨浦区"}
packs: [yangpu-2021]
extranet: {prefixes: ["10.0.0.0/8"], uplink_next_hops: ["10.255.0.1"]}
egress: {sanctioned: ["198.51.100.1"]}
cloud: {prefixes: ["10.200.0.0/16"]}
probes: {internet: ["203.0.113.10"], extranet: ["10.255.255.10"]}
private_networks:
  - {name: "公安网", prefixes: ["172.20.0.0/16"], sentinels: ["172.20.0.1"]}
departments:
  - {code: A, name: "甲局", prefixes: ["10.1.0.0/24"], classified_prefixes: ["10.9.1.0/24"]}
  - {code: B, name: "乙局", prefixes: ["10.2.0.0/24"]}
  - {code: R, name: "登记局", prefixes: ["10.3.0.0/24"], registered_internet_exit: true}
websites: {approved: ["portal.gov.cn"]}
`

var at = time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)

func testEngine(t *testing.T, packs []string, opts ...Option) *Engine {
	t.Helper()
	p, err := plan.Parse([]byte(testPlan), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if packs != nil {
		p.Packs = packs
	}
	e, err := NewEngine(p, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// base is an agent at 10.1.0.10 scanning department A.
func base() *wire.ScanReport {
	return &wire.ScanReport{Schema: wire.SchemaScanV1, ReportID: "r1", Agent: wire.Agent{ID: "ag", Hostname: "ag", Department: "A"},
		StartedAt: at.Add(-time.Minute), FinishedAt: at, Scope: []string{"10.1.0.0/24"},
		Host: &wire.Host{Interfaces: []wire.HostInterface{{Name: "eth0", Addresses: []string{"10.1.0.10/24"}, Up: true, Type: "ethernet"}},
			Routes: []wire.HostRoute{{Destination: "0.0.0.0/0", Gateway: "10.1.0.1", Interface: "eth0"}}}}
}

func router(ifs []wire.Interface, ips []wire.IPAddress, routes []wire.Route) wire.DeviceInventory {
	all := append([]wire.Interface{{Index: 1, Name: "GE0/0/0", Type: 6, OperStatus: 1}, {Index: 2, Name: "GE0/0/1", Type: 6, OperStatus: 1}}, ifs...)
	allIPs := append([]wire.IPAddress{{Address: "10.1.0.1", PrefixLen: 24, IfIndex: 1}, {Address: "10.255.0.2", PrefixLen: 30, IfIndex: 2}}, ips...)
	return wire.DeviceInventory{Target: "10.1.0.1:161", System: wire.System{Name: "rtr"}, Interfaces: all, IPAddresses: allIPs, Routes: routes}
}

func path(target, kind string, reachable bool, hops ...string) wire.Path {
	p := wire.Path{Target: target, Kind: kind, Reachable: reachable}
	for i, h := range hops {
		p.Hops = append(p.Hops, wire.Hop{TTL: i + 1, Address: h})
	}
	return p
}

// found lists "rule subject" of the violations, sorted.
func found(t *testing.T, e *Engine, dept string, reps ...*wire.ScanReport) []string {
	t.Helper()
	vs, err := e.Evaluate(context.Background(), Input{Department: dept, Reports: reps})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range vs {
		out = append(out, v.Rule+" "+v.Subject)
	}
	sort.Strings(out)
	return out
}

type signalCase struct {
	name   string
	dept   string
	mod    func(r *wire.ScanReport)
	want   []string // "rule subject"; nil = nothing
	packs  []string
	opts   []Option
	assert func(t *testing.T, vs []wire.Violation)
}

func runCases(t *testing.T, cases []signalCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := testEngine(t, tc.packs, tc.opts...)
			r := base()
			dept := tc.dept
			if dept == "" {
				dept = "A"
			}
			r.Agent.Department = dept
			tc.mod(r)
			got := found(t, e, dept, r)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
			if tc.assert != nil {
				vs, _ := e.Evaluate(context.Background(), Input{Department: dept, Reports: []*wire.ScanReport{r}})
				tc.assert(t, vs)
			}
		})
	}
}

func TestInternetEgressSignals(t *testing.T) {
	runCases(t, []signalCase{
		{name: "clean: default via the uplink, path through the central exit", mod: func(r *wire.ScanReport) {
			r.Devices = []wire.DeviceInventory{router(nil, nil, []wire.Route{{Destination: "0.0.0.0/0", NextHop: "10.255.0.1", IfIndex: 2}})}
			r.Paths = []wire.Path{path("203.0.113.10", "internet", true, "10.1.0.1", "10.255.0.1", "198.51.100.1", "203.0.113.10")}
		}},
		{name: "device default route via a carrier", mod: func(r *wire.ScanReport) {
			r.Devices = []wire.DeviceInventory{router(nil, nil, []wire.Route{{Destination: "0.0.0.0/0", NextHop: "203.0.113.1", IfIndex: 3}})}
		}, want: []string{"internet-egress 203.0.113.1"}},
		{name: "public-prefix route via a non-uplink", mod: func(r *wire.ScanReport) {
			r.Devices = []wire.DeviceInventory{router(nil, nil, []wire.Route{{Destination: "198.18.0.0/15", NextHop: "192.168.9.1", IfIndex: 3}})}
		}, want: []string{"internet-egress 192.168.9.1"}},
		{name: "host default route through a ppp line, no gateway", mod: func(r *wire.ScanReport) {
			r.Host.Routes = []wire.HostRoute{{Destination: "0.0.0.0/0", Interface: "ppp0"}}
		}, want: []string{"internet-egress ag ppp0"}},
		{name: "host default via the department router is delegation", mod: func(r *wire.ScanReport) {
			r.Host.Routes = []wire.HostRoute{{Destination: "0.0.0.0/0", Gateway: "10.1.0.254"}}
		}},
		{name: "public address on a department interface", mod: func(r *wire.ScanReport) {
			r.Devices = []wire.DeviceInventory{router([]wire.Interface{{Index: 3, Name: "GE0/0/2", Type: 6, OperStatus: 1}},
				[]wire.IPAddress{{Address: "192.0.2.6", PrefixLen: 30, IfIndex: 3}}, nil)}
		}, want: []string{"internet-egress 192.0.2.6"}},
		{name: "sanctioned egress address on an interface is fine", mod: func(r *wire.ScanReport) {
			r.Devices = []wire.DeviceInventory{router(nil, []wire.IPAddress{{Address: "198.51.100.1", PrefixLen: 32, IfIndex: 2}}, nil)}
		}},
		{name: "path leaves at a public hop", mod: func(r *wire.ScanReport) {
			r.Paths = []wire.Path{path("203.0.113.10", "", true, "10.1.0.1", "", "203.0.113.65", "203.0.113.10")}
		}, want: []string{"internet-egress 203.0.113.65"}},
		{name: "path leaves at the target itself after a department hop", mod: func(r *wire.ScanReport) {
			r.Paths = []wire.Path{path("203.0.113.10", "internet", true, "10.1.0.1", "203.0.113.10")}
		}, want: []string{"internet-egress 10.1.0.1"}},
		{name: "silent central exit: target right after the uplink", mod: func(r *wire.ScanReport) {
			r.Paths = []wire.Path{path("203.0.113.10", "internet", true, "10.1.0.1", "10.255.0.1", "", "203.0.113.10")}
		}},
		{name: "extranet paths are not internet exits", mod: func(r *wire.ScanReport) {
			r.Paths = []wire.Path{path("10.255.255.10", "extranet", true, "10.1.0.1", "203.0.113.99", "10.255.255.10")}
		}},
		{name: "carrier CPE as LLDP neighbour", mod: func(r *wire.ScanReport) {
			d := router(nil, nil, nil)
			d.Neighbors = []wire.Neighbor{{Protocol: "lldp", LocalIfIndex: 3, SysName: "HG8245H-光猫"}}
			r.Devices = []wire.DeviceInventory{d}
		}, want: []string{"internet-egress rtr (10.1.0.1) ↔ HG8245H-光猫"}},
		{name: "extranet core as LLDP neighbour is fine", mod: func(r *wire.ScanReport) {
			d := router(nil, nil, nil)
			d.Neighbors = []wire.Neighbor{{Protocol: "lldp", LocalIfIndex: 2, SysName: "yp-core-01", Address: "10.255.0.1"}}
			r.Devices = []wire.DeviceInventory{d}
		}},
		{name: "all signals of one exit make one critical finding", mod: func(r *wire.ScanReport) {
			d := router([]wire.Interface{{Index: 3, Name: "GE0/0/2", Type: 6, OperStatus: 1}}, []wire.IPAddress{{Address: "203.0.113.66", PrefixLen: 30, IfIndex: 3}},
				[]wire.Route{{Destination: "0.0.0.0/0", NextHop: "203.0.113.65", IfIndex: 3}})
			d.Neighbors = []wire.Neighbor{{Protocol: "cdp", LocalIfIndex: 3, SysName: "CPE", Address: "203.0.113.65"}}
			r.Devices = []wire.DeviceInventory{d}
			r.Paths = []wire.Path{path("203.0.113.10", "internet", true, "10.1.0.1", "203.0.113.65", "203.0.113.10")}
		}, want: []string{"internet-egress 203.0.113.65"}, assert: func(t *testing.T, vs []wire.Violation) {
			if vs[0].Severity != wire.SeverityCritical || len(vs[0].Evidence) < 4 || vs[0].Registered {
				t.Errorf("severity %s, %d evidence, registered %v", vs[0].Severity, len(vs[0].Evidence), vs[0].Registered)
			}
		}},
		{name: "a device whose tables describe another network is left out", mod: func(r *wire.ScanReport) {
			r.Devices = []wire.DeviceInventory{{Target: "10.1.0.30:161", IPAddresses: []wire.IPAddress{{Address: "192.168.1.1", PrefixLen: 24, IfIndex: 1}, {Address: "3.3.3.3", PrefixLen: 32, IfIndex: 2}},
				Routes: []wire.Route{{Destination: "0.0.0.0/0", NextHop: "192.168.1.254", IfIndex: 1}}}}
		}},
		{name: "... unless foreign devices are trusted", opts: []Option{WithPatterns(func() Patterns { p := DefaultPatterns(); p.TrustForeignDevices = true; return p }())},
			mod: func(r *wire.ScanReport) {
				r.Devices = []wire.DeviceInventory{{Target: "10.1.0.30:161", IPAddresses: []wire.IPAddress{{Address: "3.3.3.3", PrefixLen: 32, IfIndex: 2}}}}
			}, want: []string{"internet-egress 3.3.3.3"}},
		{name: "a VRRP address inside the device's subnet is consistent", mod: func(r *wire.ScanReport) {
			d := router(nil, nil, []wire.Route{{Destination: "0.0.0.0/0", NextHop: "203.0.113.1", IfIndex: 3}})
			d.Target = "10.1.0.254:161"
			r.Devices = []wire.DeviceInventory{d}
		}, want: []string{"internet-egress 203.0.113.1"}},
		{name: "registered exit: still a finding, labelled, one step lower", dept: "R", mod: func(r *wire.ScanReport) {
			r.Scope = []string{"10.3.0.0/24"}
			r.Host.Interfaces[0].Addresses = []string{"10.3.0.10/24"}
			r.Host.Routes[0].Gateway = "10.3.0.1"
			r.Paths = []wire.Path{path("203.0.113.10", "internet", true, "10.3.0.1", "192.0.2.1", "203.0.113.10")}
		}, want: []string{"internet-egress 192.0.2.1"}, assert: func(t *testing.T, vs []wire.Violation) {
			if !vs[0].Registered || vs[0].Severity != wire.SeverityMedium || !strings.Contains(vs[0].Title, "已登记") {
				t.Errorf("%+v", vs[0])
			}
		}},
	})
}

func TestPrivateLinkSignals(t *testing.T) {
	runCases(t, []signalCase{
		{name: "route to a known private network", mod: func(r *wire.ScanReport) {
			r.Devices = []wire.DeviceInventory{router(nil, nil, []wire.Route{{Destination: "172.20.0.0/16", NextHop: "10.1.0.254", IfIndex: 1}})}
		}, want: []string{"private-link 172.20.0.0/16"}},
		{name: "route to a private network through the extranet uplink is fine", mod: func(r *wire.ScanReport) {
			r.Devices = []wire.DeviceInventory{router(nil, nil, []wire.Route{{Destination: "172.20.0.0/16", NextHop: "10.255.0.1", IfIndex: 2}})}
		}},
		{name: "route to a prefix outside every plan prefix", mod: func(r *wire.ScanReport) {
			r.Devices = []wire.DeviceInventory{router(nil, nil, []wire.Route{{Destination: "192.168.50.0/24", NextHop: "10.1.0.253", IfIndex: 1}})}
		}, want: []string{"private-link 192.168.50.0/24"}},
		{name: "routes inside the plan are fine", mod: func(r *wire.ScanReport) {
			r.Devices = []wire.DeviceInventory{router(nil, nil, []wire.Route{{Destination: "10.200.0.0/16", NextHop: "10.1.0.253", IfIndex: 1},
				{Destination: "10.2.0.0/24", NextHop: "10.1.0.253", IfIndex: 1}, {Destination: "10.1.0.0/24", IfIndex: 1}})}
		}},
		{name: "tunnel interface (ifType 131)", mod: func(r *wire.ScanReport) {
			r.Devices = []wire.DeviceInventory{router([]wire.Interface{{Index: 9, Name: "Tunnel0", Type: 131, OperStatus: 1}}, nil, nil)}
		}, want: []string{"private-link rtr (10.1.0.1) Tunnel0"}},
		{name: "PPP and serial lines (ifType 23, 108, 22)", mod: func(r *wire.ScanReport) {
			r.Devices = []wire.DeviceInventory{router([]wire.Interface{{Index: 7, Name: "Mp-group1", Type: 108, OperStatus: 1}, {Index: 8, Name: "Serial0", Type: 22, OperStatus: 1},
				{Index: 9, Name: "Virtual-Template1", Type: 23, OperStatus: 1}}, nil, nil)}
		}, want: []string{"private-link rtr (10.1.0.1) Mp-group1", "private-link rtr (10.1.0.1) Serial0", "private-link rtr (10.1.0.1) Virtual-Template1"}},
		{name: "a down tunnel is not counted", mod: func(r *wire.ScanReport) {
			r.Devices = []wire.DeviceInventory{router([]wire.Interface{{Index: 9, Name: "Tunnel0", Type: 131, OperStatus: 2}}, nil, nil)}
		}},
		{name: "alias naming a line (专线)", mod: func(r *wire.ScanReport) {
			r.Devices = []wire.DeviceInventory{router([]wire.Interface{{Index: 5, Name: "GE0/0/3", Type: 6, Alias: "至市人社局专线", OperStatus: 1}}, nil, nil)}
		}, want: []string{"private-link rtr (10.1.0.1) GE0/0/3"}},
		{name: "alias MPLS VPN on the extranet uplink is the extranet itself", mod: func(r *wire.ScanReport) {
			d := router(nil, nil, nil)
			d.Interfaces[1].Alias = "uplink MPLS VPN"
			r.Devices = []wire.DeviceInventory{d}
		}},
		{name: "configurable line names", opts: []Option{WithPatterns(func() Patterns { p := DefaultPatterns(); p.LineAliases = []string{`SH-GA-\d+`}; return p }())},
			mod: func(r *wire.ScanReport) {
				r.Devices = []wire.DeviceInventory{router([]wire.Interface{{Index: 5, Name: "GE0/0/3", Type: 6, Alias: "circuit SH-GA-0021", OperStatus: 1}}, nil, nil)}
			}, want: []string{"private-link rtr (10.1.0.1) GE0/0/3"}},
		{name: "tunnel on the agent host", mod: func(r *wire.ScanReport) {
			r.Host.Interfaces = append(r.Host.Interfaces, wire.HostInterface{Name: "tun0", Up: true, Type: "tunnel"})
		}, want: []string{"private-link ag tun0"}},
		{name: "sentinel of a known private network answers", mod: func(r *wire.ScanReport) {
			r.Paths = []wire.Path{path("172.20.0.1", "private", true, "10.1.0.1", "172.20.0.1")}
		}, want: []string{"private-link 172.20.0.0/16"}},
		{name: "sentinel not answering", mod: func(r *wire.ScanReport) {
			r.Paths = []wire.Path{path("172.20.0.1", "private", false, "10.1.0.1")}
		}},
		{name: "an endpoint answering inside a private network", mod: func(r *wire.ScanReport) {
			r.Endpoints = []wire.Endpoint{{IP: "172.20.3.4", SeenBy: []string{"icmp"}, Role: "unknown"}}
		}, want: []string{"private-link 172.20.0.0/16"}},
		{name: "VPN services (IKE, PPTP)", mod: func(r *wire.ScanReport) {
			r.Endpoints = []wire.Endpoint{{IP: "10.1.0.99", SeenBy: []string{"udp"}, UDPPorts: []int{500, 4500}, Role: "unknown"},
				{IP: "10.1.0.98", SeenBy: []string{"tcp"}, OpenPorts: []int{1723}, Role: "unknown"},
				{IP: "10.1.0.97", SeenBy: []string{"tcp"}, OpenPorts: []int{22, 443}, Role: "server"}}
		}, want: []string{"local-server 10.1.0.97", "private-link 10.1.0.98", "private-link 10.1.0.99"}},
		{name: "agent host with a NIC in a private network", mod: func(r *wire.ScanReport) {
			r.Host.Interfaces = append(r.Host.Interfaces, wire.HostInterface{Name: "eth1", Addresses: []string{"172.20.9.9/24"}, Up: true})
		}, want: []string{"private-link 172.20.0.0/16"}},
		{name: "one MAC in the department and outside the plan", mod: func(r *wire.ScanReport) {
			r.Endpoints = []wire.Endpoint{{IP: "10.1.0.50", MAC: "AA:BB:CC:00:00:01", Role: "workstation"}, {IP: "192.168.7.50", MAC: "aa:bb:cc:00:00:01", Role: "workstation"}}
		}, want: []string{"private-link 192.168.7.50"}},
		{name: "approved legacy line: exempted, registered, lower", mod: func(r *wire.ScanReport) {
			r.Devices = []wire.DeviceInventory{router(nil, nil, []wire.Route{{Destination: "172.20.0.0/16", NextHop: "10.1.0.254", IfIndex: 1}})}
		}, want: []string{"private-link 172.20.0.0/16"}, opts: nil, assert: func(t *testing.T, vs []wire.Violation) {
			if vs[0].Status != wire.StatusOpen || vs[0].Registered {
				t.Errorf("without an exemption: %+v", vs[0])
			}
		}},
	})
	// The same line under a plan exemption.
	e := testEngine(t, nil)
	e.plan.Exemptions = []plan.Exemption{{Rule: wire.RulePrivateLink, Department: "A", Subject: "172.20.0.0/16", Basis: "国家另有规定", Approver: "张三",
		Expires: time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)}}
	r := base()
	r.Devices = []wire.DeviceInventory{router(nil, nil, []wire.Route{{Destination: "172.20.0.0/16", NextHop: "10.1.0.254", IfIndex: 1}})}
	vs, _ := e.Evaluate(context.Background(), Input{Department: "A", Reports: []*wire.ScanReport{r}})
	if len(vs) != 1 || vs[0].Status != wire.StatusExempted || !vs[0].Registered || vs[0].Severity != wire.SeverityMedium || vs[0].Exemption.Basis != "国家另有规定" {
		t.Errorf("exempted line: %+v", vs)
	}
	r.FinishedAt = time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC)
	vs, _ = e.Evaluate(context.Background(), Input{Department: "A", Reports: []*wire.ScanReport{r}})
	if len(vs) != 1 || vs[0].Status != wire.StatusOpen || vs[0].Exemption != nil {
		t.Errorf("after the exemption's expiry: %+v", vs)
	}
}

func classified(r *wire.ScanReport) {
	r.Scope = []string{"10.9.1.0/24"}
	r.Host.Interfaces[0].Addresses = []string{"10.9.1.10/24"}
	r.Host.Routes = []wire.HostRoute{{Destination: "0.0.0.0/0", Gateway: "10.9.1.1"}, {Destination: "10.9.1.0/24", Interface: "eth0"}}
}

func TestIsolationBreachSignals(t *testing.T) {
	runCases(t, []signalCase{
		{name: "isolated classified segment", mod: func(r *wire.ScanReport) {
			classified(r)
			r.Paths = []wire.Path{path("203.0.113.10", "internet", false, "10.9.1.1")}
		}},
		{name: "classified segment reaches the internet", mod: func(r *wire.ScanReport) {
			classified(r)
			r.Paths = []wire.Path{path("203.0.113.10", "internet", true, "10.9.1.1", "10.1.0.1", "10.255.0.1", "198.51.100.1", "203.0.113.10")}
		}, want: []string{"isolation-breach 10.9.1.0/24"}, assert: func(t *testing.T, vs []wire.Violation) {
			if vs[0].Severity != wire.SeverityCritical {
				t.Errorf("severity %s", vs[0].Severity)
			}
		}},
		{name: "classified segment reaches the extranet", mod: func(r *wire.ScanReport) {
			classified(r)
			r.Paths = []wire.Path{path("10.255.255.10", "extranet", true, "10.9.1.1", "10.255.255.10")}
		}, want: []string{"isolation-breach 10.9.1.0/24"}},
		{name: "classified host routes toward the extranet", mod: func(r *wire.ScanReport) {
			classified(r)
			r.Host.Routes = append(r.Host.Routes, wire.HostRoute{Destination: "10.0.0.0/8", Gateway: "10.9.1.254"})
		}, want: []string{"isolation-breach 10.9.1.0/24"}},
		{name: "classified host default route leaving the segment", mod: func(r *wire.ScanReport) {
			classified(r)
			r.Host.Routes = []wire.HostRoute{{Destination: "0.0.0.0/0", Gateway: "10.1.0.1"}}
		}, want: []string{"isolation-breach 10.9.1.0/24"}},
		{name: "classified address answers an extranet-side scan", mod: func(r *wire.ScanReport) {
			r.Scope = []string{"10.1.0.0/24", "10.9.1.0/24"}
			r.Endpoints = []wire.Endpoint{{IP: "10.9.1.20", SeenBy: []string{"icmp"}, Role: "workstation"}}
		}, want: []string{"isolation-breach 10.9.1.0/24"}},
		{name: "one machine in both networks", mod: func(r *wire.ScanReport) {
			r.Host.Interfaces = append(r.Host.Interfaces, wire.HostInterface{Name: "eth1", Addresses: []string{"10.9.1.33/24"}, Up: true})
		}, want: []string{"isolation-breach 10.9.1.0/24"}},
		{name: "a department without classified segments", dept: "B", mod: func(r *wire.ScanReport) {
			r.Scope = []string{"10.2.0.0/24"}
			r.Host.Interfaces[0].Addresses = []string{"10.2.0.10/24"}
			r.Host.Routes[0].Gateway = "10.2.0.1"
			r.Paths = []wire.Path{path("203.0.113.10", "internet", true, "10.2.0.1", "10.255.0.1", "198.51.100.1", "203.0.113.10")}
		}},
	})
}

func TestHostSignals(t *testing.T) {
	ep := func(ip, role string, http ...wire.HTTPInfo) wire.Endpoint {
		return wire.Endpoint{IP: ip, SeenBy: []string{"icmp", "tcp"}, Role: role, HTTP: http}
	}
	site := wire.HTTPInfo{Port: 80, Title: "甲局门户", Server: "nginx", Status: 200}
	runCases(t, []signalCase{
		{name: "server on department premises", mod: func(r *wire.ScanReport) {
			r.Endpoints = []wire.Endpoint{ep("10.1.0.20", "server"), ep("10.1.0.21", "workstation"), ep("10.1.0.10", "server")}
		}, want: []string{"local-server 10.1.0.20"}},
		{name: "a walked router guessed as a server is network equipment", mod: func(r *wire.ScanReport) {
			r.Endpoints = []wire.Endpoint{ep("10.1.0.1", "server", wire.HTTPInfo{Port: 80, Title: "czj-r status", Status: 200})}
			r.Devices = []wire.DeviceInventory{router(nil, nil, []wire.Route{{Destination: "0.0.0.0/0", NextHop: "10.255.0.1", IfIndex: 2}})}
		}},
		{name: "servers on the cloud and in classified segments are fine", mod: func(r *wire.ScanReport) {
			r.Scope = append(r.Scope, "10.200.1.0/24")
			r.Endpoints = []wire.Endpoint{ep("10.200.1.5", "server"), ep("10.9.1.5", "server")}
		}, want: []string{"isolation-breach 10.9.1.0/24"}},
		{name: "cloud ratio in the evidence", mod: func(r *wire.ScanReport) {
			r.Endpoints = []wire.Endpoint{ep("10.1.0.20", "server"), ep("10.200.1.5", "server"), ep("10.200.1.6", "server"), ep("10.200.1.7", "server")}
		}, want: []string{"local-server 10.1.0.20"}, assert: func(t *testing.T, vs []wire.Violation) {
			if r := vs[0].Evidence[0].Detail["cloud_ratio"]; r != 0.75 {
				t.Errorf("cloud ratio %v, want 0.75", r)
			}
		}},
		{name: "department website", mod: func(r *wire.ScanReport) {
			r.Endpoints = []wire.Endpoint{ep("10.1.0.30", "workstation", site)}
		}, want: []string{"department-website 10.1.0.30"}},
		{name: "management UIs, printers, errors and empty titles are not websites", mod: func(r *wire.ScanReport) {
			r.Endpoints = []wire.Endpoint{
				ep("10.1.0.31", "workstation", wire.HTTPInfo{Port: 443, Title: "H3C Web Management", Status: 200}),
				ep("10.1.0.32", "unknown", wire.HTTPInfo{Port: 80, Title: "RouterOS router configuration page"}),
				ep("10.1.0.33", "printer", wire.HTTPInfo{Port: 80, Title: "甲局打印"}),
				ep("10.1.0.34", "workstation", wire.HTTPInfo{Port: 80, Title: "Welcome", Server: "HUAWEI"}),
				ep("10.1.0.35", "workstation", wire.HTTPInfo{Port: 80, Title: "404 Not Found", Status: 404}),
				ep("10.1.0.36", "workstation", wire.HTTPInfo{Port: 80, Title: ""}),
				ep("10.1.0.37", "network", wire.HTTPInfo{Port: 80, Title: "Login"}),
			}
		}},
		{name: "approved hosting", mod: func(r *wire.ScanReport) {
			e := ep("10.1.0.30", "workstation", site)
			e.Hostname = "Portal.gov.cn."
			r.Endpoints = []wire.Endpoint{e}
		}},
		{name: "configurable management UI patterns", opts: []Option{WithPatterns(func() Patterns { p := DefaultPatterns(); p.ManagementUI = []string{"门户"}; return p }())},
			mod: func(r *wire.ScanReport) { r.Endpoints = []wire.Endpoint{ep("10.1.0.30", "workstation", site)} }},
		{name: "address in scope but outside the allocation", mod: func(r *wire.ScanReport) {
			r.Scope = []string{"10.1.0.0/23"}
			r.Endpoints = []wire.Endpoint{ep("10.1.1.7", "workstation"), ep("10.1.0.7", "workstation")}
		}, want: []string{"address-outside-plan 10.1.1.7"}},
		{name: "neighbour on the department LAN outside the allocation", mod: func(r *wire.ScanReport) {
			d := router(nil, nil, nil)
			d.ARP = []wire.ARPEntry{{IP: "192.168.1.20", MAC: "aa:00:00:00:00:01", IfIndex: 1}, {IP: "10.255.0.1", IfIndex: 2}, {IP: "10.1.0.21", IfIndex: 1}}
			r.Devices = []wire.DeviceInventory{d}
		}, want: []string{"address-outside-plan 192.168.1.20"}},
		{name: "public and cloud addresses are other rules' business", mod: func(r *wire.ScanReport) {
			r.Endpoints = []wire.Endpoint{{IP: "10.200.0.9", SeenBy: []string{"arp"}, Role: "workstation"}, {IP: "203.0.113.77", SeenBy: []string{"arp"}, Role: "workstation"}}
		}},
	})
}

func TestNewInfrastructureSignals(t *testing.T) {
	day0 := at.Add(-30 * 24 * time.Hour) // the department's first scan
	scan := func(when time.Time, eps []wire.Endpoint, devs ...wire.DeviceInventory) *wire.ScanReport {
		r := base()
		r.FinishedAt, r.StartedAt = when, when.Add(-time.Minute)
		r.Endpoints, r.Devices = eps, devs
		return r
	}
	winXP := wire.DeviceInventory{Target: "10.1.0.40:161", System: wire.System{Name: "sfj-win", ObjectID: "1.3.6.1.4.1.311.1.1.3.1.1", Descr: "Windows XP"},
		IPAddresses: []wire.IPAddress{{Address: "10.1.0.40", PrefixLen: 24, IfIndex: 1}}}
	huawei := wire.DeviceInventory{Target: "10.1.0.2:161", System: wire.System{Name: "sw", ObjectID: "1.3.6.1.4.1.2011.2.23.96"},
		IPAddresses: []wire.IPAddress{{Address: "10.1.0.2", PrefixLen: 24, IfIndex: 1}}}
	router := wire.Endpoint{IP: "10.1.0.1", Role: "network"}
	server := wire.Endpoint{IP: "10.1.0.20", Role: "server"}
	cases := []struct {
		name     string
		packs    []string
		baseline string // plan departments[].baseline
		reps     []*wire.ScanReport
		input    func(in *Input)
		want     []string
		kind     string
	}{
		{name: "no pack with a cutoff: no rule", packs: []string{"yangpu-2021"},
			reps: []*wire.ScanReport{scan(day0, nil), scan(at, []wire.Endpoint{router})}},
		{name: "day one: a single offline scan finds nothing new", packs: []string{"jiangmen-2017", "qiqihar-2018"},
			reps: []*wire.ScanReport{scan(at, []wire.Endpoint{router, server}, huawei)}},
		{name: "seen in the first scan is the estate; appearing later is new", packs: []string{"jiangmen-2017"},
			reps: []*wire.ScanReport{scan(day0, []wire.Endpoint{router}), scan(at, []wire.Endpoint{router, server, {IP: "10.1.0.21", Role: "workstation"}, {IP: "10.200.0.5", Role: "server"}})},
			input: func(in *Input) {
				in.Reports = in.Reports[1:] // the collector keeps only the latest report
				in.Baseline = day0
				in.FirstSeen = map[string]time.Time{"10.1.0.1": day0, "10.1.0.20": at, "10.1.0.21": at, "10.200.0.5": at}
			},
			want: []string{"new-infrastructure 10.1.0.20"}, kind: "server"},
		{name: "offline: two scans, the earlier one is the baseline", packs: []string{"jiangmen-2017"},
			reps: []*wire.ScanReport{scan(day0, []wire.Endpoint{router}), scan(at, []wire.Endpoint{router}, huawei)},
			want: []string{"new-infrastructure 10.1.0.2"}, kind: "network"},
		{name: "a workstation answering SNMP is not infrastructure", packs: []string{"jiangmen-2017"},
			reps: []*wire.ScanReport{scan(day0, nil), scan(at, []wire.Endpoint{{IP: "10.1.0.40", Role: "workstation", SysObjectID: "1.3.6.1.4.1.311.1.1.3.1.1"}}, winXP)}},
		{name: "a host of unknown role answering SNMP is not infrastructure", packs: []string{"jiangmen-2017"},
			reps: []*wire.ScanReport{scan(day0, nil), scan(at, nil, winXP)}},
		{name: "plan baseline: a single scan after it is judged", packs: []string{"jiangmen-2017"}, baseline: "2026-01-01",
			reps: []*wire.ScanReport{scan(at, []wire.Endpoint{router, {IP: "10.1.0.40", Role: "workstation"}}, winXP)},
			want: []string{"new-infrastructure 10.1.0.1"}, kind: "network"},
		{name: "plan baseline: seen on the baseline day is the estate", packs: []string{"jiangmen-2017"}, baseline: at.In(plan.ChinaTime).Format("2006-01-02"),
			reps: []*wire.ScanReport{scan(at, []wire.Endpoint{router})}},
		{name: "cite only the packs whose cutoff was passed", packs: []string{"qiqihar-2018", "jiangmen-2017"},
			reps: []*wire.ScanReport{scan(time.Date(2017, 3, 1, 0, 0, 0, 0, time.UTC), nil), scan(time.Date(2017, 6, 1, 0, 0, 0, 0, time.UTC), []wire.Endpoint{router})},
			want: []string{"new-infrastructure 10.1.0.1"}},
		{name: "appearing before the cutoff is not new", packs: []string{"jiangmen-2017"},
			reps: []*wire.ScanReport{scan(time.Date(2016, 3, 1, 0, 0, 0, 0, time.UTC), nil), scan(time.Date(2016, 12, 31, 15, 59, 0, 0, time.UTC), []wire.Endpoint{router})}},
		{name: "appearing on the cutoff day itself counts", packs: []string{"jiangmen-2017"},
			reps: []*wire.ScanReport{scan(time.Date(2016, 3, 1, 0, 0, 0, 0, time.UTC), nil), scan(time.Date(2016, 12, 31, 16, 0, 0, 0, time.UTC), []wire.Endpoint{router})},
			want: []string{"new-infrastructure 10.1.0.1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := plan.Parse([]byte(testPlan), "test.yaml")
			if err != nil {
				t.Fatal(err)
			}
			p.Packs = tc.packs
			p.Departments[0].Baseline = tc.baseline
			e, err := NewEngine(p)
			if err != nil {
				t.Fatal(err)
			}
			in := Input{Department: "A", Reports: tc.reps}
			if tc.input != nil {
				tc.input(&in)
			}
			vs, err := e.Evaluate(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range vs {
				if v.Rule != wire.RuleNewInfrastructure {
					continue
				}
				got = append(got, v.Rule+" "+v.Subject)
				if tc.kind != "" && v.Evidence[0].Detail["kind"] != tc.kind {
					t.Errorf("%s: kind %v, want %s", v.Subject, v.Evidence[0].Detail["kind"], tc.kind)
				}
				for _, c := range v.Citations {
					if slices.Contains(tc.packs, "qiqihar-2018") && c.Pack == "qiqihar-2018" && v.FirstSeen.Year() < 2018 {
						t.Errorf("cites %s, whose cutoff is after the first sighting", c.Pack)
					}
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// fakeLedger stands in for the ledger engineer's detector.
type fakeLedger struct{}

func (fakeLedger) Detect(_ context.Context, in Input) ([]Finding, error) {
	return []Finding{{Rule: wire.RuleUnlicensedSoftware, Department: in.Department, Subject: "Microsoft Office 2016",
		Evidence: []wire.Evidence{{Agent: "ag", Method: "dpkg", ObservedAt: at, Detail: map[string]any{"installs": 3}}}},
		{Rule: wire.RuleUnfiledSoftware, Department: in.Department, Subject: "达梦数据库 8", Severity: wire.SeverityLow}}, nil
}

func TestExtraDetectorsGetCitations(t *testing.T) {
	e := testEngine(t, []string{"yangpu-2021", "taiyuan-2013"})
	e.AddDetector(fakeLedger{})
	vs, err := e.Evaluate(context.Background(), Input{Department: "A", Reports: []*wire.ScanReport{base()}})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 {
		t.Fatalf("got %+v", vs)
	}
	if v := vs[0]; v.Rule != wire.RuleUnlicensedSoftware || len(v.Citations) != 2 || v.Citations[1].Article != "第二十九条" || v.Severity != wire.SeverityHigh {
		t.Errorf("unlicensed: %+v", v)
	}
	if v := vs[1]; v.Rule != wire.RuleUnfiledSoftware || len(v.Citations) != 1 || v.Severity != wire.SeverityLow || v.FirstSeen.IsZero() {
		t.Errorf("unfiled (only Yangpu art. 33 requires filing): %+v", v)
	}
	// A pack set that cites no software rule drops the ledger's findings.
	e2 := testEngine(t, []string{"shanghai-extranet-2020"}, WithDetector(fakeLedger{}))
	if vs, _ := e2.Evaluate(context.Background(), Input{Department: "A", Reports: []*wire.ScanReport{base()}}); len(vs) != 0 {
		t.Errorf("rules no enabled pack cites must not appear: %+v", vs)
	}
}

func TestEngineErrors(t *testing.T) {
	if _, err := NewEngine(nil); err == nil {
		t.Error("nil plan accepted")
	}
	p, _ := plan.Parse([]byte(testPlan), "t.yaml")
	if _, err := NewEngine(p, WithPatterns(Patterns{LineAliases: []string{"("}})); err == nil || !strings.Contains(err.Error(), "line_aliases[0]") {
		t.Errorf("bad pattern: %v", err)
	}
	e := testEngine(t, nil)
	if _, err := e.Evaluate(context.Background(), Input{Department: "ZZ"}); err == nil {
		t.Error("unknown department accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Evaluate(ctx, Input{Department: "A", Reports: []*wire.ScanReport{base()}}); err == nil {
		t.Error("cancelled context ignored")
	}
}
