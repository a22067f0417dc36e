package rules

import (
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/egovnet/egovnet/collector/terms"
	"github.com/egovnet/egovnet/internal/wire"
)

// uplinkIfaces are interfaces that carry the sanctioned extranet uplink:
// lines named MPLS or VPN there are the extranet itself, not a 专网.
func (v *view) uplinkIfaces() map[string]bool {
	m := map[string]bool{}
	for _, o := range v.ifaces {
		for _, a := range o.addrs {
			for u := range v.x.uplinks {
				if a.Contains(u) && a.Bits() < a.Addr().BitLen() {
					m[o.ifKey] = true
				}
			}
		}
		if strings.Contains(o.alias+o.descr, "政务外网") {
			m[o.ifKey] = true
		}
	}
	for _, r := range v.routes {
		if r.nextHop.IsValid() && v.x.uplinks[r.nextHop] {
			m[r.ifKey] = true
		}
	}
	return m
}

func (v *view) privateLink() []signal {
	var out []signal
	add := func(s signal) {
		s.rule = wire.RulePrivateLink
		out = append(out, s)
	}
	exits := v.egress()
	egress := exits.ifaces
	uplink := v.uplinkIfaces()
	pnSubject := func(n pnet) (string, []string) {
		sub := n.name
		if len(n.prefixes) > 0 {
			sub = n.prefixes[0].String()
		}
		return sub, []string{"pn:" + n.name}
	}
	// Routes to known private networks or to prefixes outside every plan
	// prefix, not through the extranet uplink.
	for _, r := range v.routes {
		if r.dest.Bits() == 0 || (r.nextHop.IsValid() && v.x.uplinks[r.nextHop]) {
			continue
		}
		if r.source == "host" && r.connected {
			// The agent host's own connected routes (an IPv6 ULA on its
			// LAN, a docker or libvirt bridge) are not a line to another
			// network; a second network the host really sits on shows as
			// a multi-homed address or a tunnel interface.
			continue
		}
		det := copyMap(r.raw)
		s := signal{keys: []string{r.ifKey}, ev: wire.Evidence{}}
		if n, ok := v.x.pnForPrefix(r.dest); ok {
			s.subject, s.keys = pnSubject(n)
			s.keys = append(s.keys, r.ifKey)
			det["private_network"] = n.name
			det[terms.KeyCode] = string(terms.PrivateRouteKnown)
		} else {
			a := r.dest.Addr()
			if coveredBy(v.x.ownPrefixes(v.dept), r.dest) || overlapsAny(v.x.extranet, r.dest) || overlapsAny(v.x.cloud, r.dest) {
				continue
			}
			if c := v.x.class(v.dept, a); c != classOtherPrivate {
				continue
			}
			if r.dest.Bits() == a.BitLen() && v.agentAddrs[a] {
				continue
			}
			if exits.onExitLine(r) {
				continue // the carrier line of an internet exit, not a 专网
			}
			s.subject, s.prio, s.pfx = r.dest.String(), 1, r.dest
			det[terms.KeyCode] = string(terms.PrivateRouteUnplanned)
		}
		s.ev = evidence(r.rep, r.method(), det)
		add(s)
	}
	// Tunnel and point-to-point interfaces, and interfaces named as lines.
	for _, o := range v.ifaces {
		if egress[o.ifKey] || uplink[o.ifKey] || o.oper == 2 {
			continue
		}
		var why terms.Reason
		switch {
		case o.source == "snmp" && v.c.tunnelIfType(o.ifType):
			why = terms.PrivateTunnelIfType
		case o.hostIfc && (v.c.tunnelHostType(o.hType) || matchAny(v.c.tunnelNames, o.name) != ""):
			why = terms.PrivateTunnelHost
		}
		pat := matchAny(v.c.lineAliases, o.alias, o.descr, o.name)
		if why == "" && pat == "" {
			continue
		}
		det := o.detail()
		if why == "" {
			why = terms.PrivateLineName
		}
		if pat != "" {
			det["matched"] = pat
		}
		det[terms.KeyCode] = string(why)
		s := signal{subject: o.device + " " + ifLabel(o), prio: 2, keys: []string{o.ifKey}, ev: evidence(o.rep, o.source+"-interface", det)}
		for _, a := range o.addrs {
			c := v.x.class(v.dept, a.Addr())
			if c == classPrivateNet {
				n, _ := v.x.pnFor(a.Addr())
				sub, keys := pnSubject(n)
				s.subject, s.prio = sub, 0
				s.keys = append(s.keys, keys...)
			} else if c == classOtherPrivate && !s.pfx.IsValid() {
				s.pfx = a.Masked()
			}
		}
		add(s)
	}
	// Known private networks answering: sentinel paths, endpoints inside.
	for _, rep := range v.in.Reports {
		for _, p := range rep.Paths {
			t, _ := parseAddr(p.Target)
			n, known := v.x.pnFor(t)
			if !p.Reachable || (v.pathKind(p) != "private" && !known) {
				continue
			}
			det := map[string]any{"target": p.Target, "reachable": true, "hops": hopsDetail(p),
				terms.KeyCode: string(terms.PrivateSentinel)}
			s := signal{subject: p.Target, prio: 1, pfx: netip.PrefixFrom(t, t.BitLen())}
			if known {
				s.subject, s.keys = pnSubject(n)
				s.prio = 0
				det["private_network"] = n.name
			}
			s.ev = evidence(rep, "path", det)
			add(s)
		}
		for _, ep := range rep.Endpoints {
			a, ok := parseAddr(ep.IP)
			if !ok {
				continue
			}
			if n, ok := v.x.pnFor(a); ok {
				sub, keys := pnSubject(n)
				add(signal{subject: sub, keys: keys, ev: evidence(rep, "endpoint", map[string]any{"ip": ep.IP, "seen_by": ep.SeenBy,
					"private_network": n.name, terms.KeyCode: string(terms.PrivateEndpoint)})})
			}
		}
	}
	// VPN services.
	for _, e := range v.endpoints {
		var udp, tcp []int
		for _, p := range e.ep.UDPPorts {
			if slices.Contains(v.c.p.VPNUDPPorts, p) {
				udp = append(udp, p)
			}
		}
		for _, p := range e.ep.OpenPorts {
			if slices.Contains(v.c.p.VPNTCPPorts, p) {
				tcp = append(tcp, p)
			}
		}
		if len(udp)+len(tcp) == 0 {
			continue
		}
		switch v.x.class(v.dept, e.ip) {
		case classSanctioned, classUplink, classCloud, classOtherDept, classExtranet:
			continue
		}
		if exits.nextHops[e.ip] || exits.onTransfer(e.ip) {
			continue // the exit's CPE answering IKE is the exit, not a 专网
		}
		det := map[string]any{"ip": e.ep.IP, "hostname": e.ep.Hostname, terms.KeyCode: string(terms.PrivateVPN)}
		if len(udp) > 0 {
			det["udp_ports"] = udp
		}
		if len(tcp) > 0 {
			det["tcp_ports"] = tcp
		}
		add(signal{subject: e.ip.String(), prio: 2, keys: []string{"addr:" + e.ip.String(), "dev:" + e.ip.String()},
			ev: evidence(e.rep, "vpn-service", det)})
	}
	return out
}

var ula = netip.MustParsePrefix("fc00::/7")

// entity is one machine seen at several addresses: the agent host, an SNMP
// device (by sysName or engine id), or endpoints sharing a MAC.
type entity struct {
	rep    *wire.ScanReport
	method string
	id     string
	addrs  map[netip.Addr]bool
	keys   []string
}

func (v *view) entities() []*entity {
	var out []*entity
	for _, rep := range v.in.Reports {
		if rep.Host != nil {
			e := &entity{rep: rep, method: "host-multihome", id: "agent host " + rep.Agent.Hostname, addrs: map[netip.Addr]bool{}}
			for _, hi := range rep.Host.Interfaces {
				if matchAny(v.c.hostBridges, hi.Name) != "" {
					continue // a container/VM bridge inside the host
				}
				var as []netip.Addr
				onLAN := false
				for _, s := range hi.Addresses {
					if p, ok := parseIfAddr(s); ok {
						as = append(as, p.Addr())
						c := v.x.class(v.dept, p.Addr())
						onLAN = onLAN || c == classDept || c == classClassified
					}
				}
				for _, a := range as {
					if onLAN && a.Is6() && ula.Contains(a) {
						continue // dual stack: the department LAN's own IPv6 ULA
					}
					e.addrs[a] = true
					e.keys = append(e.keys, "dev:"+a.String())
				}
			}
			out = append(out, e)
		}
	}
	devs := map[string]*entity{}
	var devOrder []string
	for _, rep := range v.in.Reports {
		for _, d := range v.devices(rep) {
			id := "device " + targetHost(d.Target)
			switch {
			case d.EngineID != "":
				id = "engine " + d.EngineID
			case d.System.Name != "":
				id = "sysName " + d.System.Name
			}
			e := devs[id]
			if e == nil {
				e = &entity{rep: rep, method: "snmp-multihome", id: id, addrs: map[netip.Addr]bool{}}
				devs[id] = e
				devOrder = append(devOrder, id)
			}
			if a, ok := parseAddr(targetHost(d.Target)); ok {
				e.addrs[a] = true
			}
			for _, ip := range d.IPAddresses {
				if a, ok := parseAddr(ip.Address); ok {
					e.addrs[a] = true
				}
			}
			for a := range e.addrs {
				e.keys = append(e.keys, "dev:"+a.String())
			}
		}
	}
	for _, id := range devOrder {
		out = append(out, devs[id])
	}
	macs := map[string]*entity{}
	var macOrder []string
	for _, e := range v.endpoints {
		m := strings.ToLower(e.ep.MAC)
		if m == "" || m == "00:00:00:00:00:00" || m == "ff:ff:ff:ff:ff:ff" {
			continue
		}
		en := macs[m]
		if en == nil {
			en = &entity{rep: e.rep, method: "mac-multihome", id: "mac " + m, addrs: map[netip.Addr]bool{}}
			macs[m] = en
			macOrder = append(macOrder, m)
		}
		en.addrs[e.ip] = true
		en.keys = append(en.keys, "dev:"+e.ip.String())
	}
	for _, m := range macOrder {
		out = append(out, macs[m])
	}
	return out
}

// multihome turns machines with addresses in two networks into signals:
// department + private network is a private link (违规外联), classified +
// anything else an isolation breach, department + public an internet exit.
func (v *view) multihome() []signal {
	var out []signal
	reg := v.x.depts[v.dept] != nil && v.x.depts[v.dept].registered
	exits := v.egress()
	for _, e := range v.entities() {
		classes := map[netClass][]netip.Addr{}
		var all []string
		for a := range e.addrs {
			c := v.x.class(v.dept, a)
			if c == classSpecial {
				continue
			}
			classes[c] = append(classes[c], a)
			all = append(all, a.String())
		}
		sort.Strings(all)
		for c := range classes {
			classes[c] = sortedAddrs(classes[c])
		}
		home := len(classes[classDept]) > 0
		cls := len(classes[classClassified]) > 0
		if !home && !cls {
			continue
		}
		det := func(code terms.Reason) map[string]any {
			return map[string]any{"entity": e.id, "addresses": all, terms.KeyCode: string(code)}
		}
		for _, c := range []netClass{classPrivateNet, classOtherPrivate} {
			for _, a := range sortedAddrs(classes[c]) {
				if c == classOtherPrivate && exits.onTransfer(a) {
					continue // its leg on an internet exit's transfer subnet
				}
				s := signal{rule: wire.RulePrivateLink, subject: a.String(), prio: 1, pfx: netip.PrefixFrom(a, a.BitLen()),
					ev: evidence(e.rep, e.method, det(terms.PrivateMultihome))}
				if n, ok := v.x.pnFor(a); ok && len(n.prefixes) > 0 {
					s.subject, s.prio, s.keys = n.prefixes[0].String(), 0, []string{"pn:" + n.name}
				}
				out = append(out, s)
			}
		}
		if cls {
			for c := classSanctioned; c <= classPublic; c++ {
				as := classes[c]
				if c == classClassified || len(as) == 0 {
					continue
				}
				sub := v.x.depts[v.dept].classified[0].String()
				for _, p := range v.x.depts[v.dept].classified {
					if p.Contains(classes[classClassified][0]) {
						sub = p.String()
					}
				}
				d := det(terms.IsolationMultihome)
				d["other_class"], d["other_address"] = c.String(), sortedAddrs(as)[0].String()
				out = append(out, signal{rule: wire.RuleIsolationBreach, subject: sub, ev: evidence(e.rep, e.method, d)})
				break
			}
		}
		if home {
			for _, a := range sortedAddrs(classes[classPublic]) {
				out = append(out, signal{rule: wire.RuleInternetEgress, subject: a.String(), prio: 1, registered: reg,
					keys: append([]string{"addr:" + a.String()}, e.keys...), pfx: netip.PrefixFrom(a, a.BitLen()),
					ev: evidence(e.rep, e.method, det(terms.EgressMultihome))})
			}
		}
	}
	return out
}

func sortedAddrs(as []netip.Addr) []netip.Addr {
	out := slices.Clone(as)
	slices.SortFunc(out, func(a, b netip.Addr) int { return a.Compare(b) })
	return out
}
