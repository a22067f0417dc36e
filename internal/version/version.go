// Package version carries the build's version and commit, set by the linker
// (see Makefile), so agents report what they run and collectors can tell.
package version

import "runtime"

// Set at link time.
var (
	Version = "dev"
	Commit  = "unknown"
)

// GoVersion is the toolchain the binary was built with.
func GoVersion() string { return runtime.Version() }
