package auditlog

import (
	"testing"
	"time"
)

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name, in string
		want     time.Time
		bad      bool
	}{
		{"empty is the beginning", "  ", time.Time{}, false},
		{"days", "7d", now.Add(-7 * 24 * time.Hour), false},
		{"duration", "90m", now.Add(-90 * time.Minute), false},
		{"date is UTC midnight", "2026-01-31", time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), false},
		{"rfc3339", "2026-01-31T08:00:00+08:00", time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), false},
		{"negative days", "-1d", time.Time{}, true},
		{"negative duration", "-2h", time.Time{}, true},
		{"garbage", "last week", time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSince(tt.in, now)
			if (err != nil) != tt.bad {
				t.Fatalf("err = %v, want failure %v", err, tt.bad)
			}
			if !tt.bad && !got.Equal(tt.want) {
				t.Errorf("ParseSince(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
