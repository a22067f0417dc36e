package config

import (
	"fmt"
	"testing"
)

func TestParsePorts(t *testing.T) {
	tests := []struct {
		in, want string
		bad      bool
	}{
		{"22,80,443", "[22 80 443]", false},
		{"8000-8003, 22", "[8000 8001 8002 8003 22]", false},
		{"22,22,20-23", "[22 20 21 23]", false},
		{"0", "", true},
		{"70000", "", true},
		{"30-20", "", true},
		{"http", "", true},
		{"", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParsePorts(tc.in)
			if (err != nil) != tc.bad || (!tc.bad && fmt.Sprint(got) != tc.want) {
				t.Fatalf("ParsePorts(%q) = %v, %v", tc.in, got, err)
			}
		})
	}
}
