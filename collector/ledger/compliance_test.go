package ledger

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)

func inst(dept, dev, product string, commercial bool, version string) Install {
	return Install{Department: dept, Device: dev, Product: product, ProductName: product, Category: "office", Commercial: commercial, Version: version, FirstSeen: t0, LastSeen: t0}
}

func lic(id, dept, product string, seats int, mods ...func(*License)) License {
	l := License{ID: id, Department: dept, Product: product, ProductName: product, Category: "office", Seats: seats, FilingStatus: FilingFiled}
	for _, m := range mods {
		m(&l)
	}
	return l
}

func statuses(ev *Evaluation) string {
	var out []string
	for _, d := range ev.Details {
		s := d.Department + "/" + d.Device + "=" + d.Status
		if d.License != "" {
			s += "(" + d.License + ")"
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func TestEvaluate(t *testing.T) {
	cases := []struct {
		name     string
		installs []Install
		licenses []License
		want     string
	}{
		{"no licence", []Install{inst("A", "h1", "ms-office", true, "2016")}, nil, "A/h1=unlicensed"},
		{"free software needs none", []Install{inst("A", "h1", "libreoffice", false, "7.5")}, nil, "A/h1=free"},
		{"seats then over-deployment",
			[]Install{inst("A", "h1", "wps", true, ""), inst("A", "h2", "wps", true, ""), inst("A", "h3", "wps", true, "")},
			[]License{lic("L1", "A", "wps", 2)},
			"A/h1=licensed(L1) A/h2=licensed(L1) A/h3=over-deployed"},
		{"own department first, then the shared pool",
			[]Install{inst("A", "h1", "wps", true, ""), inst("A", "h2", "wps", true, ""), inst("B", "h9", "wps", true, "")},
			[]License{lic("POOL", "", "wps", 2), lic("LA", "A", "wps", 1)},
			"A/h1=licensed(LA) A/h2=licensed(POOL) B/h9=licensed(POOL)"},
		{"pool exhausted in department order",
			[]Install{inst("B", "h9", "wps", true, ""), inst("A", "h1", "wps", true, "")},
			[]License{lic("POOL", "", "wps", 1)},
			"A/h1=licensed(POOL) B/h9=over-deployed"},
		{"another department's licence does not cover",
			[]Install{inst("B", "h9", "wps", true, "")},
			[]License{lic("LA", "A", "wps", 5)},
			"B/h9=unlicensed"},
		{"expired",
			[]Install{inst("A", "h1", "kaspersky", true, "")},
			[]License{lic("L1", "A", "kaspersky", 5, func(l *License) { l.Expiry = "2026-05-31" })},
			"A/h1=expired"},
		{"expiry day still valid",
			[]Install{inst("A", "h1", "kaspersky", true, "")},
			[]License{lic("L1", "A", "kaspersky", 5, func(l *License) { l.Expiry = "2026-06-01" })},
			"A/h1=licensed(L1)"},
		{"bought after the scan",
			[]Install{inst("A", "h1", "kaspersky", true, "")},
			[]License{lic("L1", "A", "kaspersky", 5, func(l *License) { l.PurchaseDate = "2026-07-01" })},
			"A/h1=unlicensed"},
		{"version outside the range",
			[]Install{inst("A", "h1", "ms-office", true, "2019"), inst("A", "h2", "ms-office", true, "2016")},
			[]License{lic("L1", "A", "ms-office", 5, func(l *License) { l.VersionRange = "<=2016" })},
			"A/h1=version-mismatch A/h2=licensed(L1)"},
		{"home edition is never an organisational licence",
			[]Install{func() Install { i := inst("A", "h1", "ms-office", true, "2016"); i.HomeEdition = true; return i }()},
			[]License{lic("L1", "A", "ms-office", 5)},
			"A/h1=home-edition"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := Evaluate(tc.installs, tc.licenses, t0)
			if got := statuses(ev); got != tc.want {
				t.Errorf("statuses\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestEvaluateSummary(t *testing.T) {
	dom := func(i Install, cat string) Install { i.Domestic, i.Category = true, cat; return i }
	installs := []Install{
		dom(inst("A", "h1", "wps", true, "11.8"), "office"),
		dom(inst("A", "h2", "wps", true, "12.1"), "office"),
		inst("A", "h1", "ms-office", true, "2016"),
		dom(func() Install { i := inst("A", "h1", "kylin-os", true, "V10"); i.Category = "os"; return i }(), "os"),
		func() Install { i := inst("A", "h2", "windows", true, "10"); i.Category = "os"; return i }(),
	}
	ls := []License{
		lic("W1", "A", "wps", 1, func(l *License) {
			l.Cost = 1200
			l.Purpose = "日常办公"
			l.FilingStatus = FilingPending
			l.Domestic = true
		}),
		lic("K1", "A", "kylin-os", 10, func(l *License) { l.Category = "os"; l.Cost = 5000 }),
		lic("X1", "A", "yozo", 3),
	}
	ev := Evaluate(installs, ls, t0)
	d := ev.Department("A")
	if d.Installs != 5 || d.Legal != 2 || d.Unlicensed != 3 || d.Domestic != 3 || d.UnfiledLicenses != 1 {
		t.Errorf("department = %+v", d)
	}
	if fmt.Sprintf("%.2f %.2f", d.Rate, d.DomesticShare) != "0.40 0.60" {
		t.Errorf("rate %.2f share %.2f, want 0.40 0.60", d.Rate, d.DomesticShare)
	}
	var os CategoryShare
	for _, c := range d.ByCategory {
		if c.Category == "os" {
			os = c
		}
	}
	if os.Installs != 2 || os.Domestic != 1 || os.Share != 0.5 {
		t.Errorf("os share = %+v", os)
	}
	rows := map[string]SummaryRow{}
	for _, r := range ev.Summary {
		rows[r.Product] = r
	}
	w := rows["wps"]
	if w.Installs != 2 || w.Licenses != 1 || w.Licensed != 1 || w.OverDeployed != 1 || w.Unfiled != 1 || w.Cost != 1200 || w.Purpose != "日常办公" || strings.Join(w.Versions, ",") != "11.8,12.1" {
		t.Errorf("wps row = %+v", w)
	}
	if y := rows["yozo"]; y.Installs != 0 || y.Licenses != 3 || y.Compliance != 1 {
		t.Errorf("a licence without installs must still be listed: %+v", y)
	}
	if none := ev.Department("Z"); none.Installs != 0 || none.Rate != 1 {
		t.Errorf("department without data = %+v", none)
	}
	if got := ev.ForDepartment("A"); len(got.Summary) != 5 {
		t.Errorf("ForDepartment kept %d rows", len(got.Summary))
	}
}

func TestVersionRange(t *testing.T) {
	cases := []struct {
		rng, version string
		want         bool
	}{
		{"", "anything", true},
		{"2016", "2016", true},
		{"2016", "2019", false},
		{"V8", "V8R6", true},
		{">=8", "8.6", true},
		{">=8", "7.9", false},
		{"<=2016", "2013", true},
		{"<=8", "8.6.1", true},
		{"<8", "8.0", false},
		{"7..8", "8.6", true},
		{"7..8", "9.0", false},
		{"2013, 2016", "2016", true},
		{">=10", "1:10.11.19-0+deb12u1", true},
	}
	for _, tc := range cases {
		l := License{VersionRange: tc.rng}
		if got := l.Covers(tc.version); got != tc.want {
			t.Errorf("range %q covers %q = %v, want %v", tc.rng, tc.version, got, tc.want)
		}
	}
	for _, bad := range []string{">=abc", "7..", "..8"} {
		if _, err := parseRange(bad); err == nil {
			t.Errorf("parseRange(%q) accepted", bad)
		}
	}
}
