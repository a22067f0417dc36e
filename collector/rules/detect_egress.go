package rules

import (
	"net/netip"
	"slices"

	"github.com/egovnet/egovnet/collector/terms"
	"github.com/egovnet/egovnet/internal/wire"
)

// egressLinks are the lines that carry an internet exit: the interfaces
// with a public address or with a default/public route through an
// unsanctioned next hop, those next hops, and the transfer subnets the
// exit runs over (the addresses configured on those interfaces, and the
// device's subnet that holds the rogue next hop). A carrier CPE's small
// NAT'd transfer network sits in unplanned private space; its connected
// route and the router's address on it are the exit's own evidence, so the
// private-link and multi-homing signals leave them out: one line, one
// finding.
type egressLinks struct {
	ifaces   map[string]bool
	nextHops map[netip.Addr]bool
	transfer []netip.Prefix
}

// egress computes the view's egress links once.
func (v *view) egress() *egressLinks {
	if v.egr != nil {
		return v.egr
	}
	l := &egressLinks{ifaces: map[string]bool{}, nextHops: map[netip.Addr]bool{}}
	for _, o := range v.ifaces {
		for _, a := range o.addrs {
			if v.x.class(v.dept, a.Addr()) == classPublic {
				l.ifaces[o.ifKey] = true
			}
		}
	}
	for _, r := range v.routes {
		if v.routeToInternet(r) && v.unsanctionedNextHop(r) {
			l.ifaces[r.ifKey] = true
			if r.nextHop.IsValid() {
				l.nextHops[r.nextHop] = true
			}
		}
	}
	for _, o := range v.ifaces {
		for _, a := range o.addrs {
			if a.Bits() >= a.Addr().BitLen() {
				continue // a host address names no subnet
			}
			carries := l.ifaces[o.ifKey]
			for nh := range l.nextHops {
				carries = carries || (a.Contains(nh) && sameBox(o.keys, v.routesVia(nh)))
			}
			if carries && !v.ownLAN(a) {
				l.transfer = append(l.transfer, a.Masked())
			}
		}
	}
	v.egr = l
	return l
}

// routesVia returns the owner keys of the routes through next hop nh.
func (v *view) routesVia(nh netip.Addr) [][]string {
	var out [][]string
	for _, r := range v.routes {
		if r.nextHop == nh {
			out = append(out, r.keys)
		}
	}
	return out
}

// sameBox reports whether keys share an identity with any of others.
func sameBox(keys []string, others [][]string) bool {
	for _, ks := range others {
		for _, k := range ks {
			if slices.Contains(keys, k) {
				return true
			}
		}
	}
	return false
}

// ownLAN: a subnet inside the department's own allocation (a CPE sitting
// on the office LAN makes the LAN no transfer network).
func (v *view) ownLAN(p netip.Prefix) bool {
	return coveredBy(v.x.ownPrefixes(v.dept), p.Masked())
}

// onExitLine reports whether a route belongs to an internet exit's line:
// it goes through an exit's next hop, or points into its transfer subnet.
func (l *egressLinks) onExitLine(r routeObs) bool {
	if r.nextHop.IsValid() && l.nextHops[r.nextHop] {
		return true
	}
	return coveredBy(l.transfer, r.dest)
}

// onTransfer reports whether an address lies on an exit's transfer subnet.
func (l *egressLinks) onTransfer(a netip.Addr) bool { return containsAddr(l.transfer, a) }

// egressIfaces returns the interface keys that carry an internet exit (a
// public address, or a default/public route through them): such lines are
// internet egress, not private links.
func (v *view) egressIfaces() map[string]bool { return v.egress().ifaces }

// routeToInternet: a default route or a route to a public prefix.
func (v *view) routeToInternet(r routeObs) bool {
	if r.dest.Bits() == 0 {
		return true
	}
	if v.x.class(v.dept, r.dest.Addr()) != classPublic {
		return false
	}
	return !overlapsAny(v.x.extranet, r.dest) && !overlapsAny(v.x.cloud, r.dest)
}

// unsanctionedNextHop: the route leaves through something other than an
// extranet uplink or the central exit, and does not merely delegate to
// another device of the department.
func (v *view) unsanctionedNextHop(r routeObs) bool {
	if !r.nextHop.IsValid() {
		return !loopbackIf(r.ifName)
	}
	switch v.x.class(v.dept, r.nextHop) {
	case classUplink, classSanctioned, classDept, classClassified, classSpecial:
		return false
	}
	return true
}

func loopbackIf(name string) bool {
	switch name {
	case "lo", "Null0", "NULL0", "InLoopBack0", "InLoopback0", "blackhole":
		return true
	}
	return false
}

func (v *view) internetEgress() []signal {
	var out []signal
	reg := v.x.depts[v.dept] != nil && v.x.depts[v.dept].registered
	add := func(s signal) {
		s.rule = wire.RuleInternetEgress
		s.registered = reg
		out = append(out, s)
	}
	// Routes.
	for _, r := range v.routes {
		if !v.routeToInternet(r) || !v.unsanctionedNextHop(r) {
			continue
		}
		d := copyMap(r.raw)
		d[terms.KeyCode] = string(terms.EgressRoute)
		if !r.nextHop.IsValid() && r.dest.Bits() > 0 {
			d[terms.KeyCode] = string(terms.EgressConnectedPublic)
		}
		s := signal{keys: append([]string{r.ifKey}, r.keys...), ev: evidence(r.rep, r.method(), d)}
		if r.nextHop.IsValid() {
			c := v.x.class(v.dept, r.nextHop)
			d["next_hop_class"] = c.String()
			s.subject, s.prio = r.nextHop.String(), 1
			if c == classPublic {
				s.prio = 0
			}
			s.keys = append(s.keys, "addr:"+r.nextHop.String())
			s.pfx = netip.PrefixFrom(r.nextHop, r.nextHop.BitLen())
		} else {
			s.subject, s.prio = r.device+" "+r.ifName, 3
		}
		add(s)
	}
	// Public addresses on department interfaces.
	for _, o := range v.ifaces {
		for _, a := range o.addrs {
			if v.x.class(v.dept, a.Addr()) != classPublic {
				continue
			}
			d := o.detail()
			d["address"] = a.String()
			d[terms.KeyCode] = string(terms.EgressPublicAddress)
			add(signal{subject: a.Addr().String(), prio: 1, keys: append([]string{o.ifKey, "addr:" + a.Addr().String()}, o.keys...),
				pfx: a.Masked(), ev: evidence(o.rep, o.source+"-interface", d)})
		}
	}
	// Path probes toward internet reference targets.
	for _, rep := range v.in.Reports {
		for _, p := range rep.Paths {
			if v.pathKind(p) != "internet" {
				continue
			}
			if s, ok := v.pathExit(rep, p); ok {
				add(s)
			}
		}
	}
	// Carrier CPE as LLDP/CDP neighbours.
	for _, rep := range v.in.Reports {
		for _, d := range v.devices(rep) {
			for _, n := range d.Neighbors {
				na, hasAddr := parseAddr(n.Address)
				pub := hasAddr && v.x.class(v.dept, na) == classPublic
				pat := matchAny(v.c.carriers, n.SysName, n.Platform, n.ChassisID, n.PortID)
				if pat == "" && !pub {
					continue
				}
				det := map[string]any{"device": d.Target, "protocol": n.Protocol, "local_if_index": n.LocalIfIndex, "chassis_id": n.ChassisID,
					"port_id": n.PortID, "sys_name": n.SysName, "address": n.Address, "platform": n.Platform,
					terms.KeyCode: string(terms.EgressCarrier)}
				if pat != "" {
					det["matched"] = pat
				}
				host := targetHost(d.Target)
				s := signal{subject: deviceName(&d) + " ↔ " + n.SysName, prio: 3, keys: []string{"dev:" + host},
					ev: evidence(rep, n.Protocol, det)}
				if hasAddr {
					s.keys = append(s.keys, "addr:"+na.String())
					s.pfx = netip.PrefixFrom(na, na.BitLen())
					if pub {
						s.subject, s.prio = na.String(), 0
					}
				}
				add(s)
			}
		}
	}
	// Carrier CPE management pages answering inside the department: a 光猫
	// or carrier gateway on the office LAN is an exit of its own, even when
	// its address lies in the department's allocation.
	for _, e := range v.uniqueEndpoints() {
		switch v.x.class(v.dept, e.ip) {
		case classDept, classClassified, classOtherPrivate:
		default:
			continue
		}
		for _, h := range e.ep.HTTP {
			pat := matchAny(v.c.carrierUI, h.Title, h.Server)
			if pat == "" {
				continue
			}
			d := map[string]any{"ip": e.ep.IP, "port": h.Port, "scheme": h.Scheme, "title": h.Title, "server": h.Server, "matched": pat,
				terms.KeyCode: string(terms.EgressCarrierUI)}
			add(signal{subject: e.ip.String(), prio: 1, keys: []string{"addr:" + e.ip.String(), "dev:" + e.ip.String()},
				pfx: netip.PrefixFrom(e.ip, e.ip.BitLen()), ev: evidence(e.rep, "http", d)})
		}
	}
	return out
}

// pathExit finds where a path toward an internet target leaves the plan's
// prefixes. No signal when it leaves at the sanctioned central exit.
func (v *view) pathExit(rep *wire.ScanReport, p wire.Path) (signal, bool) {
	var lastIn netip.Addr
	lastInClass := classSpecial
	target, _ := parseAddr(p.Target)
	for _, h := range p.Hops {
		a, ok := parseAddr(h.Address)
		if !ok {
			continue
		}
		c := v.x.class(v.dept, a)
		switch {
		case c == classSanctioned:
			return signal{}, false
		case c == classSpecial:
			continue
		case c.inPlan():
			lastIn, lastInClass = a, c
			continue
		}
		// Left the plan at a hop that is not the central exit.
		d := map[string]any{"target": p.Target, "reachable": p.Reachable, "hops": hopsDetail(p), "exit_hop": a.String(),
			"exit_class": c.String(), terms.KeyCode: string(terms.EgressPath)}
		if lastIn.IsValid() {
			d["last_hop_in_plan"] = lastIn.String()
		}
		if a == target {
			// The exit router did not answer; the hop before it forwarded
			// straight to the target. Only a department hop makes that an
			// exit of the department.
			if lastInClass != classDept && lastInClass != classClassified {
				return signal{}, false
			}
			d["exit_hop"] = lastIn.String()
			return signal{subject: lastIn.String(), prio: 2, keys: []string{"dev:" + lastIn.String()}, ev: evidence(rep, "path", d)}, true
		}
		s := signal{subject: a.String(), prio: 0, keys: []string{"addr:" + a.String()}, pfx: netip.PrefixFrom(a, a.BitLen()), ev: evidence(rep, "path", d)}
		if c != classPublic {
			s.prio = 1
		}
		if lastIn.IsValid() {
			s.keys = append(s.keys, "dev:"+lastIn.String())
		}
		return s, true
	}
	return signal{}, false
}

// isolationBreach: a classified (公务网) segment that reaches the internet
// or the extranet, routes toward them, or is reachable from outside.
func (v *view) isolationBreach() []signal {
	d := v.x.depts[v.dept]
	if d == nil || len(d.classified) == 0 {
		return nil
	}
	cls := d.classified
	subjectFor := func(a netip.Addr) string {
		for _, p := range cls {
			if p.Contains(a) {
				return p.String()
			}
		}
		return cls[0].String()
	}
	var out []signal
	add := func(subject string, ev wire.Evidence) {
		out = append(out, signal{rule: wire.RuleIsolationBreach, subject: subject, ev: ev})
	}
	for _, rep := range v.in.Reports {
		inside, where := v.reportInClassified(rep, cls)
		if inside {
			for _, p := range rep.Paths {
				k := v.pathKind(p)
				if !p.Reachable || (k != "internet" && k != "extranet") {
					continue
				}
				add(subjectFor(where), evidence(rep, "path", map[string]any{"target": p.Target, "kind": k, "reachable": true,
					"hops": hopsDetail(p), terms.KeyCode: string(terms.IsolationReaches)}))
			}
		}
		// Classified addresses answering a scan from outside the segment.
		if !inside {
			for _, ep := range rep.Endpoints {
				a, ok := parseAddr(ep.IP)
				if !ok || !containsAddr(cls, a) {
					continue
				}
				add(subjectFor(a), evidence(rep, "reachability", map[string]any{"ip": ep.IP, "seen_by": ep.SeenBy, "scope": rep.Scope,
					terms.KeyCode: string(terms.IsolationAnswers)}))
			}
		}
	}
	// Routes of classified hosts and devices toward the extranet or
	// internet. A connected route only says which segments the box sits
	// on (its own LANs and uplink /30s); what can breach isolation is a
	// route that sends traffic on: a default or a learned/static route.
	own := v.x.ownPrefixes(v.dept)
	for _, r := range v.routes {
		if r.connected {
			continue
		}
		dev := v.routeOwnerAddrs(r)
		var at netip.Addr
		for _, a := range dev {
			if containsAddr(cls, a) {
				at = a
				break
			}
		}
		if !at.IsValid() {
			continue
		}
		toward := ""
		switch {
		case r.dest.Bits() == 0:
			if r.nextHop.IsValid() && containsAddr(cls, r.nextHop) {
				continue
			}
			toward = "default"
		case coveredBy(cls, r.dest), coveredBy(own, r.dest):
			continue // inside the department: not toward the extranet
		case overlapsAny(v.x.extranet, r.dest):
			toward = "extranet"
		case v.x.class(v.dept, r.dest.Addr()) == classPublic:
			toward = "internet"
		default:
			continue
		}
		det := copyMap(r.raw)
		det["toward"] = toward
		det[terms.KeyCode] = string(terms.IsolationRoute)
		add(subjectFor(at), evidence(r.rep, r.method(), det))
	}
	return out
}

// reportInClassified: the agent sits in, or scans only, a classified segment.
func (v *view) reportInClassified(rep *wire.ScanReport, cls []netip.Prefix) (bool, netip.Addr) {
	if rep.Host != nil {
		for _, hi := range rep.Host.Interfaces {
			for _, s := range hi.Addresses {
				if p, ok := parseIfAddr(s); ok && containsAddr(cls, p.Addr()) {
					return true, p.Addr()
				}
			}
		}
	}
	sc := scopePrefixes(rep)
	if len(sc) == 0 {
		return false, netip.Addr{}
	}
	for _, p := range sc {
		if !coveredBy(cls, p) {
			return false, netip.Addr{}
		}
	}
	return true, sc[0].Addr()
}

// routeOwnerAddrs returns the addresses of the host or device a route is on.
func (v *view) routeOwnerAddrs(r routeObs) []netip.Addr {
	var out []netip.Addr
	for _, k := range r.keys {
		if a, ok := parseAddr(k[len("dev:"):]); ok {
			out = append(out, a)
		}
	}
	return out
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+2)
	for k, v := range m {
		out[k] = v
	}
	return out
}
