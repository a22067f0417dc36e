package rules

import (
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/egovnet/egovnet/collector/rules/packs"
	"github.com/egovnet/egovnet/collector/terms"
	"github.com/egovnet/egovnet/internal/chinatime"
	"github.com/egovnet/egovnet/internal/wire"
)

// uniqueEndpoints keeps the latest observation of each address.
func (v *view) uniqueEndpoints() []epObs {
	// Several detectors walk it; a department of 10k endpoints builds it
	// once per evaluation (callers only read it).
	if v.uniqDone {
		return v.uniq
	}
	v.uniqDone = true
	idx := make(map[netip.Addr]int, len(v.endpoints))
	out := make([]epObs, 0, len(v.endpoints))
	for _, e := range v.endpoints {
		if i, ok := idx[e.ip]; ok {
			if !e.rep.FinishedAt.Before(out[i].rep.FinishedAt) {
				out[i] = e
			}
			continue
		}
		idx[e.ip] = len(out)
		out = append(out, e)
	}
	v.uniq = out
	return out
}

// ServerCounts counts the department's servers on its own premises and on
// the e-gov cloud in the reports (Qiqihar art. 9: the cloud ratio).
func (v *view) serverCounts() (local, cloud int) {
	for _, e := range v.uniqueEndpoints() {
		if e.ep.Role != wire.RoleServer || v.agentAddrs[e.ip] || v.routers[e.ip] {
			continue
		}
		switch v.x.class(v.dept, e.ip) {
		case classDept:
			local++
		case classCloud:
			cloud++
		}
	}
	return local, cloud
}

func endpointDetail(e wire.Endpoint) map[string]any {
	d := map[string]any{"ip": e.IP, "role": e.Role, "seen_by": e.SeenBy}
	if e.MAC != "" {
		d["mac"] = e.MAC
	}
	if e.Vendor != "" {
		d["vendor"] = e.Vendor
	}
	if e.Hostname != "" {
		d["hostname"] = e.Hostname
	}
	if len(e.OpenPorts) > 0 {
		d["open_ports"] = e.OpenPorts
	}
	if e.SysDescr != "" {
		d["sys_descr"] = e.SysDescr
	}
	if names := endpointNames(e); len(names) > 0 {
		d["names"] = names
	}
	return d
}

func (v *view) localServer() []signal {
	local, cloud := v.serverCounts()
	ratio := 1.0
	if local+cloud > 0 {
		ratio = float64(cloud) / float64(local+cloud)
	}
	var out []signal
	for _, e := range v.uniqueEndpoints() {
		if e.ep.Role != wire.RoleServer || v.agentAddrs[e.ip] || v.routers[e.ip] || v.x.class(v.dept, e.ip) != classDept {
			continue
		}
		d := endpointDetail(e.ep)
		d[terms.KeyCode] = string(terms.LocalServer)
		d["department_local_servers"] = local
		d["department_cloud_servers"] = cloud
		d["cloud_ratio"] = ratio
		out = append(out, signal{rule: wire.RuleLocalServer, subject: e.ip.String(), ev: evidence(e.rep, "endpoint", d)})
	}
	return out
}

// departmentWebsite: HTTP sites with a title on department hosts that no
// approved name covers. A site on the e-gov cloud is where sites belong
// (approved or not, it is the cloud's to account for), so it is never a
// department website. The endpoint's names (PTR, sysName, the page's
// canonical link and og:url, the Host it answers for, TLS names) are
// matched against the plan's approved sites and kept as evidence.
func (v *view) departmentWebsite() []signal {
	var out []signal
	for _, e := range v.uniqueEndpoints() {
		if len(e.ep.HTTP) == 0 || e.ep.Role == wire.RoleNetwork || e.ep.Role == wire.RolePrinter || v.routers[e.ip] {
			continue
		}
		switch v.x.class(v.dept, e.ip) {
		case classDept, classClassified:
		default:
			continue
		}
		if v.x.approvedSite(e.ep) {
			continue
		}
		names := endpointNames(e.ep)
		for _, h := range e.ep.HTTP {
			title := strings.TrimSpace(h.Title)
			if title == "" || (h.Status >= 400) {
				continue
			}
			if matchAny(v.c.managementUI, title, h.Server) != "" || matchAny(v.c.carrierUI, title, h.Server) != "" {
				continue // a device's own page; a carrier gateway's is an exit
			}
			d := map[string]any{"ip": e.ep.IP, "port": h.Port, "scheme": h.Scheme, "title": title, "server": h.Server,
				terms.KeyCode: string(terms.DepartmentWebsite)}
			if h.Status != 0 {
				d["status"] = h.Status
			}
			if e.ep.Hostname != "" {
				d["hostname"] = e.ep.Hostname
			}
			if len(names) > 0 {
				d["names"] = names
			}
			out = append(out, signal{rule: wire.RuleDepartmentWebsite, subject: e.ip.String(), ev: evidence(e.rep, "http", d)})
		}
	}
	return out
}

// endpointNames are an endpoint's names as evidence rows, in report order,
// each name and source once.
func endpointNames(ep wire.Endpoint) []map[string]any {
	var out []map[string]any
	seen := map[string]bool{}
	for _, n := range ep.Names {
		k := n.Name + "\x00" + n.Source
		if n.Name == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, map[string]any{"name": n.Name, "source": n.Source})
	}
	return out
}

// approvedSite: the endpoint's address, hostname or any of its names is on
// the plan's approved websites.
func (x *index) approvedSite(ep wire.Endpoint) bool {
	if x.approved[siteHost(ep.IP)] || x.approved[siteHost(ep.Hostname)] {
		return true
	}
	for _, n := range ep.Names {
		if x.approved[siteHost(n.Name)] {
			return true
		}
	}
	return false
}

// siteHost reduces a site name to the host it names: "https://Portal.gov.cn:8443/x"
// and "portal.gov.cn." both become "portal.gov.cn"; "" stays "".
func siteHost(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return ""
	}
	if _, rest, ok := strings.Cut(s, "://"); ok {
		s = rest
	}
	s = strings.TrimPrefix(s, "//")
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	if h, _, err := net.SplitHostPort(s); err == nil {
		s = h
	}
	return strings.TrimSuffix(strings.Trim(s, "[]"), ".")
}

// addressOutsidePlan: an address inside the department's network (its scan
// scope, or L2-adjacent to a department interface) but outside its
// allocation. Addresses other rules own (public, private networks, cloud,
// uplinks) are left to them.
func (v *view) addressOutsidePlan() []signal {
	own := v.x.ownPrefixes(v.dept)
	if len(own) == 0 {
		return nil
	}
	var out []signal
	seen := map[string]bool{}
	check := func(a netip.Addr) bool {
		switch v.x.class(v.dept, a) {
		case classOtherDept, classExtranet, classOtherPrivate:
			return !v.agentAddrs[a]
		}
		return false
	}
	add := func(a netip.Addr, ev wire.Evidence) {
		k := a.String() + "|" + ev.Method + "|" + ev.Agent
		if seen[k] {
			return
		}
		seen[k] = true
		out = append(out, signal{rule: wire.RuleAddressOutsidePlan, subject: a.String(), ev: ev})
	}
	for _, rep := range v.in.Reports {
		scope := scopePrefixes(rep)
		for _, ep := range rep.Endpoints {
			a, ok := parseAddr(ep.IP)
			if !ok || !check(a) {
				continue
			}
			local := false
			for _, m := range ep.SeenBy {
				local = local || m == wire.MethodARP
			}
			if !containsAddr(scope, a) && !local {
				continue
			}
			d := endpointDetail(ep)
			d["scope"] = rep.Scope
			d["allocation"] = prefixStrings(own)
			d["class"] = v.x.class(v.dept, a).String()
			d[terms.KeyCode] = string(terms.OutsidePlanEndpoint)
			add(a, evidence(rep, "endpoint", d))
		}
		for _, dev := range v.devices(rep) {
			lanIf := map[int]bool{}
			for _, ip := range dev.IPAddresses {
				if a, ok := parseAddr(ip.Address); ok && containsAddr(own, a) {
					lanIf[ip.IfIndex] = true
				}
			}
			for _, e := range dev.ARP {
				a, ok := parseAddr(e.IP)
				if !ok || !lanIf[e.IfIndex] || !check(a) {
					continue
				}
				add(a, evidence(rep, "snmp-arp", map[string]any{"device": dev.Target, "ip": e.IP, "mac": e.MAC, "if_index": e.IfIndex,
					"allocation": prefixStrings(own), "class": v.x.class(v.dept, a).String(),
					terms.KeyCode: string(terms.OutsidePlanNeighbour)}))
			}
		}
	}
	return out
}

func prefixStrings(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// cutoffPack is one enabled pack's cutoff for new infrastructure.
type cutoffPack struct {
	pack   string
	cutoff time.Time // the first instant the ban applies (midnight CST)
	date   string
}

// newInfrastructure: servers and network devices that appeared after the
// department's baseline and after an enabled pack's cutoff (Jiangmen item
// 14: 2017-01-01). "First seen by egovnet" is not a build date: whatever the
// department's first scan saw is its existing estate, so nothing is new on
// day one, and a single offline scan finds nothing new unless the plan
// declares departments[].baseline. Only servers and network equipment
// count (a workstation that answers SNMP is neither).
func (v *view) newInfrastructure(enabled []packs.Pack) []signal {
	var cuts []cutoffPack
	for _, p := range enabled {
		if t, ok := p.Date(wire.RuleNewInfrastructure, "cutoff"); ok {
			start := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, chinatime.Location)
			cuts = append(cuts, cutoffPack{pack: p.ID, cutoff: start, date: t.Format("2006-01-02")})
		}
	}
	if len(cuts) == 0 {
		return nil
	}
	baseline, declared := v.baseline()
	type infra struct {
		rep    *wire.ScanReport
		kind   string
		detail map[string]any
		first  time.Time
	}
	found := map[netip.Addr]*infra{}
	var order []netip.Addr
	note := func(a netip.Addr, rep *wire.ScanReport, kind string, d map[string]any) {
		switch v.x.class(v.dept, a) {
		case classDept, classClassified:
		default:
			return
		}
		if v.agentAddrs[a] {
			return
		}
		if f, ok := found[a]; ok {
			if rep.FinishedAt.Before(f.first) {
				f.first = rep.FinishedAt
			}
			if kind == wire.RoleNetwork {
				f.kind = kind
			}
			return
		}
		found[a] = &infra{rep: rep, kind: kind, detail: d, first: rep.FinishedAt}
		order = append(order, a)
	}
	roles := map[netip.Addr]string{}
	for _, e := range v.endpoints {
		if e.ep.Role != "" && e.ep.Role != wire.RoleUnknown {
			roles[e.ip] = e.ep.Role
		}
	}
	for _, rep := range v.in.Reports {
		for _, e := range rep.Endpoints {
			a, ok := parseAddr(e.IP)
			if !ok {
				continue
			}
			kind := e.Role
			if v.routers[a] {
				kind = wire.RoleNetwork
			}
			if kind != wire.RoleServer && kind != wire.RoleNetwork {
				continue
			}
			note(a, rep, kind, endpointDetail(e))
		}
		for _, d := range v.devices(rep) {
			a, ok := parseAddr(targetHost(d.Target))
			if !ok {
				continue
			}
			kind := roles[a]
			switch {
			case v.routers[a] || networkObjectID(d.System.ObjectID):
				kind = wire.RoleNetwork
			case kind == wire.RoleServer || kind == wire.RoleNetwork:
			default:
				continue // a workstation, printer or unknown host answering SNMP
			}
			note(a, rep, kind, map[string]any{"device": d.Target, "sys_name": d.System.Name, "sys_descr": d.System.Descr,
				"sys_object_id": d.System.ObjectID})
		}
	}
	var out []signal
	for _, a := range order {
		f := found[a]
		first := f.first
		if t, ok := v.in.FirstSeen[a.String()]; ok && !t.IsZero() {
			first = t
		}
		if !first.After(baseline) {
			continue // part of the estate at the baseline
		}
		var passed []string
		var dates []string
		for _, c := range cuts {
			if !first.Before(c.cutoff) {
				passed = append(passed, c.pack)
				dates = append(dates, c.date)
			}
		}
		if len(passed) == 0 {
			continue
		}
		d := copyMap(f.detail)
		d["first_seen"] = first.UTC().Format(time.RFC3339)
		d["baseline"] = baseline.UTC().Format(time.RFC3339)
		d["baseline_source"] = "first-scan"
		if declared {
			d["baseline_source"] = "plan"
		}
		d["cutoff"] = dates[0]
		d["kind"] = f.kind
		d[terms.KeyCode] = string(terms.NewInfrastructure)
		out = append(out, signal{rule: wire.RuleNewInfrastructure, subject: a.String(), packs: passed,
			ev: evidence(f.rep, "first-seen", d)})
	}
	return out
}

// baseline is the instant up to which what was seen is the department's
// existing estate: the plan's departments[].baseline when declared, else
// the department's first scan (Input.Baseline from the collector, or the
// earliest report judged offline).
func (v *view) baseline() (time.Time, bool) {
	if d, ok := v.x.plan.Department(v.dept); ok {
		if t, ok := d.BaselineAt(); ok {
			return t, true
		}
	}
	if !v.in.Baseline.IsZero() {
		return v.in.Baseline, false
	}
	return v.firstAt, false
}

// networkObjectIDs are sysObjectID prefixes of network equipment vendors'
// enterprise trees (routers, switches, firewalls). Hosts (Microsoft,
// net-snmp, Windows/Linux) are not among them.
var networkObjectIDs = []string{
	"1.3.6.1.4.1.9.",           // Cisco
	"1.3.6.1.4.1.2011.",        // Huawei
	"1.3.6.1.4.1.25506.",       // H3C
	"1.3.6.1.4.1.4881.",        // Ruijie
	"1.3.6.1.4.1.3902.",        // ZTE
	"1.3.6.1.4.1.2636.",        // Juniper
	"1.3.6.1.4.1.12356.",       // Fortinet
	"1.3.6.1.4.1.14988.",       // MikroTik
	"1.3.6.1.4.1.11.2.3.7.11.", // HP ProCurve switches
	"1.3.6.1.4.1.43.",          // 3Com
	"1.3.6.1.4.1.35047.",       // Sangfor
	"1.3.6.1.4.1.6486.",        // Alcatel-Lucent
}

func networkObjectID(oid string) bool {
	oid = strings.TrimPrefix(strings.TrimSpace(oid), ".")
	for _, p := range networkObjectIDs {
		if strings.HasPrefix(oid+".", p) || strings.HasPrefix(oid, p) {
			return true
		}
	}
	return false
}
