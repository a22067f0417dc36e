// Package oui names the maker of a network card from its MAC address with
// the IEEE registry (MA-L, MA-M, MA-S and IAB assignments) shipped inside
// the binary: an agent on an isolated government network can never fetch
// it, and must not try.
package oui

//go:generate go run ./internal/gen -dir /usr/share/ieee-data -out oui.tsv.gz

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"net"
	"strings"
	"sync"
)

//go:embed oui.tsv.gz
var table []byte

var (
	once     sync.Once
	prefixes map[string]string
)

func load() {
	prefixes = make(map[string]string, 50000)
	zr, err := gzip.NewReader(bytes.NewReader(table))
	if err != nil {
		return
	}
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "\t")
		if ok {
			prefixes[k] = v
		}
	}
}

// Vendor returns the registered organisation for mac, or "" when the MAC is
// unknown, locally administered (randomised) or malformed. The longest
// assignment wins (36-bit MA-S/IAB, then 28-bit MA-M, then 24-bit MA-L).
func Vendor(mac string) string {
	hw, err := net.ParseMAC(strings.TrimSpace(mac))
	if err != nil || len(hw) < 3 {
		return ""
	}
	if hw[0]&0x02 != 0 { // locally administered: no vendor
		return ""
	}
	once.Do(load)
	hex := strings.ToUpper(strings.ReplaceAll(hw.String(), ":", ""))
	for _, n := range []int{9, 7, 6} {
		if len(hex) >= n {
			if v, ok := prefixes[hex[:n]]; ok {
				return v
			}
		}
	}
	return ""
}

// Len is the number of prefixes shipped (for tests and `version`).
func Len() int {
	once.Do(load)
	return len(prefixes)
}
