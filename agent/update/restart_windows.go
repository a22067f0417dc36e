//go:build windows

package update

import "os"

// ExitRestart is the exit code that asks the service manager's recovery
// actions (set by `service install`) to start the agent again.
const ExitRestart = 3

// Restart exits so the service manager starts the new binary: a running
// Windows executable cannot replace its own process image.
func Restart(string) error {
	os.Exit(ExitRestart)
	return nil
}
