//go:build !windows

package winsvc

import "context"

// Install is Windows-only.
func Install(string, []string) error { return ErrNotWindows }

// Uninstall is Windows-only.
func Uninstall() error { return ErrNotWindows }

// Start is Windows-only.
func Start() error { return ErrNotWindows }

// Stop is Windows-only.
func Stop() error { return ErrNotWindows }

// IsService is false off Windows.
func IsService() bool { return false }

// Run is Windows-only.
func Run(func(ctx context.Context) error) error { return ErrNotWindows }
