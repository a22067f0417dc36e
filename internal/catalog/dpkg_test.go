package catalog

import (
	"os"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/internal/testenv"
)

// TestDpkgStatusOfThisHost classifies the agent host's real package
// database. The set of packages changes as the machine is provisioned, so
// the test pins invariants rather than a golden list.
func TestDpkgStatusOfThisHost(t *testing.T) {
	f, err := os.Open("/var/lib/dpkg/status")
	if err != nil {
		testenv.Missing(t, "no dpkg database on this host: %v", err)
	}
	defer f.Close()
	ins, err := ParseDpkgStatus(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) < 100 {
		t.Fatalf("only %d installed packages parsed", len(ins))
	}
	c := MustDefault()
	rs := c.MatchAll(ins)
	var osInstalls []string
	known := 0
	for _, r := range rs {
		if r.Known() {
			known++
		}
		if r.Category == CategoryOS && r.Kind == KindInstall {
			osInstalls = append(osInstalls, r.Name+"="+r.ProductKey)
		}
		if r.Counted() && (strings.HasPrefix(r.Name, "lib") && !strings.HasPrefix(r.Name, "libreoffice")) {
			t.Errorf("library package %s counted as an install of %s", r.Name, r.ProductKey)
		}
		if r.Counted() && r.Category == CategoryOS && r.Name != "base-files" {
			t.Errorf("distribution package %s counted as an OS install", r.Name)
		}
	}
	// one OS per host: only the release marker is an OS install
	if len(osInstalls) != 1 {
		t.Errorf("OS installs from dpkg = %v, want exactly one (base-files)", osInstalls)
	}
	if rel, err := os.ReadFile("/etc/os-release"); err == nil {
		osr, ok := c.OSFromRelease(ParseOSRelease(strings.NewReader(string(rel))))
		if !ok {
			t.Errorf("os-release of this host not recognised:\n%s", rel)
		} else if len(osInstalls) == 1 && !strings.HasSuffix(osInstalls[0], "="+osr.ProductKey) {
			t.Errorf("base-files says %s, os-release says %s", osInstalls[0], osr.ProductKey)
		}
	}
	// packages whose classification the ledger relies on, when present
	expect := map[string]string{
		"base-files": "debian/os/install", "postgresql-15": "postgresql/database/install",
		"postgresql-client-15": "postgresql/database/client", "libpq5": "postgresql/other/library",
		"mysql-common": "mysql/other/library", "mariadb-common": "mariadb/other/library",
		"snmpd": "net-snmp/other/install", "libsqlite3-0": "sqlite/other/library",
	}
	for i, in := range ins {
		if w, ok := expect[in.Name]; ok {
			r := rs[i]
			if got := r.ProductKey + "/" + r.Category + "/" + r.Kind; got != w {
				t.Errorf("%s = %s, want %s", in.Name, got, w)
			}
		}
	}
	t.Logf("dpkg: %d installed packages, %d matched a catalog product, OS %v", len(ins), known, osInstalls)
}

func TestParseDpkgStatus(t *testing.T) {
	in := `Package: wps-office
Status: install ok installed
Version: 11.1.0.11719
Description: WPS Office
 long description line

Package: removed-thing
Status: deinstall ok config-files
Version: 1.0

Package: kingbase-server
Status: install ok installed
Version: V008R006C008B0014
`
	got, err := ParseDpkgStatus(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "wps-office" || got[0].Version != "11.1.0.11719" || got[1].Name != "kingbase-server" || got[1].Source != "dpkg" {
		t.Errorf("ParseDpkgStatus = %+v", got)
	}
}
