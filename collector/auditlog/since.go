package auditlog

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseSince reads the start of an audit listing as an operator types it:
// "" (from the beginning), a Go duration or a number of days ("7d") before
// now, a date (YYYY-MM-DD, UTC) or an RFC3339 time. Its error names the
// --since flag.
func ParseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if strings.HasSuffix(s, "d") {
		if n, err := strconv.Atoi(strings.TrimSuffix(s, "d")); err == nil && n >= 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--since %q: want a duration (24h, 7d), a date (2026-01-31) or an RFC3339 time", s)
}
