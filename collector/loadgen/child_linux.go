package loadgen

import (
	"os/exec"
	"syscall"
)

// detach makes the collector loadgen starts die with it: a load run killed
// outright must not leave a server behind.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
