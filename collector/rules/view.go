package rules

import (
	"net/netip"
	"sort"
	"strconv"
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
	firstAt    time.Time
	// routers are the addresses of walked devices that route between
	// networks (two subnets and a route through a next hop): whatever an
	// endpoint's role guess says, such a box is network equipment.
	routers map[netip.Addr]bool
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
		ro := routeObs{rep: rep, source: "host", device: name, keys: keys, dest: dest.Masked(), ifName: r.Interface,
			ifKey: "if:host:" + rep.Agent.ID + ":" + r.Interface,
			raw:   map[string]any{"destination": r.Destination, "gateway": r.Gateway, "interface": r.Interface, "metric": r.Metric}}
		if a, ok := parseAddr(r.Gateway); ok && !a.IsUnspecified() {
			ro.nextHop = a
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
	for _, ip := range d.IPAddresses {
		if a, ok := parseAddr(ip.Address); ok && !a.IsLoopback() {
			keys = append(keys, "dev:"+a.String())
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
	if v.c.p.TrustForeignDevices {
		return rep.Devices
	}
	out := make([]wire.DeviceInventory, 0, len(rep.Devices))
	for _, d := range rep.Devices {
		if deviceConsistent(d) {
			out = append(out, d)
		}
	}
	return out
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
