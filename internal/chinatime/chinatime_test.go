package chinatime

import (
	"testing"
	"time"
)

func TestStartOfDay(t *testing.T) {
	cases := []struct {
		name string
		in   time.Time
		want string
	}{
		{"UTC evening is the next China day", time.Date(2026, 12, 5, 17, 30, 0, 0, time.UTC), "2026-12-06T00:00:00+08:00"},
		{"UTC morning is the same China day", time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC), "2026-12-05T00:00:00+08:00"},
		{"midnight CST stays", time.Date(2026, 12, 5, 0, 0, 0, 0, Location), "2026-12-05T00:00:00+08:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := StartOfDay(tc.in).Format(time.RFC3339); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}
