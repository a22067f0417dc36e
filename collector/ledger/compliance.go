package ledger

import (
	"sort"
	"strings"
	"time"

	"github.com/egovnet/egovnet/internal/catalog"
	"github.com/egovnet/egovnet/internal/wire"
)

// Install is one counted install: one in-scope product on one device of a
// department (several rows of the same product on a device are one install).
type Install struct {
	Department  string    `json:"department"`
	Device      string    `json:"device"`
	DeviceName  string    `json:"device_name,omitempty"`
	Product     string    `json:"product"` // catalog key
	ProductName string    `json:"product_name"`
	Category    string    `json:"category"`
	Vendor      string    `json:"vendor"`
	Domestic    bool      `json:"domestic"`
	Commercial  bool      `json:"commercial"`
	Version     string    `json:"version"`
	Edition     string    `json:"edition,omitempty"`
	HomeEdition bool      `json:"home_edition,omitempty"`
	Name        string    `json:"name"`   // the name as the source reported it
	Source      string    `json:"source"` // snmp, dpkg, rpm, registry, import, sysdescr, host
	Agent       string    `json:"agent,omitempty"`
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
}

// Statuses of an install against the licences.
const (
	StatusLicensed        = "licensed"         // covered by a licence seat
	StatusFree            = "free"             // free software: legal without a licence
	StatusUnlicensed      = "unlicensed"       // commercial, no licence for the product
	StatusOverDeployed    = "over-deployed"    // licences exist but their seats are used up
	StatusExpired         = "expired"          // only expired licences cover it
	StatusVersionMismatch = "version-mismatch" // licences exist but none covers this version
	StatusHomeEdition     = "home-edition"     // a home/personal edition: not an organisational licence
)

// Legal reports whether a status counts as legalized (正版).
func Legal(status string) bool { return status == StatusLicensed || status == StatusFree }

// Detail is one install with its licence status (a 明细表 row).
type Detail struct {
	Install
	Status   string `json:"status"`
	Licensed bool   `json:"licensed"`
	License  string `json:"license,omitempty"` // id of the licence whose seat covers it
	// The device's user, OS and hardware (ledger_devices), for the 明细表.
	User     string         `json:"user"`
	OSInfo   *wire.OSInfo   `json:"os_info"`
	Hardware *wire.Hardware `json:"hardware"`
}

// SummaryRow is one product in one department (a 汇总表 row).
type SummaryRow struct {
	Department      string   `json:"department"`
	Category        string   `json:"category"`
	Product         string   `json:"product"` // catalog key
	ProductName     string   `json:"product_name"`
	Vendor          string   `json:"vendor"`
	Domestic        bool     `json:"domestic"`
	Commercial      bool     `json:"commercial"`
	Versions        []string `json:"versions"`
	Installs        int      `json:"installs"`
	Licenses        int      `json:"licenses"` // seats held: the department's own valid licences plus pool seats it uses
	Licensed        int      `json:"licensed"` // installs covered by a seat
	Free            int      `json:"free"`     // installs of free software
	Unlicensed      int      `json:"unlicensed"`
	OverDeployed    int      `json:"over_deployed"`
	Expired         int      `json:"expired"`
	VersionMismatch int      `json:"version_mismatch"`
	HomeEdition     int      `json:"home_edition"`
	Unfiled         int      `json:"unfiled"` // licences of this row not filed
	Cost            float64  `json:"cost"`    // the department's own licences
	Purpose         string   `json:"purpose,omitempty"`
	LicenseIDs      []string `json:"license_ids,omitempty"`
	Compliance      float64  `json:"compliance"` // legal installs / installs (1 when none)
}

// CategoryShare is a department's installs in one category.
type CategoryShare struct {
	Category string  `json:"category"`
	Installs int     `json:"installs"`
	Domestic int     `json:"domestic"`
	Share    float64 `json:"domestic_share"`
}

// DepartmentSummary is a department's headline figures.
type DepartmentSummary struct {
	Department      string          `json:"department"`
	Installs        int             `json:"installs"`
	Legal           int             `json:"legal"`
	Unlicensed      int             `json:"unlicensed"`
	Rate            float64         `json:"legalization_rate"` // 正版化率
	Domestic        int             `json:"domestic"`
	DomesticShare   float64         `json:"domestic_share"`
	ByCategory      []CategoryShare `json:"by_category"`
	UnfiledLicenses int             `json:"unfiled_licenses"`
	// Devices counts the department's machines in the ledger (endpoint
	// agents, agent hosts, SNMP devices); CompliantDevices those whose every
	// counted install is legal; EndpointDevices those an endpoint agent
	// reported.
	Devices          int `json:"devices"`
	CompliantDevices int `json:"compliant_devices"`
	EndpointDevices  int `json:"endpoint_devices"`
}

// Evaluation is the ledger judged at one moment.
type Evaluation struct {
	AsOf        time.Time           `json:"as_of"`
	Details     []Detail            `json:"details"`
	Summary     []SummaryRow        `json:"summary"`
	Departments []DepartmentSummary `json:"departments"`
	// SeatsUsed maps a licence id to the seats its installs took.
	SeatsUsed map[string]int `json:"seats_used"`
	// Devices are the machines of the 明细表 (Store.Evaluate fills them).
	Devices  []Device `json:"devices"`
	licenses map[string]License
}

// Evaluate judges installs against licences at asOf. Seats are given out
// deterministically: products in key order, installs by department then
// device; a department's own licences first (oldest purchase first), then
// the shared pool (licences with no department), which therefore serves
// departments in code order.
func Evaluate(installs []Install, licenses []License, asOf time.Time) *Evaluation {
	ev := &Evaluation{AsOf: asOf, SeatsUsed: map[string]int{}, licenses: map[string]License{}}
	byProduct := map[string][]License{}
	for _, l := range licenses {
		byProduct[l.Product] = append(byProduct[l.Product], l)
		ev.licenses[l.ID] = l
	}
	for _, ls := range byProduct {
		sort.SliceStable(ls, func(i, j int) bool {
			if ls[i].PurchaseDate != ls[j].PurchaseDate {
				return ls[i].PurchaseDate < ls[j].PurchaseDate
			}
			return ls[i].ID < ls[j].ID
		})
	}
	ins := append([]Install(nil), installs...)
	sort.SliceStable(ins, func(i, j int) bool {
		a, b := ins[i], ins[j]
		if a.Product != b.Product {
			return a.Product < b.Product
		}
		if a.Department != b.Department {
			return a.Department < b.Department
		}
		return a.Device < b.Device
	})
	for _, in := range ins {
		d := Detail{Install: in}
		d.Status, d.License = ev.allocate(in, byProduct[in.Product])
		d.Licensed = d.Status == StatusLicensed
		ev.Details = append(ev.Details, d)
	}
	// the 明细表 reads device by device
	sort.SliceStable(ev.Details, func(i, j int) bool {
		a, b := ev.Details[i], ev.Details[j]
		if a.Department != b.Department {
			return a.Department < b.Department
		}
		if a.Device != b.Device {
			return a.Device < b.Device
		}
		if ca, cb := catIndex(a.Category), catIndex(b.Category); ca != cb {
			return ca < cb
		}
		return a.Product < b.Product
	})
	ev.summarise(licenses)
	return ev
}

func (ev *Evaluation) allocate(in Install, ls []License) (status, license string) {
	if in.HomeEdition {
		return StatusHomeEdition, ""
	}
	if !in.Commercial {
		return StatusFree, ""
	}
	var expired, valid, covering bool
	for _, pass := range []bool{true, false} { // own department first, then the pool
		for _, l := range ls {
			if (l.Department == in.Department) != pass || (!pass && l.Department != "") {
				continue
			}
			if l.ExpiredAt(ev.AsOf) {
				expired = true
			}
			if !l.ValidAt(ev.AsOf) {
				continue
			}
			valid = true
			if !l.Covers(in.Version) {
				continue
			}
			covering = true
			if ev.SeatsUsed[l.ID] < l.Seats {
				ev.SeatsUsed[l.ID]++
				return StatusLicensed, l.ID
			}
		}
	}
	switch {
	case covering:
		return StatusOverDeployed, ""
	case valid:
		return StatusVersionMismatch, ""
	case expired:
		return StatusExpired, ""
	}
	return StatusUnlicensed, ""
}

func (ev *Evaluation) summarise(licenses []License) {
	type key struct{ dept, product string }
	rows := map[key]*SummaryRow{}
	row := func(dept, product, name, category, vendor string, domestic, commercial bool) *SummaryRow {
		k := key{dept, product}
		r := rows[k]
		if r == nil {
			r = &SummaryRow{Department: dept, Product: product, ProductName: name, Category: category, Vendor: vendor, Domestic: domestic, Commercial: commercial}
			rows[k] = r
		}
		return r
	}
	poolUse := map[key]map[string]bool{} // pool licences a department's installs use
	deps := map[string]*DepartmentSummary{}
	cats := map[string]map[string]*CategoryShare{}
	for _, d := range ev.Details {
		r := row(d.Department, d.Product, d.ProductName, d.Category, d.Vendor, d.Domestic, d.Commercial)
		r.Installs++
		if d.Version != "" && !contains(r.Versions, d.Version) {
			r.Versions = append(r.Versions, d.Version)
		}
		switch d.Status {
		case StatusLicensed:
			r.Licensed++
			if l := ev.licenses[d.License]; l.Department == "" {
				k := key{d.Department, d.Product}
				if poolUse[k] == nil {
					poolUse[k] = map[string]bool{}
				}
				poolUse[k][l.ID] = true
				r.Licenses++ // a pool seat this department uses
			}
		case StatusFree:
			r.Free++
		case StatusOverDeployed:
			r.OverDeployed++
		case StatusExpired:
			r.Expired++
		case StatusVersionMismatch:
			r.VersionMismatch++
		case StatusHomeEdition:
			r.HomeEdition++
		}
		if !Legal(d.Status) {
			r.Unlicensed++
		}
		ds := deps[d.Department]
		if ds == nil {
			ds = &DepartmentSummary{Department: d.Department}
			deps[d.Department] = ds
			cats[d.Department] = map[string]*CategoryShare{}
		}
		ds.Installs++
		if Legal(d.Status) {
			ds.Legal++
		} else {
			ds.Unlicensed++
		}
		cs := cats[d.Department][d.Category]
		if cs == nil {
			cs = &CategoryShare{Category: d.Category}
			cats[d.Department][d.Category] = cs
		}
		cs.Installs++
		if d.Domestic {
			ds.Domestic++
			cs.Domestic++
		}
	}
	for _, l := range licenses {
		if l.Department == "" {
			continue
		}
		r := row(l.Department, l.Product, l.ProductName, l.Category, l.Vendor, l.Domestic, true)
		if l.ValidAt(ev.AsOf) {
			r.Licenses += l.Seats
		}
		r.Cost += l.Cost
		r.LicenseIDs = append(r.LicenseIDs, l.ID)
		if l.FilingStatus != FilingFiled {
			r.Unfiled++
		}
		if l.Purpose != "" && !strings.Contains(r.Purpose, l.Purpose) {
			if r.Purpose != "" {
				r.Purpose += "; "
			}
			r.Purpose += l.Purpose
		}
		if deps[l.Department] == nil {
			deps[l.Department] = &DepartmentSummary{Department: l.Department}
			cats[l.Department] = map[string]*CategoryShare{}
		}
		if l.FilingStatus != FilingFiled {
			deps[l.Department].UnfiledLicenses++
		}
	}
	for k, ids := range poolUse {
		r := rows[k]
		for id := range ids {
			l := ev.licenses[id]
			r.LicenseIDs = append(r.LicenseIDs, id)
			if l.FilingStatus != FilingFiled {
				r.Unfiled++
			}
		}
	}
	for _, r := range rows {
		sort.Strings(r.Versions)
		sort.Strings(r.LicenseIDs)
		r.Compliance = ratio(r.Installs-r.Unlicensed, r.Installs)
		if r.Versions == nil {
			r.Versions = []string{}
		}
		if r.LicenseIDs == nil {
			r.LicenseIDs = []string{}
		}
		ev.Summary = append(ev.Summary, *r)
	}
	sort.Slice(ev.Summary, func(i, j int) bool {
		a, b := ev.Summary[i], ev.Summary[j]
		if a.Department != b.Department {
			return a.Department < b.Department
		}
		if ca, cb := catIndex(a.Category), catIndex(b.Category); ca != cb {
			return ca < cb
		}
		return a.Product < b.Product
	})
	for dept, ds := range deps {
		ds.Rate = ratio(ds.Legal, ds.Installs)
		ds.DomesticShare = share(ds.Domestic, ds.Installs)
		for _, c := range catalog.Categories {
			if cs := cats[dept][c]; cs != nil {
				cs.Share = share(cs.Domestic, cs.Installs)
				ds.ByCategory = append(ds.ByCategory, *cs)
			}
		}
		if ds.ByCategory == nil {
			ds.ByCategory = []CategoryShare{}
		}
		ev.Departments = append(ev.Departments, *ds)
	}
	sort.Slice(ev.Departments, func(i, j int) bool { return ev.Departments[i].Department < ev.Departments[j].Department })
}

// ForDepartment returns the evaluation restricted to one department ("" = all).
func (ev *Evaluation) ForDepartment(dept string) *Evaluation {
	if dept == "" {
		return ev
	}
	out := &Evaluation{AsOf: ev.AsOf, SeatsUsed: ev.SeatsUsed, licenses: ev.licenses, Details: []Detail{}, Summary: []SummaryRow{},
		Departments: []DepartmentSummary{}, Devices: []Device{}}
	for _, d := range ev.Devices {
		if d.Department == dept {
			out.Devices = append(out.Devices, d)
		}
	}
	for _, d := range ev.Details {
		if d.Department == dept {
			out.Details = append(out.Details, d)
		}
	}
	for _, r := range ev.Summary {
		if r.Department == dept {
			out.Summary = append(out.Summary, r)
		}
	}
	for _, d := range ev.Departments {
		if d.Department == dept {
			out.Departments = append(out.Departments, d)
		}
	}
	return out
}

// Department returns the headline figures of one department (zero when it
// has no installs and no licences: legalization rate 1, nothing to do).
func (ev *Evaluation) Department(dept string) DepartmentSummary {
	for _, d := range ev.Departments {
		if d.Department == dept {
			return d
		}
	}
	return DepartmentSummary{Department: dept, Rate: 1, ByCategory: []CategoryShare{}}
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 1
	}
	return float64(n) / float64(d)
}

func share(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

func catIndex(c string) int {
	for i, x := range catalog.Categories {
		if x == c {
			return i
		}
	}
	return len(catalog.Categories)
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
