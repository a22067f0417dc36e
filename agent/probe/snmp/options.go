package snmp

import (
	"fmt"
	"slices"
	"strings"

	"github.com/egovnet/egovnet/internal/wire"
)

// MaxRepetitionsCap is the largest GETBULK max-repetitions a walk starts
// with; larger values are clamped (agents answer tooBig or choke, gosnmp
// #100).
const MaxRepetitionsCap = 200

// DefaultCommunity is what a one-off walk given no credential tries: the
// factory default of most devices.
const DefaultCommunity = "public"

// RetriesOption maps a retry count where 0 means none (the agent's
// configuration and flags) to Options.Retries, where 0 means the default.
func RetriesOption(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// Answered tells whether a walk reached the device: any system group
// value was read. A host that answers no credential is not an SNMP device,
// not a failure.
func Answered(inv wire.DeviceInventory) bool {
	return inv.System.ObjectID != "" || inv.System.Descr != "" || inv.System.Name != ""
}

// OneOffCredentials is the credential set of a walk named on a command
// line: the v3 user when there is one, else the community, else
// DefaultCommunity.
func OneOffCredentials(community string, v3 *V3User) Credentials {
	if v3 != nil {
		return Credentials{V3: []V3User{*v3}}
	}
	if community == "" {
		community = DefaultCommunity
	}
	return Credentials{Communities: []string{community}}
}

// ParseTables reads a table list: "" or "all" is every table (nil), else
// comma-separated names of AllTables. "system" is always walked and may be
// named; a list of only "system" walks the system group alone (empty,
// not nil). Every unknown name is reported.
func ParseTables(spec string) ([]string, error) {
	if spec == "" || spec == "all" {
		return nil, nil
	}
	out := []string{}
	var bad []string
	for _, t := range strings.Split(spec, ",") {
		t = strings.TrimSpace(t)
		if t == "system" || t == "" {
			continue
		}
		if !slices.Contains(AllTables, t) {
			bad = append(bad, fmt.Sprintf("%q", t))
			continue
		}
		out = append(out, t)
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("unknown table %s (system, %s)", strings.Join(bad, ", "), strings.Join(AllTables, ", "))
	}
	return out, nil
}
