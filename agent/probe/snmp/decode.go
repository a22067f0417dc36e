package snmp

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gosnmp/gosnmp"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// textValue decodes a DisplayString-like value (sysName, sysDescr, ifAlias,
// LLDP/CDP names, software names). Text is returned as the device sent it
// (CR/LF, leading quotes and all) up to its first NUL; bytes that are not
// UTF-8 are read as GB 2312/GBK when they look like Chinese (Chinese Windows
// hosts report software names that way), else as Windows-1252; binary values
// with control bytes become colon hex.
func textValue(v gosnmp.SnmpPDU) string {
	switch x := v.Value.(type) {
	case []byte:
		return displayText(x)
	case string:
		return displayText([]byte(x))
	case nil:
		return ""
	default:
		return fmt.Sprint(x)
	}
}

// displayText cuts a display string at its first NUL before deciding text
// or binary: C agents copy fixed-size buffers, so a name arrives as
// "sw35.soada" + NULs + whatever the buffer held (the Eltex MES2324B's LLDP
// remote names), which as a whole is not text. A value that starts with NUL
// carries nothing before it and is decoded whole (binary, shown as hex).
func displayText(b []byte) string {
	if i := bytes.IndexByte(b, 0); i > 0 {
		b = b[:i]
	}
	return decodeText(b)
}

func decodeText(b []byte) string {
	// A trailing NUL is a common C-string artefact.
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	if len(b) == 0 {
		return ""
	}
	if utf8.Valid(b) {
		s := string(b)
		if printable(s) {
			return s
		}
		return hexString(b)
	}
	if looksGB(b) {
		if s, err := simplifiedchinese.GBK.NewDecoder().Bytes(b); err == nil && utf8.Valid(s) && printable(string(s)) {
			return string(s)
		}
	}
	if s, err := charmap.Windows1252.NewDecoder().Bytes(b); err == nil && printable(string(s)) {
		return string(s)
	}
	return hexString(b)
}

func printable(s string) bool {
	for _, r := range s {
		if r == '\r' || r == '\n' || r == '\t' {
			continue
		}
		if r == utf8.RuneError || (r < 0x20) || r == 0x7f || (!unicode.IsPrint(r) && !unicode.IsSpace(r)) {
			return false
		}
	}
	return true
}

// looksGB: every byte >= 0x80 pairs with the next one inside the GB 2312
// rows (both bytes 0xA1-0xFE), which Windows-1252 text practically never does.
func looksGB(b []byte) bool {
	high := 0
	for i := 0; i < len(b); i++ {
		if b[i] < 0x80 {
			continue
		}
		if i+1 >= len(b) || b[i] < 0xA1 || b[i] > 0xF7 || b[i+1] < 0xA1 || b[i+1] > 0xFE {
			return false
		}
		high++
		i++
	}
	return high > 0
}

// hexString is lower-case colon hex ("00:1a:2b"), the MAC format.
func hexString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	var sb strings.Builder
	sb.Grow(len(b) * 3)
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteString(hex.EncodeToString([]byte{c}))
	}
	return sb.String()
}

func bytesValue(v gosnmp.SnmpPDU) []byte {
	switch x := v.Value.(type) {
	case []byte:
		return x
	case string:
		return []byte(x)
	}
	return nil
}

// macValue formats a PhysAddress. Some agents send the MAC as text
// ("00:1a:2b:..." or "001a.2b3c.4d5e"); that is normalised too.
func macValue(v gosnmp.SnmpPDU) string {
	b := bytesValue(v)
	if len(b) == 0 {
		return ""
	}
	if len(b) >= 11 && utf8.Valid(b) {
		if m := parseTextMAC(string(b)); m != "" {
			return m
		}
	}
	return hexString(b)
}

func parseTextMAC(s string) string {
	s = strings.TrimSpace(s)
	// net-snmp's text form drops leading zeros: "0:1b:c:fb:28:18"
	// (LibreNMS's comware recording serves its ARP MACs that way).
	for _, sep := range []string{":", "-"} {
		parts := strings.Split(s, sep)
		if len(parts) != 6 {
			continue
		}
		b := make([]byte, 6)
		ok := true
		for i, p := range parts {
			n, err := strconv.ParseUint(p, 16, 8)
			if err != nil || len(p) == 0 || len(p) > 2 {
				ok = false
				break
			}
			b[i] = byte(n)
		}
		if ok {
			return hexString(b)
		}
	}
	var digits strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'f', r >= 'A' && r <= 'F':
			digits.WriteRune(unicode.ToLower(r))
		case r == ':' || r == '-' || r == '.' || r == ' ':
		default:
			return ""
		}
	}
	d := digits.String()
	if len(d) != 12 {
		return ""
	}
	b, err := hex.DecodeString(d)
	if err != nil {
		return ""
	}
	return hexString(b)
}

func oidValue(v gosnmp.SnmpPDU) string {
	if s, ok := v.Value.(string); ok {
		return strings.TrimPrefix(s, ".")
	}
	return ""
}

func intValue(v gosnmp.SnmpPDU) (int, bool) {
	switch v.Type {
	case gosnmp.Integer, gosnmp.Counter32, gosnmp.Gauge32, gosnmp.TimeTicks, gosnmp.Counter64, gosnmp.Uinteger32:
		b := gosnmp.ToBigInt(v.Value)
		if b == nil || !b.IsInt64() {
			return 0, false
		}
		return int(b.Int64()), true
	}
	return 0, false
}

func uintValue(v gosnmp.SnmpPDU) (uint64, bool) {
	switch v.Type {
	case gosnmp.Integer, gosnmp.Counter32, gosnmp.Gauge32, gosnmp.TimeTicks, gosnmp.Counter64, gosnmp.Uinteger32:
		b := gosnmp.ToBigInt(v.Value)
		if b == nil || b.Sign() < 0 || !b.IsUint64() {
			return 0, false
		}
		return b.Uint64(), true
	}
	return 0, false
}

// ipValue reads an IpAddress or a 4/16-byte OCTET STRING.
func ipValue(v gosnmp.SnmpPDU) string {
	switch x := v.Value.(type) {
	case string:
		if a, err := netip.ParseAddr(x); err == nil {
			return a.String()
		}
		if len(x) == 4 || len(x) == 16 {
			return addrFromBytes([]byte(x))
		}
	case []byte:
		return addrFromBytes(x)
	}
	return ""
}

func addrFromBytes(b []byte) string {
	switch len(b) {
	case 4:
		return netip.AddrFrom4([4]byte(b)).String()
	case 16:
		return netip.AddrFrom16([16]byte(b)).String()
	}
	return ""
}

// Index parsing. An index is the OID tail after table.1.column.

func parseArcs(s string) ([]uint32, bool) {
	s = strings.TrimPrefix(s, ".")
	if s == "" {
		return nil, true
	}
	parts := strings.Split(s, ".")
	out := make([]uint32, len(parts))
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, false
		}
		out[i] = uint32(n)
	}
	return out, true
}

func arcsBytes(a []uint32) ([]byte, bool) {
	b := make([]byte, len(a))
	for i, x := range a {
		if x > 255 {
			return nil, false
		}
		b[i] = byte(x)
	}
	return b, true
}

// ipv4Index reads four arcs as an IPv4 address.
func ipv4Index(a []uint32) (string, []uint32, bool) {
	if len(a) < 4 {
		return "", nil, false
	}
	b, ok := arcsBytes(a[:4])
	if !ok {
		return "", nil, false
	}
	return netip.AddrFrom4([4]byte(b)).String(), a[4:], true
}

// InetAddressType values (INET-ADDRESS-MIB).
const (
	inetUnknown = 0
	inetIPv4    = 1
	inetIPv6    = 2
	inetIPv4z   = 3
	inetIPv6z   = 4
	inetDNS     = 16
)

// inetIndex reads an InetAddressType + InetAddress pair from an index:
// type.len.octets. Some agents leave out the length (as if IMPLIED); that is
// accepted when the arcs left are exactly an address of the type. Zoned
// addresses keep their zone as %N.
func inetIndex(a []uint32) (addr string, family int, rest []uint32, ok bool) {
	if len(a) < 1 {
		return "", 0, nil, false
	}
	t := int(a[0])
	a = a[1:]
	want := map[int]int{inetIPv4: 4, inetIPv6: 16, inetIPv4z: 8, inetIPv6z: 20}[t]
	var raw []uint32
	switch {
	case len(a) >= 1 && int(a[0]) <= len(a)-1 && (want == 0 || int(a[0]) == want):
		n := int(a[0])
		raw, rest = a[1:1+n], a[1+n:]
	case want > 0 && len(a) >= want && (len(a) == want || int(a[0]) != want):
		raw, rest = a[:want], a[want:]
	case (t == inetIPv4z || t == inetIPv6z) && len(a) == want-3:
		// Seen on ZTE: a zoned address with neither length nor a 4-octet
		// zone, the zone index as one arc (fe80::...%1 as 16 arcs + "1").
		b, okb := arcsBytes(a[:want-4])
		if !okb {
			return "", 0, nil, false
		}
		s, fam := formatInet(t-2, b)
		if s == "" {
			return "", 0, nil, false
		}
		return s + "%" + strconv.FormatUint(uint64(a[want-4]), 10), fam, nil, true
	default:
		return "", 0, nil, false
	}
	b, okb := arcsBytes(raw)
	if !okb {
		return "", 0, nil, false
	}
	s, fam := formatInet(t, b)
	if s == "" && len(b) > 0 {
		return "", 0, nil, false
	}
	return s, fam, rest, true
}

// formatInet formats InetAddress octets of the given type.
func formatInet(t int, b []byte) (string, int) {
	switch t {
	case inetIPv4:
		if len(b) == 4 {
			return netip.AddrFrom4([4]byte(b)).String(), 4
		}
	case inetIPv6:
		if len(b) == 16 {
			return netip.AddrFrom16([16]byte(b)).String(), 6
		}
	case inetIPv4z:
		if len(b) == 8 {
			zone := uint32(b[4])<<24 | uint32(b[5])<<16 | uint32(b[6])<<8 | uint32(b[7])
			return netip.AddrFrom4([4]byte(b[:4])).String() + "%" + strconv.FormatUint(uint64(zone), 10), 4
		}
	case inetIPv6z:
		if len(b) == 20 {
			zone := uint32(b[16])<<24 | uint32(b[17])<<16 | uint32(b[18])<<8 | uint32(b[19])
			return netip.AddrFrom16([16]byte(b[:16])).String() + "%" + strconv.FormatUint(uint64(zone), 10), 6
		}
	case inetDNS:
		return string(b), 0
	case inetUnknown:
		if len(b) == 0 {
			return "", 0
		}
		if s := addrFromBytes(b); s != "" {
			if len(b) == 4 {
				return s, 4
			}
			return s, 6
		}
	}
	return "", 0
}

// prefixFromMask turns a dotted netmask into a prefix length (-1 if not contiguous).
func prefixFromMask(mask string) int {
	a, err := netip.ParseAddr(mask)
	if err != nil || !a.Is4() {
		return -1
	}
	b := a.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n := 0
	for v&0x80000000 != 0 {
		n++
		v <<= 1
	}
	if v != 0 {
		return -1
	}
	return n
}

// cidr writes addr/len, masking host bits off (a route destination); a
// zone is dropped (see unzone).
func cidr(addr string, plen int) string {
	a, err := netip.ParseAddr(unzone(addr))
	if err != nil {
		return addr
	}
	if plen < 0 || plen > a.BitLen() {
		plen = a.BitLen()
	}
	p, err := a.Prefix(plen)
	if err != nil {
		return addr
	}
	return p.String()
}

// unzone drops an address's %zone for the wire, which refuses zoned
// addresses (wire.validate): the zone of a link-local address is the
// interface, which every row carries as its ifIndex anyway.
func unzone(addr string) string {
	if i := strings.IndexByte(addr, '%'); i >= 0 {
		return addr[:i]
	}
	return addr
}

// zoneIndex is the numeric zone of addr (0 when none).
func zoneIndex(addr string) int {
	if i := strings.IndexByte(addr, '%'); i >= 0 {
		if n, err := strconv.Atoi(addr[i+1:]); err == nil && n > 0 {
			return n
		}
	}
	return 0
}
