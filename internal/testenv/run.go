package testenv

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// ExitCode runs cmd to completion and returns its exit status (0 on
// success, -1 when a signal ended it). A command that cannot be started
// fails t. The caller wires cmd's stdin, stdout, stderr and environment.
func ExitCode(t testing.TB, cmd *exec.Cmd) int {
	t.Helper()
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("run %s: %v", strings.Join(cmd.Args, " "), err)
	}
	return 0
}

// Run runs cmd to completion (see ExitCode) and returns what it wrote to
// stdout and stderr, kept apart, with its exit status: how tests drive the
// real binaries and check the CONTRACT's exit codes.
func Run(t testing.TB, cmd *exec.Cmd) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	code = ExitCode(t, cmd)
	return out.String(), errb.String(), code
}
