package hostinfo

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/egovnet/egovnet/internal/wire"
)

// Routes reads the main routing table from procfs (Linux). Other systems
// report an error naming the gap rather than an empty table that looks real.
func Routes(route4, route6 string) ([]wire.HostRoute, error) {
	if runtime.GOOS != "linux" {
		return nil, fmt.Errorf("routes on %s: not implemented", runtime.GOOS)
	}
	var out []wire.HostRoute
	var errs []error
	f4, err := os.Open(route4)
	if err != nil {
		errs = append(errs, fmt.Errorf("open %s: %w", route4, err))
	} else {
		r, err := ParseProcRoute(f4)
		f4.Close()
		if err != nil {
			errs = append(errs, err)
		}
		out = append(out, r...)
	}
	if f6, err := os.Open(route6); err == nil { // absent when IPv6 is disabled
		r, err := ParseProcIPv6Route(f6)
		f6.Close()
		if err != nil {
			errs = append(errs, err)
		}
		out = append(out, r...)
	}
	return out, errors.Join(errs...)
}

// ParseProcRoute parses /proc/net/route (addresses are little-endian hex).
func ParseProcRoute(r io.Reader) ([]wire.HostRoute, error) {
	sc := bufio.NewScanner(r)
	var out []wire.HostRoute
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if line == 1 || len(f) == 0 {
			continue
		}
		if len(f) < 8 {
			return out, fmt.Errorf("parse /proc/net/route line %d: %d fields", line, len(f))
		}
		flags, err1 := strconv.ParseUint(f[3], 16, 32)
		dst, err2 := le32(f[1])
		gw, err3 := le32(f[2])
		mask, err4 := le32(f[7])
		metric, err5 := strconv.Atoi(f[6])
		if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
			return out, fmt.Errorf("parse /proc/net/route line %d: %w", line, err)
		}
		if flags&0x1 == 0 { // RTF_UP
			continue
		}
		bits := 0
		for m := binary.BigEndian.Uint32(mask.AsSlice()); m&0x80000000 != 0; m <<= 1 {
			bits++
		}
		hr := wire.HostRoute{Destination: netip.PrefixFrom(dst, bits).Masked().String(), Interface: f[0], Metric: metric}
		if flags&0x2 != 0 && !gw.IsUnspecified() { // RTF_GATEWAY
			hr.Gateway = gw.String()
		}
		out = append(out, hr)
	}
	return out, sc.Err()
}

func le32(h string) (netip.Addr, error) {
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return netip.Addr{}, err
	}
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(v))
	return netip.AddrFrom4(b), nil
}

// ParseProcIPv6Route parses /proc/net/ipv6_route, skipping the kernel's
// local/multicast housekeeping entries (RTF_LOCAL... on lo, ff00::/8).
func ParseProcIPv6Route(r io.Reader) ([]wire.HostRoute, error) {
	sc := bufio.NewScanner(r)
	var out []wire.HostRoute
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) < 10 {
			return out, fmt.Errorf("parse /proc/net/ipv6_route line %d: %d fields", line, len(f))
		}
		dst, err1 := hex16(f[0])
		bits, err2 := strconv.ParseUint(f[1], 16, 8)
		gw, err3 := hex16(f[4])
		metric, err4 := strconv.ParseUint(f[5], 16, 32)
		flags, err5 := strconv.ParseUint(f[8], 16, 32)
		if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
			return out, fmt.Errorf("parse /proc/net/ipv6_route line %d: %w", line, err)
		}
		const rtfUp, rtfGateway, rtfReject = 0x1, 0x2, 0x200
		if flags&rtfUp == 0 || flags&rtfReject != 0 || f[9] == "lo" || dst.IsMulticast() {
			continue
		}
		hr := wire.HostRoute{Destination: netip.PrefixFrom(dst, int(bits)).String(), Interface: f[9], Metric: int(metric)}
		if flags&rtfGateway != 0 && !gw.IsUnspecified() {
			hr.Gateway = gw.String()
		}
		out = append(out, hr)
	}
	return out, sc.Err()
}

func hex16(h string) (netip.Addr, error) {
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 16 {
		return netip.Addr{}, fmt.Errorf("bad IPv6 hex %q", h)
	}
	return netip.AddrFrom16([16]byte(b)), nil
}
