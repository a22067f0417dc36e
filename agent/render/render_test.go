package render

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/egovnet/egovnet/internal/wire"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestGolden(t *testing.T) {
	for _, name := range []string{"report", "empty"} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var r wire.ScanReport
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatal(err)
			}
			if err := r.Validate(); err != nil {
				t.Fatalf("fixture invalid: %v", err)
			}
			var out bytes.Buffer
			if err := Report(&out, &r); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Fatalf("output differs from %s (run with -update):\n%s", golden, out.String())
			}
		})
	}
}

func TestWidth(t *testing.T) {
	tests := []struct {
		s    string
		want int
	}{{"abc", 3}, {"门户", 4}, {"IP 地址", 7}, {"", 0}, {"ｱ", 1}}
	for _, tc := range tests {
		if got := Width(tc.s); got != tc.want {
			t.Errorf("Width(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
	if got := clipWidth("区财政局政务服务门户网站首页欢迎您访问", 11); Width(got) > 11 || got != "区财政局政…" {
		t.Errorf("clip = %q", got)
	}
}
