package lifecycle

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/collector/rules"
	"github.com/egovnet/egovnet/internal/plan"
	"github.com/egovnet/egovnet/internal/wire"
)

// rulesTestdata holds the district plan and reports the rules package's
// golden tests judge; the lifecycle tests feed the same ones.
var rulesTestdata = filepath.Join("..", "rules", "testdata")

func loadReports(t *testing.T, names ...string) []*wire.ScanReport {
	t.Helper()
	if len(names) == 0 {
		files, _ := filepath.Glob(filepath.Join(rulesTestdata, "reports", "*.json"))
		for _, f := range files {
			names = append(names, strings.TrimSuffix(filepath.Base(f), ".json"))
		}
		sort.Strings(names)
	}
	var out []*wire.ScanReport
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(rulesTestdata, "reports", n+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var r wire.ScanReport
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		out = append(out, &r)
	}
	return out
}

func districtEngine(t *testing.T, opts ...rules.Option) *rules.Engine {
	t.Helper()
	p, err := plan.Load(filepath.Join(rulesTestdata, "district.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := rules.NewEngine(p, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}
