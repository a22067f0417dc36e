//go:build !linux

package loadgen

import "os/exec"

// detach: only Linux can tie the child's life to ours; elsewhere Close
// stops it.
func detach(*exec.Cmd) {}
