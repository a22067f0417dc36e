//go:build !windows

package update

import (
	"fmt"
	"os"
	"syscall"
)

// Restart replaces the running process with the binary now at exe, same
// arguments and environment (after an update or a rollback).
func Restart(exe string) error {
	if err := syscall.Exec(exe, os.Args, os.Environ()); err != nil {
		return fmt.Errorf("restart into %s: %w", exe, err)
	}
	return nil
}
