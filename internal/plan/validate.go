package plan

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/egovnet/egovnet/internal/wire"
	"gopkg.in/yaml.v3"
)

// PackIDs are the policy packs the product ships (CONTRACT); the plan may
// enable any of them.
var PackIDs = []string{
	"yangpu-2021", "taiyuan-2013", "qiqihar-2018",
	"shanghai-2012", "shanghai-extranet-2020", "jiangmen-2017",
}

// AnySubject in an exemption matches every subject of its rule and department.
const AnySubject = "*"

var codeRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$`)

type validator struct {
	c    *checker
	root *yaml.Node
	p    *Plan
}

// line finds the line of the node at path (keys and indices), falling back
// to the deepest node that exists.
func (v *validator) line(path ...any) int {
	n := v.root
	line := n.Line
	for _, el := range path {
		var next *yaml.Node
		switch e := el.(type) {
		case string:
			if n != nil && n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == e {
						next = n.Content[i+1]
						if next.Kind == yaml.ScalarNode && next.Tag == "!!null" {
							next.Line = n.Content[i].Line
						}
						break
					}
				}
			}
		case int:
			next = seqItem(n, e)
		}
		if next == nil {
			return line
		}
		n = next
		line = n.Line
	}
	return line
}

func keyOf(path ...any) string {
	var b strings.Builder
	for _, el := range path {
		switch e := el.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(e)
		case int:
			fmt.Fprintf(&b, "[%d]", e)
		}
	}
	return b.String()
}

func (v *validator) errf(path []any, format string, args ...any) {
	v.c.addf(v.line(path...), keyOf(path...), format, args...)
}

func p(path ...any) []any { return path }

func (v *validator) validate() {
	pl := v.p
	if strings.TrimSpace(pl.District.Code) == "" {
		v.errf(p("district", "code"), "required (the district's administrative code, e.g. \"310110\")")
	}
	if len(pl.Packs) == 0 {
		v.errf(p("packs"), "at least one policy pack must be enabled (known: %s)", strings.Join(PackIDs, ", "))
	}
	seenPack := map[string]bool{}
	for i, id := range pl.Packs {
		switch {
		case !contains(PackIDs, id):
			v.errf(p("packs", i), "unknown policy pack %q (known: %s)", id, strings.Join(PackIDs, ", "))
		case seenPack[id]:
			v.errf(p("packs", i), "pack %q listed twice", id)
		}
		seenPack[id] = true
	}
	if len(pl.Extranet.Prefixes) == 0 {
		v.errf(p("extranet", "prefixes"), "at least one extranet prefix is required")
	}
	v.prefixes(pl.Extranet.Prefixes, "extranet", "prefixes")
	v.addrs(pl.Extranet.UplinkNextHops, false, "extranet", "uplink_next_hops")
	v.addrs(pl.Egress.Sanctioned, true, "egress", "sanctioned")
	v.prefixes(pl.Cloud.Prefixes, "cloud", "prefixes")
	v.addrs(pl.Probes.Internet, false, "probes", "internet")
	v.addrs(pl.Probes.Extranet, false, "probes", "extranet")

	seenNet := map[string]bool{}
	for i, pn := range pl.PrivateNetworks {
		if strings.TrimSpace(pn.Name) == "" {
			v.errf(p("private_networks", i, "name"), "required")
		} else if seenNet[pn.Name] {
			v.errf(p("private_networks", i, "name"), "private network %q listed twice", pn.Name)
		}
		seenNet[pn.Name] = true
		if len(pn.Prefixes) == 0 {
			v.errf(p("private_networks", i, "prefixes"), "at least one prefix is required")
		}
		v.prefixes(pn.Prefixes, "private_networks", i, "prefixes")
		v.addrs(pn.Sentinels, false, "private_networks", i, "sentinels")
	}

	if len(pl.Departments) == 0 {
		v.errf(p("departments"), "at least one department is required")
	}
	type owned struct {
		pfx  netip.Prefix
		dept string
	}
	var all []owned
	seenDept := map[string]bool{}
	for i, d := range pl.Departments {
		switch {
		case d.Code == "":
			v.errf(p("departments", i, "code"), "required")
		case !codeRE.MatchString(d.Code):
			v.errf(p("departments", i, "code"), "%q: use 1-32 letters, digits, '-' or '_'", d.Code)
		case seenDept[d.Code]:
			v.errf(p("departments", i, "code"), "department %q listed twice", d.Code)
		}
		seenDept[d.Code] = true
		if strings.TrimSpace(d.Name) == "" {
			v.errf(p("departments", i, "name"), "required")
		}
		if len(d.Prefixes)+len(d.ClassifiedPrefixes) == 0 {
			v.errf(p("departments", i, "prefixes"), "department %q needs at least one prefix", d.Code)
		}
		if d.Baseline != "" {
			if _, err := ParseDate(d.Baseline); err != nil {
				v.errf(p("departments", i, "baseline"), "%v", err)
			}
		}
		ps := v.prefixes(d.Prefixes, "departments", i, "prefixes")
		cs := v.prefixes(d.ClassifiedPrefixes, "departments", i, "classified_prefixes")
		for _, kl := range []struct {
			key  string
			list []netip.Prefix
		}{{"prefixes", ps}, {"classified_prefixes", cs}} {
			key := kl.key
			for j, x := range kl.list {
				if !x.IsValid() {
					continue
				}
				for _, o := range all {
					if o.dept != d.Code && o.pfx.Overlaps(x) {
						v.errf(p("departments", i, key, j), "%s overlaps %s of department %q", x, o.pfx, o.dept)
					}
				}
			}
		}
		for _, x := range append(ps, cs...) {
			if x.IsValid() {
				all = append(all, owned{x, d.Code})
			}
		}
	}
	for i, s := range pl.Websites.Approved {
		if strings.TrimSpace(s) == "" || strings.ContainsAny(s, " \t/") {
			v.errf(p("websites", "approved", i), "%q is not a host name or address", s)
		}
	}
	for i, e := range pl.Exemptions {
		if !contains(wire.RuleIDs, e.Rule) {
			v.errf(p("exemptions", i, "rule"), "unknown rule %q (known: %s)", e.Rule, strings.Join(wire.RuleIDs, ", "))
		}
		if e.Department == "" {
			v.errf(p("exemptions", i, "department"), "required")
		} else if !seenDept[e.Department] {
			v.errf(p("exemptions", i, "department"), "unknown department %q", e.Department)
		}
		if strings.TrimSpace(e.Subject) == "" {
			v.errf(p("exemptions", i, "subject"), "required (the finding's subject, or %q for every subject of the rule)", AnySubject)
		}
		if strings.TrimSpace(e.Basis) == "" {
			v.errf(p("exemptions", i, "basis"), "required: the legal basis (除国家、市另有规定外)")
		}
		if strings.TrimSpace(e.Approver) == "" {
			v.errf(p("exemptions", i, "approver"), "required")
		}
		if e.Expires.IsZero() && !v.c.badDates[i] {
			v.errf(p("exemptions", i, "expires"), "required (a date like 2027-06-30)")
		}
	}
}

// prefixes checks a CIDR list and returns the valid ones; an invalid entry
// yields the zero Prefix so indices keep matching the file.
func (v *validator) prefixes(list []string, path ...any) []netip.Prefix {
	out := make([]netip.Prefix, len(list))
	for i, s := range list {
		at := append(append([]any{}, path...), i)
		x, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			v.errf(at, "invalid CIDR %q", s)
			continue
		}
		if x.Masked() != x {
			v.errf(at, "%q has host bits set (did you mean %s?)", s, x.Masked())
			continue
		}
		out[i] = x
	}
	return out
}

// addrs checks an address list (CIDRs too when allowPrefix).
func (v *validator) addrs(list []string, allowPrefix bool, path ...any) {
	for i, s := range list {
		at := append(append([]any{}, path...), i)
		s = strings.TrimSpace(s)
		if _, err := netip.ParseAddr(s); err == nil {
			continue
		}
		if allowPrefix {
			if x, err := netip.ParsePrefix(s); err == nil && x.Masked() == x {
				continue
			}
			v.errf(at, "invalid address or CIDR %q", s)
			continue
		}
		v.errf(at, "invalid IP address %q", s)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
