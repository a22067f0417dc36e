package snmp

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/internal/wire"
)

// walkRecording walks one recording (community = file name) on the shared
// simulator and caches the result for the other tests of the package.
var walked = map[string]wire.DeviceInventory{}

func walkRecording(t *testing.T, name string) wire.DeviceInventory {
	t.Helper()
	if inv, ok := walked[name]; ok {
		return inv
	}
	sim := simulator(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	inv, err := Walk(ctx, sim.Endpoint(), Credential{Version: V2c, Community: name}, testOpts())
	if err != nil {
		t.Fatalf("walk %s: %v (simulator alive: %v)", name, err, sim.Alive())
	}
	walked[name] = inv
	return inv
}

// TestRecordingsMatchExpectedCounts is the acceptance test of the SNMP
// inventory: every one of the 41 recordings, walked through the real
// simulator, gives exactly the CONTRACT counts of expected-counts.json,
// plus the IPv6 neighbours and routes IPV6-MIB adds where IP-MIB serves
// none (computed from the recording: ipv6MIBTruth; RouterOS's 18 routes).
func TestRecordingsMatchExpectedCounts(t *testing.T) {
	exp := loadExpected(t)
	names := make([]string, 0, len(exp.Devices))
	for n := range exp.Devices {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		want := exp.Devices[name]
		t.Run(name, func(t *testing.T) {
			inv := walkRecording(t, name)
			if len(inv.Errors) != 0 {
				t.Errorf("table errors: %+v", inv.Errors)
			}
			v6ARP, v6Routes, _ := ipv6MIBTruth(readRecording(t, want.Set, name))
			if inv.System.ObjectID != want.ObjectID {
				t.Errorf("sysObjectID = %q, want %q", inv.System.ObjectID, want.ObjectID)
			}
			for _, c := range []struct {
				what      string
				got, want int
			}{
				{"interfaces", len(inv.Interfaces), want.Interfaces},
				{"arp", len(inv.ARP), want.ARP + v6ARP},
				{"routes", len(inv.Routes), want.Routes + sum(v6Routes)},
				{"neighbors", len(inv.Neighbors), want.Neighbors},
				{"software", len(inv.Software), want.Software},
			} {
				if c.got != c.want {
					t.Errorf("%s = %d, want %d", c.what, c.got, c.want)
				}
			}
			// ip_addresses is informational in expected-counts.json (its rule:
			// ipAddressTable rows, else ipAddrTable rows). We report the union
			// of both tables, because devices such as vrp_ne and junos_vmx
			// serve IPv4 only in ipAddrTable and IPv6 only in ipAddressTable
			// (LibreNMS counts 10+6 and 13+1 there, as we do), so ours is at
			// least the informational number.
			if len(inv.IPAddresses) < want.IPAddresses {
				t.Errorf("ip_addresses = %d, want at least %d", len(inv.IPAddresses), want.IPAddresses)
			}
			checkShapes(t, inv)
		})
	}
}

// checkShapes asserts the formats the CONTRACT promises on every row.
func checkShapes(t *testing.T, inv wire.DeviceInventory) {
	t.Helper()
	seenIf := map[int]bool{}
	for _, in := range inv.Interfaces {
		if in.Index <= 0 || seenIf[in.Index] {
			t.Errorf("interface index %d invalid or repeated", in.Index)
		}
		seenIf[in.Index] = true
		if in.MAC != "" && !isColonHex(in.MAC) {
			t.Errorf("interface %d MAC %q is not lower-case colon hex", in.Index, in.MAC)
		}
	}
	for _, a := range inv.ARP {
		if a.IP == "" || a.IfIndex < 0 {
			t.Errorf("arp entry without key: %+v", a)
		}
		if a.MAC != "" && !isColonHex(a.MAC) {
			t.Errorf("arp MAC %q is not lower-case colon hex", a.MAC)
		}
	}
	for _, r := range inv.Routes {
		if r.Destination == "" || !strings.Contains(r.Destination, "/") {
			t.Errorf("route without CIDR destination: %+v", r)
		}
	}
	for _, s := range inv.Software {
		if s.Source != "snmp" || s.Name == "" {
			t.Errorf("software row %+v: want source snmp and a name", s)
		}
	}
}

func isColonHex(s string) bool {
	for i, r := range s {
		if i%3 == 2 {
			if r != ':' {
				return false
			}
			continue
		}
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return len(s)%3 == 2
}

// TestSysDescrKeepsQuotesAndLineBreaks: sysDescr is kept as the device sent
// it. yunshan's value starts with a literal quote (stored hex in the
// recording); Huawei descriptions carry CR/LF.
func TestSysDescrKeepsQuotesAndLineBreaks(t *testing.T) {
	for _, tc := range []struct {
		device, prefix string
		wantCRLF       bool
	}{
		{"yunshan", `"`, false},
		{"vrp_s5328c-ei", `"`, false},
		{"iosxe_c9500h-svl", `"`, false},
		{"vrp_5720", "", true},
	} {
		t.Run(tc.device, func(t *testing.T) {
			inv := walkRecording(t, tc.device)
			if !strings.HasPrefix(inv.System.Descr, tc.prefix) {
				t.Errorf("sysDescr %q does not start with %q", inv.System.Descr, tc.prefix)
			}
			if tc.wantCRLF && !strings.Contains(inv.System.Descr, "\r\n") {
				t.Errorf("sysDescr %q lost its CR/LF", inv.System.Descr)
			}
		})
	}
}

// TestUnknownCommunityIsSilence: snmpsim (like real devices) does not answer
// a wrong community; the walk fails after one probe, with ErrNoResponse
// from the credential list, and the next credential in the list is used.
func TestUnknownCommunityIsSilence(t *testing.T) {
	sim := simulator(t)
	ctx := context.Background()
	opts := Options{Timeout: 300 * time.Millisecond, Retries: -1}
	inv, err := WalkCredentials(ctx, sim.Endpoint(), Credentials{Communities: []string{"no-such-device"}}, opts)
	if !errors.Is(err, ErrNoResponse) {
		t.Fatalf("err = %v, want ErrNoResponse", err)
	}
	if inv.System.ObjectID != "" || len(inv.Errors) != 1 {
		t.Errorf("inventory of a silent device: %+v", inv)
	}
	// The wrong community costs its probe timeouts; the right one must
	// answer within them even on a loaded machine.
	opts.Timeout = 10 * time.Second
	opts.ProbeTimeout = 2 * time.Second
	opts.Retries = 2
	opts.Tables = []string{}
	inv, err = WalkCredentials(ctx, sim.Endpoint(), Credentials{Communities: []string{"wrong", "zxa10_c320"}}, opts)
	if err != nil {
		t.Fatalf("second community not used: %v", err)
	}
	if inv.Version != "v2c" || inv.Credential != "v2c community #1" || inv.System.ObjectID != "1.3.6.1.4.1.3902.1082.1001.320.2.1" {
		t.Errorf("got version %q credential %q oid %q", inv.Version, inv.Credential, inv.System.ObjectID)
	}
	if strings.Contains(inv.Credential, "zxa10") {
		t.Error("credential label leaks the community")
	}
}

// TestV3BuiltInUser walks a recording over SNMPv3 authPriv (MD5/DES) with
// snmpsim's built-in user; the context name selects the recording. A wrong
// passphrase is an error, never a walk.
func TestV3BuiltInUser(t *testing.T) {
	sim := simulator(t)
	ctx := context.Background()
	user := V3User{User: "simulator", AuthProto: "MD5", AuthPass: "auctoritas", PrivProto: "DES", PrivPass: "privatus", Context: "ios_2960x"}
	inv, err := WalkCredentials(ctx, sim.Endpoint(), Credentials{V3: []V3User{user}}, testOpts())
	if err != nil {
		t.Fatalf("v3 walk: %v", err)
	}
	if inv.Version != "v3" || inv.System.ObjectID != "1.3.6.1.4.1.9.1.1208" || len(inv.Interfaces) != 146 || len(inv.Neighbors) != 7 {
		t.Errorf("v3 walk: version %q oid %q interfaces %d neighbours %d errors %v",
			inv.Version, inv.System.ObjectID, len(inv.Interfaces), len(inv.Neighbors), inv.Errors)
	}
	if inv.EngineID == "" {
		t.Error("engine id not recorded")
	}
	bad := user
	bad.AuthPass = "wrong-passphrase"
	o := testOpts()
	o.Timeout, o.Retries = time.Second, -1
	if _, err := Walk(ctx, sim.Endpoint(), Credential{Version: V3, User: bad}, o); err == nil {
		t.Error("wrong auth passphrase: walk succeeded")
	}
	for _, u := range []V3User{
		{User: "simulator", AuthProto: "MD4", AuthPass: "auctoritas"},
		{User: "simulator", AuthProto: "MD5", AuthPass: "short"},
		{User: "simulator", PrivProto: "DES", PrivPass: "privatus"},
		{User: ""},
	} {
		if _, err := Walk(ctx, sim.Endpoint(), Credential{Version: V3, User: u}, o); err == nil || !strings.Contains(err.Error(), "v3 user") {
			t.Errorf("invalid user %+v: err = %v, want a clear v3 user error", u, err)
		}
	}
}

// TestV1 walks with SNMPv1 (GETNEXT, noSuchName at the end of the view)
// and must count the same as v2c.
func TestV1(t *testing.T) {
	sim := simulator(t)
	exp := loadExpected(t)
	for _, name := range []string{"vrp_5720", "ssd-windows-xp"} {
		t.Run(name, func(t *testing.T) {
			inv, err := Walk(context.Background(), sim.Endpoint(), Credential{Version: V1, Community: name}, testOpts())
			if err != nil {
				t.Fatalf("v1 walk: %v", err)
			}
			w := exp.Devices[name]
			if inv.Version != "v1" || inv.System.ObjectID != w.ObjectID || len(inv.Interfaces) != w.Interfaces ||
				len(inv.ARP) != w.ARP || len(inv.Routes) != w.Routes || len(inv.Neighbors) != w.Neighbors || len(inv.Software) != w.Software {
				t.Errorf("v1 %s: oid %s if %d arp %d routes %d nb %d sw %d errors %v; want %+v", name, inv.System.ObjectID,
					len(inv.Interfaces), len(inv.ARP), len(inv.Routes), len(inv.Neighbors), len(inv.Software), inv.Errors, w)
			}
			if inv.System.Descr == "" || inv.System.UptimeS == 0 && name == "ssd-windows-xp" {
				t.Errorf("v1 system group incomplete: %+v", inv.System)
			}
		})
	}
}

// TestColumnWalksMatchWholeTables: walking only the decoded columns of the
// big tables (interfaces, ARP, routes, software) gives exactly the inventory
// that walking those tables whole gives, on every recording: same rows
// (counted from indexes), same values.
func TestColumnWalksMatchWholeTables(t *testing.T) {
	sim := simulator(t)
	exp := loadExpected(t)
	names := make([]string, 0, len(exp.Devices))
	for n := range exp.Devices {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			columns := walkRecording(t, name)
			ctx := context.Background()
			opts := testOpts().withDefaults()
			host, port, _ := splitTarget(sim.Endpoint(), 161)
			w, err := newWalker(ctx, host, port, Credential{Version: V2c, Community: name}, opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer w.close()
			whole := newInventory(columns.Target)
			if err := w.probe(ctx, &whole); err != nil {
				t.Fatal(err)
			}
			w.walkAll(ctx, &whole, wholeTables(defaultPlan(opts)))
			wire.Sanitize(&whole) // as every walk ends (walkContextsGuarded)
			whole.System.UptimeS, columns.System.UptimeS = 0, 0
			whole.Credential = columns.Credential
			if !reflect.DeepEqual(whole, columns) {
				a, _ := json.MarshalIndent(whole, "", " ")
				b, _ := json.MarshalIndent(columns, "", " ")
				t.Errorf("column walk differs from whole-table walk:\n%s", firstDiff(string(a), string(b)))
			}
		})
	}
}

// TestSoftwareRawKeepsInstalledName: every software row keeps the
// hrSWInstalledName text it was split from. Rows of the Windows XP recording:
// index 2 "7-Zip 9.20" splits into name and version, index 3 "Adobe AIR"
// stays whole.
func TestSoftwareRawKeepsInstalledName(t *testing.T) {
	inv := walkRecording(t, "ssd-windows-xp")
	if len(inv.Software) < 3 {
		t.Fatalf("got %d software rows, want the recording's 160", len(inv.Software))
	}
	for _, tc := range []struct {
		row                int
		raw, name, version string
	}{
		{1, "7-Zip 9.20", "7-Zip", "9.20"},
		{2, "Adobe AIR", "Adobe AIR", ""},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			s := inv.Software[tc.row]
			if s.Raw != tc.raw || s.Name != tc.name || s.Version != tc.version {
				t.Errorf("software[%d] = raw %q name %q version %q, want %q %q %q", tc.row, s.Raw, s.Name, s.Version, tc.raw, tc.name, tc.version)
			}
		})
	}
	for i, s := range inv.Software {
		if s.Raw == "" {
			t.Errorf("software[%d] %q has no raw text", i, s.Name)
		}
	}
}
