package fleet

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/egovnet/egovnet/internal/wire"
)

// Redacted stands for a stored v3 password in what the API shows back; a
// PUT that sends it keeps the stored value. Communities show as
// "<secret:N>" (see placeholder); a bare Redacted community is accepted
// only where its position is unambiguous.
const Redacted = "<secret>"

var (
	authProtos = []string{"", "MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"}
	privProtos = []string{"", "DES", "AES", "AES192", "AES256", "AES192C", "AES256C"}
)

// secrets are the sealed part of a department's configuration.
type secrets struct {
	Communities []string          `json:"communities"`
	V3          []wire.SNMPv3User `json:"v3"`
}

func cleanText(s string, max int) bool {
	if len(s) > max || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// validate names every problem of a configuration a person submitted.
func validate(c *wire.AgentConfig) error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if !slices.Contains([]string{"", "network", "endpoint"}, c.Profile) {
		bad("profile", "%q is not network or endpoint", c.Profile)
	}
	if len(c.Scope.Targets) > wire.MaxScope {
		bad("scope.targets", "at most %d prefixes", wire.MaxScope)
	}
	for i, t := range c.Scope.Targets {
		p, err := netip.ParsePrefix(t)
		if err != nil {
			if a, err2 := netip.ParseAddr(t); err2 == nil {
				p = netip.PrefixFrom(a, a.BitLen())
			} else {
				bad(fmt.Sprintf("scope.targets[%d]", i), "%q is not a CIDR or address", t)
				continue
			}
		}
		if p.Addr().Is4() && p.Bits() < 8 || p.Addr().Is6() && p.Bits() < 32 {
			bad(fmt.Sprintf("scope.targets[%d]", i), "%s is wider than a department network (/8 IPv4, /32 IPv6 at most)", p)
		}
	}
	for i, p := range c.Scope.Ports {
		if p < 1 || p > 65535 {
			bad(fmt.Sprintf("scope.ports[%d]", i), "%d is not a TCP port", p)
		}
	}
	for i, t := range c.Paths.Targets {
		if _, err := netip.ParseAddr(t); err != nil {
			bad(fmt.Sprintf("paths.targets[%d]", i), "%q is not an IP address", t)
		}
	}
	if c.Schedule.Interval != "" {
		d, err := time.ParseDuration(c.Schedule.Interval)
		if err != nil || d < time.Minute {
			bad("schedule.interval", "%q: want a duration of at least 1m", c.Schedule.Interval)
		}
	}
	if c.Schedule.Jitter < 0 || c.Schedule.Jitter > 1 {
		bad("schedule.jitter", "%v is not a fraction 0..1", c.Schedule.Jitter)
	}
	for i, cm := range c.SNMP.Communities {
		if cm == "" || !cleanText(cm, wire.MaxShortString) {
			bad(fmt.Sprintf("snmp.communities[%d]", i), "must be 1..%d printable bytes", wire.MaxShortString)
		}
	}
	for i, u := range c.SNMP.V3 {
		key := fmt.Sprintf("snmp.v3[%d]", i)
		if u.User == "" || !cleanText(u.User, wire.MaxShortString) {
			bad(key+".user", "required, printable")
		}
		if !slices.Contains(authProtos, strings.ToUpper(u.AuthProto)) {
			bad(key+".auth_proto", "%q is not one of %s", u.AuthProto, strings.Join(authProtos[1:], ", "))
		}
		if !slices.Contains(privProtos, strings.ToUpper(u.PrivProto)) {
			bad(key+".priv_proto", "%q is not one of %s", u.PrivProto, strings.Join(privProtos[1:], ", "))
		}
		if u.PrivProto != "" && u.AuthProto == "" {
			bad(key+".priv_proto", "privacy needs authentication (set auth_proto)")
		}
		if u.AuthProto != "" && u.AuthPass != Redacted && len(u.AuthPass) < 8 {
			bad(key+".auth_pass", "at least 8 characters (RFC 3414)")
		}
		if u.PrivProto != "" && u.PrivPass != Redacted && len(u.PrivPass) < 8 {
			bad(key+".priv_pass", "at least 8 characters (RFC 3414)")
		}
		if !cleanText(u.Context, wire.MaxShortString) {
			bad(key+".context", "printable, at most %d bytes", wire.MaxShortString)
		}
	}
	return errors.Join(errs...)
}

// placeholder returns the indexed placeholder GET shows for stored
// community n ("<secret:n>"): a PUT names the stored item it keeps by
// index, so removing or reordering rows never shifts which one is kept.
func placeholder(n int) string { return "<secret:" + strconv.Itoa(n) + ">" }

// placeholderIndex parses "<secret:N>"; ok is false for anything else.
func placeholderIndex(s string) (n int, ok bool) {
	rest, found := strings.CutPrefix(s, "<secret:")
	if !found {
		return 0, false
	}
	num, found := strings.CutSuffix(rest, ">")
	if !found || num == "" || len(num) > 6 {
		return 0, false
	}
	for _, r := range num {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(num)
	return n, err == nil
}

// mergeSecrets resolves placeholders against the stored secrets: a
// community by the index it carries ("<secret:N>"), or a bare Redacted
// only where position is unambiguous (same position, same list length as
// stored); a v3 password by user name.
func mergeSecrets(in secrets, old secrets) (secrets, error) {
	var errs []error
	for i, c := range in.Communities {
		key := fmt.Sprintf("snmp.communities[%d]", i)
		if n, ok := placeholderIndex(c); ok {
			if n >= len(old.Communities) {
				errs = append(errs, fmt.Errorf("%s: %s names stored community %d but %d are stored (reload the configuration)", key, c, n, len(old.Communities)))
				continue
			}
			in.Communities[i] = old.Communities[n]
			continue
		}
		if c == Redacted {
			if len(in.Communities) != len(old.Communities) {
				errs = append(errs, fmt.Errorf("%s: %s is ambiguous when the list changes length (%d stored, %d sent): send %s to keep stored community N", key, Redacted, len(old.Communities), len(in.Communities), "<secret:N>"))
				continue
			}
			in.Communities[i] = old.Communities[i]
			continue
		}
		if strings.HasPrefix(c, "<secret") && strings.HasSuffix(c, ">") {
			errs = append(errs, fmt.Errorf("%s: %q is not a placeholder (<secret:N>) nor a community", key, c))
		}
	}
	for i, u := range in.V3 {
		var prev *wire.SNMPv3User
		for j := range old.V3 {
			if old.V3[j].User == u.User {
				prev = &old.V3[j]
			}
		}
		for _, f := range []struct {
			name    string
			v       *string
			fromOld func(*wire.SNMPv3User) string
		}{
			{"auth_pass", &in.V3[i].AuthPass, func(p *wire.SNMPv3User) string { return p.AuthPass }},
			{"priv_pass", &in.V3[i].PrivPass, func(p *wire.SNMPv3User) string { return p.PrivPass }},
		} {
			if *f.v != Redacted {
				continue
			}
			if prev == nil {
				errs = append(errs, fmt.Errorf("snmp.v3[%d].%s: %s but user %q has no stored password", i, f.name, Redacted, u.User))
				continue
			}
			*f.v = f.fromOld(prev)
		}
	}
	return in, errors.Join(errs...)
}

// redact replaces every community with its indexed placeholder and every
// v3 password with Redacted (a v3 password is matched by user name).
func redact(c wire.AgentConfig) wire.AgentConfig {
	cm := make([]string, len(c.SNMP.Communities))
	for i := range cm {
		cm[i] = placeholder(i)
	}
	v3 := slices.Clone(c.SNMP.V3)
	for i := range v3 {
		if v3[i].AuthPass != "" {
			v3[i].AuthPass = Redacted
		}
		if v3[i].PrivPass != "" {
			v3[i].PrivPass = Redacted
		}
	}
	c.SNMP = wire.AgentConfigSNMP{Communities: cm, V3: v3}
	return c
}

func normalise(c *wire.AgentConfig) {
	if c.Scope.Targets == nil {
		c.Scope.Targets = []string{}
	}
	if c.Scope.Ports == nil {
		c.Scope.Ports = []int{}
	}
	if c.SNMP.Communities == nil {
		c.SNMP.Communities = []string{}
	}
	if c.SNMP.V3 == nil {
		c.SNMP.V3 = []wire.SNMPv3User{}
	}
	if c.Paths.Targets == nil {
		c.Paths.Targets = []string{}
	}
	for i := range c.SNMP.V3 {
		c.SNMP.V3[i].AuthProto = strings.ToUpper(c.SNMP.V3[i].AuthProto)
		c.SNMP.V3[i].PrivProto = strings.ToUpper(c.SNMP.V3[i].PrivProto)
	}
}
