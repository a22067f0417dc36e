package timing

import (
	"strings"
	"testing"
	"time"
)

func TestNormalise(t *testing.T) {
	d := Defaults{Rate: 1000, Timeout: time.Second, MinTimeout: 100 * time.Millisecond}
	tests := []struct {
		name    string
		in      Options
		d       Defaults
		want    Options
		wantErr string
	}{
		{"zero gets defaults", Options{}, d, Options{Rate: 1000, Timeout: time.Second, MinTimeout: 100 * time.Millisecond}, ""},
		{"adaptive keeps rate 0", Options{MaxRate: 500}, d, Options{MaxRate: 500, Timeout: time.Second, MinTimeout: 100 * time.Millisecond}, ""},
		{"explicit values kept", Options{Rate: 7, Timeout: 3 * time.Second, MinTimeout: time.Second, Retries: 2}, d,
			Options{Rate: 7, Timeout: 3 * time.Second, MinTimeout: time.Second, Retries: 2}, ""},
		{"floor clamped to timeout", Options{Timeout: 50 * time.Millisecond}, d,
			Options{Rate: 1000, Timeout: 50 * time.Millisecond, MinTimeout: 50 * time.Millisecond}, ""},
		{"no adaptive wait stays 0", Options{}, Defaults{Rate: 5, Timeout: time.Second}, Options{Rate: 5, Timeout: time.Second}, ""},
		{"negative rate", Options{Rate: -1}, d, Options{}, "invalid rate -1"},
		{"negative retries", Options{Retries: -1}, d, Options{}, "invalid retries -1"},
		{"too many retries", Options{Retries: 101}, d, Options{}, "invalid retries 101"},
		{"negative timeout", Options{Timeout: -1}, d, Options{}, "invalid timeout"},
		{"negative floor", Options{MinTimeout: -1}, d, Options{}, "invalid timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Normalise(tc.in, tc.d)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
