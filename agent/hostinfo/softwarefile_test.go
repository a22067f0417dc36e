package hostinfo

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/internal/wire"
)

func TestParseSoftwareList(t *testing.T) {
	tests := []struct {
		name, in string
		want     []wire.Software
	}{
		{"full lines", "WPS Office\t11.1\tKingsoft\nDM8\t8.1\t达梦\n", []wire.Software{
			{Name: "WPS Office", Version: "11.1", Vendor: "Kingsoft", Source: "import"},
			{Name: "DM8", Version: "8.1", Vendor: "达梦", Source: "import"}}},
		{"name only, comments, blanks, CRLF", "# lab\n\nnginx\r\n\t1.0\n", []wire.Software{{Name: "nginx", Source: "import"}}},
		{"empty", "", []wire.Software{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSoftwareList(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestSoftwareFileReplacesDatabases(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "sw.tsv")
	if err := os.WriteFile(f, []byte("Kylin OS\tV10\tKylinsoft\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dpkg := filepath.Join(dir, "status")
	os.WriteFile(dpkg, []byte("Package: bash\nStatus: install ok installed\nVersion: 5\n\n"), 0o644)
	sw, errs := Software(context.Background(), Sources{SoftwareFile: f, DpkgStatus: dpkg, RPM: "/nonexistent"})
	if len(errs) != 0 || len(sw) != 1 || sw[0].Name != "Kylin OS" || sw[0].Source != "import" {
		t.Fatalf("got %+v, %v; want only the file's entry", sw, errs)
	}
	_, errs = Software(context.Background(), Sources{SoftwareFile: filepath.Join(dir, "missing")})
	if len(errs) != 1 {
		t.Fatalf("missing file: errs %v, want one", errs)
	}
}
