package snmp

import (
	"slices"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/internal/wire"
)

func TestParseTables(t *testing.T) {
	tests := []struct {
		name    string
		spec    string
		want    []string
		wantErr string
	}{
		{"empty is all", "", nil, ""},
		{"all", "all", nil, ""},
		{"system only", "system", []string{}, ""},
		{"list", "interfaces, arp,system,", []string{TableInterfaces, TableARP}, ""},
		{"unknown", "arp,bogus,nope", nil, `unknown table "bogus", "nope"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTables(tc.spec)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tc.want == nil) || !slices.Equal(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestOneOffCredentials(t *testing.T) {
	if got := OneOffCredentials("", nil).List(); len(got) != 2 || got[0].Community != DefaultCommunity {
		t.Fatalf("no credential: %v", got)
	}
	if got := OneOffCredentials("c", nil).List(); got[0].Community != "c" {
		t.Fatalf("community: %v", got)
	}
	if got := OneOffCredentials("", &V3User{User: "u"}).List(); len(got) != 1 || got[0].Version != V3 {
		t.Fatalf("v3: %v", got)
	}
}

func TestAnsweredAndRetries(t *testing.T) {
	if Answered(wire.DeviceInventory{}) || !Answered(wire.DeviceInventory{System: wire.System{Name: "sw1"}}) {
		t.Fatal("Answered")
	}
	for in, want := range map[int]int{0: -1, 2: 2} {
		if got := RetriesOption(in); got != want {
			t.Fatalf("RetriesOption(%d) = %d, want %d", in, got, want)
		}
	}
}
