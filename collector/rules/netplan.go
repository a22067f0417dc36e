package rules

import (
	"net/netip"
	"strings"

	"github.com/egovnet/egovnet/internal/plan"
)

// netClass is what an address means to one department under the plan.
type netClass int

const (
	classSpecial      netClass = iota // loopback, link-local, multicast, unspecified
	classSanctioned                   // the central internet exit
	classUplink                       // a sanctioned extranet uplink next hop
	classClassified                   // this department's classified (公务网) segments
	classDept                         // this department's allocation
	classCloud                        // the e-gov cloud
	classPrivateNet                   // a known business private network
	classOtherDept                    // another department's allocation
	classExtranet                     // extranet address plan, unallocated
	classOtherPrivate                 // RFC 1918 / CGNAT space outside every plan prefix
	classPublic                       // the internet
)

var classNames = map[netClass]string{
	classSpecial: "special", classSanctioned: "sanctioned-egress", classUplink: "extranet-uplink",
	classClassified: "classified", classDept: "department", classCloud: "cloud",
	classPrivateNet: "private-network", classOtherDept: "other-department", classExtranet: "extranet",
	classOtherPrivate: "unplanned-private", classPublic: "public",
}

func (c netClass) String() string { return classNames[c] }

// inPlan reports whether the class lies inside the plan's address space
// (extranet, cloud, departments), where a path has not yet left the plan.
func (c netClass) inPlan() bool {
	switch c {
	case classUplink, classClassified, classDept, classCloud, classOtherDept, classExtranet:
		return true
	}
	return false
}

type pnet struct {
	name      string
	prefixes  []netip.Prefix
	sentinels []netip.Addr
}

type deptIdx struct {
	code       string
	alloc      []netip.Prefix
	classified []netip.Prefix
	registered bool
}

// index is the plan with every address parsed once.
type index struct {
	plan            *plan.Plan
	extranet        []netip.Prefix
	cloud           []netip.Prefix
	sanctionedPfx   []netip.Prefix
	uplinks         map[netip.Addr]bool
	internetTargets map[netip.Addr]bool
	extranetTargets map[netip.Addr]bool
	pns             []pnet
	depts           map[string]*deptIdx
	approved        map[string]bool
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

func newIndex(p *plan.Plan) *index {
	x := &index{
		plan:            p,
		extranet:        plan.ParsePrefixes(p.Extranet.Prefixes),
		cloud:           plan.ParsePrefixes(p.Cloud.Prefixes),
		uplinks:         addrSet(p.Extranet.UplinkNextHops),
		internetTargets: addrSet(p.Probes.Internet),
		extranetTargets: addrSet(p.Probes.Extranet),
		depts:           map[string]*deptIdx{},
		approved:        map[string]bool{},
	}
	for _, s := range p.Egress.Sanctioned {
		s = strings.TrimSpace(s)
		if a, err := netip.ParseAddr(s); err == nil {
			x.sanctionedPfx = append(x.sanctionedPfx, netip.PrefixFrom(a, a.BitLen()))
		} else if pf, err := netip.ParsePrefix(s); err == nil {
			x.sanctionedPfx = append(x.sanctionedPfx, pf.Masked())
		}
	}
	for _, n := range p.PrivateNetworks {
		pn := pnet{name: n.Name, prefixes: plan.ParsePrefixes(n.Prefixes)}
		for a := range addrSet(n.Sentinels) {
			pn.sentinels = append(pn.sentinels, a)
		}
		x.pns = append(x.pns, pn)
	}
	for _, d := range p.Departments {
		x.depts[d.Code] = &deptIdx{
			code:       d.Code,
			alloc:      plan.ParsePrefixes(d.Prefixes),
			classified: plan.ParsePrefixes(d.ClassifiedPrefixes),
			registered: d.RegisteredInternetExit,
		}
	}
	for _, w := range p.Websites.Approved {
		if h := siteHost(w); h != "" {
			x.approved[h] = true
		}
	}
	return x
}

func addrSet(list []string) map[netip.Addr]bool {
	m := map[netip.Addr]bool{}
	for _, s := range list {
		if a, err := netip.ParseAddr(strings.TrimSpace(s)); err == nil {
			m[a.Unmap()] = true
		}
	}
	return m
}

func containsAddr(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func overlapsAny(ps []netip.Prefix, q netip.Prefix) bool {
	for _, p := range ps {
		if p.Overlaps(q) {
			return true
		}
	}
	return false
}

// coveredBy reports whether q lies wholly inside one of ps.
func coveredBy(ps []netip.Prefix, q netip.Prefix) bool {
	for _, p := range ps {
		if p.Bits() <= q.Bits() && p.Contains(q.Addr()) {
			return true
		}
	}
	return false
}

// pnFor returns the known private network containing a.
func (x *index) pnFor(a netip.Addr) (pnet, bool) {
	for _, n := range x.pns {
		if containsAddr(n.prefixes, a) {
			return n, true
		}
		for _, s := range n.sentinels {
			if s == a {
				return n, true
			}
		}
	}
	return pnet{}, false
}

// pnForPrefix returns the known private network a route prefix points into.
func (x *index) pnForPrefix(q netip.Prefix) (pnet, bool) {
	for _, n := range x.pns {
		if overlapsAny(n.prefixes, q) && q.Bits() > 0 {
			return n, true
		}
	}
	return pnet{}, false
}

func (x *index) sanctioned(a netip.Addr) bool { return containsAddr(x.sanctionedPfx, a) }

// class classifies a for department dept.
func (x *index) class(dept string, a netip.Addr) netClass {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsMulticast() || a.IsUnspecified() || a.IsLinkLocalMulticast() {
		return classSpecial
	}
	if x.sanctioned(a) {
		return classSanctioned
	}
	if x.uplinks[a] {
		return classUplink
	}
	d := x.depts[dept]
	if d != nil && containsAddr(d.classified, a) {
		return classClassified
	}
	// A department's tenancy on the e-gov cloud is the cloud: what runs
	// there is where the regulations want it, even when the plan lists the
	// tenancy among the department's prefixes (its agent's scope).
	if containsAddr(x.cloud, a) {
		return classCloud
	}
	if d != nil && containsAddr(d.alloc, a) {
		return classDept
	}
	if _, ok := x.pnFor(a); ok {
		return classPrivateNet
	}
	for code, d := range x.depts {
		if code != dept && (containsAddr(d.alloc, a) || containsAddr(d.classified, a)) {
			return classOtherDept
		}
	}
	if containsAddr(x.extranet, a) {
		return classExtranet
	}
	if a.IsPrivate() || cgnat.Contains(a) {
		return classOtherPrivate
	}
	return classPublic
}

// ownPrefixes is the department's allocation, classified segments included.
func (x *index) ownPrefixes(dept string) []netip.Prefix {
	d := x.depts[dept]
	if d == nil {
		return nil
	}
	return append(append([]netip.Prefix{}, d.alloc...), d.classified...)
}

func parseAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '%'); i >= 0 {
		s = s[:i]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// parseIfAddr reads "10.1.0.5/24" or a bare address.
func parseIfAddr(s string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(strings.TrimSpace(s)); err == nil {
		if p.Addr().Is4In6() {
			return netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0)), true
		}
		return p, true
	}
	if a, ok := parseAddr(s); ok {
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

// targetHost is the host part of a device target "host:port".
func targetHost(t string) string {
	if ap, err := netip.ParseAddrPort(t); err == nil {
		return ap.Addr().Unmap().String()
	}
	if i := strings.LastIndexByte(t, ':'); i > 0 && !strings.Contains(t[:i], ":") {
		return t[:i]
	}
	return strings.Trim(t, "[]")
}
