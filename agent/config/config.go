// Package config is the agent's configuration: the keys CONTRACT.md names,
// their defaults, and the validation that refuses to start on a bad value.
// The default scope is empty on purpose: an agent installed and started
// without configuration must scan nothing (network safety), never guess a
// sweep of whatever network it finds itself on.
package config

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/viper"

	iconfig "github.com/egovnet/egovnet/internal/config"
)

// Secret re-exports the redacting string type so callers need one import.
type Secret = iconfig.Secret

// Config is the whole agent configuration.
type Config struct {
	Collector  Collector `mapstructure:"collector"`
	DataDir    string    `mapstructure:"data_dir"`
	Department string    `mapstructure:"department"`
	Scope      Scope     `mapstructure:"scope"`
	SNMP       SNMP      `mapstructure:"snmp"`
	Paths      Paths     `mapstructure:"paths"`
	Probe      Probe     `mapstructure:"probe"`
	Schedule   Schedule  `mapstructure:"schedule"`
	Spool      Spool     `mapstructure:"spool"`
	Log        Log       `mapstructure:"log"`
	// H-agent (#12 pacing, #18 names, #12 lab software).
	Host HostFacts `mapstructure:"host"`
	DNS  DNS       `mapstructure:"dns"`
	// Central management (#15): the profile, and self-update.
	Profile string `mapstructure:"profile"`
	Update  Update `mapstructure:"update"`
	// Relay for endpoint agents of an isolated network (agent/relay).
	Relay Relay `mapstructure:"relay"`
}

// Update configures self-update from signed releases.
type Update struct {
	Auto          bool          `mapstructure:"auto"`
	CheckInterval time.Duration `mapstructure:"check_interval"`
}

// HostFacts tunes the host's own facts.
type HostFacts struct {
	// SoftwareFile, when set, is read instead of dpkg/rpm/registry: one
	// name<TAB>version<TAB>vendor line per package (lab nodes report the
	// software their scenario gives them, not the lab machine's packages).
	SoftwareFile string `mapstructure:"software_file"`
	// FactsFile, when set, is a JSON host identity (hostname, user,
	// os_info, hardware; agent/endpoint.FactsFile) read instead of the
	// machine's own: for tests that run many endpoint agents on one
	// machine and for isolated imports. Production PCs leave it empty.
	FactsFile string `mapstructure:"facts_file"`
}

// DNS is how endpoint addresses are turned into names (PTR).
type DNS struct {
	// Servers are the department's resolvers, host[:port]; empty: the
	// system resolver.
	Servers []string      `mapstructure:"servers"`
	Timeout time.Duration `mapstructure:"timeout"`
	// Workers bounds concurrent PTR queries.
	Workers int `mapstructure:"workers"`
}

// Collector is where reports go.
type Collector struct {
	URL    string `mapstructure:"url"`
	CAFile string `mapstructure:"ca_file"`
	// PollInterval is how often the agent asks for its department's
	// configuration; each poll is also its heartbeat.
	PollInterval time.Duration `mapstructure:"poll_interval"`
	// Credential is normally written by `enroll` into the data dir; setting it
	// here (or via EGOVNET_COLLECTOR_CREDENTIAL) overrides the stored one.
	Credential Secret `mapstructure:"credential"`
}

// Scope is what the agent may probe. Empty targets: nothing is scanned.
type Scope struct {
	Targets []string `mapstructure:"targets"`
	Ports   []int    `mapstructure:"ports"`
	// UDP enables the VPN service checks (IKE 500/4500, OpenVPN 1194, L2TP 1701).
	UDP bool `mapstructure:"udp"`
	// HTTP enables GET / on open web ports to read titles and Server headers.
	HTTP bool `mapstructure:"http"`
}

// SNMP holds the credentials tried on every live host.
type SNMP struct {
	Communities []Secret `mapstructure:"communities"`
	V3          []V3User `mapstructure:"v3"`
	Port        int      `mapstructure:"port"`
}

// V3User is one SNMPv3 USM user.
type V3User struct {
	User      string `mapstructure:"user"`
	AuthProto string `mapstructure:"auth_proto"`
	AuthPass  Secret `mapstructure:"auth_pass"`
	PrivProto string `mapstructure:"priv_proto"`
	PrivPass  Secret `mapstructure:"priv_pass"`
	Context   string `mapstructure:"context"`
}

// Paths are the reference targets traced with TTL-limited probes.
type Paths struct {
	Targets []PathTarget `mapstructure:"targets"`
}

// PathTarget is one reference target with its kind (internet, extranet,
// private, or empty). In YAML an item is either {address, kind} or a plain
// string: "203.0.113.10" or "internet:203.0.113.10" (also from the env list).
type PathTarget struct {
	Address string `mapstructure:"address"`
	Kind    string `mapstructure:"kind"`
}

// UnmarshalText parses the string form of a path target.
func (p *PathTarget) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	p.Kind, p.Address = "", s
	for k := range pathKinds {
		if k != "" && strings.HasPrefix(s, k+":") {
			p.Kind, p.Address = k, strings.TrimPrefix(s, k+":")
		}
	}
	return nil
}

// Probe tunes every probe.
type Probe struct {
	Timeout time.Duration `mapstructure:"timeout"`
	Retries int           `mapstructure:"retries"`
	Rate    int           `mapstructure:"rate"`
	// Workers bounds concurrent TCP connects (and HTTP/UDP checks).
	Workers int `mapstructure:"workers"`
	// MaxRate caps the adaptive rate used when Rate is 0 (the default):
	// the sweep starts moderate and speeds up while replies keep up.
	MaxRate int `mapstructure:"max_rate"`
}

// Schedule is the daemon's cadence.
type Schedule struct {
	Interval time.Duration `mapstructure:"interval"`
	// Jitter is the fraction (0..1) of the interval added at random so a
	// district's agents do not all scan and upload at the same second.
	Jitter float64 `mapstructure:"jitter"`
}

// Spool bounds the on-disk queue of unsent reports.
type Spool struct {
	MaxReports int `mapstructure:"max_reports"`
}

// Log is the log setup.
type Log struct {
	Level string `mapstructure:"level"`
}

// DefaultPorts are probed with TCP connect when scope.ports is not set:
// remote access, mail, directory, file sharing, databases (domestic ones
// included: 达梦 5236, 人大金仓 54321), web, VPN (PPTP 1723) and printers.
var DefaultPorts = []int{
	21, 22, 23, 25, 53, 80, 110, 135, 139, 143, 389, 443, 445, 515, 631,
	1433, 1521, 1723, 3306, 3389, 5236, 5432, 5900, 6379, 8000, 8080, 8088, 8443, 8888, 9100, 54321,
}

// Defaults returns every key with its default, as config.Load requires.
func Defaults() map[string]any {
	d := map[string]any{
		"collector.url":        "",
		"collector.ca_file":    "",
		"collector.credential": "",
		"data_dir":             "./agent-data",
		"department":           "",
		"scope.targets":        []string{},
		"scope.ports":          append([]int(nil), DefaultPorts...),
		"scope.udp":            true,
		"scope.http":           true,
		"snmp.communities":     []string{},
		"snmp.v3":              []map[string]any{},
		"snmp.port":            161,
		"paths.targets":        []string{},
		"probe.timeout":        "1s",
		"probe.retries":        1,
		"probe.rate":           0, // 0: adaptive, up to probe.max_rate
		"probe.workers":        256,
		"schedule.interval":    "1h",
		"schedule.jitter":      0.1,
		"spool.max_reports":    100,
		"log.level":            "info",
		// H-agent (#12 pacing, #18 names, #12 lab software).
		"probe.max_rate":     DefaultMaxRate,
		"host.software_file": "",
		"host.facts_file":    "",
		"dns.servers":        []string{},
		"dns.timeout":        "2s",
		"dns.workers":        16,
		// Central management (#15).
		"profile":                 "network",
		"collector.poll_interval": "30s",
		"update.auto":             true,
		"update.check_interval":   "1h",
	}
	for k, v := range relayDefaults() {
		d[k] = v
	}
	return d
}

// Load reads file (optional) and the environment into a Config and validates it.
// Every problem is returned, joined.
func Load(v *viper.Viper, file string) (*Config, error) {
	if v == nil {
		v = iconfig.New()
	}
	var c Config
	lerr := iconfig.Load(v, file, Defaults(), &c)
	// Validate even when decoding found problems: one run names them all.
	if err := errors.Join(lerr, c.Validate()); err != nil {
		return nil, err
	}
	return &c, nil
}

// ParseTargets turns CIDRs or single addresses into prefixes.
func ParseTargets(ts []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	var errs []error
	for _, t := range ts {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		p, err := ParseTarget(t)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, p)
	}
	return out, errors.Join(errs...)
}

// ParseTarget accepts "10.1.0.0/24" or "10.1.0.5".
func ParseTarget(t string) (netip.Prefix, error) {
	if strings.Contains(t, "/") {
		p, err := netip.ParsePrefix(t)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("target %q: not a CIDR: %w", t, err)
		}
		if p != p.Masked() {
			return netip.Prefix{}, fmt.Errorf("target %q: host bits set (did you mean %s?)", t, p.Masked())
		}
		return p, nil
	}
	a, err := netip.ParseAddr(t)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("target %q: not an address or CIDR", t)
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// MaxScopeAddresses bounds one scan: an IPv4 /16 at most (a typo like
// 10.0.0.0/8 must be refused, not swept).
const MaxScopeAddresses = 1 << 16

// AddressCount is the number of addresses in p, saturated at 1<<62.
func AddressCount(p netip.Prefix) int64 {
	host := p.Addr().BitLen() - p.Bits()
	if host >= 62 {
		return 1 << 62
	}
	return 1 << host
}

var (
	authProtos = map[string]bool{"": true, "md5": true, "sha": true, "sha224": true, "sha256": true, "sha384": true, "sha512": true}
	privProtos = map[string]bool{"": true, "des": true, "aes": true, "aes192": true, "aes256": true, "aes192c": true, "aes256c": true}
	logLevels  = map[string]bool{"debug": true, "info": true, "warn": true, "error": true}
	pathKinds  = map[string]bool{"": true, "internet": true, "extranet": true, "private": true}
)

// Validate names every problem at once.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Host.FactsFile != "" {
		if _, err := os.Stat(c.Host.FactsFile); err != nil {
			bad("host.facts_file: %v", err)
		}
	}
	if c.Collector.URL != "" {
		u, err := url.Parse(c.Collector.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("collector.url %q: want http(s)://host[:port]", c.Collector.URL)
		}
	}
	if strings.TrimSpace(c.DataDir) == "" {
		bad("data_dir: must not be empty")
	}
	if c.Profile != "network" && c.Profile != "endpoint" {
		bad("profile %q: want network or endpoint", c.Profile)
	}
	if c.Collector.PollInterval < time.Second {
		bad("collector.poll_interval %s: want at least 1s", c.Collector.PollInterval)
	}
	if c.Update.CheckInterval < time.Minute {
		bad("update.check_interval %s: want at least 1m", c.Update.CheckInterval)
	}
	if _, err := ParseTargets(c.Scope.Targets); err != nil {
		bad("scope.targets: %w", err)
	}
	if err := CheckScopeSize(c.Scope.Targets); err != nil {
		bad("scope.targets: %w", err)
	}
	if err := CheckPorts(c.Scope.Ports); err != nil {
		bad("scope.ports: %w", err)
	}
	if c.SNMP.Port < 1 || c.SNMP.Port > 65535 {
		bad("snmp.port %d: want 1..65535", c.SNMP.Port)
	}
	for i, u := range c.SNMP.V3 {
		if strings.TrimSpace(u.User) == "" {
			bad("snmp.v3[%d].user: must not be empty", i)
		}
		if !authProtos[strings.ToLower(u.AuthProto)] {
			bad("snmp.v3[%d].auth_proto %q: want md5, sha, sha224, sha256, sha384 or sha512", i, u.AuthProto)
		}
		if !privProtos[strings.ToLower(u.PrivProto)] {
			bad("snmp.v3[%d].priv_proto %q: want des, aes, aes192, aes256, aes192c or aes256c", i, u.PrivProto)
		}
		if u.AuthProto != "" && u.AuthPass == "" {
			bad("snmp.v3[%d].auth_pass: required with auth_proto", i)
		}
		if u.PrivProto != "" && (u.PrivPass == "" || u.AuthProto == "") {
			bad("snmp.v3[%d].priv_pass: priv_proto needs priv_pass and auth_proto", i)
		}
	}
	for i, t := range c.Paths.Targets {
		if _, err := netip.ParseAddr(strings.TrimSpace(t.Address)); err != nil {
			bad("paths.targets[%d].address %q: not an IP address", i, t.Address)
		}
		if !pathKinds[t.Kind] {
			bad("paths.targets[%d].kind %q: want internet, extranet or private", i, t.Kind)
		}
	}
	if c.Probe.Timeout <= 0 || c.Probe.Timeout > time.Minute {
		bad("probe.timeout %s: want >0 and <=1m", c.Probe.Timeout)
	}
	if c.Probe.Retries < 0 || c.Probe.Retries > 10 {
		bad("probe.retries %d: want 0..10", c.Probe.Retries)
	}
	if c.Probe.Rate < 0 || c.Probe.Rate > 100000 {
		bad("probe.rate %d: want 0 (adaptive) or 1..100000 packets per second", c.Probe.Rate)
	}
	if c.Probe.MaxRate < 1 || c.Probe.MaxRate > 100000 {
		bad("probe.max_rate %d: want 1..100000 packets per second", c.Probe.MaxRate)
	}
	for i, s := range c.DNS.Servers {
		if _, err := DNSServer(s); err != nil {
			bad("dns.servers[%d]: %w", i, err)
		}
	}
	if c.DNS.Timeout <= 0 || c.DNS.Timeout > time.Minute {
		bad("dns.timeout %s: want >0 and <=1m", c.DNS.Timeout)
	}
	if c.DNS.Workers < 1 || c.DNS.Workers > 1024 {
		bad("dns.workers %d: want 1..1024", c.DNS.Workers)
	}
	if c.Probe.Workers < 1 || c.Probe.Workers > 4096 {
		bad("probe.workers %d: want 1..4096", c.Probe.Workers)
	}
	if c.Schedule.Interval < time.Minute {
		bad("schedule.interval %s: want at least 1m", c.Schedule.Interval)
	}
	if c.Schedule.Jitter < 0 || c.Schedule.Jitter > 1 {
		bad("schedule.jitter %v: want 0..1", c.Schedule.Jitter)
	}
	if c.Spool.MaxReports < 1 {
		bad("spool.max_reports %d: want at least 1", c.Spool.MaxReports)
	}
	if !logLevels[strings.ToLower(c.Log.Level)] {
		bad("log.level %q: want debug, info, warn or error", c.Log.Level)
	}
	errs = append(errs, c.validateRelay())
	return errors.Join(errs...)
}

// CheckPorts validates a port list.
func CheckPorts(ps []int) error {
	var errs []error
	for _, p := range ps {
		if p < 1 || p > 65535 {
			errs = append(errs, fmt.Errorf("port %d: want 1..65535", p))
		}
	}
	return errors.Join(errs...)
}

// CheckScopeSize refuses scopes larger than MaxScopeAddresses in total.
func CheckScopeSize(ts []string) error {
	ps, _ := ParseTargets(ts)
	var n int64
	for _, p := range ps {
		n += AddressCount(p)
		if n > MaxScopeAddresses {
			return fmt.Errorf("%d+ addresses exceed the limit of %d per scan (split the scope)", n, MaxScopeAddresses)
		}
	}
	return nil
}
