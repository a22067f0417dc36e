package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStdoutToStderrDivertsStrayPrints: while the guard is on, a library's
// fmt.Printf (as gosnmp's v3 recover does) lands in the diverted file, the
// writer taken before the guard still reaches the real stdout, and restore
// puts os.Stdout back.
func TestStdoutToStderrDivertsStrayPrints(t *testing.T) {
	dir := t.TempDir()
	open := func(name string) *os.File {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	fakeStdout, fakeStderr := open("stdout"), open("stderr")
	saved := os.Stdout
	os.Stdout = fakeStdout
	defer func() { os.Stdout = saved }()

	out := os.Stdout // what cmd.OutOrStdout() returns before the guard
	restore := stdoutToStderr(fakeStderr)
	fmt.Printf("[v3::authenticate]recover: boom. Stack=...\n")
	fmt.Fprintln(out, `{"target":"x"}`)
	restore()
	if os.Stdout != fakeStdout {
		t.Fatalf("os.Stdout not restored")
	}

	read := func(f *os.File) string {
		b, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := read(fakeStdout); got != "{\"target\":\"x\"}\n" {
		t.Errorf("stdout = %q, want only the JSON", got)
	}
	if got := read(fakeStderr); !strings.Contains(got, "recover: boom") {
		t.Errorf("stderr = %q, want the stray print", got)
	}
}
