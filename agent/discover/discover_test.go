package discover

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/egovnet/egovnet/internal/wire"
)

var (
	scope24 = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	all     = map[string]bool{"icmp": true, "tcp": true, "udp": true, "arp": true, "snmp": true, "path": true, "host": true, "http": true}
)

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func agent() wire.Agent {
	return wire.Agent{ID: "ag-1", Hostname: "h", Version: "dev", Department: "CZJ"}
}

func find(t *testing.T, r *wire.ScanReport, ip string) wire.Endpoint {
	t.Helper()
	for _, e := range r.Endpoints {
		if e.IP == ip {
			return e
		}
	}
	t.Fatalf("endpoint %s missing in %+v", ip, r.Endpoints)
	return wire.Endpoint{}
}

func TestMergeSignals(t *testing.T) {
	var snmpLive, udpLive []netip.Addr
	var webAsked []WebTarget
	m := Methods{
		ICMP: func(ctx context.Context, s []netip.Prefix) (Batch, error) {
			return Batch{Probed: 254, Alive: []Alive{
				{Addr: addr("192.0.2.10"), RTT: 3 * time.Millisecond},
				{Addr: addr("192.0.2.20"), RTT: time.Millisecond},
				{Addr: addr("198.51.100.1"), RTT: time.Millisecond}, // out of scope: ignored
			}}, nil
		},
		ARP: func(ctx context.Context, s []netip.Prefix) (Batch, error) {
			return Batch{Probed: 254, Neighbors: []Neighbor{
				{Addr: addr("192.0.2.10"), MAC: "00:e0:fc:00:00:10"},
				{Addr: addr("192.0.2.30"), MAC: "00:0f:e2:00:00:30"},
				{Addr: addr("10.9.9.9"), MAC: "00:0f:e2:00:00:99"},   // out of scope
				{Addr: addr("192.0.2.31"), MAC: "00:00:00:00:00:00"}, // incomplete entry: proves nothing
			}}, nil
		},
		TCP: func(ctx context.Context, s []netip.Addr, ports []int) (Batch, error) {
			return Batch{Probed: 254, Ports: []Ports{
				{Addr: addr("192.0.2.10"), Open: []int{443, 22}, RTT: 2 * time.Millisecond},
				{Addr: addr("192.0.2.40"), Closed: []int{22}}, // refused proves life
				{Addr: addr("192.0.2.50")},                    // nothing: not alive
			}}, nil
		},
		UDP: func(ctx context.Context, live []netip.Addr) (Batch, error) {
			udpLive = live
			return Batch{Services: []Service{
				{Addr: addr("192.0.2.20"), Port: 500, Proto: "udp", Name: "ike"},
				{Addr: addr("192.0.2.20"), Port: 1723, Proto: "tcp", Name: "pptp"},
			}}, nil
		},
		SNMP: func(ctx context.Context, live []netip.Addr) (Batch, error) {
			snmpLive = live
			return Batch{Devices: []wire.DeviceInventory{{
				Target:      "192.0.2.20:161",
				System:      wire.System{Name: "core-sw", Descr: "Huawei Versatile Routing Platform", ObjectID: "1.3.6.1.4.1.2011.2.23.94"},
				Interfaces:  []wire.Interface{{Index: 5, MAC: "00:e0:fc:00:00:20"}},
				IPAddresses: []wire.IPAddress{{Address: "192.0.2.20", PrefixLen: 24, IfIndex: 5}},
				ARP: []wire.ARPEntry{
					{IP: "192.0.2.10", MAC: "aa:aa:aa:aa:aa:aa", IfIndex: 5},  // local ARP wins
					{IP: "192.0.2.60", MAC: "00:0f:e2:00:00:60", IfIndex: 5},  // only the router saw it
					{IP: "203.0.113.5", MAC: "00:0f:e2:00:00:61", IfIndex: 9}, // out of scope
					{IP: "192.0.2.232", MAC: "", IfIndex: 5},                  // failed resolution
				},
			}}}, nil
		},
		HTTP: func(ctx context.Context, ts []WebTarget) (Batch, error) {
			webAsked = ts
			return Batch{Web: []Web{{Addr: addr("192.0.2.10"), Info: wire.HTTPInfo{Port: 443, Scheme: "https", Title: "门户", Server: "nginx", Status: 200}}}}, nil
		},
		Path: func(ctx context.Context, ts []PathTarget) (Batch, error) {
			return Batch{Probed: int64(len(ts)), Paths: []wire.Path{{Target: "203.0.113.10", Kind: "internet", Hops: []wire.Hop{{TTL: 1, Address: "192.0.2.1", RTTMs: 0.2}}}}}, nil
		},
		Neighbors: func(ctx context.Context) (Batch, error) {
			return Batch{AnnotateOnly: true, Neighbors: []Neighbor{
				{Addr: addr("192.0.2.40"), MAC: "00:0f:e2:00:00:40"}, // resolved while TCP probed it
				{Addr: addr("192.0.2.99"), MAC: "00:0f:e2:00:00:99"}, // stale cache entry: not proof of life
				{Addr: addr("10.0.0.1"), MAC: "00:0f:e2:00:00:41"},   // out of scope
			}}, nil
		},
		Host: func(ctx context.Context) (Batch, error) {
			return Batch{Host: &wire.Host{Hostname: "agent-host", Routes: []wire.HostRoute{}, Software: []wire.Software{}, Interfaces: []wire.HostInterface{
				{Name: "lo", Type: "loopback", Addresses: []string{"127.0.0.1/8"}},
				{Name: "eth0", Type: "ethernet", MAC: "00:e0:fc:00:00:05", Addresses: []string{"192.0.2.5/24", "fe80::1/64"}},
			}}}, nil
		},
	}
	rep := Run(context.Background(), m, Request{
		Scope: scope24, Ports: []int{22, 443}, Enabled: all, Agent: agent(),
		PathTargets: []PathTarget{{Addr: addr("203.0.113.10"), Kind: "internet"}},
		WebPorts:    map[int]bool{80: true, 443: true},
	})
	if err := rep.Validate(); err != nil {
		t.Fatalf("report invalid: %v", err)
	}
	var ips []string
	for _, e := range rep.Endpoints {
		ips = append(ips, e.IP)
	}
	if want := "[192.0.2.5 192.0.2.10 192.0.2.20 192.0.2.30 192.0.2.40 192.0.2.60]"; fmt.Sprint(ips) != want {
		t.Fatalf("endpoints %v, want %s", ips, want)
	}
	e10 := find(t, rep, "192.0.2.10")
	if fmt.Sprint(e10.SeenBy) != "[icmp tcp arp]" || e10.MAC != "00:e0:fc:00:00:10" || e10.Vendor != "HUAWEI TECHNOLOGIES CO.,LTD" ||
		fmt.Sprint(e10.OpenPorts) != "[22 443]" || e10.RTTMs != 2 || len(e10.HTTP) != 1 || e10.HTTP[0].Title != "门户" || e10.Role != wire.RoleServer {
		t.Fatalf("192.0.2.10 = %+v", e10)
	}
	e20 := find(t, rep, "192.0.2.20")
	if fmt.Sprint(e20.SeenBy) != "[icmp tcp udp snmp]" || e20.Role != wire.RoleNetwork || e20.Hostname != "core-sw" ||
		fmt.Sprint(e20.UDPPorts) != "[500]" || fmt.Sprint(e20.OpenPorts) != "[1723]" || e20.MAC != "00:e0:fc:00:00:20" ||
		e20.SysObjectID != "1.3.6.1.4.1.2011.2.23.94" {
		t.Fatalf("192.0.2.20 = %+v", e20)
	}
	if e := find(t, rep, "192.0.2.5"); e.MAC != "00:e0:fc:00:00:05" || fmt.Sprint(e.SeenBy) != "[host]" || e.Hostname != "agent-host" {
		t.Fatalf("the agent's own address: %+v", e)
	}
	if e := find(t, rep, "192.0.2.40"); len(e.OpenPorts) != 0 || fmt.Sprint(e.SeenBy) != "[tcp arp]" || e.MAC != "00:0f:e2:00:00:40" {
		t.Fatalf("refused-only host: %+v", e)
	}
	if e := find(t, rep, "192.0.2.60"); e.MAC != "00:0f:e2:00:00:60" || fmt.Sprint(e.SeenBy) != "[arp]" || !strings.Contains(e.Vendor, "H3C") {
		t.Fatalf("router-ARP host: %+v", e)
	}
	// Phase 2 got every live address, sorted; HTTP only open web ports.
	if len(snmpLive) != 5 || !reflect.DeepEqual(snmpLive, udpLive) || snmpLive[0] != addr("192.0.2.5") {
		t.Fatalf("live handed to snmp/udp: %v", snmpLive)
	}
	if fmt.Sprint(webAsked) != "[{192.0.2.10 443}]" {
		t.Fatalf("web asked %v", webAsked)
	}
	if rep.Stats.AddressesProbed != 255 || rep.Stats.Errors != 0 || len(rep.Devices) != 1 || len(rep.Paths) != 1 || rep.Host == nil {
		t.Fatalf("stats %+v devices %d paths %d", rep.Stats, len(rep.Devices), len(rep.Paths))
	}
	if rep.Agent != agent() || fmt.Sprint(rep.Scope) != "[192.0.2.0/24]" {
		t.Fatalf("agent/scope %+v %v", rep.Agent, rep.Scope)
	}
}

func TestFailuresAreRecordedAndScanGoesOn(t *testing.T) {
	m := Methods{
		ICMP: func(ctx context.Context, s []netip.Prefix) (Batch, error) {
			return Batch{}, errors.New("raw socket: operation not permitted")
		},
		ARP: func(ctx context.Context, s []netip.Prefix) (Batch, error) {
			panic("nil map in arp")
		},
		TCP: func(ctx context.Context, s []netip.Addr, ports []int) (Batch, error) {
			b := Batch{Probed: 254, Ports: []Ports{{Addr: addr("192.0.2.9"), Open: []int{80}}}}
			for i := range 150 {
				b.Failures = append(b.Failures, Failure{Target: fmt.Sprintf("192.0.2.%d:80", i), Method: "tcp", Err: errors.New("too many open files")})
			}
			return b, nil
		},
	}
	rep := Run(context.Background(), m, Request{Scope: scope24, Ports: []int{80}, Enabled: all, Agent: agent()})
	if err := rep.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(rep.Endpoints) != 1 || rep.Stats.Errors != 152 || len(rep.Stats.ErrorDetails) != 100 {
		t.Fatalf("endpoints %d errors %d details %d", len(rep.Endpoints), rep.Stats.Errors, len(rep.Stats.ErrorDetails))
	}
	var icmp, arp bool
	for _, d := range rep.Stats.ErrorDetails {
		icmp = icmp || (d.Method == "icmp" && strings.Contains(d.Error, "not permitted"))
		arp = arp || (d.Method == "arp" && strings.Contains(d.Error, "panicked"))
	}
	if !icmp || !arp {
		t.Fatalf("details %+v", rep.Stats.ErrorDetails[:2])
	}
}

func TestDisabledAndMissingMethodsAreNotCalled(t *testing.T) {
	var mu sync.Mutex
	called := map[string]bool{}
	note := func(n string) { mu.Lock(); called[n] = true; mu.Unlock() }
	mark := func(n string) ScopeFunc {
		return func(ctx context.Context, s []netip.Prefix) (Batch, error) { note(n); return Batch{}, nil }
	}
	m := Methods{ICMP: mark("icmp"), ARP: mark("arp"),
		Host: func(ctx context.Context) (Batch, error) { note("host"); return Batch{}, nil },
		SNMP: func(ctx context.Context, l []netip.Addr) (Batch, error) { note("snmp"); return Batch{}, nil },
	}
	rep := Run(context.Background(), m, Request{Scope: scope24, Enabled: map[string]bool{"arp": true, "host": true, "snmp": true}, Agent: agent()})
	if fmt.Sprint(called) != "map[arp:true host:true]" {
		t.Fatalf("called %v (snmp must not run without live hosts, icmp is disabled)", called)
	}
	if err := rep.Validate(); err != nil {
		t.Fatal(err)
	}
	// No scope: scope methods never run, whatever is enabled.
	called = map[string]bool{}
	Run(context.Background(), m, Request{Enabled: all, Agent: agent()})
	if fmt.Sprint(called) != "map[host:true]" {
		t.Fatalf("empty scope called %v", called)
	}
}

func TestCancelledScanStillReports(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	m := Methods{TCP: func(ctx context.Context, s []netip.Addr, ports []int) (Batch, error) {
		cancel()
		return Batch{Ports: []Ports{{Addr: addr("192.0.2.7"), Open: []int{22}}}}, ctx.Err()
	}}
	rep := Run(ctx, m, Request{Scope: scope24, Ports: []int{22}, Enabled: all, Agent: agent()})
	if len(rep.Endpoints) != 1 || rep.Stats.Errors != 1 {
		t.Fatalf("%+v", rep.Stats)
	}
	if err := rep.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestFollowUpsWithoutLivenessProbeEveryScopeAddress(t *testing.T) {
	var asked []netip.Addr
	m := Methods{SNMP: func(ctx context.Context, l []netip.Addr) (Batch, error) {
		asked = l
		return Batch{Devices: []wire.DeviceInventory{{Target: "192.0.2.2:161", System: wire.System{ObjectID: "1.3.6.1.4.1.9.1.1"}}}}, nil
	}}
	rep := Run(context.Background(), m, Request{Scope: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/30")}, Enabled: map[string]bool{"snmp": true}, Agent: agent()})
	if fmt.Sprint(asked) != "[192.0.2.1 192.0.2.2]" {
		t.Fatalf("snmp asked %v", asked)
	}
	if len(rep.Endpoints) != 1 || rep.Endpoints[0].Role != wire.RoleNetwork || fmt.Sprint(rep.Endpoints[0].SeenBy) != "[snmp]" {
		t.Fatalf("endpoints %+v", rep.Endpoints)
	}
	if rep.Stats.AddressesProbed != 2 {
		t.Fatalf("probed %d", rep.Stats.AddressesProbed)
	}
}

func TestTCPStagedAfterICMP(t *testing.T) {
	type call struct {
		n     int
		first string
		ports string
	}
	var calls []call
	m := Methods{
		ICMP: func(ctx context.Context, s []netip.Prefix) (Batch, error) {
			return Batch{Probed: 254, Alive: []Alive{{Addr: addr("192.0.2.1"), RTT: time.Millisecond}}}, nil
		},
		TCP: func(ctx context.Context, addrs []netip.Addr, ports []int) (Batch, error) {
			calls = append(calls, call{len(addrs), addrs[0].String(), fmt.Sprint(ports)})
			var b Batch
			for _, a := range addrs {
				switch {
				case a == addr("192.0.2.1") && slices.Contains(ports, 5432):
					b.Ports = append(b.Ports, Ports{Addr: a, Open: []int{5432}})
				case a == addr("192.0.2.7") && slices.Contains(ports, 80):
					b.Ports = append(b.Ports, Ports{Addr: a, Open: []int{80}})
				case a == addr("192.0.2.7") && slices.Contains(ports, 9100):
					b.Ports = append(b.Ports, Ports{Addr: a, Open: []int{9100}})
				}
			}
			return b, nil
		},
	}
	rep := Run(context.Background(), m, Request{Scope: scope24, Ports: []int{22, 80, 5432, 9100}, Agent: agent(),
		Enabled: map[string]bool{"icmp": true, "tcp": true}})
	want := []call{
		{1, "192.0.2.1", "[22 80 5432 9100]"}, // alive: every port
		{253, "192.0.2.2", "[22 80]"},         // silent: discovery ports only
		{1, "192.0.2.7", "[5432 9100]"},       // found by discovery: the rest
	}
	if fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Fatalf("tcp calls %v, want %v", calls, want)
	}
	if e := find(t, rep, "192.0.2.7"); fmt.Sprint(e.OpenPorts) != "[80 9100]" || e.Role != wire.RolePrinter {
		t.Fatalf("192.0.2.7 = %+v", e)
	}
	if rep.Stats.AddressesProbed != 254 {
		t.Fatalf("probed %d", rep.Stats.AddressesProbed)
	}
}

func TestTCPSkipsOnLinkAddressesSilentToARP(t *testing.T) {
	onLink := netip.MustParsePrefix("192.0.2.0/25") // the lower half is our segment
	for _, tc := range []struct {
		name      string
		arpErr    error
		wantCalls string
	}{
		{"arp complete: only off-link silent addresses get discovery", nil, "[[192.0.2.1] 127 addresses from 192.0.2.128]"},
		{"arp failed: every silent address gets discovery", errors.New("AF_PACKET: operation not permitted"), "[[192.0.2.1] 253 addresses from 192.0.2.2]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls []string
			m := Methods{
				ARP: func(ctx context.Context, s []netip.Prefix) (Batch, error) {
					if tc.arpErr != nil {
						return Batch{}, tc.arpErr
					}
					return Batch{Neighbors: []Neighbor{{Addr: addr("192.0.2.1"), MAC: "00:e0:fc:00:00:01"}}}, nil
				},
				ICMP: func(ctx context.Context, s []netip.Prefix) (Batch, error) {
					return Batch{Alive: []Alive{{Addr: addr("192.0.2.1"), RTT: time.Millisecond}}}, nil
				},
				TCP: func(ctx context.Context, addrs []netip.Addr, ports []int) (Batch, error) {
					if len(addrs) == 1 {
						calls = append(calls, fmt.Sprint(addrs))
					} else {
						calls = append(calls, fmt.Sprintf("%d addresses from %s", len(addrs), addrs[0]))
					}
					return Batch{}, nil
				},
				OnLink: onLink.Contains,
			}
			Run(context.Background(), m, Request{Scope: scope24, Ports: []int{22, 80, 5432}, Agent: agent(),
				Enabled: map[string]bool{"icmp": true, "arp": true, "tcp": true}})
			if fmt.Sprint(calls) != tc.wantCalls {
				t.Fatalf("tcp calls %v, want %s", calls, tc.wantCalls)
			}
		})
	}
}

func TestForwards(t *testing.T) {
	addrs := func(a ...string) []wire.IPAddress {
		var out []wire.IPAddress
		for _, s := range a {
			p := netip.MustParsePrefix(s)
			out = append(out, wire.IPAddress{Address: p.Addr().String(), PrefixLen: p.Bits()})
		}
		return out
	}
	via := []wire.Route{{Destination: "0.0.0.0/0", NextHop: "10.255.1.1"}}
	direct := []wire.Route{{Destination: "10.1.0.0/24", NextHop: "0.0.0.0"}}
	tests := []struct {
		name string
		d    wire.DeviceInventory
		want bool
	}{
		{"router", wire.DeviceInventory{IPAddresses: addrs("10.1.0.1/24", "10.255.1.2/30", "127.0.0.1/8"), Routes: via}, true},
		{"one subnet", wire.DeviceInventory{IPAddresses: addrs("10.1.0.9/24", "127.0.0.1/8", "fe80::1/64"), Routes: via}, false},
		{"two subnets, no next hop", wire.DeviceInventory{IPAddresses: addrs("10.1.0.1/24", "10.2.0.1/24"), Routes: direct}, false},
		{"nothing", wire.DeviceInventory{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Forwards(tc.d); got != tc.want {
				t.Fatalf("Forwards = %v", got)
			}
		})
	}
	// A net-snmp Linux router is a network device, not a local server.
	m := Methods{SNMP: func(ctx context.Context, l []netip.Addr) (Batch, error) {
		return Batch{Devices: []wire.DeviceInventory{{Target: "192.0.2.1:161",
			System:      wire.System{ObjectID: "1.3.6.1.4.1.8072.3.2.10", Descr: "Linux czj-r"},
			IPAddresses: addrs("192.0.2.1/24", "10.255.1.2/30"), Routes: via}}}, nil
	}}
	rep := Run(context.Background(), m, Request{Scope: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/30")}, Enabled: map[string]bool{"snmp": true}, Agent: agent()})
	if len(rep.Endpoints) != 1 || rep.Endpoints[0].Role != wire.RoleNetwork {
		t.Fatalf("endpoints %+v", rep.Endpoints)
	}
}
