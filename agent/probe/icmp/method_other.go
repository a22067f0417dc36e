//go:build !linux

package icmp

import (
	"fmt"
	"runtime"
)

// Elsewhere the sweep reports that it is unavailable, in stats.errors.
const available = false

var errUnavailable = fmt.Errorf("icmp probing is not available on %s", runtime.GOOS)
