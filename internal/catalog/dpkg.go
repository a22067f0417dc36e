package catalog

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// ParseDpkgStatus reads a dpkg status database (/var/lib/dpkg/status) and
// returns the installed packages ("Status: install ok installed") as
// inputs with source "dpkg". Maintainer is not a vendor and is left out.
func ParseDpkgStatus(r io.Reader) ([]Input, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var out []Input
	var name, ver, status string
	flush := func() {
		if name != "" && strings.HasSuffix(status, " installed") {
			out = append(out, Input{Name: name, Version: ver, Source: "dpkg"})
		}
		name, ver, status = "", "", ""
	}
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			flush()
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "Package":
			name = v
		case "Version":
			ver = v
		case "Status":
			status = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read dpkg status: %w", err)
	}
	flush()
	return out, nil
}
