package discover

import (
	"math/bits"
	"net"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/egovnet/egovnet/internal/wire"
)

// methodOrder fixes the order of seen_by so reports diff cleanly.
var methodOrder = []string{wire.MethodICMP, wire.MethodTCP, wire.MethodUDP, wire.MethodARP, wire.MethodND, wire.MethodSNMP, wire.MethodPath, wire.MethodHost}

type endpoint struct {
	// seen: bit i for methodOrder[i], other names in x.seenOther. A /16 of
	// live hosts holds 65,534 of these, so the common case (an address
	// that answered, maybe a MAC) is 48 bytes and the rest is in x, made on
	// first use.
	seen     uint16
	forwards bool // its SNMP tables show a router (see Forwards)
	rtt      time.Duration
	mac      string
	macSrc   string // arp beats snmp-arp
	x        *extra
}

// extra is what fewer endpoints have: names, SNMP identity, ports.
type extra struct {
	wire.Endpoint // Hostname, SysObjectID, SysDescr, HTTP, Names
	seenOther     []string
	open          map[int]bool
	closed        map[int]bool
	udp           map[int]bool
}

func (e *endpoint) more() *extra {
	if e.x == nil {
		e.x = &extra{}
	}
	return e.x
}

type merger struct {
	scope    []netip.Prefix
	m        Hooks
	eps      map[netip.Addr]*endpoint
	devices  []wire.DeviceInventory
	paths    []wire.Path
	host     *wire.Host
	failures []Failure
	failed   map[string]bool // methods that returned an error
	probed   int64           // distinct scope addresses (max over scope methods)
	extra    int64           // path targets, outside the scope
}

func newMerger(scope []netip.Prefix, m Hooks) *merger {
	return &merger{scope: scope, m: m, eps: map[netip.Addr]*endpoint{}, devices: []wire.DeviceInventory{}, paths: []wire.Path{}, failed: map[string]bool{}}
}

func (g *merger) inScope(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range g.scope {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func (g *merger) ep(a netip.Addr) *endpoint {
	a = a.Unmap()
	e := g.eps[a]
	if e == nil {
		e = &endpoint{}
		g.eps[a] = e
	}
	return e
}

func (e *endpoint) see(method string) {
	if i := slices.Index(methodOrder, method); i >= 0 {
		e.seen |= 1 << i
	} else if x := e.more(); !slices.Contains(x.seenOther, method) {
		x.seenOther = append(x.seenOther, method)
	}
}

// setPort adds p to a set made on first use.
func setPort(m *map[int]bool, p int) {
	if *m == nil {
		*m = map[int]bool{}
	}
	(*m)[p] = true
}

func (e *endpoint) sawRTT(d time.Duration) {
	if d > 0 && (e.rtt == 0 || d < e.rtt) {
		e.rtt = d
	}
}

// add merges one method's batch. Only addresses inside the scope become
// endpoints: a neighbour table or a router's ARP table knows more than we
// were asked about.
func (g *merger) add(method string, b Batch, err error) {
	if err != nil {
		g.failures = append(g.failures, Failure{Target: "scope", Method: method, Err: err})
		g.failed[method] = true
	}
	g.failures = append(g.failures, b.Failures...)
	switch {
	case method == wire.MethodPath:
		g.extra += b.Probed
	case b.Probed > g.probed:
		// Scope methods probe the same addresses; count them once.
		g.probed = b.Probed
	}
	for _, a := range b.Alive {
		if !g.inScope(a.Addr) {
			continue
		}
		e := g.ep(a.Addr)
		e.see(method)
		e.sawRTT(a.RTT)
	}
	// A neighbour answered ARP, or ND for IPv6 (a method's own name).
	nbr := wire.MethodARP
	if method == wire.MethodND {
		nbr = wire.MethodND
	}
	for _, n := range b.Neighbors {
		if !g.inScope(n.Addr) || !validMAC(n.MAC) {
			continue // an entry without a link-layer address proves nothing
		}
		if _, known := g.eps[n.Addr.Unmap()]; b.AnnotateOnly && !known {
			continue
		}
		e := g.ep(n.Addr)
		e.see(nbr)
		g.setMAC(e, n.MAC, wire.MethodARP)
	}
	for _, p := range b.Ports {
		if !g.inScope(p.Addr) || len(p.Open)+len(p.Closed) == 0 {
			continue
		}
		e := g.ep(p.Addr)
		e.see(wire.MethodTCP)
		e.sawRTT(p.RTT)
		for _, o := range p.Open {
			setPort(&e.more().open, o)
		}
		for _, c := range p.Closed {
			setPort(&e.more().closed, c)
		}
	}
	for _, s := range b.Services {
		if !g.inScope(s.Addr) {
			continue
		}
		e := g.ep(s.Addr)
		if s.Proto == "tcp" {
			e.see(wire.MethodTCP)
			setPort(&e.more().open, s.Port)
		} else {
			e.see(wire.MethodUDP)
			setPort(&e.more().udp, s.Port)
		}
	}
	for _, w := range b.Web {
		if !g.inScope(w.Addr) {
			continue
		}
		e := g.ep(w.Addr)
		x := e.more()
		x.HTTP = append(x.HTTP, w.Info)
	}
	for _, n := range b.Names {
		if g.inScope(n.Addr) {
			if _, known := g.eps[n.Addr.Unmap()]; known {
				g.addName(g.eps[n.Addr.Unmap()], n.Name)
			}
		}
	}
	for _, d := range b.Devices {
		g.addDevice(d)
	}
	g.paths = append(g.paths, b.Paths...)
	if b.Host != nil {
		g.host = b.Host
		g.addHost(b.Host)
	}
}

// addHost marks the agent host's own in-scope addresses as endpoints seen
// by "host", with the interface's MAC: the agent host is part of the
// department network it inventories.
func (g *merger) addHost(h *wire.Host) {
	for _, ifc := range h.Interfaces {
		if ifc.Type == "loopback" {
			continue
		}
		for _, cidr := range ifc.Addresses {
			p, err := netip.ParsePrefix(cidr)
			if err != nil || !g.inScope(p.Addr()) {
				continue
			}
			e := g.ep(p.Addr())
			e.see(wire.MethodHost)
			if x := e.more(); x.Hostname == "" && h.Hostname != "" {
				x.Hostname = clip(h.Hostname, wire.MaxShortString)
			}
			g.setMAC(e, ifc.MAC, wire.MethodARP) // our own card: as good as ARP
		}
	}
}

func (g *merger) addDevice(d wire.DeviceInventory) {
	g.devices = append(g.devices, d)
	host, _, err := net.SplitHostPort(d.Target)
	if err != nil {
		host = d.Target
	}
	if a, err := netip.ParseAddr(host); err == nil && g.inScope(a) {
		e := g.ep(a)
		e.see(wire.MethodSNMP)
		e.forwards = Forwards(d)
		x := e.more()
		x.SysObjectID = d.System.ObjectID
		x.SysDescr = clip(d.System.Descr, wire.MaxDescr)
		if x.Hostname == "" && d.System.Name != "" {
			x.Hostname = clip(d.System.Name, wire.MaxShortString)
		}
		if d.System.Name != "" {
			g.addName(e, wire.Name{Name: d.System.Name, Source: "sysname"})
		}
		// The device's own MAC: an interface carrying the polled address.
		for _, ip := range d.IPAddresses {
			if ip.Address != a.String() {
				continue
			}
			for _, ifc := range d.Interfaces {
				if ifc.Index == ip.IfIndex && ifc.MAC != "" {
					g.setMAC(e, ifc.MAC, wire.MethodSNMP)
				}
			}
		}
	}
	// A router's ARP table proves its neighbours alive (ipNetToMedia/Physical).
	for _, row := range d.ARP {
		a, err := netip.ParseAddr(row.IP)
		if err != nil || !g.inScope(a) || !validMAC(row.MAC) {
			continue // incomplete/failed entries: the router asked, nobody answered
		}
		e := g.ep(a)
		e.see(wire.MethodARP)
		g.setMAC(e, row.MAC, wire.MethodSNMP)
	}
}

// addName keeps one copy of each (name, source), within the wire's bound.
// Names only annotate endpoints other methods found.
func (g *merger) addName(e *endpoint, n wire.Name) {
	n.Name = clip(strings.TrimSpace(n.Name), wire.MaxShortString)
	x := e.more()
	if n.Name == "" || len(x.Names) >= wire.MaxNamesPerHost || slices.Contains(x.Names, n) {
		return
	}
	x.Names = append(x.Names, n)
}

// validMAC: a real 48-bit unicast-or-not address, neither zero nor broadcast.
func validMAC(mac string) bool {
	hw, err := net.ParseMAC(strings.TrimSpace(mac))
	return err == nil && len(hw) == 6 && !isZeroOrBroadcast(hw)
}

// setMAC keeps the local ARP answer over anything learned through SNMP.
func (g *merger) setMAC(e *endpoint, mac, src string) {
	if !validMAC(mac) {
		return
	}
	hw, _ := net.ParseMAC(strings.TrimSpace(mac))
	if e.mac != "" && (e.macSrc == wire.MethodARP || src != wire.MethodARP) {
		return
	}
	e.mac = hw.String()
	e.macSrc = src
}

func isZeroOrBroadcast(hw net.HardwareAddr) bool {
	zero, bcast := true, true
	for _, b := range hw {
		zero = zero && b == 0
		bcast = bcast && b == 0xff
	}
	return zero || bcast
}

func (g *merger) liveAddrs() []netip.Addr {
	out := make([]netip.Addr, 0, len(g.eps))
	for a := range g.eps {
		out = append(out, a)
	}
	sortAddrs(out)
	return out
}

func (g *merger) webTargets(webPorts map[int]bool) []WebTarget {
	var out []WebTarget
	for _, a := range g.liveAddrs() {
		e := g.eps[a]
		if e.x == nil {
			continue
		}
		ports := keys(e.x.open)
		for _, p := range ports {
			if webPorts[p] {
				out = append(out, WebTarget{Addr: a, Port: p})
			}
		}
	}
	return out
}

func keys(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

// endpoints finalises every endpoint: seen_by in canonical order, ports
// sorted, vendor and role filled.
func (g *merger) endpoints() []wire.Endpoint {
	out := make([]wire.Endpoint, 0, len(g.eps))
	for _, a := range g.liveAddrs() {
		e := g.eps[a]
		delete(g.eps, a) // the endpoint's working copy is garbage from here
		var ep wire.Endpoint
		var other []string
		var open, udp map[int]bool
		if e.x != nil {
			ep, other, open, udp = e.x.Endpoint, e.x.seenOther, e.x.open, e.x.udp
		}
		ep.IP, ep.MAC = a.String(), e.mac
		ep.SeenBy = make([]string, 0, bits.OnesCount16(e.seen)+len(other))
		for i, m := range methodOrder {
			if e.seen&(1<<i) != 0 {
				ep.SeenBy = append(ep.SeenBy, m)
			}
		}
		ep.SeenBy = append(ep.SeenBy, other...)
		if e.rtt > 0 {
			ep.RTTMs = float64(e.rtt.Microseconds()) / 1000
		}
		if op := keys(open); len(op) > 0 {
			ep.OpenPorts = op
		}
		if up := keys(udp); len(up) > 0 {
			ep.UDPPorts = up
		}
		sort.Slice(ep.HTTP, func(i, j int) bool { return ep.HTTP[i].Port < ep.HTTP[j].Port })
		if ep.MAC != "" && g.m.Vendor != nil {
			ep.Vendor = clip(g.m.Vendor(ep.MAC), wire.MaxShortString)
		}
		ep.Role = wire.RoleUnknown
		if g.m.Role != nil {
			ep.Role = g.m.Role(ep, e.forwards)
		}
		out = append(out, ep)
	}
	return out
}

// Forwards reports whether a device's tables show a router: addresses in
// two or more subnets (loopback aside) and at least one route through a
// next hop. The collector's rules use the same reading.
func Forwards(d wire.DeviceInventory) bool {
	subnets := map[netip.Prefix]bool{}
	for _, ip := range d.IPAddresses {
		a, err := netip.ParseAddr(ip.Address)
		if err != nil || a.IsLoopback() || a.IsLinkLocalUnicast() {
			continue
		}
		bits := ip.PrefixLen
		if bits <= 0 || bits > a.BitLen() {
			bits = a.BitLen()
		}
		subnets[netip.PrefixFrom(a, bits).Masked()] = true
	}
	if len(subnets) < 2 {
		return false
	}
	for _, r := range d.Routes {
		if a, err := netip.ParseAddr(r.NextHop); err == nil && !a.IsUnspecified() {
			return true
		}
	}
	return false
}
