package topology_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/egovnet/egovnet/collector/devices"
	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/topology"
	"github.com/egovnet/egovnet/internal/plan"
	"github.com/egovnet/egovnet/internal/wire"
)

func testPlan() *plan.Plan {
	return &plan.Plan{
		Extranet:        plan.Extranet{Prefixes: []string{"10.0.0.0/8"}, UplinkNextHops: []string{"10.255.0.1"}},
		Egress:          plan.Egress{Sanctioned: []string{"198.51.100.1"}},
		PrivateNetworks: []plan.PrivateNetwork{{Name: "公安网", Prefixes: []string{"172.20.0.0/16"}}},
		Departments:     []plan.Department{{Code: "CZJ", Name: "区财政局", Prefixes: []string{"10.1.0.0/24"}, ClassifiedPrefixes: []string{"10.1.9.0/24"}}},
	}
}

func sources(nEndpoints int) topology.Sources {
	sw := devices.Detail{ID: "sw", DeviceInventory: wire.DeviceInventory{Target: "10.1.0.2:161", System: wire.System{Name: "czj-sw1"},
		IPAddresses: []wire.IPAddress{{Address: "10.1.0.2", PrefixLen: 24}},
		Neighbors: []wire.Neighbor{{Protocol: "lldp", LocalIfIndex: 24, SysName: "czj-r1", Address: "10.1.0.1"},
			{Protocol: "cdp", LocalIfIndex: 23, SysName: "unknown-ap"}}}}
	r1 := devices.Detail{ID: "r1", DeviceInventory: wire.DeviceInventory{Target: "10.1.0.1:161", System: wire.System{Name: "czj-r1"},
		IPAddresses: []wire.IPAddress{{Address: "10.1.0.1", PrefixLen: 24}},
		Neighbors:   []wire.Neighbor{{Protocol: "lldp", SysName: "czj-sw1", Address: "10.1.0.2"}},
		Routes: []wire.Route{{Destination: "0.0.0.0/0", NextHop: "10.255.0.1"}, {Destination: "172.20.0.0/16", NextHop: "10.1.0.254"},
			{Destination: "0.0.0.0/0", NextHop: "203.0.113.1", VRF: "isp"}}}}
	var eps []inventory.Endpoint
	eps = append(eps, inventory.Endpoint{Department: "CZJ", IP: "10.1.0.10", MAC: "00:11:22:33:44:55", Hostname: "pc1", Role: "workstation"},
		inventory.Endpoint{Department: "CZJ", IP: "10.1.0.30", Role: "server"},
		inventory.Endpoint{Department: "CZJ", IP: "10.1.0.2", Role: "network"})
	for i := 0; i < nEndpoints; i++ {
		eps = append(eps, inventory.Endpoint{Department: "CZJ", IP: fmt.Sprintf("10.1.%d.%d", 1+i/250, 1+i%250), Role: "server"})
	}
	return topology.Sources{
		Plan:      testPlan(),
		Devices:   func(context.Context, string) ([]devices.Detail, error) { return []devices.Detail{sw, r1}, nil },
		Endpoints: func(context.Context, string) ([]inventory.Endpoint, error) { return eps, nil },
		Locate: func(_ context.Context, keys []devices.Key) (map[devices.Key]devices.Location, error) {
			out := map[devices.Key]devices.Location{}
			for _, k := range keys {
				if k.MAC == "00:11:22:33:44:55" {
					out[k] = devices.Location{DeviceID: "sw", Device: "czj-sw1", Port: "Gi0/1"}
				}
			}
			return out, nil
		},
		Paths: func(context.Context, string) ([]wire.Path, error) {
			return []wire.Path{{Target: "203.0.113.10", Kind: "internet", Reachable: true, Hops: []wire.Hop{{TTL: 1, Address: "10.1.0.1"}, {TTL: 2, Address: "198.51.100.1"}}}}, nil
		},
		Violations: func(context.Context, string) ([]wire.Violation, error) {
			return []wire.Violation{
				{ID: "v-egress", Rule: wire.RuleInternetEgress, Subject: "203.0.113.1"},
				{ID: "v-private", Rule: wire.RulePrivateLink, Subject: "172.20.0.0/16"},
				{ID: "v-server", Rule: wire.RuleLocalServer, Subject: "10.1.0.30"},
				{ID: "v-breach", Rule: wire.RuleIsolationBreach, Subject: "10.1.9.5"},
			}, nil
		},
	}
}

func TestBuild(t *testing.T) {
	g, err := topology.Build(context.Background(), sources(0), "CZJ")
	if err != nil {
		t.Fatal(err)
	}
	nodes := map[string]topology.Node{}
	for _, n := range g.Nodes {
		nodes[n.ID] = n
	}
	has := func(from, to, kind string) bool {
		return slices.Contains(g.Edges, topology.Edge{From: from, To: to, Kind: kind}) || slices.Contains(g.Edges, topology.Edge{From: to, To: from, Kind: kind})
	}
	tests := []struct {
		name string
		ok   bool
	}{
		{"rogue exit is a red exit node", nodes["exit:203.0.113.1"].Role == topology.RoleRogue && slices.Equal(nodes["exit:203.0.113.1"].Violations, []string{"v-egress"})},
		{"rogue exit reaches the internet", has("exit:203.0.113.1", "internet", topology.EdgeRoute)},
		{"rogue exit hangs off the router that routes to it", has("device:r1", "exit:203.0.113.1", topology.EdgeLink)},
		{"sanctioned exit", nodes["exit:198.51.100.1"].Role == topology.RoleSanctioned && has("exit:198.51.100.1", "internet", topology.EdgeLink)},
		{"path through the sanctioned exit", has("segment:10.1.0.0/24", "exit:198.51.100.1", topology.EdgePath)},
		{"private network flagged", nodes["private:公安网"].Kind == topology.KindPrivate && slices.Equal(nodes["private:公安网"].Violations, []string{"v-private"})},
		{"router routes to the private network", has("device:r1", "private:公安网", topology.EdgeRoute)},
		{"router routes to the extranet uplink", has("device:r1", "extranet", topology.EdgeRoute)},
		{"lldp between switch and router, once", has("device:sw", "device:r1", topology.EdgeLLDP) && countEdges(g, topology.EdgeLLDP) == 1},
		{"cdp neighbour not walked becomes a device", nodes["device:neighbor:unknown-ap"].Role == topology.RoleNeighbor && has("device:sw", "device:neighbor:unknown-ap", topology.EdgeCDP)},
		{"located endpoint on its switch", has("device:sw", "endpoint:10.1.0.10", topology.EdgeFDB)},
		{"server on its segment with its finding", has("endpoint:10.1.0.30", "segment:10.1.0.0/24", topology.EdgeLink) && slices.Equal(nodes["endpoint:10.1.0.30"].Violations, []string{"v-server"})},
		{"classified segment with the breach", nodes["segment:10.1.9.0/24"].Role == topology.RoleClassified && slices.Contains(nodes["segment:10.1.9.0/24"].Violations, "v-breach") || slices.Contains(nodes["endpoint:10.1.9.5"].Violations, "v-breach")},
		{"a device's own address is not also an endpoint", nodes["endpoint:10.1.0.2"].ID == ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.ok {
				t.Errorf("graph:\nnodes %+v\nedges %+v", g.Nodes, g.Edges)
			}
		})
	}
}

func countEdges(g topology.Graph, kind string) int {
	n := 0
	for _, e := range g.Edges {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

func TestBuildBoundsEndpoints(t *testing.T) {
	g, err := topology.Build(context.Background(), sources(2000), "CZJ")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range g.Nodes {
		if x.Kind == topology.KindEndpoint {
			n++
		}
	}
	// +1: the breach subject 10.1.9.5 is no endpoint but a finding, always drawn.
	if n != topology.MaxEndpoints+1 || g.Truncated != 2000+2-topology.MaxEndpoints {
		t.Errorf("%d endpoint nodes, %d truncated", n, g.Truncated)
	}
}
