package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The reference EncodeReport is held to: json.Marshal of the report as it
// was before encode.go, a plain twin per type with its nil lists filled by
// reflection (marshalLists as it was), every nested MarshalJSON output
// compacted again by encoding/json. It is a copy, not a call into
// marshal.go, so a later change there cannot make both sides agree by
// changing both. Devices and host facts are marshalled by their own
// MarshalJSON on both sides: EncodeReport splices exactly that output.

// oldScanReport mirrors ScanReport (TestOldScanReportMirrors keeps it so)
// with endpoints and paths of the mirrored types below.
type oldScanReport struct {
	Schema     string            `json:"schema"`
	ReportID   string            `json:"report_id"`
	Agent      Agent             `json:"agent"`
	StartedAt  time.Time         `json:"started_at"`
	FinishedAt time.Time         `json:"finished_at"`
	Scope      []string          `json:"scope"`
	Endpoints  []oldEndpoint     `json:"endpoints"`
	Devices    []DeviceInventory `json:"devices"`
	Paths      []oldPath         `json:"paths"`
	Host       *Host             `json:"host,omitempty"`
	Stats      Stats             `json:"stats"`
}

type (
	oldEndpoint Endpoint
	oldPath     Path
)

func (r oldScanReport) MarshalJSON() ([]byte, error) {
	type plain oldScanReport
	return oldMarshalLists(plain(r))
}

func (e oldEndpoint) MarshalJSON() ([]byte, error) {
	type plain oldEndpoint
	return oldMarshalLists(plain(e))
}

func (p oldPath) MarshalJSON() ([]byte, error) {
	type plain oldPath
	return oldMarshalLists(plain(p))
}

// oldMarshalLists is marshalLists as it was, without its cache.
func oldMarshalLists[T any](v T) ([]byte, error) {
	rv := reflect.ValueOf(&v).Elem()
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Type().Field(i)
		tag := f.Tag.Get("json")
		if f.Type.Kind() != reflect.Slice || !f.IsExported() || tag == "-" {
			continue
		}
		if _, opts, _ := strings.Cut(tag, ","); strings.Contains(","+opts+",", ",omitempty,") {
			continue
		}
		if rv.Field(i).IsNil() {
			rv.Field(i).Set(reflect.MakeSlice(f.Type, 0, 0))
		}
	}
	return json.Marshal(v)
}

// toOld copies r into the mirror types, nil lists staying nil.
func toOld(r *ScanReport) *oldScanReport {
	if r == nil {
		return nil
	}
	o := &oldScanReport{Schema: r.Schema, ReportID: r.ReportID, Agent: r.Agent, StartedAt: r.StartedAt,
		FinishedAt: r.FinishedAt, Scope: r.Scope, Devices: r.Devices, Host: r.Host, Stats: r.Stats}
	if r.Endpoints != nil {
		o.Endpoints = make([]oldEndpoint, len(r.Endpoints))
		for i := range r.Endpoints {
			o.Endpoints[i] = oldEndpoint(r.Endpoints[i])
		}
	}
	if r.Paths != nil {
		o.Paths = make([]oldPath, len(r.Paths))
		for i := range r.Paths {
			o.Paths[i] = oldPath(r.Paths[i])
		}
	}
	return o
}

// oldEncode is json.Marshal(r) as it was; its errors name the mirrored
// types as the real ones.
func oldEncode(r *ScanReport) ([]byte, error) {
	b, err := json.Marshal(toOld(r))
	if err != nil {
		return nil, errors.New(strings.ReplaceAll(err.Error(), "wire.old", "wire."))
	}
	return b, nil
}

// sameAsOld fails t unless EncodeReport, AppendReport and json.Marshal
// (through ScanReport.MarshalJSON) all give what oldEncode gives.
func sameAsOld(t *testing.T, r *ScanReport) {
	t.Helper()
	want, wantErr := oldEncode(r)
	got, err := EncodeReport(r)
	if !sameResult(t, "EncodeReport", want, wantErr, got, err) {
		return
	}
	prefix := []byte("prefix")
	app, err := AppendReport(prefix, r)
	if err == nil {
		if !bytes.HasPrefix(app, prefix) {
			t.Errorf("AppendReport lost its prefix: %.40q", app)
		}
		app = app[len(prefix):]
	} else if string(app) != "prefix" {
		t.Errorf("AppendReport failed but changed dst to %.40q", app)
	}
	if !sameResult(t, "AppendReport", want, wantErr, app, err) {
		return
	}
	viaMarshal, err := json.Marshal(r)
	sameResult(t, "json.Marshal", want, wantErr, viaMarshal, err)
}

func sameResult(t *testing.T, who string, want []byte, wantErr error, got []byte, err error) bool {
	t.Helper()
	switch {
	case wantErr != nil && err == nil:
		t.Errorf("%s: no error, want %v", who, wantErr)
	case wantErr == nil && err != nil:
		t.Errorf("%s: error %v, want none", who, err)
	case err != nil && err.Error() != wantErr.Error():
		t.Errorf("%s: error\n%v\nwant\n%v", who, err, wantErr)
	case err == nil && !bytes.Equal(got, want):
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		lo := max(i-60, 0)
		t.Errorf("%s: differs at byte %d of %d (want %d):\n got ...%s\nwant ...%s", who, i, len(got), len(want),
			got[lo:min(i+60, len(got))], want[lo:min(i+60, len(want))])
	default:
		return true
	}
	return false
}

func TestOldScanReportMirrors(t *testing.T) {
	real, old := reflect.TypeFor[ScanReport](), reflect.TypeFor[oldScanReport]()
	if real.NumField() != old.NumField() {
		t.Fatalf("ScanReport has %d fields, the test's mirror %d: update oldScanReport", real.NumField(), old.NumField())
	}
	for i := 0; i < real.NumField(); i++ {
		rf, of := real.Field(i), old.Field(i)
		if rf.Name != of.Name || rf.Tag != of.Tag || !of.Type.ConvertibleTo(rf.Type) && !of.Type.Elem().ConvertibleTo(rf.Type.Elem()) {
			t.Errorf("field %d: ScanReport has %s %s `%s`, the mirror %s %s `%s`", i, rf.Name, rf.Type, rf.Tag, of.Name, of.Type, of.Tag)
		}
	}
}

// trickyStrings are what an encoder of JSON text can get wrong.
var trickyStrings = []string{
	"",
	"plain",
	`<script>alert("x&y")</script>`,
	`"quoted" \back\slash\ /slash/ 'single'`,
	"\x00\x01\x07\b\f\n\r\t\v\x1b[2J\x1f\x7f",
	"line\u2028separator\u2029paragraph",
	"bad\xffutf8\xc3 truncated \xe2\x80 and \xed\xa0\x80 a surrogate",
	"\xe2\x80\xa8",
	"non-BMP 😀 𝄞 \U0010FFFF",
	"中文标题 办公系统 — «ru» é e\u0301",
	"\ufffd literal replacement",
	strings.Repeat("a<b&c>\"d\\e\u2028中\xff", 500),
}

// trickyFloats are float64 values at the edges of encoding/json's format.
var trickyFloats = []float64{
	0, math.Copysign(0, -1), 0.4, 123.456, -123.456, 0.1 + 0.2, 1e-7, -1e-7, 1e-6, 9.999999e-7,
	1.5e-10, 5e-324, 1e20, 999999999999999999999, 1e21, -1e21, 1.5e21, 1 << 53, 1<<53 + 2,
	float64(math.MaxInt64), 1e300, math.MaxFloat64, math.SmallestNonzeroFloat64,
}

// fullReport is a report with every field set, s in every string and f in
// every float (TestFullReportSetsEveryField keeps it so).
func fullReport(s string, f float64) *ScanReport {
	activated := true
	zone := time.FixedZone("CST", 8*3600)
	return &ScanReport{
		Schema: s, ReportID: s,
		Agent:      Agent{ID: s, Hostname: s, Version: s, Department: s, Profile: s, OS: s, Arch: s},
		StartedAt:  time.Date(2026, 11, 20, 2, 0, 0, 123456789, zone),
		FinishedAt: time.Date(2026, 11, 20, 2, 3, 0, 120000000, time.UTC),
		Scope:      []string{s, s},
		Endpoints: []Endpoint{{
			IP: s, MAC: s, Vendor: s, Hostname: s, SeenBy: []string{s, MethodICMP}, RTTMs: f,
			OpenPorts: []int{22, 443, -1, math.MaxInt}, UDPPorts: []int{161, math.MinInt}, Role: s,
			HTTP:        []HTTPInfo{{Port: 443, Scheme: s, Title: s, Server: s, Status: 200}, {Port: 80, Title: s}},
			SysObjectID: s, SysDescr: s,
			Names: []Name{{Name: s, Source: s}, {Name: s, Source: "ptr"}},
		}, {IP: s, SeenBy: []string{}, RTTMs: -f, OpenPorts: []int{}, HTTP: []HTTPInfo{}, UDPPorts: []int{}, Names: []Name{}}},
		Devices: []DeviceInventory{{
			Target: s,
			System: System{Name: s, Descr: s, ObjectID: s, UptimeS: math.MaxInt64, Contact: s, Location: s},
			Interfaces: []Interface{{Index: 1, Name: s, Descr: s, Alias: s, Type: 6, MTU: 1500, SpeedBps: math.MaxUint64,
				MAC: s, AdminStatus: 1, OperStatus: 2}},
			IPAddresses: []IPAddress{{Address: s, PrefixLen: 24, IfIndex: 1}},
			ARP:         []ARPEntry{{IP: s, MAC: s, IfIndex: 1}},
			Routes:      []Route{{Destination: s, NextHop: s, IfIndex: 1, Protocol: 3, SourceTable: s, VRF: s}},
			Neighbors:   []Neighbor{{Protocol: s, LocalIfIndex: 1, ChassisID: s, PortID: s, SysName: s, Address: s, Platform: s}},
			Software:    []Software{{Name: s, Version: s, Vendor: s, Source: s, Raw: s, Host: s}},
			Errors:      []TableError{{Table: s, Error: s}},
			FDB:         []FDBEntry{{MAC: s, VLAN: 10, BridgePort: 3, IfIndex: 1, Status: 3}},
			VLANs:       []VLAN{{ID: 10, Name: s, Ports: []int{1, 2}}},
			Entities: []Entity{{Index: 1, Class: 3, Descr: s, Name: s, Model: s, Serial: s, HardwareRev: s,
				FirmwareRev: s, SoftwareRev: s, MfgName: s, ContainedIn: 1}},
			VRFs:     []VRF{{Name: s, RD: s, IfIndexes: []int{1}}},
			EngineID: s, Version: s, Credential: s,
		}},
		Paths: []Path{{Target: s, Kind: s, Reachable: true, Hops: []Hop{{TTL: 1, Address: s, RTTMs: f}, {TTL: 2}}}},
		Host: &Host{
			Hostname: s, OS: s,
			Interfaces: []HostInterface{{Name: s, MAC: s, Addresses: []string{s}, Up: true, Type: s}},
			Routes:     []HostRoute{{Destination: s, Gateway: s, Interface: s, Metric: 100}},
			Software:   []Software{{Name: s, Version: s, Vendor: s, Source: s, Raw: s, Host: s}},
			OSInfo:     &OSInfo{Name: s, Version: s, Edition: s, Arch: s, Activated: &activated, KMSHost: s},
			Hardware:   &Hardware{Vendor: s, Model: s, Serial: s},
			User:       s,
		},
		Stats: Stats{AddressesProbed: math.MaxInt64, DurationMs: 1, Errors: math.MinInt64,
			ErrorDetails: []ProbeError{{Target: s, Method: s, Error: s}}, SpoolDepth: 3, DroppedReports: 4},
	}
}

// fieldPath is a way from a *ScanReport to one field: a struct field index,
// or -1 for a pointer's target or a list's first element.
type fieldPath struct {
	name  string
	steps []int
}

// reportFields lists every field reachable in v, time.Time as one field.
func reportFields(v reflect.Value, name string, steps []int, out *[]fieldPath) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Slice:
		if v.Kind() == reflect.Pointer && v.IsNil() || v.Kind() == reflect.Slice && v.Len() == 0 {
			return
		}
		reportFields(first(v), name+"[0]", append(steps[:len(steps):len(steps)], -1), out)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return
		}
		for i := 0; i < v.NumField(); i++ {
			fp := fieldPath{name + "." + v.Type().Field(i).Name, append(steps[:len(steps):len(steps)], i)}
			*out = append(*out, fp)
			reportFields(v.Field(i), fp.name, fp.steps, out)
		}
	}
}

// first is a pointer's target or a list's first element.
func first(v reflect.Value) reflect.Value {
	if v.Kind() == reflect.Pointer {
		return v.Elem()
	}
	return v.Index(0)
}

func (p fieldPath) in(r *ScanReport) reflect.Value {
	v := reflect.ValueOf(r)
	for _, s := range p.steps {
		if s < 0 {
			v = first(v)
		} else {
			v = v.Field(s)
		}
	}
	return v
}

func TestFullReportSetsEveryField(t *testing.T) {
	r := fullReport("x", 1.5)
	var fields []fieldPath
	reportFields(reflect.ValueOf(r), "report", nil, &fields)
	for _, f := range fields {
		if f.in(r).IsZero() {
			t.Errorf("fullReport leaves %s unset", f.name)
		}
	}
	if len(fields) < 150 {
		t.Errorf("only %d fields found", len(fields))
	}
}

// TestEncodeReportEachFieldUnset clears one field of a full report at a
// time, and empties each list, so every omitempty and always-present
// field is seen both ways.
func TestEncodeReportEachFieldUnset(t *testing.T) {
	var fields []fieldPath
	reportFields(reflect.ValueOf(fullReport("x", 1.5)), "report", nil, &fields)
	for _, f := range fields {
		t.Run(f.name+"=zero", func(t *testing.T) {
			r := fullReport("a<&>\u2028", 0.25)
			v := f.in(r)
			v.SetZero()
			sameAsOld(t, r)
		})
		if f.in(fullReport("x", 1)).Kind() == reflect.Slice {
			t.Run(f.name+"=empty", func(t *testing.T) {
				r := fullReport("x", 1)
				v := f.in(r)
				v.Set(reflect.MakeSlice(v.Type(), 0, 0))
				sameAsOld(t, r)
			})
		}
	}
}

func TestEncodeReportStrings(t *testing.T) {
	for i, s := range trickyStrings {
		t.Run(strconv.Itoa(i), func(t *testing.T) { sameAsOld(t, fullReport(s, 0.4)) })
	}
}

func TestEncodeReportFloats(t *testing.T) {
	for _, f := range trickyFloats {
		t.Run(strconv.FormatFloat(f, 'g', -1, 64), func(t *testing.T) { sameAsOld(t, fullReport("x", f)) })
	}
}

func TestEncodeReportTimes(t *testing.T) {
	tests := []struct {
		name    string
		t       time.Time
		wantErr bool
	}{
		{"zero", time.Time{}, false},
		{"utc nanoseconds", time.Date(2026, 11, 20, 2, 0, 0, 1, time.UTC), false},
		{"+05:45 nanoseconds", time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.FixedZone("NPT", 5*3600+45*60)), false},
		{"-09:30 milliseconds", time.Date(2026, 3, 1, 12, 0, 0, 120000000, time.FixedZone("", -(9*3600+30*60))), false},
		{"offset with seconds", time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("", 3600+30)), false},
		{"monotonic reading", time.Now(), false},
		{"local", time.Date(2026, 3, 1, 12, 0, 0, 5, time.Local), false},
		{"year 0", time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"year 9999 last nanosecond", time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), false},
		{"year 10000", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{"year -1", time.Date(-1, 12, 31, 0, 0, 0, 0, time.UTC), true},
		{"offset 24h", time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("", 24*3600)), true},
	}
	for _, tc := range tests {
		for _, field := range []string{"started_at", "finished_at"} {
			t.Run(tc.name+"/"+field, func(t *testing.T) {
				r := validReport()
				if field == "started_at" {
					r.StartedAt = tc.t
				} else {
					r.FinishedAt = tc.t
				}
				sameAsOld(t, r)
				if _, err := EncodeReport(r); (err != nil) != tc.wantErr {
					t.Errorf("err = %v, want an error: %v", err, tc.wantErr)
				}
			})
		}
	}
}

func TestEncodeReportUnsupportedFloats(t *testing.T) {
	tests := []struct {
		name string
		set  func(r *ScanReport, f float64)
	}{
		{"first endpoint", func(r *ScanReport, f float64) { r.Endpoints[0].RTTMs = f }},
		{"last of many endpoints", func(r *ScanReport, f float64) { r.Endpoints[len(r.Endpoints)-1].RTTMs = f }},
		{"hop", func(r *ScanReport, f float64) { r.Paths[0].Hops[1].RTTMs = f }},
	}
	for _, tc := range tests {
		for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			t.Run(tc.name+"/"+strconv.FormatFloat(f, 'g', -1, 64), func(t *testing.T) {
				r := generatedReport(50)
				tc.set(r, f)
				sameAsOld(t, r)
				b, err := EncodeReport(r)
				var uv *json.UnsupportedValueError
				if b != nil || !errors.As(err, &uv) {
					t.Errorf("EncodeReport = %.20q, %v; want no bytes and an UnsupportedValueError", b, err)
				}
			})
		}
	}
}

func TestEncodeReportLists(t *testing.T) {
	allEmpty := func() *ScanReport {
		r := &ScanReport{Scope: []string{}, Endpoints: []Endpoint{}, Devices: []DeviceInventory{}, Paths: []Path{},
			Stats: Stats{ErrorDetails: []ProbeError{}}}
		r.Host = &Host{Interfaces: []HostInterface{}, Routes: []HostRoute{}, Software: []Software{}}
		return r
	}
	tests := []struct {
		name string
		r    *ScanReport
	}{
		{"nil report", nil},
		{"zero report", &ScanReport{}},
		{"empty lists", allEmpty()},
		{"nil lists inside elements", &ScanReport{Endpoints: []Endpoint{{}, {}}, Devices: []DeviceInventory{{}},
			Paths: []Path{{}}, Host: &Host{}}},
		{"empty lists inside elements", &ScanReport{
			Endpoints: []Endpoint{{SeenBy: []string{}, OpenPorts: []int{}, UDPPorts: []int{}, HTTP: []HTTPInfo{}, Names: []Name{}}},
			Paths:     []Path{{Hops: []Hop{}}}}},
		{"zero elements", &ScanReport{Endpoints: []Endpoint{{HTTP: []HTTPInfo{{}}, Names: []Name{{}}}},
			Paths: []Path{{Hops: []Hop{{}}}}, Stats: Stats{ErrorDetails: []ProbeError{{}}}}},
		{"valid report", validReport()},
		{"full report", fullReport("x", 1)},
		{"10,000 endpoints", generatedReport(10000)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { sameAsOld(t, tc.r) })
	}
}

// TestEncodeReportTestdata encodes the reports kept as test data: this
// package's fuzz seeds and the reports the rules and the agent's renderer
// are tested with.
func TestEncodeReportTestdata(t *testing.T) {
	reports := testdataReports(t)
	if len(reports) < 10 {
		t.Errorf("only %d test data reports found", len(reports))
	}
	for name, data := range reports {
		t.Run(name, func(t *testing.T) {
			var r ScanReport
			if err := json.Unmarshal(data, &r); err != nil {
				t.Skipf("not a report: %v", err)
			}
			sameAsOld(t, &r)
		})
	}
}

// testdataReports reads the JSON reports of this package's fuzz corpus
// and of the repository's report fixtures, by file name.
func testdataReports(tb testing.TB) map[string][]byte {
	tb.Helper()
	out := map[string][]byte{}
	seeds, _ := filepath.Glob("testdata/fuzz/*/*")
	for _, p := range seeds {
		data, err := readCorpusFile(p)
		if err != nil {
			tb.Fatalf("read %s: %v", p, err)
		}
		out[p] = data
	}
	for _, pattern := range []string{"../../collector/rules/testdata/*/*.json", "../../agent/render/testdata/*.json"} {
		files, _ := filepath.Glob(pattern)
		for _, p := range files {
			data, err := os.ReadFile(p)
			if err != nil {
				tb.Fatalf("read %s: %v", p, err)
			}
			if bytes.Contains(data, []byte(SchemaScanV1)) {
				out[strings.TrimPrefix(p, "../../")] = data
			}
		}
	}
	return out
}

// readCorpusFile returns the first []byte value of a "go test fuzz v1" file.
func readCorpusFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if q, ok := strings.CutPrefix(line, "[]byte("); ok {
			s, err := strconv.Unquote(strings.TrimSuffix(q, ")"))
			if err != nil {
				return nil, fmt.Errorf("unquote %.40s: %w", q, err)
			}
			return []byte(s), nil
		}
	}
	return nil, fmt.Errorf("no []byte value in %s", path)
}

// FuzzEncodeReport decodes a report from the fuzz input, puts the fuzzed
// string, float and time where json cannot carry them (invalid UTF-8, NaN,
// years past 9999), and checks EncodeReport against the old encoding.
func FuzzEncodeReport(f *testing.F) {
	good, _ := oldEncode(validReport())
	f.Add(good, "plain", 0.4, int64(1795000000), int64(5), int32(0))
	f.Add([]byte(`{}`), "bad\xff<&>\u2028", math.NaN(), int64(253402300800), int64(0), int32(3600))
	for _, data := range testdataReports(f) {
		f.Add(data, "", 1e21, int64(0), int64(0), int32(-5*3600))
	}
	f.Fuzz(func(t *testing.T, data []byte, s string, rtt float64, sec, nsec int64, off int32) {
		var r ScanReport
		if err := json.Unmarshal(data, &r); err != nil {
			return
		}
		sameAsOld(t, &r)
		r.Scope = append(r.Scope, s)
		r.Agent.Profile = s
		r.Endpoints = append(r.Endpoints, Endpoint{IP: s, Hostname: s, SeenBy: []string{s}, RTTMs: rtt,
			HTTP: []HTTPInfo{{Title: s, Scheme: s}}, Names: []Name{{Name: s}}, SysDescr: s})
		r.Paths = append(r.Paths, Path{Target: s, Hops: []Hop{{Address: s, RTTMs: rtt}}})
		r.StartedAt = time.Unix(sec, nsec).In(time.FixedZone(s, int(off)))
		sameAsOld(t, &r)
	})
}
