package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func validReport() *ScanReport {
	return &ScanReport{
		Schema:     SchemaScanV1,
		ReportID:   "3f1e8a52-5c0e-4d5a-9a43-2b8a4f4b6c11",
		Agent:      Agent{ID: "a1", Hostname: "probe-czj", Version: "1.0.0", Department: "CZJ"},
		StartedAt:  testNow.Add(-10 * time.Minute),
		FinishedAt: testNow.Add(-5 * time.Minute),
		Scope:      []string{"10.1.0.0/24", "2001:db8::/64"},
		Endpoints: []Endpoint{{
			IP: "10.1.0.10", MAC: "00:11:22:33:44:55", Vendor: "Huawei", Hostname: "srv1",
			SeenBy: []string{MethodICMP, MethodTCP}, RTTMs: 0.4, OpenPorts: []int{22, 80},
			Role: RoleServer, HTTP: []HTTPInfo{{Port: 80, Scheme: "http", Title: "首页", Server: "nginx", Status: 200}},
		}, {IP: "2001:db8::5", SeenBy: []string{MethodARP}, Role: RoleUnknown}},
		Devices: []DeviceInventory{{
			Target:      "10.1.0.1:161",
			System:      System{Name: "r1", Descr: "Huawei VRP", ObjectID: "1.3.6.1.4.1.2011.2.224.279", UptimeS: 100},
			Interfaces:  []Interface{{Index: 1, Name: "GE0/0/1", Type: 6, MTU: 1500, MAC: "00:11:22:33:44:66", AdminStatus: 1, OperStatus: 1}},
			IPAddresses: []IPAddress{{Address: "10.1.0.1", PrefixLen: 24, IfIndex: 1}, {Address: "2001:db8::1", PrefixLen: 64, IfIndex: 1}},
			ARP:         []ARPEntry{{IP: "10.1.0.10", MAC: "00:11:22:33:44:55", IfIndex: 1}},
			Routes:      []Route{{Destination: "0.0.0.0/0", NextHop: "10.255.0.1", IfIndex: 1, Protocol: 3, SourceTable: "ipCidrRouteTable"}},
			Neighbors:   []Neighbor{{Protocol: "lldp", LocalIfIndex: 1, ChassisID: "00:aa", PortID: "Gi0/1", SysName: "core"}},
			Software:    []Software{{Name: "VRP", Version: "8.1", Source: "snmp"}},
			Errors:      []TableError{{Table: "hrSWInstalledTable", Error: "timeout"}},
			FDB:         []FDBEntry{{MAC: "00:11:22:33:44:55", VLAN: 10, BridgePort: 3, IfIndex: 1, Status: 3}},
			VLANs:       []VLAN{{ID: 10, Name: "office", Ports: []int{1}}},
			Entities:    []Entity{{Index: 1, Class: 3, Descr: "chassis", Model: "S5720", Serial: "2102351234"}},
			VRFs:        []VRF{{Name: "gaw", RD: "65000:20", IfIndexes: []int{1}}},
			Version:     "v2c",
		}},
		Paths: []Path{{Target: "203.0.113.10", Kind: "internet", Reachable: true, Hops: []Hop{{TTL: 1, Address: "10.1.0.1", RTTMs: 0.3}, {TTL: 2}}}},
		Host: &Host{
			Hostname:   "probe-czj",
			Interfaces: []HostInterface{{Name: "eth0", MAC: "00:11:22:33:44:77", Addresses: []string{"10.1.0.5/24"}, Up: true}},
			Routes:     []HostRoute{{Destination: "0.0.0.0/0", Gateway: "10.1.0.1", Interface: "eth0"}},
			Software:   []Software{{Name: "openssh-server", Version: "1:9.2", Source: "dpkg"}},
		},
		Stats: Stats{AddressesProbed: 256, DurationMs: 300000, Errors: 1,
			ErrorDetails: []ProbeError{{Target: "10.1.0.9", Method: "snmp", Error: "timeout"}}},
	}
}

func TestValidReportPasses(t *testing.T) {
	if err := validReport().ValidateAt(testNow); err != nil {
		t.Fatalf("valid report rejected:\n%v", err)
	}
}

func TestReportJSONRoundTrip(t *testing.T) {
	in := validReport()
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := DecodeReport(bytes.NewReader(data), 1<<20)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	// What crosses the wire must survive unchanged: marshalling the decoded
	// report gives the same bytes (nil and empty lists both travel as []).
	again, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, again) {
		t.Fatalf("round trip changed the report:\nin  %s\nout %s", data, again)
	}
	if !reflect.DeepEqual(in.Endpoints[0], out.Endpoints[0]) || !reflect.DeepEqual(in.Devices, out.Devices) {
		t.Fatalf("round trip changed the values:\nin  %+v\nout %+v", in, out)
	}
	// snake_case on the wire, as the CONTRACT fixes.
	for _, key := range []string{`"report_id"`, `"started_at"`, `"finished_at"`, `"seen_by"`, `"open_ports"`, `"ip_addresses"`, `"next_hop"`, `"addresses_probed"`} {
		if !bytes.Contains(data, []byte(key)) {
			t.Errorf("marshalled report lacks %s", key)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	long := strings.Repeat("x", MaxTitle+1)
	tests := []struct {
		name   string
		mutate func(r *ScanReport)
		want   []string // substrings, each must appear in the error
	}{
		{"wrong schema", func(r *ScanReport) { r.Schema = "egovnet.scan/v2" }, []string{"schema:"}},
		{"report id not uuid", func(r *ScanReport) { r.ReportID = "abc" }, []string{"report_id:"}},
		{"report id nil uuid", func(r *ScanReport) { r.ReportID = "00000000-0000-0000-0000-000000000000" }, []string{"report_id:"}},
		{"agent id missing", func(r *ScanReport) { r.Agent.ID = " " }, []string{"agent.id: required"}},
		{"started missing", func(r *ScanReport) { r.StartedAt = time.Time{} }, []string{"started_at: required"}},
		{"finished before started", func(r *ScanReport) { r.FinishedAt = r.StartedAt.Add(-time.Second) }, []string{"finished_at:", "before started_at"}},
		{"finished far future", func(r *ScanReport) { r.FinishedAt = testNow.Add(48 * time.Hour) }, []string{"finished_at:", "future"}},
		{"started before 2000", func(r *ScanReport) { r.StartedAt = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC) }, []string{"started_at:", "before 2000"}},
		{"scan too long", func(r *ScanReport) { r.StartedAt = r.FinishedAt.Add(-8 * 24 * time.Hour) }, []string{"finished_at: scan lasted"}},
		{"bad scope", func(r *ScanReport) { r.Scope = []string{"10.1.0.0/33"} }, []string{"scope[0]:"}},
		{"bad endpoint ip", func(r *ScanReport) { r.Endpoints[0].IP = "10.1.0.999" }, []string{"endpoints[0].ip:"}},
		{"zone in ip", func(r *ScanReport) { r.Endpoints[1].IP = "fe80::1%eth0" }, []string{"endpoints[1].ip:"}},
		{"bad mac", func(r *ScanReport) { r.Endpoints[0].MAC = "00:11:22" }, []string{"endpoints[0].mac:"}},
		{"port zero", func(r *ScanReport) { r.Endpoints[0].OpenPorts = []int{0} }, []string{"endpoints[0].open_ports[0]: port 0"}},
		{"port too big", func(r *ScanReport) { r.Endpoints[0].UDPPorts = []int{65536} }, []string{"endpoints[0].udp_ports[0]: port 65536"}},
		{"bad role", func(r *ScanReport) { r.Endpoints[0].Role = "router" }, []string{"endpoints[0].role:"}},
		{"empty role", func(r *ScanReport) { r.Endpoints[0].Role = "" }, []string{"endpoints[0].role:"}},
		{"no seen_by", func(r *ScanReport) { r.Endpoints[0].SeenBy = nil }, []string{"endpoints[0].seen_by: required"}},
		{"bad seen_by", func(r *ScanReport) { r.Endpoints[0].SeenBy = []string{"telepathy"} }, []string{"endpoints[0].seen_by[0]:"}},
		{"title too long", func(r *ScanReport) { r.Endpoints[0].HTTP[0].Title = long }, []string{"endpoints[0].http[0].title: too long"}},
		{"NUL in vendor", func(r *ScanReport) { r.Endpoints[0].Vendor = "a\x00b" }, []string{"endpoints[0].vendor: contains a NUL"}},
		{"invalid utf8", func(r *ScanReport) { r.Endpoints[0].Hostname = "\xff\xfe" }, []string{"endpoints[0].hostname: not valid UTF-8"}},
		{"descr too long", func(r *ScanReport) { r.Devices[0].System.Descr = strings.Repeat("d", MaxDescr+1) }, []string{"devices[0].system.descr: too long"}},
		{"device target", func(r *ScanReport) { r.Devices[0].Target = "10.1.0.1" }, []string{"devices[0].target:"}},
		{"device target port", func(r *ScanReport) { r.Devices[0].Target = "10.1.0.1:0" }, []string{"devices[0].target: port 0"}},
		{"device route", func(r *ScanReport) { r.Devices[0].Routes[0].Destination = "default" }, []string{"devices[0].routes[0].destination:"}},
		{"device next hop", func(r *ScanReport) { r.Devices[0].Routes[0].NextHop = "x" }, []string{"devices[0].routes[0].next_hop:"}},
		{"device prefix len", func(r *ScanReport) { r.Devices[0].IPAddresses[0].PrefixLen = 33 }, []string{"devices[0].ip_addresses[0].prefix_len:"}},
		{"device arp ip", func(r *ScanReport) { r.Devices[0].ARP[0].IP = "" }, []string{"devices[0].arp[0].ip: required"}},
		{"device neighbor protocol", func(r *ScanReport) { r.Devices[0].Neighbors[0].Protocol = "stp" }, []string{"devices[0].neighbors[0].protocol:"}},
		{"device oper status", func(r *ScanReport) { r.Devices[0].Interfaces[0].OperStatus = 9 }, []string{"devices[0].interfaces[0].oper_status:"}},
		{"device software source", func(r *ScanReport) { r.Devices[0].Software[0].Source = "guess" }, []string{"devices[0].software[0].source:"}},
		{"device software raw too long", func(r *ScanReport) { r.Devices[0].Software[0].Raw = strings.Repeat("r", MaxShortString+1) }, []string{"devices[0].software[0].raw: too long"}},
		{"host software raw NUL", func(r *ScanReport) { r.Host.Software[0].Raw = "a\x00b" }, []string{"host.software[0].raw: contains a NUL"}},
		{"device error table", func(r *ScanReport) { r.Devices[0].Errors[0].Table = "" }, []string{"devices[0].errors[0].table: required"}},
		{"hop ttl", func(r *ScanReport) { r.Paths[0].Hops[0].TTL = 0 }, []string{"paths[0].hops[0].ttl:"}},
		{"path kind", func(r *ScanReport) { r.Paths[0].Kind = "moon" }, []string{"paths[0].kind:"}},
		{"host address", func(r *ScanReport) { r.Host.Interfaces[0].Addresses[0] = "10.1.0.5" }, []string{"host.interfaces[0].addresses[0]:"}},
		{"host software name", func(r *ScanReport) { r.Host.Software[0].Name = "" }, []string{"host.software[0].name: required"}},
		{"negative stats", func(r *ScanReport) { r.Stats.Errors = -1 }, []string{"stats.errors:"}},
		{"too many scope", func(r *ScanReport) { r.Scope = make([]string, MaxScope+1) }, []string{"scope: too many entries"}},
		{"too many endpoints", func(r *ScanReport) { r.Endpoints = make([]Endpoint, MaxEndpoints+1) }, []string{"endpoints: too many entries (262145"}},
		{"escape in hostname", func(r *ScanReport) { r.Endpoints[0].Hostname = "srv\x1b[2J" }, []string{"endpoints[0].hostname: contains the control character U+001B"}},
		{"newline in agent id", func(r *ScanReport) { r.Agent.ID = "a1\nforged" }, []string{"agent.id: contains the control character U+000A"}},
		{"C1 control in vendor", func(r *ScanReport) { r.Endpoints[0].Vendor = "Hua\u009bwei" }, []string{"endpoints[0].vendor: contains the control character U+009B"}},
		{"DEL in software name", func(r *ScanReport) { r.Host.Software[0].Name = "x\x7f" }, []string{"host.software[0].name: contains the control character U+007F"}},
		{"escape in multi-line descr", func(r *ScanReport) { r.Devices[0].System.Descr = "VRP\r\n\x1b]0;pwned\x07" }, []string{"devices[0].system.descr: contains the control character U+001B"}},
		{"several problems at once", func(r *ScanReport) {
			r.Schema = ""
			r.Endpoints[0].IP = "x"
			r.Devices[0].Target = ""
		}, []string{"schema:", "endpoints[0].ip:", "devices[0].target:"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := validReport()
			tc.mutate(r)
			quietAgrees(t, r, testNow)
			err := r.ValidateAt(testNow)
			if err == nil {
				t.Fatal("invalid report accepted")
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error is %T, want *ValidationError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestValidateAllowsTabAndDeviceLineBreaks(t *testing.T) {
	r := validReport()
	r.Endpoints[0].Hostname = "srv\t1"
	r.Devices[0].System.Descr = "Cisco IOS Software\r\nTechnical Support: http://www.cisco.com"
	r.Endpoints[0].SysDescr = "line one\nline two"
	if err := r.ValidateAt(testNow); err != nil {
		t.Fatalf("tab and multi-line sysDescr rejected: %v", err)
	}
}

func TestValidateCapsProblemList(t *testing.T) {
	r := validReport()
	r.Endpoints = make([]Endpoint, MaxProblems+50) // each lacks ip, seen_by and role
	err := r.ValidateAt(testNow)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want *ValidationError, got %v", err)
	}
	if len(ve.Problems) != MaxProblems+1 {
		t.Fatalf("got %d problems, want %d (capped plus summary)", len(ve.Problems), MaxProblems+1)
	}
	if last := ve.Problems[len(ve.Problems)-1].Error(); !strings.HasPrefix(last, "... and ") {
		t.Fatalf("last problem %q is not the summary", last)
	}
}

func TestDecodeReport(t *testing.T) {
	good, _ := json.Marshal(validReport())
	good = bytes.Replace(good, []byte(`"2026-03-01T11:55:00Z"`), []byte(`"`+time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)+`"`), 1)
	good = bytes.Replace(good, []byte(`"2026-03-01T11:50:00Z"`), []byte(`"`+time.Now().UTC().Add(-2*time.Minute).Format(time.RFC3339)+`"`), 1)
	tests := []struct {
		name    string
		body    []byte
		limit   int64
		wantErr string
		tooBig  bool
	}{
		{name: "valid", body: good, limit: 1 << 20},
		{name: "exactly at limit", body: good, limit: int64(len(good))},
		{name: "over limit", body: good, limit: int64(len(good)) - 1, wantErr: "report too large", tooBig: true},
		{name: "unknown field", body: bytes.Replace(good, []byte(`"schema"`), []byte(`"extra":1,"schema"`), 1), limit: 1 << 20, wantErr: `unknown field "extra"`},
		{name: "trailing data", body: append(append([]byte{}, good...), []byte(` {}`)...), limit: 1 << 20, wantErr: "trailing data"},
		{name: "not json", body: []byte("hello"), limit: 1 << 20, wantErr: "decode report"},
		{name: "wrong type", body: []byte(`{"schema": 5}`), limit: 1 << 20, wantErr: "decode report"},
		{name: "valid json invalid report", body: []byte(`{"schema":"egovnet.scan/v1"}`), limit: 1 << 20, wantErr: "report_id:"},
		{name: "field twice", body: bytes.Replace(good, []byte(`"schema"`), []byte(`"endpoints":[],"schema"`), 1), limit: 1 << 20, wantErr: `"endpoints" appears twice`},
		{name: "unknown field in element", body: bytes.Replace(good, []byte(`"seen_by"`), []byte(`"evil":1,"seen_by"`), 1), limit: 1 << 20, wantErr: `unknown field "evil"`},
		{name: "endpoints not an array", body: bytes.Replace(good, []byte(`"endpoints":[`), []byte(`"endpoints":{"a":1},"z":[`), 1), limit: 1 << 20, wantErr: "endpoints: expected an array"},
		{name: "report not an object", body: []byte(`[1,2]`), limit: 1 << 20, wantErr: "must be a JSON object"},
		{name: "over limit inside endpoints", body: good, limit: int64(bytes.Index(good, []byte(`"endpoints"`))) + 20, wantErr: "report too large", tooBig: true},
		{name: "empty body", body: nil, limit: 1 << 20, wantErr: "decode report"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := DecodeReport(bytes.NewReader(tc.body), tc.limit)
			if tc.wantErr == "" {
				if err != nil || rep == nil {
					t.Fatalf("unexpected error: %v", err)
				}
				// a short list does not pin a decode chunk: the collector
				// keeps decoded reports, and 4,096 spare endpoints per
				// report grew it by 0.5 MiB per report (loadgen)
				if n, c := len(rep.Endpoints), cap(rep.Endpoints); c != n {
					t.Fatalf("endpoints: len %d, cap %d; want cap == len", n, c)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want it to contain %q", err, tc.wantErr)
			}
			if errors.Is(err, ErrReportTooLarge) != tc.tooBig {
				t.Fatalf("errors.Is(ErrReportTooLarge) = %v, want %v", !tc.tooBig, tc.tooBig)
			}
		})
	}
}

// TestDecodeReportStopsAtEndpointLimit: a report with one endpoint more
// than MaxEndpoints is refused as too many entries, and decoding stops there.
func TestDecodeReportStopsAtEndpointLimit(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(`{"schema":"egovnet.scan/v1","endpoints":[`)
	for i := 0; i <= MaxEndpoints; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"ip":"10.0.0.1","seen_by":["icmp"],"role":"unknown"}`)
	}
	// Malformed after the limit: only a decoder that read on would see it.
	b.WriteString(`,{"ip": nonsense`)
	_, err := DecodeReport(&b, 64<<20)
	var ve *ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "endpoints: too many entries (more than 262144)") {
		t.Fatalf("want the endpoint limit, got %v", err)
	}
	if !strings.Contains(err.Error(), "endpoints[262144]: the rest of the report was not read") {
		t.Fatalf("error does not say where decoding stopped: %v", err)
	}
}

func TestDeviceInventoryValidate(t *testing.T) {
	d := validReport().Devices[0]
	if err := d.Validate(); err != nil {
		t.Fatalf("valid device rejected: %v", err)
	}
	d.Routes[0].Destination = "nope"
	d.Interfaces[0].MAC = "zz"
	err := d.Validate()
	if err == nil || !strings.Contains(err.Error(), "routes[0].destination") || !strings.Contains(err.Error(), "interfaces[0].mac") {
		t.Fatalf("want both problems, got %v", err)
	}
}

// TestEndpointProfileReportPasses: the endpoint profile reports the host's
// own facts with an empty scope and nothing probed; the collector's decode
// and validation must take it as it is written.
func TestEndpointProfileReportPasses(t *testing.T) {
	r := validReport()
	r.Agent.Profile = "endpoint"
	r.Scope, r.Endpoints, r.Devices, r.Paths = []string{}, nil, nil, nil
	r.Stats = Stats{DurationMs: 20}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeReport(bytes.NewReader(b), 1<<20)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if err := got.ValidateAt(testNow); err != nil {
		t.Fatalf("endpoint-profile report rejected:\n%v", err)
	}
	if len(got.Scope) != 0 || got.Stats.AddressesProbed != 0 {
		t.Fatalf("scope %v probed %d after the round trip", got.Scope, got.Stats.AddressesProbed)
	}
}

// quietAgrees checks that the quiet pass (no paths, no messages) finds a
// problem exactly when the full one does, for the report and for each of
// its list elements as the streaming decoder checks them.
func quietAgrees(t *testing.T, r *ScanReport, now time.Time) {
	t.Helper()
	q, v := &validator{quiet: true}, &validator{}
	q.report(r, now)
	v.report(r, now)
	if q.failed != (len(v.problems) > 0) {
		t.Fatalf("quiet pass failed=%v, full pass found %v", q.failed, v.problems)
	}
	for i := range r.Endpoints {
		q, v := &validator{quiet: true}, &validator{}
		q.endpoint("", &r.Endpoints[i])
		v.endpoint("endpoints", &r.Endpoints[i])
		if q.failed != (len(v.problems) > 0) {
			t.Fatalf("endpoint %d: quiet pass failed=%v, full pass found %v", i, q.failed, v.problems)
		}
	}
}
