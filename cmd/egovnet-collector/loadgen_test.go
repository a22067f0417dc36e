package main

import (
	"bytes"
	"strings"
	"testing"
)

// Bad loadgen usage is refused before any collector is started or loaded.
func TestLoadgenUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		err  string
	}{
		{"unknown scenario", []string{"loadgen", "--scenario", "soak"}, "scenario"},
		{"fewer agents than uploads in flight", []string{"loadgen", "--agents", "4", "--concurrency", "32"}, "agents"},
		{"config without url", []string{"loadgen", "--config", "collector.yaml"}, "--url"},
		{"remote collector", []string{"loadgen", "--url", "http://192.0.2.10:8080", "--config", "collector.yaml"}, "loopback"},
		{"not a URL", []string{"loadgen", "--url", "127.0.0.1:8080", "--config", "collector.yaml"}, "loopback"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(tc.args, strings.NewReader(""), &out, &errb)
			if code != exitUsage || !strings.Contains(errb.String(), tc.err) {
				t.Fatalf("exit %d, stderr %q; want %d with %q", code, errb.String(), exitUsage, tc.err)
			}
		})
	}
}
