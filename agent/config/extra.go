package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// DefaultMaxRate caps the adaptive sweep: 2,000 packets per second of 42-98
// byte probes is under 2 Mbit/s, about 0.2% of a department's gigabit access
// LAN and far below what an access switch forwards or a host's ICMP rate
// limit (Linux answers 1,000 echo/s per source by default, and the sweep
// spreads over many destinations). nmap -T4 sends in bursts of the same
// order; masscan's default is 100 pps, which is too slow for a /20 sweep.
const DefaultMaxRate = 2000

// DNSServer parses host[:port] (port 53 when absent).
func DNSServer(s string) (netip.AddrPort, error) {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap, nil
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return netip.AddrPortFrom(a, 53), nil
	}
	return netip.AddrPort{}, fmt.Errorf("%q: want an IP address with an optional :port", s)
}

// Warnings are settings that work but deserve an administrator's look; the
// caller logs them (config has no logger).
func (c *Config) Warnings() []string {
	var out []string
	if u, err := url.Parse(c.Collector.URL); err == nil && u.Scheme == "http" && u.Host != "" {
		host := u.Hostname()
		ip := net.ParseIP(host)
		if !(host == "localhost" || (ip != nil && ip.IsLoopback())) {
			out = append(out, fmt.Sprintf("collector.url %s is plain http to a non-loopback host: reports and the credential travel unencrypted; use https", c.Collector.URL))
		}
	}
	return out
}

// Pacing returns the fixed rate (probe.rate, 0 when adaptive) and the cap
// of the adaptive rate (probe.max_rate).
func (p Probe) Pacing() (rate, maxRate int) { return p.Rate, p.MaxRate }

// ParsePorts accepts "22,80,8000-8010" (the --ports flag).
func ParsePorts(s string) ([]int, error) {
	var out []int
	var errs []error
	seen := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err1 := strconv.Atoi(strings.TrimSpace(lo))
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(strings.TrimSpace(hi))
		}
		if err1 != nil || err2 != nil || a < 1 || b > 65535 || a > b {
			errs = append(errs, fmt.Errorf("%q is not a port or port range in 1..65535", part))
			continue
		}
		for p := a; p <= b; p++ {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	if len(out) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("no ports given"))
	}
	return out, errors.Join(errs...)
}
