package export

import (
	"os"
	"regexp"
	"testing"
	"unicode"
)

// TestColumnsFromTerms: every column header of the exports' tables comes
// from collector/terms (the table the web UI's lists read as "col.<key>"),
// in both languages, and tables.go spells no header itself, so the UI and
// the sheets cannot drift apart again.
func TestColumnsFromTerms(t *testing.T) {
	tables := map[string][]Column{"violations": ViolationColumns, "ledger summary": LedgerSummaryColumns,
		"ledger detail": LedgerDetailColumns, "progress": ProgressColumns}
	for name, cols := range tables {
		for _, c := range cols {
			han := false
			for _, r := range c.ZH {
				han = han || unicode.Is(unicode.Han, r)
			}
			if !han || c.EN == "" || c.EN == c.Key {
				t.Errorf("%s column %q: zh %q en %q, not from collector/terms", name, c.Key, c.ZH, c.EN)
			}
		}
	}
	src, err := os.ReadFile("tables.go")
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`Column\{"[^"]*", "`).Find(src); m != nil {
		t.Errorf("tables.go spells a header itself: %s", m)
	}
}
