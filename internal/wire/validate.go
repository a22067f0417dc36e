package wire

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Bounds every ScanReport must respect. They are generous for a real
// department (a /16 has 65,536 addresses) and small enough that one report
// cannot exhaust the collector; the HTTP body limit bounds the total again.
const (
	MaxScope          = 4096    // scope prefixes
	MaxEndpoints      = 262_144 // four /16 networks' worth of live addresses
	MaxDevices        = 10_000  // SNMP devices walked in one run
	MaxPaths          = 1_000   // path probes
	MaxHops           = 255     // TTL is one byte
	MaxPortsPerHost   = 65_535  // every TCP (or UDP) port
	MaxHTTPPerHost    = 64      // web ports answered on one endpoint
	MaxSeenBy         = 16      // methods per endpoint
	MaxNamesPerHost   = 64      // names of one endpoint (PTR, page, TLS)
	MaxDeviceRows     = 200_000 // rows of any one device table (routes, arp, interfaces, ...)
	MaxSoftware       = 100_000 // software entries of one host or device
	MaxHostRows       = 10_000  // host interfaces, routes, addresses per interface
	MaxErrorDetails   = 10_000  // stats.error_details and device errors
	MaxProblems       = 200     // validation problems listed before "and N more"
	MaxShortString    = 255     // ids, names, hostnames, vendors, versions
	MaxTitle          = 1024    // HTTP titles, server headers, interface aliases
	MaxDescr          = 4096    // sysDescr and error texts
	MaxClockSkew      = 24 * time.Hour
	MaxScanDuration   = 7 * 24 * time.Hour
	MinPlausibleEpoch = 2000 // years before this are a broken clock
)

// ErrReportTooLarge is returned by DecodeReport when the input exceeds the
// byte limit; the collector answers it with 413.
var ErrReportTooLarge = errors.New("report too large")

// ValidationError lists every problem found in a report. It unwraps to the
// individual problems (like errors.Join) so callers can show them as a list.
type ValidationError struct {
	Problems []error
}

// Error joins the problems one per line.
func (e *ValidationError) Error() string {
	s := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		s[i] = p.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap returns the individual problems.
func (e *ValidationError) Unwrap() []error { return e.Problems }

// Strings returns the problems as strings (for API error details).
func (e *ValidationError) Strings() []string {
	s := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		s[i] = p.Error()
	}
	return s
}

// Validate checks the report against the schema and every bound above and
// returns a *ValidationError naming each problem by its JSON path, or nil.
func (r *ScanReport) Validate() error { return r.ValidateAt(time.Now()) }

// ValidateAt is Validate with an explicit "now" for the future-time check.
func (r *ScanReport) ValidateAt(now time.Time) error {
	return validate(func(v *validator) { v.report(r, now) })
}

// Validate checks one device inventory on its own (snmp-walk output).
func (d *DeviceInventory) Validate() error {
	return validate(func(v *validator) { v.device("", d) })
}

// validate runs check quietly and, only when that finds a problem, again
// collecting every problem with its path.
func validate(check func(v *validator)) error {
	q := &validator{quiet: true}
	if check(q); !q.failed {
		return nil
	}
	v := &validator{}
	check(v)
	if len(v.problems) == 0 {
		return nil
	}
	if v.dropped > 0 {
		v.problems = append(v.problems, fmt.Errorf("... and %d more problems", v.dropped))
	}
	return &ValidationError{Problems: v.problems}
}

// validator collects problems. A quiet one only notes that there is one
// (failed) and builds no path or message: reports are checked quietly
// first and again, loudly, only when something is wrong.
type validator struct {
	problems []error
	dropped  int
	quiet    bool
	failed   bool
}

func (v *validator) addf(path, format string, args ...any) {
	if v.quiet {
		v.failed = true
		return
	}
	if len(v.problems) >= MaxProblems {
		v.dropped++
		return
	}
	v.problems = append(v.problems, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
}

// idx and field build a problem's JSON path. In a quiet pass they build
// nothing: a path per checked field was about 7% of the collector's time
// on a 10,000-endpoint report, for messages only a bad report needs.
func (v *validator) idx(path string, i int) string {
	if v.quiet {
		return ""
	}
	return index(path, i)
}

// index is the path of a list's element i.
func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func (v *validator) field(path, name string) string {
	if v.quiet {
		return ""
	}
	if path == "" {
		return name
	}
	return path + "." + name
}

// str checks a one-line text field: length in bytes, valid UTF-8, no NUL
// (which PostgreSQL TEXT cannot hold) and no other control character but
// tab, so no stored value can carry terminal escapes or forge log lines.
func (v *validator) str(path, s string, max int) { v.text(path, s, max, false) }

// multiline is str for free text that devices legitimately send on several
// lines (sysDescr, titles, error texts): CR and LF are allowed there too.
func (v *validator) multiline(path, s string, max int) { v.text(path, s, max, true) }

func (v *validator) text(path, s string, max int, lines bool) {
	if len(s) > max {
		v.addf(path, "too long (%d bytes, at most %d)", len(s), max)
	}
	if !utf8.ValidString(s) {
		v.addf(path, "not valid UTF-8")
	}
	if strings.IndexByte(s, 0) >= 0 {
		v.addf(path, "contains a NUL character")
	} else if c, bad := ControlChar(s, lines); bad {
		v.addf(path, "contains the control character U+%04X", c)
	}
}

// ControlChar reports the first control character in s other than tab (and
// CR and LF when lines is true): C0, DEL and C1. Invalid UTF-8 bytes are not
// reported here.
func ControlChar(s string, lines bool) (rune, bool) {
	for _, c := range s {
		switch {
		case c == '\t':
		case lines && (c == '\n' || c == '\r'):
		case c < 0x20, c == 0x7f, c >= 0x80 && c <= 0x9f, invisible(c):
			return c, true
		}
	}
	return 0, false
}

// invisible are the format characters that let a name look like another
// in the UI and in exports: zero-width marks, bidirectional overrides and
// isolates, line and paragraph separators, the BOM.
func invisible(c rune) bool {
	return c >= 0x200b && c <= 0x200f || c >= 0x202a && c <= 0x202e || c >= 0x2066 && c <= 0x2069 ||
		c == 0x2028 || c == 0x2029 || c == 0xfeff
}

func (v *validator) required(path, s string, max int) {
	if strings.TrimSpace(s) == "" {
		v.addf(path, "required")
		return
	}
	v.str(path, s, max)
}

func (v *validator) count(path string, n, max int) bool {
	if n > max {
		v.addf(path, "too many entries (%d, at most %d)", n, max)
		return false
	}
	return true
}

func (v *validator) ip(path, s string, optional bool) {
	if s == "" {
		if !optional {
			v.addf(path, "required")
		}
		return
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		v.addf(path, "%q is not an IP address", trunc(s))
	}
}

func (v *validator) cidr(path, s string) {
	if _, err := netip.ParsePrefix(s); err != nil {
		v.addf(path, "%q is not a CIDR prefix", trunc(s))
	}
}

func (v *validator) mac(path, s string) {
	if s == "" {
		return
	}
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) > 8 {
		v.addf(path, "%q is not a MAC address", trunc(s))
	}
}

func (v *validator) port(path string, p int) {
	if p < 1 || p > 65535 {
		v.addf(path, "port %d out of range 1..65535", p)
	}
}

func (v *validator) nonNegative(path string, n int64) {
	if n < 0 {
		v.addf(path, "must not be negative (%d)", n)
	}
}

func (v *validator) oneOf(path, s string, allowed ...string) {
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	v.addf(path, "%q is not one of %s", trunc(s), strings.Join(allowed, ", "))
}

// trunc keeps quoted bad values short in messages.
func trunc(s string) string {
	if len(s) <= 64 {
		return s
	}
	cut := 64
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func (v *validator) report(r *ScanReport, now time.Time) {
	v.head(r, now)
	if v.count("endpoints", len(r.Endpoints), MaxEndpoints) {
		for i := range r.Endpoints {
			v.endpoint(v.idx("endpoints", i), &r.Endpoints[i])
		}
	}
	if v.count("devices", len(r.Devices), MaxDevices) {
		for i := range r.Devices {
			v.device(v.idx("devices", i), &r.Devices[i])
		}
	}
	if v.count("paths", len(r.Paths), MaxPaths) {
		for i := range r.Paths {
			v.path(v.idx("paths", i), &r.Paths[i])
		}
	}
	v.tail(r)
}

// head checks what precedes the big lists; tail what follows them. The
// streaming decoder checks the list elements one by one as they arrive.
func (v *validator) head(r *ScanReport, now time.Time) {
	if r.Schema != SchemaScanV1 {
		v.addf("schema", "%q is not %q", trunc(r.Schema), SchemaScanV1)
	}
	if u, err := uuid.Parse(r.ReportID); err != nil || len(r.ReportID) != 36 || u == uuid.Nil {
		v.addf("report_id", "%q is not a UUID", trunc(r.ReportID))
	}
	v.required("agent.id", r.Agent.ID, MaxShortString)
	v.str("agent.hostname", r.Agent.Hostname, MaxShortString)
	v.str("agent.version", r.Agent.Version, MaxShortString)
	v.str("agent.department", r.Agent.Department, MaxShortString)
	v.oneOf("agent.profile", r.Agent.Profile, profiles...)
	v.str("agent.os", r.Agent.OS, MaxShortString)
	v.str("agent.arch", r.Agent.Arch, MaxShortString)
	v.times(r.StartedAt, r.FinishedAt, now)
	if v.count("scope", len(r.Scope), MaxScope) {
		for i, s := range r.Scope {
			v.cidr(v.idx("scope", i), s)
		}
	}
}

func (v *validator) tail(r *ScanReport) {
	if r.Host != nil {
		v.host("host", r.Host)
	}
	v.stats("stats", &r.Stats)
}

func (v *validator) times(started, finished, now time.Time) {
	minT := time.Date(MinPlausibleEpoch, 1, 1, 0, 0, 0, 0, time.UTC)
	maxT := now.Add(MaxClockSkew)
	ok := true
	for _, c := range []struct {
		name string
		t    time.Time
	}{{"started_at", started}, {"finished_at", finished}} {
		switch {
		case c.t.IsZero():
			v.addf(c.name, "required")
			ok = false
		case c.t.Before(minT):
			v.addf(c.name, "%s is before %d", c.t.Format(time.RFC3339), MinPlausibleEpoch)
			ok = false
		case c.t.After(maxT):
			v.addf(c.name, "%s is more than %s in the future", c.t.Format(time.RFC3339), MaxClockSkew)
			ok = false
		}
	}
	if !ok {
		return
	}
	if finished.Before(started) {
		v.addf("finished_at", "%s is before started_at %s", finished.Format(time.RFC3339Nano), started.Format(time.RFC3339Nano))
	} else if finished.Sub(started) > MaxScanDuration {
		v.addf("finished_at", "scan lasted %s, more than %s", finished.Sub(started), MaxScanDuration)
	}
}

var (
	allMethods = []string{MethodICMP, MethodTCP, MethodUDP, MethodARP, MethodSNMP, MethodPath, MethodHost, MethodND}
	allRoles   = []string{RoleServer, RoleWorkstation, RoleNetwork, RolePrinter, RoleUnknown}
	swSources  = []string{"snmp", "dpkg", "rpm", "registry", "import"}
	pathKinds  = []string{"", "internet", "extranet", "private"}
	// nameSources are where an endpoint's name can come from.
	nameSources = []string{"ptr", "sysname", "http-canonical", "http-og-url", "http-host", "tls", "netbios"}
	profiles    = []string{"", "network", "endpoint"}
)

func (v *validator) endpoint(p string, e *Endpoint) {
	v.ip(v.field(p, "ip"), e.IP, false)
	v.mac(v.field(p, "mac"), e.MAC)
	v.str(v.field(p, "vendor"), e.Vendor, MaxShortString)
	v.str(v.field(p, "hostname"), e.Hostname, MaxShortString)
	if len(e.SeenBy) == 0 {
		v.addf(v.field(p, "seen_by"), "required (at least one method)")
	} else if v.count(v.field(p, "seen_by"), len(e.SeenBy), MaxSeenBy) {
		for i, m := range e.SeenBy {
			v.oneOf(v.idx(v.field(p, "seen_by"), i), m, allMethods...)
		}
	}
	if e.RTTMs < 0 {
		v.addf(v.field(p, "rtt_ms"), "must not be negative")
	}
	for _, ports := range []struct {
		name string
		list []int
	}{{"open_ports", e.OpenPorts}, {"udp_ports", e.UDPPorts}} {
		if v.count(v.field(p, ports.name), len(ports.list), MaxPortsPerHost) {
			for i, port := range ports.list {
				v.port(v.idx(v.field(p, ports.name), i), port)
			}
		}
	}
	v.oneOf(v.field(p, "role"), e.Role, allRoles...)
	if v.count(v.field(p, "http"), len(e.HTTP), MaxHTTPPerHost) {
		for i, h := range e.HTTP {
			hp := v.idx(v.field(p, "http"), i)
			v.port(v.field(hp, "port"), h.Port)
			v.oneOf(v.field(hp, "scheme"), h.Scheme, "", "http", "https")
			v.multiline(v.field(hp, "title"), h.Title, MaxTitle)
			v.multiline(v.field(hp, "server"), h.Server, MaxTitle)
			if h.Status != 0 && (h.Status < 100 || h.Status > 999) {
				v.addf(v.field(hp, "status"), "%d is not an HTTP status", h.Status)
			}
		}
	}
	v.str(v.field(p, "sys_object_id"), e.SysObjectID, MaxShortString)
	v.multiline(v.field(p, "sys_descr"), e.SysDescr, MaxDescr)
	if np := v.field(p, "names"); v.count(np, len(e.Names), MaxNamesPerHost) {
		for i, n := range e.Names {
			q := v.idx(np, i)
			v.required(v.field(q, "name"), n.Name, MaxShortString)
			v.oneOf(v.field(q, "source"), n.Source, nameSources...)
		}
	}
}

func (v *validator) hostPort(path, s string) {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		v.addf(path, "%q is not host:port", trunc(s))
		return
	}
	v.str(path, host, MaxShortString)
	n, err := strconv.Atoi(port)
	if err != nil {
		v.addf(path, "%q has a non-numeric port", trunc(s))
		return
	}
	v.port(path, n)
}

func (v *validator) device(p string, d *DeviceInventory) {
	v.hostPort(v.field(p, "target"), d.Target)
	sp := v.field(p, "system")
	v.str(v.field(sp, "name"), d.System.Name, MaxShortString)
	v.multiline(v.field(sp, "descr"), d.System.Descr, MaxDescr)
	v.str(v.field(sp, "object_id"), d.System.ObjectID, MaxShortString)
	v.nonNegative(v.field(sp, "uptime_s"), d.System.UptimeS)
	v.multiline(v.field(sp, "contact"), d.System.Contact, MaxTitle)
	v.multiline(v.field(sp, "location"), d.System.Location, MaxTitle)
	v.str(v.field(p, "engine_id"), d.EngineID, MaxShortString)
	v.oneOf(v.field(p, "snmp_version"), d.Version, "", "v1", "v2c", "v3")
	v.str(v.field(p, "credential"), d.Credential, MaxShortString)

	if ip := v.field(p, "interfaces"); v.count(ip, len(d.Interfaces), MaxDeviceRows) {
		for i, it := range d.Interfaces {
			q := v.idx(ip, i)
			v.nonNegative(v.field(q, "index"), int64(it.Index))
			v.multiline(v.field(q, "name"), it.Name, MaxTitle)
			v.multiline(v.field(q, "descr"), it.Descr, MaxTitle)
			v.multiline(v.field(q, "alias"), it.Alias, MaxTitle)
			v.nonNegative(v.field(q, "type"), int64(it.Type))
			v.nonNegative(v.field(q, "mtu"), int64(it.MTU))
			v.mac(v.field(q, "mac"), it.MAC)
			if it.AdminStatus < 0 || it.AdminStatus > 7 {
				v.addf(v.field(q, "admin_status"), "%d out of range 0..7", it.AdminStatus)
			}
			if it.OperStatus < 0 || it.OperStatus > 7 {
				v.addf(v.field(q, "oper_status"), "%d out of range 0..7", it.OperStatus)
			}
		}
	}
	if ap := v.field(p, "ip_addresses"); v.count(ap, len(d.IPAddresses), MaxDeviceRows) {
		for i, a := range d.IPAddresses {
			q := v.idx(ap, i)
			v.ip(v.field(q, "address"), a.Address, false)
			max := 32
			if addr, err := netip.ParseAddr(a.Address); err == nil && addr.Is6() && !addr.Is4In6() {
				max = 128
			}
			if a.PrefixLen < 0 || a.PrefixLen > max {
				v.addf(v.field(q, "prefix_len"), "%d out of range 0..%d", a.PrefixLen, max)
			}
			v.nonNegative(v.field(q, "if_index"), int64(a.IfIndex))
		}
	}
	if ap := v.field(p, "arp"); v.count(ap, len(d.ARP), MaxDeviceRows) {
		for i, a := range d.ARP {
			q := v.idx(ap, i)
			v.ip(v.field(q, "ip"), a.IP, false)
			v.mac(v.field(q, "mac"), a.MAC)
			v.nonNegative(v.field(q, "if_index"), int64(a.IfIndex))
		}
	}
	if rp := v.field(p, "routes"); v.count(rp, len(d.Routes), MaxDeviceRows) {
		for i, r := range d.Routes {
			q := v.idx(rp, i)
			v.cidr(v.field(q, "destination"), r.Destination)
			v.ip(v.field(q, "next_hop"), r.NextHop, true)
			v.nonNegative(v.field(q, "if_index"), int64(r.IfIndex))
			v.nonNegative(v.field(q, "protocol"), int64(r.Protocol))
			v.oneOf(v.field(q, "source_table"), r.SourceTable, "", "inetCidrRouteTable", "ipCidrRouteTable", "ipRouteTable", "ipv6RouteTable")
			v.str(v.field(q, "vrf"), r.VRF, MaxShortString)
		}
	}
	if fp := v.field(p, "fdb"); v.count(fp, len(d.FDB), MaxDeviceRows) {
		for i, f := range d.FDB {
			q := v.idx(fp, i)
			v.mac(v.field(q, "mac"), f.MAC)
			if f.VLAN < 0 || f.VLAN > 4095 {
				v.addf(v.field(q, "vlan"), "%d out of range 0..4095", f.VLAN)
			}
			v.nonNegative(v.field(q, "bridge_port"), int64(f.BridgePort))
			v.nonNegative(v.field(q, "if_index"), int64(f.IfIndex))
			v.nonNegative(v.field(q, "status"), int64(f.Status))
		}
	}
	if vp := v.field(p, "vlans"); v.count(vp, len(d.VLANs), MaxDeviceRows) {
		for i, vl := range d.VLANs {
			q := v.idx(vp, i)
			if vl.ID < 0 || vl.ID > 4095 {
				v.addf(v.field(q, "id"), "%d out of range 0..4095", vl.ID)
			}
			v.str(v.field(q, "name"), vl.Name, MaxShortString)
			if pp := v.field(q, "ports"); v.count(pp, len(vl.Ports), MaxDeviceRows) {
				for j, port := range vl.Ports {
					v.nonNegative(v.idx(pp, j), int64(port))
				}
			}
		}
	}
	if xp := v.field(p, "entities"); v.count(xp, len(d.Entities), MaxDeviceRows) {
		for i, e := range d.Entities {
			q := v.idx(xp, i)
			v.nonNegative(v.field(q, "index"), int64(e.Index))
			v.nonNegative(v.field(q, "class"), int64(e.Class))
			v.multiline(v.field(q, "descr"), e.Descr, MaxTitle)
			v.multiline(v.field(q, "name"), e.Name, MaxTitle)
			v.str(v.field(q, "model"), e.Model, MaxShortString)
			v.str(v.field(q, "serial"), e.Serial, MaxShortString)
			v.str(v.field(q, "hardware_rev"), e.HardwareRev, MaxShortString)
			v.str(v.field(q, "firmware_rev"), e.FirmwareRev, MaxShortString)
			v.str(v.field(q, "software_rev"), e.SoftwareRev, MaxShortString)
			v.str(v.field(q, "mfg_name"), e.MfgName, MaxShortString)
			v.nonNegative(v.field(q, "contained_in"), int64(e.ContainedIn))
		}
	}
	if rp := v.field(p, "vrfs"); v.count(rp, len(d.VRFs), MaxDeviceRows) {
		for i, vr := range d.VRFs {
			q := v.idx(rp, i)
			v.required(v.field(q, "name"), vr.Name, MaxShortString)
			v.str(v.field(q, "rd"), vr.RD, MaxShortString)
			if ip := v.field(q, "if_indexes"); v.count(ip, len(vr.IfIndexes), MaxDeviceRows) {
				for j, x := range vr.IfIndexes {
					v.nonNegative(v.idx(ip, j), int64(x))
				}
			}
		}
	}
	if np := v.field(p, "neighbors"); v.count(np, len(d.Neighbors), MaxDeviceRows) {
		for i, n := range d.Neighbors {
			q := v.idx(np, i)
			v.oneOf(v.field(q, "protocol"), n.Protocol, "lldp", "cdp")
			v.nonNegative(v.field(q, "local_if_index"), int64(n.LocalIfIndex))
			v.str(v.field(q, "chassis_id"), n.ChassisID, MaxShortString)
			v.str(v.field(q, "port_id"), n.PortID, MaxShortString)
			v.str(v.field(q, "sys_name"), n.SysName, MaxShortString)
			v.ip(v.field(q, "address"), n.Address, true)
			v.multiline(v.field(q, "platform"), n.Platform, MaxTitle)
		}
	}
	v.software(v.field(p, "software"), d.Software)
	if ep := v.field(p, "errors"); v.count(ep, len(d.Errors), MaxErrorDetails) {
		for i, e := range d.Errors {
			q := v.idx(ep, i)
			v.required(v.field(q, "table"), e.Table, MaxShortString)
			v.multiline(v.field(q, "error"), e.Error, MaxDescr)
		}
	}
}

func (v *validator) software(p string, list []Software) {
	if !v.count(p, len(list), MaxSoftware) {
		return
	}
	for i, s := range list {
		q := v.idx(p, i)
		v.required(v.field(q, "name"), s.Name, MaxShortString)
		v.str(v.field(q, "version"), s.Version, MaxShortString)
		v.str(v.field(q, "vendor"), s.Vendor, MaxShortString)
		v.oneOf(v.field(q, "source"), s.Source, swSources...)
		v.str(v.field(q, "host"), s.Host, MaxShortString)
		v.str(v.field(q, "raw"), s.Raw, MaxShortString)
	}
}

func (v *validator) path(p string, pa *Path) {
	if pa.Target == "" {
		v.addf(v.field(p, "target"), "required")
	} else if _, err := netip.ParseAddr(pa.Target); err != nil {
		// A host name is allowed; it must at least look like one.
		v.str(v.field(p, "target"), pa.Target, MaxShortString)
		if strings.ContainsAny(pa.Target, " /\t\r\n") {
			v.addf(v.field(p, "target"), "%q is neither an IP address nor a host name", trunc(pa.Target))
		}
	}
	v.oneOf(v.field(p, "kind"), pa.Kind, pathKinds...)
	hp := v.field(p, "hops")
	if !v.count(hp, len(pa.Hops), MaxHops) {
		return
	}
	for i, h := range pa.Hops {
		q := v.idx(hp, i)
		if h.TTL < 1 || h.TTL > 255 {
			v.addf(v.field(q, "ttl"), "%d out of range 1..255", h.TTL)
		}
		v.ip(v.field(q, "address"), h.Address, true)
		if h.RTTMs < 0 {
			v.addf(v.field(q, "rtt_ms"), "must not be negative")
		}
	}
}

func (v *validator) host(p string, h *Host) {
	v.str(v.field(p, "hostname"), h.Hostname, MaxShortString)
	v.multiline(v.field(p, "os"), h.OS, MaxTitle)
	if ip := v.field(p, "interfaces"); v.count(ip, len(h.Interfaces), MaxHostRows) {
		for i, it := range h.Interfaces {
			q := v.idx(ip, i)
			v.required(v.field(q, "name"), it.Name, MaxShortString)
			v.mac(v.field(q, "mac"), it.MAC)
			v.str(v.field(q, "type"), it.Type, MaxShortString)
			if ap := v.field(q, "addresses"); v.count(ap, len(it.Addresses), MaxHostRows) {
				for j, a := range it.Addresses {
					v.cidr(v.idx(ap, j), a)
				}
			}
		}
	}
	if rp := v.field(p, "routes"); v.count(rp, len(h.Routes), MaxHostRows) {
		for i, r := range h.Routes {
			q := v.idx(rp, i)
			v.cidr(v.field(q, "destination"), r.Destination)
			v.ip(v.field(q, "gateway"), r.Gateway, true)
			v.str(v.field(q, "interface"), r.Interface, MaxShortString)
			v.nonNegative(v.field(q, "metric"), int64(r.Metric))
		}
	}
	v.software(v.field(p, "software"), h.Software)
	v.str(v.field(p, "user"), h.User, MaxShortString)
	if o := h.OSInfo; o != nil {
		q := v.field(p, "os_info")
		v.multiline(v.field(q, "name"), o.Name, MaxTitle)
		v.str(v.field(q, "version"), o.Version, MaxShortString)
		v.str(v.field(q, "edition"), o.Edition, MaxShortString)
		v.str(v.field(q, "arch"), o.Arch, MaxShortString)
		v.str(v.field(q, "kms_host"), o.KMSHost, MaxShortString)
	}
	if hw := h.Hardware; hw != nil {
		q := v.field(p, "hardware")
		v.str(v.field(q, "vendor"), hw.Vendor, MaxShortString)
		v.str(v.field(q, "model"), hw.Model, MaxShortString)
		v.str(v.field(q, "serial"), hw.Serial, MaxShortString)
	}
}

func (v *validator) stats(p string, s *Stats) {
	v.nonNegative(v.field(p, "addresses_probed"), s.AddressesProbed)
	v.nonNegative(v.field(p, "duration_ms"), s.DurationMs)
	v.nonNegative(v.field(p, "errors"), s.Errors)
	v.nonNegative(v.field(p, "spool_depth"), s.SpoolDepth)
	v.nonNegative(v.field(p, "dropped_reports"), s.DroppedReports)
	ep := v.field(p, "error_details")
	if !v.count(ep, len(s.ErrorDetails), MaxErrorDetails) {
		return
	}
	for i, e := range s.ErrorDetails {
		q := v.idx(ep, i)
		v.str(v.field(q, "target"), e.Target, MaxShortString)
		v.str(v.field(q, "method"), e.Method, MaxShortString)
		v.multiline(v.field(q, "error"), e.Error, MaxDescr)
	}
}
