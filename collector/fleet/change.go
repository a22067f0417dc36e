package fleet

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/egovnet/egovnet/internal/wire"
)

// Change is an operator's partial edit of a department's agent
// configuration (`egovnet-collector agent config set`): a nil field keeps
// the stored value, a set one replaces it. List values are comma-separated
// as typed.
type Change struct {
	Targets, Ports, Interval, Communities, Paths, Profile *string
	// CommunityFile names a file of communities, one per line: it keeps the
	// secret out of the process list and shell history.
	CommunityFile *string
}

// Apply merges c into cur. Its errors are the operator's input (a port that
// is not a number, both community sources, an unreadable community file);
// SetConfig validates the merged result.
func (c Change) Apply(cur wire.AgentConfig) (wire.AgentConfig, error) {
	if c.Targets != nil {
		cur.Scope.Targets = SplitList(*c.Targets)
	}
	if c.Ports != nil {
		cur.Scope.Ports = nil
		for _, p := range SplitList(*c.Ports) {
			n, err := strconv.Atoi(p)
			if err != nil {
				return cur, fmt.Errorf("--ports: %q is not a port number", p)
			}
			cur.Scope.Ports = append(cur.Scope.Ports, n)
		}
	}
	if c.Interval != nil {
		cur.Schedule.Interval = *c.Interval
	}
	if c.Communities != nil && c.CommunityFile != nil {
		return cur, errors.New("--snmp-community and --snmp-community-file: give one")
	}
	if c.Communities != nil {
		cur.SNMP.Communities = SplitList(*c.Communities)
	}
	if c.CommunityFile != nil {
		b, err := os.ReadFile(*c.CommunityFile)
		if err != nil {
			return cur, fmt.Errorf("--snmp-community-file: %v", err)
		}
		cur.SNMP.Communities = nil
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				cur.SNMP.Communities = append(cur.SNMP.Communities, l)
			}
		}
	}
	if c.Paths != nil {
		cur.Paths.Targets = SplitList(*c.Paths)
	}
	if c.Profile != nil {
		cur.Profile = *c.Profile
	}
	return cur, nil
}

// SplitList splits a comma-separated list, dropping blanks.
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
