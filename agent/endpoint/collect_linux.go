//go:build linux

package endpoint

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
)

// Paths of the Linux sources (tests point them at captured files).
type Paths struct {
	OSRelease string // /etc/os-release
	DMI       string // /sys/class/dmi/id
	Utmp      string // /run/utmp
}

// DefaultPaths are the real system's.
var DefaultPaths = Paths{OSRelease: "/etc/os-release", DMI: "/sys/class/dmi/id", Utmp: "/run/utmp"}

// Collect reads the endpoint facts. A source that cannot be read costs its
// field only (DMI serials are root-only: run the agent as root or its user
// gets no serial).
func Collect(_ context.Context, p Paths) Facts {
	var f Facts
	if b, err := os.ReadFile(p.OSRelease); err == nil {
		f.OS = ParseOSRelease(b, runtime.GOARCH)
	}
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(p.DMI, name))
		return string(b)
	}
	f.Hardware = DMI(read("sys_vendor"), read("product_name"), read("product_serial"))
	if b, err := os.ReadFile(p.Utmp); err == nil {
		f.User = ParseUtmp(b)
	}
	return f
}
