package loadgen

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/egovnet/egovnet/internal/plan"
)

// MaxDepartments bounds a generated plan: each department owns a /18 of
// 10.0.0.0/8 below 10.200.0.0, which holds 800 of them (a city).
const MaxDepartments = 800

// bigDepartments is how many departments also own a /16 (10.200+i.0.0/16),
// so one department can hold the 50k endpoints of the growth scenario.
const bigDepartments = 4

// DeptCode is the code of generated department i.
func DeptCode(i int) string { return fmt.Sprintf("D%03d", i) }

// GeneratedPrefixes are the prefixes generated department i owns: only
// private (RFC 1918) space, and only data: nothing is ever probed.
func GeneratedPrefixes(i int) []string {
	p := []string{fmt.Sprintf("10.%d.%d.0/18", i/4, (i%4)*64)}
	if i < bigDepartments {
		p = append(p, fmt.Sprintf("10.%d.0.0/16", 200+i))
	}
	return p
}

// WritePlan writes a district plan of n departments into dir and returns
// its path. The shape follows the pipeline benchmark's plan (the same rule
// packs, extranet, cloud and probes), so findings are produced as in a
// real district.
func WritePlan(dir string, n int) (string, error) {
	if n < 1 || n > MaxDepartments {
		return "", fmt.Errorf("generate plan: departments must be in 1..%d (got %d)", MaxDepartments, n)
	}
	var b strings.Builder
	b.WriteString(`district: {code: "310110", name: "杨浦区 (loadgen)"}
packs: [yangpu-2021, shanghai-2012, shanghai-extranet-2020]
extranet: {prefixes: ["10.0.0.0/8"], uplink_next_hops: ["10.255.0.1"]}
egress: {sanctioned: ["198.51.100.1"]}
cloud: {prefixes: ["10.250.0.0/16"]}
probes: {internet: ["203.0.113.10"], extranet: ["10.255.255.10"]}
departments:
`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  - {code: %s, name: \"部门%d\", prefixes: [\"%s\"]}\n", DeptCode(i), i, strings.Join(GeneratedPrefixes(i), `", "`))
	}
	path := filepath.Join(dir, "plan.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return "", fmt.Errorf("write plan: %w", err)
	}
	return path, nil
}

// Department is one department of the target's plan with the address
// space synthetic reports draw from.
type Department struct {
	Code     string
	Prefixes []netip.Prefix // IPv4, private or documentation ranges only
	hosts    []int          // usable host count per prefix
	total    int
}

// safeRanges are the only ranges synthetic addresses may come from
// (RFC 1918 and the RFC 5737 documentation networks).
var safeRanges = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("203.0.113.0/24"),
}

func safe(p netip.Prefix) bool {
	for _, r := range safeRanges {
		if r.Bits() <= p.Bits() && r.Contains(p.Addr()) {
			return true
		}
	}
	return false
}

// Departments turns a plan into load departments: each keeps only its IPv4
// prefixes inside safe ranges; a department with none is left out.
func Departments(p *plan.Plan) []Department {
	var out []Department
	for _, d := range p.Departments {
		ld := Department{Code: d.Code}
		for _, s := range d.Prefixes {
			pf, err := netip.ParsePrefix(s)
			if err != nil || !pf.Addr().Is4() || pf.Bits() > 30 || !safe(pf) {
				continue
			}
			n := 1<<(32-pf.Bits()) - 2 // without network and broadcast
			ld.Prefixes = append(ld.Prefixes, pf.Masked())
			ld.hosts = append(ld.hosts, n)
			ld.total += n
		}
		if ld.total > 0 {
			out = append(out, ld)
		}
	}
	return out
}

// Capacity is the number of distinct host addresses of the department.
func (d Department) Capacity() int { return d.total }

// Host is the k-th host address of the department (k modulo its capacity),
// counting through its prefixes in order.
func (d Department) Host(k int) netip.Addr {
	k %= d.total
	for i, pf := range d.Prefixes {
		if k < d.hosts[i] {
			a := pf.Addr().As4()
			v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
			v += uint32(k) + 1
			return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
		}
		k -= d.hosts[i]
	}
	panic("unreachable: k < total")
}
