package snmp

import (
	"context"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/egovnet/egovnet/internal/wire"
)

// fakeAgent is a tiny SNMPv2c agent over real loopback UDP that serves a
// fixed MIB view and misbehaves on purpose below chosen subtrees: it is the
// "lying, broken device" no simulator imitates.
type fakeAgent struct {
	conn     net.PacketConn
	view     []gosnmp.SnmpPDU // sorted by OID
	behave   map[string]string
	chokeMax uint32 // GETBULK with max-repetitions above this: no answer
	bigMax   uint32 // above this: tooBig
	noBulk   bool   // GETBULK answered with genErr (old agents)
	requests atomic.Int64
	maxReps  sync.Map // request max-repetitions seen, by value
	wg       sync.WaitGroup
}

// Behaviours, keyed by subtree: any requested OID under it triggers it.
const (
	behaveSilent    = "silent"    // never answers
	behaveGarbage   = "garbage"   // malformed BER
	behaveWrongID   = "wrongid"   // answers with another request id
	behaveTruncated = "truncated" // a valid response cut in half
	behaveBadOrder  = "badorder"  // answers an OID that goes backwards
)

func startFakeAgent(t *testing.T, view []gosnmp.SnmpPDU, behave map[string]string) *fakeAgent {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(view, func(i, j int) bool { return compareOID(view[i].Name, view[j].Name) < 0 })
	a := &fakeAgent{conn: c, view: view, behave: behave}
	a.wg.Add(1)
	go a.serve()
	t.Cleanup(func() { c.Close(); a.wg.Wait() })
	return a
}

func (a *fakeAgent) addr() string { return a.conn.LocalAddr().String() }

func (a *fakeAgent) serve() {
	defer a.wg.Done()
	buf := make([]byte, 65535)
	dec := &gosnmp.GoSNMP{Version: gosnmp.Version2c, Community: "fake", Logger: gosnmp.NewLogger(nil)}
	for {
		n, from, err := a.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		a.requests.Add(1)
		req, err := dec.SnmpDecodePacket(append([]byte(nil), buf[:n]...))
		if err != nil || req.Community != "fake" || len(req.Variables) == 0 {
			continue // wrong community: silence, like real agents
		}
		mode := ""
		for _, v := range req.Variables {
			oid := strings.TrimPrefix(v.Name, ".")
			for sub, m := range a.behave {
				if oid == sub || strings.HasPrefix(oid, sub+".") {
					mode = m
				}
			}
		}
		if req.PDUType == gosnmp.GetBulkRequest {
			a.maxReps.Store(req.MaxRepetitions, true)
			if a.chokeMax > 0 && req.MaxRepetitions > a.chokeMax {
				continue
			}
		}
		resp := &gosnmp.SnmpPacket{Version: gosnmp.Version2c, Community: req.Community, PDUType: gosnmp.GetResponse, RequestID: req.RequestID}
		if req.PDUType == gosnmp.GetBulkRequest && a.noBulk {
			resp.Error, resp.ErrorIndex = gosnmp.GenErr, 1
			resp.Variables = req.Variables
		} else if req.PDUType == gosnmp.GetBulkRequest && a.bigMax > 0 && req.MaxRepetitions > a.bigMax {
			resp.Error = gosnmp.TooBig
			resp.Variables = req.Variables
		} else {
			resp.Variables = a.answer(req)
		}
		if mode == behaveBadOrder && len(resp.Variables) > 1 {
			resp.Variables[1].Name = resp.Variables[0].Name
		}
		if mode == behaveWrongID {
			resp.RequestID = req.RequestID + 7
		}
		out, err := resp.MarshalMsg()
		if err != nil {
			continue
		}
		switch mode {
		case behaveSilent:
			continue
		case behaveGarbage:
			out = []byte{0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01, 0x01, 0x04, 0x99, 0x01}
		case behaveTruncated:
			out = out[:len(out)/2]
		}
		a.conn.WriteTo(out, from)
	}
}

func (a *fakeAgent) answer(req *gosnmp.SnmpPacket) []gosnmp.SnmpPDU {
	var out []gosnmp.SnmpPDU
	next := func(oid string) (gosnmp.SnmpPDU, bool) {
		i := sort.Search(len(a.view), func(i int) bool { return compareOID(a.view[i].Name, oid) > 0 })
		if i == len(a.view) {
			return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.EndOfMibView}, false
		}
		return a.view[i], true
	}
	switch req.PDUType {
	case gosnmp.GetRequest:
		for _, v := range req.Variables {
			found := gosnmp.SnmpPDU{Name: v.Name, Type: gosnmp.NoSuchObject}
			for _, x := range a.view {
				if compareOID(x.Name, v.Name) == 0 {
					found = x
				}
			}
			out = append(out, found)
		}
	case gosnmp.GetNextRequest:
		for _, v := range req.Variables {
			p, _ := next(v.Name)
			out = append(out, p)
		}
	case gosnmp.GetBulkRequest:
		// RFC 3416 4.2.3: repetition r holds one successor per repeater.
		cur := make([]string, len(req.Variables))
		for i, v := range req.Variables {
			cur[i] = v.Name
		}
		for r := uint32(0); r < req.MaxRepetitions; r++ {
			allEnd := true
			for i := range cur {
				p, ok := next(cur[i])
				out = append(out, p)
				if ok {
					allEnd = false
					cur[i] = p.Name
				}
			}
			if allEnd {
				break
			}
		}
	}
	return out
}

func octets(s string) []byte { return []byte(s) }

// fakeView: system group, a two-row ifTable with ifXTable, a two-row ARP
// table, an LLDP remote and an hrSWInstalled row.
func fakeView() []gosnmp.SnmpPDU {
	v := []gosnmp.SnmpPDU{
		{Name: ".1.3.6.1.2.1.1.1.0", Type: gosnmp.OctetString, Value: octets("\"Fake switch\r\nline two")},
		{Name: ".1.3.6.1.2.1.1.2.0", Type: gosnmp.ObjectIdentifier, Value: ".1.3.6.1.4.1.99999.1"},
		{Name: ".1.3.6.1.2.1.1.3.0", Type: gosnmp.TimeTicks, Value: uint32(123456)},
		{Name: ".1.3.6.1.2.1.1.5.0", Type: gosnmp.OctetString, Value: octets("fake")},
		{Name: ".1.3.6.1.2.1.4.22.1.2.1.10.0.0.1", Type: gosnmp.OctetString, Value: []byte{0, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e}},
		{Name: ".1.3.6.1.2.1.4.22.1.2.2.10.0.1.1", Type: gosnmp.OctetString, Value: []byte{0, 0x1a, 0x2b, 0x3c, 0x4d, 0x5f}},
		{Name: ".1.0.8802.1.1.2.1.4.1.1.9.0.1.1", Type: gosnmp.OctetString, Value: octets("peer")},
		{Name: ".1.3.6.1.2.1.25.6.3.1.2.1", Type: gosnmp.OctetString, Value: octets("bash_5.2.15-2+b7_amd64")},
		// Bridge: ports 1 and 2 on ifIndexes 2 and 1 (never port = ifIndex),
		// two learned MACs in VLAN 10, VLANs 1 and 10.
		{Name: ".1.3.6.1.2.1.17.1.4.1.2.1", Type: gosnmp.Integer, Value: 2},
		{Name: ".1.3.6.1.2.1.17.1.4.1.2.2", Type: gosnmp.Integer, Value: 1},
		{Name: ".1.3.6.1.2.1.17.7.1.2.2.1.2.10.0.26.43.60.77.94", Type: gosnmp.Integer, Value: 1},
		{Name: ".1.3.6.1.2.1.17.7.1.2.2.1.2.10.0.26.43.60.77.95", Type: gosnmp.Integer, Value: 2},
		{Name: ".1.3.6.1.2.1.17.7.1.2.2.1.3.10.0.26.43.60.77.94", Type: gosnmp.Integer, Value: 3},
		{Name: ".1.3.6.1.2.1.17.7.1.4.3.1.1.1", Type: gosnmp.OctetString, Value: octets("default")},
		{Name: ".1.3.6.1.2.1.17.7.1.4.3.1.1.10", Type: gosnmp.OctetString, Value: octets("office")},
		{Name: ".1.3.6.1.2.1.17.7.1.4.3.1.2.10", Type: gosnmp.OctetString, Value: []byte{0xc0}},
		// ENTITY-MIB: a chassis holding a port.
		{Name: ".1.3.6.1.2.1.47.1.1.1.1.2.1", Type: gosnmp.OctetString, Value: octets("Fake chassis")},
		{Name: ".1.3.6.1.2.1.47.1.1.1.1.2.2", Type: gosnmp.OctetString, Value: octets("Port 1")},
		{Name: ".1.3.6.1.2.1.47.1.1.1.1.4.1", Type: gosnmp.Integer, Value: 0},
		{Name: ".1.3.6.1.2.1.47.1.1.1.1.4.2", Type: gosnmp.Integer, Value: 1},
		{Name: ".1.3.6.1.2.1.47.1.1.1.1.5.1", Type: gosnmp.Integer, Value: 3},
		{Name: ".1.3.6.1.2.1.47.1.1.1.1.5.2", Type: gosnmp.Integer, Value: 10},
		{Name: ".1.3.6.1.2.1.47.1.1.1.1.11.1", Type: gosnmp.OctetString, Value: octets("SN0001")},
		// MPLS-L3VPN: VRF "dj" (RD 65000:1 as RFC 4364 octets) on ifIndex 2.
		{Name: ".1.3.6.1.2.1.10.166.11.1.2.1.1.2.2.100.106.2", Type: gosnmp.Integer, Value: 2},
		{Name: ".1.3.6.1.2.1.10.166.11.1.2.2.1.4.2.100.106", Type: gosnmp.OctetString, Value: []byte{0, 0, 0xfd, 0xe8, 0, 0, 0, 1}},
	}
	for _, i := range []string{"1", "2"} {
		v = append(v,
			gosnmp.SnmpPDU{Name: ".1.3.6.1.2.1.2.2.1.2." + i, Type: gosnmp.OctetString, Value: octets("eth" + i)},
			gosnmp.SnmpPDU{Name: ".1.3.6.1.2.1.2.2.1.6." + i, Type: gosnmp.OctetString, Value: []byte{0xAA, 0xBB, 0xCC, 0, 0, byte(i[0])}},
			gosnmp.SnmpPDU{Name: ".1.3.6.1.2.1.31.1.1.1.1." + i, Type: gosnmp.OctetString, Value: octets("Eth" + i)},
		)
	}
	return v
}

// fakeOpts: no retries, so a silent table costs exactly its timeouts; 1 s
// is far above what the in-process agent needs even on a loaded CI.
func fakeOpts() Options {
	return Options{Timeout: time.Second, Retries: -1, MaxRepetitions: 25}
}

func errTables(errs []string) map[string]bool {
	m := map[string]bool{}
	for _, e := range errs {
		m[e] = true
	}
	return m
}

// TestBrokenDevice: a device that sends malformed BER, wrong request ids,
// truncated packets, out-of-order OIDs or nothing at all below one table
// costs that table (named in Errors) and never the rest of the walk.
func TestBrokenDevice(t *testing.T) {
	for _, tc := range []struct {
		name, subtree, mode, table string
	}{
		{"malformed BER", "1.3.6.1.2.1.4.22", behaveGarbage, tIPNetToMediaTable},
		{"wrong request id", "1.3.6.1.2.1.4.22", behaveWrongID, tIPNetToMediaTable},
		{"truncated packet", "1.3.6.1.2.1.2.2", behaveTruncated, tIfTable},
		{"never answers one table", "1.0.8802.1.1.2.1.4.1", behaveSilent, tLldpRemTable},
		{"OID not increasing", "1.3.6.1.2.1.25.6.3", behaveBadOrder, tHrSWInstalledTable},
		{"malformed FDB", "1.3.6.1.2.1.17.7.1.2.2", behaveGarbage, tDot1qTpFdbTable},
		{"bridge ports truncated", "1.3.6.1.2.1.17.1.4", behaveTruncated, tDot1dBasePortTable},
		{"VLAN table out of order", "1.3.6.1.2.1.17.7.1.4.3", behaveBadOrder, tDot1qVlanStaticTable},
		{"entities never answer", "1.3.6.1.2.1.47.1.1.1", behaveSilent, tEntPhysicalTable},
		{"VRF table wrong request id", "1.3.6.1.2.1.10.166.11.1.2.2", behaveWrongID, tVrfTable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := startFakeAgent(t, fakeView(), map[string]string{tc.subtree: tc.mode})
			inv, err := Walk(context.Background(), a.addr(), Credential{Version: V2c, Community: "fake"}, fakeOpts())
			if err != nil {
				t.Fatalf("walk: %v", err)
			}
			t.Logf("recorded: %+v", inv.Errors)
			var failed []string
			for _, e := range inv.Errors {
				failed = append(failed, e.Table)
				if e.Error == "" {
					t.Errorf("table %s: empty error text", e.Table)
				}
			}
			if len(failed) != 1 || failed[0] != tc.table {
				t.Errorf("errors %+v, want exactly one for %s", inv.Errors, tc.table)
			}
			// Everything else is complete.
			if inv.System.ObjectID != "1.3.6.1.4.1.99999.1" || inv.System.Descr != "\"Fake switch\r\nline two" || inv.System.UptimeS != 1234 {
				t.Errorf("system group: %+v", inv.System)
			}
			want := map[string]int{tIfTable: 2, tIPNetToMediaTable: 2, tLldpRemTable: 1, tHrSWInstalledTable: 1,
				tDot1qTpFdbTable: 2, tDot1qVlanStaticTable: 2, tEntPhysicalTable: 2, tVrfTable: 1}
			got := map[string]int{tIfTable: len(inv.Interfaces), tIPNetToMediaTable: len(inv.ARP), tLldpRemTable: len(inv.Neighbors), tHrSWInstalledTable: len(inv.Software),
				tDot1qTpFdbTable: len(inv.FDB), tDot1qVlanStaticTable: len(inv.VLANs), tEntPhysicalTable: len(inv.Entities), tVrfTable: len(inv.VRFs)}
			for table, n := range want {
				if table == tc.table {
					continue
				}
				if got[table] != n {
					t.Errorf("%s: %d rows, want %d", table, got[table], n)
				}
			}
		})
	}
}

// TestAdaptiveMaxRepetitions: a device that never answers a GETBULK above
// 10 repetitions (gosnmp #100, #498) is walked completely after halving;
// one that answers tooBig above 5 likewise.
func TestAdaptiveMaxRepetitions(t *testing.T) {
	for _, tc := range []struct {
		name        string
		choke, big  uint32
		wantUsedMax uint32
	}{
		{"timeout above 10", 10, 0, 6},
		{"tooBig above 5", 0, 5, 3},
		{"tooBig above 2 (multi-column requests shrink too)", 0, 2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := startFakeAgent(t, fakeView(), nil)
			a.chokeMax, a.bigMax = tc.choke, tc.big
			inv, err := Walk(context.Background(), a.addr(), Credential{Version: V2c, Community: "fake"}, fakeOpts())
			if err != nil {
				t.Fatalf("walk: %v", err)
			}
			if len(inv.Errors) != 0 || len(inv.Interfaces) != 2 || len(inv.ARP) != 2 || len(inv.Software) != 1 {
				t.Errorf("incomplete walk: errors %v, %d interfaces, %d arp, %d software", inv.Errors, len(inv.Interfaces), len(inv.ARP), len(inv.Software))
			}
			if _, ok := a.maxReps.Load(tc.wantUsedMax); !ok {
				t.Errorf("max-repetitions %d never tried", tc.wantUsedMax)
			}
		})
	}
}

// TestAgentWithoutGetBulk: an agent that answers GETBULK with genErr is
// walked completely with GETNEXT, for every profile.
func TestAgentWithoutGetBulk(t *testing.T) {
	for _, tables := range [][]string{nil, {TableInterfaces}} {
		a := startFakeAgent(t, fakeView(), nil)
		a.noBulk = true
		o := fakeOpts()
		o.Tables = tables
		inv, err := Walk(context.Background(), a.addr(), Credential{Version: V2c, Community: "fake"}, o)
		if err != nil {
			t.Fatalf("walk: %v", err)
		}
		if len(inv.Errors) != 0 || len(inv.Interfaces) != 2 || inv.Interfaces[1].Name != "Eth2" {
			t.Errorf("tables %v: errors %v, interfaces %+v", tables, inv.Errors, inv.Interfaces)
		}
		if tables == nil && (len(inv.ARP) != 2 || len(inv.Software) != 1 || len(inv.Neighbors) != 1) {
			t.Errorf("full walk incomplete: arp %d software %d neighbours %d", len(inv.ARP), len(inv.Software), len(inv.Neighbors))
		}
	}
}

// TestDecodePanicIsRecorded: a decoder that panics (a value no decoder
// expected) becomes a table error; other groups are decoded, and nothing
// half-decoded from the panicking group is kept.
func TestDecodePanicIsRecorded(t *testing.T) {
	a := startFakeAgent(t, fakeView(), nil)
	ctx := context.Background()
	opts := fakeOpts().withDefaults()
	w, err := newWalker(ctx, "127.0.0.1", uint16(a.conn.LocalAddr().(*net.UDPAddr).Port), Credential{Version: V2c, Community: "fake"}, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	inv := newInventory(a.addr())
	if err := w.probe(ctx, &inv); err != nil {
		t.Fatal(err)
	}
	plan := defaultPlan(opts)
	for i := range plan {
		if plan[i].name == TableInterfaces {
			orig := plan[i].decode
			plan[i].decode = func(inv *wire.DeviceInventory, got map[string]*table) {
				orig(inv, got)
				var m map[string]int
				m["boom"]++ // nil map write: a real runtime panic
			}
		}
	}
	w.walkAll(ctx, &inv, plan)
	if len(inv.Interfaces) != 0 {
		t.Errorf("half-decoded interfaces kept: %d", len(inv.Interfaces))
	}
	if len(inv.Errors) != 1 || !strings.Contains(inv.Errors[0].Error, "panic") || !strings.Contains(inv.Errors[0].Table, tIfTable) {
		t.Errorf("errors = %+v, want one panic for ifTable", inv.Errors)
	}
	if len(inv.ARP) != 2 || len(inv.Neighbors) != 1 || len(inv.Software) != 1 {
		t.Errorf("other groups lost: arp %d neighbours %d software %d", len(inv.ARP), len(inv.Neighbors), len(inv.Software))
	}
}

// TestWalkManyBoundOrderAndFailures: results come back in target order, silent
// targets are recorded not dropped, and no more than Concurrency devices
// are walked at once.
func TestWalkManyBoundOrderAndFailures(t *testing.T) {
	var agents []*fakeAgent
	var targets []string
	for i := 0; i < 6; i++ {
		a := startFakeAgent(t, fakeView(), nil)
		agents = append(agents, a)
		targets = append(targets, a.addr())
	}
	// A closed port in the middle: nothing answers there.
	dead, _ := net.ListenPacket("udp4", "127.0.0.1:0")
	deadAddr := dead.LocalAddr().String()
	dead.Close()
	targets = append(targets[:3], append([]string{deadAddr}, targets[3:]...)...)
	opts := fakeOpts()
	opts.Concurrency = 2
	var active, peak atomic.Int64
	walkOne = func(ctx context.Context, target string, creds Credentials, opts Options, pool *clientPool) (wire.DeviceInventory, error) {
		n := active.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		defer active.Add(-1)
		if target == "panic.invalid:1" {
			panic("boom")
		}
		return walkCredentials(ctx, target, creds, opts, pool)
	}
	defer func() { walkOne = walkCredentials }()
	targets = append(targets, "panic.invalid:1")
	out := WalkMany(context.Background(), targets, Credentials{Communities: []string{"fake"}}, opts)
	if len(out) != len(targets) {
		t.Fatalf("%d results for %d targets", len(out), len(targets))
	}
	if p := peak.Load(); p != 2 {
		t.Errorf("peak concurrency %d, want the bound 2", p)
	}
	for i, inv := range out {
		if inv.Target != targets[i] {
			t.Errorf("result %d is for %s, want %s", i, inv.Target, targets[i])
		}
		if i == 3 {
			if inv.System.ObjectID != "" || len(inv.Errors) != 1 {
				t.Errorf("dead target: %+v", inv)
			}
			continue
		}
		if i == len(targets)-1 {
			if len(inv.Errors) != 1 || !strings.Contains(inv.Errors[0].Error, "panic: boom") {
				t.Errorf("panicking target: %+v", inv)
			}
			continue
		}
		if inv.System.ObjectID == "" || len(inv.Interfaces) != 2 {
			t.Errorf("target %d: %+v", i, inv)
		}
	}
}

// TestWalkManyHonoursContext: a cancelled sweep returns at once with one
// inventory per target, each saying why, and never hangs on silent devices.
func TestWalkManyHonoursContext(t *testing.T) {
	silent, err := net.ListenPacket("udp4", "127.0.0.1:0") // reads nothing, answers nothing
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	targets := []string{silent.LocalAddr().String(), silent.LocalAddr().String(), silent.LocalAddr().String()}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o := fakeOpts()
	o.Timeout = time.Minute // only the context can end this
	o.Concurrency = 1
	out := WalkMany(ctx, targets, Credentials{Communities: []string{"fake"}}, o)
	if len(out) != 3 {
		t.Fatalf("%d results", len(out))
	}
	for _, inv := range out {
		if inv.Version != "" || len(inv.Errors) != 1 || !strings.Contains(inv.Errors[0].Error, "context canceled") {
			t.Errorf("cancelled target: %+v", inv)
		}
	}
}
