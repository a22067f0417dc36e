package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"version", []string{"version"}, exitOK, ""},
		{"unknown command", []string{"bogus"}, exitUsage, "unknown command"},
		{"unknown flag", []string{"serve", "--nope"}, exitUsage, "unknown flag"},
		{"stray argument", []string{"serve", "extra"}, exitUsage, "unexpected arguments"},
		{"missing config file", []string{"serve", "--config", filepath.Join(dir, "absent.yaml")}, exitUsage, "read config"},
		{"token without department", []string{"token", "create"}, exitUsage, "--department is required"},
		{"import without report", []string{"import"}, exitUsage, "--report is required"},
		{"bad format", []string{"auditlog", "list", "--format", "xml"}, exitUsage, "--format"},
		{"bad since", []string{"auditlog", "list", "--since", "yesterday"}, exitUsage, "--since"},
		{"user add bad role", []string{"user", "add", "--name", "x", "--role", "root"}, exitUsage, "role"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(tc.args, strings.NewReader(""), &out, &errb)
			if code != tc.code || !strings.Contains(errb.String(), tc.err) {
				t.Fatalf("exit %d, stderr %q; want %d with %q", code, errb.String(), tc.code, tc.err)
			}
		})
	}
}

func TestServeWithoutPlanIsBadConfig(t *testing.T) {
	t.Setenv("EGOVNET_DATA_DIR", t.TempDir())
	var out, errb bytes.Buffer
	if code := run([]string{"serve"}, strings.NewReader(""), &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "plan_file: required") {
		t.Fatalf("exit %d %q", code, errb.String())
	}
}

func TestReadPasswordTwice(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"Zq7!mcWx\nZq7!mcWx\n", "Zq7!mcWx", ""},
		{"Zq7!mcWx\r\nZq7!mcWx", "Zq7!mcWx", ""},
		{"a\nb\n", "", "differ"},
		{"only-once\n", "", "twice"},
		{"", "", "read password"},
	}
	for _, tc := range tests {
		got, err := readPasswordTwice(strings.NewReader(tc.in), &bytes.Buffer{})
		if got != tc.want || (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%q: %q, %v; want %q, %q", tc.in, got, err, tc.want, tc.err)
		}
	}
}
