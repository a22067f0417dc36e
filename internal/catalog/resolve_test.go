package catalog

import (
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	c := MustDefault()
	// every product is reachable by its key and by both display names
	for _, p := range c.Products {
		for _, ref := range []string{p.Key, strings.ToUpper(p.Key), p.Name, p.NameZH, " " + p.Name + " "} {
			if ref == "" {
				continue
			}
			res := c.Resolve(ref)
			if res.Product != p {
				var got []string
				for _, q := range res.Candidates {
					got = append(got, q.Key)
				}
				t.Errorf("Resolve(%q) = %v (candidates %v), want %s", ref, res.Product, got, p.Key)
			}
		}
	}
	cases := []struct {
		name, ref, key string
		candidates     []string // some of the candidates an ambiguous ref must list
		library        string
	}{
		{"catalog key", "windows", "windows", nil, ""},
		{"display name as catalog match prints it", "Microsoft Windows", "windows", nil, ""},
		{"Chinese display name", "Windows操作系统", "windows", nil, ""},
		{"display name other case and width", "ｍｉｃｒｏｓｏｆｔ　ｗｉｎｄｏｗｓ", "windows", nil, ""},
		{"alias", "WPS Office 2019", "wps", nil, ""},
		{"Chinese alias", "银河麒麟桌面操作系统V10", "kylin-os", nil, ""},
		{"alias with vendor", "东方通 TongLINK/Q", "tonglinkq", nil, ""},
		{"part of one display name", "WebLogic", "weblogic", nil, ""},
		{"client resolves to its product", "SQL Server Management Studio", "sqlserver", nil, ""},
		{"ambiguous vendor word", "Oracle", "", []string{"oracle-db", "weblogic", "oracle-linux"}, ""},
		{"ambiguous Chinese word", "麒麟", "", []string{"kylin-os", "neokylin", "ubuntu-kylin"}, ""},
		{"ambiguous Microsoft", "Microsoft", "", []string{"windows", "ms-office", "sqlserver"}, ""},
		{"library", "mysql-common", "", nil, "mysql"},
		{"unknown", "TotallyUnknownWidget", "", nil, ""},
		{"empty", "  ", "", nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := c.Resolve(tc.ref)
			key := ""
			if res.Product != nil {
				key = res.Product.Key
			}
			if key != tc.key {
				t.Errorf("Resolve(%q) = %q, want %q", tc.ref, key, tc.key)
			}
			got := map[string]bool{}
			for _, p := range res.Candidates {
				got[p.Key] = true
			}
			for _, want := range tc.candidates {
				if !got[want] {
					t.Errorf("Resolve(%q) candidates lack %s: %v", tc.ref, want, got)
				}
			}
			if len(tc.candidates) == 0 && len(res.Candidates) > 0 {
				t.Errorf("Resolve(%q) has candidates %v, want none", tc.ref, got)
			}
			lib := ""
			if res.Library != nil {
				lib = res.Library.Key
			}
			if lib != tc.library {
				t.Errorf("Resolve(%q) library = %q, want %q", tc.ref, lib, tc.library)
			}
		})
	}
}
