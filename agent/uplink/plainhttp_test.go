package uplink

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestPlainHTTPWarning is issue #10 item 6: a collector URL over plain
// HTTP to another host is logged as a warning; loopback and HTTPS are not.
func TestPlainHTTPWarning(t *testing.T) {
	tests := []struct {
		url  string
		warn bool
	}{
		{"http://10.0.0.5:8080", true},
		{"http://collector.example.gov.cn", true},
		{"http://127.0.0.1:8080", false},
		{"http://localhost:8080", false},
		{"http://[::1]:8080", false},
		{"https://10.0.0.5:8443", false},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			var buf bytes.Buffer
			if _, err := New(tc.url, Options{Logger: slog.New(slog.NewTextHandler(&buf, nil))}); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(buf.String(), "level=WARN") && strings.Contains(buf.String(), "unencrypted"); got != tc.warn {
				t.Fatalf("warned = %v, want %v (log %q)", got, tc.warn, buf.String())
			}
		})
	}
}
