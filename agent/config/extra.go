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

// DefaultMaxRate caps the adaptive sweep: 5,000 packets per second of 42-98
// byte probes is about 3 Mbit/s, 3% of a 100 Mbit/s department access LAN
// and 0.3% of a gigabit one, and the sweep spreads it over thousands of
// destinations, so no host sees more than a few packets. It matches what
// nmap -T4 sends in its bursts on a LAN. Measured (deploy/bench/sweep.sh):
// a 2,000 cap left the routed /20 at 0.29x nmap -T4 and the on-link /20 at
// 0.53x nmap -sn, short of the goals (0.25x, 0.5x); the adaptive pacer
// still halves the rate whenever replies need retries.
const DefaultMaxRate = 5000

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
