package rules

import (
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/egovnet/egovnet/internal/wire"
)

// routeObs is one route of a department device or of the agent host.
type routeObs struct {
	rep     *wire.ScanReport
	source  string // snmp, host
	device  string // display name
	keys    []string
	dest    netip.Prefix
	nextHop netip.Addr // invalid when the route has none (directly connected)
	ifKey   string     // "if:<device>:<index or name>"
	ifName  string
	raw     map[string]any
	// connected: the route has no next hop beyond the box itself (no
	// gateway, protocol local(2), or a next hop that is one of the
	// device's own addresses, ipRouteTable's direct routes).
	connected bool
}

// ifObs is one interface of a department device or of the agent host.
type ifObs struct {
	rep     *wire.ScanReport
	source  string
	device  string
	keys    []string
	ifKey   string
	name    string
	descr   string
	alias   string
	ifType  int    // IANAifType (snmp)
	hType   string // host interface type
	oper    int    // 1 up, 2 down, 0 unknown
	mac     string
	addrs   []netip.Prefix
	devIdx  int
	hostIfc bool
}

// view is one department's reports flattened for the detectors.
type view struct {
	x          *index
	c          *compiled
	dept       string
	in         Input
	routes     []routeObs
	ifaces     []*ifObs
	agentAddrs map[netip.Addr]bool
	endpoints  []epObs
	uniq       []epObs // uniqueEndpoints, built once
	uniqDone   bool
	firstAt    time.Time
	// routers are the addresses of walked devices that route between
	// networks (two subnets and a route through a next hop): whatever an
	// endpoint's role guess says, such a box is network equipment.
	routers map[netip.Addr]bool
	// devs are each report's devices after deduplication: a device walked
	// at several of its addresses is kept once (see dedupeDevices).
	devs map[*wire.ScanReport][]wire.DeviceInventory
	egr  *egressLinks // computed once by egress()
}

// epObs is an endpoint with the report it came from.
type epObs struct {
	rep *wire.ScanReport
	ep  wire.Endpoint
	ip  netip.Addr
}

func newView(x *index, c *compiled, in Input) *view {
	v := &view{x: x, c: c, dept: in.Department, in: in, agentAddrs: map[netip.Addr]bool{}, routers: map[netip.Addr]bool{}}
	reps := append([]*wire.ScanReport(nil), in.Reports...)
	sort.SliceStable(reps, func(i, j int) bool { return reps[i].FinishedAt.Before(reps[j].FinishedAt) })
	v.devs = dedupeDevices(reps, c.p.TrustForeignDevices)
	n := 0
	for _, rep := range reps {
		if rep != nil {
			n += len(rep.Endpoints)
		}
	}
	v.endpoints = make([]epObs, 0, n) // sized once: a department may hold 10k endpoints
	for _, rep := range reps {
		if rep == nil {
			continue
		}
		if v.firstAt.IsZero() || rep.FinishedAt.Before(v.firstAt) {
			v.firstAt = rep.FinishedAt
		}
		v.addHost(rep)
		for _, d := range v.devices(rep) {
			v.addDevice(rep, &d)
		}
		for _, ep := range rep.Endpoints {
			if a, ok := parseAddr(ep.IP); ok {
				v.endpoints = append(v.endpoints, epObs{rep: rep, ep: ep, ip: a})
			}
		}
	}
	return v
}

func (v *view) addHost(rep *wire.ScanReport) {
	h := rep.Host
	if h == nil {
		return
	}
	name := h.Hostname
	if name == "" {
		name = rep.Agent.Hostname
	}
	if name == "" {
		name = "agent " + rep.Agent.ID
	}
	var keys []string
	byName := map[string]*ifObs{}
	for _, hi := range h.Interfaces {
		o := &ifObs{rep: rep, source: "host", device: name, name: hi.Name, hType: hi.Type, mac: hi.MAC, hostIfc: true,
			ifKey: "if:host:" + rep.Agent.ID + ":" + hi.Name}
		if hi.Up {
			o.oper = 1
		} else {
			o.oper = 2
		}
		for _, s := range hi.Addresses {
			if p, ok := parseIfAddr(s); ok {
				o.addrs = append(o.addrs, p)
				if !p.Addr().IsLoopback() {
					v.agentAddrs[p.Addr()] = true
					keys = append(keys, "dev:"+p.Addr().String())
				}
			}
		}
		v.ifaces = append(v.ifaces, o)
		byName[hi.Name] = o
	}
	for _, o := range byName {
		o.keys = keys
	}
	for _, r := range h.Routes {
		dest, err := netip.ParsePrefix(r.Destination)
		if err != nil {
			if r.Destination == "default" {
				dest = netip.MustParsePrefix("0.0.0.0/0")
			} else {
				continue
			}
		}
		ro := routeObs{rep: rep, source: "host", device: name, keys: keys, dest: dest.Masked(), ifName: r.Interface, connected: true,
			ifKey: "if:host:" + rep.Agent.ID + ":" + r.Interface,
			raw:   map[string]any{"destination": r.Destination, "gateway": r.Gateway, "interface": r.Interface, "metric": r.Metric}}
		if a, ok := parseAddr(r.Gateway); ok && !a.IsUnspecified() {
			ro.nextHop, ro.connected = a, false
		}
		v.routes = append(v.routes, ro)
	}
}

func deviceName(d *wire.DeviceInventory) string {
	if d.System.Name != "" {
		return d.System.Name + " (" + targetHost(d.Target) + ")"
	}
	return targetHost(d.Target)
}

func (v *view) addDevice(rep *wire.ScanReport, d *wire.DeviceInventory) {
	name := deviceName(d)
	host := targetHost(d.Target)
	keys := []string{"dev:" + host}
	own := map[netip.Addr]bool{}
	for _, ip := range d.IPAddresses {
		if a, ok := parseAddr(ip.Address); ok && !a.IsLoopback() {
			keys = append(keys, "dev:"+a.String())
			own[a] = true
		}
	}
	byIdx := map[int]*ifObs{}
	for _, it := range d.Interfaces {
		o := &ifObs{rep: rep, source: "snmp", device: name, keys: keys, name: it.Name, descr: it.Descr, alias: it.Alias,
			ifType: it.Type, oper: it.OperStatus, mac: it.MAC, devIdx: it.Index,
			ifKey: "if:" + host + ":" + strconv.Itoa(it.Index)}
		byIdx[it.Index] = o
		v.ifaces = append(v.ifaces, o)
	}
	for _, ip := range d.IPAddresses {
		a, ok := parseAddr(ip.Address)
		if !ok {
			continue
		}
		bits := ip.PrefixLen
		if bits <= 0 || bits > a.BitLen() {
			bits = a.BitLen()
		}
		p := netip.PrefixFrom(a, bits)
		o := byIdx[ip.IfIndex]
		if o == nil {
			o = &ifObs{rep: rep, source: "snmp", device: name, keys: keys, devIdx: ip.IfIndex,
				ifKey: "if:" + host + ":" + strconv.Itoa(ip.IfIndex)}
			byIdx[ip.IfIndex] = o
			v.ifaces = append(v.ifaces, o)
		}
		o.addrs = append(o.addrs, p)
	}
	v.noteRouter(d)
	for _, r := range d.Routes {
		dest, err := netip.ParsePrefix(r.Destination)
		if err != nil {
			continue
		}
		ro := routeObs{rep: rep, source: "snmp", device: name, keys: keys, dest: dest.Masked(),
			ifKey: "if:" + host + ":" + strconv.Itoa(r.IfIndex),
			raw: map[string]any{"device": d.Target, "destination": r.Destination, "next_hop": r.NextHop, "if_index": r.IfIndex,
				"protocol": r.Protocol, "source_table": r.SourceTable}}
		if o := byIdx[r.IfIndex]; o != nil {
			ro.ifName = ifLabel(o)
			ro.raw["interface"] = ro.ifName
		}
		if a, ok := parseAddr(r.NextHop); ok && !a.IsUnspecified() {
			ro.nextHop = a
		}
		ro.connected = !ro.nextHop.IsValid() || r.Protocol == routeProtoLocal || own[ro.nextHop]
		v.routes = append(v.routes, ro)
	}
}

func ifLabel(o *ifObs) string {
	switch {
	case o.name != "":
		return o.name
	case o.descr != "":
		return o.descr
	case o.devIdx != 0:
		return "ifIndex " + strconv.Itoa(o.devIdx)
	}
	return "?"
}

func (o *ifObs) detail() map[string]any {
	m := map[string]any{"device": o.device, "interface": ifLabel(o)}
	if o.source == "snmp" {
		m["if_index"] = o.devIdx
		m["if_type"] = o.ifType
		m["descr"] = o.descr
		m["alias"] = o.alias
		m["oper_status"] = o.oper
	} else {
		m["type"] = o.hType
		m["up"] = o.oper == 1
	}
	var as []string
	for _, a := range o.addrs {
		as = append(as, a.String())
	}
	if len(as) > 0 {
		m["addresses"] = as
	}
	if o.mac != "" {
		m["mac"] = o.mac
	}
	return m
}

func (r routeObs) method() string { return r.source + "-route" }

func hopsDetail(p wire.Path) []map[string]any {
	out := make([]map[string]any, 0, len(p.Hops))
	for _, h := range p.Hops {
		out = append(out, map[string]any{"ttl": h.TTL, "address": h.Address})
	}
	return out
}

// scopePrefixes returns a report's scope as prefixes.
func scopePrefixes(rep *wire.ScanReport) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range rep.Scope {
		if p, ok := parseIfAddr(s); ok {
			out = append(out, p.Masked())
		}
	}
	return out
}

// pathKind is the kind of a path, inferred from the plan when the agent
// did not say.
func (v *view) pathKind(p wire.Path) string {
	if p.Kind != "" {
		return p.Kind
	}
	a, ok := parseAddr(p.Target)
	if !ok {
		return ""
	}
	switch {
	case v.x.internetTargets[a]:
		return "internet"
	case v.x.extranetTargets[a]:
		return "extranet"
	}
	if _, ok := v.x.pnFor(a); ok {
		return "private"
	}
	return ""
}

// noteRouter records a device's addresses when it routes between networks.
func (v *view) noteRouter(d *wire.DeviceInventory) {
	subnets := map[netip.Prefix]bool{}
	var addrs []netip.Addr
	for _, ip := range d.IPAddresses {
		a, ok := parseAddr(ip.Address)
		if !ok || a.IsLoopback() {
			continue
		}
		bits := ip.PrefixLen
		if bits <= 0 || bits > a.BitLen() {
			bits = a.BitLen()
		}
		subnets[netip.PrefixFrom(a, bits).Masked()] = true
		addrs = append(addrs, a)
	}
	via := false
	for _, r := range d.Routes {
		if a, ok := parseAddr(r.NextHop); ok && !a.IsUnspecified() {
			via = true
		}
	}
	if len(subnets) < 2 || !via {
		return
	}
	if a, ok := parseAddr(targetHost(d.Target)); ok {
		addrs = append(addrs, a)
	}
	for _, a := range addrs {
		v.routers[a] = true
	}
}

// devices returns the report's devices whose tables describe the network
// they were reached on: the address the agent walked lies in one of the
// device's own interface subnets (a VRRP address counts). A device whose
// tables name only other networks (an SNMP proxy, a NAT, a replayed
// recording) cannot place its routes and addresses in this department, so
// the network rules leave it out unless Patterns.TrustForeignDevices.
func (v *view) devices(rep *wire.ScanReport) []wire.DeviceInventory {
	return v.devs[rep]
}

// routeProtoLocal is ipRouteProto/inetCidrRouteProto local(2): a route the
// device derived from its own interface configuration.
const routeProtoLocal = 2

// dedupeDevices keeps each device once per department view: an agent that
// walks a router at two of its addresses (or two agents that walk it) gets
// the same tables twice, which would double every route, interface and ARP
// row as evidence. The same device is the same SNMPv3 engine id with the
// same sysName, or the same sysName with the same non-empty set of
// interface MACs. The copy kept is from the latest report, then the lowest
// walked address, so subjects do not depend on the walk order. Devices
// whose tables do not describe the network they were reached on are left
// out unless trustForeign (see deviceConsistent).
func dedupeDevices(reps []*wire.ScanReport, trustForeign bool) map[*wire.ScanReport][]wire.DeviceInventory {
	type cand struct {
		rep *wire.ScanReport
		pos int
		id  string
		at  netip.Addr
	}
	var cands []cand
	for _, rep := range reps {
		if rep == nil {
			continue
		}
		for i, d := range rep.Devices {
			if !trustForeign && !deviceConsistent(d) {
				continue
			}
			a, _ := parseAddr(targetHost(d.Target))
			cands = append(cands, cand{rep: rep, pos: i, id: deviceIdentity(d), at: a})
		}
	}
	order := slices.Clone(cands)
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if !a.rep.FinishedAt.Equal(b.rep.FinishedAt) {
			return a.rep.FinishedAt.After(b.rep.FinishedAt)
		}
		if c := a.at.Compare(b.at); c != 0 {
			return c < 0
		}
		return a.rep.Devices[a.pos].Target < b.rep.Devices[b.pos].Target
	})
	type slot struct {
		rep *wire.ScanReport
		pos int
	}
	kept := map[slot]bool{}
	seen := map[string]bool{}
	for _, c := range order {
		if c.id != "" {
			if seen[c.id] {
				continue
			}
			seen[c.id] = true
		}
		kept[slot{c.rep, c.pos}] = true
	}
	out := map[*wire.ScanReport][]wire.DeviceInventory{}
	for _, c := range cands { // report order, as walked
		if kept[slot{c.rep, c.pos}] {
			out[c.rep] = append(out[c.rep], c.rep.Devices[c.pos])
		}
	}
	return out
}

// deviceIdentity is what makes two walks the same device; "" when the walk
// carries nothing that identifies the box (it is then never merged).
func deviceIdentity(d wire.DeviceInventory) string {
	var macs []string
	for _, it := range d.Interfaces {
		m := strings.ToLower(strings.TrimSpace(it.MAC))
		if m != "" && m != "00:00:00:00:00:00" && !slices.Contains(macs, m) {
			macs = append(macs, m)
		}
	}
	sort.Strings(macs)
	switch {
	case d.EngineID != "" && d.System.Name != "":
		return "engine|" + d.EngineID + "|" + d.System.Name
	case d.System.Name != "" && len(macs) > 0:
		return "name|" + d.System.Name + "|" + strings.Join(macs, ",")
	}
	return ""
}

func deviceConsistent(d wire.DeviceInventory) bool {
	t, ok := parseAddr(targetHost(d.Target))
	if !ok || len(d.IPAddresses) == 0 {
		return true // nothing to contradict
	}
	for _, ip := range d.IPAddresses {
		a, ok := parseAddr(ip.Address)
		if !ok {
			continue
		}
		bits := ip.PrefixLen
		if bits <= 0 || bits > a.BitLen() {
			bits = a.BitLen()
		}
		if a == t || netip.PrefixFrom(a, bits).Masked().Contains(t) {
			return true
		}
	}
	return false
}
