package lifecycle

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/egovnet/egovnet/internal/wire"
)

// searchKeys are the evidence detail keys whose values ?q= matches: the
// addresses, MACs and names a finding is about (CONTRACT lists). Detail
// keys come from the detectors (rules.endpointDetail, the egress and device
// details, the ledger's device rows); a new detail key that names a host
// belongs here and in a new migration that refills search_text.
var searchKeys = []string{"address", "addresses", "chassis_id", "device", "device_name", "exit_hop", "gateway", "hostname",
	"ip", "mac", "name", "names", "next_hop", "server", "sys_name", "target"}

// searchText is what ?q= matches for v, stored in
// rules_violations.search_text: subject, id and each evidence's string
// values (or strings in a list) under searchKeys, one a line, lower case.
// rules/0004's backfill computes the same lines from stored bodies.
func searchText(v wire.Violation) string {
	lines := []string{v.Subject, v.ID}
	for _, e := range v.Evidence {
		for k, val := range e.Detail {
			if !slices.Contains(searchKeys, k) {
				continue
			}
			switch x := val.(type) {
			case string:
				lines = append(lines, x)
			case []string:
				lines = append(lines, x...)
			case []any:
				lines = appendStrings(lines, x)
			default:
				// typed values (addresses, lists of them) as the body
				// stores them: their JSON
				var j any
				if b, err := json.Marshal(x); err == nil && json.Unmarshal(b, &j) == nil {
					switch y := j.(type) {
					case string:
						lines = append(lines, y)
					case []any:
						lines = appendStrings(lines, y)
					}
				}
			}
		}
	}
	return asciiLower(strings.Join(lines, "\n"))
}

func appendStrings(lines []string, xs []any) []string {
	for _, el := range xs {
		if s, ok := el.(string); ok {
			lines = append(lines, s)
		}
	}
	return lines
}

// asciiLower lowers ASCII letters only, as SQLite's LOWER does, so the
// text written here, the backfill and the lowered query agree.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

// likePattern is the LIKE pattern (ESCAPE '\') matching q anywhere in
// search_text.
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(asciiLower(q)) + "%"
}
