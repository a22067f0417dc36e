package classify

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/internal/testenv"
	"github.com/egovnet/egovnet/internal/wire"
)

// TestCorpusRoles classifies every real device recording of the shared SNMP
// corpus from its sysObjectID and sysDescr alone.
func TestCorpusRoles(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.TestdataDir(t), "snmp", "corpus_index.json"))
	if err != nil {
		testenv.Missing(t, "corpus index: %v", err)
	}
	var idx map[string]map[string]struct {
		SysObjectID string `json:"sysObjectID"`
		SysDescr    string `json:"sysDescr"`
	}
	if err := json.Unmarshal(b, &idx); err != nil {
		t.Fatal(err)
	}
	want := func(name string) string {
		switch {
		case strings.Contains(name, "windows-xp"):
			return wire.RoleWorkstation
		case strings.HasPrefix(name, "linux_"), name == "quantastor", name == "ssd-linux-unknown-001",
			strings.Contains(name, "windows"):
			return wire.RoleServer
		}
		return wire.RoleNetwork
	}
	n := 0
	for _, set := range idx {
		for name, d := range set {
			n++
			t.Run(name, func(t *testing.T) {
				if got := Role(Input{SysObjectID: d.SysObjectID, SysDescr: d.SysDescr}); got != want(name) {
					t.Fatalf("%s (%s, %.60q) = %s, want %s", name, d.SysObjectID, d.SysDescr, got, want(name))
				}
			})
		}
	}
	if n < 40 {
		t.Fatalf("only %d recordings", n)
	}
}
