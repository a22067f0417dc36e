// Package ledger is the software legalization ledger (软件正版化台账,
// Yangpu article 33): licences the departments bought and filed, the installs
// every report shows per department and device (normalised by
// internal/catalog), and the compliance between them — installs against
// seats, unlicensed commercial installs, over-deployment, expired and
// unfiled licences, the legalization rate and the domestic (信创) share —
// in the inspectors' shapes (汇总表, 明细表, 安装维护情况明细表). Its
// detectors turn the same evaluation into the unlicensed-software,
// license-over-deployment and unfiled-software findings.
package ledger

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/egovnet/egovnet/internal/catalog"
)

// Filing statuses (备案状态) of a licence.
const (
	FilingFiled   = "filed"   // 已备案
	FilingPending = "pending" // 备案中
	FilingUnfiled = "unfiled" // 未备案
)

// License is one purchase record of the ledger.
type License struct {
	ID           string    `json:"id"`
	Product      string    `json:"product"`                 // catalog product key (a product name is accepted on input)
	ProductName  string    `json:"product_name"`            // display name, defaults to the catalog's
	Category     string    `json:"category"`                // from the catalog
	Vendor       string    `json:"vendor,omitempty"`        // from the catalog
	Domestic     bool      `json:"domestic"`                // from the catalog
	VersionRange string    `json:"version_range,omitempty"` // "" any; "2016", ">=8", "<=2019", "8..9", comma-separated
	Edition      string    `json:"edition,omitempty"`       // informational: the edition bought
	Seats        int       `json:"seats"`                   // installs covered (授权数)
	Department   string    `json:"department"`              // owning department; "" = shared pool of the district
	Cost         float64   `json:"cost"`                    // total cost in yuan (费用)
	Purpose      string    `json:"purpose,omitempty"`       // 用途
	ContractNo   string    `json:"contract_no,omitempty"`   // 合同编号
	PurchaseDate string    `json:"purchase_date,omitempty"` // YYYY-MM-DD
	Expiry       string    `json:"expiry,omitempty"`        // YYYY-MM-DD; "" = perpetual
	FilingStatus string    `json:"filing_status"`           // filed, pending, unfiled
	Notes        string    `json:"notes,omitempty"`
	CreatedAt    time.Time `json:"created_at,omitempty"`
	UpdatedAt    time.Time `json:"updated_at,omitempty"`
}

// ValidationError lists every problem of one input, field by field.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	return "invalid licence: " + strings.Join(e.Problems, "; ")
}

// ErrNotFound is returned for an unknown licence id.
var ErrNotFound = errors.New("licence not found")

// maximum lengths of free-text fields
const (
	maxText  = 512
	maxShort = 128
	maxSeats = 10_000_000
	// candidates listed in the error for an ambiguous product
	maxCandidates = 12
)

// Normalize validates l and fills the catalog fields. The product may be a
// catalog key ("windows"), a product's display name in English or Chinese
// as `catalog match` prints it ("Microsoft Windows", "Windows操作系统"), or
// any name or alias that resolves to exactly one product ("WPS Office
// 2019", "达梦数据库"); an ambiguous name is rejected with the candidate
// keys (see catalog.Resolve). Every problem is reported at once.
func (l *License) Normalize(cat *catalog.Catalog) error {
	var p []string
	bad := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	trim := func(s *string, field string, max int) {
		*s = strings.TrimSpace(*s)
		if !utf8.ValidString(*s) {
			bad("%s: not valid UTF-8", field)
		}
		if utf8.RuneCountInString(*s) > max {
			bad("%s: longer than %d characters", field, max)
		}
	}
	trim(&l.ID, "id", maxShort)
	trim(&l.Product, "product", maxShort)
	trim(&l.ProductName, "product_name", maxShort)
	trim(&l.VersionRange, "version_range", maxShort)
	trim(&l.Edition, "edition", maxShort)
	trim(&l.Department, "department", maxShort)
	trim(&l.Purpose, "purpose", maxText)
	trim(&l.ContractNo, "contract_no", maxShort)
	trim(&l.Notes, "notes", maxText)

	switch {
	case l.Product == "" && l.ProductName == "":
		bad("product: required (a catalog key such as \"wps\" or a product name such as \"WPS Office\")")
	default:
		name := l.Product
		if name == "" {
			name = l.ProductName
		}
		res := cat.Resolve(name)
		prod := res.Product
		switch {
		case prod != nil:
		case len(res.Candidates) > 0:
			var cs []string
			for i, c := range res.Candidates {
				if i == maxCandidates {
					cs = append(cs, fmt.Sprintf("… %d more", len(res.Candidates)-i))
					break
				}
				cs = append(cs, fmt.Sprintf("%s (%s / %s)", c.Key, c.NameZH, c.Name))
			}
			bad("product: %q is ambiguous, it names %d catalog products: %s; give one of these keys", name, len(res.Candidates), strings.Join(cs, ", "))
		case res.Library != nil:
			bad("product: %q is a library or part of %s (%s), which needs no licence of its own; license the product itself", name, res.Library.Name, res.Library.Key)
		default:
			bad("product: %q is not in the software catalog: give a catalog key, the product name `egovnet-collector catalog match` prints (e.g. \"Microsoft Windows\", \"WPS Office办公软件\") or a name it recognises", name)
		}
		if prod != nil {
			l.Product = prod.Key
			if l.ProductName == "" || strings.EqualFold(l.ProductName, prod.Key) {
				l.ProductName = prod.NameZH
				if l.ProductName == "" {
					l.ProductName = prod.Name
				}
			}
			l.Category, l.Vendor, l.Domestic = prod.Category, prod.Vendor, prod.Domestic
		}
	}
	if l.Seats <= 0 || l.Seats > maxSeats {
		bad("seats: must be between 1 and %d, got %d", maxSeats, l.Seats)
	}
	if l.Cost < 0 || math.IsNaN(l.Cost) || math.IsInf(l.Cost, 0) || l.Cost > 1e12 {
		bad("cost: must be a non-negative amount in yuan, got %v", l.Cost)
	}
	l.Cost = math.Round(l.Cost*100) / 100
	if _, err := parseRange(l.VersionRange); err != nil {
		bad("version_range: %v", err)
	}
	var pd, ex time.Time
	var err error
	if l.PurchaseDate, pd, err = normDate(l.PurchaseDate); err != nil {
		bad("purchase_date: %v", err)
	}
	if l.Expiry, ex, err = normDate(l.Expiry); err != nil {
		bad("expiry: %v", err)
	}
	if !pd.IsZero() && !ex.IsZero() && ex.Before(pd) {
		bad("expiry %s is before purchase_date %s", l.Expiry, l.PurchaseDate)
	}
	fs, ok := filingAliases[strings.ToLower(strings.TrimSpace(l.FilingStatus))]
	if !ok {
		bad("filing_status: %q is not one of filed (已备案), pending (备案中), unfiled (未备案)", l.FilingStatus)
	}
	l.FilingStatus = fs
	if len(p) > 0 {
		return &ValidationError{Problems: p}
	}
	return nil
}

var filingAliases = map[string]string{
	"": FilingUnfiled, "filed": FilingFiled, "已备案": FilingFiled, "备案": FilingFiled, "yes": FilingFiled, "是": FilingFiled,
	"pending": FilingPending, "备案中": FilingPending, "待备案": FilingPending, "申报中": FilingPending,
	"unfiled": FilingUnfiled, "未备案": FilingUnfiled, "no": FilingUnfiled, "否": FilingUnfiled,
}

var dateLayouts = []string{"2006-01-02", "2006/01/02", "2006.01.02", "2006-1-2", "2006/1/2", "2006年1月2日", "2006年01月02日", "01-02-06", "1/2/06", "20060102", time.RFC3339}

// normDate accepts the date shapes spreadsheets produce and returns YYYY-MM-DD.
func normDate(s string) (string, time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", time.Time{}, nil
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() < 1980 || t.Year() > 2200 {
				return "", time.Time{}, fmt.Errorf("%q is out of range", s)
			}
			return t.Format("2006-01-02"), t, nil
		}
	}
	return "", time.Time{}, fmt.Errorf("%q is not a date (use YYYY-MM-DD)", s)
}

// ValidAt reports whether the licence is in force at t: purchased on or
// before t (when a purchase date is given) and not expired (the expiry day
// itself still counts).
func (l License) ValidAt(t time.Time) bool {
	day := t.UTC().Format("2006-01-02")
	if l.PurchaseDate != "" && l.PurchaseDate > day {
		return false
	}
	return l.Expiry == "" || l.Expiry >= day
}

// ExpiredAt reports whether the licence has expired at t.
func (l License) ExpiredAt(t time.Time) bool {
	return l.Expiry != "" && l.Expiry < t.UTC().Format("2006-01-02")
}

// Covers reports whether the licence's version range admits version.
func (l License) Covers(version string) bool {
	r, err := parseRange(l.VersionRange)
	if err != nil {
		return false
	}
	return r.admits(version)
}

// versionRange is a parsed version_range: any of its terms admits.
type versionRange []rangeTerm

type rangeTerm struct {
	op     string // "", ">=", "<=", ">", "<", "=", ".."
	a, b   string
	na, nb []int
}

var opRE = regexp.MustCompile(`^(>=|<=|>|<|=)?\s*(.+)$`)

func parseRange(s string) (versionRange, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "*" {
		return nil, nil
	}
	var out versionRange
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" || part == "*" {
			return nil, nil
		}
		if a, b, ok := strings.Cut(part, ".."); ok {
			a, b = strings.TrimSpace(a), strings.TrimSpace(b)
			if a == "" || b == "" || len(nums(a)) == 0 || len(nums(b)) == 0 {
				return nil, fmt.Errorf("%q: a range is FROM..TO with numbers on both sides", part)
			}
			out = append(out, rangeTerm{op: "..", a: a, b: b, na: nums(a), nb: nums(b)})
			continue
		}
		m := opRE.FindStringSubmatch(part)
		if m == nil {
			return nil, fmt.Errorf("%q: not a version term", part)
		}
		if m[1] != "" && len(nums(m[2])) == 0 {
			return nil, fmt.Errorf("%q: a comparison needs a numeric version", part)
		}
		out = append(out, rangeTerm{op: m[1], a: m[2], na: nums(m[2])})
	}
	return out, nil
}

func (r versionRange) admits(v string) bool {
	if len(r) == 0 {
		return true
	}
	nv := nums(v)
	for _, t := range r {
		switch t.op {
		case "":
			// a bare term is a prefix: "2016" admits "2016", "V8" admits "V8R6"
			lv, lt := strings.ToLower(strings.TrimPrefix(strings.ToLower(v), "v")), strings.ToLower(strings.TrimPrefix(strings.ToLower(t.a), "v"))
			if strings.HasPrefix(lv, lt) {
				return true
			}
		case "=":
			if len(nv) > 0 && cmpNums(nv, t.na) == 0 {
				return true
			}
		case ">=":
			if len(nv) > 0 && cmpNums(nv, t.na) >= 0 {
				return true
			}
		case "<=":
			if len(nv) > 0 && cmpPrefix(nv, t.na) <= 0 {
				return true
			}
		case ">":
			if len(nv) > 0 && cmpNums(nv, t.na) > 0 {
				return true
			}
		case "<":
			if len(nv) > 0 && cmpNums(nv, t.na) < 0 {
				return true
			}
		case "..":
			if len(nv) > 0 && cmpNums(nv, t.na) >= 0 && cmpPrefix(nv, t.nb) <= 0 {
				return true
			}
		}
	}
	return false
}

var numRE = regexp.MustCompile(`\d+`)

// nums extracts the numeric components of a version ("V8R6" -> 8 6,
// "1:10.11.19-0+deb12u1" -> 10 11 19 0 12 1, dropping a dpkg epoch).
func nums(v string) []int {
	if i := strings.Index(v, ":"); i > 0 && i < 4 {
		v = v[i+1:]
	}
	var out []int
	for _, m := range numRE.FindAllString(v, 8) {
		n, err := strconv.Atoi(m)
		if err != nil {
			n = math.MaxInt32
		}
		out = append(out, n)
	}
	return out
}

func cmpNums(a, b []int) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// cmpPrefix compares a with b on b's length only, so "<=8" admits 8.6.
func cmpPrefix(a, b []int) int {
	if len(a) > len(b) {
		a = a[:len(b)]
	}
	return cmpNums(a, b)
}
