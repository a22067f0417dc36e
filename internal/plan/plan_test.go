package plan

import (
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestLoadContractExample(t *testing.T) {
	p, err := Load(filepath.Join("testdata", "contract.yaml"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if p.District.Code != "310110" || p.District.Name != "杨浦区" {
		t.Errorf("district = %+v", p.District)
	}
	if got := strings.Join(p.Packs, ","); got != "yangpu-2021,shanghai-extranet-2020" {
		t.Errorf("packs = %s", got)
	}
	d, ok := p.Department("CZJ")
	if !ok || d.Name != "区财政局" || d.Prefixes[0] != "10.1.0.0/24" {
		t.Errorf("department CZJ = %+v, %v", d, ok)
	}
	if len(p.Exemptions) != 1 {
		t.Fatalf("exemptions = %d", len(p.Exemptions))
	}
	e := p.Exemptions[0]
	if !e.Expires.Equal(time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("expires = %v", e.Expires)
	}
	if !e.Matches("private-link", "CZJ", "172.20.0.0/16", time.Date(2027, 6, 30, 15, 59, 0, 0, time.UTC)) {
		t.Error("exemption should hold through 2027-06-30 (CST)")
	}
	if e.Matches("private-link", "CZJ", "172.20.0.0/16", time.Date(2027, 6, 30, 16, 0, 0, 0, time.UTC)) {
		t.Error("exemption should end at 2027-07-01 00:00 CST")
	}
	if e.Matches("private-link", "CZJ", "172.21.0.0/16", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("exemption must not cover another subject")
	}
}

// TestParseInvalid checks every invalid fixture against its exact errors.
func TestParseInvalid(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "invalid-*.yaml"))
	if len(files) == 0 {
		t.Fatal("no invalid fixtures")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(data, "plan.yaml")
			if err == nil {
				t.Fatal("Parse accepted an invalid plan")
			}
			golden := strings.TrimSuffix(f, ".yaml") + ".err"
			got := err.Error() + "\n"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden (run with -update): %v", err)
			}
			if got != string(want) {
				t.Errorf("errors differ\n--- got\n%s--- want\n%s", got, want)
			}
		})
	}
}

func TestParseErrorsNameKeyAndLine(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"unknown top key", "district: {code: \"1\"}\npacks: [yangpu-2021]\nextranet: {prefixes: [\"10.0.0.0/8\"]}\ndepartments: [{code: A, name: a, prefixes: [\"10.1.0.0/24\"]}]\nfoo: 1\n", "p.yaml:5: foo: unknown key"},
		{"bad cidr", "district: {code: \"1\"}\npacks: [yangpu-2021]\nextranet: {prefixes: [\"10.0.0.0/8\"]}\ndepartments:\n  - code: A\n    name: a\n    prefixes: [\"10.1.0.0/24\", \"10.1.1.0/99\"]\n", "p.yaml:7: departments[0].prefixes[1]: invalid CIDR \"10.1.1.0/99\""},
		{"unknown pack", "district: {code: \"1\"}\npacks:\n  - yangpu-2021\n  - mars-2030\nextranet: {prefixes: [\"10.0.0.0/8\"]}\ndepartments: [{code: A, name: a, prefixes: [\"10.1.0.0/24\"]}]\n", "p.yaml:4: packs[1]: unknown policy pack \"mars-2030\""},
		{"unknown rule", "district: {code: \"1\"}\npacks: [yangpu-2021]\nextranet: {prefixes: [\"10.0.0.0/8\"]}\ndepartments: [{code: A, name: a, prefixes: [\"10.1.0.0/24\"]}]\nexemptions:\n  - rule: wifi\n    department: A\n    subject: x\n    basis: b\n    approver: c\n    expires: 2027-06-30\n", "p.yaml:6: exemptions[0].rule: unknown rule \"wifi\""},
		{"missing expiry", "district: {code: \"1\"}\npacks: [yangpu-2021]\nextranet: {prefixes: [\"10.0.0.0/8\"]}\ndepartments: [{code: A, name: a, prefixes: [\"10.1.0.0/24\"]}]\nexemptions:\n  - rule: local-server\n    department: A\n    subject: x\n    basis: b\n    approver: c\n", "p.yaml:6: exemptions[0].expires: required"},
		{"overlap", "district: {code: \"1\"}\npacks: [yangpu-2021]\nextranet: {prefixes: [\"10.0.0.0/8\"]}\ndepartments:\n  - {code: A, name: a, prefixes: [\"10.1.0.0/16\"]}\n  - {code: B, name: b, prefixes: [\"10.1.2.0/24\"]}\n", "p.yaml:6: departments[1].prefixes[0]: 10.1.2.0/24 overlaps 10.1.0.0/16 of department \"A\""},
		{"overlap index after a bad entry", "district: {code: \"1\"}\npacks: [yangpu-2021]\nextranet: {prefixes: [\"10.0.0.0/8\"]}\ndepartments:\n  - {code: A, name: a, prefixes: [\"10.1.0.0/16\"]}\n  - code: B\n    name: b\n    prefixes: [\"nope\"]\n    classified_prefixes:\n      - \"10.3.0.0/24\"\n      - \"10.1.9.0/24\"\n", "p.yaml:11: departments[1].classified_prefixes[1]: 10.1.9.0/24 overlaps 10.1.0.0/16 of department \"A\""},
		{"bad baseline", "district: {code: \"1\"}\npacks: [yangpu-2021]\nextranet: {prefixes: [\"10.0.0.0/8\"]}\ndepartments:\n  - code: A\n    name: a\n    prefixes: [\"10.1.0.0/24\"]\n    baseline: last spring\n", "p.yaml:8: departments[0].baseline: invalid date \"last spring\""},
		{"wrong type", "district: {code: \"1\"}\npacks: [yangpu-2021]\nextranet: {prefixes: [\"10.0.0.0/8\"]}\ndepartments: [{code: A, name: a, prefixes: [\"10.1.0.0/24\"], registered_internet_exit: perhaps}]\n", "p.yaml:4: cannot unmarshal !!str `perhaps` into bool"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "p.yaml")
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func TestDepartmentForScope(t *testing.T) {
	p, err := Parse([]byte(`district: {code: "1"}
packs: [yangpu-2021]
extranet: {prefixes: ["10.0.0.0/8"]}
departments:
  - {code: A, name: a, prefixes: ["10.1.0.0/24"], classified_prefixes: ["10.9.0.0/24"]}
  - {code: B, name: b, prefixes: ["10.2.0.0/24"]}
`), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		scope []string
		want  string
	}{
		{[]string{"10.1.0.0/24"}, "A"},
		{[]string{"10.9.0.0/25"}, "A"},
		{[]string{"192.0.2.0/24", "10.2.0.7"}, "B"},
		{[]string{"10.3.0.0/24"}, ""},
		{nil, ""},
	}
	for _, tc := range cases {
		d, ok := p.DepartmentForScope(tc.scope)
		if d.Code != tc.want || ok != (tc.want != "") {
			t.Errorf("DepartmentForScope(%v) = %q, %v; want %q", tc.scope, d.Code, ok, tc.want)
		}
	}
	if d, ok := p.DepartmentForAddr(netip.MustParseAddr("10.2.0.9")); !ok || d.Code != "B" {
		t.Errorf("DepartmentForAddr = %v %v", d.Code, ok)
	}
}

// TestDepartmentBaseline: departments[].baseline is optional; a day means
// the end of that day in China time (what was seen that day is the estate).
func TestDepartmentBaseline(t *testing.T) {
	cases := []struct {
		name, baseline string
		want           time.Time
		ok             bool
	}{
		{"absent", "", time.Time{}, false},
		{"a day", "2026-01-01", time.Date(2026, 1, 1, 16, 0, 0, 0, time.UTC), true},
		{"an instant", "2026-01-01T08:00:00Z", time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := "district: {code: \"1\"}\npacks: [yangpu-2021]\nextranet: {prefixes: [\"10.0.0.0/8\"]}\ndepartments: [{code: A, name: a, prefixes: [\"10.1.0.0/24\"]}]\n"
			if tc.baseline != "" {
				src = strings.Replace(src, "]}]", "], baseline: "+tc.baseline+"}]", 1)
			}
			p, err := Parse([]byte(src), "p.yaml")
			if err != nil {
				t.Fatal(err)
			}
			got, ok := p.Departments[0].BaselineAt()
			if ok != tc.ok || !got.Equal(tc.want) {
				t.Errorf("BaselineAt = %v %v, want %v %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
