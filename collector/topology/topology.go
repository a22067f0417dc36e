// Package topology draws one department's network as a graph for the map
// page: its switches and routers linked by LLDP/CDP, endpoints on the
// access ports where their MACs were learned, the plan's segments, the
// extranet uplink, the sanctioned internet exit and every rogue exit and
// private network the findings name, each node carrying its open
// violations. It only reads: stored devices, endpoints, the latest scan's
// paths, the plan and the open findings.
package topology

import (
	"context"
	"net/netip"
	"sort"
	"strings"

	"github.com/egovnet/egovnet/collector/devices"
	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/internal/plan"
	"github.com/egovnet/egovnet/internal/wire"
)

// Node kinds and edge kinds (CONTRACT "Devices and topology").
const (
	KindDevice   = "device"
	KindEndpoint = "endpoint"
	KindSegment  = "segment"
	KindExit     = "exit"
	KindPrivate  = "private-network"
	KindExtranet = "extranet"
	KindInternet = "internet"

	EdgeLLDP  = "lldp"
	EdgeCDP   = "cdp"
	EdgeFDB   = "fdb"
	EdgeRoute = "route"
	EdgePath  = "path"
	EdgeLink  = "link"
)

// Node roles refine a kind for the map's colours.
const (
	RoleSanctioned = "sanctioned" // the central exit of the plan
	RoleRogue      = "rogue"      // an exit the findings name
	RoleClassified = "classified" // a 涉密/公务网 segment
	RoleNeighbor   = "neighbor"   // a device known only from a neighbour table
)

// Node is one vertex of the map.
type Node struct {
	ID         string   `json:"id"`
	Kind       string   `json:"kind"`
	Label      string   `json:"label"`
	Role       string   `json:"role,omitempty"`
	Violations []string `json:"violations"`
}

// Edge is one link of the map.
type Edge struct {
	From string `json:"from"`
	To   string `json:"to"`
	Kind string `json:"kind"`
}

// Graph is the answer of GET /api/v1/topology.
type Graph struct {
	Department string `json:"department"`
	Nodes      []Node `json:"nodes"`
	Edges      []Edge `json:"edges"`
	// Truncated counts endpoints left off the map (it shows servers,
	// located endpoints and endpoints with findings, up to MaxEndpoints).
	Truncated int `json:"truncated"`
}

// MaxEndpoints bounds the endpoint nodes of one map: a force layout of
// thousands of nodes helps nobody; the endpoint list pages them all.
const MaxEndpoints = 300

// Sources are what a map is drawn from.
type Sources struct {
	Plan       *plan.Plan
	Devices    func(ctx context.Context, dept string) ([]devices.Detail, error)
	Endpoints  func(ctx context.Context, dept string) ([]inventory.Endpoint, error)
	Locate     func(ctx context.Context, keys []devices.Key) (map[devices.Key]devices.Location, error)
	Paths      func(ctx context.Context, dept string) ([]wire.Path, error) // the latest scan's; may be nil
	Violations func(ctx context.Context, dept string) ([]wire.Violation, error)
}

type builder struct {
	g     Graph
	nodes map[string]int
	edges map[Edge]bool
	segs  []seg
	// viaDevice maps a next hop to a device routing through it: a rogue
	// exit named by its next hop hangs off the router that uses it.
	viaDevice map[netip.Addr]string
}

type seg struct {
	id  string
	pfx netip.Prefix
}

func (b *builder) node(n Node) string {
	if i, ok := b.nodes[n.ID]; ok {
		if b.g.Nodes[i].Role == "" {
			b.g.Nodes[i].Role = n.Role
		}
		return n.ID
	}
	if n.Violations == nil {
		n.Violations = []string{}
	}
	b.nodes[n.ID] = len(b.g.Nodes)
	b.g.Nodes = append(b.g.Nodes, n)
	return n.ID
}

func (b *builder) edge(from, to, kind string) {
	if from == to || from == "" || to == "" {
		return
	}
	e := Edge{From: from, To: to, Kind: kind}
	if kind == EdgeLLDP || kind == EdgeCDP || kind == EdgeLink {
		if from > to { // undirected: one edge per pair
			e.From, e.To = to, from
		}
	}
	if !b.edges[e] {
		b.edges[e] = true
		b.g.Edges = append(b.g.Edges, e)
	}
}

func (b *builder) flag(id, violation string) {
	if i, ok := b.nodes[id]; ok {
		b.g.Nodes[i].Violations = append(b.g.Nodes[i].Violations, violation)
	}
}

// segmentOf is the most specific department segment holding a.
func (b *builder) segmentOf(a netip.Addr) string {
	best, bits := "", -1
	for _, s := range b.segs {
		if s.pfx.Contains(a) && s.pfx.Bits() > bits {
			best, bits = s.id, s.pfx.Bits()
		}
	}
	return best
}

func (b *builder) firstSegment() string {
	if len(b.segs) == 0 {
		return ""
	}
	return b.segs[0].id
}

func addr(s string) (netip.Addr, bool) {
	s, _, _ = strings.Cut(s, "%")
	if h, _, ok := strings.Cut(s, ":"); ok && strings.Count(s, ":") == 1 {
		s = h // host:port
	}
	a, err := netip.ParseAddr(s)
	return a.Unmap(), err == nil
}

// Build draws dept's map.
func Build(ctx context.Context, src Sources, dept string) (Graph, error) {
	b := &builder{g: Graph{Department: dept, Nodes: []Node{}, Edges: []Edge{}}, nodes: map[string]int{}, edges: map[Edge]bool{}, viaDevice: map[netip.Addr]string{}}
	internet := b.node(Node{ID: "internet", Kind: KindInternet, Label: "Internet"})
	extranet := b.node(Node{ID: "extranet", Kind: KindExtranet, Label: "extranet"})
	var pd plan.Department
	if src.Plan != nil {
		pd, _ = src.Plan.Department(dept)
		for _, s := range src.Plan.Egress.Sanctioned {
			id := b.node(Node{ID: "exit:" + s, Kind: KindExit, Label: s, Role: RoleSanctioned})
			b.edge(id, internet, EdgeLink)
			b.edge(id, extranet, EdgeLink)
		}
	}
	for _, list := range []struct {
		pfx  []string
		role string
	}{{pd.Prefixes, ""}, {pd.ClassifiedPrefixes, RoleClassified}} {
		for _, p := range list.pfx {
			pfx, err := netip.ParsePrefix(p)
			if err != nil {
				continue
			}
			id := b.node(Node{ID: "segment:" + pfx.String(), Kind: KindSegment, Label: pfx.String(), Role: list.role})
			b.segs = append(b.segs, seg{id, pfx})
			if list.role == "" {
				b.edge(id, extranet, EdgeLink)
			}
		}
	}
	uplinks := map[netip.Addr]bool{}
	var privs []privNet
	if src.Plan != nil {
		for _, s := range src.Plan.Extranet.UplinkNextHops {
			if a, ok := addr(s); ok {
				uplinks[a] = true
			}
		}
		for _, n := range src.Plan.PrivateNetworks {
			pn := privNet{name: n.Name}
			for _, p := range n.Prefixes {
				if pfx, err := netip.ParsePrefix(p); err == nil {
					pn.pfx = append(pn.pfx, pfx.Masked())
				}
			}
			privs = append(privs, pn)
		}
	}

	// Devices, their neighbours, segments and routes.
	devs, err := src.Devices(ctx, dept)
	if err != nil {
		return b.g, err
	}
	byName, byAddr, byMAC := map[string]string{}, map[netip.Addr]string{}, map[string]string{}
	for _, d := range devs {
		id := "device:" + d.ID
		label := d.System.Name
		if label == "" {
			label = d.Target
		}
		b.node(Node{ID: id, Kind: KindDevice, Label: label})
		if d.System.Name != "" {
			byName[strings.ToLower(d.System.Name)] = id
		}
		for _, i := range d.Interfaces {
			if m := devices.NormMAC(i.MAC); m != "" {
				byMAC[m] = id
			}
		}
		for _, a := range d.IPAddresses {
			if ip, ok := addr(a.Address); ok {
				byAddr[ip] = id
				if s := b.segmentOf(ip); s != "" {
					b.edge(id, s, EdgeLink)
				}
			}
		}
		if ip, ok := addr(d.Target); ok {
			byAddr[ip] = id
		}
	}
	for _, d := range devs {
		id := "device:" + d.ID
		for _, n := range d.Neighbors {
			peer := ""
			if a, ok := addr(n.Address); ok {
				peer = byAddr[a]
			}
			if peer == "" {
				peer = byName[strings.ToLower(n.SysName)]
			}
			if peer == "" {
				peer = byMAC[devices.NormMAC(n.ChassisID)]
			}
			if peer == "" {
				key := n.SysName
				if key == "" {
					key = n.ChassisID
				}
				if key == "" {
					continue
				}
				peer = b.node(Node{ID: "device:neighbor:" + strings.ToLower(key), Kind: KindDevice, Label: key, Role: RoleNeighbor})
			}
			kind := EdgeLLDP
			if n.Protocol == "cdp" {
				kind = EdgeCDP
			}
			b.edge(id, peer, kind)
		}
		for _, r := range d.Routes {
			nh, ok := addr(r.NextHop)
			if ok && uplinks[nh] {
				b.edge(id, extranet, EdgeRoute)
			}
			if ok && b.viaDevice[nh] == "" {
				b.viaDevice[nh] = id
			}
			dst, err := netip.ParsePrefix(r.Destination)
			if err != nil || dst.Bits() == 0 {
				continue
			}
			for _, pn := range privs {
				if pn.overlaps(dst.Masked()) {
					b.edge(id, b.node(Node{ID: "private:" + pn.name, Kind: KindPrivate, Label: pn.name}), EdgeRoute)
				}
			}
		}
	}

	// Findings decide which endpoints must be on the map.
	vs, err := src.Violations(ctx, dept)
	if err != nil {
		return b.g, err
	}
	flagged := map[netip.Addr]bool{}
	for _, v := range vs {
		if a, ok := addr(v.Subject); ok {
			flagged[a] = true
		}
	}
	eps, err := src.Endpoints(ctx, dept)
	if err != nil {
		return b.g, err
	}
	var keys []devices.Key
	for _, e := range eps {
		if e.MAC != "" {
			keys = append(keys, devices.Key{Department: e.Department, MAC: e.MAC})
		}
	}
	locs := map[devices.Key]devices.Location{}
	if src.Locate != nil && len(keys) > 0 {
		if locs, err = src.Locate(ctx, keys); err != nil {
			return b.g, err
		}
	}
	// Findings first, then servers and network gear, then located endpoints.
	rank := func(e inventory.Endpoint) int {
		a, _ := addr(e.IP)
		switch {
		case flagged[a]:
			return 0
		case e.Role == wire.RoleServer || e.Role == wire.RoleNetwork:
			return 1
		default:
			if _, ok := locs[devices.Key{Department: e.Department, MAC: e.MAC}]; ok {
				return 2
			}
			return 3
		}
	}
	sort.SliceStable(eps, func(i, j int) bool { return rank(eps[i]) < rank(eps[j]) })
	shown := 0
	for _, e := range eps {
		a, ok := addr(e.IP)
		if !ok {
			continue
		}
		if _, isDev := byAddr[a]; isDev {
			continue
		}
		if rank(e) == 3 || shown >= MaxEndpoints {
			b.g.Truncated++
			continue
		}
		shown++
		label := e.IP
		if e.Hostname != "" {
			label += " " + e.Hostname
		}
		id := b.node(Node{ID: "endpoint:" + e.IP, Kind: KindEndpoint, Label: label})
		if l, ok := locs[devices.Key{Department: e.Department, MAC: e.MAC}]; ok {
			b.edge("device:"+l.DeviceID, id, EdgeFDB)
		} else if s := b.segmentOf(a); s != "" {
			b.edge(id, s, EdgeLink)
		}
	}

	// Place each open finding on its node.
	var paths []wire.Path
	if src.Paths != nil {
		if paths, err = src.Paths(ctx, dept); err != nil {
			return b.g, err
		}
	}
	for _, v := range vs {
		b.place(v, byName, byAddr, privs, internet)
	}
	b.paths(paths, internet, extranet)
	return b.g, nil
}

type privNet struct {
	name string
	pfx  []netip.Prefix
}

func (p privNet) overlaps(q netip.Prefix) bool {
	for _, x := range p.pfx {
		if x.Overlaps(q) {
			return true
		}
	}
	return false
}

// anchor finds the node a subject names: a device by address or name, an
// endpoint, else the segment holding the address.
func (b *builder) anchor(subject string, byName map[string]string, byAddr map[netip.Addr]string) string {
	first, _, _ := strings.Cut(subject, " ")
	if id, ok := byName[strings.ToLower(first)]; ok {
		return id
	}
	if a, ok := addr(first); ok {
		if id, ok := byAddr[a]; ok {
			return id
		}
		if _, ok := b.nodes["endpoint:"+a.String()]; ok {
			return "endpoint:" + a.String()
		}
		if id := b.viaDevice[a]; id != "" {
			return id
		}
		if s := b.segmentOf(a); s != "" {
			return s
		}
	}
	if p, err := netip.ParsePrefix(first); err == nil {
		if s := b.segmentOf(p.Addr()); s != "" {
			return s
		}
	}
	return b.firstSegment()
}

func (b *builder) place(v wire.Violation, byName map[string]string, byAddr map[netip.Addr]string, privs []privNet, internet string) {
	switch v.Rule {
	case wire.RuleInternetEgress:
		// A rogue exit: its own red node between where it was seen and the internet.
		id := b.node(Node{ID: "exit:" + v.Subject, Kind: KindExit, Label: v.Subject, Role: RoleRogue})
		b.flag(id, v.ID)
		b.edge(b.anchor(v.Subject, byName, byAddr), id, EdgeLink)
		b.edge(id, internet, EdgeRoute)
	case wire.RulePrivateLink:
		name := v.Subject
		if p, err := netip.ParsePrefix(v.Subject); err == nil {
			for _, pn := range privs {
				if pn.overlaps(p.Masked()) {
					name = pn.name
				}
			}
		} else if a, ok := addr(v.Subject); ok {
			for _, pn := range privs {
				if pn.overlaps(netip.PrefixFrom(a, a.BitLen())) {
					name = pn.name
				}
			}
		} else {
			for _, pn := range privs {
				if strings.Contains(v.Subject, pn.name) {
					name = pn.name
				}
			}
		}
		id := b.node(Node{ID: "private:" + name, Kind: KindPrivate, Label: name})
		b.flag(id, v.ID)
		if !b.linked(id) {
			b.edge(b.firstSegment(), id, EdgeLink)
		}
	default:
		first, _, _ := strings.Cut(v.Subject, " ")
		if a, ok := addr(first); ok {
			if _, isDev := byAddr[a]; !isDev {
				if _, ok := b.nodes["endpoint:"+a.String()]; !ok {
					id := b.node(Node{ID: "endpoint:" + a.String(), Kind: KindEndpoint, Label: a.String()})
					b.edge(id, b.segmentOf(a), EdgeLink)
				}
			}
		}
		id := b.anchor(v.Subject, byName, byAddr)
		if id == "" {
			return
		}
		b.flag(id, v.ID)
	}
}

func (b *builder) linked(id string) bool {
	for e := range b.edges {
		if e.From == id || e.To == id {
			return true
		}
	}
	return false
}

// paths adds what the latest scan's traceroutes crossed: a department
// segment reaching the internet through a sanctioned exit, or the extranet.
func (b *builder) paths(ps []wire.Path, internet, extranet string) {
	from := b.firstSegment()
	for _, p := range ps {
		if !p.Reachable {
			continue
		}
		via := ""
		for _, h := range p.Hops {
			if _, ok := b.nodes["exit:"+h.Address]; ok && h.Address != "" {
				via = "exit:" + h.Address
				break
			}
		}
		switch {
		case via != "":
			b.edge(from, via, EdgePath)
		case p.Kind == "extranet":
			b.edge(from, extranet, EdgePath)
		case p.Kind == "internet":
			b.edge(from, internet, EdgePath)
		}
	}
}
