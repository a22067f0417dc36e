package wire

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"
)

// The collector stores every report it receives re-encoded, and a
// 10,000-endpoint report through json.Marshal and the MarshalJSON methods of
// marshal.go costs a reflection walk per endpoint plus a validate-and-compact
// pass over each endpoint's bytes at every level they are nested in. The
// encoder below writes the report in one pass instead. Its output is what
// json.Marshal(r) gave before it, byte for byte and error for error: the
// stored text, its hash and the API answers must not change, so every rule
// of encoding/json that these types meet is repeated here (HTML escaping,
// U+2028/U+2029, invalid UTF-8 as \ufffd, the ES6 float format, lists
// without omitempty written [] when nil, time.Time's strict RFC 3339).
// encode_test.go checks it against a copy of the old reflection encoding.
//
// The endpoints (and the small parts around them) are written by hand;
// devices and the host facts, large only on the odd report, go through
// json.Marshal and their own MarshalJSON, so their output is the old one by
// construction.

// EncodeReport returns json.Marshal(r) of the report: the same bytes, and an
// error where json.Marshal fails (a NaN or infinite RTT, a time outside
// years 0-9999 or with an offset of 24 hours or more), with the same text.
func EncodeReport(r *ScanReport) ([]byte, error) {
	if r == nil {
		return []byte("null"), nil
	}
	b, err := AppendReport(make([]byte, 0, reportSizeHint(r)), r)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// AppendReport appends EncodeReport(r) to dst; on an error it returns dst
// unchanged (up to its length) and the error.
func AppendReport(dst []byte, r *ScanReport) ([]byte, error) {
	if r == nil {
		return append(dst, "null"...), nil
	}
	out, err := appendReport(dst, r)
	if err != nil {
		// json.Marshal(r) wraps what ScanReport.MarshalJSON returned.
		return dst, &json.MarshalerError{Type: reportPtrType, Err: err}
	}
	return out, nil
}

var (
	reportPtrType = reflect.TypeFor[*ScanReport]()
	endpointType  = reflect.TypeFor[Endpoint]()
	pathType      = reflect.TypeFor[Path]()
	timeType      = reflect.TypeFor[time.Time]()
)

// reportSizeHint is a little over the encoded size of a report of plain
// ASCII text, so a large report is written into one allocation instead of
// a dozen doublings; devices and host facts are not counted (they are
// written into their own buffers first anyway).
func reportSizeHint(r *ScanReport) int {
	n := 512 + len(r.Schema) + len(r.ReportID) + len(r.Agent.ID) + len(r.Agent.Hostname) +
		len(r.Agent.Version) + len(r.Agent.Department) + len(r.Agent.Profile) + len(r.Agent.OS) + len(r.Agent.Arch)
	for _, s := range r.Scope {
		n += len(s) + 3
	}
	for i := range r.Endpoints {
		e := &r.Endpoints[i]
		n += 150 + len(e.IP) + len(e.MAC) + len(e.Vendor) + len(e.Hostname) + len(e.Role) +
			len(e.SysObjectID) + len(e.SysDescr) + 8*(len(e.OpenPorts)+len(e.UDPPorts))
		for _, s := range e.SeenBy {
			n += len(s) + 3
		}
		for _, h := range e.HTTP {
			n += 60 + len(h.Scheme) + len(h.Title) + len(h.Server)
		}
		for _, nm := range e.Names {
			n += 30 + len(nm.Name) + len(nm.Source)
		}
	}
	for i := range r.Paths {
		n += 60 + len(r.Paths[i].Target) + len(r.Paths[i].Kind) + 50*len(r.Paths[i].Hops)
	}
	for _, pe := range r.Stats.ErrorDetails {
		n += 40 + len(pe.Target) + len(pe.Method) + len(pe.Error)
	}
	return n
}

// appendReport writes the report as the old ScanReport.MarshalJSON did; its
// errors are that method's errors.
func appendReport(b []byte, r *ScanReport) ([]byte, error) {
	var err error
	b = append(b, `{"schema":`...)
	b = appendString(b, r.Schema)
	b = append(b, `,"report_id":`...)
	b = appendString(b, r.ReportID)
	b = append(b, `,"agent":`...)
	b = appendAgent(b, &r.Agent)
	b = append(b, `,"started_at":`...)
	if b, err = appendTime(b, r.StartedAt); err != nil {
		return b, err
	}
	b = append(b, `,"finished_at":`...)
	if b, err = appendTime(b, r.FinishedAt); err != nil {
		return b, err
	}
	b = append(b, `,"scope":`...)
	b = appendStrings(b, r.Scope)
	b = append(b, `,"endpoints":[`...)
	for i := range r.Endpoints {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendEndpoint(b, &r.Endpoints[i]); err != nil {
			return b, err
		}
	}
	b = append(b, `],"devices":`...)
	if len(r.Devices) == 0 {
		b = append(b, "[]"...)
	} else {
		dev, err := json.Marshal(r.Devices)
		if err != nil {
			return b, err
		}
		b = append(b, dev...)
	}
	b = append(b, `,"paths":[`...)
	for i := range r.Paths {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendPath(b, &r.Paths[i]); err != nil {
			return b, err
		}
	}
	b = append(b, ']')
	if r.Host != nil {
		host, err := json.Marshal(r.Host)
		if err != nil {
			return b, err
		}
		b = append(b, `,"host":`...)
		b = append(b, host...)
	}
	b = append(b, `,"stats":`...)
	b = appendStats(b, &r.Stats)
	return append(b, '}'), nil
}

func appendAgent(b []byte, a *Agent) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, a.ID)
	b = append(b, `,"hostname":`...)
	b = appendString(b, a.Hostname)
	b = append(b, `,"version":`...)
	b = appendString(b, a.Version)
	b = append(b, `,"department":`...)
	b = appendString(b, a.Department)
	if a.Profile != "" {
		b = append(b, `,"profile":`...)
		b = appendString(b, a.Profile)
	}
	if a.OS != "" {
		b = append(b, `,"os":`...)
		b = appendString(b, a.OS)
	}
	if a.Arch != "" {
		b = append(b, `,"arch":`...)
		b = appendString(b, a.Arch)
	}
	return append(b, '}')
}

// appendEndpoint writes the endpoint as Endpoint.MarshalJSON does; an error
// is wrapped as json.Marshal wraps that method's.
func appendEndpoint(b []byte, e *Endpoint) ([]byte, error) {
	b = append(b, `{"ip":`...)
	b = appendString(b, e.IP)
	b = append(b, `,"mac":`...)
	b = appendString(b, e.MAC)
	b = append(b, `,"vendor":`...)
	b = appendString(b, e.Vendor)
	b = append(b, `,"hostname":`...)
	b = appendString(b, e.Hostname)
	b = append(b, `,"seen_by":`...)
	b = appendStrings(b, e.SeenBy)
	b = append(b, `,"rtt_ms":`...)
	b, err := appendFloat(b, e.RTTMs)
	if err != nil {
		return b, &json.MarshalerError{Type: endpointType, Err: err}
	}
	b = append(b, `,"open_ports":`...)
	b = appendInts(b, e.OpenPorts)
	if len(e.UDPPorts) > 0 {
		b = append(b, `,"udp_ports":`...)
		b = appendInts(b, e.UDPPorts)
	}
	b = append(b, `,"role":`...)
	b = appendString(b, e.Role)
	b = append(b, `,"http":[`...)
	for i := range e.HTTP {
		if i > 0 {
			b = append(b, ',')
		}
		h := &e.HTTP[i]
		b = append(b, `{"port":`...)
		b = strconv.AppendInt(b, int64(h.Port), 10)
		if h.Scheme != "" {
			b = append(b, `,"scheme":`...)
			b = appendString(b, h.Scheme)
		}
		b = append(b, `,"title":`...)
		b = appendString(b, h.Title)
		b = append(b, `,"server":`...)
		b = appendString(b, h.Server)
		if h.Status != 0 {
			b = append(b, `,"status":`...)
			b = strconv.AppendInt(b, int64(h.Status), 10)
		}
		b = append(b, '}')
	}
	b = append(b, ']')
	if e.SysObjectID != "" {
		b = append(b, `,"sys_object_id":`...)
		b = appendString(b, e.SysObjectID)
	}
	if e.SysDescr != "" {
		b = append(b, `,"sys_descr":`...)
		b = appendString(b, e.SysDescr)
	}
	if len(e.Names) > 0 {
		b = append(b, `,"names":[`...)
		for i := range e.Names {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = appendString(b, e.Names[i].Name)
			b = append(b, `,"source":`...)
			b = appendString(b, e.Names[i].Source)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

// appendPath writes the path as Path.MarshalJSON does.
func appendPath(b []byte, p *Path) ([]byte, error) {
	b = append(b, `{"target":`...)
	b = appendString(b, p.Target)
	if p.Kind != "" {
		b = append(b, `,"kind":`...)
		b = appendString(b, p.Kind)
	}
	b = append(b, `,"reachable":`...)
	b = strconv.AppendBool(b, p.Reachable)
	b = append(b, `,"hops":[`...)
	for i := range p.Hops {
		if i > 0 {
			b = append(b, ',')
		}
		h := &p.Hops[i]
		b = append(b, `{"ttl":`...)
		b = strconv.AppendInt(b, int64(h.TTL), 10)
		b = append(b, `,"address":`...)
		b = appendString(b, h.Address)
		b = append(b, `,"rtt_ms":`...)
		var err error
		if b, err = appendFloat(b, h.RTTMs); err != nil {
			return b, &json.MarshalerError{Type: pathType, Err: err}
		}
		b = append(b, '}')
	}
	return append(b, "]}"...), nil
}

func appendStats(b []byte, s *Stats) []byte {
	b = append(b, `{"addresses_probed":`...)
	b = strconv.AppendInt(b, s.AddressesProbed, 10)
	b = append(b, `,"duration_ms":`...)
	b = strconv.AppendInt(b, s.DurationMs, 10)
	b = append(b, `,"errors":`...)
	b = strconv.AppendInt(b, s.Errors, 10)
	if len(s.ErrorDetails) > 0 {
		b = append(b, `,"error_details":[`...)
		for i := range s.ErrorDetails {
			if i > 0 {
				b = append(b, ',')
			}
			pe := &s.ErrorDetails[i]
			b = append(b, `{"target":`...)
			b = appendString(b, pe.Target)
			b = append(b, `,"method":`...)
			b = appendString(b, pe.Method)
			b = append(b, `,"error":`...)
			b = appendString(b, pe.Error)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if s.SpoolDepth != 0 {
		b = append(b, `,"spool_depth":`...)
		b = strconv.AppendInt(b, s.SpoolDepth, 10)
	}
	if s.DroppedReports != 0 {
		b = append(b, `,"dropped_reports":`...)
		b = strconv.AppendInt(b, s.DroppedReports, 10)
	}
	return append(b, '}')
}

// appendTime writes t as its MarshalJSON does, without that method's
// allocation; an error is that method's, wrapped as json.Marshal wraps it.
func appendTime(b []byte, t time.Time) ([]byte, error) {
	n := len(b)
	out, err := t.AppendText(append(b, '"'))
	if err != nil {
		// AppendText and MarshalJSON fail alike but word it apart.
		_, err = t.MarshalJSON()
		return b[:n], &json.MarshalerError{Type: timeType, Err: err}
	}
	return append(out, '"'), nil
}

// appendFloat writes f as encoding/json's float64 encoder does: like
// strconv 'f', or 'e' below 1e-6 and from 1e21 on with the exponent's
// leading zero dropped (1e-07 becomes 1e-7); NaN and infinities are errors.
func appendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, &json.UnsupportedValueError{Value: reflect.ValueOf(f), Str: strconv.FormatFloat(f, 'g', -1, 64)}
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// appendStrings writes a list that is always present: nil is [].
func appendStrings(b []byte, list []string) []byte {
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendInts writes a list that is always present: nil is [].
func appendInts(b []byte, list []int) []byte {
	b = append(b, '[')
	for i, v := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(v), 10)
	}
	return append(b, ']')
}

// htmlSafe is encoding/json's htmlSafeSet: the ASCII bytes json.Marshal
// writes as they are (not control characters, '"', '\\', '<', '>', '&').
var htmlSafe = func() (set [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		set[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return set
}()

const hexDigits = "0123456789abcdef"

// appendString writes s quoted as json.Marshal does (escapeHTML on):
// \b \f \n \r \t \" \\ by name, other control characters and <, >, & as
// \u00XX, U+2028 and U+2029 as \u2028 and \u2029, and each byte of invalid
// UTF-8 as \ufffd.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if htmlSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
