package plan

import (
	"net/netip"
	"strings"
	"time"

	"github.com/egovnet/egovnet/internal/chinatime"
)

// ParsePrefixes parses a validated CIDR list, skipping anything invalid
// (Parse has already rejected those).
func ParsePrefixes(list []string) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		if x, err := netip.ParsePrefix(strings.TrimSpace(s)); err == nil {
			out = append(out, x.Masked())
		}
	}
	return out
}

// AllPrefixes is a department's allocated and classified prefixes.
func (d Department) AllPrefixes() []netip.Prefix {
	return append(ParsePrefixes(d.Prefixes), ParsePrefixes(d.ClassifiedPrefixes)...)
}

// DepartmentForAddr returns the department whose prefixes (classified ones
// included) contain addr; the most specific prefix wins.
func (p *Plan) DepartmentForAddr(addr netip.Addr) (Department, bool) {
	best, bestBits, found := Department{}, -1, false
	for _, d := range p.Departments {
		for _, x := range d.AllPrefixes() {
			if x.Contains(addr) && x.Bits() > bestBits {
				best, bestBits, found = d, x.Bits(), true
			}
		}
	}
	return best, found
}

// DepartmentForScope returns the department that owns a report's scope: the
// department whose prefixes (classified ones included) contain the first
// scope entry's network address (CIDRs or bare addresses). It is the rule
// for reports whose agent names no department (CONTRACT, audit).
func (p *Plan) DepartmentForScope(scope []string) (Department, bool) {
	for _, s := range scope {
		s = strings.TrimSpace(s)
		var a netip.Addr
		if x, err := netip.ParsePrefix(s); err == nil {
			a = x.Masked().Addr()
		} else if ad, err := netip.ParseAddr(s); err == nil {
			a = ad
		} else {
			continue
		}
		if d, ok := p.DepartmentForAddr(a); ok {
			return d, true
		}
	}
	return Department{}, false
}

// ChinaTime is the zone plan dates are read in when they name a day only:
// the one China time zone, internal/chinatime.
var ChinaTime = chinatime.Location

// Until is the instant an exemption stops holding. A date-only expiry
// (2027-06-30) holds through the whole of that day in China Standard Time.
func (e Exemption) Until() time.Time {
	t := e.Expires.UTC()
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, ChinaTime)
	}
	return e.Expires
}

// Matches reports whether the exemption covers a finding and still holds at t.
func (e Exemption) Matches(rule, department, subject string, at time.Time) bool {
	if e.Rule != rule || e.Department != department {
		return false
	}
	if e.Subject != AnySubject && e.Subject != subject {
		return false
	}
	return at.Before(e.Until())
}

// ExemptionFor returns the plan exemption covering a finding at t.
func (p *Plan) ExemptionFor(rule, department, subject string, at time.Time) (Exemption, bool) {
	for _, e := range p.Exemptions {
		if e.Matches(rule, department, subject, at) {
			return e, true
		}
	}
	return Exemption{}, false
}
