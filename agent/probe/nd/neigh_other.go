//go:build !linux

package nd

import (
	"fmt"
	"net/netip"
	"runtime"
)

func neighbours() (map[netip.Addr]string, error) {
	return nil, fmt.Errorf("the neighbour table is not read on %s", runtime.GOOS)
}
