package snmp

import (
	"net"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/egovnet/egovnet/internal/wire"
)

const hrSWInstalledName = 2

// decodeSoftware: one Software per hrSWInstalledTable row, source "snmp",
// seen on the walked device, with the hrSWInstalledName text kept in Raw.
// A row without a name keeps its index as name so the count stays one per
// row. Name and version are cut to the wire limit (MaxShortString) and a Raw
// longer than it is left out: one odd row must not get the whole report
// refused by the collector.
func decodeSoftware(inv *wire.DeviceInventory, got map[string]*table) {
	t := got[tHrSWInstalledTable]
	if t.empty() {
		return
	}
	host, _, err := net.SplitHostPort(inv.Target)
	if err != nil {
		host = inv.Target
	}
	for _, idx := range t.order {
		raw := ""
		if v, ok := t.col(idx, hrSWInstalledName); ok {
			raw = textValue(v)
		}
		name, version := SplitSoftwareName(raw)
		if name == "" {
			name = "hrSWInstalledIndex " + idx
		}
		if len(raw) > wire.MaxShortString {
			raw = ""
		}
		inv.Software = append(inv.Software, wire.Software{Name: clipText(name, wire.MaxShortString),
			Version: clipText(version, wire.MaxShortString), Source: wire.MethodSNMP, Host: host, Raw: raw})
	}
}

// clipText cuts s to at most max bytes on a character boundary.
func clipText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

var (
	// "JUNOS Base OS Software Suite [18.2R1.9]", "Foo (1.2.3)"
	reBracketVersion = regexp.MustCompile(`^(.*?\S)\s*[\[(]v?(\d[\w.\-+:~]*)[\])]$`)
	// dpkg as net-snmp reports it: name_version_arch
	reDpkg = regexp.MustCompile(`^([a-z0-9][a-z0-9+.\-]*)_([0-9][^_\s]*)_([a-z0-9\-]+)$`)
	// rpm: name-version-release[.arch]
	reRPM = regexp.MustCompile(`^(.+?)-([0-9][^-\s]*-[^-\s]+?)(?:\.(x86_64|noarch|i[3-6]86|aarch64|armv7hl|ppc64le|s390x))?$`)
	// Windows uninstall display names: "7-Zip 9.20", "Mozilla Firefox 3.6.3 (x86 en-US)"
	reTrailingVersion = regexp.MustCompile(`^(.*?\S)\s+v?(\d+(?:\.\d+)+[a-z]?)(\s+\([^)]*\))?$`)
)

// SplitSoftwareName splits an hrSWInstalledName into product name and
// version where the format says so unambiguously (dpkg name_version_arch,
// rpm name-version-release.arch, "Name [version]", "Name 1.2.3"); otherwise
// the name is returned whole with an empty version. Names such as
// "Windows Internet Explorer 8" or "Update for Windows XP (KB2492386)" stay
// whole: a lone number is part of the product name.
func SplitSoftwareName(raw string) (name, version string) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", ""
	}
	if m := reDpkg.FindStringSubmatch(s); m != nil {
		return m[1], m[2]
	}
	if !strings.Contains(s, " ") {
		if m := reRPM.FindStringSubmatch(s); m != nil {
			return m[1], m[2]
		}
	}
	if m := reBracketVersion.FindStringSubmatch(s); m != nil && !strings.HasPrefix(strings.ToUpper(m[2]), "KB") {
		return m[1], m[2]
	}
	if m := reTrailingVersion.FindStringSubmatch(s); m != nil {
		return m[1], m[2]
	}
	return s, ""
}
