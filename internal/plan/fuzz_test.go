package plan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse: any input is a plan or an error naming the file; never a
// panic, and a plan that parses parses again the same way.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yaml")
	seeds = append(seeds, "../../configs/plan.yaml")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if p != nil {
				t.Fatal("a plan and an error")
			}
			if !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if p == nil {
			t.Fatal("neither plan nor error")
		}
		if _, err := Parse(data, "fuzz.yaml"); err != nil {
			t.Fatalf("second parse failed: %v", err)
		}
	})
}
