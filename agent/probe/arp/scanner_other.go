//go:build !linux

package arp

import (
	"context"
	"fmt"
	"runtime"
)

// ARP scanning needs an AF_PACKET socket (Linux); elsewhere Scan fails with
// that reason and the scan records it in stats.errors.
type scanner struct {
	entries []Entry
	err     error
}

func newScanner(*job, Options) (*scanner, error) {
	return nil, fmt.Errorf("arp scanning is not available on %s", runtime.GOOS)
}

func (s *scanner) close()              {}
func (s *scanner) run(context.Context) {}

// Usable: never without AF_PACKET.
func Usable() bool { return false }
