//go:build !linux && !windows

package endpoint

import "context"

// Paths is unused here.
type Paths struct{}

// DefaultPaths are the real system's.
var DefaultPaths = Paths{}

// Collect knows nothing on this platform.
func Collect(context.Context, Paths) Facts { return Facts{} }
