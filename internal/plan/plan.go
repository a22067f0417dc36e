// Package plan is the district's declared state (plan.yaml): extranet
// prefixes, departments and their allocations, the sanctioned internet exit,
// the e-gov cloud, probe targets, known private networks, approved websites,
// enabled policy packs and exemptions. Agents use it for scope and probe
// targets; the collector judges reports against it.
package plan

import (
	"strings"
	"time"
)

// Plan mirrors plan.yaml (CONTRACT).
type Plan struct {
	District        District         `yaml:"district" json:"district"`
	Packs           []string         `yaml:"packs" json:"packs"`
	Extranet        Extranet         `yaml:"extranet" json:"extranet"`
	Egress          Egress           `yaml:"egress" json:"egress"`
	Cloud           Cloud            `yaml:"cloud" json:"cloud"`
	Probes          Probes           `yaml:"probes" json:"probes"`
	PrivateNetworks []PrivateNetwork `yaml:"private_networks" json:"private_networks"`
	Departments     []Department     `yaml:"departments" json:"departments"`
	Websites        Websites         `yaml:"websites" json:"websites"`
	Software        Software         `yaml:"software" json:"software"`
	Exemptions      []Exemption      `yaml:"exemptions" json:"exemptions"`
}

// District names the district the plan belongs to.
type District struct {
	Code string `yaml:"code" json:"code"`
	Name string `yaml:"name" json:"name"`
}

// Extranet is the e-gov extranet address plan and its sanctioned uplinks.
type Extranet struct {
	Prefixes       []string `yaml:"prefixes" json:"prefixes"`
	UplinkNextHops []string `yaml:"uplink_next_hops" json:"uplink_next_hops"`
}

// Egress lists the central, sanctioned internet exit addresses.
type Egress struct {
	Sanctioned []string `yaml:"sanctioned" json:"sanctioned"`
}

// Cloud is the e-gov cloud.
type Cloud struct {
	Prefixes []string `yaml:"prefixes" json:"prefixes"`
}

// Probes are the approved reference targets for path probes.
type Probes struct {
	Internet []string `yaml:"internet" json:"internet"`
	Extranet []string `yaml:"extranet" json:"extranet"`
}

// PrivateNetwork is a known business private network (业务专网).
type PrivateNetwork struct {
	Name      string   `yaml:"name" json:"name"`
	Prefixes  []string `yaml:"prefixes" json:"prefixes"`
	Sentinels []string `yaml:"sentinels" json:"sentinels"`
}

// Department is one connected unit.
type Department struct {
	Code                   string   `yaml:"code" json:"code"`
	Name                   string   `yaml:"name" json:"name"`
	Prefixes               []string `yaml:"prefixes" json:"prefixes"`
	ClassifiedPrefixes     []string `yaml:"classified_prefixes" json:"classified_prefixes"`
	RegisteredInternetExit bool     `yaml:"registered_internet_exit" json:"registered_internet_exit"`
	// Baseline (optional, a date such as 2026-01-01) is when the
	// department's estate was recorded: servers and network devices first
	// observed after it are new infrastructure. Without it the baseline is
	// the department's first scan, so nothing is new on day one.
	Baseline string `yaml:"baseline,omitempty" json:"baseline,omitempty"`
}

// BaselineAt is the department's declared baseline as an instant: the end
// of that day in China time (things seen on the baseline day are the
// estate). ok is false when the plan gives none or it does not parse.
func (d Department) BaselineAt() (t time.Time, ok bool) {
	if d.Baseline == "" {
		return time.Time{}, false
	}
	day, err := ParseDate(d.Baseline)
	if err != nil {
		return time.Time{}, false
	}
	if len(strings.TrimSpace(d.Baseline)) > len("2006-01-02") {
		return day, true // an RFC 3339 instant is taken as given
	}
	return time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, ChinaTime), true
}

// Websites lists approved hosting (the portal platform).
type Websites struct {
	Approved []string `yaml:"approved" json:"approved"`
}

// Software points at the licence ledger seed file.
type Software struct {
	LicensesFile string `yaml:"licenses_file" json:"licenses_file"`
}

// Exemption tolerates one finding with its legal basis (除国家、市另有规定外).
type Exemption struct {
	Rule       string    `yaml:"rule" json:"rule"`
	Department string    `yaml:"department" json:"department"`
	Subject    string    `yaml:"subject" json:"subject"`
	Basis      string    `yaml:"basis" json:"basis"`
	Approver   string    `yaml:"approver" json:"approver"`
	Expires    time.Time `yaml:"expires" json:"expires"`
}

// Department returns the department with code, if any.
func (p *Plan) Department(code string) (Department, bool) {
	for _, d := range p.Departments {
		if d.Code == code {
			return d, true
		}
	}
	return Department{}, false
}
